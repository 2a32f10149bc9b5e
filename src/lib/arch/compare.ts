/**
 * Two architectures side by side, section by section (stem, each stage, head, total):
 * params, MACs, FLOPs, activation bytes and output shapes, and the difference (b − a).
 * Reads the numbers the graphs carry; computes nothing but sums of differences.
 */
import { idScheme, stageId } from './ids';
import type { BlockGraph } from './graph';
import type { Shape, Totals } from './metrics';
import { blockOrder, canonicalSpec, stemPool, type ArchSpec } from './spec';

export interface SectionStats extends Totals {
	outShape: Shape;
	/** Blocks in the stage (null for the stem, head and total). */
	blocks: number | null;
}

export interface SectionComparison {
	/**
	 * `stem`, the stages, `head`, `total`. Stages are matched by position and named as both
	 * graphs name them (`layer1` …, or `stages.0` … for two pre-activation nets), torchvision's
	 * `layer{i+1}` when the two name them differently.
	 */
	id: string;
	/** Missing where one network has fewer stages. */
	a: SectionStats | null;
	b: SectionStats | null;
	/** b − a (a missing side counts as zero). */
	delta: Totals;
	/** Whether the two output shapes differ (or one side is missing). */
	shapeChanged: boolean;
}

const KEYS = ['params', 'buffers', 'macs', 'flops', 'activationBytes'] as const;

/** Sections keyed by row id: stages by their position (`stageId(i, naming)`). */
function sections(g: BlockGraph, naming: ArchSpec | undefined): Map<string, SectionStats> {
	const m = new Map<string, SectionStats>();
	m.set('stem', { ...g.stem.totals, outShape: g.stem.outShape, blocks: null });
	for (const st of g.stages)
		m.set(stageId(st.index, naming), { ...st.totals, outShape: st.outShape, blocks: st.blocks.length });
	m.set('head', { ...g.head.totals, outShape: g.head.outShape, blocks: null });
	m.set('total', { ...g.totals, outShape: g.head.outShape, blocks: null });
	return m;
}

/** Section-by-section comparison of `a` (e.g. the pinned network) and `b` (the current one). */
export function compareGraphs(a: BlockGraph, b: BlockGraph): SectionComparison[] {
	const naming = idScheme(a.spec) === idScheme(b.spec) ? a.spec : undefined;
	const sa = sections(a, naming);
	const sb = sections(b, naming);
	const stageCount = Math.max(a.stages.length, b.stages.length);
	const ids = ['stem', ...Array.from({ length: stageCount }, (_, i) => stageId(i, naming)), 'head', 'total'];
	return ids.map((id) => {
		const x = sa.get(id) ?? null;
		const y = sb.get(id) ?? null;
		const delta = Object.fromEntries(
			KEYS.map((k) => [k, (y?.[k] ?? 0) - (x?.[k] ?? 0)])
		) as unknown as Totals;
		const shapeChanged =
			!x || !y || x.outShape.length !== y.outShape.length || x.outShape.some((v, i) => v !== y.outShape[i]);
		return { id, a: x, b: y, delta, shapeChanged };
	});
}

export interface SpecDifference {
	/** JSON path of the field, as SpecError paths are written (`stages[2].blocks`). */
	path: string;
	a: string;
	b: string;
}

/**
 * The spec in the contract's order with every optional field written out at its value or default
 * (stem pool, attention "none", order, dropPath 0), so that a field one side leaves out is
 * compared with what it means.
 */
function explicit(spec: ArchSpec): Record<string, unknown> {
	const c: Record<string, unknown> = { ...canonicalSpec(spec) };
	delete c.name;
	c.stem = { ...spec.stem, pool: stemPool(spec.stem) };
	c.attention = spec.attention ? canonicalSpec(spec).attention : 'none';
	c.order = blockOrder(spec);
	c.dropPath = spec.dropPath ?? 0;
	return c;
}

/** The fields in which two specs differ (the name is ignored), in the contract's order. */
export function specDifferences(a: ArchSpec, b: ArchSpec): SpecDifference[] {
	const out: SpecDifference[] = [];
	const walk = (x: unknown, y: unknown, path: string) => {
		if (Array.isArray(x) || Array.isArray(y)) {
			const xs = Array.isArray(x) ? x : [];
			const ys = Array.isArray(y) ? y : [];
			if (xs.length !== ys.length)
				out.push({ path: `${path}.length`, a: String(xs.length), b: String(ys.length) });
			for (let i = 0; i < Math.min(xs.length, ys.length); i++) walk(xs[i], ys[i], `${path}[${i}]`);
			return;
		}
		// Field by field, except two attentions of different kinds: those differ as a whole.
		const otherKind =
			path === 'attention' && (x as { kind?: unknown })?.kind !== (y as { kind?: unknown })?.kind;
		if (x && y && typeof x === 'object' && typeof y === 'object' && !otherKind) {
			for (const k of Object.keys(x)) walk((x as never)[k], (y as never)[k], path ? `${path}.${k}` : k);
			return;
		}
		const text = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
		if (x !== y) out.push({ path, a: text(x), b: text(y) });
	};
	walk(explicit(a), explicit(b), '');
	return out;
}
