/**
 * Training (issue 14): a BlockGraph with its weights (PyTorch layout, state_dict keys) → a
 * `Trainer` that takes SGD or Adam steps with PyTorch's semantics, exactly:
 *
 * - Forward in training mode, one function per graph op (`trainOps`): BatchNorm normalises with
 *   the batch's mean and biased variance and updates its running statistics with momentum 0.1
 *   and the unbiased variance (n/(n−1)), as `nn.BatchNorm2d.train()`; no BN is folded.
 * - Loss: mean cross-entropy over the batch.
 * - SGD as `torch.optim.SGD` (nesterov false, dampening 0): g = ∇ + wd·p; the momentum buffer is
 *   g on the first step, then momentum·buf + g; p −= lr·buf.
 * - Adam as `torch.optim.Adam` (amsgrad false): g = ∇ + wd·p (L2, not AdamW); m, v with bias
 *   correction; p −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps).
 * - Schedules (`train/schedule.ts`) give each step's learning rate and, for one-cycle, its momentum
 *   (SGD's momentum or Adam's β1, as OneCycleLR's cycle_momentum sets it in the param group).
 * - Frozen part (`freeze`): the stem and the first stages (or everything but fc) run in inference
 *   mode through the compiled network (`compile`, BN folded with the running statistics), and
 *   receive no update; `features(images)` gives their output so that a caller can compute it
 *   once per image and train on it with `stepFeatures`.
 *
 * Convolutions are `tf.conv2d` (grouped: split into groups, concatenated), so their gradients are
 * tfjs's own; on wasm both convolution gradients are our kernels (kernels/, registered by
 * `registerTrainingKernels`, which `Trainer.create` calls).
 * A spec's `dropPath` is stochastic depth as timm applies it: block i of N (in order, the whole
 * network) drops its residual branch with rate dropPath · i / (N − 1) (`dropPathRates`), per
 * sample, before the add; masks from a seeded stream (`seed`), never in inference mode.
 * Tensors inside are NHWC; the plain arrays in and out are NCHW (PyTorch's layout).
 */
import type * as tfType from '@tensorflow/tfjs-core';
import type { BlockGraph, GraphNode } from '../arch/graph';
import { expectedTensors, WeightsListError, checkWeights, type TensorMap } from '../weights/index';
import { seededRandom } from '../weights/init';
import { lrAt, momentumAt, type Schedule } from '../train/schedule';
import { registerTrainingKernels } from './kernels/index';
import {
	averagePoolCeil,
	channelConv1d,
	compile,
	optionAShortcut,
	padOf,
	subsampleWithGradient,
	type CompiledNet
} from './compile';

type TF = typeof tfType;
type T4 = tfType.Tensor4D;

export type OptimizerOptions =
	| { kind: 'sgd'; lr: number; momentum: number; weightDecay: number }
	| { kind: 'adam'; lr: number; betas: [number, number]; eps: number; weightDecay: number };

/** What trains: everything; only fc ('backbone' frozen); or the last k stages and the head. */
export type Freeze = 'none' | 'backbone' | { lastStages: number };

export interface TrainOptions {
	optimizer: OptimizerOptions;
	schedule: Schedule;
	/** The run's length in steps, for the schedules that depend on it (cosine, onecycle). */
	totalSteps: number;
	freeze: Freeze;
	/** Seeds stochastic depth's masks (a spec's `dropPath`); default 0. */
	seed?: number;
}

export interface StepResult {
	/** Mean cross-entropy of the batch, before the update. */
	loss: number;
	/** How many of the batch the network (before the update) classified right. */
	correct: number;
	/** The learning rate this step used. */
	lr: number;
}

/** Bad training options or inputs: a message naming what is wrong. */
export class TrainError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'TrainError';
	}
}

const BN_MOMENTUM = 0.1;

type ConvNode = Extract<GraphNode, { op: 'conv2d' }>;
type BnNode = Extract<GraphNode, { op: 'batchnorm' }>;

/** The trainable state of one node: its parameters, tfjs-shaped, and a BN's running statistics. */
interface Params {
	/** conv: [k, k, in/g, out]; conv1d: [k, 1, 1]; linear: [out, in] (PyTorch's); BN: γ [C]. */
	weight?: tfType.Variable;
	/** conv, linear: bias; BN: β. */
	bias?: tfType.Variable;
	runningMean?: tfType.Tensor1D;
	runningVar?: tfType.Tensor1D;
}

