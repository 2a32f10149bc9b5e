/**
 * timm's ResNet-family checkpoints, read by their module paths (DESIGN §3.2: a layout taken from
 * timm keeps timm's names, so these names are the graph's own node ids).
 *
 * Two layouts:
 * - timm's `resnet.py` (torchvision's names plus): a deep stem `conv1.0`/`conv1.3`/`conv1.6` (BNs
 *   `conv1.1`, `conv1.4`, then `bn1`), a conv stem pool `maxpool.0` (+ BN `maxpool.1`), the D
 *   shortcut `downsample.1` (conv after an average pool, BN `downsample.2`), SE `se.fc1`/`se.fc2`,
 *   ECA `se.conv` (a 1-D conv weight [1, 1, k]);
 * - timm's `resnetv2.py` (pre-activation): `stem.conv` or `stem.conv1..3`, blocks
 *   `stages.i.blocks.j.{norm1, conv1, norm2, conv2, norm3, conv3, downsample.conv}`, a final
 *   `norm`, and `head.fc` (a 1×1 conv [classes, features, 1, 1]).
 *
 * The reading gives the network's torchvision-shaped core — its convs, their batch norms (shapes
 * only) and its fc — which the structural reader turns into stages, widths and the head, and the
 * family's own fields (stem kind and pool, shortcut D, attention, block order), read from these
 * modules' shapes. The caller checks every tensor against the graph of the spec they make.
 */
import {
	ecaKernel,
	seChannels,
	stemConvWidths,
	type Attention,
	type BlockOrder,
	type StemKind,
	type StemPool
} from '../arch/spec';
import type { Assumption } from './infer-arch';
import { WeightsError, formatShape, isIgnoredKey, type Tensor, type TensorMap } from './types';

export interface TimmLayout {
	layout: 'resnet' | 'resnetv2';
	/** The convs, batch norms and fc in torchvision's names and shapes (values unused). */
	core: TensorMap;
	stem: { kind: StemKind; pool: StemPool; reason: string };
	/** D: the projections follow an average pool. */
	shortcutD: boolean;
	attention: Attention | null;
	order: BlockOrder;
	assumed: Assumption[];
}

/** SE (ratio, divisor) pairs tried, timm's defaults first: seresnet's 1/16 and 8, ResNet-RS's 1/4 and 8. */
const SE_CANDIDATES: [number, number][] = unique([
	[1 / 16, 8],
	[1 / 4, 8],
	...[1 / 16, 1 / 4, 1 / 8, 1 / 32, 1 / 2].flatMap((r) =>
		[8, 1, 4, 16].map((d) => [r, d] as [number, number])
	)
]);
/** ECA (gamma, beta) pairs tried, timm's default (2, 1) first. */
const ECA_CANDIDATES: [number, number][] = unique([
	[2, 1],
	...[1, 2, 3, 4].flatMap((g) => [0, 1, 2, 3].map((b) => [g, b] as [number, number]))
]);

function unique(pairs: [number, number][]): [number, number][] {
	return pairs.filter(([a, b], i) => pairs.findIndex(([a2, b2]) => a2 === a && b2 === b) === i);
}

function refuse(tensor: string, message: string): WeightsError {
	return new WeightsError(
		tensor,
		'a ResNet the explorer can build',
		'something else',
		`cannot read the architecture: ${message}`
	);
}

const fake = (shape: number[]): Tensor => ({ shape, data: new Float32Array(0) });
const BN = ['weight', 'bias', 'running_mean', 'running_var'];

/**
 * The timm layout the checkpoint's names follow, or null for torchvision's own layout (and
 * anything else: the structural reader takes those).
 */
export function readTimmLayout(tensors: TensorMap): TimmLayout | null {
	const keys = [...tensors.keys()].filter((k) => !isIgnoredKey(k));
	if (
		keys.some((k) => k.startsWith('stages.')) &&
		(tensors.has('stem.conv.weight') || tensors.has('stem.conv1.weight'))
	)
		return readResnetV2(tensors, keys);
	const timmOnly = keys.some(
		(k) =>
			k.startsWith('conv1.0.') ||
			k.startsWith('maxpool.0.') ||
			/^layer\d+\.\d+\.(se\.|downsample\.2\.)/.test(k)
	);
	return timmOnly ? readResnet(tensors, keys) : null;
}

const shape = (tensors: TensorMap, key: string) => tensors.get(key)?.shape;

/** A 4-D square conv weight under `key`, or a refusal naming it. */
function convShape(tensors: TensorMap, key: string, what: string): number[] {
	const s = shape(tensors, key);
	if (!s || s.length !== 4 || s[2] !== s[3])
		throw refuse(
			key,
			`${what}: ${key} ${s ? formatShape(s) : 'is missing'} (a square conv weight is wanted)`
		);
	return s;
}

