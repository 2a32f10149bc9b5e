/**
 * BlockGraph + weights → a tfjs forward function (DESIGN §4).
 *
 * - tf is passed in (Node gives tfjs with its cpu/wasm backends, the browser its own instance;
 *   `@tensorflow/tfjs` or just `@tensorflow/tfjs-core` both fit); only types are imported here, so the calculator never loads tfjs.
 * - NHWC inside. Every BatchNorm is folded into the convolution before it, once, in JS:
 *   W' = W·γ/√(var+ε) per output channel, b' = (b − mean)·γ/√(var+ε) + β.
 * - `tf.fused.conv2d` with bias, and with ReLU where a ReLU directly follows the BN (a block's
 *   last ReLU comes after the add: conv+bias, add, relu). Padding is explicit and symmetric, as
 *   in PyTorch (never 'same'); max pool 3×3/2 pad 1 ignores the padding (−∞ semantics).
 * - Grouped convolutions: tfjs has no `groups`; the input is split into groups, each convolved,
 *   the results concatenated (see `GroupedMode`).
 * - Option-A shortcuts: x[:, ::s, ::s, :], then zero channels appended at the end.
 * - Flatten head: NHWC → NCHW before flattening, so the fc weight order is PyTorch's C,H,W.
 * - The ResNet family (timm): a BatchNorm that follows no convolution (pre-activation's norm1 and
 *   final norm, after an add or a pool) is its affine map x·γ/√(var+ε) + β − mean·γ/√(var+ε)
 *   (`uploadStandaloneNorms`); the D shortcut's average pool is ceil mode without the padding
 *   counted (`averagePoolCeil`); ECA's 1-D conv runs across the channels (`channelConv1d`);
 *   SE's gate multiplies per channel (`scale`).
 *
 * Taps: any node id; a tap's value is that node's output as PyTorch's module gives it, NHWC:
 * a conv id is the raw convolution (before BN; computed with unfolded weights, uploaded the
 * first time such a tap is asked for), a BN id is conv+BN before the ReLU, avgpool/flatten/fc
 * are [N, 1, 1, features].
 *
 * Explanations (`cut`): the network split at one node, the rest differentiable. Its convolutions
 * carry their own gradient (`convWithInputGradient`: with respect to the input only, as forward
 * convolutions; tfjs's `fused.conv2d` gradient computes the filter's gradient eagerly and wasm has
 * no Conv2DBackpropFilter), grouped ones split per group (wasm has no depthwise input gradient),
 * and option A's subsampling has one too (StridedSlice has none in tfjs). The weights are
 * constants: no gradient reaches them.
 */
import type * as tfType from '@tensorflow/tfjs-core';
import type { BlockGraph, GraphNode } from '../arch/graph';
import { WeightsListError, checkWeights, type TensorMap } from '../weights/index';

type TF = typeof tfType;

export interface CompiledNet {
	graph: BlockGraph;
	/** input: NHWC float32, already normalised. Returns tensors the caller must dispose. Taps are NHWC. */
	forward(
		input: tfType.Tensor4D,
		taps?: readonly string[]
	): { logits: tfType.Tensor2D; taps: Map<string, tfType.Tensor4D> };
	/**
	 * The network cut at `at` (a node id, or 'input'): `a` = that node's output (as a tap gives
	 * it), computed on the fast path; `rest(a)` = the logits [N, classes] from it, differentiable
	 * with respect to `a`. Call inside `tf.tidy`: every tensor made is the caller's to free.
	 */
	cut(
		input: tfType.Tensor4D,
		at: string
	): { a: tfType.Tensor4D; rest: (a: tfType.Tensor4D) => tfType.Tensor2D };
	dispose(): void;
}

/** A tap that names no node of the graph. */
export class TapError extends Error {
	readonly tap: string;
	constructor(tap: string, graph: BlockGraph) {
		super(
			`unknown node id "${tap}" in taps (e.g. ${graph.nodes
				.slice(1, 4)
				.map((n) => n.id)
				.join(', ')}, fc)`
		);
		this.name = 'TapError';
		this.tap = tap;
	}
}

/** A problem with the input tensor given to forward. */
export class InputShapeError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'InputShapeError';
	}
}

/**
 * How grouped convolutions run: 'split' (one conv per group, concatenated) or 'depthwise'
 * (one depthwise conv with a channel multiplier of out/groups, then a sum over each group's
 * inputs: the same MACs in one op, with an intermediate map out/groups times wider). Both are
 * exact. 'auto' (the default) picks depthwise where a group has at most 8 output channels
 * (ResNeXt's 4 or 8): in Node it is 3.2× faster than split on wasm, and equal on cpu
 * (resnext50_32x4d at 112×112; docs/benchmarks.md, `npm run bench:runtime-node`).
 */
export type GroupedMode = 'split' | 'depthwise' | 'auto';

export interface CompileOptions {
	grouped?: GroupedMode;
	/** Told after each layer's weights are uploaded (convolutions and fully connected layers). */
	onProgress?: (done: number, total: number) => void;
}