/** Batch statistics of one BN in one step, for its running update after the gradient. */
interface BatchStats {
	node: BnNode;
	mean: tfType.Tensor1D;
	variance: tfType.Tensor1D;
	count: number;
}

interface Ctx {
	tf: TF;
	params: Map<string, Params>;
	training: boolean;
	stats: BatchStats[];
	/** Stochastic depth on a residual branch about to be added (training only). */
	dropPath?: (add: GraphNode, branch: T4) => T4;
}

type OpFn<N extends GraphNode = GraphNode> = (
	ctx: Ctx,
	n: N,
	x: T4,
	values: Map<string, T4>
) => T4 | tfType.Tensor2D;
type OpTable = { [K in GraphNode['op']]: OpFn<Extract<GraphNode, { op: K }>> };

/**
 * The training forward, one function per graph op. A new op is one entry here (and its
 * parameters in `makeParams` / `stateDict`). Results are NHWC maps, except linear's [N, out].
 */
const trainOps: OpTable = {
	input: (_c, _n, x) => x,
	conv2d: (ctx, n, x) => convolve(ctx, n, x),
	batchnorm: (ctx, n, x) => batchNorm(ctx, n, x),
	relu: (ctx, _n, x) => ctx.tf.relu(x),
	maxpool: (ctx, n, x) => ctx.tf.maxPool(x, n.kernel, n.stride, n.padding),
	add: (ctx, n, x, values) => ctx.tf.add(ctx.dropPath ? ctx.dropPath(n, x) : x, values.get(n.inputs[1])!),
	zeropad: (ctx, n, x) =>
		optionAShortcut(
			ctx.tf,
			n.stride === 1 ? x : subsampleWithGradient(ctx.tf, x, n.stride),
			1,
			n.padChannels
		),
	avgpool: (ctx, _n, x) => ctx.tf.mean(x, [1, 2], true),
	avgpool2d: (ctx, n, x) => averagePoolCeil(ctx.tf, x, n),
	conv1d: (ctx, n, x) =>
		channelConv1d(ctx.tf, x, ctx.params.get(n.id)!.weight as unknown as tfType.Tensor3D, n.padding),
	sigmoid: (ctx, _n, x) => ctx.tf.sigmoid(x),
	scale: (ctx, n, x, values) => ctx.tf.mul(x, values.get(n.inputs[1])!),
	flatten: (ctx, n, x) =>
		ctx.tf.reshape(ctx.tf.transpose(x, [0, 3, 1, 2]), [x.shape[0], 1, 1, n.outShape[0]]) as T4,
	linear: (ctx, n, x) => {
		const tf = ctx.tf;
		const p = ctx.params.get(n.id)!;
		const y = tf.matMul(tf.reshape(x, [x.shape[0], n.inFeatures]) as tfType.Tensor2D, p.weight!, false, true);
		return (p.bias ? tf.add(y, p.bias) : y) as tfType.Tensor2D;
	}
};

function convolve(ctx: Ctx, n: ConvNode, x: T4): T4 {
	const tf = ctx.tf;
	const p = ctx.params.get(n.id)!;
	const w = p.weight as unknown as T4;
	const pad = padOf(n.padding);
	let y: T4;
	if (n.groups === 1) y = tf.conv2d(x, w, n.stride, pad);
	else {
		const xs = tf.split(x, n.groups, 3) as T4[];
		const ws = tf.split(w, n.groups, 3) as T4[];
		y = tf.concat(
			xs.map((xi, g) => tf.conv2d(xi, ws[g], n.stride, pad)),
			3
		);
	}
	return p.bias ? tf.add(y, p.bias) : y;
}

function batchNorm(ctx: Ctx, n: BnNode, x: T4): T4 {
	const tf = ctx.tf;
	const p = ctx.params.get(n.id)!;
	if (!ctx.training) {
		const scale = tf.div(p.weight!, tf.sqrt(tf.add(p.runningVar!, n.eps)));
		return tf.add(tf.mul(tf.sub(x, p.runningMean!), scale), p.bias!);
	}
	const [b, h, w] = x.shape;
	const count = b * h * w;
	const push = (mean: tfType.Tensor, variance: tfType.Tensor) =>
		ctx.stats.push({
			node: n,
			mean: tf.keep(mean) as tfType.Tensor1D,
			variance: tf.keep(variance) as tfType.Tensor1D,
			count
		});
	return trainingBatchNorm(tf, n.eps, count, push)(x, p.weight!, p.bias!);
}

