/**
 * The order in which training sees its samples, and augmentation, on plain Float32Arrays (NCHW,
 * already normalised). Pure and seeded: the same seed gives the same batches and the same crops.
 *
 * Batch order: a stream of sample indices made of one permutation of 0…N−1 per epoch; batch j is
 * stream[j·B … j·B+B−1]. Without shuffling every permutation is the identity, so batch j is
 * samples j·B … j·B+B−1 (mod N) — the `train` CLI's `--no-shuffle` (DESIGN §3.4).
 *
 * Augmentation as tools/train/train_fashion.py: a random crop of the image padded by `pad` pixels
 * on every side (offsets 0…2·pad, uniform), then a horizontal flip with probability ½.
 */
import { seededRandom } from '../weights/init';

/** One epoch's permutation of 0…n−1 (Fisher–Yates, seeded by seed and epoch). */
export function epochOrder(n: number, epoch: number, shuffle: boolean, seed: number): Int32Array {
	const order = new Int32Array(n);
	for (let i = 0; i < n; i++) order[i] = i;
	if (!shuffle) return order;
	const rand = seededRandom(mix(seed, epoch)).uniform;
	for (let i = n - 1; i > 0; i--) {
		const j = Math.floor(rand() * (i + 1));
		const t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	return order;
}

/** The sample indices of batch `step` (0-based) of size `batch` over `n` samples. */
export function batchIndices(
	n: number,
	batch: number,
	step: number,
	options: { shuffle: boolean; seed: number }
): Int32Array {
	if (!(n > 0) || !(batch > 0))
		throw new RangeError(`need samples and a batch size, got n=${n}, batch=${batch}`);
	const out = new Int32Array(batch);
	let epoch = -1;
	let order: Int32Array | null = null;
	for (let i = 0; i < batch; i++) {
		const pos = step * batch + i;
		const e = Math.floor(pos / n);
		if (e !== epoch) {
			epoch = e;
			order = epochOrder(n, e, options.shuffle, options.seed);
		}
		out[i] = order![pos % n];
	}
	return out;
}

/** The samples `indices` of an N,C,H,W array, gathered into a new B,C,H,W array. */
export function gather(images: Float32Array, sampleSize: number, indices: ArrayLike<number>): Float32Array {
	const out = new Float32Array(indices.length * sampleSize);
	for (let i = 0; i < indices.length; i++)
		out.set(images.subarray(indices[i] * sampleSize, (indices[i] + 1) * sampleSize), i * sampleSize);
	return out;
}

/** The labels of `indices`. */
export function gatherLabels(labels: ArrayLike<number>, indices: ArrayLike<number>): Int32Array {
	const out = new Int32Array(indices.length);
	for (let i = 0; i < indices.length; i++) out[i] = labels[indices[i]];
	return out;
}

export interface AugmentOptions {
	/** Zero padding, in pixels, before the random crop (train_fashion.py: 2); 0 = no crop. */
	pad: number;
	flip: boolean;
	/** The value of padding pixels: a black pixel after normalisation, (0 − mean) / std per channel. */
	fill: readonly number[];
	seed: number;
}

/**
 * A random crop (padding `pad`, offsets uniform in 0…2·pad) and a horizontal flip (p = ½) per
 * image of a B,C,H,W batch; `step` picks this batch's draws from the seed. Returns a new array.
 */
export function augment(
	images: Float32Array,
	[b, c, h, w]: readonly [number, number, number, number],
	options: AugmentOptions,
	step: number
): Float32Array {
	const rand = seededRandom(mix(options.seed, 0x9e3779b1 ^ step)).uniform;
	const out = new Float32Array(images.length);
	const p = options.pad;
	for (let n = 0; n < b; n++) {
		const oy = p > 0 ? Math.floor(rand() * (2 * p + 1)) - p : 0;
		const ox = p > 0 ? Math.floor(rand() * (2 * p + 1)) - p : 0;
		const flip = options.flip && rand() < 0.5;
		for (let ch = 0; ch < c; ch++) {
			const base = (n * c + ch) * h * w;
			const fill = options.fill[ch] ?? options.fill[0] ?? 0;
			for (let y = 0; y < h; y++) {
				const sy = y + oy;
				for (let x = 0; x < w; x++) {
					const sx = (flip ? w - 1 - x : x) + ox;
					out[base + y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? images[base + sy * w + sx] : fill;
				}
			}
		}
	}
	return out;
}

/** Two integers → one 32-bit seed. */
function mix(a: number, b: number): number {
	let h = Math.imul(a ^ 0x85ebca6b, 0xc2b2ae35) ^ b;
	h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
	h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
	return (h ^ (h >>> 16)) >>> 0;
}
