/**
 * Explanation maps as pictures (src/lib/pixels/explain.ts). Bilinear upsampling is compared with
 * PyTorch's F.interpolate(mode='bilinear', align_corners=False), values printed by Debian's
 * python3-torch (torch 1.13), float64, rounded to 6 decimals:
 *
 *   x = torch.tensor(vals, dtype=torch.float64).reshape(1, 1, h, w)
 *   F.interpolate(x, size=(oh, ow), mode='bilinear', align_corners=False).flatten()
 *
 * The other functions are checked against values worked out by hand from their definitions.
 */
import { describe, expect, it } from 'vitest';
import { colourLut } from '../../src/lib/pixels/colourmaps';
import {
	blendOverlay,
	displayLevels,
	explanationFileName,
	mapToInput,
	occlusionToPixels,
	paintLevels,
	upsampleBilinear
} from '../../src/lib/pixels/explain';

const TORCH_CASES: {
	name: string;
	vals: number[];
	h: number;
	w: number;
	oh: number;
	ow: number;
	want: number[];
}[] = [
	{
		name: '2×2 → 4×4',
		vals: [0, 1, 2, 3],
		h: 2,
		w: 2,
		oh: 4,
		ow: 4,
		want: [0.0, 0.25, 0.75, 1.0, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2.0, 2.25, 2.75, 3.0]
	},
	{
		name: '3×4 → 5×9 (scales 0.6 and 0.444…, signed values)',
		vals: [1, -2, 0.5, 4, 3, 0, -1, 2, 0.25, 5, 1.5, -3],
		h: 3,
		w: 4,
		oh: 5,
		ow: 9,
		want: [
			1.0, 0.5, -0.833333, -1.861111, -0.75, 0.361111, 1.861111, 3.416667, 4.0, 1.8, 1.3, -0.033333,
			-1.138889, -0.65, -0.161111, 1.183333, 2.65, 3.2, 3.0, 2.5, 1.166667, -0.055556, -0.5, -0.944444,
			0.166667, 1.5, 2.0, 1.35, 1.625, 2.358333, 2.861111, 1.75, 0.638889, -0.083333, -0.75, -1.0, 0.25,
			1.041667, 3.152778, 4.805556, 3.25, 1.694444, -0.25, -2.25, -3.0
		]
	},
	{
		name: '2×3 → 3×2 (down along x, up along y)',
		vals: [1, -2, 0.5, 4, 3, 0],
		h: 2,
		w: 3,
		oh: 3,
		ow: 2,
		want: [0.25, -0.125, 2.0, 0.3125, 3.75, 0.75]
	},
	{
		name: '3×3 → 7×7 (a 7×7 Grad-CAM to 28×28 has the same ratio per axis)',
		vals: [0.1, 0.7, 0.3, 0.9, 0.2, 0.4, 0.6, 0.8, 0.05],
		h: 3,
		w: 3,
		oh: 7,
		ow: 7,
		want: [
			0.1, 0.185714, 0.442857, 0.7, 0.528571, 0.357143, 0.3, 0.214286, 0.273469, 0.45102, 0.628571, 0.493878,
			0.359184, 0.314286, 0.557143, 0.536735, 0.47551, 0.414286, 0.389796, 0.365306, 0.357143, 0.9, 0.8, 0.5,
			0.2, 0.285714, 0.371429, 0.4, 0.771429, 0.726531, 0.591837, 0.457143, 0.368367, 0.279592, 0.25,
			0.642857, 0.653061, 0.683673, 0.714286, 0.45102, 0.187755, 0.1, 0.6, 0.628571, 0.714286, 0.8, 0.478571,
			0.157143, 0.05
		]
	}
];

describe('upsampleBilinear vs torch F.interpolate(bilinear, align_corners=False)', () => {
	it.each(TORCH_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
		const got = upsampleBilinear(Float32Array.from(c.vals), c.h, c.w, c.oh, c.ow);
		expect(got.length).toBe(c.want.length);
		for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(c.want[i], 5);
	});

	it('the same size is the identity', () => {
		const vals = [0.5, -1, 2, 7, 3, 1];
		expect(Array.from(upsampleBilinear(vals, 2, 3, 2, 3))).toEqual(vals);
	});

	it('refuses a map whose length does not match its size', () => {
		expect(() => upsampleBilinear([1, 2, 3], 2, 2, 4, 4)).toThrow('a 2×2 map has 4 values, not 3');
		expect(() => upsampleBilinear([], 0, 0, 4, 4)).toThrow('cannot resample a 0×0 map to 4×4');
	});
});