/**
 * BatchNorm in training mode with its gradient written out (fewer passes over the map than the
 * gradient of the ops, ≈ 8 instead of ≈ 20). Per channel, over the M = N·H·W positions:
 * forward y = (x − μ)·γ/√(σ² + ε) + β (σ² biased); backward, with x̂ = (x − μ)/√(σ² + ε):
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/√(σ² + ε) · (dy − dβ/M − x̂·dγ/M).
 */
function trainingBatchNorm(
	tf: TF,
	eps: number,
	count: number,
	push: (mean: tfType.Tensor, variance: tfType.Tensor) => void
): (x: T4, gamma: tfType.Tensor, beta: tfType.Tensor) => T4 {
	const axes = [0, 1, 2];
	const f = tf.customGrad(((
		x: T4,
		gamma: tfType.Tensor1D,
		beta: tfType.Tensor1D,
		save: (ts: tfType.Tensor[]) => void
	) => {
		const { mean, variance } = tf.moments(x, axes);
		push(mean, variance);
		const inv = tf.rsqrt(tf.add(variance, eps));
		const scale = tf.mul(inv, gamma);
		save([x, mean, inv, gamma]);
		return {
			value: tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(mean, scale))),
			gradFunc: (dy: tfType.Tensor, saved: tfType.Tensor[]) => {
				const [xs, mu, iv, g] = saved;
				const centred = tf.sub(xs, mu);
				const dBeta = tf.sum(dy, axes);
				const dGamma = tf.mul(tf.sum(tf.mul(dy, centred), axes), iv); // Σ dy·x̂
				const a = tf.mul(g, iv);
				// dx = dy·a − (x − μ)·(a·iv·dγ/M) − a·dβ/M
				const k1 = tf.div(tf.mul(tf.mul(a, iv), dGamma), count);
				const k2 = tf.div(tf.mul(a, dBeta), count);
				const dx = tf.sub(tf.sub(tf.mul(dy, a), tf.mul(centred, k1)), k2);
				return [dx, dGamma, dBeta];
			}
		};
	}) as unknown as Parameters<TF['customGrad']>[0]);
	return f as unknown as (x: T4, gamma: tfType.Tensor, beta: tfType.Tensor) => T4;
}

/** The node after which training starts (its output is the frozen part's), or null: nothing frozen. */
function frozenBoundary(graph: BlockGraph, freeze: Freeze): string | null {
	if (freeze === 'none') return null;
	if (freeze === 'backbone') {
		const fc = graph.byId.get(graph.output)!;
		return fc.inputs[0];
	}
	const k = freeze.lastStages;
	const stages = graph.stages.length;
	if (!Number.isInteger(k) || k < 1 || k > stages)
		throw new TrainError(`freeze.lastStages must be a whole number from 1 to ${stages}, got ${k}`);
	if (k === stages) return graph.stem.nodeIds[graph.stem.nodeIds.length - 1];
	const stage = graph.stages[stages - k - 1];
	const block = stage.blocks[stage.blocks.length - 1];
	return block.nodeIds[block.nodeIds.length - 1];
}

function checkOptions(o: TrainOptions): void {
	const opt = o.optimizer;
	const bad = (what: string, v: unknown) => new TrainError(`${what} must be ${v}`);
	if (!(opt.lr >= 0) || !Number.isFinite(opt.lr))
		throw bad('the learning rate', `a number ≥ 0, got ${opt.lr}`);
	if (!(opt.weightDecay >= 0)) throw bad('weight decay', `≥ 0, got ${opt.weightDecay}`);
	if (opt.kind === 'sgd' && !(opt.momentum >= 0 && opt.momentum < 1))
		throw bad('momentum', `in [0, 1), got ${opt.momentum}`);
	if (opt.kind === 'adam') {
		const [b1, b2] = opt.betas;
		if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw bad('Adam betas', `in [0, 1), got ${opt.betas}`);
		if (!(opt.eps > 0)) throw bad('Adam eps', `> 0, got ${opt.eps}`);
	}
	if (!Number.isInteger(o.totalSteps) || o.totalSteps < 1)
		throw bad('totalSteps', `a whole number ≥ 1, got ${o.totalSteps}`);
}

