/**
 * PyTorch checkpoints written by `torch.save` (the zip format, PyTorch ≥ 1.6): a zip archive
 * (entries stored uncompressed) holding `<root>/data.pkl` — a pickle of the state_dict whose
 * tensors point, by persistent id, at raw storages `<root>/data/<key>` — no Python needed.
 *
 * The unpickler implements the opcodes `torch.save` emits (protocol 2, plus the protocol 4/5
 * framing ones) and builds only plain data: dicts (Map), lists, tuples, numbers, strings and
 * tensors. A whole pickled model (`torch.save(model)`) is read too: each object the pickle
 * creates (NEWOBJ of a class — `torch.nn.Conv2d`, the user's own `ResNet`) becomes an inert
 * `ModuleStub` that only keeps the state the pickle gives it (its `_parameters`, `_buffers`,
 * `_modules`); no class is ever looked up or called. Any function the pickle would call (REDUCE)
 * other than the few that rebuild tensors and containers is refused: nothing in the file runs.
 */
import {
	WeightsError,
	decodeRaw,
	fileError,
	formatShape,
	numel,
	stripPrefixes,
	type RawDtype,
	type Tensor,
	type TensorMap
} from './types';

// ---------------------------------------------------------------- zip directory

interface ZipEntry {
	name: string;
	method: number;
	compressedSize: number;
	size: number;
	localOffset: number;
}

const ZIP_MAGIC = 0x04034b50;

export function isZip(bytes: Uint8Array): boolean {
	return (
		bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === ZIP_MAGIC
	);
}

function readZipDirectory(bytes: Uint8Array): Map<string, ZipEntry> {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const truncated = () =>
		fileError(
			'truncated or damaged .pth file: the zip directory at its end is missing',
			'a complete zip archive',
			`${bytes.length} bytes without a zip directory`
		);
	// End of central directory: 22 bytes + comment (≤ 65535), searched from the end.
	let eocd = -1;
	for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
		if (view.getUint32(i, true) === 0x06054b50) {
			eocd = i;
			break;
		}
	}
	if (eocd < 0) throw truncated();
	let count = view.getUint16(eocd + 10, true);
	let dirSize = view.getUint32(eocd + 12, true);
	let dirOffset = view.getUint32(eocd + 16, true);
	if (count === 0xffff || dirOffset === 0xffffffff || dirSize === 0xffffffff) {
		// Zip64: the locator sits just before the EOCD record.
		const loc = eocd - 20;
		if (loc < 0 || view.getUint32(loc, true) !== 0x07064b50) throw truncated();
		const z64 = Number(view.getBigUint64(loc + 8, true));
		if (z64 + 56 > bytes.length || view.getUint32(z64, true) !== 0x06064b50) throw truncated();
		count = Number(view.getBigUint64(z64 + 32, true));
		dirSize = Number(view.getBigUint64(z64 + 40, true));
		dirOffset = Number(view.getBigUint64(z64 + 48, true));
	}
	if (dirOffset + dirSize > bytes.length) throw truncated();
	const entries = new Map<string, ZipEntry>();
	let p = dirOffset;
	const dec = new TextDecoder();
	for (let i = 0; i < count; i++) {
		if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) throw truncated();
		const method = view.getUint16(p + 10, true);
		let compressedSize = view.getUint32(p + 20, true);
		let size = view.getUint32(p + 24, true);
		const nameLen = view.getUint16(p + 28, true);
		const extraLen = view.getUint16(p + 30, true);
		const commentLen = view.getUint16(p + 32, true);
		let localOffset = view.getUint32(p + 42, true);
		const name = dec.decode(bytes.subarray(p + 46, p + 46 + nameLen));
		// Zip64 extended information: the 64-bit values, in order, for the fields that are 0xffffffff.
		let e = p + 46 + nameLen;
		const eEnd = e + extraLen;
		while (e + 4 <= eEnd) {
			const id = view.getUint16(e, true);
			const len = view.getUint16(e + 2, true);
			if (id === 0x0001) {
				let q = e + 4;
				if (size === 0xffffffff) {
					size = Number(view.getBigUint64(q, true));
					q += 8;
				}
				if (compressedSize === 0xffffffff) {
					compressedSize = Number(view.getBigUint64(q, true));
					q += 8;
				}
				if (localOffset === 0xffffffff) localOffset = Number(view.getBigUint64(q, true));
			}
			e += 4 + len;
		}
		entries.set(name, { name, method, compressedSize, size, localOffset });
		p = eEnd + commentLen;
	}
	return entries;
}

