/**
 * Explanations of one prediction of a compiled network (the definitions: `ExplainMethod` in
 * $lib/runtime/protocol.ts and README "Explanations"): Grad-CAM at any node, saliency,
 * SmoothGrad and occlusion. The session (and through it the worker and `npm run infer`) runs
 * them. Gradients flow only through `CompiledNet.cut`'s differentiable part, with respect to an
 * activation or the input, never to a weight. Every tensor made here is freed before returning.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import { groupOutput, lastBlockId } from '../arch/ids';
import { outSide } from '../arch/metrics';
import type { CompiledNet } from './compile';
import type { ExplainMethod } from './protocol';
import { seededRandom } from '../weights/init';

type Tf = typeof TfCore;

/** A request that cannot be explained: an unknown node, a class out of range, bad parameters. */
export class ExplainError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ExplainError';
	}
}

export interface Explanation {
	method: ExplainMethod['kind'];
	/** The node explained (a group resolved to its output); null unless Grad-CAM. */
	node: string | null;
	classIndex: number;
	height: number;
	width: number;
	/** Row-major height × width. */
	values: Float32Array;
}

/** One image, NHWC float32, normalised. */
export interface ExplainInput {
	data: Float32Array;
	height: number;
	width: number;
	channels: number;
}

export interface ExplainOptions {
	/** Told after each batch of SmoothGrad samples or occluded images. */
	onProgress?: (done: number, total: number) => void;
	/** Asked between batches; true stops the explanation (it then answers null). */
	shouldStop?: () => boolean | Promise<boolean>;
}

/** Activations (forward + what the gradient tape holds) one batch may take. */
const BATCH_BYTES = 256e6;

/** The method's problems, as sentences (empty: fine). */
export function checkExplain(net: CompiledNet, method: ExplainMethod, classIndex: number | null): string[] {
	const g = net.graph;
	const problems: string[] = [];
	const classes = g.byId.get(g.output)!.outShape[0];
	if (classIndex !== null && !(Number.isInteger(classIndex) && classIndex >= 0 && classIndex < classes))
		problems.push(
			`class ${classIndex} is out of range: this network has ${classes} classes (0–${classes - 1})`
		);
	const [, h, w] = g.nodes[0].outShape;
	switch (method.kind) {
		case 'gradcam':
			if (!groupOutput(g, method.node))
				problems.push(
					`unknown node or group "${method.node}" (e.g. ${lastBlockId(g)}, layer1, ${g.nodes[1].id})`
				);
			break;
		case 'smoothgrad':
			if (!(Number.isInteger(method.samples) && method.samples >= 1 && method.samples <= 1000))
				problems.push(`smoothgrad needs 1–1000 samples, got ${method.samples}`);
			if (!(Number.isFinite(method.sigma) && method.sigma >= 0 && method.sigma <= 1))
				problems.push(`smoothgrad's sigma is a fraction of the input's range, 0–1, got ${method.sigma}`);
			if (!Number.isInteger(method.seed)) problems.push(`the seed must be an integer, got ${method.seed}`);
			break;
		case 'occlusion':
			if (!(Number.isInteger(method.patch) && method.patch >= 1 && method.patch <= Math.min(h, w)))
				problems.push(`the occlusion patch must be 1–${Math.min(h, w)} pixels, got ${method.patch}`);
			if (!(Number.isInteger(method.stride) && method.stride >= 1))
				problems.push(`the occlusion stride must be a positive integer, got ${method.stride}`);
			break;
	}
	return problems;
}

/**
 * Explains the prediction of `net` on `input` for class `classIndex` (null: the top-1 class).
 * Null when `shouldStop` said so between batches. Throws `ExplainError` for a bad request.
 */
