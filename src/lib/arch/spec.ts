/**
 * ArchSpec: the one source of truth for an architecture (DESIGN §3.1, a contract).
 * Plain data, JSON-serialisable; everything else is derived from it.
 */

export type StemKind = 'imagenet' | 'cifar';
export type BlockKind = 'basic' | 'bottleneck';
/** A: identity / zero-pad; B: projection where the shape changes; C: projection on every block. */
export type ShortcutOption = 'A' | 'B' | 'C';
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
	stem: { kind: StemKind; width: number };
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
}

export const STEM_KINDS: readonly StemKind[] = ['imagenet', 'cifar'];
export const BLOCK_KINDS: readonly BlockKind[] = ['basic', 'bottleneck'];
export const SHORTCUT_OPTIONS: readonly ShortcutOption[] = ['A', 'B', 'C'];
export const STRIDE_ON: readonly StrideOn[] = ['3x3', '1x1'];
export const HEAD_POOLS: readonly HeadPool[] = ['avg', 'flatten'];
export const CONV_ROLES: readonly ConvRole[] = ['stem', 'block', 'shortcut'];

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

/** A deep copy, so that editing one spec never changes another. */
export function cloneSpec(spec: ArchSpec): ArchSpec {
	return {
		...spec,
		input: { ...spec.input },
		stem: { ...spec.stem },
		stages: spec.stages.map((s) => ({ ...s })),
		convBias: typeof spec.convBias === 'boolean' ? spec.convBias : { ...spec.convBias },
		head: { ...spec.head }
	};
}

/** Field-by-field equality of two specs (key order does not matter). */
export function specsEqual(a: ArchSpec, b: ArchSpec): boolean {
	return JSON.stringify(canonicalSpec(a)) === JSON.stringify(canonicalSpec(b));
}

/** The spec with its keys in the contract's order: stable JSON for files, links and comparisons. */
export function canonicalSpec(spec: ArchSpec): ArchSpec {
	return {
		name: spec.name,
		input: { channels: spec.input.channels, height: spec.input.height, width: spec.input.width },
		stem: { kind: spec.stem.kind, width: spec.stem.width },
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
		head: { pool: spec.head.pool, classes: spec.head.classes }
	};
}
