/**
 * Image → network input, as pure functions on RGBA pixel arrays (no DOM), shared by the browser
 * and the CLI. The default policy is torchvision's ImageNet evaluation transform:
 *   Resize(256) (shorter side; antialiased bilinear, as PIL's BILINEAR and torch's
 *   `interpolate(..., antialias=True)` — the two agree, and ImageNet weights were evaluated with
 *   PIL), CenterCrop(224), ToTensor (÷255), Normalize(mean, std).
 * For other input sizes the resize side scales with the crop (256/224 of its larger side).
 * 1-channel specs convert to grayscale with ITU-R 601-2 luma (PIL's "L", torchvision's Grayscale).
 * Bundled models pass their own mean/std (meta.json) and, if they need it, `resize: 'stretch'`
 * (straight to H×W, no crop) and `invert` (e.g. Fashion-MNIST: light garment on black).
 * An image that already has the network's H×W is used as it is (no resize, no crop).
 */

export interface RgbaImage {
	width: number;
	height: number;
	/** width·height·4 bytes, row-major RGBA. */
	data: Uint8Array | Uint8ClampedArray;
}

export interface PreprocessPolicy {
	/** Output size (the spec's input H×W) and channels (1: grayscale, 3: RGB). */
	height: number;
	width: number;
	channels: number;
	/** 'shorter': resize the shorter side to `resizeShorter`, then centre-crop; 'stretch': resize to H×W. */
	resize: 'shorter' | 'stretch';
	resizeShorter: number;
	mean: number[];
	std: number[];
	/** 255 − value before scaling (for white-on-black datasets). */
	invert: boolean;
	/** The resampling filter, antialiased as PIL's (torchvision's default bilinear; timm's weights: bicubic). */
	interpolation: Interpolation;
}

export type Interpolation = 'bilinear' | 'bicubic';

/**
 * PIL's resampling filters (Imaging/Resample.c): the triangle (support 1) and the cubic with
 * a = −0.5 (support 2); torch's antialiased bilinear and bicubic use the same ones.
 */
const FILTERS: Record<Interpolation, { support: number; f: (x: number) => number }> = {
	bilinear: { support: 1, f: (x) => Math.max(0, 1 - Math.abs(x)) },
	bicubic: {
		support: 2,
		f: (x) => {
			const a = -0.5;
			const t = Math.abs(x);
			if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
			if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
			return 0;
		}
	}
};

export interface Preprocessed {
	/** NHWC with N = 1, normalised. */
	data: Float32Array;
	height: number;
	width: number;
	channels: number;
	/** The image the network sees (after resize, crop, grayscale, inversion), for display. */
	display: RgbaImage;
}

export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

/** The policy for a spec's input: ImageNet's unless `overrides` (e.g. from meta.json) say otherwise. */
export function policyFor(
	input: { channels: number; height: number; width: number },
	overrides: Partial<PreprocessPolicy> = {}
): PreprocessPolicy {
	const c = input.channels;
	const gray = c === 1;
	const mean = gray ? [0.5] : c === 3 ? IMAGENET_MEAN : new Array(c).fill(0.5);
	const std = gray ? [0.5] : c === 3 ? IMAGENET_STD : new Array(c).fill(0.5);
	return {
		height: input.height,
		width: input.width,
		channels: c,
		resize: 'shorter',
		resizeShorter: Math.round((Math.max(input.height, input.width) * 256) / 224),
		mean,
		std,
		invert: false,
		interpolation: 'bilinear',
		...overrides
	};
}