type ConvNode = Extract<GraphNode, { op: 'conv2d' }>;
type BnNode = Extract<GraphNode, { op: 'batchnorm' }>;
type LinearNode = Extract<GraphNode, { op: 'linear' }>;
type Pad = 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface ConvPlan {
	node: ConvNode;
	bn: BnNode | null;
	/** The ReLU directly after the BN, if any. */
	relu: GraphNode | null;
	/** Folded filter, [k, k, in/g, out] (split: one per group; depthwise: [k, k, in, out/g]). */
	filters: tfType.Tensor4D[];
	bias: tfType.Tensor1D;
	raw: { filters: tfType.Tensor4D[]; bias: tfType.Tensor1D | null } | null;
}

/** A BatchNorm as y = x·scale + shift. */
interface Affine {
	scale: tfType.Tensor1D;
	shift: tfType.Tensor1D;
}

/** The uploaded network: what `forward` reads. */
interface Uploaded {
	plans: Map<string, ConvPlan>;
	fcs: Map<string, { w: tfType.Tensor2D; b: tfType.Tensor1D }>;
	/** BatchNorms that follow no convolution (pre-activation), as affine maps. */
	norms: Map<string, Affine>;
	/** ECA's 1-D filters, [kernel, 1, 1]. */
	conv1d: Map<string, tfType.Tensor3D>;
}

/**
 * Compiles a graph with its weights. Throws `WeightsListError` (every problem, named) when the
 * weights do not fit; uploads nothing in that case.
 *
 * Phases: check the weights → fold each BatchNorm into its convolution and upload the filters
 * (`uploadConvolutions`) → upload the fully connected layers (`uploadLinear`) → a `forward`
 * that walks the graph in order (`runNode` per node, `convolve` for every convolution).
 */
export function compile(
	tf: TF,
	graph: BlockGraph,
	tensors: TensorMap,
	options: CompileOptions = {}
): CompiledNet {
	const errors = checkWeights(graph, tensors);
	if (errors.length) throw new WeightsListError(errors);
	const mode = groupedModeOf(options.grouped ?? 'auto');
	const store = new TensorStore(tf);
	let uploaded: Uploaded;
	try {
		const total = graph.nodes.filter((n) => n.op === 'conv2d' || n.op === 'linear').length;
		let done = 0;
		const progress = options.onProgress ? () => options.onProgress!(++done, total) : () => undefined;
		const plans = uploadConvolutions(store, graph, tensors, mode, progress);
		uploaded = {
			plans,
			fcs: uploadLinear(store, graph, tensors, progress),
			norms: uploadStandaloneNorms(store, graph, tensors, plans),
			conv1d: uploadConv1d(store, graph, tensors)
		};
	} catch (e) {
		store.dispose();
		throw e;
	}
	// Raw (unfolded) filters for a tap of a convolution's own output, uploaded on first request.
	const rawOf = (plan: ConvPlan) => {
		if (!plan.raw) {
			const n = plan.node;
			plan.raw = {
				filters: uploadFilters(store, n, tensors.get(`${n.id}.weight`)!.data, mode(n)),
				bias: n.bias ? store.keep(tf.tensor1d(tensors.get(`${n.id}.bias`)!.data)) : null
			};
		}
		return plan.raw;
	};

	// Per-group filters for the differentiable path, where 'depthwise' mode uploaded one filter.
	const splitFilters = new Map<string, tfType.Tensor4D[]>();
	const splitOf = (plan: ConvPlan) => {
		const n = plan.node;
		if (n.groups === 1 || mode(n) === 'split') return plan.filters;
		let fs = splitFilters.get(n.id);
		if (!fs) {
			const w = tensors.get(`${n.id}.weight`)!.data;
			const b = n.bias ? tensors.get(`${n.id}.bias`)!.data : new Float32Array(n.outShape[0]);
			const folded = plan.bn ? foldBatchNorm(w, b, bnParams(tensors, plan.bn)) : { weight: w, bias: b };
			fs = uploadFilters(store, n, folded.weight, 'split');
			splitFilters.set(n.id, fs);
		}
		return fs;
	};
	// A BatchNorm as y = x·scale + shift, for a cut at its convolution (which then runs unfolded).
	const affines = new Map<string, Affine>(uploaded.norms);
	const affineOf = (bn: BnNode) => {
		let a = affines.get(bn.id);
		if (!a) {
			a = uploadAffine(store, tensors, bn);
			affines.set(bn.id, a);
		}
		return a;
	};

	// Each filter as its convolution's input gradient needs it (`gradientFilter`), made on first use.
	const gradFilters = new Map<tfType.Tensor4D, tfType.Tensor4D>();
	const gradFilterOf = (f: tfType.Tensor4D, stride: number) => {
		let t = gradFilters.get(f);
		if (!t) {
			t = store.keep(tf.tidy(() => gradientFilter(tf, f, stride)));
			gradFilters.set(f, t);
		}
		return t;
	};

	let disposed = false;
	return {
		graph,
		forward(input, taps = []) {
			if (disposed) throw new Error('this network was disposed');
			checkInput(graph, input);
			const wanted = [...new Set(taps)];
			for (const t of wanted) if (!graph.byId.has(t)) throw new TapError(t, graph);
			const tapSet = new Set(wanted);
			const result = tf.tidy(() => {
				const values = new Map<string, tfType.Tensor4D>([['input', input]]);
				let logits: tfType.Tensor2D | null = null;
				for (const n of graph.nodes) {
					if (values.has(n.id)) continue;
					const y = runNode(tf, n, values, uploaded, tapSet, rawOf, mode);
					if (y && n.id === graph.output) logits = y;
				}
				if (!logits) throw new Error(`${graph.output} produced no logits`);
				const tapped = wanted.map((id) => (id === 'input' ? tf.clone(input) : values.get(id)!));
				return { logits, tapped };
			});
			return { logits: result.logits, taps: new Map(wanted.map((id, i) => [id, result.tapped[i]])) };
		},
		cut(input, at) {
			if (disposed) throw new Error('this network was disposed');
			checkInput(graph, input);
			if (!graph.byId.has(at)) throw new TapError(at, graph);
			const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
			const cutAt = index.get(at)!;
			const before = new Map<string, tfType.Tensor4D>([['input', input]]);
			for (const n of graph.nodes) {
				if (before.has(at)) break;
				if (before.has(n.id)) continue;
				runNode(tf, n, before, uploaded, new Set([at]), rawOf, mode);
			}
			// A fused convolution may have filled its BN and ReLU past the cut: recomputed from `a`.
			for (const id of [...before.keys()]) if (index.get(id)! > cutAt) before.delete(id);
			const a = before.get(at)!;
			const rest = (cutValue: tfType.Tensor4D) => {
				const values = new Map(before);
				values.set(at, cutValue);
				let logits: tfType.Tensor2D | null =
					at === graph.output ? (tf.reshape(cutValue, [cutValue.shape[0], -1]) as tfType.Tensor2D) : null;
				for (const n of graph.nodes.slice(cutAt + 1)) {
					if (values.has(n.id)) continue;
					const y = runNodeDifferentiable(tf, n, values, uploaded, splitOf, affineOf, gradFilterOf);
					if (y && n.id === graph.output) logits = y;
				}
				if (!logits) throw new Error(`${graph.output} produced no logits`);
				return logits;
			};
			return { a, rest };
		},
		dispose() {
			if (disposed) return;
			disposed = true;
			store.dispose();
		}
	};
}

