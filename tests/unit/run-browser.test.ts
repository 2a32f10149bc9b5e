/**
 * The browser-side runtime pieces that run in Node too: feature-map read-back (on tfjs's CPU
 * backend), grid layout and hit-testing, colour maps, backend ordering, bundled-model meta.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetSpec } from '../../src/lib/arch';
import { autoOrder, choiceOrder, describeAdapter, isSoftwareAdapter } from '../../src/lib/runtime/backend';
import { bundledModel, defaultMeta, parseMeta, TORCHVISION_WEIGHTS } from '../../src/lib/models/bundled';
import { channelAt, colourLut, gridLayout, paintChannel, paintGrid } from '../../src/lib/pixels/colourmaps';
import { readFeatureMaps } from '../../src/lib/runtime/featuremaps';
import { buildGraph } from '../../src/lib/arch';
import { tapsFor } from '../../src/lib/runtime/session';

beforeAll(async () => {
	await tf.setBackend('cpu');
});

describe('readFeatureMaps', () => {
	it('scales each channel from its min to its max and reports min, max, mean and zeros', async () => {
		const [h, w, c] = [3, 4, 5];
		const values = new Float32Array(h * w * c);
		for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 1.7) * 3;
		// channel 1: ReLU-like (half zeros); channel 4: constant
		for (let p = 0; p < h * w; p++) {
			values[p * c + 1] = p % 2 ? 0 : p;
			values[p * c + 4] = 2.5;
		}
		const tap = tf.tensor4d(values, [1, h, w, c]);
		const maps = await readFeatureMaps(tf, tap);
		expect(tap.isDisposed).toBe(false);
		expect(maps).toMatchObject({ channels: c, height: h, width: w });
		for (let ch = 0; ch < c; ch++) {
			const xs = Array.from({ length: h * w }, (_, p) => values[p * c + ch]);
			const min = Math.min(...xs);
			const max = Math.max(...xs);
			const s = maps.stats[ch];
			expect(s.min).toBeCloseTo(min, 5);
			expect(s.max).toBeCloseTo(max, 5);
			expect(s.mean).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / xs.length, 5);
			expect(s.zeros).toBeCloseTo(xs.filter((x) => x === 0).length / xs.length, 6);
			for (let p = 0; p < h * w; p++) {
				const want = max > min ? Math.round(((xs[p] - min) / (max - min)) * 255) : 0;
				expect(Math.abs(maps.pixels[ch * h * w + p] - want)).toBeLessThanOrEqual(1);
			}
		}
		expect(maps.stats[1].zeros).toBeCloseTo(7 / 12, 6); // p = 0 and the 6 odd positions
		expect(Array.from(maps.pixels.subarray(4 * h * w, 5 * h * w))).toEqual(new Array(h * w).fill(0));
		tap.dispose();
	});

	it('leaves no tensor behind', async () => {
		const tap = tf.randomNormal([1, 7, 7, 16]) as tf.Tensor4D;
		const before = tf.memory().numTensors;
		await readFeatureMaps(tf, tap);
		expect(tf.memory().numTensors).toBe(before);
		tap.dispose();
	});
});

describe('grid layout', () => {
	it('puts every channel in its own tile and finds it again', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 2048 }),
				fc.integer({ min: 1, max: 64 }),
				fc.integer({ min: 1, max: 64 }),
				(c, h, w) => {
					const l = gridLayout(c, h, w);
					expect(l.cols * l.rows).toBeGreaterThanOrEqual(c);
					expect((l.rows - 1) * l.cols).toBeLessThan(c);
					for (const ch of [0, c - 1, Math.floor(c / 2)]) {
						const x = (ch % l.cols) * (w + l.gap) + (w - 1);
						const y = Math.floor(ch / l.cols) * (h + l.gap) + (h - 1);
						expect(channelAt(l, c, x, y)).toBe(ch);
					}
					expect(channelAt(l, c, -1, 0)).toBeNull();
					expect(channelAt(l, c, l.width + 5, 0)).toBeNull();
				}
			)
		);
	});

	it('paints through the colour map', () => {
		const lut = colourLut('gray');
		const maps = {
			channels: 2,
			height: 1,
			width: 2,
			pixels: new Uint8ClampedArray([0, 255, 10, 20]),
			stats: []
		};
		const l = gridLayout(2, 1, 2);
		const img = paintGrid(maps, l, lut);
		expect(img.length).toBe(l.width * l.height * 4);
		expect(Array.from(paintChannel(maps, 1, lut))).toEqual([10, 10, 10, 255, 20, 20, 20, 255]);
	});

	it('viridis runs from dark purple to yellow (d3-scale-chromatic)', () => {
		const lut = colourLut('viridis');
		expect(Array.from(lut.subarray(0, 3))).toEqual([68, 1, 84]); // #440154
		expect(Array.from(lut.subarray(255 * 4, 255 * 4 + 3))).toEqual([253, 231, 37]); // #fde725
	});
});

describe('backend order', () => {
	it('prefers a hardware WebGPU adapter, skips a software one', () => {
		expect(autoOrder({ available: true, software: false, description: 'nvidia' })).toEqual([
			'webgpu',
			'wasm',
			'webgl',
			'cpu'
		]);
		expect(autoOrder({ available: true, software: true, description: 'google swiftshader' })).toEqual([
			'wasm',
			'webgl',
			'cpu'
		]);
		expect(autoOrder({ available: false, software: false, description: 'none' })).toEqual([
			'wasm',
			'webgl',
			'cpu'
		]);
		expect(choiceOrder('webgl', { available: false, software: false, description: '' })).toEqual([
			'webgl',
			'wasm',
			'cpu'
		]);
		expect(choiceOrder('webgpu', { available: true, software: true, description: '' })[0]).toBe('webgpu');
	});

	it('recognises software adapters', () => {
		expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader' })).toBe(true);
		expect(isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15)' })).toBe(true);
		expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere' }, true)).toBe(true);
		expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere' })).toBe(false);
		expect(describeAdapter({ vendor: 'google', architecture: 'swiftshader', device: '' })).toBe(
			'google swiftshader'
		);
	});
});

describe('bundled models and meta', () => {
	it('reads fashion-resnet/meta.json against its spec', () => {
		const spec = JSON.parse(readFileSync('static/models/fashion-resnet/spec.json', 'utf8'));
		const r = parseMeta(
			JSON.parse(readFileSync('static/models/fashion-resnet/meta.json', 'utf8')),
			spec,
			'meta.json'
		);
		expect(r.ok).toBe(true);
		if (!r.ok) return;
		expect(r.meta.classes).toHaveLength(10);
		expect(r.meta.classes![9]).toBe('Ankle boot'); // Fashion-MNIST's label 9
		expect(r.meta.preprocess.mean).toHaveLength(1);
	});

	it('names the field that is wrong', () => {
		const spec = presetSpec('resnet20')!;
		expect(parseMeta({ mean: [0.5], std: [0.5] }, spec, 'm.json')).toEqual({
			ok: false,
			message: 'm.json: mean must be 3 numbers (one per input channel)'
		});
		const r = parseMeta({ mean: [0, 0, 0], std: [1, 1, 1], classes: ['a'] }, spec, 'm.json');
		expect(r.ok).toBe(false);
		if (!r.ok) expect(r.message).toContain('classes has 1 names but the network has 10 outputs');
	});

	it('knows which presets are bundled, and ImageNet defaults', () => {
		expect(bundledModel('fashion-resnet', '/app')?.weights).toBe(
			'/app/models/fashion-resnet/model.safetensors'
		);
		expect(bundledModel('resnet50')).toBeNull();
		expect(defaultMeta(presetSpec('resnet50')!, ['tench']).classes).toEqual(['tench']);
		expect(defaultMeta(presetSpec('resnet20')!, ['tench']).classes).toBeNull();
		expect(TORCHVISION_WEIGHTS.map((w) => w.preset)).toEqual([
			'resnet18',
			'resnet34',
			'resnet50',
			'resnet101',
			'resnet152'
		]);
	});
});

describe('taps kept by a forward pass', () => {
	it('keeps every node but convolutions and BatchNorms for small nets, the outline for big ones', () => {
		const small = buildGraph(presetSpec('resnet20')!);
		const t = tapsFor(small, 'layer1.0.conv1');
		expect(t).toContain('layer1.0.relu1');
		expect(t).toContain('layer1.0.add');
		expect(t).toContain('layer1.0.conv1'); // selected
		expect(t).not.toContain('layer1.0.bn1');
		const big = buildGraph(presetSpec('resnet152')!);
		const tb = tapsFor(big, null);
		expect(tb).toContain('layer4.2.relu3');
		expect(tb).toContain('maxpool');
		expect(tb).not.toContain('layer4.2.relu1');
	});
});
