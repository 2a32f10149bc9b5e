/**
 * Node and group ids (DESIGN §3.2), in one place. A stage is torchvision's `layer{i+1}`, a block
 * `layer{i+1}.{j}`; the stem and head are groups `stem` and `head`. As a target (taps, feature
 * maps, explanations) a group means its output: the last node it holds.
 */
import type { BlockGraph } from './graph';

/** The id of stage `i` (0-based): `layer{i+1}`. */
export function stageId(i: number): string {
	return `layer${i + 1}`;
}

/** The id of block `j` of stage `i` (both 0-based): `layer{i+1}.{j}`. */
export function blockId(i: number, j: number): string {
	return `${stageId(i)}.${j}`;
}

/** The stage index (0-based) of a stage or block id, or null. */
export function stageIndexOf(id: string): number | null {
	const m = /^layer(\d+)(?:\.\d+)?$/.exec(id);
	return m ? Number(m[1]) - 1 : null;
}

/**
 * The groups that hold `id` (a node, block or stage id), outermost first: `['stem']`,
 * `['head']` (only with `sections`), `[stage, block]` for a node of a block, `[stage]` for a
 * block; `[]` for the input, a stage, or an unknown id.
 */
export function groupsHolding(graph: BlockGraph, id: string, sections = true): string[] {
	const node = graph.byId.get(id);
	if (node) {
		if (node.section === 'stem') return sections ? ['stem'] : [];
		if (node.section === 'head') return sections ? ['head'] : [];
		if (node.stage !== null && node.block !== null) return [stageId(node.stage), node.block];
		return [];
	}
	const m = /^(layer\d+)\.\d+$/.exec(id);
	return m && graph.stages.some((st) => st.id === m[1]) ? [m[1]] : [];
}

/** Stage and block ids in order; with `sections`, also `stem` first and `head` last. */
export function groupIds(graph: BlockGraph, sections = false): string[] {
	const ids = graph.stages.flatMap((st) => [st.id, ...st.blocks.map((b) => b.id)]);
	return sections ? ['stem', ...ids, 'head'] : ids;
}

/** Whether `id` names a group (stem, head, a stage or a block) of this graph. */
export function isGroupId(graph: BlockGraph, id: string): boolean {
	return groupOutput(graph, id) !== null && !graph.byId.has(id);
}

/**
 * The node whose output a node or group id stands for: a node is itself; a block, stage, stem
 * or head is its last node (a block's last ReLU, the stem's pool, the fc). Null for an unknown id.
 */
export function groupOutput(graph: BlockGraph, id: string): string | null {
	if (graph.byId.has(id)) return id;
	const last = (ids: readonly string[]) => ids[ids.length - 1] ?? null;
	if (id === 'stem') return last(graph.stem.nodeIds);
	if (id === 'head') return last(graph.head.nodeIds);
	for (const st of graph.stages) {
		if (st.id === id) return last(st.blocks[st.blocks.length - 1].nodeIds);
		for (const b of st.blocks) if (b.id === id) return last(b.nodeIds);
	}
	return null;
}

/** The id of the last block of the last stage: the network's last feature map (Grad-CAM's default target). */
export function lastBlockId(graph: BlockGraph): string {
	const st = graph.stages[graph.stages.length - 1];
	return st.blocks[st.blocks.length - 1].id;
}