/** 'auto' picks depthwise where a group has at most 8 output channels (see `GroupedMode`). */
function groupedModeOf(mode: GroupedMode) {
	return (node: { groups: number; outShape: readonly number[] }): 'split' | 'depthwise' =>
		mode === 'auto' ? (node.outShape[0] / node.groups <= 8 ? 'depthwise' : 'split') : mode;
}

/** The tensors a compiled network owns, freed together. `keep` lets one outlive `tf.tidy`. */
class TensorStore {
	readonly #held: tfType.Tensor[] = [];
	constructor(readonly tf: TF) {}
	keep<T extends tfType.Tensor>(t: T): T {
		this.#held.push(this.tf.keep(t));
		return t;
	}
	dispose(): void {
		for (const t of this.#held) t.dispose();
		this.#held.length = 0;
	}
}

function checkInput(graph: BlockGraph, input: tfType.Tensor4D): void {
	const [c, h, w] = graph.nodes[0].outShape;
	if (input.rank !== 4 || input.shape[1] !== h || input.shape[2] !== w || input.shape[3] !== c)
		throw new InputShapeError(`input must be NHWC [N, ${h}, ${w}, ${c}], got [${input.shape.join(', ')}]`);
}

/** The single consumer of each node that has exactly one (the BN after a conv, the ReLU after a BN). */
function singleConsumers(graph: BlockGraph): (id: string) => GraphNode | null {
	const consumers = new Map<string, GraphNode[]>();
	for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
	return (id) => {
		const c = consumers.get(id) ?? [];
		return c.length === 1 ? c[0] : null;
	};
}

/**
 * Folds a BatchNorm into the convolution before it, per output channel:
 * W' = W·γ/√(var+ε), b' = (b − mean)·γ/√(var+ε) + β. Pure.
 */
function foldBatchNorm(
	w: Float32Array,
	b: Float32Array,
	bn: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array; eps: number }
): { weight: Float32Array; bias: Float32Array } {
	const out = b.length;
	const weight = new Float32Array(w.length);
	const bias = new Float32Array(out);
	const per = w.length / out;
	for (let o = 0; o < out; o++) {
		const s = bn.gamma[o] / Math.sqrt(bn.variance[o] + bn.eps);
		for (let j = o * per; j < (o + 1) * per; j++) weight[j] = w[j] * s;
		bias[o] = (b[o] - bn.mean[o]) * s + bn.beta[o];
	}
	return { weight, bias };
}

