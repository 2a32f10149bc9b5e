/**
 * Training's pure parts: the batch order of DESIGN §3.4 (`--no-shuffle`: batch j = samples
 * j·B … j·B+B−1 mod N), seeded shuffling (one permutation per epoch), augmentation as
 * tools/train/train_fashion.py (random crop of the zero-padded image, horizontal flip), tallies.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
	addBatch,
	augment,
	batchIndices,
	emptyTally,
	epochOrder,
	gather,
	gatherLabels,
	summarise
} from '../../src/lib/train/index';

describe('batch order', () => {
	it('without shuffling, batch j is samples j·B … j·B+B−1 (mod N)', () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 20 }), fc.nat(30), (n, b, j) => {
				const idx = batchIndices(n, b, j, { shuffle: false, seed: 3 });
				expect([...idx]).toEqual(Array.from({ length: b }, (_, i) => (j * b + i) % n));
			})
		);
	});

	it('with shuffling, each epoch is a permutation, the same for the same seed', () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 60 }), fc.nat(5), fc.integer(), (n, epoch, seed) => {
				const a = epochOrder(n, epoch, true, seed);
				expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
				expect(epochOrder(n, epoch, true, seed)).toEqual(a);
			})
		);
		expect(epochOrder(100, 0, true, 1)).not.toEqual(epochOrder(100, 0, true, 2));
		expect(epochOrder(100, 0, true, 1)).not.toEqual(epochOrder(100, 1, true, 1));
	});

	it('an epoch of shuffled batches sees every sample once', () => {
		const n = 24;
		const seen = [0, 1, 2, 3, 4, 5].flatMap((j) => [...batchIndices(n, 4, j, { shuffle: true, seed: 9 })]);
		expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
	});

	it('gathers samples and labels by index', () => {
		const images = Float32Array.from({ length: 12 }, (_, i) => i);
		expect([...gather(images, 3, [3, 0])]).toEqual([9, 10, 11, 0, 1, 2]);
		expect([...gatherLabels([5, 6, 7, 8], [3, 0])]).toEqual([8, 5]);
	});

	it('refuses an empty dataset or batch', () => {
		expect(() => batchIndices(0, 4, 0, { shuffle: false, seed: 0 })).toThrow(RangeError);
		expect(() => batchIndices(4, 0, 0, { shuffle: false, seed: 0 })).toThrow(RangeError);
	});
});

describe('augmentation', () => {
	const [b, c, h, w] = [6, 2, 5, 7];
	const images = Float32Array.from({ length: b * c * h * w }, (_, i) => 1 + (i % 97));
	const at = (x: Float32Array, n: number, ch: number, y: number, xx: number) =>
		x[((n * c + ch) * h + y) * w + xx];

	it('is the identity without padding or flips', () => {
		expect(augment(images, [b, c, h, w], { pad: 0, flip: false, fill: [0], seed: 1 }, 0)).toEqual(images);
	});

	it('is a window of the image padded with the fill value, flipped or not, the same in every channel', () => {
		const fill = [-0.8, -0.5];
		for (let step = 0; step < 5; step++) {
			const out = augment(images, [b, c, h, w], { pad: 2, flip: true, fill, seed: 4 }, step);
			for (let n = 0; n < b; n++) {
				// find the offset and flip that explain this image
				const fits = [];
				for (const flip of [false, true])
					for (let oy = -2; oy <= 2; oy++)
						for (let ox = -2; ox <= 2; ox++) {
							let ok = true;
							for (let ch = 0; ch < c && ok; ch++)
								for (let y = 0; y < h && ok; y++)
									for (let x = 0; x < w && ok; x++) {
										const sy = y + oy;
										const sx = (flip ? w - 1 - x : x) + ox;
										const want =
											sy >= 0 && sy < h && sx >= 0 && sx < w
												? at(images, n, ch, sy, sx)
												: Math.fround(fill[ch]);
										ok = at(out, n, ch, y, x) === want;
									}
							if (ok) fits.push([flip, oy, ox]);
						}
				expect(fits.length, `image ${n} of step ${step}`).toBeGreaterThan(0);
			}
		}
	});

	it('is seeded: the same seed and step give the same batch, another step another one', () => {
		const o = { pad: 2, flip: true, fill: [0], seed: 7 };
		const a = augment(images, [b, c, h, w], o, 3);
		expect(augment(images, [b, c, h, w], o, 3)).toEqual(a);
		expect(augment(images, [b, c, h, w], o, 4)).not.toEqual(a);
	});

	it('uses every offset and both flips over many draws (uniform choice)', () => {
		const one = Float32Array.from({ length: 9 }, (_, i) => i + 1); // 1×1×3×3
		const seen = new Set<string>();
		for (let step = 0; step < 400; step++)
			seen.add(augment(one, [1, 1, 3, 3], { pad: 1, flip: true, fill: [0], seed: 2 }, step).join(','));
		expect(seen.size).toBe(18); // 3 × 3 offsets × 2 flips, all distinct for this image
	});
});

describe('tally', () => {
	it('averages the loss over samples and counts the correct ones', () => {
		let t = emptyTally();
		t = addBatch(t, { loss: 2, correct: 1 }, 4);
		t = addBatch(t, { loss: 1, correct: 2 }, 2);
		expect(summarise(t)).toEqual({ loss: 10 / 6, accuracy: 3 / 6 });
	});
});