export class Trainer {
	readonly graph: BlockGraph;
	readonly options: TrainOptions;
	/** The node whose output the frozen part gives (null: nothing frozen). */
	readonly boundary: string | null;
	/** The per-sample size of `features()`'s output: [C, H, W] of the boundary node (NHWC inside). */
	readonly featureShape: readonly number[] | null;
	#tf: TF;
	#weights: TensorMap;
	#frozen: CompiledNet | null;
	#nodes: GraphNode[];
	#params = new Map<string, Params>();
	#vars: tfType.Variable[] = [];
	#slots: tfType.Tensor[][] = [];
	#step = 0;
	#disposed = false;
	/** Stochastic depth: each residual add's drop rate (only those > 0), and the masks' stream. */
	#dropRates: Map<string, number>;
	#dropUniform: () => number;

	private constructor(tf: TF, graph: BlockGraph, weights: TensorMap, options: TrainOptions) {
		this.#tf = tf;
		this.graph = graph;
		this.options = options;
		this.#weights = weights;
		this.boundary = frozenBoundary(graph, options.freeze);
		const start = this.boundary ? graph.nodes.findIndex((n) => n.id === this.boundary) + 1 : 1;
		this.#nodes = graph.nodes.slice(start);
		const b = this.boundary ? graph.byId.get(this.boundary)! : null;
		this.featureShape = b ? [...b.outShape] : null;
		this.#frozen = null;
		this.#dropRates = dropPathRates(graph);
		this.#dropUniform = seededRandom(options.seed ?? 0).uniform;
	}

	/**
	 * A trainer for `graph` from `weights` (state_dict keys, PyTorch layout, BN running statistics
	 * included). Throws `WeightsListError` when the weights do not fit, `TrainError` for bad options.
	 */
	static create(tf: TF, graph: BlockGraph, weights: TensorMap, options: TrainOptions): Trainer {
		checkOptions(options);
		registerTrainingKernels(tf);
		const errors = checkWeights(graph, weights);
		if (errors.length) throw new WeightsListError(errors);
		const t = new Trainer(tf, graph, weights, options);
		try {
			if (t.boundary) t.#frozen = compile(tf, graph, weights);
			t.#makeParams();
		} catch (e) {
			t.dispose();
			throw e;
		}
		return t;
	}

