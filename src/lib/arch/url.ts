/**
 * Share links: a spec as a short, readable URL query — the preset it starts from and only the
 * fields that differ from it:
 *
 *   ?preset=resnet50                                  the preset itself
 *   ?preset=resnet50&stages=3.64.1_4.128.2_23.256.2_3.512.2
 *   ?preset=resnet56&shortcut=B&input=3x64x64&classes=100
 *
 * Keys: name, input (CxHxW), stem (kind.width, or kind.width.pool when the stem pool is not the
 * kind's default: deep.64.conv), block, expansion, groups, wpg (width per group), stages
 * (blocks.width.stride joined by _), shortcut, strideOn, residual (0/1), bias (0/1 for every conv,
 * or three bits for stem, block and shortcut convs: 001 = biases on the shortcut convs only), pool,
 * classes, att (attention: se_ratio_divisor, eca_gamma_beta or none: se_0.0625_8), order
 * (post/pre), dp (dropPath). Unknown keys are ignored (room for other views' parameters).
 * Decoding never throws: a bad key comes back as SpecErrors placed by the field it spoils, and
 * the link's other keys are still used.
 */
import { presetSpec, PRESET_NAMES } from './presets';
import {
	ATTENTION_KINDS,
	BLOCK_KINDS,
	BLOCK_ORDERS,
	STEM_POOLS,
	CONV_ROLES,
	HEAD_POOLS,
	SHORTCUT_OPTIONS,
	STEM_KINDS,
	STRIDE_ON,
	SpecError,
	blockOrder,
	canonicalSpec,
	stemPool,
	type ArchSpec,
	type Attention,
	type ConvBias
} from './spec';
import { tryBuildGraph } from './graph';

const DEFAULT_PRESET = 'resnet50';

const bit = (b: boolean) => (b ? '1' : '0');
const biasText = (b: ConvBias) =>
	typeof b === 'boolean' ? bit(b) : CONV_ROLES.map((r) => bit(b[r])).join('');
const stagesText = (s: ArchSpec['stages']) =>
	s.map((st) => `${st.blocks}.${st.width}.${st.stride}`).join('_');
/** kind.width, with .pool only where the pool is not the kind's default (older links stay the same). */
const stemText = (stem: ArchSpec['stem']) => {
	const pool = stemPool(stem);
	const text = `${stem.kind}.${stem.width}`;
	return pool === stemPool({ kind: stem.kind, width: stem.width }) ? text : `${text}.${pool}`;
};
const attentionText = (a: Attention | undefined) =>
	!a ? 'none' : a.kind === 'se' ? `se_${a.ratio}_${a.divisor}` : `eca_${a.gamma}_${a.beta}`;

/** The query (without `?`) that restores `spec`, relative to the preset `base`. */
export function encodeSpecUrl(spec: ArchSpec, base: string = DEFAULT_PRESET): string {
	const ref = presetSpec(base) ?? presetSpec(DEFAULT_PRESET)!;
	const baseName = presetSpec(base) ? base : DEFAULT_PRESET;
	const q: [string, string][] = [['preset', baseName]];
	const put = (key: string, mine: string, theirs: string) => {
		if (mine !== theirs) q.push([key, mine]);
	};
	const input = (s: ArchSpec) => `${s.input.channels}x${s.input.height}x${s.input.width}`;
	put('name', spec.name, ref.name);
	put('input', input(spec), input(ref));
	put('stem', stemText(spec.stem), stemText(ref.stem));
	put('block', spec.block, ref.block);
	put('expansion', String(spec.expansion), String(ref.expansion));
	put('groups', String(spec.groups), String(ref.groups));
	put('wpg', String(spec.widthPerGroup), String(ref.widthPerGroup));
	put('stages', stagesText(spec.stages), stagesText(ref.stages));
	put('shortcut', spec.shortcut, ref.shortcut);
	put('strideOn', spec.strideOn, ref.strideOn);
	put('residual', bit(spec.residual), bit(ref.residual));
	put('bias', biasText(spec.convBias), biasText(ref.convBias));
	put('pool', spec.head.pool, ref.head.pool);
	put('classes', String(spec.head.classes), String(ref.head.classes));
	put('att', attentionText(spec.attention), attentionText(ref.attention));
	put('order', blockOrder(spec), blockOrder(ref));
	put('dp', String(spec.dropPath ?? 0), String(ref.dropPath ?? 0));
	return new URLSearchParams(q).toString();
}

/**
 * A decoded link: the spec it describes and the problems with it. `ok` links name a known preset;
 * a key that is malformed or makes the spec invalid is left out (the preset's value stays) and
 * reported in `errors`, so one bad key never throws away the rest.
 */
