/**
 * The page's handle on the inference worker: the backend it runs (with the notices of any
 * fallback), the progress of the current request, and request generations — each new request
 * (a Run, a new image, a new network) supersedes the ones before it, whose answers are dropped.
 */
import type { Runtime } from '$lib/runtime/client';
import type { BackendChoice, BackendInfo, Progress } from '$lib/runtime/protocol';

/** A message for anything thrown while loading or running. */
export function errorText(e: unknown): string {
	if (e instanceof Error) return e.message;
	if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
	return String(e);
}

export class RuntimeClient {
	/** What the backend menu shows: `auto`, or the backend that runs (after a fallback too). */
	choice = $state<BackendChoice>('auto');
	info = $state.raw<BackendInfo | null>(null);
	notices = $state.raw<string[]>([]);
	busy = $state(false);
	/** The worker's last word on the current request. */
	progress = $state.raw<Progress | null>(null);
	/** Why the worker could not be used (its script failed to load or run), or ''. */
	failure = $state('');

	#remote: Promise<Runtime> | null = null;
	#gen = 0;
	/** Told when the backend changed under us (a lost GPU device, a switch): results are stale. */
	onchange: () => void = () => undefined;

	/** The worker, started on first use (in the browser only). */
	remote(): Promise<Runtime> {
		this.#remote ??= import('$lib/runtime/client').then(({ startWorker, Comlink }) => {
			const remote = startWorker(
				(message) => {
					this.failure = message;
					this.onchange();
				},
				(message) => (this.notices = [...this.notices, message])
			);
			void remote.listen(
				Comlink.proxy((p: Progress) => {
					if (p.gen === this.#gen) this.progress = p;
				}),
				Comlink.proxy((message: string) => void this.#lost(message))
			);
			return remote;
		});
		return this.#remote;
	}

	/** A new request generation; everything older is superseded. */
	next(): number {
		const gen = ++this.#gen;
		this.progress = null;
		void this.#remote?.then((r) => r.supersede(gen));
		return gen;
	}

	isCurrent(gen: number): boolean {
		return gen === this.#gen;
	}

	/** Starts (or switches to) a backend; failures fall back and are listed as notices. */
	async start(choice: BackendChoice = this.choice): Promise<void> {
		this.choice = choice;
		this.busy = true;
		try {
			const r = await (await this.remote()).start(choice);
			this.info = r.info;
			this.notices = r.notices;
			// The menu shows what runs: an explicit choice that fell back names the fallback.
			if (choice !== 'auto') this.choice = r.info.name;
		} catch (e) {
			this.notices = [...this.notices, errorText(e)];
		} finally {
			this.busy = false;
			this.onchange();
		}
	}

	async ensureStarted(): Promise<void> {
		if (!this.info) await this.start(this.choice);
		if (!this.info) throw new Error(`no tfjs backend could start (${this.notices.join('; ')})`);
	}

	async #lost(message: string): Promise<void> {
		const lostOn = this.info?.name;
		await this.start('auto');
		this.notices = [`${message} — fell back from ${lostOn} to ${this.info?.name}`, ...this.notices];
	}
}
