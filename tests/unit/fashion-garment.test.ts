/**
 * preprocessGarment: a user's photo or drawing → Fashion-MNIST-style 28×28 input (grayscale,
 * trimmed, aspect kept, light garment on black), the conversion the dataset itself was made with.
 */
import { describe, expect, it } from 'vitest';
import { preprocessGarment } from '../../src/lib/pixels/garment';
import { policyFor } from '../../src/lib/pixels/preprocess';

const policy = policyFor({ channels: 1, height: 28, width: 28 }, { mean: [0.286], std: [0.353] });

/** A gray image as RGBA. */
function rgba(width: number, height: number, gray: (x: number, y: number) => number, alpha = 255) {
	const data = new Uint8ClampedArray(width * height * 4);
	for (let y = 0; y < height; y++)
		for (let x = 0; x < width; x++) {
			const i = (y * width + x) * 4;
			data[i] = data[i + 1] = data[i + 2] = gray(x, y);
			data[i + 3] = alpha;
		}
	return { width, height, data };
}

/** A Fashion-MNIST-like garment: light, on black, spanning the full height, columns 8–19. */
const garment = (x: number, y: number) => (x >= 8 && x < 20 ? 120 + ((x * 7 + y * 3) % 100) : 0);

describe('preprocessGarment', () => {
	it('leaves an image already in the dataset form (28×28, dark background) unchanged', () => {
		const img = rgba(28, 28, garment);
		const out = preprocessGarment(img, policy);
		expect(out.inverted).toBe(false);
		for (let p = 0; p < 28 * 28; p++) {
			const v = img.data[p * 4];
			expect(out.data[p]).toBeCloseTo((v / 255 - 0.286) / 0.353, 4);
			expect(Math.abs(out.display.data[p * 4] - v)).toBeLessThanOrEqual(1);
		}
	});

	it('turns a dark garment on a larger white photo back into the light-on-black original', () => {
		// The same garment, negated, at (13, 7) on a 70×50 white canvas.
		const img = rgba(70, 50, (x, y) => {
			const gx = x - 13;
			const gy = y - 7;
			return gx >= 0 && gx < 28 && gy >= 0 && gy < 28 ? 255 - garment(gx, gy) : 255;
		});
		const out = preprocessGarment(img, policy);
		expect(out.inverted).toBe(true);
		expect([out.width, out.height, out.channels]).toEqual([28, 28, 1]);
		for (let y = 0; y < 28; y++)
			for (let x = 0; x < 28; x++)
				expect(
					Math.abs(out.display.data[(y * 28 + x) * 4] - garment(x, y)),
					`(${x}, ${y})`
				).toBeLessThanOrEqual(1);
	});

	it('keeps the aspect ratio: a wide object stays wide, centred vertically', () => {
		// A black 80×20 bar on a white 100×50 photo → trimmed to 80×20, padded to 80×80, resized:
		// rows 10.5–17.5 of 28 are the bar.
		const img = rgba(100, 50, (x, y) => (x >= 10 && x < 90 && y >= 15 && y < 35 ? 0 : 255));
		const out = preprocessGarment(img, policy);
		expect(out.inverted).toBe(true);
		const at = (x: number, y: number) => out.display.data[(y * 28 + x) * 4];
		for (let x = 0; x < 28; x++) {
			for (let y = 11; y <= 16; y++) expect(at(x, y), `(${x}, ${y})`).toBeGreaterThanOrEqual(250);
			for (const y of [0, 5, 9, 19, 23, 27]) expect(at(x, y), `(${x}, ${y})`).toBeLessThanOrEqual(5);
		}
	});

	it('reads a drawing on a transparent canvas as strokes on paper: white strokes on black', () => {
		// Transparent everywhere (what an untouched canvas gives) except an opaque black ring.
		const w = 200;
		const data = new Uint8ClampedArray(w * w * 4);
		for (let y = 40; y < 160; y++)
			for (let x = 40; x < 160; x++)
				if (x < 50 || x >= 150 || y < 50 || y >= 150) data[(y * w + x) * 4 + 3] = 255;
		const out = preprocessGarment({ width: w, height: w, data }, policy);
		expect(out.inverted).toBe(true);
		const at = (x: number, y: number) => out.display.data[(y * 28 + x) * 4];
		// The ring fills the frame after trimming: its edge is white, its inside black.
		expect(at(0, 14)).toBeGreaterThanOrEqual(200);
		expect(at(14, 0)).toBeGreaterThanOrEqual(200);
		expect(at(14, 14)).toBeLessThanOrEqual(5);
		expect(out.data[14 * 28 + 14]).toBeCloseTo((0 - 0.286) / 0.353, 2);
	});

	it('rejects image data that does not match its size', () => {
		expect(() =>
			preprocessGarment({ width: 10, height: 10, data: new Uint8ClampedArray(8) }, policy)
		).toThrow(/does not match its size/);
	});
});
