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
 *
 * Taps: any node id; a tap's value is that node's output as PyTorch's module gives it, NHWC:
 * a conv id is the raw convolution (before BN; computed with unfolded weights, uploaded the
 * first time such a tap is asked for), a BN id is conv+BN before the ReLU, avgpool/flatten/fc
 * are [N, 1, 1, features].
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
}

interface ConvPlan {
	node: Extract<GraphNode, { op: 'conv2d' }>;
	bn: Extract<GraphNode, { op: 'batchnorm' }> | null;
	/** The ReLU directly after the BN, if any. */
	relu: GraphNode | null;
	/** Folded filter, [k, k, in/g, out] (split: one per group; depthwise: [k, k, in, out/g]). */
	filters: tfType.Tensor4D[];
	bias: tfType.Tensor1D;
	raw: { filters: tfType.Tensor4D[]; bias: tfType.Tensor1D | null } | null;
}

/**
 * Compiles a graph with its weights. Throws `WeightsListError` (every problem, named) when the
 * weights do not fit; uploads nothing in that case.
 */
export function compile(
	tf: TF,
	graph: BlockGraph,
	tensors: TensorMap,
	options: CompileOptions = {}
): CompiledNet {
	const errors = checkWeights(graph, tensors);
	if (errors.length) throw new WeightsListError(errors);
	const mode: GroupedMode = options.grouped ?? 'auto';
	const groupedMode = (node: { groups: number; outShape: readonly number[] }): 'split' | 'depthwise' =>
		mode === 'auto' ? (node.outShape[0] / node.groups <= 8 ? 'depthwise' : 'split') : mode;

	const consumers = new Map<string, GraphNode[]>();
	for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
	const only = (id: string) => {
		const c = consumers.get(id) ?? [];
		return c.length === 1 ? c[0] : null;
	};

	const held: tfType.Tensor[] = [];
	// tf.keep: raw filters for conv taps are made lazily inside forward's tidy and must outlive it.
	const keep = <T extends tfType.Tensor>(t: T): T => (held.push(tf.keep(t)), t);
	const get = (key: string) => tensors.get(key)!;

	/** PyTorch [out, in/g, k, k] → tfjs filters for the chosen grouped mode. */
	const filtersOf = (node: ConvPlan['node'], w: Float32Array): tfType.Tensor4D[] => {
		const out = node.outShape[0];
		const g = node.groups;
		const inG = node.inShape[0] / g;
		const outG = out / g;
		const k = node.kernel;
		if (g === 1 || groupedMode(node) === 'split') {
			const fs: tfType.Tensor4D[] = [];
			for (let gi = 0; gi < g; gi++) {
				const f = new Float32Array(k * k * inG * outG);
				for (let o = 0; o < outG; o++)
					for (let i = 0; i < inG; i++)
						for (let y = 0; y < k; y++)
							for (let x = 0; x < k; x++)
								f[((y * k + x) * inG + i) * outG + o] = w[(((gi * outG + o) * inG + i) * k + y) * k + x];
				fs.push(keep(tf.tensor4d(f, [k, k, inG, outG])));
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
		return [keep(tf.tensor4d(f, [k, k, g * inG, outG]))];
	};

	const plans = new Map<string, ConvPlan>();
	const bnOwner = new Map<string, string>();
	const fcs = new Map<string, { w: tfType.Tensor2D; b: tfType.Tensor1D }>();
	try {
		for (const n of graph.nodes) {
			if (n.op === 'conv2d') {
				const next = only(n.id);
				const bn = next && next.op === 'batchnorm' ? next : null;
				const afterBn = bn ? only(bn.id) : null;
				const relu = afterBn && afterBn.op === 'relu' ? afterBn : null;
				const out = n.outShape[0];
				const w = get(`${n.id}.weight`).data;
				const b0 = n.bias ? get(`${n.id}.bias`).data : new Float32Array(out);
				let wf = w;
				const bf = new Float32Array(out);
				if (bn) {
					const gamma = get(`${bn.id}.weight`).data;
					const beta = get(`${bn.id}.bias`).data;
					const mean = get(`${bn.id}.running_mean`).data;
					const variance = get(`${bn.id}.running_var`).data;
					wf = new Float32Array(w.length);
					const per = w.length / out;
					for (let o = 0; o < out; o++) {
						const s = gamma[o] / Math.sqrt(variance[o] + bn.eps);
						for (let j = o * per; j < (o + 1) * per; j++) wf[j] = w[j] * s;
						bf[o] = (b0[o] - mean[o]) * s + beta[o];
					}
					bnOwner.set(bn.id, n.id);
				} else bf.set(b0);
				plans.set(n.id, {
					node: n,
					bn,
					relu,
					filters: filtersOf(n, wf),
					bias: keep(tf.tensor1d(bf)),
					raw: null
				});
			} else if (n.op === 'batchnorm') {
				if (!bnOwner.has(n.id)) throw new Error(`${n.id}: a BatchNorm must follow a convolution`);
			} else if (n.op === 'linear') {
				const w = get(`${n.id}.weight`).data;
				const wt = new Float32Array(w.length);
				for (let o = 0; o < n.outFeatures; o++)
					for (let i = 0; i < n.inFeatures; i++) wt[i * n.outFeatures + o] = w[o * n.inFeatures + i];
				const b = n.bias ? get(`${n.id}.bias`).data : new Float32Array(n.outFeatures);
				fcs.set(n.id, {
					w: keep(tf.tensor2d(wt, [n.inFeatures, n.outFeatures])),
					b: keep(tf.tensor1d(b))
				});
			}
		}
	} catch (e) {
		for (const t of held) t.dispose();
		throw e;
	}

	const rawOf = (plan: ConvPlan) => {
		if (!plan.raw) {
			const n = plan.node;
			plan.raw = {
				filters: filtersOf(n, get(`${n.id}.weight`).data),
				bias: n.bias ? keep(tf.tensor1d(get(`${n.id}.bias`).data)) : null
			};
		}
		return plan.raw;
	};

	const conv = (
		x: tfType.Tensor4D,
		node: ConvPlan['node'],
		filters: tfType.Tensor4D[],
		bias: tfType.Tensor1D | null,
		activation: 'relu' | 'linear'
	): tfType.Tensor4D => {
		const p = node.padding;
		const pad: 'valid' | [[number, number], [number, number], [number, number], [number, number]] =
			p === 0
				? 'valid'
				: [
						[0, 0],
						[p, p],
						[p, p],
						[0, 0]
					];
		const g = node.groups;
		const one = (
			xi: tfType.Tensor4D,
			f: tfType.Tensor4D,
			b: tfType.Tensor1D | undefined,
			act: 'relu' | 'linear'
		) => tf.fused.conv2d({ x: xi, filter: f, strides: node.stride, pad, bias: b, activation: act });
		if (g === 1) return one(x, filters[0], bias ?? undefined, activation);
		if (groupedMode(node) === 'split') {
			const xs = tf.split(x, g, 3);
			const ys = xs.map((xi, gi) => one(xi as tfType.Tensor4D, filters[gi], undefined, 'linear'));
			let y: tfType.Tensor4D = tf.concat(ys, 3);
			if (bias) y = tf.add(y, bias);
			return activation === 'relu' ? tf.relu(y) : y;
		}
		const outG = filters[0].shape[3];
		const cin = node.inShape[0];
		const dw = tf.depthwiseConv2d(x, filters[0], node.stride, pad);
		const [n, h, w] = dw.shape;
		const summed = tf.sum(tf.reshape(dw, [n, h, w, g, cin / g, outG]), 4);
		let y = tf.reshape(summed, [n, h, w, g * outG]) as tfType.Tensor4D;
		if (bias) y = tf.add(y, bias);
		return activation === 'relu' ? tf.relu(y) : y;
	};

	let disposed = false;

	return {
		graph,
		forward(input, taps = []) {
			if (disposed) throw new Error('this network was disposed');
			const [c, h, w] = graph.nodes[0].outShape;
			if (input.rank !== 4 || input.shape[1] !== h || input.shape[2] !== w || input.shape[3] !== c)
				throw new InputShapeError(
					`input must be NHWC [N, ${h}, ${w}, ${c}], got [${input.shape.join(', ')}]`
				);
			const wanted = [...new Set(taps)];
			for (const t of wanted) if (!graph.byId.has(t)) throw new TapError(t, graph);
			const tapSet = new Set(wanted);
			const result = tf.tidy(() => {
				const values = new Map<string, tfType.Tensor4D>();
				values.set('input', input);
				const val = (id: string) => values.get(id)!;
				let logits: tfType.Tensor2D | null = null;
				for (const n of graph.nodes) {
					if (values.has(n.id)) continue;
					const x = val(n.inputs[0]);
					switch (n.op) {
						case 'conv2d': {
							const plan = plans.get(n.id)!;
							if (tapSet.has(n.id)) {
								const raw = rawOf(plan);
								values.set(n.id, conv(x, n, raw.filters, raw.bias, 'linear'));
							}
							if (!plan.bn) {
								if (!values.has(n.id)) values.set(n.id, conv(x, n, plan.filters, plan.bias, 'linear'));
								break;
							}
							if (plan.relu && !tapSet.has(plan.bn.id)) {
								values.set(plan.relu.id, conv(x, n, plan.filters, plan.bias, 'relu'));
								values.set(plan.bn.id, values.get(plan.relu.id)!); // never read: BN's only consumer is the ReLU
							} else values.set(plan.bn.id, conv(x, n, plan.filters, plan.bias, 'linear'));
							break;
						}
						case 'batchnorm':
							throw new Error(`${n.id}: BatchNorm not folded`); // unreachable: compile checks
						case 'relu':
							values.set(n.id, tf.relu(x));
							break;
						case 'maxpool':
							values.set(n.id, tf.maxPool(x, n.kernel, n.stride, n.padding));
							break;
						case 'add':
							values.set(n.id, tf.add(x, val(n.inputs[1])));
							break;
						case 'zeropad': {
							const [, hh, ww, cc] = x.shape;
							let y = x;
							if (n.stride !== 1)
								y = tf.stridedSlice(
									x,
									[0, 0, 0, 0],
									[x.shape[0], hh, ww, cc],
									[1, n.stride, n.stride, 1]
								) as tfType.Tensor4D;
							values.set(
								n.id,
								n.padChannels > 0
									? tf.pad(y, [
											[0, 0],
											[0, 0],
											[0, 0],
											[0, n.padChannels]
										])
									: y
							);
							break;
						}
						case 'avgpool':
							values.set(n.id, tf.mean(x, [1, 2], true));
							break;
						case 'flatten': {
							const nchw = tf.transpose(x, [0, 3, 1, 2]);
							values.set(n.id, tf.reshape(nchw, [x.shape[0], 1, 1, n.outShape[0]]));
							break;
						}
						case 'linear': {
							const fc = fcs.get(n.id)!;
							const y = tf.add(
								tf.matMul(tf.reshape(x, [x.shape[0], n.inFeatures]), fc.w),
								fc.b
							) as tfType.Tensor2D;
							if (n.id === graph.output) logits = y;
							values.set(n.id, tf.reshape(y, [y.shape[0], 1, 1, n.outFeatures]));
							break;
						}
						case 'input':
							break;
					}
				}
				const tapped = wanted.map((id) => (id === 'input' ? tf.clone(input) : values.get(id)!));
				return { logits: logits!, tapped };
			});
			return { logits: result.logits, taps: new Map(wanted.map((id, i) => [id, result.tapped[i]])) };
		},
		dispose() {
			if (disposed) return;
			disposed = true;
			for (const t of held) t.dispose();
			held.length = 0;
		}
	};
}
