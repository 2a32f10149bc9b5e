import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGraph, presetSpec, validateSpec } from '../../src/lib/arch';
import { FASHION_SAMPLES } from '../../src/lib/models/fashion';

const dir = new URL('../../static/models/fashion-resnet/', import.meta.url);
const shippedSpec = JSON.parse(readFileSync(new URL('spec.json', dir), 'utf8'));
const meta = JSON.parse(readFileSync(new URL('meta.json', dir), 'utf8'));

describe('fashion-resnet preset', () => {
	it('is exactly the spec shipped with the trained weights', () => {
		expect(presetSpec('fashion-resnet')).toEqual(shippedSpec);
	});

	it('is a valid ArchSpec for 1×28×28 input and 10 classes', () => {
		expect(validateSpec(shippedSpec)).toEqual([]);
		expect(shippedSpec.input).toEqual({ channels: 1, height: 28, width: 28 });
		expect(meta.classes).toHaveLength(shippedSpec.head.classes);
	});

	it('has the parameter count PyTorch reported when training it', () => {
		// meta.params is written by tools/train/train_fashion.py from the PyTorch module.
		expect(buildGraph(shippedSpec).totals.params).toBe(meta.params);
	});
});

describe('fashion samples', () => {
	it('the app lists exactly the samples in static/samples/fashion/samples.json, two per class', () => {
		const manifest = JSON.parse(
			readFileSync(new URL('../../static/samples/fashion/samples.json', import.meta.url), 'utf8')
		);
		expect(FASHION_SAMPLES).toEqual(manifest.samples);
		for (const s of FASHION_SAMPLES) {
			expect(meta.classes[s.classIndex]).toBe(s.className);
			expect(existsSync(new URL(`../../static/samples/fashion/${s.file}`, import.meta.url))).toBe(true);
		}
		const perClass = meta.classes.map(
			(_: string, c: number) => FASHION_SAMPLES.filter((s) => s.classIndex === c).length
		);
		expect(perClass).toEqual(Array(10).fill(2));
	});
});
