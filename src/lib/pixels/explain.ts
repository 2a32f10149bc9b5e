/**
 * Explanation maps as pictures: a map (Grad-CAM at a layer's resolution, saliency at the input's,
 * occlusion on its patch grid) brought to the input's size, scaled for display, colour-mapped and
 * blended over the input. Pure functions, no DOM, no tfjs.
 */
import type { RgbaImage } from './preprocess';

/**
 * Bilinear resampling of a `height` × `width` map (row-major) to `outHeight` × `outWidth`, as
 * PyTorch's `F.interpolate(mode='bilinear', align_corners=False)` without antialiasing: output
 * pixel centre i maps to source coordinate (i + ½)·in/out − ½, clamped at 0, and the two nearest
 * source samples along each axis are mixed linearly (the last one repeats past the edge).
 */
export function upsampleBilinear(
	values: ArrayLike<number>,
	height: number,
	width: number,
	outHeight: number,
	outWidth: number
): Float32Array {
	if (values.length !== height * width)
		throw new Error(`a ${height}×${width} map has ${height * width} values, not ${values.length}`);
	if (height < 1 || width < 1 || outHeight < 1 || outWidth < 1)
		throw new Error(`cannot resample a ${height}×${width} map to ${outHeight}×${outWidth}`);
	const ys = axis(height, outHeight);
	const xs = axis(width, outWidth);
	const out = new Float32Array(outHeight * outWidth);
	for (let i = 0; i < outHeight; i++) {
		const r0 = ys.i0[i] * width;
		const r1 = ys.i1[i] * width;
		const fy = ys.f[i];
		for (let j = 0; j < outWidth; j++) {
			const x0 = xs.i0[j];
			const x1 = xs.i1[j];
			const fx = xs.f[j];
			const top = values[r0 + x0] * (1 - fx) + values[r0 + x1] * fx;
			const bottom = values[r1 + x0] * (1 - fx) + values[r1 + x1] * fx;
			out[i * outWidth + j] = top * (1 - fy) + bottom * fy;
		}
	}
	return out;
}

/** Per output index along one axis: the two source indices and the weight of the second. */
function axis(inLen: number, outLen: number): { i0: Int32Array; i1: Int32Array; f: Float64Array } {
	const scale = inLen / outLen;
	const i0 = new Int32Array(outLen);
	const i1 = new Int32Array(outLen);
	const f = new Float64Array(outLen);
	for (let o = 0; o < outLen; o++) {
		const src = Math.max(0, (o + 0.5) * scale - 0.5);
		const lo = Math.min(Math.floor(src), inLen - 1);
		i0[o] = lo;
		i1[o] = lo < inLen - 1 ? lo + 1 : lo;
		f[o] = src - lo;
	}
	return { i0, i1, f };
}

/**
 * An occlusion grid brought to the input's pixels: cell (r, c) is the patch `patch` × `patch`
 * whose top-left corner is (r·stride, c·stride); each pixel gets the mean of the cells whose patch
 * covers it (0 where none does), so the map has the input's size and no patch's value leaks past it.
 */
export function occlusionToPixels(
	grid: ArrayLike<number>,
	rows: number,
	cols: number,
	patch: number,
	stride: number,
	height: number,
	width: number
): Float32Array {
	if (grid.length !== rows * cols)
		throw new Error(`a ${rows}×${cols} occlusion grid has ${rows * cols} values, not ${grid.length}`);
	if (!(patch >= 1 && stride >= 1)) throw new Error(`patch ${patch} and stride ${stride} must be at least 1`);
	const sum = new Float64Array(height * width);
	const count = new Uint32Array(height * width);
	for (let r = 0; r < rows; r++)
		for (let c = 0; c < cols; c++) {
			const v = grid[r * cols + c];
			const y1 = Math.min(height, r * stride + patch);
			const x1 = Math.min(width, c * stride + patch);
			for (let y = r * stride; y < y1; y++)
				for (let x = c * stride; x < x1; x++) {
					sum[y * width + x] += v;
					count[y * width + x]++;
				}
		}
	const out = new Float32Array(height * width);
	for (let i = 0; i < out.length; i++) out[i] = count[i] ? sum[i] / count[i] : 0;
	return out;
}

/**
 * A map's display levels (0–255): a value v becomes round(255 · v / max), negatives 0, so that 0
 * means "no evidence" on every map and the strongest evidence is full scale. `max` is the largest
 * value (0 when none is positive: then every level is 0).
 */
export function displayLevels(values: ArrayLike<number>): { levels: Uint8ClampedArray; max: number } {
	let max = 0;
	for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
	const levels = new Uint8ClampedArray(values.length);
	if (max > 0) for (let i = 0; i < values.length; i++) levels[i] = (255 * Math.max(0, values[i])) / max;
	return { levels, max };
}

/** The levels painted with a colour map (a 256-entry RGBA LUT from `colourLut`), opaque. */
export function paintLevels(
	levels: ArrayLike<number>,
	width: number,
	height: number,
	lut: Uint8ClampedArray
): RgbaImage {
	if (levels.length !== width * height)
		throw new Error(`a ${height}×${width} picture has ${width * height} levels, not ${levels.length}`);
	const data = new Uint8ClampedArray(width * height * 4);
	for (let i = 0; i < levels.length; i++) {
		const v = levels[i] * 4;
		data[i * 4] = lut[v];
		data[i * 4 + 1] = lut[v + 1];
		data[i * 4 + 2] = lut[v + 2];
		data[i * 4 + 3] = 255;
	}
	return { width, height, data };
}

/**
 * The colour-mapped levels over the input: out = (1 − opacity) · input + opacity · colour, per
 * RGB channel, opaque. `levels` has the input's size; opacity is clamped to 0–1.
 */
export function blendOverlay(
	input: RgbaImage,
	levels: ArrayLike<number>,
	lut: Uint8ClampedArray,
	opacity: number
): RgbaImage {
	const { width, height } = input;
	if (levels.length !== width * height)
		throw new Error(`the map has ${levels.length} values but the input is ${height}×${width}`);
	const a = Math.min(1, Math.max(0, Number.isFinite(opacity) ? opacity : 0));
	const data = new Uint8ClampedArray(width * height * 4);
	for (let i = 0; i < levels.length; i++) {
		const v = levels[i] * 4;
		for (let k = 0; k < 3; k++) data[i * 4 + k] = (1 - a) * input.data[i * 4 + k] + a * lut[v + k];
		data[i * 4 + 3] = 255;
	}
	return { width, height, data };
}

/** A file name for a saved explanation: net, method, node and class, in safe characters. */
export function explanationFileName(
	net: string,
	method: string,
	node: string | null,
	className: string
): string {
	const part = (s: string) =>
		s
			.trim()
			.replace(/[^A-Za-z0-9.]+/g, '-')
			.replace(/^-+|-+$/g, '');
	return (
		[net, method, node, className]
			.filter((s): s is string => !!s && !!part(s))
			.map(part)
			.join('_') + '.png'
	);
}

/**
 * An explanation's map at the input's size: an occlusion grid spread over its patches
 * (`occlusionToPixels`), any other map (Grad-CAM at a layer's resolution) upsampled bilinearly.
 */
export function mapToInput(
	map: { values: ArrayLike<number>; height: number; width: number },
	height: number,
	width: number,
	occlusion: { patch: number; stride: number } | null
): Float32Array {
	if (occlusion)
		return occlusionToPixels(
			map.values,
			map.height,
			map.width,
			occlusion.patch,
			occlusion.stride,
			height,
			width
		);
	return upsampleBilinear(map.values, map.height, map.width, height, width);
}
