/**
 * The wasm Conv2DBackpropFilter and Conv2DBackpropInput kernels (src/lib/runtime/kernels) against PyTorch's
 * gradients (torch.nn.grad.conv2d_weight and conv2d_input, tools/reference/kernel_reference.py): strides 1 and 2,
 * padding k//2 and none, 1×1 / 3×3 / 7×7 kernels, odd sizes, and groups (as the trainer runs them:
 * split into ordinary convolutions). Computed through tfjs's own gradient of conv2d, so the
 * kernel is reached as training reaches it; the cpu backend's kernel is checked the same way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/lib/runtime/kernels/index';
import { parseSafetensorsRaw } from '../../src/lib/weights/index';
import { nchwToNhwc, nhwcToNchw, relError } from './runtime-fixtures';
import { TRAIN_FIXTURES } from './train-fixtures';

interface KernelCase {
	name: string;
	kernel: number;
	stride: number;
	padding: number;
	groups: number;
}

const meta = JSON.parse(readFileSync(join(TRAIN_FIXTURES, 'kernels.json'), 'utf8')) as KernelCase[];
const tensors = parseSafetensorsRaw(
	new Uint8Array(readFileSync(join(TRAIN_FIXTURES, 'kernels.safetensors')))
);

/** The case's convolution as the trainer runs it: grouped ones split into ordinary convolutions. */
function conv(x: tf.Tensor4D, w: tf.Tensor4D, c: KernelCase): tf.Tensor4D {
	const pad =
		c.padding === 0
			? ('valid' as const)
			: ([
					[0, 0],
					[c.padding, c.padding],
					[c.padding, c.padding],
					[0, 0]
				] as [[number, number], [number, number], [number, number], [number, number]]);
	if (c.groups === 1) return tf.conv2d(x, w, c.stride, pad);
	const xs = tf.split(x, c.groups, 3) as tf.Tensor4D[];
	const ws = tf.split(w, c.groups, 3) as tf.Tensor4D[];
	return tf.concat(
		xs.map((xi, i) => tf.conv2d(xi, ws[i], c.stride, pad)),
		3
	);
}

/** ∂(Σ conv(x, W)·dy)/∂W by tfjs, in PyTorch's layout [out, in/g, k, k]. */
function filterGradient(c: KernelCase): { data: Float32Array; shape: number[] } {
	const x = tensors.get(`${c.name}/x`)!;
	const dy = tensors.get(`${c.name}/dy`)!;
	const [n, cin, h, w] = x.shape;
	const [, cout, oh, ow] = dy.shape;
	const k = c.kernel;
	const g = c.groups;
	return tf.tidy(() => {
		const xt = tf.tensor4d(nchwToNhwc(x), [n, h, w, cin]);
		const dyt = tf.tensor4d(nchwToNhwc(dy), [n, oh, ow, cout]);
		const grad = tf.grad((wt: tf.Tensor) => tf.sum(tf.mul(conv(xt, wt as tf.Tensor4D, c), dyt)));
		const dw = tf.transpose(grad(tf.zeros([k, k, cin / g, cout])), [3, 2, 0, 1]);
		return { data: dw.dataSync() as Float32Array, shape: dw.shape };
	});
}

/** ∂(Σ conv(x, W)·dy)/∂x by tfjs, NCHW. */
function inputGradient(c: KernelCase): Float32Array {
	const x = tensors.get(`${c.name}/x`)!;
	const dy = tensors.get(`${c.name}/dy`)!;
	const wt = tensors.get(`${c.name}/w`)!;
	const [n, cin, h, w] = x.shape;
	const [, cout, oh, ow] = dy.shape;
	const k = c.kernel;
	const g = c.groups;
	return tf.tidy(() => {
		const xt = tf.tensor4d(nchwToNhwc(x), [n, h, w, cin]);
		const dyt = tf.tensor4d(nchwToNhwc(dy), [n, oh, ow, cout]);
		const filter = tf.transpose(tf.tensor4d(wt.data, [cout, cin / g, k, k]), [2, 3, 1, 0]) as tf.Tensor4D;
		const grad = tf.grad((xv: tf.Tensor) => tf.sum(tf.mul(conv(xv as tf.Tensor4D, filter, c), dyt)));
		const dx = grad(xt);
		return nhwcToNchw(dx.dataSync(), dx.shape);
	});
}

describe.each(['wasm', 'cpu'])('Conv2DBackpropFilter on %s vs torch.nn.grad.conv2d_weight', (backend) => {
	beforeAll(async () => {
		registerTrainingKernels(tf);
		expect(await tf.setBackend(backend)).toBe(true);
	});

	it('has the committed cases', () => {
		expect(meta.length).toBe(10);
		expect(new Set(meta.map((c) => c.kernel))).toEqual(new Set([1, 3, 7]));
		expect(new Set(meta.map((c) => c.stride))).toEqual(new Set([1, 2]));
	});

	it.each(meta.map((c) => [c.name, c] as const))('%s', (_name, c) => {
		const before = tf.memory().numTensors;
		const dw = filterGradient(c);
		const expected = tensors.get(`${c.name}/dw`)!;
		expect(dw.shape).toEqual(expected.shape);
		expect(relError(dw.data, expected.data)).toBeLessThan(1e-5);
		expect(relError(inputGradient(c), tensors.get(`${c.name}/dx`)!.data), 'dx').toBeLessThan(1e-5);
		expect(tf.memory().numTensors).toBe(before);
	});
});

describe("the wasm kernels with tfjs's other paddings, against tfjs's cpu kernels", () => {
	// 'same' pads asymmetrically (more below and to the right) where PyTorch's k//2 never does.
	const configs = [
		{ h: 9, w: 8, k: 3, s: 2, pad: 'same' as const },
		{ h: 10, w: 7, k: 4, s: 2, pad: 'same' as const },
		{ h: 11, w: 11, k: 5, s: 3, pad: 'valid' as const },
		{ h: 6, w: 9, k: 2, s: 1, pad: 'same' as const }
	];
	const run = async (backend: string, c: (typeof configs)[number]) => {
		registerTrainingKernels(tf);
		await tf.setBackend(backend);
		return tf.tidy(() => {
			const x = tf.tensor4d(
				Float32Array.from({ length: 2 * c.h * c.w * 3 }, (_, i) => Math.sin(i * 0.37)),
				[2, c.h, c.w, 3]
			);
			const f = tf.tensor4d(
				Float32Array.from({ length: c.k * c.k * 3 * 4 }, (_, i) => Math.cos(i * 0.11)),
				[c.k, c.k, 3, 4]
			);
			const y = tf.conv2d(x, f, c.s, c.pad);
			const dy = tf.tensor4d(
				Float32Array.from({ length: y.size }, (_, i) => Math.sin(i * 0.53)),
				y.shape
			);
			const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
				tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), dy))
			)([x, f]);
			return [dx.dataSync() as Float32Array, df.dataSync() as Float32Array];
		});
	};
	it.each(configs.map((c) => [`${c.h}×${c.w} k${c.k} s${c.s} ${c.pad}`, c] as const))('%s', async (_n, c) => {
		const [dxCpu, dfCpu] = await run('cpu', c);
		const [dxWasm, dfWasm] = await run('wasm', c);
		expect(relError(dxWasm, dxCpu)).toBeLessThan(1e-5);
		expect(relError(dfWasm, dfCpu)).toBeLessThan(1e-5);
	});
});
