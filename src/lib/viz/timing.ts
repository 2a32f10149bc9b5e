/**
 * A measured profile (per-node times, $lib/runtime/profile.ts) set against the graph's MACs: the
 * time of a node or a group, its share of the forward, the achieved GFLOP/s, and the per-stage
 * time share vs MACs share that the profile chart draws. Pure: no DOM, no tfjs.
 */
import type { BlockGraph } from '../arch/graph';

/** What the views need of a profile. */
export interface Timing {
	/** ms per node id; 0 for a node folded into another. */
	nodes: Readonly<Record<string, number>>;
	/** A folded node → the node whose time includes it. */
	foldedInto: Readonly<Record<string, string>>;
	/** Sum of the nodes' times, ms. */
	totalMs: number;
}

/** The summed time of `ids`, ms. */
export function timeOf(t: Timing, ids: readonly string[]): number {
	let s = 0;
	for (const id of ids) s += t.nodes[id] ?? 0;
	return s;
}

/**
 * Achieved GFLOP/s of `macs` done in `ms` (2 FLOPs per MAC, DESIGN §3.3's convention for
 * convolutions and fc); null when there is no time or no MAC to speak of.
 */
export function gflops(macs: number, ms: number): number | null {
	return ms > 0 && macs > 0 ? (2 * macs) / (ms * 1e6) : null;
}

/** One row of the chart: a section of the network, its share of the time and of the MACs. */
export interface StageShare {
	id: string;
	label: string;
	ms: number;
	timeShare: number;
	macsShare: number;
}

/** Stem, each stage, head: their shares of the measured time and of the MACs (each sums to 1). */
export function stageShares(graph: BlockGraph, t: Timing): StageShare[] {
	const macs = graph.totals.macs;
	const row = (id: string, label: string, ids: readonly string[], m: number): StageShare => {
		const ms = timeOf(t, ids);
		return {
			id,
			label,
			ms,
			timeShare: t.totalMs > 0 ? ms / t.totalMs : 0,
			macsShare: macs > 0 ? m / macs : 0
		};
	};
	return [
		row('stem', 'stem', graph.stem.nodeIds, graph.stem.totals.macs),
		...graph.stages.map((st) =>
			row(
				st.id,
				st.id,
				st.blocks.flatMap((b) => b.nodeIds),
				st.totals.macs
			)
		),
		row('head', 'head', graph.head.nodeIds, graph.head.totals.macs)
	];
}

/** "12.3 ms", "0.42 ms", "1.23 s". */
export function msText(ms: number): string {
	if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
	return ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}
