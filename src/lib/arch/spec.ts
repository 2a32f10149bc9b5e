/**
 * ArchSpec: the one source of truth for an architecture (DESIGN §3.1, a contract).
 * Plain data, JSON-serialisable; everything else is derived from it.
 */

/**
 * imagenet: conv 7×7/2; cifar: conv 3×3/1; deep: three 3×3 convs (/2, 1, 1) of widths
 * width/2, width/2, width; deep_tiered: 3·width/8, width/2, width (timm's resnet26t).
 */
export type StemKind = 'imagenet' | 'cifar' | 'deep' | 'deep_tiered';
/** What follows the stem's convs: max pool 3×3/2, ResNet-RS's conv 3×3/2 + BN + ReLU, or nothing. */
export type StemPool = 'max' | 'conv' | 'none';
/** post: the 2015 block (conv → BN → ReLU); pre: pre-activation (BN → ReLU → conv, timm resnetv2). */
export type BlockOrder = 'post' | 'pre';
/**
 * Channel attention on the residual branch, before the add (timm's placement).
 * se: global avg pool → 1×1 conv to rd → ReLU → 1×1 conv back → sigmoid → scale, with
 *     rd = timm's make_divisible(channels · ratio, divisor) (seresnet: 1/16, 8; ResNet-RS: 1/4, 8);
 * eca: global avg pool → 1-D conv across channels (no bias) → sigmoid → scale, kernel
 *     k = t if t odd else t + 1, at least 3, with t = floor(|log2(channels) + beta| / gamma) (timm: gamma 2, beta 1).
 */
export type Attention =
	{ kind: 'se'; ratio: number; divisor: number } | { kind: 'eca'; gamma: number; beta: number };
export type AttentionKind = Attention['kind'];
export type BlockKind = 'basic' | 'bottleneck';
/**
 * A: identity / zero-pad; B: projection where the shape changes; C: projection on every block;
 * D: where the shape changes, 2×2 avg pool (stride s, ceil mode, padding not counted; none at
 * stride 1) → 1×1 conv stride 1 → BN ("Bag of Tricks"), identity elsewhere.
 */
export type ShortcutOption = 'A' | 'B' | 'C' | 'D';
export type StrideOn = '3x3' | '1x1';
export type HeadPool = 'avg' | 'flatten';
/** Where a convolution sits, for the per-role `convBias`. */
export type ConvRole = 'stem' | 'block' | 'shortcut';
/** `true`/`false` for every conv, or per role (a checkpoint may have biases on the shortcut convs only). */
export type ConvBias = boolean | Record<ConvRole, boolean>;

export interface StageSpec {
	blocks: number;
	width: number;
	stride: number;
}

export interface ArchSpec {
	name: string;
	input: { channels: number; height: number; width: number };
	/** `pool` absent = the kind's default: max for imagenet/deep/deep_tiered, none for cifar. */
	stem: { kind: StemKind; width: number; pool?: StemPool };
	block: BlockKind;
	expansion: number;
	groups: number;
	widthPerGroup: number;
	stages: StageSpec[];
	shortcut: ShortcutOption;
	strideOn: StrideOn;
	residual: boolean;
	convBias: ConvBias;
	head: { pool: HeadPool; classes: number };
	/** Absent: no attention. */
	attention?: Attention;
	/** Absent = 'post'. */
	order?: BlockOrder;
	/** Stochastic depth rate: recorded and shown, changes no shape, count or inference. Absent = 0. */
	dropPath?: number;
}

export const STEM_KINDS: readonly StemKind[] = ['imagenet', 'cifar', 'deep', 'deep_tiered'];
export const STEM_POOLS: readonly StemPool[] = ['max', 'conv', 'none'];
export const BLOCK_ORDERS: readonly BlockOrder[] = ['post', 'pre'];
export const ATTENTION_KINDS: readonly AttentionKind[] = ['se', 'eca'];
export const BLOCK_KINDS: readonly BlockKind[] = ['basic', 'bottleneck'];
export const SHORTCUT_OPTIONS: readonly ShortcutOption[] = ['A', 'B', 'C', 'D'];
export const STRIDE_ON: readonly StrideOn[] = ['3x3', '1x1'];
export const HEAD_POOLS: readonly HeadPool[] = ['avg', 'flatten'];
export const CONV_ROLES: readonly ConvRole[] = ['stem', 'block', 'shortcut'];

/** The stem's pool, its default filled in. */
export function stemPool(stem: ArchSpec['stem']): StemPool {
	return stem.pool ?? (stem.kind === 'cifar' ? 'none' : 'max');
}

/** The block order, its default filled in. */
export function blockOrder(spec: Pick<ArchSpec, 'order'>): BlockOrder {
	return spec.order ?? 'post';
}

/** Whether the convolutions of `role` have a bias. */
export function convBiasFor(spec: Pick<ArchSpec, 'convBias'>, role: ConvRole): boolean {
	return typeof spec.convBias === 'boolean' ? spec.convBias : spec.convBias[role];
}

/** `convBias` in its shortest form: a boolean when every role agrees, else the per-role object. */
export function simplifyConvBias(bias: ConvBias): ConvBias {
	if (typeof bias === 'boolean') return bias;
	const [stem, block, shortcut] = CONV_ROLES.map((r) => bias[r]);
	return stem === block && block === shortcut ? stem : { stem, block, shortcut };
}