export async function explain(
	tf: Tf,
	net: CompiledNet,
	input: ExplainInput,
	method: ExplainMethod,
	classIndex: number | null,
	options: ExplainOptions = {}
): Promise<Explanation | null> {
	const problems = checkExplain(net, method, classIndex);
	if (problems.length) throw new ExplainError(problems.join('; '));
	switch (method.kind) {
		case 'gradcam':
			return gradient(tf, net, input, groupOutput(net.graph, method.node)!, classIndex);
		case 'saliency':
			return gradient(tf, net, input, 'input', classIndex);
		case 'smoothgrad':
			return smoothGrad(tf, net, input, method, classIndex, options);
		case 'occlusion':
			return occlusion(tf, net, input, method, classIndex, options);
	}
}

/** One-hot rows [batch, classes] for class k. */
function oneHotRows(tf: Tf, batch: number, classes: number, k: number): TfCore.Tensor2D {
	return tf.cast(
		tf.oneHot(tf.fill([batch], k, 'int32') as TfCore.Tensor1D, classes),
		'float32'
	) as TfCore.Tensor2D;
}

/** Grad-CAM at `at` (a node id), or saliency (`at` = 'input'). */
async function gradient(
	tf: Tf,
	net: CompiledNet,
	input: ExplainInput,
	at: string,
	classIndex: number | null
): Promise<Explanation> {
	let chosen: TfCore.Tensor | null = null;
	const map = tf.tidy(() => {
		const x = tf.tensor4d(input.data, [1, input.height, input.width, input.channels]);
		const { a, rest } = net.cut(x, at);
		const dyda = tf.grad((v: TfCore.Tensor) => {
			const logits = rest(v as TfCore.Tensor4D);
			const classes = logits.shape[1];
			const k =
				classIndex === null
					? // the top-1 class; the one-hot's gradient (through OneHot and ArgMax) is zero
						(tf.argMax(logits, 1) as TfCore.Tensor1D)
					: (tf.fill([1], classIndex, 'int32') as TfCore.Tensor1D);
			chosen = tf.keep(k);
			return tf.sum(tf.mul(logits, tf.cast(tf.oneHot(k, classes), 'float32')));
		})(a) as TfCore.Tensor4D;
		if (at === 'input') return tf.max(tf.abs(dyda), 3);
		const alpha = tf.mean(dyda, [1, 2], true);
		return tf.relu(tf.sum(tf.mul(a, alpha), 3));
	});
	const [, height, width] = map.shape;
	const values = (await map.data()) as Float32Array;
	map.dispose();
	const k = chosen as TfCore.Tensor | null;
	const classOut = k ? (await k.data())[0] : (classIndex ?? 0);
	k?.dispose();
	return {
		method: at === 'input' ? 'saliency' : 'gradcam',
		node: at === 'input' ? null : at,
		classIndex: classOut,
		height,
		width,
		values: values.slice()
	};
}

/** The top-1 class of the clean input, and p_K. */
async function predict(
	tf: Tf,
	net: CompiledNet,
	input: ExplainInput,
	classIndex: number | null
): Promise<{ k: number; p: number }> {
	const x = tf.tensor4d(input.data, [1, input.height, input.width, input.channels]);
	const out = net.forward(x);
	const probs = tf.softmax(out.logits);
	const p = (await probs.data()) as Float32Array;
	x.dispose();
	out.logits.dispose();
	probs.dispose();
	let k = classIndex ?? 0;
	if (classIndex === null) for (let i = 1; i < p.length; i++) if (p[i] > p[k]) k = i;
	return { k, p: p[k] };
}

function batchSize(net: CompiledNet, total: number, factor: number): number {
	const bytes = Math.max(1, net.graph.totals.activationBytes * factor);
	return Math.max(1, Math.min(total, 32, Math.floor(BATCH_BYTES / bytes)));
}

/**
 * SmoothGrad: the gradient ∂y_K/∂x averaged over N copies x + ε_i, ε_i ~ N(0, σ²) per element,
 * σ = sigma·(max(x) − min(x)); values = max over channels of |that mean|. The noise is drawn
 * sample after sample, each in PyTorch's C, H, W order.
 */