function bnParams(tensors: TensorMap, bn: BnNode) {
	const get = (key: string) => tensors.get(key)!.data;
	return {
		gamma: get(`${bn.id}.weight`),
		beta: get(`${bn.id}.bias`),
		mean: get(`${bn.id}.running_mean`),
		variance: get(`${bn.id}.running_var`),
		eps: bn.eps
	};
}

/** Phase 1: every convolution, with the BatchNorm after it folded in, and the ReLU after that noted. */
function uploadConvolutions(
	store: TensorStore,
	graph: BlockGraph,
	tensors: TensorMap,
	mode: ReturnType<typeof groupedModeOf>,
	progress: () => void
): Map<string, ConvPlan> {
	const tf = store.tf;
	const get = (key: string) => tensors.get(key)!.data;
	const only = singleConsumers(graph);
	const plans = new Map<string, ConvPlan>();
	for (const n of graph.nodes) {
		if (n.op !== 'conv2d') continue;
		const next = only(n.id);
		const bn = next && next.op === 'batchnorm' ? next : null;
		const afterBn = bn ? only(bn.id) : null;
		const relu = afterBn && afterBn.op === 'relu' ? afterBn : null;
		const w = get(`${n.id}.weight`);
		const b = n.bias ? get(`${n.id}.bias`) : new Float32Array(n.outShape[0]);
		const folded = bn ? foldBatchNorm(w, b, bnParams(tensors, bn)) : { weight: w, bias: b };
		plans.set(n.id, {
			node: n,
			bn,
			relu,
			filters: uploadFilters(store, n, folded.weight, mode(n)),
			bias: store.keep(tf.tensor1d(folded.bias)),
			raw: null
		});
		progress();
	}
	return plans;
}

/** A BatchNorm's affine map y = x·scale + shift: scale = γ/√(var+ε), shift = β − mean·scale. */
function uploadAffine(store: TensorStore, tensors: TensorMap, bn: BnNode): Affine {
	const p = bnParams(tensors, bn);
	const scale = p.gamma.map((g, o) => g / Math.sqrt(p.variance[o] + p.eps));
	const shift = p.beta.map((b, o) => b - p.mean[o] * scale[o]);
	return { scale: store.keep(store.tf.tensor1d(scale)), shift: store.keep(store.tf.tensor1d(shift)) };
}

/**
 * The BatchNorms no convolution's plan folded (pre-activation's norm1 after an add or a pool, its
 * final norm): affine maps, run as ops. The ReLU after them runs as its own op.
 */
function uploadStandaloneNorms(
	store: TensorStore,
	graph: BlockGraph,
	tensors: TensorMap,
	plans: Map<string, ConvPlan>
): Map<string, Affine> {
	const folded = new Set([...plans.values()].flatMap((p) => (p.bn ? [p.bn.id] : [])));
	const norms = new Map<string, Affine>();
	for (const n of graph.nodes)
		if (n.op === 'batchnorm' && !folded.has(n.id)) norms.set(n.id, uploadAffine(store, tensors, n));
	return norms;
}

/** ECA's Conv1d(1, 1, k) weights [1, 1, k] as tfjs conv1d filters [k, 1, 1] (the same cross-correlation). */
function uploadConv1d(store: TensorStore, graph: BlockGraph, tensors: TensorMap): Uploaded['conv1d'] {
	const out: Uploaded['conv1d'] = new Map();
	for (const n of graph.nodes)
		if (n.op === 'conv1d')
			out.set(n.id, store.keep(store.tf.tensor3d(tensors.get(`${n.id}.weight`)!.data, [n.kernel, 1, 1])));
	return out;
}

/** Phase 2: fully connected layers, their weight transposed to [in, out] for matMul. */
function uploadLinear(
	store: TensorStore,
	graph: BlockGraph,
	tensors: TensorMap,
	progress: () => void
): Uploaded['fcs'] {
	const tf = store.tf;
	const fcs: Uploaded['fcs'] = new Map();
	for (const n of graph.nodes) {
		if (n.op !== 'linear') continue;
		const w = tensors.get(`${n.id}.weight`)!.data;
		const wt = new Float32Array(w.length);
		for (let o = 0; o < n.outFeatures; o++)
			for (let i = 0; i < n.inFeatures; i++) wt[i * n.outFeatures + o] = w[o * n.inFeatures + i];
		const b = n.bias ? tensors.get(`${n.id}.bias`)!.data : new Float32Array(n.outFeatures);
		fcs.set(n.id, {
			w: store.keep(tf.tensor2d(wt, [n.inFeatures, n.outFeatures])),
			b: store.keep(tf.tensor1d(b))
		});
		progress();
	}
	return fcs;
}

