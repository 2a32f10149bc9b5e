/**
 * One network on one tfjs instance: compile (upload the weights), forward with chosen outputs
 * ("taps") kept on the device, read-back of the logits, of the taps in PyTorch's C,H,W order and
 * of a tap's feature maps, explanations ($lib/runtime/explain.ts), a per-node time profile
 * ($lib/runtime/profile.ts), dispose. The page's worker ($lib/runtime/worker.ts) and
 * `npm run infer` (cli/infer.ts) both run networks through it.
 * Every tensor it owns is disposed when replaced.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type { BlockGraph } from '../arch/graph';
import type { TensorMap } from '../weights/types';
import type { FeatureMaps } from '../pixels/colourmaps';
import { compile, type CompileOptions, type CompiledNet } from './compile';
import { readFeatureMaps } from './featuremaps';
import { explain, type ExplainInput, type ExplainOptions, type Explanation } from './explain';
import type { ExplainMethod } from './protocol';
import { profileNet, type Profile, type ProfileOptions } from './profile';

type Tf = typeof TfCore;

/** Weights with an identity: the same `id` means the same values. */
export interface WeightSet {
	id: string;
	tensors: TensorMap;
}

/** Input values, NHWC float32, already normalised; `batch` images of height × width × channels. */
export interface NetInput {
	data: Float32Array;
	batch: number;
	height: number;
	width: number;
	channels: number;
}

export interface ForwardResult {
	/** [batch, classes], row-major. */
	logits: Float32Array;
	/** Wall time of the forward pass, `await data()` of the logits included. */
	forwardMs: number;
	/** Ids whose outputs are now kept. */
	tapped: string[];
}

/** A tap read back: batch item 0 in PyTorch's layout, [C, H, W]. */
export interface TapValues {
	shape: [number, number, number];
	data: Float32Array;
}

/** Above this many bytes of activations not every node is kept: only block outputs and the selection. */
const TAP_ALL_BUDGET = 200e6;

/**
 * Which node outputs a forward pass keeps. Convolution and BatchNorm outputs are left out unless
 * selected: BN is folded into the convolution (and a ReLU fused into it), so tapping the raw
 * convolution or the pre-ReLU BN output costs extra work; every other node's output is computed
 * anyway and keeping it costs only memory. Past `TAP_ALL_BUDGET` only the stem, block outputs
 * and head are kept.
 */
export function tapsFor(graph: BlockGraph, selected: string | null): string[] {
	const ids = new Set<string>();
	const cheap = (id: string) => {
		const op = graph.byId.get(id)!.op;
		return op !== 'conv2d' && op !== 'batchnorm';
	};
	if (graph.totals.activationBytes <= TAP_ALL_BUDGET) {
		for (const n of graph.nodes) if (cheap(n.id)) ids.add(n.id);
	} else {
		for (const id of graph.stem.nodeIds) if (cheap(id)) ids.add(id);
		for (const st of graph.stages) for (const b of st.blocks) ids.add(b.nodeIds[b.nodeIds.length - 1]);
		for (const id of graph.head.nodeIds) ids.add(id);
		ids.add('input');
	}
	if (selected && graph.byId.has(selected)) ids.add(selected);
	return [...ids];
}

/** NHWC (batch item 0 of a [N, H, W, C] buffer) → C,H,W. Pure. */
function nhwcToChw(data: Float32Array, height: number, width: number, channels: number): Float32Array {
	const out = new Float32Array(channels * height * width);
	for (let c = 0; c < channels; c++)
		for (let y = 0; y < height; y++)
			for (let x = 0; x < width; x++)
				out[(c * height + y) * width + x] = data[(y * width + x) * channels + c];
	return out;
}

export class Session {
	readonly tf: Tf;
	#net: { net: CompiledNet; weightsId: string; backend: string } | null = null;
	#taps = new Map<string, TfCore.Tensor4D>();
	#tapsKey = '';

	constructor(tf: Tf) {
		this.tf = tf;
	}

	/** Whether `graph` with these weights is compiled on the current backend. */
	isCompiled(graph: BlockGraph, weightsId: string): boolean {
		const n = this.#net;
		return !!n && n.net.graph === graph && n.weightsId === weightsId && n.backend === this.tf.getBackend();
	}