/** The deep stem's three convs (a → b → width): deep (w/2, w/2) or deep_tiered (3w/8, w/2). */
function deepStem(widths: [number, number, number], first: string): { kind: StemKind; reason: string } {
	const w = widths[2];
	const same = (kind: StemKind) => stemConvWidths({ kind, width: w }).every((x, i) => x === widths[i]);
	const kind = (['deep', 'deep_tiered'] as const).find(same);
	if (!kind) {
		const [deep, tiered] = (['deep', 'deep_tiered'] as const).map((k) =>
			stemConvWidths({ kind: k, width: w }).join(', ')
		);
		throw refuse(
			first,
			`a stem of three 3×3 convs of widths ${widths.join(', ')}: neither timm's deep stem (${deep}) nor its tiered one (${tiered})`
		);
	}
	return {
		kind,
		reason: `three 3×3 convs of widths ${widths.join(', ')}: timm's ${kind === 'deep' ? 'deep' : 'tiered'} stem, taken as strides 2, 1, 1 (the weights hold no strides)`
	};
}

/** Channel attention of every block, from `layerX.Y.se.*` (resnet) modules. */
function readAttention(
	tensors: TensorMap,
	blocks: string[],
	outChannels: (block: string) => number,
	assumed: Assumption[]
): Attention | null {
	const se = blocks.filter((b) => tensors.has(`${b}.se.fc1.weight`));
	const eca = blocks.filter((b) => tensors.has(`${b}.se.conv.weight`));
	if (se.length === 0 && eca.length === 0) return null;
	const kind = se.length ? 'se' : 'eca';
	const withIt = kind === 'se' ? se : eca;
	if (se.length && eca.length)
		throw refuse(
			`${eca[0]}.se.conv.weight`,
			'both SE and ECA modules: one kind of attention for the whole network'
		);
	const lacking = blocks.find((b) => !withIt.includes(b));
	if (lacking)
		throw refuse(
			`${lacking}.conv1.weight`,
			`block ${lacking} has no ${kind.toUpperCase()} module while ${withIt[0]} has one: attention on every block or none`
		);
	if (kind === 'se') {
		const widths = blocks.map((b) => {
			const fc1 = convShape(tensors, `${b}.se.fc1.weight`, 'SE');
			const fc2 = convShape(tensors, `${b}.se.fc2.weight`, 'SE');
			const c = outChannels(b);
			const [rd] = fc1;
			if (fc1[1] !== c || fc1[2] !== 1 || fc2[0] !== c || fc2[1] !== rd || fc2[2] !== 1)
				throw refuse(
					`${b}.se.fc1.weight`,
					`the SE module of ${b} (fc1 ${formatShape(fc1)}, fc2 ${formatShape(fc2)}) is not 1×1 convs ${c} → rd → ${c}`
				);
			for (const f of ['fc1', 'fc2'])
				if (!tensors.has(`${b}.se.${f}.bias`))
					throw refuse(`${b}.se.${f}.weight`, `${b}.se.${f} has no bias; timm's SE convs have one`);
			return [c, rd] as const;
		});
		const fits = SE_CANDIDATES.filter(([r, d]) =>
			widths.every(([c, rd]) => seChannels(c, { ratio: r, divisor: d }) === rd)
		);
		if (fits.length === 0)
			throw refuse(
				`${blocks[0]}.se.fc1.weight`,
				`the SE widths (${widths
					.slice(0, 4)
					.map(([c, rd]) => `${c} → ${rd}`)
					.join(
						', '
					)}${widths.length > 4 ? ', …' : ''}) fit no reduction ratio and divisor of timm's make_divisible tried (1/2 … 1/32; 1, 4, 8, 16)`
			);
		const [ratio, divisor] = fits[0];
		if (fits.length > 1)
			assumed.push({
				path: 'attention',
				value: { kind: 'se', ratio, divisor },
				reason: `SE ratio 1/${1 / ratio}, divisor ${divisor}: ${fits.length - 1} other pair${fits.length > 2 ? 's' : ''} (${fits
					.slice(1, 4)
					.map(([r, d]) => `1/${1 / r}, ${d}`)
					.join('; ')}${fits.length > 4 ? '; …' : ''}) give the same widths`
			});
		return { kind: 'se', ratio, divisor };
	}
	const kernels = blocks.map((b) => {
		const key = `${b}.se.conv.weight`;
		const s = shape(tensors, key)!;
		if (s.length !== 3 || s[0] !== 1 || s[1] !== 1 || s[2] % 2 !== 1)
			throw refuse(key, `${key} ${formatShape(s)} is not timm's ECA conv (a 1-D weight [1, 1, k], k odd)`);
		if (tensors.has(`${b}.se.conv.bias`) || tensors.has(`${b}.se.conv2.weight`))
			throw refuse(
				key,
				`the ECA module of ${b} has a bias or a second conv (timm's use_mlp variant): not an ArchSpec`
			);
		return [outChannels(b), s[2]] as const;
	});
	const fits = ECA_CANDIDATES.filter(([g, be]) =>
		kernels.every(([c, k]) => ecaKernel(c, { gamma: g, beta: be }) === k)
	);
	if (fits.length === 0)
		throw refuse(
			`${blocks[0]}.se.conv.weight`,
			`the ECA kernels (${kernels
				.slice(0, 4)
				.map(([c, k]) => `${c} channels: ${k}`)
				.join(
					', '
				)}${kernels.length > 4 ? ', …' : ''}) fit no gamma and beta of timm's rule tried (gamma 1–4, beta 0–3)`
		);
	const [gamma, beta] = fits[0];
	if (fits.length > 1)
		assumed.push({
			path: 'attention',
			value: { kind: 'eca', gamma, beta },
			reason: `ECA gamma ${gamma}, beta ${beta} (timm's): other pairs give the same kernel sizes here`
		});
	return { kind: 'eca', gamma, beta };
}