/** PyTorch [out, in/g, k, k] → tfjs filters for the grouped mode, uploaded. */
function uploadFilters(
	store: TensorStore,
	node: ConvNode,
	w: Float32Array,
	mode: 'split' | 'depthwise'
): tfType.Tensor4D[] {
	const tf = store.tf;
	const g = node.groups;
	const inG = node.inShape[0] / g;
	const outG = node.outShape[0] / g;
	const k = node.kernel;
	if (g === 1 || mode === 'split') {
		const fs: tfType.Tensor4D[] = [];
		for (let gi = 0; gi < g; gi++) {
			const f = new Float32Array(k * k * inG * outG);
			for (let o = 0; o < outG; o++)
				for (let i = 0; i < inG; i++)
					for (let y = 0; y < k; y++)
						for (let x = 0; x < k; x++)
							f[((y * k + x) * inG + i) * outG + o] = w[(((gi * outG + o) * inG + i) * k + y) * k + x];
			fs.push(store.keep(tf.tensor4d(f, [k, k, inG, outG])));
		}
		return fs;
	}
	// depthwise: input channel c = gi·inG + i, multiplier m = o (output gi·outG + o).
	const f = new Float32Array(k * k * g * inG * outG);
	for (let gi = 0; gi < g; gi++)
		for (let o = 0; o < outG; o++)
			for (let i = 0; i < inG; i++)
				for (let y = 0; y < k; y++)
					for (let x = 0; x < k; x++)
						f[((y * k + x) * (g * inG) + gi * inG + i) * outG + o] =
							w[(((gi * outG + o) * inG + i) * k + y) * k + x];
	return [store.keep(tf.tensor4d(f, [k, k, g * inG, outG]))];
}

/** PyTorch's symmetric padding as tfjs's explicit padding. */
export function padOf(p: number): Pad {
	return p === 0
		? 'valid'
		: [
				[0, 0],
				[p, p],
				[p, p],
				[0, 0]
			];
}

/** One convolution (explicit symmetric padding, as PyTorch), grouped as the mode says. */
function convolve(
	tf: TF,
	x: tfType.Tensor4D,
	node: ConvNode,
	filters: tfType.Tensor4D[],
	bias: tfType.Tensor1D | null,
	activation: 'relu' | 'linear',
	mode: 'split' | 'depthwise'
): tfType.Tensor4D {
	const pad = padOf(node.padding);
	const g = node.groups;
	const one = (
		xi: tfType.Tensor4D,
		f: tfType.Tensor4D,
		b: tfType.Tensor1D | undefined,
		act: 'relu' | 'linear'
	) => tf.fused.conv2d({ x: xi, filter: f, strides: node.stride, pad, bias: b, activation: act });
	if (g === 1) return one(x, filters[0], bias ?? undefined, activation);
	let y: tfType.Tensor4D;
	if (mode === 'split') {
		const xs = tf.split(x, g, 3);
		y = tf.concat(
			xs.map((xi, gi) => one(xi as tfType.Tensor4D, filters[gi], undefined, 'linear')),
			3
		);
	} else {
		const outG = filters[0].shape[3];
		const cin = node.inShape[0];
		const dw = tf.depthwiseConv2d(x, filters[0], node.stride, pad);
		const [n, h, w] = dw.shape;
		const summed = tf.sum(tf.reshape(dw, [n, h, w, g, cin / g, outG]), 4);
		y = tf.reshape(summed, [n, h, w, g * outG]) as tfType.Tensor4D;
	}
	if (bias) y = tf.add(y, bias);
	return activation === 'relu' ? tf.relu(y) : y;
}

/**
 * Phase 3, per node: computes `n`'s output into `values` (a convolution may also fill its BN and
 * ReLU, fused). Returns the logits when `n` is the network's output layer.
 */
function runNode(
	tf: TF,
	n: GraphNode,
	values: Map<string, tfType.Tensor4D>,
	net: Uploaded,
	tapSet: Set<string>,
	rawOf: (plan: ConvPlan) => { filters: tfType.Tensor4D[]; bias: tfType.Tensor1D | null },
	mode: ReturnType<typeof groupedModeOf>
): tfType.Tensor2D | null {
	const x = values.get(n.inputs[0])!;
	switch (n.op) {
		case 'conv2d': {
			const plan = net.plans.get(n.id)!;
			const m = mode(n);
			if (tapSet.has(n.id)) {
				const raw = rawOf(plan);
				values.set(n.id, convolve(tf, x, n, raw.filters, raw.bias, 'linear', m));
			}
			if (!plan.bn) {
				if (!values.has(n.id)) values.set(n.id, convolve(tf, x, n, plan.filters, plan.bias, 'linear', m));
			} else if (plan.relu && !tapSet.has(plan.bn.id)) {
				const y = convolve(tf, x, n, plan.filters, plan.bias, 'relu', m);
				values.set(plan.relu.id, y);
				values.set(plan.bn.id, y); // never read: BN's only consumer is the ReLU
			} else values.set(plan.bn.id, convolve(tf, x, n, plan.filters, plan.bias, 'linear', m));
			return null;
		}
		case 'batchnorm': {
			// folded into its convolution's plan unless it follows none (pre-activation)
			const a = net.norms.get(n.id);
			if (!a) throw new Error(`${n.id}: BatchNorm neither folded nor standalone`);
			values.set(n.id, tf.add(tf.mul(x, a.scale), a.shift));
			return null;
		}
		case 'avgpool2d':
			values.set(n.id, averagePoolCeil(tf, x, n));
			return null;
		case 'conv1d':
			values.set(n.id, channelConv1d(tf, x, net.conv1d.get(n.id)!, n.padding));
			return null;
		case 'sigmoid':
			values.set(n.id, tf.sigmoid(x));
			return null;
		case 'scale':
			values.set(n.id, tf.mul(x, values.get(n.inputs[1])!));
			return null;
		case 'relu':
			values.set(n.id, tf.relu(x));
			return null;
		case 'maxpool':
			values.set(n.id, tf.maxPool(x, n.kernel, n.stride, n.padding));
			return null;
		case 'add':
			values.set(n.id, tf.add(x, values.get(n.inputs[1])!));
			return null;
		case 'zeropad':
			values.set(n.id, optionAShortcut(tf, x, n.stride, n.padChannels));
			return null;
		case 'avgpool':
			values.set(n.id, tf.mean(x, [1, 2], true));
			return null;
		case 'flatten': {
			const nchw = tf.transpose(x, [0, 3, 1, 2]);
			values.set(n.id, tf.reshape(nchw, [x.shape[0], 1, 1, n.outShape[0]]));
			return null;
		}
		case 'linear':
			return linear(tf, x, n, net.fcs.get(n.id)!, values);
		case 'input':
			return null;
	}
}

