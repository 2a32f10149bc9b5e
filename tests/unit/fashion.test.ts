/**
 * The shipped demo model (static/models/fashion-resnet/) through the app's own code path in Node:
 * loadCheckpoint → checkWeights → compile (tfjs wasm backend) → preprocessGarment (the policy the
 * app uses for this model), on 1,000 Fashion-MNIST test images (every 10th: 0, 10, …, 9990) read from Debian's
 * `dataset-fashion-mnist`. References: meta.json's `testAccuracy` (PyTorch, full 10,000 test set)
 * and `every10thAccuracy` (PyTorch, these same 1,000 images), both written by
 * tools/train/train_fashion.py.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGraph, type ArchSpec } from '../../src/lib/arch/index';
import { compile } from '../../src/lib/runtime/compile';
import { preprocessGarment } from '../../src/lib/pixels/garment';
import { policyFor } from '../../src/lib/pixels/preprocess';
import { checkWeights, loadCheckpoint } from '../../src/lib/weights/index';

const DATA = '/usr/share/datasets/fashion-mnist';
const dir = new URL('../../static/models/fashion-resnet/', import.meta.url);
const spec: ArchSpec = JSON.parse(readFileSync(new URL('spec.json', dir), 'utf8'));
const meta = JSON.parse(readFileSync(new URL('meta.json', dir), 'utf8'));
const N = 1000;

/** An IDX file (MNIST format): 0, 0, dtype 0x08 (u8), ndim; big-endian u32 dims; data. */
function readIdx(path: string): { dims: number[]; data: Uint8Array } {
	const raw = gunzipSync(readFileSync(path));
	if (raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 0x08)
		throw new Error(`${path}: not an unsigned-byte IDX file`);
	const ndim = raw[3];
	const view = new DataView(raw.buffer, raw.byteOffset);
	const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
	return { dims, data: raw.subarray(4 + 4 * ndim) };
}

const haveData = existsSync(`${DATA}/t10k-images-idx3-ubyte.gz`);

describe.skipIf(!haveData)(
	`fashion-resnet on Fashion-MNIST (needs Debian's dataset-fashion-mnist in ${DATA})`,
	() => {
		let accuracy = 0;

		beforeAll(async () => {
			expect(await tf.setBackend('wasm')).toBe(true);
			const graph = buildGraph(spec);
			const tensors = loadCheckpoint(new Uint8Array(readFileSync(new URL('model.safetensors', dir))));
			expect(checkWeights(graph, tensors)).toEqual([]);
			const net = compile(tf, graph, tensors);
			const images = readIdx(`${DATA}/t10k-images-idx3-ubyte.gz`);
			const labels = readIdx(`${DATA}/t10k-labels-idx1-ubyte.gz`);
			const [, H, W] = images.dims;
			const policy = policyFor(spec.input, { mean: meta.mean, std: meta.std });
			let correct = 0;
			const batch = 100;
			for (let b = 0; b < N; b += batch) {
				const input = new Float32Array(batch * H * W);
				for (let i = 0; i < batch; i++) {
					// The dataset's gray pixels as the RGBA image a browser would decode from a PNG.
					const k = (b + i) * 10;
					const px = images.data.subarray(k * H * W, (k + 1) * H * W);
					const rgba = new Uint8ClampedArray(H * W * 4);
					for (let p = 0; p < H * W; p++) {
						rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = px[p];
						rgba[p * 4 + 3] = 255;
					}
					input.set(preprocessGarment({ width: W, height: H, data: rgba }, policy).data, i * H * W);
				}
				const x = tf.tensor4d(input, [batch, H, W, 1]);
				const out = net.forward(x);
				const pred = await out.logits.argMax(1).data();
				for (let i = 0; i < batch; i++) if (pred[i] === labels.data[(b + i) * 10]) correct++;
				x.dispose();
				out.logits.dispose();
				for (const t of out.taps.values()) t.dispose();
			}
			net.dispose();
			accuracy = correct / N;
		}, 300_000);

		it('is within 1 point of the test accuracy in meta.json (PyTorch, full test set)', () => {
			expect(Math.abs(accuracy - meta.testAccuracy)).toBeLessThanOrEqual(0.01);
		});

		it('matches PyTorch on the same 1,000 images (at most 2 images differ)', () => {
			expect(Math.abs(accuracy - meta.every10thAccuracy)).toBeLessThanOrEqual(0.002);
		});

		it('meets the issue goal of 93 % on the full test set', () => {
			expect(meta.testAccuracy).toBeGreaterThanOrEqual(0.93);
		});
	}
);