export type DecodeResult =
	{ ok: true; spec: ArchSpec; preset: string; errors: SpecError[] } | { ok: false; errors: SpecError[] };

/** One key of the link, read: the edit it makes, or the errors that keep it out. */
interface KeyEdit {
	key: string;
	/** The spec paths the key writes: a spec error under one of them is the key's fault. */
	paths: string[];
	apply: (spec: ArchSpec) => void;
	errors: SpecError[];
}

const owns = (paths: string[], path: string) =>
	paths.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));

/** Parses a share link's query (with or without `?`, or a whole URL). */
export function decodeSpecUrl(query: string): DecodeResult {
	let search = query;
	const qAt = query.indexOf('?');
	if (qAt >= 0) search = query.slice(qAt + 1);
	search = search.split('#')[0];
	const params = new URLSearchParams(search);

	const preset = params.get('preset') ?? DEFAULT_PRESET;
	if (!presetSpec(preset))
		return {
			ok: false,
			errors: [
				new SpecError(
					'preset',
					`the link names an unknown preset "${preset}" (known: ${PRESET_NAMES.join(', ')})`
				)
			]
		};
	const edits = readKeys(params);
	const errors = edits.flatMap((e) => e.errors);
	let used = edits.filter((e) => e.errors.length === 0);
	// Keys that read well but make an invalid spec together with the rest go, one round at a time.
	for (;;) {
		const spec = presetSpec(preset)!;
		for (const e of used) e.apply(spec);
		const built = tryBuildGraph(spec);
		if (built.ok) return { ok: true, spec: canonicalSpec(spec), preset, errors };
		errors.push(...built.errors);
		let blamed = used.filter((e) => built.errors.some((err) => owns(e.paths, err.path)));
		// Nobody named (a map shrinking away in a stage the link left as it was, because of its
		// input): the one key without which the rest builds, else all of them.
		if (blamed.length === 0) {
			const culprit = used.find((e) =>
				builds(
					preset,
					used.filter((x) => x !== e)
				)
			);
			blamed = culprit ? [culprit] : used;
		}
		used = used.filter((e) => !blamed.includes(e));
	}
}

function builds(preset: string, edits: KeyEdit[]): boolean {
	const spec = presetSpec(preset)!;
	for (const e of edits) e.apply(spec);
	return tryBuildGraph(spec).ok;
}