/**
 * The differentiable twin of `runNode`, for the part of a network after a cut: a convolution is
 * `convWithInputGradient` (BN folded in, the ReLU after it fused where the fast path fuses it;
 * per group when grouped), a BN whose convolution was the cut is its affine map; option A
 * subsamples with `subsampleWithGradient`.
 */
function runNodeDifferentiable(
	tf: TF,
	n: GraphNode,
	values: Map<string, tfType.Tensor4D>,
	net: Uploaded,
	splitOf: (plan: ConvPlan) => tfType.Tensor4D[],
	affineOf: (bn: BnNode) => { scale: tfType.Tensor1D; shift: tfType.Tensor1D },
	gradFilterOf: (filter: tfType.Tensor4D, stride: number) => tfType.Tensor4D
): tfType.Tensor2D | null {
	const x = values.get(n.inputs[0])!;
	switch (n.op) {
		case 'conv2d': {
			const plan = net.plans.get(n.id)!;
			const filters = splitOf(plan);
			const conv = (xi: tfType.Tensor4D, f: tfType.Tensor4D, b: tfType.Tensor1D | null, relu: boolean) =>
				convWithInputGradient(tf, xi, f, b, relu, n.stride, n.padding, gradFilterOf);
			if (filters.length === 1) {
				// conv + BN (+ ReLU) in one op, as on the fast path
				const y = conv(x, filters[0], plan.bias, !!plan.relu);
				values.set(plan.bn ? plan.bn.id : n.id, y);
				if (plan.relu) values.set(plan.relu.id, y); // the BN's value is then never read
				return null;
			}
			const parts = (tf.split(x, filters.length, 3) as tfType.Tensor4D[]).map((xi, gi) =>
				conv(xi, filters[gi], null, false)
			);
			const y = tf.add(tf.concat(parts, 3), plan.bias) as tfType.Tensor4D;
			values.set(plan.bn ? plan.bn.id : n.id, y);
			return null;
		}
		case 'batchnorm': {
			const { scale, shift } = affineOf(n);
			values.set(n.id, tf.add(tf.mul(x, scale), shift));
			return null;
		}
		case 'zeropad': {
			const sub = n.stride === 1 ? x : subsampleWithGradient(tf, x, n.stride);
			values.set(n.id, optionAShortcut(tf, sub, 1, n.padChannels));
			return null;
		}
		default:
			return runNode(
				tf,
				n,
				values,
				net,
				new Set(),
				() => {
					throw new Error('unreachable: convolutions are handled above');
				},
				() => 'split'
			);
	}
}

/**
 * The filter an input gradient convolves dy with. Stride 1 (or a 1×1 kernel): the filter flipped
 * and transposed, [k, k, out, in]. Stride s > 1 with k > 1, polyphase: the s² phases ρ = (ρy, ρx)
 * of the flipped filter, W_ρ[v] = W[s·(U − 1 − v) + ρ] (U = ⌈k/s⌉, zero past k), side by side
 * on the output channels in depth-to-space order: [U, U, out, s²·in].
 */
function gradientFilter(tf: TF, f: tfType.Tensor4D, stride: number): tfType.Tensor4D {
	const flipT = (w: tfType.Tensor4D) => tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]);
	const [k, , cin, cout] = f.shape;
	if (stride === 1 || k === 1) return flipT(f);
	const u = Math.ceil(k / stride);
	const side = stride * u;
	const padded = tf.pad(f, [
		[0, side - k],
		[0, side - k],
		[0, 0],
		[0, 0]
	]);
	const phases: tfType.Tensor4D[] = [];
	for (let ry = 0; ry < stride; ry++)
		for (let rx = 0; rx < stride; rx++)
			phases.push(
				flipT(
					tf.stridedSlice(
						padded,
						[ry, rx, 0, 0],
						[side, side, cin, cout],
						[stride, stride, 1, 1]
					) as tfType.Tensor4D
				)
			);
	return tf.concat(phases, 3);
}

