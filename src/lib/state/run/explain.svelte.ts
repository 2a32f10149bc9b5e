/**
 * "Why this prediction?": explanations of the last forward, computed in the worker
 * (`RuntimeApi.explain`): Grad-CAM at a node or group (default: the last block) with one small
 * Grad-CAM per stage, saliency, SmoothGrad and occlusion, for a chosen class (default: top-1).
 *
 * An explanation is asked for whenever what it depends on changes (the forward's outputs, the
 * method and its parameters, the node, the class) and the section is open. Each job takes a
 * request generation from the runtime, as a run does: a newer job, a Run, a new image or network
 * supersedes it, and its answers are dropped. Answers are kept per forward (its key), class and
 * method, so going back to a node or class already explained draws at once.
 */
import { untrack } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import type { BlockGraph } from '$lib/arch';
import { groupOutput, lastBlockId } from '$lib/arch';
import type { Prediction } from '$lib/models/labels';
import type { ColourMapName } from '$lib/pixels/colourmaps';
import type { ExplainMethod, ExplainReply } from '$lib/runtime/protocol';
import type { ImageSource } from './image.svelte';
import { errorText, type RuntimeClient } from './runtime.svelte';

export type MethodKind = ExplainMethod['kind'];
export const METHODS: readonly { kind: MethodKind; name: string }[] = [
	{ kind: 'gradcam', name: 'Grad-CAM' },
	{ kind: 'saliency', name: 'Saliency' },
	{ kind: 'smoothgrad', name: 'SmoothGrad' },
	{ kind: 'occlusion', name: 'Occlusion' }
];

/** An answer of the worker, with what was asked. */
export type Explanation = Extract<ExplainReply, { cancelled: false }> & {
	/** The node or group asked for (Grad-CAM), as the user picked it. */
	asked: string | null;
	/** The parameters it was computed with. */
	request: ExplainMethod;
};

export type Entry = { ok: true; explanation: Explanation } | { ok: false; error: string };

/** What the explain state reads from the run (RunState provides it). */
export interface ExplainHost {
	readonly runtime: RuntimeClient;
	readonly image: ImageSource;
	readonly graph: BlockGraph;
	readonly selectedId: string | null;
	/** Key of the last forward's kept outputs, '' when there is no current result. */
	readonly lastRun: string;
	readonly running: boolean;
	readonly predictions: Prediction[];
}

/** Occlusion's default patch for an input: about a seventh of its smaller side; stride half of it. */
export function defaultOcclusion(height: number, width: number): { patch: number; stride: number } {
	const patch = Math.max(1, Math.round(Math.min(height, width) / 7));
	return { patch, stride: Math.max(1, Math.ceil(patch / 2)) };
}

/** A method's parameters as a key part (what makes two requests the same). */
export function methodKey(m: ExplainMethod): string {
	switch (m.kind) {
		case 'gradcam':
			return `gradcam:${m.node}`;
		case 'saliency':
			return 'saliency';
		case 'smoothgrad':
			return `smoothgrad:${m.samples}:${m.sigma}:${m.seed}`;
		case 'occlusion':
			return `occlusion:${m.patch}:${m.stride}`;
	}
}

interface Wanted {
	run: string;
	classIndex: number;
	method: ExplainMethod;
	/** Grad-CAMs of each stage's output (for the strip), after the main one. */
	strip: string[];
}

/** SmoothGrad's most samples (the runtime's limit). */
export const SAMPLES_MAX = 1000;

export class ExplainState {
	readonly #host: ExplainHost;
	/** The "Why this prediction?" section is open: explanations are computed. */
	open = $state(true);
	method = $state<MethodKind>('gradcam');
	/** The node or group picked for Grad-CAM; null: the last block. */
	chosen = $state<string | null>(null);
	/** The class explained; null: the top-1 class. */
	classIndex = $state<number | null>(null);
	opacity = $state(0.55);
	colourMap = $state<ColourMapName>('inferno');
	samples = $state(20);
	sigma = $state(0.15);
	seed = $state(0);
	patch = $state(4);
	stride = $state(2);
	/** Why a parameter typed was not taken (the last valid one stays), or ''. */
	paramError = $state('');