/** Python's round(): halves to even (torchvision's CenterCrop uses it). */
function roundHalfEven(x: number): number {
	const r = Math.round(x);
	return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Antialiased resampling along one axis (PIL's ImagingResample with the filter given; equal to
 * torch's antialias=True bilinear / bicubic). `src` holds `lines` lines of `inLen`
 * samples with `ch` channels, strided as given; float in, float out.
 */
function resampleAxis(
	src: Float32Array,
	inLen: number,
	outLen: number,
	lines: number,
	ch: number,
	alongStride: number,
	lineStride: number,
	outAlongStride: number,
	outLineStride: number,
	filter: Interpolation
): Float32Array {
	const out = new Float32Array(outLen * lines * ch);
	const scale = inLen / outLen;
	const filterScale = Math.max(scale, 1);
	const { support: base, f } = FILTERS[filter];
	const support = base * filterScale; // widened when downscaling
	for (let o = 0; o < outLen; o++) {
		const center = (o + 0.5) * scale;
		const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
		const xmax = Math.min(Math.trunc(center + support + 0.5), inLen);
		const weights: number[] = [];
		let total = 0;
		for (let j = xmin; j < xmax; j++) {
			const wgt = f((j - center + 0.5) / filterScale);
			weights.push(wgt);
			total += wgt;
		}
		if (total !== 0) for (let j = 0; j < weights.length; j++) weights[j] /= total;
		for (let l = 0; l < lines; l++) {
			for (let c = 0; c < ch; c++) {
				let acc = 0;
				for (let j = 0; j < weights.length; j++)
					acc += weights[j] * src[l * lineStride + (xmin + j) * alongStride + c];
				out[l * outLineStride + o * outAlongStride + c] = acc;
			}
		}
	}
	return out;
}

/** Resizes a float HWC image (antialiased, bilinear unless told). */
export function resizeBilinear(
	src: Float32Array,
	height: number,
	width: number,
	channels: number,
	outHeight: number,
	outWidth: number,
	filter: Interpolation = 'bilinear'
): Float32Array {
	// Horizontal pass: height lines of width samples → height × outWidth.
	const h =
		width === outWidth
			? src
			: resampleAxis(
					src,
					width,
					outWidth,
					height,
					channels,
					channels,
					width * channels,
					channels,
					outWidth * channels,
					filter
				);
	// Vertical pass: outWidth lines of height samples → outHeight × outWidth.
	return height === outHeight
		? h
		: resampleAxis(
				h,
				height,
				outHeight,
				outWidth,
				channels,
				outWidth * channels,
				channels,
				outWidth * channels,
				channels,
				filter
			);
}

/** torchvision's Resize(size) output for an int size: shorter side → size, longer truncated. */
export function resizedSize(height: number, width: number, shorter: number): [number, number] {
	if (height <= width) return [shorter, Math.trunc((shorter * width) / height)];
	return [Math.trunc((shorter * height) / width), shorter];
}

/** Runs the policy on an RGBA image. */
export function preprocess(image: RgbaImage, policy: PreprocessPolicy): Preprocessed {
	const { width: W0, height: H0 } = image;
	if (!(W0 > 0 && H0 > 0) || image.data.length < W0 * H0 * 4)
		throw new Error(`image data does not match its size ${W0}×${H0}`);
	// RGB float 0–255 (alpha dropped, as PIL's convert('RGB')).
	let rgb: Float32Array = new Float32Array(W0 * H0 * 3);
	for (let i = 0; i < W0 * H0; i++) {
		rgb[i * 3] = image.data[i * 4];
		rgb[i * 3 + 1] = image.data[i * 4 + 1];
		rgb[i * 3 + 2] = image.data[i * 4 + 2];
	}
	let H = H0;
	let W = W0;
	const { height: ch, width: cw } = policy;
	if (W0 === cw && H0 === ch) {
		// Already the network's size (e.g. a Fashion-MNIST 28×28 image): used as it is. Resizing to
		// 256/224 and cropping back would zoom it by 8 % (the bundled fashion-resnet loses ~6 points
		// of accuracy on the test set that way).
	} else if (policy.resize === 'stretch') {
		rgb = resizeBilinear(rgb, H, W, 3, ch, cw, policy.interpolation);
		H = ch;
		W = cw;
	} else {
		const [rh, rw] = resizedSize(H, W, policy.resizeShorter);
		rgb = resizeBilinear(rgb, H, W, 3, rh, rw, policy.interpolation);
		H = rh;
		W = rw;
	}
	// Centre crop (torchvision: top = round((H − ch) / 2); pads with 0 where the image is smaller).
	const top = roundHalfEven((H - ch) / 2);
	const left = roundHalfEven((W - cw) / 2);
	const C = policy.channels;
	const data = new Float32Array(ch * cw * C);
	const display = new Uint8ClampedArray(ch * cw * 4);
	for (let y = 0; y < ch; y++) {
		for (let x = 0; x < cw; x++) {
			const sy = y + top;
			const sx = x + left;
			const inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
			let r = inside ? rgb[(sy * W + sx) * 3] : 0;
			let g = inside ? rgb[(sy * W + sx) * 3 + 1] : 0;
			let b = inside ? rgb[(sy * W + sx) * 3 + 2] : 0;
			if (policy.invert) {
				r = 255 - r;
				g = 255 - g;
				b = 255 - b;
			}
			const o = (y * cw + x) * C;
			const d = (y * cw + x) * 4;
			if (C === 1) {
				const l = r * 0.299 + g * 0.587 + b * 0.114;
				data[o] = (l / 255 - policy.mean[0]) / policy.std[0];
				display[d] = display[d + 1] = display[d + 2] = l;
			} else {
				const px = [r, g, b];
				for (let c = 0; c < C; c++) data[o + c] = (px[c % 3] / 255 - policy.mean[c]) / policy.std[c];
				display[d] = r;
				display[d + 1] = g;
				display[d + 2] = b;
			}
			display[d + 3] = 255;
		}
	}
	return { data, height: ch, width: cw, channels: C, display: { width: cw, height: ch, data: display } };
}