/**
 * A convolution (PyTorch's symmetric padding; with a bias and a ReLU, fused, when given) whose
 * gradient with respect to x is itself a forward convolution, after dy·[y > 0] for the ReLU:
 * stride 1: dy padded by k − 1 − p, convolved with the flipped, transposed filter; 1×1 with a
 * stride: that on the small grid, spread with zeros; k > 1 with stride s: one stride-1
 * convolution with the s² polyphase filters (`gradientFilter`), then depth-to-space and a crop
 * (rather than convolving a dy dilated with zeros, s² times the work). No filter gradient is ever
 * asked for, and tfjs's own Conv2DBackpropInput (a plain loop in the wasm backend, ≈ 10× the
 * forward's XNNPACK convolution on resnet50) is never used.
 */
export function convWithInputGradient(
	tf: TF,
	x: tfType.Tensor4D,
	filter: tfType.Tensor4D,
	bias: tfType.Tensor1D | null,
	relu: boolean,
	stride: number,
	padding: number,
	gradFilterOf: (filter: tfType.Tensor4D, stride: number) => tfType.Tensor4D
): tfType.Tensor4D {
	const k = filter.shape[0];
	// Every ResNet convolution fits (k = 1, p = 0; k = 3, p = 1; k = 7, p = 3; s ≤ 2).
	if (k === 1 ? padding !== 0 : padding > k - stride)
		throw new Error(
			`no input gradient for a ${k}×${k} convolution with stride ${stride} and padding ${padding}`
		);
	const conv = tf.customGrad(((xt: tfType.Tensor4D, save: (ts: tfType.Tensor[]) => void) => {
		const [, h, w] = xt.shape;
		const value = tf.fused.conv2d({
			x: xt,
			filter,
			strides: stride,
			pad: padOf(padding),
			bias: bias ?? undefined,
			activation: relu ? 'relu' : 'linear'
		});
		if (relu) save([value]);
		return {
			value,
			gradFunc: (dy: tfType.Tensor, saved: tfType.Tensor[]) => {
				const d = (relu ? tf.mul(dy, tf.step(saved[0])) : dy) as tfType.Tensor4D;
				const g = gradFilterOf(filter, stride);
				const n = d.shape[0];
				const lead = k - 1 - padding;
				if (k === 1) return fitTo(tf, dilate(tf, tf.conv2d(d, g, 1, 'valid'), stride), h, w);
				const explicit = (t: number, b: number, l: number, r: number): Exclude<Pad, 'valid'> => [
					[0, 0],
					[t, b],
					[l, r],
					[0, 0]
				];
				if (stride === 1) return tf.conv2d(d, g, 1, explicit(lead, lead, lead, lead));
				// polyphase: row m of phase ρ is dx at s·m + ρ − padding, for m < mh (and mw)
				const u = Math.ceil(k / stride);
				const [, ho, wo] = d.shape;
				const mh = Math.ceil((padding + h) / stride);
				const mw = Math.ceil((padding + w) / stride);
				// ho ≤ mh as p ≤ k − s: dy's bottom and right padding are never negative
				const phases = tf.conv2d(d, g, 1, explicit(u - 1, mh - ho, u - 1, mw - wo));
				const cin = g.shape[3] / (stride * stride);
				return tf.slice(tf.depthToSpace(phases, stride), [0, padding, padding, 0], [n, h, w, cin]);
			}
		};
	}) as unknown as Parameters<TF['customGrad']>[0]);
	return conv(x) as tfType.Tensor4D;
}

/** x[:, ::s, ::s, :] with a gradient (tfjs has none for StridedSlice): dy spread with zeros. */
export function subsampleWithGradient(tf: TF, x: tfType.Tensor4D, s: number): tfType.Tensor4D {
	const f = tf.customGrad(((xt: tfType.Tensor4D) => {
		const [n, h, w, c] = xt.shape;
		return {
			value: tf.stridedSlice(xt, [0, 0, 0, 0], [n, h, w, c], [1, s, s, 1]),
			gradFunc: (dy: tfType.Tensor) => fitTo(tf, dilate(tf, dy as tfType.Tensor4D, s), h, w)
		};
	}) as unknown as Parameters<TF['customGrad']>[0]);
	return f(x) as tfType.Tensor4D;
}

