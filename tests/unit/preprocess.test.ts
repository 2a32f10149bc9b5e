/**
 * Preprocessing against torch: Resize(shorter side, bilinear with antialias, as
 * F.interpolate(..., antialias=True) — PIL's BILINEAR), CenterCrop, ToTensor, Normalize;
 * grayscale with ITU-R 601-2 luma (tools/reference/run_reference.py, preprocess_cases).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
	IMAGENET_MEAN,
	IMAGENET_STD,
	policyFor,
	preprocess,
	resizedSize
} from '../../src/lib/pixels/preprocess';
import { parseSafetensorsRaw } from '../../src/lib/weights/index';
import { FIXTURES, nhwcToNchw, relError } from './runtime-fixtures';

const tensors = parseSafetensorsRaw(new Uint8Array(readFileSync(join(FIXTURES, 'preprocess.safetensors'))));
const cases = JSON.parse(readFileSync(join(FIXTURES, 'preprocess.json'), 'utf8')) as {
	name: string;
	resizeShorter: number;
	height: number;
	width: number;
	channels: number;
}[];

describe('preprocess vs torch', () => {
	it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
		const image = tensors.get(`${c.name}/image`)!;
		const [h, w] = image.shape;
		const policy = policyFor(
			{ channels: c.channels, height: c.height, width: c.width },
			{ resizeShorter: c.resizeShorter }
		);
		const out = preprocess({ width: w, height: h, data: Uint8Array.from(image.data) }, policy);
		const expected = tensors.get(`${c.name}/expected`)!;
		expect([out.height, out.width, out.channels]).toEqual([
			expected.shape[2],
			expected.shape[3],
			expected.shape[1]
		]);
		const nchw = nhwcToNchw(out.data, [1, out.height, out.width, out.channels]);
		expect(relError(nchw, expected.data)).toBeLessThanOrEqual(1e-4);
		expect(out.display.data.length).toBe(out.height * out.width * 4);
	});

	it('the display image is the crop the network sees, in 0–255', () => {
		const c = cases[0];
		const image = tensors.get(`${c.name}/image`)!;
		const out = preprocess(
			{ width: image.shape[1], height: image.shape[0], data: Uint8Array.from(image.data) },
			policyFor({ channels: 3, height: c.height, width: c.width }, { resizeShorter: c.resizeShorter })
		);
		// The normalised red channel of pixel 0 undone gives the display's red value (±0.5 rounding).
		expect(
			Math.abs((out.data[0] * IMAGENET_STD[0] + IMAGENET_MEAN[0]) * 255 - out.display.data[0])
		).toBeLessThanOrEqual(0.5);
		expect(out.display.data[3]).toBe(255);
	});
});

describe('policies', () => {
	it("is torchvision's ImageNet evaluation transform at 224", () => {
		const p = policyFor({ channels: 3, height: 224, width: 224 });
		expect(p).toMatchObject({ resize: 'shorter', resizeShorter: 256, height: 224, width: 224 });
		expect(p.mean).toEqual([0.485, 0.456, 0.406]);
		expect(p.std).toEqual([0.229, 0.224, 0.225]);
		expect(resizedSize(480, 640, 256)).toEqual([256, 341]); // torchvision: int(256 * 640 / 480)
		expect(resizedSize(500, 375, 256)).toEqual([341, 256]);
	});

	it("uses an image of exactly the network's size as it is (no 256/224 zoom)", () => {
		const data = new Uint8Array(28 * 28 * 4).map((_, i) => (i * 7) % 256);
		const out = preprocess(
			{ width: 28, height: 28, data },
			policyFor({ channels: 1, height: 28, width: 28 })
		);
		for (let i = 0; i < 28 * 28; i++) {
			const l = data[i * 4] * 0.299 + data[i * 4 + 1] * 0.587 + data[i * 4 + 2] * 0.114;
			expect(out.data[i]).toBeCloseTo((l / 255 - 0.5) / 0.5, 5);
		}
	});
});
