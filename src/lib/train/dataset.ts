/**
 * Training data for the page's Train panel, as pure functions (no DOM, no tfjs):
 * - the packed Fashion-MNIST subset in static/data/fashion-mnist/ (written by
 *   tools/train/make_fashion_subset.py; format in that script's docstring): `decodeDataset`;
 * - the user's own images, already preprocessed for the network: `ownImagesDataset`, with a
 *   deterministic held-out split (`heldOutSplit`);
 * - batches as the trainer takes them: `gatherBatch` (N, C, H, W float32, normalised).
 */

/** A bad data file or bad images: what is wrong, and where. */
export class DataError extends Error {
	constructor(
		readonly source: string,
		message: string
	) {
		super(`${source}: ${message}`);
		this.name = 'DataError';
	}
}

/** Where the Fashion-MNIST subset lives, under the app's base path. */
export const FASHION_DATA = {
	train: 'data/fashion-mnist/train.bin',
	test: 'data/fashion-mnist/test.bin',
	/** What the panel says the data is. */
	description:
		'Fashion-MNIST subset: 10,000 training images (1,000 per class), 2,000 test images (200 per class)'
} as const;

/**
 * Images with labels. Pixels are kept as bytes (uint8, 0–255, normalised when a batch is made)
 * or as floats already normalised (the user's own images, preprocessed for the network).
 */
export interface Dataset {
	count: number;
	channels: number;
	height: number;
	width: number;
	classes: number;
	/** One per image, 0 … classes − 1. */
	labels: Uint8Array;
	/** count × channels × height × width, N, C, H, W order. */
	pixels:
		| { kind: 'uint8'; data: Uint8Array; mean: number[]; std: number[] }
		| { kind: 'float32'; data: Float32Array };
}

const MAGIC = 'FMNB';
const HEADER_BYTES = 20;

/**
 * Reads a packed subset file (one channel). `mean` and `std` are the normalisation applied when
 * batches are made: (x / 255 − mean) / std, as the bundled model's meta.json says. Throws
 * `DataError` for anything that is not such a file.
 */
export function decodeDataset(bytes: Uint8Array, source: string, mean: number[], std: number[]): Dataset {
	if (bytes.length < HEADER_BYTES)
		throw new DataError(source, `${bytes.length} bytes, too short for a header`);
	const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
	if (magic !== MAGIC)
		throw new DataError(
			source,
			`not a packed Fashion-MNIST subset (starts with "${magic}", expected "${MAGIC}")`
		);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const version = view.getUint32(4, true);
	if (version !== 1) throw new DataError(source, `format version ${version}, this page reads version 1`);
	const count = view.getUint32(8, true);
	const height = view.getUint16(12, true);
	const width = view.getUint16(14, true);
	const classes = view.getUint32(16, true);
	const expected = HEADER_BYTES + count + count * height * width;
	if (bytes.length !== expected)
		throw new DataError(
			source,
			`${bytes.length} bytes, but ${count} images of ${height}×${width} need ${expected} (a truncated download?)`
		);
	if (mean.length !== 1 || std.length !== 1 || !(std[0] > 0))
		throw new DataError(source, 'one-channel images need one mean and one positive std');
	const labels = bytes.subarray(HEADER_BYTES, HEADER_BYTES + count);
	for (let i = 0; i < count; i++)
		if (labels[i] >= classes)
			throw new DataError(source, `label ${labels[i]} of image ${i} is not below ${classes}`);
	return {
		count,
		channels: 1,
		height,
		width,
		classes,
		labels,
		pixels: { kind: 'uint8', data: bytes.subarray(HEADER_BYTES + count, expected), mean, std }
	};
}

/** Steps in an epoch: every image once, the last batch filled from the next epoch's order. */
export function stepsPerEpoch(count: number, batch: number): number {
	return Math.ceil(count / batch);
}

/** How many images of each class a dataset holds. */
export function classCounts(data: Pick<Dataset, 'labels' | 'classes'>): number[] {
	const counts = new Array<number>(data.classes).fill(0);
	for (const l of data.labels) counts[l]++;
	return counts;
}

/**
 * The images at `indices` as one batch: N, C, H, W float32, normalised, and their labels.
 * `out` may be passed to reuse a buffer of the right size.
 */
