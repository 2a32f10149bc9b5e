/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length, a JSON header `{ name: { dtype, shape, data_offsets: [begin, end] } }`, then
 * the raw little-endian bytes. Read into float32; written as F32 or F16.
 */
import {
	DTYPE_BYTES,
	WeightsError,
	decodeRaw,
	fileError,
	floatToHalf,
	formatShape,
	normaliseKeys,
	numel,
	type RawDtype,
	type TensorMap
} from './types';

const MAX_HEADER = 100 * 1024 * 1024;

/** Parses a .safetensors file. Throws a `WeightsError` naming the problem for a malformed file. */
export function parseSafetensors(bytes: Uint8Array): TensorMap {
	return normaliseKeys(parseSafetensorsRaw(bytes));
}

/** Like `parseSafetensors` but keeps every key as it is in the file (for non-weight tensors). */
export function parseSafetensorsRaw(bytes: Uint8Array): TensorMap {
	if (bytes.length < 8)
		throw fileError(
			`not a safetensors file: ${bytes.length} bytes is too short for the 8-byte header length`,
			'at least 8 bytes',
			`${bytes.length} bytes`
		);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const headerLen = Number(view.getBigUint64(0, true));
	if (headerLen > MAX_HEADER || 8 + headerLen > bytes.length)
		throw fileError(
			`truncated or not a safetensors file: the header claims ${headerLen} bytes but the file has ${bytes.length - 8} after the length`,
			`${headerLen} header bytes`,
			`${bytes.length - 8} bytes`
		);
	let header: unknown;
	try {
		header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
	} catch (e) {
		throw fileError(`not a safetensors file: the header is not JSON (${(e as Error).message})`);
	}
	if (typeof header !== 'object' || header === null || Array.isArray(header))
		throw fileError('not a safetensors file: the header is not a JSON object');
	const dataStart = 8 + headerLen;
	const dataLen = bytes.length - dataStart;
	const out: TensorMap = new Map();
	for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
		if (name === '__metadata__') continue;
		const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
		if (typeof t !== 'object' || t === null)
			throw new WeightsError(name, 'a tensor entry', JSON.stringify(info), `${name}: malformed header entry`);
		const dtype = t.dtype as RawDtype;
		if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES))
			throw new WeightsError(
				name,
				'dtype F32, F16, BF16, F64 or an integer type',
				String(t.dtype),
				`${name}: unsupported dtype ${JSON.stringify(t.dtype)}`
			);
		const shape = t.shape;
		if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
			throw new WeightsError(
				name,
				'a shape',
				JSON.stringify(shape),
				`${name}: malformed shape ${JSON.stringify(shape)}`
			);
		const offs = t.data_offsets;
		if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isInteger(d) && d >= 0))
			throw new WeightsError(name, '[begin, end]', JSON.stringify(offs), `${name}: malformed data_offsets`);
		const [begin, end] = offs as number[];
		const count = numel(shape as number[]);
		const want = count * DTYPE_BYTES[dtype];
		if (end - begin !== want)
			throw new WeightsError(
				name,
				`${want} bytes (${dtype} ${formatShape(shape as number[])})`,
				`${end - begin} bytes`,
				`${name}: ${dtype} ${formatShape(shape as number[])} needs ${want} bytes, the header gives ${end - begin}`
			);
		if (end > dataLen)
			throw new WeightsError(
				name,
				`data up to byte ${end}`,
				`${dataLen} data bytes`,
				`truncated file: ${name} ends at data byte ${end} but the file has only ${dataLen}`
			);
		out.set(name, {
			shape: [...(shape as number[])],
			data: decodeRaw(bytes, dataStart + begin, count, dtype)
		});
	}
	return out;
}

/** Writes tensors as a .safetensors file (keys sorted, as the reference implementation does). */
export function writeSafetensors(tensors: TensorMap, dtype: 'F32' | 'F16' = 'F32'): Uint8Array {
	const size = DTYPE_BYTES[dtype];
	const names = [...tensors.keys()].sort();
	const header: Record<string, unknown> = {};
	let offset = 0;
	for (const name of names) {
		const t = tensors.get(name)!;
		const len = t.data.length * size;
		header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + len] };
		offset += len;
	}
	let json = JSON.stringify(header);
	// Pad the header with spaces so the data starts 8-byte aligned (allowed by the format).
	json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
	const head = new TextEncoder().encode(json);
	const out = new Uint8Array(8 + head.length + offset);
	const view = new DataView(out.buffer);
	view.setBigUint64(0, BigInt(head.length), true);
	out.set(head, 8);
	let pos = 8 + head.length;
	for (const name of names) {
		const d = tensors.get(name)!.data;
		if (dtype === 'F32') for (let i = 0; i < d.length; i++, pos += 4) view.setFloat32(pos, d[i], true);
		else for (let i = 0; i < d.length; i++, pos += 2) view.setUint16(pos, floatToHalf(d[i]), true);
	}
	return out;
}
