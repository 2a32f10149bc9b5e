/**
 * The page's side of the inference worker: makes the dedicated module worker on first use and
 * wraps it with comlink. Loads no tfjs (the worker does).
 */
import * as Comlink from 'comlink';
import type { RuntimeApi } from './protocol';

export type Runtime = Comlink.Remote<RuntimeApi>;

/** Starts the worker; `onError` hears when its script fails (the worker is then unusable). */
export function startWorker(onError: (message: string) => void): Runtime {
	const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'inference' });
	worker.addEventListener('error', (e) =>
		onError(`the inference worker failed: ${e.message || 'could not load'}`)
	);
	return Comlink.wrap<RuntimeApi>(worker);
}

export { Comlink };
