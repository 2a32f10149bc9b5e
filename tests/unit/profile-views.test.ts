/**
 * A measured profile in the views (issue 15): the summary exports gain the time columns only when
 * a profile exists, the diagram's "measured time" colouring sums a box's nodes, the layer table
 * sorts by ms, and the per-section shares add up. The profile here is made up (given times), so
 * every expected value follows from the input, not from our own output.
 */
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, buildGraph, formatSummary, presetSpec, type SummaryProfile } from '../../src/lib/arch';
import { layerRows } from '../../src/lib/state/layer-rows';
import { colourScale, metricValue } from '../../src/lib/viz/colour';
import { layoutDiagram } from '../../src/lib/viz/layout';
import { gflops, stageShares, timeOf } from '../../src/lib/viz/timing';

const g = buildGraph(presetSpec('resnet18')!);
const ids = g.nodes.filter((n) => n.op !== 'input').map((n) => n.id);
// 1 ms per convolution, 0.5 ms per other node; BN and the ReLU after it folded into the conv.
const foldedInto: Record<string, string> = {};
for (const n of g.nodes) {
	if (n.op === 'batchnorm') foldedInto[n.id] = n.inputs[0];
	const src = g.byId.get(n.inputs[0] ?? '');
	if (n.op === 'relu' && src?.op === 'batchnorm') foldedInto[n.id] = src.inputs[0];
}
const nodes = Object.fromEntries(
	ids.map((id) => [id, id in foldedInto ? 0 : g.byId.get(id)!.op === 'conv2d' ? 1 : 0.5])
);
const totalMs = ids.reduce((s, id) => s + nodes[id], 0);
const profile: SummaryProfile = {
	backend: 'wasm',
	runs: 3,
	nodes,
	foldedInto,
	totalMs,
	forwardMs: totalMs * 1.1,
	stepwiseMs: totalMs * 1.05
};

describe('summary exports with a profile', () => {
	it('CSV: three more columns only with a profile, ms and share per layer', () => {
		expect(formatSummary(g, 'csv').split('\n')[0]).toBe(CSV_COLUMNS.join(','));
		const lines = formatSummary(g, 'csv', profile).split('\n');
		expect(lines[0]).toBe([...CSV_COLUMNS, 'ms', 'time_share', 'folded_into'].join(','));
		const row = (id: string) => lines.find((l) => l.startsWith(`${id},`))!.split(',');
		expect(row('conv1').slice(-3)).toEqual(['1', String(Math.round((1 / totalMs) * 1e4) / 1e4), '']);
		expect(row('bn1').slice(-3)).toEqual(['0', '0', 'conv1']);
		expect(lines.length).toBe(ids.length + 1);
	});

	it('Markdown: ms and % of time columns, and the totals', () => {
		const md = formatSummary(g, 'markdown', profile);
		expect(md).toContain('| Receptive field | ms | % of time |');
		expect(md).toMatch(/\| `bn1` \|.*\| in `conv1` \| – \|/);
		expect(md).toContain(`| ${totalMs.toFixed(1)} ms |`);
		expect(formatSummary(g, 'markdown')).not.toContain('% of time');
	});

	it('JSON: each layer ms/timeShare, folded ones named, the profile totals', () => {
		const j = JSON.parse(formatSummary(g, 'json', profile));
		expect(j.profile).toEqual({
			backend: 'wasm',
			runs: 3,
			totalMs,
			forwardMs: totalMs * 1.1,
			stepwiseMs: totalMs * 1.05
		});
		const fc = j.layers.find((l: { id: string }) => l.id === 'fc');
		expect(fc.ms).toBe(0.5);
		expect(j.layers.find((l: { id: string }) => l.id === 'layer1.0.bn1').foldedInto).toBe('layer1.0.conv1');
		expect(JSON.parse(formatSummary(g, 'json')).layers[0].ms).toBeUndefined();
	});
});

describe('measured time in the diagram, the table, the chart', () => {
	it("a box's time is its nodes' sum; the scale needs a profile", () => {
		const boxes = layoutDiagram(g, new Set()).boxes;
		const stage = boxes.find((b) => b.id === 'layer2')!;
		const expected = g.stages[1].blocks.flatMap((b) => b.nodeIds).reduce((s, id) => s + nodes[id], 0);
		expect(metricValue(stage, 'time', profile)).toBe(expected);
		expect(metricValue(stage, 'time', null)).toBe(0);
		const s = colourScale(boxes, 'time', profile);
		expect(s.fill(expected)).not.toBeNull();
		expect(colourScale(boxes, 'time', null).fill(0)).toBeNull();
	});

	it('sorting by ms puts the slowest first', () => {
		const rows = layerRows(g, new Set(), { key: 'ms', dir: -1 }, profile);
		expect(rows.slice(0, 20).every((r) => g.byId.get(r.id)!.op === 'conv2d')).toBe(true);
	});

	it('per-section shares each sum to 1; MACs shares are the graph totals', () => {
		const rows = stageShares(g, profile);
		expect(rows.map((r) => r.id)).toEqual(['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head']);
		expect(rows.reduce((s, r) => s + r.timeShare, 0)).toBeCloseTo(1, 12);
		expect(rows.reduce((s, r) => s + r.macsShare, 0)).toBeCloseTo(1, 12);
		// the head's MACs are fc's: in × out = 512 × 1000 (DESIGN §3.3)
		expect(rows[5].macsShare).toBeCloseTo(512_000 / g.totals.macs, 12);
		expect(timeOf(profile, ['conv1', 'bn1', 'relu'])).toBe(1);
	});

	it('GFLOP/s: 2 FLOPs per MAC', () => {
		expect(gflops(1e9, 1000)).toBe(2);
		expect(gflops(0, 1)).toBeNull();
		expect(gflops(5, 0)).toBeNull();
	});
});
