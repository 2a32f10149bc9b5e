/**
 * Weights as plain data: float32 tensors keyed by torchvision's state_dict names (DESIGN §3.2),
 * and the one error type every weights problem becomes (DESIGN §4: errors are values with a place).
 */

export interface Tensor {
	shape: number[];
	/** Row-major (C order) values; fp16 and bf16 files are converted to fp32 on load. */
	data: Float32Array;
}

/** torchvision state_dict keys (`layer1.0.conv1.weight`) → tensors. */
export type TensorMap = Map<string, Tensor>;

/**
 * A problem with a weights file or with one tensor in it. `tensor` names the tensor (empty for
 * the file as a whole), `expected` and `actual` say what was wanted and what was found.
 */
export class WeightsError extends Error {
	readonly tensor: string;
	readonly expected: string;
	readonly actual: string;
	constructor(tensor: string, expected: string, actual: string, message?: string) {
		super(message ?? defaultMessage(tensor, expected, actual));
		this.name = 'WeightsError';
		this.tensor = tensor;
		this.expected = expected;
		this.actual = actual;
	}
	toString(): string {
		return this.message;
	}
}

function defaultMessage(tensor: string, expected: string, actual: string): string {
	const what = tensor || 'file';
	return `${what}: expected ${expected}, got ${actual}`;
}

/** Every problem found at once (e.g. by `compile`): nothing was applied. */
export class WeightsListError extends Error {
	readonly errors: WeightsError[];
	constructor(errors: WeightsError[], context = 'the weights do not fit the network') {
		super(`${context}:\n${errors.map((e) => `  ${e.message}`).join('\n')}`);
		this.name = 'WeightsListError';
		this.errors = errors;
	}
	toString(): string {
		return this.message;
	}
}

/** `[64, 3, 7, 7]` — how shapes are written in messages. */
export function formatShape(shape: readonly number[]): string {
	return `[${shape.join(', ')}]`;
}

export function numel(shape: readonly number[]): number {
	return shape.reduce((a, b) => a * b, 1);
}

/** A file-level problem: not a tensor's fault. */
export function fileError(
	message: string,
	expected = 'a valid file',
	actual = 'something else'
): WeightsError {
	return new WeightsError('', expected, actual, message);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half → float32, exact (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
	const sign = h & 0x8000 ? -1 : 1;
	const exp = (h >> 10) & 0x1f;
	const frac = h & 0x3ff;
	if (exp === 0) return sign * frac * 2 ** -24;
	if (exp === 31) return frac ? NaN : sign * Infinity;
	return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float32 → IEEE half, round to nearest even (for writing F16 files). */
export function floatToHalf(x: number): number {
	f32[0] = x;
	const bits = u32[0];
	const sign = (bits >>> 16) & 0x8000;
	const exp = (bits >>> 23) & 0xff;
	let mant = bits & 0x7fffff;
	if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
	const e = exp - 127 + 15;
	if (e >= 31) return sign | 0x7c00;
	if (e <= 0) {
		if (e < -10) return sign;
		mant |= 0x800000;
		const shift = 14 - e;
		let half = mant >>> shift;
		const rem = mant & ((1 << shift) - 1);
		const mid = 1 << (shift - 1);
		if (rem > mid || (rem === mid && half & 1)) half++;
		return sign | half;
	}
	let half = sign | (e << 10) | (mant >>> 13);
	const rem = mant & 0x1fff;
	if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
	return half;
}

/** Decodes little-endian raw tensor bytes of a dtype into float32. */
export function decodeRaw(
	bytes: Uint8Array,
	offset: number,
	count: number,
	dtype: 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL'
): Float32Array {
	const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
	const out = new Float32Array(count);
	switch (dtype) {
		case 'F32':
			if ((bytes.byteOffset + offset) % 4 === 0)
				out.set(new Float32Array(bytes.buffer, bytes.byteOffset + offset, count));
			else for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
			break;
		case 'F16':
			for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
			break;
		case 'BF16':
			for (let i = 0; i < count; i++) {
				u32[0] = view.getUint16(i * 2, true) << 16;
				out[i] = f32[0];
			}
			break;
		case 'F64':
			for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
			break;
		case 'I64':
			for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
			break;
		case 'I32':
			for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
			break;
		case 'I16':
			for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
			break;
		case 'I8':
			for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
			break;
		case 'U8':
		case 'BOOL':
			for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
			break;
	}
	return out;
}

export const DTYPE_BYTES = {
	F32: 4,
	F16: 2,
	BF16: 2,
	F64: 8,
	I64: 8,
	I32: 4,
	I16: 2,
	I8: 1,
	U8: 1,
	BOOL: 1
} as const;
export type RawDtype = keyof typeof DTYPE_BYTES;

/** Keys we never need: BN's batch counter. */
export const isIgnoredKey = (key: string) => key.endsWith('num_batches_tracked');

/** Prefixes training code adds to every key: DataParallel, Lightning, torch.compile. */
export const WRAPPER_PREFIXES = ['module.', 'model.', '_orig_mod.'] as const;

/**
 * Normalises a loaded state_dict: drops ignored keys and strips the prefixes DataParallel
 * (`module.`), Lightning (`model.`) and torch.compile (`_orig_mod.`) add — each only when every
 * key has it, repeatedly (`module._orig_mod.`). `prefix` is what was stripped ('' for none).
 */
export function stripPrefixes(tensors: TensorMap): { tensors: TensorMap; prefix: string } {
	let keys = [...tensors.keys()].filter((k) => !isIgnoredKey(k));
	let prefix = '';
	for (;;) {
		const p = WRAPPER_PREFIXES.find((x) => keys.length > 0 && keys.every((k) => k.startsWith(x)));
		if (!p) break;
		prefix += p;
		keys = keys.map((k) => k.slice(p.length));
	}
	const out: TensorMap = new Map();
	for (const k of keys) out.set(k, tensors.get(prefix + k)!);
	return { tensors: out, prefix };
}

export function normaliseKeys(tensors: TensorMap): TensorMap {
	return stripPrefixes(tensors).tensors;
}
