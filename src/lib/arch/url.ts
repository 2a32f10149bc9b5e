/**
 * Share links: a spec as a short, readable URL query — the preset it starts from and only the
 * fields that differ from it:
 *
 *   ?preset=resnet50                                  the preset itself
 *   ?preset=resnet50&stages=3.64.1_4.128.2_23.256.2_3.512.2
 *   ?preset=resnet56&shortcut=B&input=3x64x64&classes=100
 *
 * Keys: name, input (CxHxW), stem (kind.width), block, expansion, groups, wpg (width per group),
 * stages (blocks.width.stride joined by _), shortcut, strideOn, residual (0/1), bias (0/1),
 * pool, classes. Unknown keys are ignored (room for other views' parameters).
 * Decoding never throws: a bad link comes back as SpecErrors placed by the field they spoil.
 */
import { presetSpec, PRESET_NAMES } from './presets';
import {
	BLOCK_KINDS,
	HEAD_POOLS,
	SHORTCUT_OPTIONS,
	STEM_KINDS,
	STRIDE_ON,
	SpecError,
	canonicalSpec,
	type ArchSpec
} from './spec';
import { tryBuildGraph } from './graph';

export const DEFAULT_PRESET = 'resnet50';

const bit = (b: boolean) => (b ? '1' : '0');
const stagesText = (s: ArchSpec['stages']) =>
	s.map((st) => `${st.blocks}.${st.width}.${st.stride}`).join('_');

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
	put('stem', `${spec.stem.kind}.${spec.stem.width}`, `${ref.stem.kind}.${ref.stem.width}`);
	put('block', spec.block, ref.block);
	put('expansion', String(spec.expansion), String(ref.expansion));
	put('groups', String(spec.groups), String(ref.groups));
	put('wpg', String(spec.widthPerGroup), String(ref.widthPerGroup));
	put('stages', stagesText(spec.stages), stagesText(ref.stages));
	put('shortcut', spec.shortcut, ref.shortcut);
	put('strideOn', spec.strideOn, ref.strideOn);
	put('residual', bit(spec.residual), bit(ref.residual));
	put('bias', bit(spec.convBias), bit(ref.convBias));
	put('pool', spec.head.pool, ref.head.pool);
	put('classes', String(spec.head.classes), String(ref.head.classes));
	return new URLSearchParams(q).toString();
}

export type DecodeResult = { ok: true; spec: ArchSpec; preset: string } | { ok: false; errors: SpecError[] };

/** Parses a share link's query (with or without `?`, or a whole URL). */
export function decodeSpecUrl(query: string): DecodeResult {
	let search = query;
	const qAt = query.indexOf('?');
	if (qAt >= 0) search = query.slice(qAt + 1);
	search = search.split('#')[0];
	const params = new URLSearchParams(search);
	const errors: SpecError[] = [];
	const err = (path: string, message: string) => errors.push(new SpecError(path, message));

	const preset = params.get('preset') ?? DEFAULT_PRESET;
	const base = presetSpec(preset);
	if (!base) {
		err('preset', `the link names an unknown preset "${preset}" (known: ${PRESET_NAMES.join(', ')})`);
		return { ok: false, errors };
	}
	const spec = base;

	/** A whole number written in decimal digits; anything else is an error at `path`. */
	const num = (text: string, path: string): number => {
		if (!/^\d{1,9}$/.test(text)) {
			err(path, `the link has "${text}" here, not a whole number`);
			return NaN;
		}
		return Number(text);
	};
	const choice = <T extends string>(key: string, path: string, allowed: readonly T[]): T | undefined => {
		const v = params.get(key);
		if (v === null) return undefined;
		if (!allowed.includes(v as T)) {
			err(path, `the link has "${v}", but it must be one of ${allowed.join(', ')}`);
			return undefined;
		}
		return v as T;
	};
	const flag = (key: string, path: string): boolean | undefined => {
		const v = params.get(key);
		if (v === null) return undefined;
		if (v !== '0' && v !== '1') {
			err(path, `the link has "${v}", but it must be 0 or 1`);
			return undefined;
		}
		return v === '1';
	};

	const name = params.get('name');
	if (name !== null) spec.name = name;
	const input = params.get('input');
	if (input !== null) {
		const parts = input.split('x');
		if (parts.length !== 3) err('input', `the link has input "${input}"; write it C×H×W, e.g. 3x224x224`);
		else {
			spec.input = {
				channels: num(parts[0], 'input.channels'),
				height: num(parts[1], 'input.height'),
				width: num(parts[2], 'input.width')
			};
		}
	}
	const stem = params.get('stem');
	if (stem !== null) {
		const [kind, width, ...rest] = stem.split('.');
		if (width === undefined || rest.length > 0)
			err('stem', `the link has stem "${stem}"; write it kind.width, e.g. cifar.16`);
		else if (!STEM_KINDS.includes(kind as ArchSpec['stem']['kind']))
			err('stem.kind', `the link has "${kind}", but it must be one of ${STEM_KINDS.join(', ')}`);
		else spec.stem = { kind: kind as ArchSpec['stem']['kind'], width: num(width, 'stem.width') };
	}
	spec.block = choice('block', 'block', BLOCK_KINDS) ?? spec.block;
	for (const [key, field] of [
		['expansion', 'expansion'],
		['groups', 'groups'],
		['wpg', 'widthPerGroup']
	] as const) {
		const v = params.get(key);
		if (v !== null) spec[field] = num(v, field);
	}
	const stages = params.get('stages');
	if (stages !== null) {
		const list = stages.split('_');
		spec.stages = list.map((text, i) => {
			const parts = text.split('.');
			if (parts.length !== 3) {
				err(`stages[${i}]`, `the link has stage "${text}"; write it blocks.width.stride, e.g. 3.64.1`);
				return { blocks: NaN, width: NaN, stride: NaN };
			}
			return {
				blocks: num(parts[0], `stages[${i}].blocks`),
				width: num(parts[1], `stages[${i}].width`),
				stride: num(parts[2], `stages[${i}].stride`)
			};
		});
	}
	spec.shortcut = choice('shortcut', 'shortcut', SHORTCUT_OPTIONS) ?? spec.shortcut;
	spec.strideOn = choice('strideOn', 'strideOn', STRIDE_ON) ?? spec.strideOn;
	spec.residual = flag('residual', 'residual') ?? spec.residual;
	spec.convBias = flag('bias', 'convBias') ?? spec.convBias;
	spec.head.pool = choice('pool', 'head.pool', HEAD_POOLS) ?? spec.head.pool;
	const classes = params.get('classes');
	if (classes !== null) spec.head.classes = num(classes, 'head.classes');

	if (errors.length > 0) return { ok: false, errors };
	const built = tryBuildGraph(spec);
	if (!built.ok) return { ok: false, errors: built.errors };
	return { ok: true, spec: canonicalSpec(spec), preset };
}