	/** Uploads the trainable nodes' parameters as variables (and their optimiser slots). */
	#makeParams(): void {
		const tf = this.#tf;
		const get = (key: string) => this.#weights.get(key)!;
		const variable = (t: tfType.Tensor) => {
			const v = tf.variable(t, true);
			t.dispose();
			this.#vars.push(v);
			return v;
		};
		for (const n of this.#nodes) {
			if (n.op === 'conv2d') {
				const w = get(`${n.id}.weight`);
				const torch = tf.tensor4d(w.data, w.shape as [number, number, number, number]);
				this.#params.set(n.id, {
					weight: variable(tf.transpose(torch, [2, 3, 1, 0])),
					bias: n.bias ? variable(tf.tensor1d(get(`${n.id}.bias`).data)) : undefined
				});
				torch.dispose();
			} else if (n.op === 'conv1d') {
				// PyTorch [1, 1, k] → tfjs conv1d's [k, 1, 1] (the same values in the same order)
				const w = get(`${n.id}.weight`);
				this.#params.set(n.id, { weight: variable(tf.tensor3d(w.data, [n.kernel, 1, 1])) });
			} else if (n.op === 'batchnorm') {
				this.#params.set(n.id, {
					weight: variable(tf.tensor1d(get(`${n.id}.weight`).data)),
					bias: variable(tf.tensor1d(get(`${n.id}.bias`).data)),
					runningMean: tf.tensor1d(get(`${n.id}.running_mean`).data),
					runningVar: tf.tensor1d(get(`${n.id}.running_var`).data)
				});
			} else if (n.op === 'linear') {
				const w = get(`${n.id}.weight`);
				this.#params.set(n.id, {
					weight: variable(tf.tensor2d(w.data, [n.outFeatures, n.inFeatures])), // [out, in] or [out, in, 1, 1] (a 1×1 conv head)
					bias: n.bias ? variable(tf.tensor1d(get(`${n.id}.bias`).data)) : undefined
				});
			}
		}
	}

	/** NCHW images → the NHWC tensor the network takes (checked against the input's shape). */
	#input(images: Float32Array, count: number): T4 {
		const [c, h, w] = this.graph.nodes[0].outShape;
		if (images.length !== count * c * h * w)
			throw new TrainError(
				`images must be ${count} × ${c}×${h}×${w} = ${count * c * h * w} values (N,C,H,W), got ${images.length}`
			);
		const tf = this.#tf;
		return tf.tidy(() => tf.transpose(tf.tensor4d(images, [count, c, h, w]), [0, 2, 3, 1]));
	}

	#labels(labels: Int32Array): void {
		const classes = this.graph.byId.get(this.graph.output)!.outShape[0];
		if (labels.length === 0) throw new TrainError('a batch needs at least one sample');
		for (const l of labels)
			if (!(l >= 0 && l < classes)) throw new TrainError(`label ${l} is not a class of 0…${classes - 1}`);
	}

	/** The frozen part's output for NCHW images (NHWC, `featureShape` per image): compute once, reuse. */
	async features(images: Float32Array): Promise<Float32Array> {
		this.#alive();
		if (!this.#frozen || !this.featureShape)
			throw new TrainError('features() needs a frozen part (freeze "backbone" or lastStages)');
		const [c, h, w] = this.graph.nodes[0].outShape;
		const t = this.#start(images, images.length / (c * h * w));
		const data = (await t.data()) as Float32Array;
		t.dispose();
		return data;
	}

	#frozenForward(x: T4): T4 {
		const out = this.#frozen!.forward(x, [this.boundary!]);
		out.logits.dispose();
		return out.taps.get(this.boundary!)!;
	}

	/** The features tensor for `count` samples, from `features()`'s output. */
	#featureTensor(features: Float32Array, count: number): T4 {
		const fs = this.featureShape!;
		const size = fs.reduce((a, b) => a * b, 1);
		if (features.length !== count * size)
			throw new TrainError(`features must be ${count} × ${size} values, got ${features.length}`);
		const [c, h, w] = fs.length === 3 ? fs : [fs[0], 1, 1];
		return this.#tf.tensor4d(features, [count, h, w, c]);
	}

	/** The trainable part's forward from the boundary's value (or the input): logits [N, classes]. */
	#forward(start: T4, ctx: Ctx): tfType.Tensor2D {
		const values = new Map<string, T4>([[this.boundary ?? 'input', start]]);
		let logits: tfType.Tensor2D | null = null;
		for (const n of this.#nodes) {
			const op = trainOps[n.op] as OpFn;
			const y = op(ctx, n, values.get(n.inputs[0])!, values);
			if (n.id === this.graph.output) logits = y as tfType.Tensor2D;
			else values.set(n.id, y as T4);
		}
		return logits!;
	}

	/**
	 * timm's DropPath on the residual branch of the block whose add is `add`: each sample's branch
	 * is kept with probability 1 − rate (then scaled by 1 / (1 − rate)) or zeroed, one uniform draw
	 * per sample, blocks in order.
	 */
	#dropPath(add: GraphNode, branch: T4): T4 {
		const rate = this.#dropRates.get(add.id);
		if (!rate) return branch;
		const keep = 1 - rate;
		const n = branch.shape[0];
		const mask = Float32Array.from({ length: n }, () => (this.#dropUniform() < keep ? 1 / keep : 0));
		return this.#tf.mul(branch, this.#tf.tensor4d(mask, [n, 1, 1, 1]));
	}

	/** The trainable part's input for `count` NCHW images: the images, or the frozen part's output. */
	#start(images: Float32Array, count: number): T4 {
		const x = this.#input(images, count);
		if (!this.#frozen) return x;
		const start = this.#frozenForward(x);
		x.dispose();
		return start;
	}

	/** One optimiser step on a batch of NCHW images (normalised) and their labels. */
	async step(images: Float32Array, labels: Int32Array): Promise<StepResult> {
		this.#alive();
		this.#labels(labels);
		return this.#train(this.#start(images, labels.length), labels);
	}

	/** One optimiser step on features from `features()` (frozen part computed once per image). */
	async stepFeatures(features: Float32Array, labels: Int32Array): Promise<StepResult> {
		this.#alive();
		if (!this.featureShape) throw new TrainError('stepFeatures() needs a frozen part');
		this.#labels(labels);
		return this.#train(this.#featureTensor(features, labels.length), labels);
	}

	async #train(start: T4, labels: Int32Array): Promise<StepResult> {
		const tf = this.#tf;
		const { schedule, optimizer, totalSteps } = this.options;
		const lr = lrAt(schedule, optimizer.lr, this.#step, totalSteps);
		const momentum = momentumAt(schedule, this.#step, totalSteps);
		const ctx: Ctx = {
			tf,
			params: this.#params,
			training: true,
			stats: [],
			dropPath: this.#dropRates.size ? (n, x) => this.#dropPath(n, x) : undefined
		};
		const y = tf.tensor1d(labels, 'int32');
		let correct: tfType.Scalar;
		const { value, grads } = tf.variableGrads(() => {
			const logits = this.#forward(start, ctx);
			correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
			return crossEntropy(tf, logits, y);
		}, this.#vars);
		start.dispose();
		y.dispose();
		tf.tidy(() => {
			this.#update(grads, lr, momentum);
			this.#updateRunning(ctx.stats);
		});
		for (const g of Object.values(grads)) g.dispose();
		for (const s of ctx.stats) {
			s.mean.dispose();
			s.variance.dispose();
		}
		const [loss, right] = await Promise.all([value.data(), correct!.data()]);
		value.dispose();
		correct!.dispose();
		this.#step++;
		return { loss: loss[0], correct: right[0], lr };
	}

	/**
	 * The optimiser's update of every variable (inside tf.tidy). `cycled`: the schedule's momentum
	 * for this step (SGD's momentum, Adam's β1), replacing the optimiser's own; null keeps it.
	 */
	#update(grads: tfType.NamedTensorMap, lr: number, cycled: number | null): void {
		const tf = this.#tf;
		const opt = this.options.optimizer;
		const t = this.#step + 1;
		this.#vars.forEach((v, i) => {
			let g: tfType.Tensor = grads[v.name];
			if (opt.weightDecay !== 0) g = tf.add(g, tf.mul(v, opt.weightDecay));
			const slots = this.#slots[i];
			if (opt.kind === 'sgd') {
				let step = g;
				const momentum = cycled ?? opt.momentum;
				if (momentum !== 0) {
					const buf = slots ? tf.add(tf.mul(slots[0], momentum), g) : tf.clone(g);
					this.#setSlots(i, [buf]);
					step = buf;
				}
				v.assign(tf.sub(v, tf.mul(step, lr)));
			} else {
				const b1 = cycled ?? opt.betas[0];
				const b2 = opt.betas[1];
				const m = slots ? tf.add(tf.mul(slots[0], b1), tf.mul(g, 1 - b1)) : tf.mul(g, 1 - b1);
				const s = slots
					? tf.add(tf.mul(slots[1], b2), tf.mul(tf.square(g), 1 - b2))
					: tf.mul(tf.square(g), 1 - b2);
				this.#setSlots(i, [m, s]);
				const bc1 = 1 - b1 ** t;
				const bc2 = 1 - b2 ** t;
				const denom = tf.add(tf.div(tf.sqrt(s), Math.sqrt(bc2)), opt.eps);
				v.assign(tf.sub(v, tf.mul(tf.div(m, denom), lr / bc1)));
			}
		});
	}

	#setSlots(i: number, ts: tfType.Tensor[]): void {
		const old = this.#slots[i];
		this.#slots[i] = ts.map((t) => this.#tf.keep(t));
		if (old) for (const t of old) if (!ts.includes(t)) t.dispose();
	}

	/** Running statistics: (1 − m)·running + m·batch, the variance unbiased (n/(n−1)). */
	#updateRunning(stats: BatchStats[]): void {
		const tf = this.#tf;
		for (const s of stats) {
			const p = this.#params.get(s.node.id)!;
			const unbiased = tf.mul(s.variance, s.count / Math.max(1, s.count - 1));
			const mean = tf.keep(tf.add(tf.mul(p.runningMean!, 1 - BN_MOMENTUM), tf.mul(s.mean, BN_MOMENTUM)));
			const variance = tf.keep(tf.add(tf.mul(p.runningVar!, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
			p.runningMean!.dispose();
			p.runningVar!.dispose();
			p.runningMean = mean as tfType.Tensor1D;
			p.runningVar = variance as tfType.Tensor1D;
		}
	}

	/** Loss and correct count in inference mode (BN with running statistics); no update. */
	async evaluate(images: Float32Array, labels: Int32Array): Promise<{ loss: number; correct: number }> {
		this.#alive();
		this.#labels(labels);
		return this.#evaluate(this.#start(images, labels.length), labels);
	}

	/** `evaluate` on features from `features()`. */
	async evaluateFeatures(
		features: Float32Array,
		labels: Int32Array
	): Promise<{ loss: number; correct: number }> {
		this.#alive();
		if (!this.featureShape) throw new TrainError('evaluateFeatures() needs a frozen part');
		this.#labels(labels);
		return this.#evaluate(this.#featureTensor(features, labels.length), labels);
	}

	async #evaluate(start: T4, labels: Int32Array): Promise<{ loss: number; correct: number }> {
		const tf = this.#tf;
		const ctx: Ctx = { tf, params: this.#params, training: false, stats: [] };
		const [loss, correct] = tf.tidy(() => {
			const y = tf.tensor1d(labels, 'int32');
			const logits = this.#forward(start, ctx);
			return [crossEntropy(tf, logits, y), tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'))];
		});
		start.dispose();
		const [l, c] = await Promise.all([loss.data(), correct.data()]);
		loss.dispose();
		correct.dispose();
		return { loss: l[0], correct: c[0] };
	}

	/**
	 * Every parameter and BN running statistic, state_dict keys (node ids), PyTorch layout: the
	 * trained ones as they are now, the frozen ones as given.
	 */
	async stateDict(): Promise<TensorMap> {
		this.#alive();
		const tf = this.#tf;
		const out: TensorMap = new Map();
		const read = async (t: tfType.Tensor) => (await t.data()) as Float32Array;
		for (const [key, shape] of expectedTensors(this.graph)) {
			const dot = key.lastIndexOf('.');
			const id = key.slice(0, dot);
			const p = this.#params.get(id);
			if (!p) {
				const t = this.#weights.get(key)!;
				out.set(key, { shape: [...shape], data: new Float32Array(t.data) });
				continue;
			}
			const node = this.graph.byId.get(id)!;
			const field = key.slice(dot + 1);
			let data: Float32Array;
			if (node.op === 'conv2d' && field === 'weight') {
				const t = tf.transpose(p.weight!, [3, 2, 0, 1]);
				data = await read(t);
				t.dispose();
			} else {
				const t =
					field === 'weight'
						? p.weight!
						: field === 'bias'
							? p.bias!
							: field === 'running_mean'
								? p.runningMean!
								: p.runningVar!;
				data = new Float32Array(await read(t));
			}
			out.set(key, { shape: [...shape], data });
		}
		return out;
	}

	/** Steps taken so far. */
	get steps(): number {
		return this.#step;
	}

	#alive(): void {
		if (this.#disposed) throw new TrainError('this trainer was disposed');
	}

	dispose(): void {
		if (this.#disposed) return;
		this.#disposed = true;
		this.#frozen?.dispose();
		for (const v of this.#vars) v.dispose();
		for (const s of this.#slots) if (s) for (const t of s) t.dispose();
		for (const p of this.#params.values()) {
			p.runningMean?.dispose();
			p.runningVar?.dispose();
		}
		this.#params.clear();
	}
}

/** Mean cross-entropy of logits [N, classes] against int32 labels [N]. */
function crossEntropy(tf: TF, logits: tfType.Tensor2D, labels: tfType.Tensor1D): tfType.Scalar {
	const logp = tf.logSoftmax(logits);
	const onehot = tf.oneHot(labels, logits.shape[1]);
	return tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1))) as tfType.Scalar;
}

/**
 * Stochastic depth's rate for each residual add of `graph` (those > 0): timm's linear rule,
 * block i of the N blocks (every add, in order) gets dropPath · i / (N − 1); one block gets 0.
 */
export function dropPathRates(graph: BlockGraph): Map<string, number> {
	const rate = graph.spec.dropPath ?? 0;
	const adds = graph.nodes.filter((n) => n.op === 'add');
	const rates = new Map<string, number>();
	if (rate > 0 && adds.length > 1)
		adds.forEach((n, i) => {
			if (i > 0) rates.set(n.id, (rate * i) / (adds.length - 1));
		});
	return rates;
}
