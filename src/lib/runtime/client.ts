/**
 * The page's side of the inference worker: makes the dedicated module worker on first use and
 * wraps it with comlink. Loads no tfjs (the worker does).
 */
import * as Comlink from 'comlink';
import type { RuntimeApi } from './protocol';

export type Runtime = Comlink.Remote<RuntimeApi>;

/**
 * Starts the worker. `onFailure` hears when its script fails before it ever answered (it did not
 * load: nothing will answer); `onError`, an error reported later (it keeps answering).
 */
export function startWorker(
	onFailure: (message: string) => void,
	onError: (message: string) => void
): Runtime {
	const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'inference' });
	let answered = false;
	worker.addEventListener('message', () => (answered = true), { once: true });
	worker.addEventListener('error', (e) => {
		const message = `the inference worker failed: ${e.message || 'its script did not load'}`;
		if (answered) onError(message);
		else onFailure(message);
	});
	return Comlink.wrap<RuntimeApi>(worker);
}

export { Comlink };
