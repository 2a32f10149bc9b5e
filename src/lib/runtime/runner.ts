/**
 * The page's inference session: one backend, one compiled network (re-compiled only when the
 * graph, the weights or the backend change) and the tapped outputs of the last forward pass, kept
 * on the device so that looking at another layer of the same image costs no new forward.
 * Every tensor it owns is disposed when replaced.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type { BlockGraph } from '../arch/graph';
import type { TensorMap } from '../weights/types';
import { startBackend, type BackendChoice, type BackendInfo, type Tf } from './backend';
import { readFeatureMaps } from './featuremaps';
import type { FeatureMaps } from '../pixels/colourmaps';

/** Weights with an identity: the same `id` means the same values. */
export interface WeightSet {
	id: string;
	tensors: TensorMap;
}

/** A preprocessed input: NHWC float32 values for one image, and what it is (for caching). */
export interface RunInput {
	id: string;
	data: Float32Array;
	height: number;
	width: number;
	channels: number;
}

export interface RunResult {
	logits: Float32Array;
	/** Wall time of the forward pass, `await data()` of the logits included. */
	forwardMs: number;
	/** Ids whose outputs are now cached. */
	tapped: string[];
	/** True when the network was compiled (weights uploaded) for this run. */
	compiled: boolean;
}

/** Above this many bytes of activations not every node is kept: only block outputs and the selection. */
export const TAP_ALL_BUDGET = 200e6;

/**
 * Which node outputs a forward pass keeps. Convolution and BatchNorm outputs are left out unless
 * selected: BN is folded into the convolution (and a ReLU fused into it), so tapping the raw
 * convolution or the pre-ReLU BN output costs extra work; every other node's output is computed
 * anyway and keeping it costs only memory. Past `TAP_ALL_BUDGET` only the stem, block outputs
 * and head are kept.
 */
export function tapsFor(graph: BlockGraph, selected: string | null): string[] {
	const ids = new Set<string>();
	if (graph.totals.activationBytes <= TAP_ALL_BUDGET) {
		for (const n of graph.nodes) if (n.op !== 'conv2d' && n.op !== 'batchnorm') ids.add(n.id);
	} else {
		for (const id of graph.stem.nodeIds)
			if (graph.byId.get(id)!.op !== 'conv2d' && graph.byId.get(id)!.op !== 'batchnorm') ids.add(id);
		for (const st of graph.stages) for (const b of st.blocks) ids.add(b.nodeIds[b.nodeIds.length - 1]);
		for (const id of graph.head.nodeIds) ids.add(id);
		ids.add('input');
	}
	if (selected && graph.byId.has(selected)) ids.add(selected);
	return [...ids];
}

type Compiled = import('./compile').CompiledNet;

export class Runner {
	tf: Tf | null = null;
	backend: BackendInfo | null = null;
	#net: { net: Compiled; graph: BlockGraph; weightsId: string; backend: string } | null = null;
	#taps = new Map<string, TfCore.Tensor4D>();
	#tapsKey = '';
	#busy: Promise<unknown> = Promise.resolve();

	/**
	 * Starts (or switches to) a backend. Drops the compiled network and the cached outputs: they
	 * live on the old backend. `onLost` is told when a GPU device is lost later.
	 */
	async start(choice: BackendChoice, onLost?: (message: string) => void) {
		return this.#serial(async () => {
			this.#drop();
			const r = await startBackend(choice, onLost);
			this.tf = r.tf;
			this.backend = r.info;
			return r;
		});
	}

	/** Runs one forward pass, keeping the outputs of `taps`. */
	async run(graph: BlockGraph, weights: WeightSet, input: RunInput, taps: string[]): Promise<RunResult> {
		return this.#serial(async () => {
			const tf = this.tf;
			if (!tf) throw new Error('no backend started');
			const { compile } = await import('./compile');
			let compiled = false;
			const backend = tf.getBackend();
			if (
				!this.#net ||
				this.#net.graph !== graph ||
				this.#net.weightsId !== weights.id ||
				this.#net.backend !== backend
			) {
				this.#drop();
				const net = compile(tf as unknown as Parameters<typeof compile>[0], graph, weights.tensors);
				this.#net = { net, graph, weightsId: weights.id, backend };
				compiled = true;
			}
			const x = tf.tensor4d(input.data, [1, input.height, input.width, input.channels]);
			let out: { logits: TfCore.Tensor2D; taps: Map<string, TfCore.Tensor4D> } | null = null;
			try {
				const t0 = performance.now();
				out = this.#net.net.forward(x, taps);
				const logits = (await out.logits.data()) as Float32Array;
				const forwardMs = performance.now() - t0;
				this.#clearTaps();
				this.#taps = out.taps;
				this.#tapsKey = `${input.id}|${weights.id}|${backend}`;
				return { logits: logits.slice(), forwardMs, tapped: [...out.taps.keys()], compiled };
			} catch (e) {
				if (out) for (const t of out.taps.values()) t.dispose();
				throw e;
			} finally {
				x.dispose();
				out?.logits.dispose();
			}
		});
	}

	/** Whether the cached outputs belong to this image and these weights and hold `id`. */
	hasTap(id: string, inputId: string, weightsId: string): boolean {
		return (
			this.#taps.has(id) &&
			this.tf !== null &&
			this.#tapsKey === `${inputId}|${weightsId}|${this.tf.getBackend()}`
		);
	}

	/** The feature maps of a cached output, normalised on the device; null when not cached. */
	async featureMaps(id: string): Promise<FeatureMaps | null> {
		return this.#serial(async () => {
			const t = this.#taps.get(id);
			if (!t || !this.tf || t.isDisposed) return null;
			return readFeatureMaps(this.tf, t);
		});
	}

	/** Drops the compiled network and cached outputs (e.g. when the architecture changes). */
	reset(): void {
		this.#drop();
	}

	#clearTaps(): void {
		for (const t of this.#taps.values()) if (!t.isDisposed) t.dispose();
		this.#taps = new Map();
		this.#tapsKey = '';
	}

	#drop(): void {
		this.#clearTaps();
		if (this.#net) {
			try {
				this.#net.net.dispose();
			} catch {
				// a lost device cannot free its buffers; they are gone anyway
			}
			this.#net = null;
		}
	}

	/** One operation at a time: a run never interleaves with a backend switch or a read-back. */
	#serial<T>(f: () => Promise<T>): Promise<T> {
		const p = this.#busy.then(f, f);
		this.#busy = p.catch(() => undefined);
		return p;
	}
}