async function smoothGrad(
	tf: Tf,
	net: CompiledNet,
	input: ExplainInput,
	method: Extract<ExplainMethod, { kind: 'smoothgrad' }>,
	classIndex: number | null,
	options: ExplainOptions
): Promise<Explanation | null> {
	const { height: h, width: w, channels: c } = input;
	const size = h * w * c;
	const { k } = await predict(tf, net, input, classIndex);
	let lo = Infinity;
	let hi = -Infinity;
	for (const v of input.data) {
		lo = Math.min(lo, v);
		hi = Math.max(hi, v);
	}
	const sigma = method.sigma * (hi - lo);
	const normal = seededRandom(method.seed).normal;
	const sum = new Float64Array(size);
	const n = method.samples;
	const per = batchSize(net, n, 3);
	const classes = net.graph.byId.get(net.graph.output)!.outShape[0];
	for (let start = 0; start < n; start += per) {
		if (await options.shouldStop?.()) return null;
		const b = Math.min(per, n - start);
		const batch = new Float32Array(b * size);
		for (let i = 0; i < b; i++)
			for (let ci = 0; ci < c; ci++)
				for (let y = 0; y < h; y++)
					for (let x = 0; x < w; x++) {
						const j = (y * w + x) * c + ci;
						batch[i * size + j] = input.data[j] + sigma * normal();
					}
		const g = tf.tidy(() => {
			const xb = tf.tensor4d(batch, [b, h, w, c]);
			const { a, rest } = net.cut(xb, 'input');
			const mask = oneHotRows(tf, b, classes, k);
			const d = tf.grad((v: TfCore.Tensor) => tf.sum(tf.mul(rest(v as TfCore.Tensor4D), mask)))(a);
			return tf.sum(d, 0);
		});
		const gv = await g.data();
		g.dispose();
		for (let j = 0; j < size; j++) sum[j] += gv[j];
		options.onProgress?.(start + b, n);
	}
	const values = new Float32Array(h * w);
	for (let p = 0; p < h * w; p++) {
		let m = 0;
		for (let ci = 0; ci < c; ci++) m = Math.max(m, Math.abs(sum[p * c + ci] / n));
		values[p] = m;
	}
	return { method: 'smoothgrad', node: null, classIndex: k, height: h, width: w, values };
}

/**
 * Occlusion: for each position (top, left) = (i·stride, j·stride), i < ⌊(H − patch)/stride⌋ + 1,
 * j likewise, the input with a patch×patch square set to 0 (the mean, in normalised space);
 * value = p_K(x) − p_K(occluded), p the softmax. Row-major over (i, j).
 */
async function occlusion(
	tf: Tf,
	net: CompiledNet,
	input: ExplainInput,
	method: Extract<ExplainMethod, { kind: 'occlusion' }>,
	classIndex: number | null,
	options: ExplainOptions
): Promise<Explanation | null> {
	const { height: h, width: w, channels: c } = input;
	const { patch, stride } = method;
	const rows = outSide(h, patch, stride, 0);
	const cols = outSide(w, patch, stride, 0);
	const total = rows * cols;
	const size = h * w * c;
	const { k, p } = await predict(tf, net, input, classIndex);
	const values = new Float32Array(total);
	const per = batchSize(net, total, 1);
	for (let start = 0; start < total; start += per) {
		if (await options.shouldStop?.()) return null;
		const b = Math.min(per, total - start);
		const batch = new Float32Array(b * size);
		for (let i = 0; i < b; i++) {
			batch.set(input.data, i * size);
			const pos = start + i;
			const top = Math.floor(pos / cols) * stride;
			const left = (pos % cols) * stride;
			for (let y = top; y < top + patch; y++)
				batch.fill(0, i * size + (y * w + left) * c, i * size + (y * w + left + patch) * c);
		}
		const x = tf.tensor4d(batch, [b, h, w, c]);
		const out = net.forward(x);
		const pk = tf.tidy(() => tf.slice(tf.softmax(out.logits), [0, k], [b, 1]));
		const pv = await pk.data();
		x.dispose();
		out.logits.dispose();
		pk.dispose();
		for (let i = 0; i < b; i++) values[start + i] = p - pv[i];
		options.onProgress?.(start + b, total);
	}
	return { method: 'occlusion', node: null, classIndex: k, height: rows, width: cols, values };
}