function entryData(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const h = entry.localOffset;
	if (h + 30 > bytes.length || view.getUint32(h, true) !== ZIP_MAGIC)
		throw fileError(`damaged .pth file: no local header for ${entry.name}`);
	if (entry.method !== 0)
		throw fileError(
			`unsupported .pth file: ${entry.name} is compressed (zip method ${entry.method}); torch.save stores entries uncompressed`,
			'stored (uncompressed) entries',
			`zip method ${entry.method}`
		);
	const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
	if (start + entry.size > bytes.length)
		throw new WeightsError(
			'',
			`${entry.size} bytes for ${entry.name}`,
			`${Math.max(0, bytes.length - start)} bytes`,
			`truncated .pth file: ${entry.name} needs ${entry.size} bytes, the file has ${Math.max(0, bytes.length - start)}`
		);
	return bytes.subarray(start, start + entry.size);
}

// ---------------------------------------------------------------- unpickler

/** A class or function named by a GLOBAL opcode: only a few are allowed. */
class Global {
	constructor(
		readonly module: string,
		readonly name: string
	) {}
	get full() {
		return `${this.module}.${this.name}`;
	}
}

class StorageRef {
	constructor(
		readonly dtype: RawDtype,
		readonly key: string,
		readonly numel: number
	) {}
}

class TensorRef {
	constructor(
		readonly storage: StorageRef,
		readonly offset: number,
		readonly shape: number[],
		readonly stride: number[]
	) {}
}

/** An object of any class, created by the pickle: never called, only its pickled state kept. */
class ModuleStub {
	state: Value = null;
	constructor(readonly cls: string) {}
}

const MARK = Symbol('mark');

const STORAGE_DTYPES: Record<string, RawDtype> = {
	FloatStorage: 'F32',
	HalfStorage: 'F16',
	BFloat16Storage: 'BF16',
	DoubleStorage: 'F64',
	LongStorage: 'I64',
	IntStorage: 'I32',
	ShortStorage: 'I16',
	CharStorage: 'I8',
	ByteStorage: 'U8',
	BoolStorage: 'BOOL'
};
const TORCH_DTYPES: Record<string, RawDtype> = {
	float32: 'F32',
	float: 'F32',
	float16: 'F16',
	half: 'F16',
	bfloat16: 'BF16',
	float64: 'F64',
	double: 'F64',
	int64: 'I64',
	long: 'I64',
	int32: 'I32',
	int: 'I32',
	int16: 'I16',
	int8: 'I8',
	uint8: 'U8',
	bool: 'BOOL'
};

type Value = unknown;

/** Whether `data` holds the ASCII text `s` anywhere. */
function includesAscii(data: Uint8Array, s: string): boolean {
	const first = s.charCodeAt(0);
	outer: for (
		let i = data.indexOf(first);
		i >= 0 && i + s.length <= data.length;
		i = data.indexOf(first, i + 1)
	) {
		for (let j = 1; j < s.length; j++) if (data[i + j] !== s.charCodeAt(j)) continue outer;
		return true;
	}
	return false;
}