/** Block ids (`layer2.0`, `stages.1.blocks.0`) in natural order. */
function blockIds(keys: string[], pattern: RegExp): string[] {
	const ids = new Set<string>();
	for (const k of keys) {
		const m = pattern.exec(k);
		if (m) ids.add(m[0].slice(0, -1));
	}
	const collator = new Intl.Collator('en', { numeric: true });
	return [...ids].sort(collator.compare);
}

/** The block's output channels: its last conv's. */
function lastConvOut(tensors: TensorMap, block: string): number {
	const last = ['conv3', 'conv2'].find((c) => tensors.has(`${block}.${c}.weight`));
	if (!last) throw refuse(`${block}.conv1.weight`, `block ${block} has no conv2 or conv3`);
	return shape(tensors, `${block}.${last}.weight`)![0];
}

function readResnet(tensors: TensorMap, keys: string[]): TimmLayout {
	const assumed: Assumption[] = [];
	const core: TensorMap = new Map();
	let stem: TimmLayout['stem'];
	const deep = tensors.has('conv1.0.weight');
	if (deep) {
		const s0 = convShape(tensors, 'conv1.0.weight', 'the deep stem');
		const s3 = convShape(tensors, 'conv1.3.weight', 'the deep stem');
		const s6 = convShape(tensors, 'conv1.6.weight', 'the deep stem');
		if (s0[2] !== 3 || s3[2] !== 3 || s6[2] !== 3 || s3[1] !== s0[0] || s6[1] !== s3[0])
			throw refuse(
				'conv1.0.weight',
				`the stem convs conv1.0 ${formatShape(s0)}, conv1.3 ${formatShape(s3)}, conv1.6 ${formatShape(s6)} are not three chained 3×3 convs`
			);
		stem = { ...deepStem([s0[0], s3[0], s6[0]], 'conv1.0.weight'), pool: 'max' };
		// The core's stem: one conv of the stem's width and input, 7×7 so that it reads as a strided stem.
		core.set('conv1.weight', fake([s6[0], s0[1], 7, 7]));
	} else if (tensors.get('conv1.weight')?.shape.length === 4)
		stem = { kind: 'imagenet', pool: 'max', reason: '' };
	else
		throw refuse(
			keys[0],
			"timm's ResNet modules (se, downsample.2 or maxpool.0) without timm's stem: its convs are conv1 (7×7) or conv1.0, conv1.3, conv1.6 (a deep stem, read under timm’s names only: conv1.0, conv1.3, conv1.6)"
		);
	if (tensors.has('maxpool.0.weight')) {
		stem.pool = 'conv';
		stem.reason += `${stem.reason ? '; ' : ''}a 3×3 conv + BN in place of the max pool (maxpool.0): ResNet-RS's stem pool, taken as stride 2`;
	}
	const blocks = blockIds(keys, /^layer\d+\.\d+\./);
	const dBlocks = blocks.filter((b) => tensors.has(`${b}.downsample.2.weight`));
	const bBlocks = blocks.filter((b) => tensors.get(`${b}.downsample.0.weight`)?.shape.length === 4);
	if (dBlocks.length && bBlocks.length)
		throw refuse(
			`${bBlocks[0]}.downsample.0.weight`,
			`${bBlocks[0]} projects with a conv (downsample.0) while ${dBlocks[0]} pools first (downsample.1 is its conv): one shortcut option for the whole network`
		);
	const attention = readAttention(tensors, blocks, (b) => lastConvOut(tensors, b), assumed);
	for (const key of keys) {
		if (/^(conv1\.\d+|maxpool)\./.test(key) || /^layer\d+\.\d+\.se\./.test(key)) continue;
		const d = /^(layer\d+\.\d+)\.downsample\.([12])\.(.+)$/.exec(key);
		if (d && dBlocks.includes(d[1]))
			core.set(`${d[1]}.downsample.${Number(d[2]) - 1}.${d[3]}`, tensors.get(key)!);
		else core.set(key, tensors.get(key)!);
	}
	return {
		layout: 'resnet',
		core: sortedCore(core),
		stem,
		shortcutD: dBlocks.length > 0,
		attention,
		order: 'post',
		assumed
	};
}

