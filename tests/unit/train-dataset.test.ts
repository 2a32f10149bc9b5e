/**
 * The Train panel's data (src/lib/train/dataset.ts) against tools/train/make_fashion_subset.py: the
 * shipped subset files decode to the labels, pixels and normalised values that the Python script
 * wrote into tests/fixtures/train-data/fashion-subset.json (numpy, from Debian's IDX files), and
 * the own-images split and dataset behave as documented.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
	DataError,
	FASHION_DATA,
	classCounts,
	decodeDataset,
	gatherBatch,
	heldOutSplit,
	nhwcToChw,
	ownImagesDataset,
	subset
} from '../../src/lib/train/dataset';

interface Sample {
	position: number;
	sourceIndex: number;
	label: number;
	pixelSum: number;
	pixels: [number, number][];
	normalised: [number, number][];
}
interface Split {
	file: string;
	count: number;
	height: number;
	width: number;
	perClass: number[];
	bytes: number;
	sha256: string;
	samples: Sample[];
}
const root = new URL('../../', import.meta.url);
const fixture: { mean: number; std: number; splits: Record<'train' | 'test', Split> } = JSON.parse(
	readFileSync(new URL('tests/fixtures/train-data/fashion-subset.json', root), 'utf8')
);
const meta = JSON.parse(readFileSync(new URL('static/models/fashion-resnet/meta.json', root), 'utf8'));
const read = (file: string) => new Uint8Array(readFileSync(new URL(file, root)));

describe('the shipped Fashion-MNIST subset', () => {
	it('is normalised as the bundled model (meta.json mean/std)', () => {
		expect([fixture.mean]).toEqual(meta.mean);
		expect([fixture.std]).toEqual(meta.std);
	});

	for (const name of ['train', 'test'] as const) {
		const split = fixture.splits[name];
		const bytes = read(`static/${FASHION_DATA[name]}`);
		const data = decodeDataset(bytes, name, meta.mean, meta.std);

		it(`${name}: is the file the script wrote`, () => {
			expect(split.file).toBe(`static/${FASHION_DATA[name]}`);
			expect(bytes.length).toBe(split.bytes);
			expect(createHash('sha256').update(bytes).digest('hex')).toBe(split.sha256);
		});

		it(`${name}: header and class balance match the script's`, () => {
			expect([data.count, data.channels, data.height, data.width, data.classes]).toEqual([
				split.count,
				1,
				split.height,
				split.width,
				10
			]);
			expect(classCounts(data)).toEqual(split.perClass);
		});

		it(`${name}: labels, pixels and normalised values of samples match numpy's`, () => {
			const size = data.height * data.width;
			for (const s of split.samples) {
				const { images, labels } = gatherBatch(data, [s.position]);
				expect(labels[0]).toBe(s.label);
				const px = data.pixels.kind === 'uint8' ? data.pixels.data : null;
				const raw = px!.subarray(s.position * size, (s.position + 1) * size);
				expect(raw.reduce((a, v) => a + v, 0)).toBe(s.pixelSum);
				for (const [i, v] of s.pixels) expect(raw[i]).toBe(v);
				for (const [i, v] of s.normalised) expect(images[i]).toBeCloseTo(v, 5);
			}
		});
	}

	it('makes a batch of several images in N, C, H, W order', () => {
		const split = fixture.splits.test;
		const data = decodeDataset(read(`static/${FASHION_DATA.test}`), 'test', meta.mean, meta.std);
		const [a, b] = split.samples.slice(-2);
		const { images, labels } = gatherBatch(data, [a.position, b.position]);
		expect(Array.from(labels)).toEqual([a.label, b.label]);
		expect(images.length).toBe(2 * 28 * 28);
		for (const [i, v] of b.normalised) expect(images[28 * 28 + i]).toBeCloseTo(v, 5);
		expect(() => gatherBatch(data, [data.count])).toThrow(RangeError);
	});
});

describe('decodeDataset refuses what is not a subset file', () => {
	const good = read(`static/${FASHION_DATA.test}`);
	const decode = (b: Uint8Array) => decodeDataset(b, 'x.bin', [0.5], [0.5]);
	it('an HTML page', () => {
		expect(() => decode(new TextEncoder().encode('<!doctype html><html>…</html>'))).toThrow(/not a packed/);
	});
	it('a truncated download', () => {
		expect(() => decode(good.subarray(0, good.length - 1))).toThrow(/truncated/);
	});
	it('a label out of range', () => {
		const b = good.slice();
		b[20] = 10;
		expect(() => decode(b)).toThrow(/label 10 of image 0/);
	});
	it('with a DataError naming the source', () => {
		try {
			decode(new Uint8Array(4));
		} catch (e) {
			expect(e).toBeInstanceOf(DataError);
			expect((e as DataError).source).toBe('x.bin');
		}
		expect.assertions(2);
	});
});

describe('heldOutSplit', () => {
	it('holds out every 5th image of each class, in order', () => {
		const labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
		const { train, test } = heldOutSplit(labels);
		expect(test).toEqual([4, 9, 14]);
		expect([...train, ...test].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
	});
	it('holds out the last image of a small class, none of a single-image class', () => {
		const { train, test } = heldOutSplit([0, 1, 0, 2, 0]);
		expect(test).toEqual([4]);
		expect(train).toEqual([0, 1, 2, 3]);
	});
});

describe('ownImagesDataset', () => {
	const shape = { channels: 3, height: 2, width: 2 };
	const img = (label: number, v: number) => ({ label, chw: new Float32Array(12).fill(v) });
	it('packs images and labels, and a subset keeps them', () => {
		const d = ownImagesDataset([img(0, 1), img(1, 2), img(0, 3)], 2, shape);
		expect(Array.from(d.labels)).toEqual([0, 1, 0]);
		const s = subset(d, [2, 1]);
		expect(Array.from(s.labels)).toEqual([0, 1]);
		expect(Array.from(gatherBatch(s, [0, 1]).images)).toEqual([
			...new Array(12).fill(3),
			...new Array(12).fill(2)
		]);
	});
	it('names an empty class and a wrong size', () => {
		expect(() => ownImagesDataset([img(0, 1), img(0, 2)], 2, shape)).toThrow(/class 2 has no images/);
		expect(() => ownImagesDataset([img(0, 1), { label: 1, chw: new Float32Array(3) }], 2, shape)).toThrow(
			/image 2 has 3 values, the network takes 12/
		);
		expect(() => ownImagesDataset([img(0, 1)], 1, shape)).toThrow(/two or more classes/);
	});
	it('nhwcToChw reorders channels', () => {
		// 1×2 pixels, 3 channels: (r,g,b) = (1,2,3), (4,5,6)
		expect(Array.from(nhwcToChw(Float32Array.from([1, 2, 3, 4, 5, 6]), 1, 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
	});
});