export function gatherBatch(
	data: Dataset,
	indices: ArrayLike<number>,
	out?: Float32Array
): { images: Float32Array; labels: Int32Array } {
	const size = data.channels * data.height * data.width;
	const n = indices.length;
	const images = out && out.length === n * size ? out : new Float32Array(n * size);
	const labels = new Int32Array(n);
	const px = data.pixels;
	for (let b = 0; b < n; b++) {
		const i = indices[b];
		if (!(i >= 0 && i < data.count)) throw new RangeError(`image ${i} of ${data.count}`);
		labels[b] = data.labels[i];
		const o = b * size;
		if (px.kind === 'float32') {
			images.set(px.data.subarray(i * size, (i + 1) * size), o);
			continue;
		}
		const plane = data.height * data.width;
		for (let c = 0; c < data.channels; c++) {
			const scale = 1 / (255 * px.std[c]);
			const shift = px.mean[c] / px.std[c];
			const src = i * size + c * plane;
			for (let p = 0; p < plane; p++) images[o + c * plane + p] = px.data[src + p] * scale - shift;
		}
	}
	return { images, labels };
}

/**
 * The first `n` images (all when n ≥ count), as they are (no copy). The subset's order is
 * Fashion-MNIST's own, already shuffled, so the first images are close to class-balanced.
 */
export function firstImages(data: Dataset, n: number): Dataset {
	if (!(n < data.count)) return data;
	const size = data.channels * data.height * data.width;
	const px = data.pixels;
	return {
		...data,
		count: n,
		labels: data.labels.subarray(0, n),
		pixels:
			px.kind === 'uint8'
				? { ...px, data: px.data.subarray(0, n * size) }
				: { kind: 'float32', data: px.data.subarray(0, n * size) }
	};
}

/** The same images, `indices` only (a split of the user's images). */
export function subset(data: Dataset, indices: readonly number[]): Dataset {
	const { images, labels } = gatherBatch(data, indices);
	return {
		...data,
		count: indices.length,
		labels: Uint8Array.from(labels),
		pixels: { kind: 'float32', data: images }
	};
}

/**
 * Which images of each class are held out for testing: every `every`-th image of a class (the
 * every-th, 2·every-th, …), at least one per class of two or more images, never a class's only
 * image. Deterministic: the same buckets give the same split.
 */
export function heldOutSplit(labels: ArrayLike<number>, every = 5): { train: number[]; test: number[] } {
	const seen = new Map<number, number>();
	const size = new Map<number, number>();
	for (let i = 0; i < labels.length; i++) size.set(labels[i], (size.get(labels[i]) ?? 0) + 1);
	const train: number[] = [];
	const test: number[] = [];
	for (let i = 0; i < labels.length; i++) {
		const k = seen.get(labels[i]) ?? 0;
		seen.set(labels[i], k + 1);
		if (size.get(labels[i])! >= 2 && k % every === every - 1) test.push(i);
		else train.push(i);
	}
	// A class of 2…every−1 images would have none held out: hold out its last one.
	for (const [label, n] of size) {
		if (n < 2 || n >= every) continue;
		let last = -1;
		for (let i = 0; i < labels.length; i++) if (labels[i] === label) last = i;
		train.splice(train.indexOf(last), 1);
		test.push(last);
	}
	test.sort((a, b) => a - b);
	return { train, test };
}

/** One of the user's images, preprocessed for the network: C, H, W float32, normalised. */
export interface OwnImage {
	label: number;
	chw: Float32Array;
}

/**
 * The user's images (each already preprocessed to the network's C×H×W) as a dataset of
 * `classes` classes. Throws `DataError` when a class has no image or a size differs.
 */
export function ownImagesDataset(
	images: readonly OwnImage[],
	classes: number,
	shape: { channels: number; height: number; width: number }
): Dataset {
	const size = shape.channels * shape.height * shape.width;
	const data = new Float32Array(images.length * size);
	const labels = new Uint8Array(images.length);
	const counts = new Array<number>(classes).fill(0);
	images.forEach((im, i) => {
		if (im.chw.length !== size)
			throw new DataError(
				'your images',
				`image ${i + 1} has ${im.chw.length} values, the network takes ${size}`
			);
		if (!(im.label >= 0 && im.label < classes))
			throw new DataError('your images', `image ${i + 1} is in class ${im.label}, not one of ${classes}`);
		data.set(im.chw, i * size);
		labels[i] = im.label;
		counts[im.label]++;
	});
	const empty = counts.findIndex((c) => c === 0);
	if (classes < 2) throw new DataError('your images', 'training needs two or more classes');
	if (empty >= 0) throw new DataError('your images', `class ${empty + 1} has no images`);
	return { count: images.length, ...shape, classes, labels, pixels: { kind: 'float32', data } };
}

/** NHWC (one image, as pixels/preprocess makes it) → C, H, W. */
export function nhwcToChw(data: Float32Array, height: number, width: number, channels: number): Float32Array {
	const out = new Float32Array(channels * height * width);
	for (let c = 0; c < channels; c++)
		for (let p = 0; p < height * width; p++) out[c * height * width + p] = data[p * channels + c];
	return out;
}