/** A problem with a spec, placed by its JSON path (e.g. `stages[2].blocks`). */
export class SpecError extends Error {
	readonly path: string;
	constructor(path: string, message: string) {
		super(message);
		this.name = 'SpecError';
		this.path = path;
	}
	toString(): string {
		return this.path ? `${this.path}: ${this.message}` : this.message;
	}
}

/** Channels of the bottleneck's inner (3×3) convolution, as torchvision computes them. */
export function bottleneckInnerWidth(
	spec: Pick<ArchSpec, 'groups' | 'widthPerGroup'>,
	width: number
): number {
	return Math.floor((width * spec.widthPerGroup) / 64) * spec.groups;
}

/** Whether the stem is timm's three-conv stem (deep or deep_tiered). */
export function isDeepStem(kind: StemKind): boolean {
	return kind === 'deep' || kind === 'deep_tiered';
}

/**
 * Output channels of the stem's convolutions, in order: one conv for imagenet and cifar stems,
 * three for deep stems — deep: width/2, width/2, width; deep_tiered: 3·width/8, width/2, width
 * (timm's stem_width = width/2; validation keeps width even, and a multiple of 8 when tiered).
 */
export function stemConvWidths(stem: Pick<ArchSpec['stem'], 'kind' | 'width'>): number[] {
	const w = stem.width;
	if (stem.kind === 'deep') return [w / 2, w / 2, w];
	if (stem.kind === 'deep_tiered') return [(3 * w) / 8, w / 2, w];
	return [w];
}

/**
 * timm's make_divisible(v, divisor, round_limit=0): v rounded to the nearest multiple of
 * divisor (halves up), at least divisor.
 */
export function makeDivisible(v: number, divisor: number): number {
	return Math.max(divisor, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
}

/** Channels of the SE bottleneck (timm SEModule's rd_channels) for a branch of `channels`. */
export function seChannels(channels: number, a: { ratio: number; divisor: number }): number {
	return makeDivisible(channels * a.ratio, a.divisor);
}

/**
 * Kernel of ECA's 1-D conv for `channels`, as timm's EcaModule computes it:
 * t = int(|log2(channels) + beta| / gamma), k = max(t if t is odd else t + 1, 3).
 * log2 is written as Python's math.log(channels, 2) computes it (log c / log 2).
 */
export function ecaKernel(channels: number, a: { gamma: number; beta: number }): number {
	const t = Math.trunc(Math.abs(Math.log(channels) / Math.log(2) + a.beta) / a.gamma);
	return Math.max(t % 2 ? t : t + 1, 3);
}

/** A deep copy, so that editing one spec never changes another. */
export function cloneSpec(spec: ArchSpec): ArchSpec {
	return {
		...spec,
		input: { ...spec.input },
		stem: { ...spec.stem },
		stages: spec.stages.map((s) => ({ ...s })),
		convBias: typeof spec.convBias === 'boolean' ? spec.convBias : { ...spec.convBias },
		head: { ...spec.head },
		...(spec.attention ? { attention: { ...spec.attention } } : {})
	};
}

/** Field-by-field equality of two specs (key order does not matter). */
export function specsEqual(a: ArchSpec, b: ArchSpec): boolean {
	return JSON.stringify(canonicalSpec(a)) === JSON.stringify(canonicalSpec(b));
}

/**
 * The spec with its keys in the contract's order: stable JSON for files, links and comparisons.
 * Optional fields that hold their default (stem pool of the kind, order post, no attention,
 * dropPath 0) are left out, so a spec written with or without them is the same spec.
 */
export function canonicalSpec(spec: ArchSpec): ArchSpec {
	const pool = stemPool(spec.stem);
	const defaultPool = stemPool({ kind: spec.stem.kind, width: spec.stem.width });
	return {
		name: spec.name,
		input: { channels: spec.input.channels, height: spec.input.height, width: spec.input.width },
		stem: {
			kind: spec.stem.kind,
			width: spec.stem.width,
			...(pool !== defaultPool ? { pool } : {})
		},
		block: spec.block,
		expansion: spec.expansion,
		groups: spec.groups,
		widthPerGroup: spec.widthPerGroup,
		stages: spec.stages.map((s) => ({ blocks: s.blocks, width: s.width, stride: s.stride })),
		shortcut: spec.shortcut,
		strideOn: spec.strideOn,
		residual: spec.residual,
		convBias:
			typeof spec.convBias === 'boolean'
				? spec.convBias
				: {
						stem: spec.convBias.stem,
						block: spec.convBias.block,
						shortcut: spec.convBias.shortcut
					},
		head: { pool: spec.head.pool, classes: spec.head.classes },
		...(spec.attention ? { attention: canonicalAttention(spec.attention) } : {}),
		...(blockOrder(spec) !== 'post' ? { order: blockOrder(spec) } : {}),
		...(spec.dropPath ? { dropPath: spec.dropPath } : {})
	};
}

function canonicalAttention(a: Attention): Attention {
	return a.kind === 'se'
		? { kind: 'se', ratio: a.ratio, divisor: a.divisor }
		: { kind: 'eca', gamma: a.gamma, beta: a.beta };
}