/** Each key of the link, as an edit of the preset's spec or as the errors that keep it out. */
function readKeys(params: URLSearchParams): KeyEdit[] {
	const edits: KeyEdit[] = [];
	const key = (
		name: string,
		paths: string[],
		read: (v: string, err: (path: string, m: string) => void) => (s: ArchSpec) => void
	) => {
		const v = params.get(name);
		if (v === null) return;
		const errors: SpecError[] = [];
		const apply = read(v, (path, message) => errors.push(new SpecError(path, message)));
		edits.push({ key: name, paths, apply, errors });
	};
	/** A whole number ≥ 1 written in decimal digits; anything else is an error at `path`. */
	const num = (text: string, path: string, what: string, err: (path: string, m: string) => void): number => {
		if (!/^\d{1,9}$/.test(text) || Number(text) < 1)
			err(path, `${what} must be a whole number ≥ 1, got ${text === '' ? 'nothing' : text}`);
		return Number(text);
	};
	const choice = <T extends string>(
		name: string,
		path: string,
		allowed: readonly T[],
		set: (s: ArchSpec, v: T) => void
	) =>
		key(name, [path], (v, err) => {
			if (!allowed.includes(v as T)) err(path, `${name} must be one of ${allowed.join(', ')}, got "${v}"`);
			return (s) => set(s, v as T);
		});
	const flag = (name: string, path: string, set: (s: ArchSpec, v: boolean) => void) =>
		key(name, [path], (v, err) => {
			if (v !== '0' && v !== '1') err(path, `${name} must be 0 or 1, got "${v}"`);
			return (s) => set(s, v === '1');
		});

	key('name', ['name'], (v) => (s) => (s.name = v));
	key('input', ['input'], (v, err) => {
		const parts = v.split('x');
		if (parts.length !== 3) {
			err('input', `the link has input "${v}"; write it C×H×W, e.g. 3x224x224`);
			return () => {};
		}
		const [channels, height, width] = (['channels', 'height', 'width'] as const).map((f, i) =>
			num(parts[i], `input.${f}`, `input ${f}`, err)
		);
		return (s) => (s.input = { channels, height, width });
	});
	key('stem', ['stem'], (v, err) => {
		const [kind, width, pool, ...rest] = v.split('.');
		if (width === undefined || rest.length > 0)
			err('stem', `the link has stem "${v}"; write it kind.width or kind.width.pool, e.g. cifar.16`);
		else if (!STEM_KINDS.includes(kind as ArchSpec['stem']['kind']))
			err('stem.kind', `the stem's kind must be one of ${STEM_KINDS.join(', ')}, got "${kind}"`);
		else if (pool !== undefined && !STEM_POOLS.includes(pool as NonNullable<ArchSpec['stem']['pool']>))
			err('stem.pool', `the stem's pool must be one of ${STEM_POOLS.join(', ')}, got "${pool}"`);
		const w = width === undefined ? NaN : num(width, 'stem.width', 'the stem width', err);
		return (s) =>
			(s.stem = {
				kind: kind as ArchSpec['stem']['kind'],
				width: w,
				...(pool !== undefined ? { pool: pool as NonNullable<ArchSpec['stem']['pool']> } : {})
			});
	});
	choice('block', 'block', BLOCK_KINDS, (s, v) => (s.block = v));
	for (const [name, field] of [
		['expansion', 'expansion'],
		['groups', 'groups'],
		['wpg', 'widthPerGroup']
	] as const)
		key(name, [field], (v, err) => {
			const n = num(v, field, name, err);
			return (s) => (s[field] = n);
		});
	key('stages', ['stages'], (v, err) => {
		const stages = v.split('_').map((text, i) => {
			const parts = text.split('.');
			if (parts.length !== 3) {
				err(`stages[${i}]`, `the link has stage "${text}"; write it blocks.width.stride, e.g. 3.64.1`);
				return { blocks: NaN, width: NaN, stride: NaN };
			}
			const [blocks, width, stride] = (['blocks', 'width', 'stride'] as const).map((f, j) =>
				num(parts[j], `stages[${i}].${f}`, `stage ${i + 1}'s ${f}`, err)
			);
			return { blocks, width, stride };
		});
		return (s) => (s.stages = stages);
	});
	choice('shortcut', 'shortcut', SHORTCUT_OPTIONS, (s, v) => (s.shortcut = v));
	choice('strideOn', 'strideOn', STRIDE_ON, (s, v) => (s.strideOn = v));
	flag('residual', 'residual', (s, v) => (s.residual = v));
	key('bias', ['convBias'], (v, err) => {
		if (/^[01]$/.test(v)) return (s) => (s.convBias = v === '1');
		if (!/^[01]{3}$/.test(v))
			err('convBias', `bias must be 0, 1 or three bits for stem, block and shortcut (e.g. 001), got "${v}"`);
		const [stem, block, shortcut] = [...v].map((c) => c === '1');
		return (s) => (s.convBias = { stem, block, shortcut });
	});
	choice('pool', 'head.pool', HEAD_POOLS, (s, v) => (s.head.pool = v));
	key('classes', ['head.classes'], (v, err) => {
		const n = num(v, 'head.classes', 'classes', err);
		return (s) => (s.head.classes = n);
	});
	key('att', ['attention'], (v, err) => {
		if (v === 'none')
			return (s) => {
				delete s.attention;
			};
		const [kind, first, second, ...rest] = v.split('_');
		if (!ATTENTION_KINDS.includes(kind as Attention['kind']) || second === undefined || rest.length > 0) {
			err(
				'attention',
				`the link has att "${v}"; write it se_ratio_divisor, eca_gamma_beta or none, e.g. se_0.0625_8`
			);
			return () => {};
		}
		const number = (text: string, path: string) => {
			if (!/^-?\d+(\.\d+)?(e-?\d+)?$/.test(text)) err(path, `${path} must be a number, got "${text}"`);
			return Number(text);
		};
		const se = kind === 'se';
		const x = number(first, se ? 'attention.ratio' : 'attention.gamma');
		const y = number(second, se ? 'attention.divisor' : 'attention.beta');
		const att: Attention = se ? { kind: 'se', ratio: x, divisor: y } : { kind: 'eca', gamma: x, beta: y };
		return (s) => (s.attention = att);
	});
	choice('order', 'order', BLOCK_ORDERS, (s, v) => {
		if (v === 'post') delete s.order;
		else s.order = v;
	});
	key('dp', ['dropPath'], (v, err) => {
		if (!/^\d+(\.\d+)?(e-?\d+)?$/.test(v))
			err('dropPath', `dp must be a number from 0 to below 1, got "${v}"`);
		const n = Number(v);
		return (s) => {
			if (n === 0) delete s.dropPath;
			else s.dropPath = n;
		};
	});
	return edits;
}