function unpickle(data: Uint8Array, file: string): Value {
	const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
	const dec = new TextDecoder();
	let p = 0;
	const stack: Value[] = [];
	const memo = new Map<number, Value>();
	const bad = (what: string) => fileError(`cannot read ${file}: ${what}`, 'a torch.save pickle', what);
	// torch.save(model) pickles the module's classes (torch.nn.modules.…), not just its tensors
	const wholeModel = includesAscii(data, 'torch.nn.modules.');
	const refuse = (fn: Global) =>
		wholeModel
			? fileError(
					`a whole pickled model (torch.save(model)) that calls ${fn.full}: reading it would mean running that code, which this app never does. Save the weights alone with torch.save(model.state_dict(), "weights.pth") and open that file`,
					'a state_dict',
					'a pickled model'
				)
			: bad(`it calls ${fn.full}, which a state_dict does not need (refused: nothing in the file runs)`);
	const need = (n: number) => {
		if (p + n > data.length) throw bad('the pickle ends early (truncated file)');
	};
	const u8 = () => (need(1), data[p++]);
	const u16 = () => (need(2), (p += 2), view.getUint16(p - 2, true));
	const u32 = () => (need(4), (p += 4), view.getUint32(p - 4, true));
	const i32 = () => (need(4), (p += 4), view.getInt32(p - 4, true));
	const bytesN = (n: number) => (need(n), (p += n), data.subarray(p - n, p));
	const line = () => {
		const start = p;
		while (p < data.length && data[p] !== 0x0a) p++;
		need(1);
		return dec.decode(data.subarray(start, p++));
	};
	const pop = () => {
		if (stack.length === 0) throw bad('stack underflow');
		return stack.pop();
	};
	const popMark = (): Value[] => {
		const i = stack.lastIndexOf(MARK);
		if (i < 0) throw bad('MARK missing');
		const items = stack.splice(i);
		items.shift();
		return items;
	};
	const setItems = (dict: Value, items: Value[]) => {
		if (!(dict instanceof Map)) throw bad('SETITEMS on something that is not a dict');
		for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i], items[i + 1]);
	};

	for (;;) {
		const op = u8();
		switch (op) {
			case 0x80: // PROTO
				u8();
				break;
			case 0x95: // FRAME
				bytesN(8);
				break;
			case 0x2e: // STOP
				return pop();
			case 0x28: // MARK
				stack.push(MARK);
				break;
			case 0x4e: // NONE
				stack.push(null);
				break;
			case 0x88: // NEWTRUE
				stack.push(true);
				break;
			case 0x89: // NEWFALSE
				stack.push(false);
				break;
			case 0x4a: // BININT
				stack.push(i32());
				break;
			case 0x4b: // BININT1
				stack.push(u8());
				break;
			case 0x4d: // BININT2
				stack.push(u16());
				break;
			case 0x8a: {
				// LONG1: little-endian two's complement
				const n = u8();
				const b = bytesN(n);
				let v = 0n;
				for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
				if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
				stack.push(Number(v));
				break;
			}
			case 0x47: // BINFLOAT (big-endian)
				need(8);
				stack.push(view.getFloat64(p, false));
				p += 8;
				break;
			case 0x58: // BINUNICODE
				stack.push(dec.decode(bytesN(u32())));
				break;
			case 0x8c: // SHORT_BINUNICODE
				stack.push(dec.decode(bytesN(u8())));
				break;
			case 0x8d: // BINUNICODE8
				need(8);
				p += 8;
				stack.push(dec.decode(bytesN(Number(view.getBigUint64(p - 8, true)))));
				break;
			case 0x54: // BINSTRING
				stack.push(dec.decode(bytesN(i32())));
				break;
			case 0x55: // SHORT_BINSTRING
				stack.push(dec.decode(bytesN(u8())));
				break;
			case 0x42: // BINBYTES
				stack.push(bytesN(u32()));
				break;
			case 0x43: // SHORT_BINBYTES
				stack.push(bytesN(u8()));
				break;
			case 0x7d: // EMPTY_DICT
				stack.push(new Map());
				break;
			case 0x5d: // EMPTY_LIST
				stack.push([]);
				break;
			case 0x29: // EMPTY_TUPLE
				stack.push([]);
				break;
			case 0x74: // TUPLE
				stack.push(popMark());
				break;
			case 0x85: // TUPLE1
				stack.push([pop()]);
				break;
			case 0x86: {
				// TUPLE2
				const b = pop();
				stack.push([pop(), b]);
				break;
			}
			case 0x87: {
				// TUPLE3
				const c = pop();
				const b = pop();
				stack.push([pop(), b, c]);
				break;
			}
			case 0x64: {
				// DICT
				const d = new Map();
				setItems(d, popMark());
				stack.push(d);
				break;
			}
			case 0x6c: // LIST
				stack.push(popMark());
				break;
			case 0x73: {
				// SETITEM
				const v = pop();
				const k = pop();
				setItems(stack[stack.length - 1], [k, v]);
				break;
			}
			case 0x75: {
				// SETITEMS
				const items = popMark();
				setItems(stack[stack.length - 1], items);
				break;
			}
			case 0x61: {
				// APPEND
				const v = pop();
				const list = stack[stack.length - 1];
				if (!Array.isArray(list)) throw bad('APPEND to something that is not a list');
				list.push(v);
				break;
			}
			case 0x65: {
				// APPENDS
				const items = popMark();
				const list = stack[stack.length - 1];
				if (!Array.isArray(list)) throw bad('APPENDS to something that is not a list');
				list.push(...items);
				break;
			}
			case 0x30: // POP
				pop();
				break;
			case 0x31: // POP_MARK
				popMark();
				break;
			case 0x32: // DUP
				stack.push(stack[stack.length - 1]);
				break;
			case 0x71: // BINPUT
				memo.set(u8(), stack[stack.length - 1]);
				break;
			case 0x72: // LONG_BINPUT
				memo.set(u32(), stack[stack.length - 1]);
				break;
			case 0x94: // MEMOIZE
				memo.set(memo.size, stack[stack.length - 1]);
				break;
			case 0x68: // BINGET
			case 0x6a: {
				// LONG_BINGET
				const i = op === 0x68 ? u8() : u32();
				if (!memo.has(i)) throw bad(`memo ${i} missing`);
				stack.push(memo.get(i));
				break;
			}
			case 0x63: {
				// GLOBAL "module\nname\n"
				const module = line();
				stack.push(new Global(module, line()));
				break;
			}
			case 0x93: {
				// STACK_GLOBAL
				const name = pop();
				stack.push(new Global(String(pop()), String(name)));
				break;
			}
			case 0x51: {
				// BINPERSID: ('storage', storage_type, key, location, numel)
				const pid = pop();
				if (!Array.isArray(pid) || pid[0] !== 'storage') throw bad('unknown persistent id');
				const [, type, key, , count] = pid as [string, Value, Value, Value, Value];
				let dtype: RawDtype | undefined;
				if (type instanceof Global) dtype = STORAGE_DTYPES[type.name];
				if (!dtype)
					throw bad(`unsupported storage type ${type instanceof Global ? type.full : String(type)}`);
				stack.push(new StorageRef(dtype, String(key), Number(count)));
				break;
			}
			case 0x52: {
				// REDUCE
				const args = pop();
				const fn = pop();
				stack.push(reduce(fn, args as Value[], bad, refuse));
				break;
			}
			case 0x81: {
				// NEWOBJ cls.__new__(cls, *args): an OrderedDict, or an inert stub of any other class
				const args = pop();
				const cls = pop();
				if (!(cls instanceof Global)) throw bad('NEWOBJ of something that is not a class');
				stack.push(
					cls.full === 'collections.OrderedDict'
						? reduce(cls, args as Value[], bad, refuse)
						: new ModuleStub(cls.full)
				);
				break;
			}
			case 0x62: {
				// BUILD: a stub keeps its state (a module's __dict__); a container's state is ignored.
				const state = pop();
				const target = stack[stack.length - 1];
				if (target instanceof ModuleStub) target.state = state;
				break;
			}
			default:
				throw bad(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${p - 1}`);
		}
	}
}

function reduce(
	fn: Value,
	args: Value[],
	bad: (what: string) => WeightsError,
	refuse: (fn: Global) => WeightsError
): Value {
	if (!(fn instanceof Global)) throw bad('REDUCE of something that is not a class or function');
	switch (fn.full) {
		case 'collections.OrderedDict':
		case 'builtins.dict':
			return new Map();
		case 'torch._utils._rebuild_tensor_v2':
		case 'torch._utils._rebuild_tensor': {
			const [storage, offset, size, stride] = args as [StorageRef, number, number[], number[]];
			if (!(storage instanceof StorageRef)) throw bad('a tensor without storage');
			return new TensorRef(storage, offset, [...size], [...stride]);
		}
		case 'torch._utils._rebuild_parameter':
		case 'torch._utils._rebuild_parameter_with_state':
			return args[0];
		case 'torch.serialization._get_layout':
			return args[0];
		case 'builtins.set':
		case 'builtins.frozenset':
		case '__builtin__.set':
		case '__builtin__.frozenset':
			return Array.isArray(args[0]) ? [...args[0]] : [];
	}
	if (fn.module === 'torch' && TORCH_DTYPES[fn.name]) return fn;
	throw refuse(fn);
}

// ---------------------------------------------------------------- tensors

function materialise(name: string, t: TensorRef, storage: Uint8Array): Tensor {
	const { dtype } = t.storage;
	const size = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 }[dtype];
	if (storage.length < t.storage.numel * size)
		throw new WeightsError(
			name,
			`${t.storage.numel * size} bytes of storage`,
			`${storage.length} bytes`,
			`${name}: its storage is truncated (${storage.length} of ${t.storage.numel * size} bytes)`
		);
	const all = decodeRaw(storage, 0, t.storage.numel, dtype);
	const count = numel(t.shape);
	// Contiguous (the usual case): one slice. Otherwise gather by strides.
	let contiguous = true;
	for (let i = t.shape.length - 1, s = 1; i >= 0; i--) {
		if (t.shape[i] !== 1 && t.stride[i] !== s) contiguous = false;
		s *= t.shape[i];
	}
	let last = t.offset;
	for (let i = 0; i < t.shape.length; i++) last += (t.shape[i] - 1) * t.stride[i];
	if (count > 0 && (last >= t.storage.numel || t.offset < 0))
		throw new WeightsError(
			name,
			`a view inside its ${t.storage.numel}-element storage`,
			`shape ${formatShape(t.shape)} at offset ${t.offset}`,
			`${name}: shape ${formatShape(t.shape)} reaches outside its storage`
		);
	if (contiguous) return { shape: t.shape, data: all.slice(t.offset, t.offset + count) };
	const data = new Float32Array(count);
	const idx = new Array(t.shape.length).fill(0);
	for (let i = 0; i < count; i++) {
		let src = t.offset;
		for (let d = 0; d < idx.length; d++) src += idx[d] * t.stride[d];
		data[i] = all[src];
		for (let d = idx.length - 1; d >= 0; d--) {
			if (++idx[d] < t.shape[d]) break;
			idx[d] = 0;
		}
	}
	return { shape: t.shape, data };
}

const isTensorDict = (v: Value): v is Map<Value, Value> =>
	v instanceof Map && v.size > 0 && [...v.values()].some((x) => x instanceof TensorRef);

/**
 * A pickled module as its state_dict, as `nn.Module.state_dict()` orders it: the module's
 * parameters, then its persistent buffers, then each child's, depth first. A dict at the top level
 * (`{"model": model, "epoch": …}`) has its modules turned into state_dicts too.
 */
function modulesAsStateDicts(obj: Value): Value {
	const asDict = (m: ModuleStub): Map<Value, Value> => {
		const out = new Map<Value, Value>();
		const walk = (mod: ModuleStub, prefix: string, seen: Set<ModuleStub>) => {
			if (seen.has(mod)) return;
			seen.add(mod);
			const state = mod.state instanceof Map ? mod.state : new Map();
			const entries = (k: string) => {
				const v = state.get(k);
				return v instanceof Map ? [...v] : [];
			};
			const nonPersistent = state.get('_non_persistent_buffers_set');
			const skip = new Set(Array.isArray(nonPersistent) ? nonPersistent.map(String) : []);
			for (const [k, v] of entries('_parameters')) if (v instanceof TensorRef) out.set(prefix + String(k), v);
			for (const [k, v] of entries('_buffers'))
				if (v instanceof TensorRef && !skip.has(String(k))) out.set(prefix + String(k), v);
			for (const [k, v] of entries('_modules'))
				if (v instanceof ModuleStub) walk(v, `${prefix}${String(k)}.`, seen);
		};
		walk(m, '', new Set());
		return out;
	};
	if (obj instanceof ModuleStub) return asDict(obj);
	if (obj instanceof Map) {
		const out = new Map<Value, Value>();
		for (const [k, v] of obj) out.set(k, v instanceof ModuleStub ? asDict(v) : v);
		return out;
	}
	return obj;
}

/** Wrapper keys training scripts write, the network's own weights first, EMA copies after. */
const WRAPPERS = ['state_dict', 'model_state_dict', 'model', 'net', 'network', 'state_dict_ema', 'model_ema'];

/** What a .pth file held: its state_dict, where it was found, and what else was there. */
export interface PthContents {
	tensors: TensorMap;
	/** The top-level key whose dict was used (`state_dict`, `model_ema`, …); null for the file itself. */
	source: string | null;
	/** The prefix stripped from every key (`module.`, `model.`, `_orig_mod.`), or ''. */
	prefix: string;
	/** Other dicts of tensors in the file that were not used (`state_dict_ema`, …). */
	others: string[];
	/** True for a format that keeps no order (safetensors): the tensors are in their names' natural order. */
	sortedNames?: boolean;
}

/**
 * The dict that holds the network: of the file itself and each dict of tensors at its top level,
 * the one with the most 4-D (convolution) tensors, then the most tensors; on a tie the wrapper
 * named first in WRAPPERS (the network's own weights before an EMA copy).
 */
function chooseStateDict(
	obj: Value
): { dict: Map<Value, Value>; source: string | null; others: string[] } | null {
	const candidates: { dict: Map<Value, Value>; source: string | null }[] = [];
	if (isTensorDict(obj)) candidates.push({ dict: obj, source: null });
	if (obj instanceof Map)
		for (const [k, v] of obj) if (isTensorDict(v)) candidates.push({ dict: v, source: String(k) });
	if (candidates.length === 0) return null;
	const score = (d: Map<Value, Value>) => {
		const t = [...d.values()].filter((x): x is TensorRef => x instanceof TensorRef);
		return [t.filter((x) => x.shape.length === 4).length, t.length];
	};
	const rank = (s: string | null) => {
		const i = s === null ? -1 : WRAPPERS.indexOf(s);
		return i < 0 ? WRAPPERS.length : i;
	};
	const best = candidates
		.map((c) => ({ ...c, score: score(c.dict) }))
		.sort((a, b) => b.score[0] - a.score[0] || b.score[1] - a.score[1] || rank(a.source) - rank(b.source))[0];
	return {
		dict: best.dict,
		source: best.source,
		others: candidates.filter((c) => c.dict !== best.dict).map((c) => c.source ?? '(top level)')
	};
}

/** Parses a `torch.save`d state_dict, or the one inside a training checkpoint's dict. */
export function parsePth(bytes: Uint8Array): TensorMap {
	return readPth(bytes).tensors;
}

/** Like `parsePth`, and says which dict of the file was used and which prefix was stripped. */
export function readPth(bytes: Uint8Array): PthContents {
	if (!isZip(bytes))
		throw fileError(
			bytes.length >= 2 && bytes[0] === 0x80
				? "legacy .pth file (saved with _use_new_zipfile_serialization=False, or by PyTorch before 1.6), which this app does not read: re-save it in the current format with python3 -c \"import torch; torch.save(torch.load('old.pth', map_location='cpu'), 'new.pth')\""
				: 'not a PyTorch .pth file (no zip header)',
			'a torch.save zip archive',
			'another format'
		);
	const entries = readZipDirectory(bytes);
	const pkl = [...entries.keys()].find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
	if (!pkl) throw fileError('not a PyTorch checkpoint: the zip has no data.pkl', 'data.pkl', 'none');
	const root = pkl.slice(0, pkl.length - 'data.pkl'.length);
	const chosen = chooseStateDict(modulesAsStateDicts(unpickle(entryData(bytes, entries.get(pkl)!), pkl)));
	if (!chosen)
		throw fileError(
			'no state_dict in this .pth file (expected a dict of tensors, or one under "state_dict", "model" or another key)',
			'a state_dict',
			'another object'
		);
	const out: TensorMap = new Map();
	const cache = new Map<string, Uint8Array>();
	for (const [k, v] of chosen.dict) {
		if (!(v instanceof TensorRef)) continue;
		const name = String(k);
		if (name.endsWith('num_batches_tracked')) continue;
		const key = v.storage.key;
		let storage = cache.get(key);
		if (!storage) {
			const entry = entries.get(`${root}data/${key}`);
			if (!entry)
				throw new WeightsError(
					name,
					`storage data/${key}`,
					'missing',
					`${name}: its storage data/${key} is missing from the archive`
				);
			storage = entryData(bytes, entry);
			cache.set(key, storage);
		}
		out.set(name, materialise(name, v, storage));
	}
	const { tensors, prefix } = stripPrefixes(out);
	return { tensors, source: chosen.source, prefix, others: chosen.others };
}