	/**
	 * Compiles the network with its weights (checking them; throws `WeightsListError` listing every
	 * problem, uploading nothing), unless it already is. True when it compiled now.
	 */
	compile(graph: BlockGraph, weights: WeightSet, options: CompileOptions = {}): boolean {
		if (this.isCompiled(graph, weights.id)) return false;
		this.dispose();
		const net = compile(this.tf, graph, weights.tensors, options);
		this.#net = { net, weightsId: weights.id, backend: this.tf.getBackend() };
		return true;
	}

	/**
	 * One forward pass of the compiled network; the outputs of `taps` are kept (replacing the last
	 * ones) under `key`, the caller's name for this input and these weights.
	 */
	async forward(input: NetInput, taps: readonly string[], key = ''): Promise<ForwardResult> {
		const tf = this.tf;
		if (!this.#net) throw new Error('no network compiled');
		const x = tf.tensor4d(input.data, [input.batch, input.height, input.width, input.channels]);
		let out: ReturnType<CompiledNet['forward']> | null = null;
		try {
			const t0 = performance.now();
			out = this.#net.net.forward(x, taps);
			const logits = (await out.logits.data()) as Float32Array;
			const forwardMs = performance.now() - t0;
			this.clearTaps();
			this.#taps = out.taps;
			this.#tapsKey = key;
			return { logits: logits.slice(), forwardMs, tapped: [...out.taps.keys()] };
		} catch (e) {
			if (out) for (const t of out.taps.values()) t.dispose();
			throw e;
		} finally {
			x.dispose();
			out?.logits.dispose();
		}
	}

	/**
	 * Explains the prediction on one image for class `classIndex` (null: top-1); null when
	 * `options.shouldStop` stopped it. Throws `ExplainError` for an unknown node or class.
	 */
	async explain(
		input: ExplainInput,
		method: ExplainMethod,
		classIndex: number | null,
		options: ExplainOptions = {}
	): Promise<Explanation | null> {
		if (!this.#net) throw new Error('no network compiled');
		return explain(this.tf, this.#net.net, input, method, classIndex, options);
	}

	/**
	 * Each node's time on this backend, over `options.runs` runs (see $lib/runtime/profile.ts);
	 * null when `options.shouldStop` stopped it. Keeps no outputs.
	 */
	async profile(input: NetInput, options: ProfileOptions = {}): Promise<Profile | null> {
		if (!this.#net) throw new Error('no network compiled');
		const tf = this.tf;
		const x = tf.tensor4d(input.data, [input.batch, input.height, input.width, input.channels]);
		try {
			return await profileNet(tf, this.#net.net, x, options);
		} finally {
			x.dispose();
		}
	}

	/** Whether the kept outputs are those of `key` and hold `id`. */
	hasTap(id: string, key: string): boolean {
		const t = this.#taps.get(id);
		return !!t && !t.isDisposed && this.#tapsKey === key;
	}

	/** Every kept output, batch item 0, as PyTorch lays it out: [C, H, W]. */
	async readTaps(): Promise<Map<string, TapValues>> {
		const out = new Map<string, TapValues>();
		for (const [id, t] of this.#taps) {
			const [, h, w, c] = t.shape;
			const data = (await t.data()) as Float32Array;
			out.set(id, { shape: [c, h, w], data: nhwcToChw(data, h, w, c) });
		}
		return out;
	}

	/** The feature maps of a kept output, normalised on the device; null when not kept. */
	async featureMaps(id: string): Promise<FeatureMaps | null> {
		const t = this.#taps.get(id);
		if (!t || t.isDisposed) return null;
		return readFeatureMaps(this.tf, t);
	}

	clearTaps(): void {
		for (const t of this.#taps.values()) if (!t.isDisposed) t.dispose();
		this.#taps = new Map();
		this.#tapsKey = '';
	}

	/** Frees the compiled network and the kept outputs. */
	dispose(): void {
		this.clearTaps();
		if (this.#net) {
			try {
				this.#net.net.dispose();
			} catch {
				// a lost device cannot free its buffers; they are gone anyway
			}
			this.#net = null;
		}
	}
}