describe('occlusionToPixels', () => {
	it('each pixel is the mean of the patches covering it (hand-computed, overlapping patches)', () => {
		// Patch 2, stride 1 on a 3×3 input: a 2×2 grid. Pixel (0,0) is covered by cell (0,0) only;
		// (0,1) by (0,0) and (0,1); (1,1) by all four; (2,2) by (1,1) only.
		const grid = [4, 8, 12, 16];
		const got = Array.from(occlusionToPixels(grid, 2, 2, 2, 1, 3, 3));
		expect(got).toEqual([4, 6, 8, 8, 10, 12, 12, 14, 16]);
	});

	it('pixels no patch covers are 0; a patch past the edge is cut', () => {
		// Patch 1, stride 2 on a 3×4 input: cells at (0,0), (0,2), (2,0), (2,2); odd rows and columns uncovered.
		const got = Array.from(occlusionToPixels([1, -2, 3, 5], 2, 2, 1, 2, 3, 4));
		expect(got).toEqual([1, 0, -2, 0, 0, 0, 0, 0, 3, 0, 5, 0]);
		// Patch 3, stride 3 on a 4×4 input: cells (0,0), (0,1), (1,0), (1,1), the last three cut at the edge.
		const cut = Array.from(occlusionToPixels([1, 2, 3, 4], 2, 2, 3, 3, 4, 4));
		expect(cut).toEqual([1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 2, 3, 3, 3, 4]);
	});

	it('refuses a grid of the wrong length or a zero patch', () => {
		expect(() => occlusionToPixels([1, 2], 2, 2, 2, 1, 3, 3)).toThrow(
			'a 2×2 occlusion grid has 4 values, not 2'
		);
		expect(() => occlusionToPixels([1], 1, 1, 0, 1, 3, 3)).toThrow('patch 0 and stride 1 must be at least 1');
	});
});

describe('mapToInput', () => {
	it('upsamples a Grad-CAM map, spreads an occlusion grid over its patches', () => {
		const cam = { values: [0, 1, 2, 3], height: 2, width: 2 };
		expect(Array.from(mapToInput(cam, 4, 4, null))).toEqual(TORCH_CASES[0].want);
		const grid = { values: [4, 8, 12, 16], height: 2, width: 2 };
		expect(Array.from(mapToInput(grid, 3, 3, { patch: 2, stride: 1 }))).toEqual([
			4, 6, 8, 8, 10, 12, 12, 14, 16
		]);
	});
});

describe('displayLevels', () => {
	it('scales by the largest value, negatives to 0', () => {
		// 255·v/4: 0 → 0, 1 → 63.75 → 64, 3 → 191.25 → 191, −1 → 0, 4 → 255.
		const { levels, max } = displayLevels([0, 1, 3, -1, 4]);
		expect(max).toBe(4);
		expect(Array.from(levels)).toEqual([0, 64, 191, 0, 255]);
	});

	it('a map with no positive value is all 0 (no division by zero)', () => {
		const { levels, max } = displayLevels([0, -2, -0.5]);
		expect(max).toBe(0);
		expect(Array.from(levels)).toEqual([0, 0, 0]);
	});
});

describe('paintLevels and blendOverlay', () => {
	// A LUT whose entry i is (i, 255 − i, 7, 255): each channel of a painted pixel is checkable.
	const lut = new Uint8ClampedArray(256 * 4);
	for (let i = 0; i < 256; i++) lut.set([i, 255 - i, 7, 255], i * 4);

	it('paints each level with its LUT entry, opaque', () => {
		const img = paintLevels([0, 200], 2, 1, lut);
		expect(img.width).toBe(2);
		expect(img.height).toBe(1);
		expect(Array.from(img.data)).toEqual([0, 255, 7, 255, 200, 55, 7, 255]);
		expect(() => paintLevels([1, 2, 3], 2, 1, lut)).toThrow('a 1×2 picture has 2 levels, not 3');
	});

	it('blends (1 − a)·input + a·colour per channel', () => {
		const input = { width: 2, height: 1, data: Uint8ClampedArray.from([100, 50, 200, 255, 10, 20, 30, 128]) };
		// a = 0.4: pixel 0, level 255 → colour (255, 0, 7): 0.6·100 + 0.4·255 = 162, 0.6·50 = 30,
		// 0.6·200 + 0.4·7 = 122.8 → 123; pixel 1, level 10 → (10, 245, 7): 10, 110, 20.8 → 21.
		const out = blendOverlay(input, [255, 10], lut, 0.4);
		expect(Array.from(out.data)).toEqual([162, 30, 123, 255, 10, 110, 21, 255]);
		// Opacity 0 is the input (made opaque); 1 (and anything above) is the colour map alone.
		expect(Array.from(blendOverlay(input, [255, 10], lut, 0).data)).toEqual([
			100, 50, 200, 255, 10, 20, 30, 255
		]);
		expect(Array.from(blendOverlay(input, [255, 10], lut, 3).data)).toEqual([
			255, 0, 7, 255, 10, 245, 7, 255
		]);
	});

	it('blends with a real colour map: gray level v at opacity 1 is (v, v, v)', () => {
		const input = { width: 1, height: 1, data: Uint8ClampedArray.from([0, 0, 0, 255]) };
		expect(Array.from(blendOverlay(input, [77], colourLut('gray'), 1).data)).toEqual([77, 77, 77, 255]);
	});

	it('refuses a map of another size than the input', () => {
		const input = { width: 2, height: 2, data: new Uint8ClampedArray(16) };
		expect(() => blendOverlay(input, [1, 2], lut, 0.5)).toThrow('the map has 2 values but the input is 2×2');
	});
});

describe('explanationFileName', () => {
	it('names the net, method, node and class in safe characters', () => {
		expect(explanationFileName('fashion-resnet', 'gradcam', 'layer3.2', 'Ankle boot')).toBe(
			'fashion-resnet_gradcam_layer3.2_Ankle-boot.png'
		);
		expect(explanationFileName('resnet50', 'saliency', null, 'tabby, tabby cat')).toBe(
			'resnet50_saliency_tabby-tabby-cat.png'
		);
		expect(explanationFileName('my net/v2', 'occlusion', null, 'T-shirt/top')).toBe(
			'my-net-v2_occlusion_T-shirt-top.png'
		);
	});
});
