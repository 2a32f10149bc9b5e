/**
 * "Profile": each node's measured time on the active backend (the worker's `profile`, see
 * $lib/runtime/profile.ts for how it is measured). Like a run, a profile takes a request
 * generation: a Run, a new image or network supersedes it, Cancel stops it between runs. A
 * profile belongs to the network, weights and backend it was measured on: it is dropped (never
 * shown stale) when any of them changes (`clear`, called by the run state).
 */
import type { BlockGraph } from '$lib/arch';
import type { Profile } from '$lib/runtime/profile';
import type { RunRequest } from '$lib/runtime/protocol';
import { errorText, type RuntimeClient } from './runtime.svelte';

/** What the profile reads from the run (RunState provides it). */
export interface ProfileHost {
	readonly runtime: RuntimeClient;
	readonly graph: BlockGraph;
	/** The network's input for the current image (the default image when none): null when superseded. */
	netInput(gen: number): Promise<RunRequest['input'] | null>;
}

/** A profile and the network it was measured on. */
export type MeasuredProfile = Profile & { graph: BlockGraph };

/** Runs per profile the menu offers (after one warm-up). */
export const PROFILE_RUNS = [3, 5, 10, 20] as const;

export class ProfileState {
	result = $state.raw<MeasuredProfile | null>(null);
	running = $state(false);
	error = $state('');
	runs = $state<number>(5);
	#gen = -1;
	readonly #host: ProfileHost;

	constructor(host: ProfileHost) {
		this.#host = host;
	}

	/** The result when it is for `graph` (the network now shown), else null. */
	for(graph: BlockGraph): MeasuredProfile | null {
		return this.result && this.result.graph === graph ? this.result : null;
	}

	/** Runs `runs` profiled forwards (after a warm-up) on the current input. */
	async start(): Promise<void> {
		const runtime = this.#host.runtime;
		const gen = runtime.next();
		this.#gen = gen;
		const graph = this.#host.graph;
		const current = () => runtime.isCurrent(gen) && this.#host.graph === graph;
		this.running = true;
		this.error = '';
		try {
			const input = await this.#host.netInput(gen);
			if (!input || !current()) return;
			const remote = await runtime.remote();
			const r = await remote.profile({ gen, input, runs: this.runs });
			if (r.cancelled || !current()) return;
			this.result = { ...r, graph };
		} catch (e) {
			if (current()) this.error = errorText(e);
		} finally {
			if (this.#gen === gen) this.running = false;
		}
	}

	/** Stops the profile in progress (the worker stops at its next run); keeps the last result. */
	cancel(): void {
		this.#host.runtime.next();
		this.running = false;
	}

	/** The network, weights or backend changed: the times no longer hold. */
	clear(): void {
		this.result = null;
		this.error = '';
		this.running = false;
	}
}
