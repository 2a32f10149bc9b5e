/**
 * A user's photo or drawing of a garment → Fashion-MNIST-style input (the bundled
 * `fashion-resnet`). Fashion-MNIST's own conversion (Xiao, Rasul & Vollgraf 2017, §2): trim the
 * product, resize its longest side to 28 keeping the aspect ratio, centre it on 28×28, convert to
 * grayscale, negate (light garment on black). Here:
 *   1. transparent pixels are paper: composited over white (a drawing on a clear canvas);
 *   2. the background is the mean colour of the image's outer ring of pixels;
 *   3. trim to the box of pixels that differ from the background by more than `TRIM_THRESHOLD`;
 *   4. pad to a square with the background colour (aspect kept), then `preprocess` with
 *      `resize: 'stretch'` to H×W (antialiased bilinear, ITU-R 601 luma — as for every model);
 *   5. invert when the background is light (luma > 127.5), so the garment ends up light on black.
 * An image already in the dataset's form (H×W, dark background) passes unchanged (no trim).
 * Pure functions on RGBA arrays: no DOM, no tfjs.
 */
import { preprocess, type PreprocessPolicy, type Preprocessed, type RgbaImage } from './preprocess';

/** Luma difference from the background (0–255) above which a pixel belongs to the garment. */
export const TRIM_THRESHOLD = 24;

const luma = (r: number, g: number, b: number) => r * 0.299 + g * 0.587 + b * 0.114;

/** The image composited over white (alpha 255 everywhere). */
function overWhite(image: RgbaImage): Uint8ClampedArray {
	const n = image.width * image.height;
	const out = new Uint8ClampedArray(n * 4);
	for (let i = 0; i < n; i++) {
		const a = image.data[i * 4 + 3] / 255;
		for (let c = 0; c < 3; c++) out[i * 4 + c] = image.data[i * 4 + c] * a + 255 * (1 - a);
		out[i * 4 + 3] = 255;
	}
	return out;
}

/** Mean RGB of the outer ring of pixels. */
export function borderColour(image: RgbaImage): [number, number, number] {
	const { width: W, height: H, data } = image;
	const sum = [0, 0, 0];
	let n = 0;
	const add = (x: number, y: number) => {
		const i = (y * W + x) * 4;
		sum[0] += data[i];
		sum[1] += data[i + 1];
		sum[2] += data[i + 2];
		n++;
	};
	for (let x = 0; x < W; x++) {
		add(x, 0);
		if (H > 1) add(x, H - 1);
	}
	for (let y = 1; y < H - 1; y++) {
		add(0, y);
		if (W > 1) add(W - 1, y);
	}
	return [sum[0] / n, sum[1] / n, sum[2] / n];
}

/** The box [top, left, bottom, right) of pixels differing from `bg`; the whole image when none do. */
function contentBox(image: RgbaImage, bg: number): [number, number, number, number] {
	const { width: W, height: H, data } = image;
	let top = H;
	let left = W;
	let bottom = 0;
	let right = 0;
	for (let y = 0; y < H; y++)
		for (let x = 0; x < W; x++) {
			const i = (y * W + x) * 4;
			if (Math.abs(luma(data[i], data[i + 1], data[i + 2]) - bg) > TRIM_THRESHOLD) {
				if (y < top) top = y;
				if (y >= bottom) bottom = y + 1;
				if (x < left) left = x;
				if (x >= right) right = x + 1;
			}
		}
	return bottom > top ? [top, left, bottom, right] : [0, 0, H, W];
}

export interface GarmentInput extends Preprocessed {
	/** Whether the image was negated (its background was light). */
	inverted: boolean;
}

/**
 * Converts a photo or drawing the way Fashion-MNIST was made. `policy` gives the size, channels
 * and mean/std (from the model's meta.json); its `resize` and `invert` are decided here.
 */
export function preprocessGarment(image: RgbaImage, policy: PreprocessPolicy): GarmentInput {
	const { width: W, height: H } = image;
	if (!(W > 0 && H > 0) || image.data.length < W * H * 4)
		throw new Error(`image data does not match its size ${W}×${H}`);
	const opaque: RgbaImage = { width: W, height: H, data: overWhite(image) };
	const bgRgb = borderColour(opaque);
	const bg = luma(...bgRgb);
	// Already in the dataset's form (its size, dark background): exactly what the model was tested on.
	if (W === policy.width && H === policy.height && bg <= 127.5)
		return { ...preprocess(opaque, { ...policy, resize: 'stretch', invert: false }), inverted: false };
	const [top, left, bottom, right] = contentBox(opaque, bg);
	const h = bottom - top;
	const w = right - left;
	const side = Math.max(h, w);
	const square = new Uint8ClampedArray(side * side * 4);
	for (let i = 0; i < side * side; i++) {
		square[i * 4] = bgRgb[0];
		square[i * 4 + 1] = bgRgb[1];
		square[i * 4 + 2] = bgRgb[2];
		square[i * 4 + 3] = 255;
	}
	const oy = (side - h) >> 1;
	const ox = (side - w) >> 1;
	for (let y = 0; y < h; y++) {
		const from = ((top + y) * W + left) * 4;
		square.set(opaque.data.subarray(from, from + w * 4), ((oy + y) * side + ox) * 4);
	}
	const inverted = bg > 127.5;
	const out = preprocess(
		{ width: side, height: side, data: square },
		{ ...policy, resize: 'stretch', invert: inverted }
	);
	return { ...out, inverted };
}