	/** Answers per forward, class and method (see `#key`). */
	readonly entries = new SvelteMap<string, Entry>();
	busy = $state(false);
	/** The user cancelled the job (its parameters stay; "Explain" asks again). */
	cancelled = $state(false);

	#job = 0;
	#gen = 0;
	/** A selection made by the page itself (the first run's), not followed. */
	#skipSelection: string | null = null;
	#inputSize = '';

	constructor(host: ExplainHost) {
		this.#host = host;
		// The explorer's selection (diagram, table) is the Grad-CAM node.
		$effect(() => {
			const id = host.selectedId;
			untrack(() => {
				if (id === this.#skipSelection) this.#skipSelection = null;
				else if (id) this.chosen = id;
			});
		});
		// Occlusion's patch follows the input size (until another input size comes).
		$effect(() => {
			const { height, width } = host.graph.spec.input;
			untrack(() => {
				const size = `${height}×${width}`;
				if (size === this.#inputSize) return;
				this.#inputSize = size;
				({ patch: this.patch, stride: this.stride } = defaultOcclusion(height, width));
			});
		});
		$effect(() => {
			const wanted = this.wanted;
			untrack(() => {
				if (wanted) void this.#start(wanted);
			});
		});
	}

	/** The page selects `id` itself (not the user): the Grad-CAM node stays. */
	skipSelection(id: string): void {
		this.#skipSelection = id;
	}

	/** The node or group Grad-CAM explains: the pick when it is in this network, else the last block. */
	get node(): string | null {
		const graph = this.#host.graph;
		return this.chosen && groupOutput(graph, this.chosen) ? this.chosen : lastBlockId(graph);
	}

	/** The class explained: the pick, else the top-1 prediction (null before a result). */
	get resolvedClass(): number | null {
		return this.classIndex ?? this.#host.predictions[0]?.index ?? null;
	}

	/** The method and its parameters as asked. */
	get request(): ExplainMethod | null {
		switch (this.method) {
			case 'gradcam': {
				const node = this.node;
				return node ? { kind: 'gradcam', node } : null;
			}
			case 'saliency':
				return { kind: 'saliency' };
			case 'smoothgrad':
				return { kind: 'smoothgrad', samples: this.samples, sigma: this.sigma, seed: this.seed };
			case 'occlusion':
				return { kind: 'occlusion', patch: this.patch, stride: this.stride };
		}
	}

	/** The stage ids, for the strip. */
	get stages(): string[] {
		return this.#host.graph.stages.map((s) => s.id);
	}

	/** What is to be shown now, or null (closed, no result, nothing to explain). */
	readonly target: Wanted | null = $derived.by(() => {
		const run = this.#host.lastRun;
		const classIndex = this.resolvedClass;
		const method = this.request;
		if (!this.open || !run || classIndex === null || !method) return null;
		return { run, classIndex, method, strip: method.kind === 'gradcam' ? this.stages : [] };
	});

	/** What is to be computed now: the target, unless a run is in flight (it would supersede it). */
	readonly wanted: Wanted | null = $derived.by(() => (this.#host.running ? null : this.target));

	#key(run: string, classIndex: number, method: ExplainMethod): string {
		return `${run}|${classIndex}|${methodKey(method)}`;
	}

	/** The answer for the current request, if there is one yet. */
	get current(): Entry | null {
		const w = this.target;
		return w ? (this.entries.get(this.#key(w.run, w.classIndex, w.method)) ?? null) : null;
	}

	/** The strip's Grad-CAMs: one per stage, each with its answer when there is one. */
	get strip(): { stage: string; entry: Entry | null }[] {
		const w = this.target;
		if (!w || w.strip.length === 0) return [];
		return w.strip.map((stage) => ({
			stage,
			entry: this.entries.get(this.#key(w.run, w.classIndex, { kind: 'gradcam', node: stage })) ?? null
		}));
	}

	/** The worker's progress on the current job ("Occlusion: 40 / 169"), or null. */
	get progress(): { done: number; total: number } | null {
		const p = this.#host.runtime.progress;
		if (!this.busy || !p || p.gen !== this.#gen || p.phase !== 'explain' || !p.total) return null;
		return { done: p.done ?? 0, total: p.total };
	}

	/** Explains another class (a prediction row clicked); null: the top-1 class. */
	pickClass(index: number | null): void {
		this.classIndex = index;
	}

	/** Stops the job in progress; its answers so far stay. */
	cancel(): void {
		if (!this.busy) return;
		this.#job++;
		this.#host.runtime.next();
		this.busy = false;
		this.cancelled = true;
	}

	/** Asks again after a cancel or an error. */
	retry(): void {
		const w = this.wanted;
		if (!w) return;
		for (const [key, e] of [...this.entries]) if (!e.ok) this.entries.delete(key);
		void this.#start(w);
	}

	/**
	 * The network, weights, input or backend changed: every answer is stale, and the class picked
	 * goes back to the top-1 (another input, another class list).
	 */
	clear(): void {
		this.#job++;
		this.classIndex = null;
		this.entries.clear();
		this.busy = false;
		this.cancelled = false;
	}

	setSamples(value: number): void {
		if (!Number.isInteger(value) || value < 1 || value > SAMPLES_MAX) {
			this.paramError = `SmoothGrad takes 1 to ${SAMPLES_MAX} samples (a whole number), not ${value}.`;
			return;
		}
		this.paramError = '';
		this.samples = value;
	}

	setSigma(value: number): void {
		if (!Number.isFinite(value) || value < 0 || value > 1) {
			this.paramError = `σ is a fraction of the input's range, 0 to 1, not ${value}.`;
			return;
		}
		this.paramError = '';
		this.sigma = value;
	}

	setPatch(value: number): void {
		const { height, width } = this.#host.graph.spec.input;
		const most = Math.min(height, width);
		if (!Number.isInteger(value) || value < 1 || value > most) {
			this.paramError = `The patch is 1 to ${most} pixels wide (the input is ${height}×${width}), not ${value}.`;
			return;
		}
		this.paramError = '';
		this.patch = value;
	}

	setStride(value: number): void {
		const { height, width } = this.#host.graph.spec.input;
		const most = Math.min(height, width);
		if (!Number.isInteger(value) || value < 1 || value > most) {
			this.paramError = `The stride is 1 to ${most} pixels, not ${value}.`;
			return;
		}
		this.paramError = '';
		this.stride = value;
	}

	/** Computes what is missing of `w` (the main map, then the strip), dropping superseded answers. */
	async #start(w: Wanted): Promise<void> {
		const todo = [w.method, ...w.strip.map((node): ExplainMethod => ({ kind: 'gradcam', node }))].filter(
			(m, i, all) =>
				!this.entries.has(this.#key(w.run, w.classIndex, m)) &&
				all.findIndex((o) => methodKey(o) === methodKey(m)) === i
		);
		if (todo.length === 0) return;
		const host = this.#host;
		const job = ++this.#job;
		const gen = host.runtime.next();
		this.#gen = gen;
		const current = () => job === this.#job && host.runtime.isCurrent(gen);
		this.busy = true;
		this.cancelled = false;
		try {
			const input = host.image.input;
			if (!input) return;
			const inputId = host.image.inputId;
			const remote = await host.runtime.remote();
			const { Comlink } = await import('$lib/runtime/client');
			for (const method of todo) {
				if (!current()) return;
				const key = this.#key(w.run, w.classIndex, method);
				let entry: Entry;
				try {
					const data = input.data.slice();
					const reply = await remote.explain(
						Comlink.transfer(
							{
								gen,
								inputId,
								input: { data, height: input.height, width: input.width, channels: input.channels },
								method,
								classIndex: w.classIndex
							},
							[data.buffer]
						)
					);
					if (reply.cancelled || !current()) return;
					entry = {
						ok: true,
						explanation: { ...reply, asked: method.kind === 'gradcam' ? method.node : null, request: method }
					};
				} catch (e) {
					if (!current()) return;
					entry = { ok: false, error: errorText(e) };
				}
				this.entries.set(key, entry);
			}
		} finally {
			if (job === this.#job) this.busy = false;
		}
	}
}
