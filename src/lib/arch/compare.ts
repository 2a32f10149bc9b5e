/**
 * Two architectures side by side, section by section (stem, each stage, head, total):
 * params, MACs, FLOPs, activation bytes and output shapes, and the difference (b − a).
 * Reads the numbers the graphs carry; computes nothing but sums of differences.
 */
import { stageId } from './ids';
import type { BlockGraph } from './graph';
import type { Shape, Totals } from './metrics';
import { canonicalSpec, type ArchSpec } from './spec';

export interface SectionStats extends Totals {
	outShape: Shape;
	/** Blocks in the stage (null for the stem, head and total). */
	blocks: number | null;
}

export interface SectionComparison {
	/** `stem`, `layer1` … `layerN`, `head`, `total`. */
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

function sections(g: BlockGraph): Map<string, SectionStats> {
	const m = new Map<string, SectionStats>();
	m.set('stem', { ...g.stem.totals, outShape: g.stem.outShape, blocks: null });
	// Keyed by torchvision's stage names whatever the graph's id scheme (`stages.0` of a
	// pre-activation net meets `layer1`).
	for (const st of g.stages)
		m.set(stageId(st.index), { ...st.totals, outShape: st.outShape, blocks: st.blocks.length });
	m.set('head', { ...g.head.totals, outShape: g.head.outShape, blocks: null });
	m.set('total', { ...g.totals, outShape: g.head.outShape, blocks: null });
	return m;
}

/** Section-by-section comparison of `a` (e.g. the pinned network) and `b` (the current one). */
export function compareGraphs(a: BlockGraph, b: BlockGraph): SectionComparison[] {
	const sa = sections(a);
	const sb = sections(b);
	const stageCount = Math.max(a.stages.length, b.stages.length);
	const ids = ['stem', ...Array.from({ length: stageCount }, (_, i) => stageId(i)), 'head', 'total'];
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
		if (x && y && typeof x === 'object' && typeof y === 'object') {
			for (const k of Object.keys(x)) walk((x as never)[k], (y as never)[k], path ? `${path}.${k}` : k);
			return;
		}
		const text = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
		if (x !== y) out.push({ path, a: text(x), b: text(y) });
	};
	const ca: Partial<ArchSpec> = canonicalSpec(a);
	const cb: Partial<ArchSpec> = canonicalSpec(b);
	delete ca.name;
	delete cb.name;
	walk(ca, cb, '');
	return out;
}