function readResnetV2(tensors: TensorMap, keys: string[]): TimmLayout {
	const assumed: Assumption[] = [];
	const core: TensorMap = new Map();
	const bn = (id: string, c: number) => {
		for (const t of BN) core.set(`${id}.${t}`, fake([c]));
	};
	if (tensors.has('stem.norm.weight') || tensors.has('stem.norm3.weight'))
		throw refuse(
			tensors.has('stem.norm.weight') ? 'stem.norm.weight' : 'stem.norm3.weight',
			"a resnetv2 stem with a batch norm of its own: timm's resnetv2 without pre-activation (preact=False), which is not an ArchSpec"
		);
	let stem: TimmLayout['stem'];
	let stemIn: number;
	let stemOut: number;
	if (tensors.has('stem.conv.weight')) {
		const s = convShape(tensors, 'stem.conv.weight', 'the stem');
		if (s[2] !== 7) throw refuse('stem.conv.weight', `the stem conv ${formatShape(s)} is not 7×7`);
		[stemOut, stemIn] = s;
		stem = { kind: 'imagenet', pool: 'max', reason: '' };
	} else {
		const s1 = convShape(tensors, 'stem.conv1.weight', 'the deep stem');
		const s2 = convShape(tensors, 'stem.conv2.weight', 'the deep stem');
		const s3 = convShape(tensors, 'stem.conv3.weight', 'the deep stem');
		if (s1[2] !== 3 || s2[2] !== 3 || s3[2] !== 3 || s2[1] !== s1[0] || s3[1] !== s2[0])
			throw refuse(
				'stem.conv1.weight',
				`the stem convs ${formatShape(s1)}, ${formatShape(s2)}, ${formatShape(s3)} are not three chained 3×3 convs`
			);
		stem = { ...deepStem([s1[0], s2[0], s3[0]], 'stem.conv1.weight'), pool: 'max' };
		[stemOut, stemIn] = [s3[0], s1[1]];
	}
	core.set('conv1.weight', fake([stemOut, stemIn, 7, 7]));
	bn('bn1', stemOut);
	for (const key of keys) {
		const m = /^stages\.(\d+)\.blocks\.(\d+)\.(conv[123]|downsample\.conv)\.weight$/.exec(key);
		if (m) {
			const id = `layer${Number(m[1]) + 1}.${m[2]}`;
			const s = tensors.get(key)!.shape;
			if (m[3] === 'downsample.conv') {
				core.set(`${id}.downsample.0.weight`, tensors.get(key)!);
				bn(`${id}.downsample.1`, s[0]);
			} else {
				core.set(`${id}.${m[3]}.weight`, tensors.get(key)!);
				bn(`${id}.bn${m[3].slice(4)}`, s[0]);
			}
		}
	}
	const fc = shape(tensors, 'head.fc.weight');
	if (!fc || fc.length !== 4 || fc[2] !== 1 || fc[3] !== 1)
		throw refuse(
			'head.fc.weight',
			`head.fc.weight ${fc ? formatShape(fc) : 'is missing'}: timm's resnetv2 head is a 1×1 conv [classes, features, 1, 1]`
		);
	core.set('fc.weight', fake([fc[0], fc[1]]));
	if (tensors.has('head.fc.bias')) core.set('fc.bias', tensors.get('head.fc.bias')!);
	// An average pool before the projection leaves no tensor in a pre-activation block (its norm is
	// the block's norm1): timm's constructors pair it with the deep stem (resnetv2_50d / 50t).
	const shortcutD = stem.kind !== 'imagenet';
	assumed.push({
		path: 'shortcut',
		value: shortcutD ? 'D' : 'B',
		reason: shortcutD
			? "a pre-activation projection's average pool holds no weights: D taken, as timm's resnetv2 with a deep stem (avg_down)"
			: "a pre-activation projection's average pool holds no weights: B taken, as timm's resnetv2 with a 7×7 stem"
	});
	return {
		layout: 'resnetv2',
		core: sortedCore(core),
		stem,
		shortcutD,
		attention: null,
		order: 'pre',
		assumed
	};
}

/** The core in its names' natural order (the structural reader then loads it by name). */
function sortedCore(core: TensorMap): TensorMap {
	const collator = new Intl.Collator('en', { numeric: true });
	return new Map([...core].sort(([a], [b]) => collator.compare(a, b)));
}
