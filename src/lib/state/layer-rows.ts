/**
 * The layer table's rows: a tree (stem, stages ▸ blocks ▸ layers, head) collapsed by stage and
 * block, or — once sorted by a column — every layer in one flat list. Pure: no DOM, no runes.
 */
import { elements, type BlockGraph, type BlockGroup, type GraphNode, type StageGroup } from '$lib/arch';
import type { Timing } from '$lib/viz/timing';

/** 'ms': a measured profile's time (the `ms` and `% of time` columns, shown when there is one). */
export type SortKey = 'order' | 'id' | 'op' | 'shape' | 'params' | 'macs' | 'flops' | 'rf' | 'ms';
export interface Sort {
	key: SortKey;
	/** 1: ascending, −1: descending. */
	dir: 1 | -1;
}

export type LayerRow =
	| { kind: 'node'; id: string; depth: number; node: GraphNode }
	| { kind: 'stage'; id: string; depth: 0; stage: StageGroup; expanded: boolean }
	| { kind: 'block'; id: string; depth: 1; block: BlockGroup; expanded: boolean };

const value = (n: GraphNode, key: SortKey, order: number, times: Timing | null): number | string => {
	switch (key) {
		case 'ms':
			return times?.nodes[n.id] ?? 0;
		case 'id':
			return n.id;
		case 'op':
			return n.op;
		case 'shape':
			return elements(n.outShape);
		case 'params':
			return n.params;
		case 'macs':
			return n.macs;
		case 'flops':
			return n.flops;
		case 'rf':
			return n.receptiveField;
		default:
			return order;
	}
};

/** The rows to show, given which stages and blocks are expanded (`times`: a profile, for sorting by ms). */
export function layerRows(
	g: BlockGraph,
	expanded: ReadonlySet<string>,
	sort: Sort,
	times: Timing | null = null
): LayerRow[] {
	if (sort.key !== 'order') {
		const nodes = g.nodes.filter((n) => n.op !== 'input');
		const keyed = nodes.map((n, i) => ({ n, v: value(n, sort.key, i, times), i }));
		keyed.sort((a, b) => {
			const c =
				typeof a.v === 'number' && typeof b.v === 'number'
					? a.v - b.v
					: String(a.v).localeCompare(String(b.v), 'en', { numeric: true });
			return c !== 0 ? c * sort.dir : a.i - b.i;
		});
		return keyed.map(({ n }) => ({ kind: 'node', id: n.id, depth: 0, node: n }));
	}
	const rows: LayerRow[] = [];
	const node = (id: string, depth: number) => rows.push({ kind: 'node', id, depth, node: g.byId.get(id)! });
	for (const id of g.stem.nodeIds) node(id, 0);
	for (const st of g.stages) {
		const open = expanded.has(st.id);
		rows.push({ kind: 'stage', id: st.id, depth: 0, stage: st, expanded: open });
		if (!open) continue;
		for (const bl of st.blocks) {
			const bopen = expanded.has(bl.id);
			rows.push({ kind: 'block', id: bl.id, depth: 1, block: bl, expanded: bopen });
			if (bopen) for (const id of bl.nodeIds) node(id, 2);
		}
	}
	for (const id of g.head.nodeIds) node(id, 0);
	return rows;
}