/** Zeros between rows and between columns: [n, h, w, c] → [n, h·s, w·s, c], x at (i·s, j·s). */
function dilate(tf: TF, x: tfType.Tensor4D, s: number): tfType.Tensor4D {
	if (s === 1) return x;
	const [n, h, w, c] = x.shape;
	const after = (axis: number): [number, number][] => [0, 1, 2, 3].map((a) => [0, a === axis ? s - 1 : 0]);
	const rows = tf.pad(tf.reshape(x, [n, h, 1, w * c]), after(2));
	const cols = tf.pad(tf.reshape(rows, [n * h * s, w, 1, c]), after(2));
	return tf.reshape(cols, [n, h * s, w * s, c]);
}

/** Zeros appended below and to the right, or rows and columns cropped there, to height × width. */
function fitTo(tf: TF, x: tfType.Tensor4D, height: number, width: number): tfType.Tensor4D {
	const [n, h, w, c] = x.shape;
	const y =
		h > height || w > width ? tf.slice(x, [0, 0, 0, 0], [n, Math.min(h, height), Math.min(w, width), c]) : x;
	const [, h2, w2] = y.shape;
	return h2 < height || w2 < width
		? tf.pad(y, [
				[0, 0],
				[0, height - h2],
				[0, width - w2],
				[0, 0]
			])
		: y;
}

/**
 * nn.AvgPool2d(k, s, padding=0, ceil_mode=True, count_include_pad=False) (shortcut D), to the
 * graph's output size: the input padded with zeros below and to the right up to the last window,
 * each window's sum divided by the number of its positions inside the input (a window that hangs
 * over the edge averages only what it covers). Windows that tile (k = s, timm's case) are summed
 * by a reshape, differentiable on every backend; others by avgPool × k².
 */
export function averagePoolCeil(
	tf: TF,
	x: tfType.Tensor4D,
	node: Extract<GraphNode, { op: 'avgpool2d' }>
): tfType.Tensor4D {
	const { kernel: k, stride: s } = node;
	const [n, h, w, c] = x.shape;
	const [, oh, ow] = node.outShape;
	const ph = (oh - 1) * s + k;
	const pw = (ow - 1) * s + k;
	const padded =
		ph > h || pw > w
			? tf.pad(x, [
					[0, 0],
					[0, Math.max(0, ph - h)],
					[0, Math.max(0, pw - w)],
					[0, 0]
				])
			: x;
	const sums =
		k === s
			? tf.sum(tf.reshape(tf.slice(padded, [0, 0, 0, 0], [n, ph, pw, c]), [n, oh, k, ow, k, c]), [2, 4])
			: tf.mul(tf.avgPool(padded, k, s, 'valid'), k * k);
	return tf.div(sums, tf.tensor4d(windowCounts(h, w, oh, ow, k, s), [1, oh, ow, 1])) as tfType.Tensor4D;
}

/** How many input positions each k×k window (stride s, from the top left) covers: [oh · ow]. */
function windowCounts(h: number, w: number, oh: number, ow: number, k: number, s: number): Float32Array {
	const counts = new Float32Array(oh * ow);
	for (let i = 0; i < oh; i++)
		for (let j = 0; j < ow; j++)
			counts[i * ow + j] = (Math.min(i * s + k, h) - i * s) * (Math.min(j * s + k, w) - j * s);
	return counts;
}

/**
 * ECA's Conv1d(1, 1, k, padding) across the channels of a pooled map [N, 1, 1, C]: the channels
 * as a sequence of length C with one feature, zero-padded on both sides.
 */
export function channelConv1d(
	tf: TF,
	x: tfType.Tensor4D,
	filter: tfType.Tensor3D,
	padding: number
): tfType.Tensor4D {
	const [n, , , c] = x.shape;
	const seq = tf.pad(tf.reshape(x, [n, c, 1]) as tfType.Tensor3D, [
		[0, 0],
		[padding, padding],
		[0, 0]
	]);
	return tf.reshape(tf.conv1d(seq, filter, 1, 'valid'), [n, 1, 1, c]);
}

/** Option-A shortcut: x[:, ::s, ::s, :], then zero channels appended at the end. */
export function optionAShortcut(tf: TF, x: tfType.Tensor4D, stride: number, padChannels: number): tfType.Tensor4D {
	const [n, h, w, c] = x.shape;
	const y =
		stride === 1
			? x
			: (tf.stridedSlice(x, [0, 0, 0, 0], [n, h, w, c], [1, stride, stride, 1]) as tfType.Tensor4D);
	return padChannels > 0
		? tf.pad(y, [
				[0, 0],
				[0, 0],
				[0, 0],
				[0, padChannels]
			])
		: y;
}

/** A fully connected layer; its [N, out] result is the logits, kept as [N, 1, 1, out] for taps. */
function linear(
	tf: TF,
	x: tfType.Tensor4D,
	n: LinearNode,
	fc: { w: tfType.Tensor2D; b: tfType.Tensor1D },
	values: Map<string, tfType.Tensor4D>
): tfType.Tensor2D {
	const y = tf.add(tf.matMul(tf.reshape(x, [x.shape[0], n.inFeatures]), fc.w), fc.b) as tfType.Tensor2D;
	values.set(n.id, tf.reshape(y, [y.shape[0], 1, 1, n.outFeatures]));
	return y;
}
