/**
 * Keeps the address bar and the explorer in step: a link opens the spec it carries (a bad key
 * is left out and shown as an error, the link's other keys are used; an unknown preset keeps the
 * default), and every valid edit rewrites the query to what is shown (debounced, without adding
 * history entries).
 */
import { replaceState } from '$app/navigation';
import { resolve } from '$app/paths';
import type { Explorer } from './explorer.svelte';

/** Call once, from a component's onMount; returns the cleanup. */
export function syncUrl(explorer: Explorer, delayMs = 250): () => void {
	if (location.search.length > 1) explorer.loadQuery(location.search);
	let timer: ReturnType<typeof setTimeout> | undefined;
	const stop = $effect.root(() => {
		$effect(() => {
			const query = explorer.shareQuery;
			clearTimeout(timer);
			timer = setTimeout(() => {
				if (location.search === `?${query}`) return;
				try {
					// eslint-disable-next-line svelte/no-navigation-without-resolve -- the path is resolve('/'), plus a query
					replaceState(`${resolve('/')}?${query}${location.hash}`, {});
				} catch {
					// The router is not ready yet (it is, once mounted): the next edit writes the link.
				}
			}, delayMs);
		});
	});
	return () => {
		clearTimeout(timer);
		stop();
	};
}
