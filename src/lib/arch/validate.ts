import { blockId, stageId } from './ids';
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
	bottleneckInnerWidth
} from './spec';

/**
 * Limits that keep every count a safe integer and every build interactive.
 * The largest real ResNets are far inside them (resnet1202: 600 blocks; 224×224; width 2048).
 */
export const LIMITS = {
	side: 8192,
	channels: 65536,
	blocksPerStage: 1000,
	stages: 12,
	classes: 1_000_000,
	stride: 64,
	/** ECA's gamma and |beta|: keep its kernel (|log2 C + beta| / gamma) below ~200. */
	ecaGammaMin: 0.5,
	ecaBetaMax: 64
} as const;

/** A value for an error message: JSON where possible (not BigInt, cycles, …), and short. */
function show(v: unknown): string {
	let text: string | undefined;
	try {
		text = JSON.stringify(v);
	} catch {
		/* BigInt, cyclic */
	}
	if (text === undefined)
		try {
			text = String(v);
		} catch {
			text = typeof v;
		}
	return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
	typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Every problem with the fields of a would-be spec, each placed by its JSON path.
 * Checks types, ranges and the rules between fields; shape problems (a map shrinking
 * below 1×1) are found while building the graph — see `validateSpec` in graph.ts.
 */
export function specFieldErrors(x: unknown): SpecError[] {
	const errors: SpecError[] = [];
	const err = (path: string, message: string) => errors.push(new SpecError(path, message));
	if (!isObject(x)) {
		err('', 'a spec must be a JSON object');
		return errors;
	}
	const int = (obj: Record<string, unknown>, key: string, path: string, max: number): number | undefined => {
		const v = obj[key];
		if (v === undefined) err(path, 'is required');
		else if (typeof v !== 'number' || !Number.isFinite(v)) err(path, `must be a number, got ${show(v)}`);
		else if (!Number.isInteger(v)) err(path, `must be a whole number, got ${v}`);
		else if (v < 1) err(path, `must be at least 1, got ${v}`);
		else if (v > max) err(path, `must be at most ${max}, got ${v}`);
		else return v;
		return undefined;
	};
	const oneOf = <T extends string>(
		obj: Record<string, unknown>,
		key: string,
		path: string,
		allowed: readonly T[]
	) => {
		const v = obj[key];
		if (v === undefined) err(path, 'is required');
		else if (!allowed.includes(v as T))
			err(path, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${show(v)}`);
		else return v as T;
		return undefined;
	};
	const bool = (obj: Record<string, unknown>, key: string, path: string) => {
		const v = obj[key];
		if (v === undefined) err(path, 'is required');
		else if (typeof v !== 'boolean') err(path, `must be true or false, got ${show(v)}`);
	};
	const object = (key: string): Record<string, unknown> | undefined => {
		const v = x[key];
		if (v === undefined) err(key, 'is required');
		else if (!isObject(v)) err(key, 'must be an object');
		else return v;
		return undefined;
	};

	if (typeof x.name !== 'string' || x.name.trim() === '') err('name', 'must be a non-empty string');

	const input = object('input');
	if (input) {
		int(input, 'channels', 'input.channels', LIMITS.channels);
		int(input, 'height', 'input.height', LIMITS.side);
		int(input, 'width', 'input.width', LIMITS.side);
	}
	const order = x.order === undefined ? 'post' : oneOf(x, 'order', 'order', BLOCK_ORDERS);
	const pre = order === 'pre';
	const stem = object('stem');
	let stemWidth: number | undefined;
	if (stem) {
		const kind = oneOf(stem, 'kind', 'stem.kind', STEM_KINDS);
		stemWidth = int(stem, 'width', 'stem.width', LIMITS.channels);
		if (stemWidth !== undefined && kind === 'deep' && stemWidth % 2 !== 0)
			err(
				'stem.width',
				`a deep stem's convs are width/2, width/2, width: the width must be even, got ${stemWidth}`
			);
		if (stemWidth !== undefined && kind === 'deep_tiered' && stemWidth % 8 !== 0)
			err(
				'stem.width',
				`a tiered deep stem's convs are 3·width/8, width/2, width: the width must be a multiple of 8, got ${stemWidth}`
			);
		if (stem.pool !== undefined) {
			const pool = oneOf(stem, 'pool', 'stem.pool', STEM_POOLS);
			if (pool === 'conv' && pre)
				err('stem.pool', 'a pre-activation net (timm resnetv2) has no conv stem pool; use "max" or "none"');
		}
	}
	const block = oneOf(x, 'block', 'block', BLOCK_KINDS);
	const expansion = int(x, 'expansion', 'expansion', 64);
	const groups = int(x, 'groups', 'groups', LIMITS.channels);
	const widthPerGroup = int(x, 'widthPerGroup', 'widthPerGroup', LIMITS.channels);
	const shortcut = oneOf(x, 'shortcut', 'shortcut', SHORTCUT_OPTIONS);
	oneOf(x, 'strideOn', 'strideOn', STRIDE_ON);
	bool(x, 'residual', 'residual');
	if (isObject(x.convBias)) {
		const bias = x.convBias;
		for (const role of CONV_ROLES) bool(bias, role, `convBias.${role}`);
		for (const k of Object.keys(bias))
			if (!(CONV_ROLES as readonly string[]).includes(k))
				err(`convBias.${k}`, `unknown role; convBias takes ${CONV_ROLES.join(', ')}`);
	} else if (x.convBias === undefined) err('convBias', 'is required');
	else if (typeof x.convBias !== 'boolean')
		err('convBias', `must be true, false or { stem, block, shortcut }, got ${show(x.convBias)}`);
	if (pre) {
		if (shortcut === 'A' || shortcut === 'C')
			err(
				'shortcut',
				`option ${shortcut} is not built for pre-activation (timm resnetv2 projects where the shape changes); use B or D`
			);
		if (x.residual === false)
			err('residual', 'a pre-activation net is residual (timm resnetv2); use order "post" for a plain net');
		if (x.attention !== undefined)
			err('attention', 'timm resnetv2 has no SE/ECA attention; use order "post" for attention');
	}
	if (x.attention !== undefined) attentionErrors(x.attention, err);
	if (x.dropPath !== undefined) {
		const v = x.dropPath;
		if (typeof v !== 'number' || !Number.isFinite(v)) err('dropPath', `must be a number, got ${show(v)}`);
		else if (v < 0 || v >= 1) err('dropPath', `is a probability: at least 0 and below 1, got ${v}`);
	}
	const head = object('head');
	if (head) {
		oneOf(head, 'pool', 'head.pool', HEAD_POOLS);
		int(head, 'classes', 'head.classes', LIMITS.classes);
	}

	if (block === 'basic') {
		if (groups !== undefined && groups !== 1)
			err('groups', `a basic block has no grouped convolution: groups must be 1, got ${groups}`);
		if (widthPerGroup !== undefined && widthPerGroup !== 64)
			err(
				'widthPerGroup',
				`a basic block has no inner width: widthPerGroup must be 64, got ${widthPerGroup}`
			);
	}

	const stages = x.stages;
	if (stages === undefined) err('stages', 'is required');
	else if (!Array.isArray(stages)) err('stages', 'must be an array');
	else if (stages.length === 0) err('stages', 'needs at least one stage');
	else if (stages.length > LIMITS.stages)
		err('stages', `at most ${LIMITS.stages} stages, got ${stages.length}`);
	else {
		// Only a valid stem width is compared with (an invalid one has its own error already).
		let inChannels = stemWidth;
		// Array.from: a sparse array's holes are visited (as undefined), not skipped.
		Array.from(stages as unknown[]).forEach((s, i) => {
			const path = `stages[${i}]`;
			if (!isObject(s)) {
				err(path, 'must be an object { blocks, width, stride }');
				inChannels = undefined;
				return;
			}
			int(s, 'blocks', `${path}.blocks`, LIMITS.blocksPerStage);
			const width = int(s, 'width', `${path}.width`, LIMITS.channels);
			int(s, 'stride', `${path}.stride`, LIMITS.stride);
			if (width === undefined || expansion === undefined) {
				inChannels = undefined;
				return;
			}
			const out = width * expansion;
			if (out > LIMITS.channels)
				err(
					`${path}.width`,
					`${stageId(i)} would have ${out} output channels (width × expansion); at most ${LIMITS.channels}`
				);
			if (block === 'bottleneck' && groups !== undefined && widthPerGroup !== undefined) {
				const inner = bottleneckInnerWidth({ groups, widthPerGroup }, width);
				if (inner < 1)
					err(
						`${path}.width`,
						`${stageId(i)}: inner width floor(${width} × ${widthPerGroup} / 64) × ${groups} is 0`
					);
				else if (inner > LIMITS.channels)
					err(
						`${path}.width`,
						`${stageId(i)}: inner width ${inner} is more than ${LIMITS.channels} channels`
					);
			}
			if (shortcut === 'A' && x.residual !== false && inChannels !== undefined && out < inChannels)
				err(
					`${path}.width`,
					`${blockId(i, 0)}: option A pads the shortcut with zero channels, but ${inChannels} channels would shrink to ${out}; use option B or C`
				);
			inChannels = out;
		});
	}
	return errors;
}

const ATTENTION_FIELDS = { se: ['kind', 'ratio', 'divisor'], eca: ['kind', 'gamma', 'beta'] } as const;

/** The attention object: { kind: "se", ratio, divisor } or { kind: "eca", gamma, beta } (timm's parameters). */
function attentionErrors(a: unknown, err: (path: string, message: string) => void): void {
	if (!isObject(a)) {
		err('attention', 'must be an object { kind: "se", ratio, divisor } or { kind: "eca", gamma, beta }');
		return;
	}
	const kind = a.kind as keyof typeof ATTENTION_FIELDS;
	if (!ATTENTION_KINDS.includes(kind)) {
		err(
			'attention.kind',
			`must be one of ${ATTENTION_KINDS.map((k) => `"${k}"`).join(', ')}, got ${show(a.kind)}`
		);
		return;
	}
	const num = (key: string): number | undefined => {
		const v = a[key];
		if (v === undefined) err(`attention.${key}`, 'is required');
		else if (typeof v !== 'number' || !Number.isFinite(v))
			err(`attention.${key}`, `must be a number, got ${show(v)}`);
		else return v;
		return undefined;
	};
	for (const k of Object.keys(a))
		if (!(ATTENTION_FIELDS[kind] as readonly string[]).includes(k))
			err(
				`attention.${k}`,
				`unknown field; ${kind} attention takes ${ATTENTION_FIELDS[kind].slice(1).join(', ')}`
			);
	if (kind === 'se') {
		const ratio = num('ratio');
		if (ratio !== undefined && !(ratio > 0 && ratio <= 1))
			err(
				'attention.ratio',
				`the SE reduction ratio must be above 0 and at most 1 (e.g. 0.0625 = 1/16), got ${ratio}`
			);
		const divisor = num('divisor');
		if (divisor !== undefined && (!Number.isInteger(divisor) || divisor < 1 || divisor > LIMITS.channels))
			err(
				'attention.divisor',
				`must be a whole number from 1 to ${LIMITS.channels} (timm: 8), got ${divisor}`
			);
	} else {
		const gamma = num('gamma');
		if (gamma !== undefined && !(gamma >= LIMITS.ecaGammaMin && gamma <= LIMITS.channels))
			err(
				'attention.gamma',
				`must be from ${LIMITS.ecaGammaMin} to ${LIMITS.channels} (timm: 2), got ${gamma}`
			);
		const beta = num('beta');
		if (beta !== undefined && Math.abs(beta) > LIMITS.ecaBetaMax)
			err(
				'attention.beta',
				`must be from −${LIMITS.ecaBetaMax} to ${LIMITS.ecaBetaMax} (timm: 1), got ${beta}`
			);
	}
}
