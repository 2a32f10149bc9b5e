/**
 * The per-layer summary of a graph in the forms people paste: a torchinfo-like text table,
 * Markdown, CSV and the JSON of the CLI contract (DESIGN §3.4). With a measured profile
 * (issue 15), Markdown, CSV and JSON gain each layer's time and share of the time.
 */
import type { BlockGraph, GraphNode } from './graph';
import { blockOrder, canonicalSpec, stemPool, type ArchSpec } from './spec';
import type { Shape, Totals } from './metrics';
import { byteSize, grouped, shapeText, si } from './units';

export type SummaryFormat = 'json' | 'table' | 'markdown' | 'csv';
export const SUMMARY_FORMATS: readonly SummaryFormat[] = ['json', 'table', 'markdown', 'csv'];

export interface LayerRow {
	id: string;
	op: GraphNode['op'];
	/** [C, H, W]; [features] after flatten. */
	inShape: number[];
	/** [C, H, W]; fc gives [classes] and flatten [C·H·W], as in PyTorch (DESIGN §3.2). */
	outShape: number[];
	params: number;
	macs: number;
	flops: number;
	receptiveField: number;
}

export interface SummaryJson {
	spec: ArchSpec;
	totals: Totals;
	layers: (LayerRow & { ms?: number; timeShare?: number; foldedInto?: string })[];
	profile?: { backend: string; runs: number; totalMs: number; forwardMs: number; stepwiseMs: number };
}

/**
 * A measured profile as the exports use it ($lib/runtime/profile.ts measures it): ms per node
 * (0 for a node folded into another's kernel, named in `foldedInto`), their sum, a plain forward.
 */
export interface SummaryProfile {
	backend: string;
	runs: number;
	nodes: Readonly<Record<string, number>>;
	foldedInto: Readonly<Record<string, string>>;
	totalMs: number;
	forwardMs: number;
	/** A whole layer-by-layer forward (median), ms. */
	stepwiseMs: number;
}

/** µs-rounded ms; a node's share of the nodes' total (0–1, 4 digits). */
const msOf = (p: SummaryProfile, id: string) => Math.round((p.nodes[id] ?? 0) * 1000) / 1000;
const shareOf = (p: SummaryProfile, id: string) =>
	p.totalMs > 0 ? Math.round(((p.nodes[id] ?? 0) / p.totalMs) * 1e4) / 1e4 : 0;

/** The layers of the summary: every node but the input. */
const layers = (g: BlockGraph) => g.nodes.filter((n) => n.op !== 'input');

export function summaryJson(g: BlockGraph, profile: SummaryProfile | null = null): SummaryJson {
	const { params, buffers, macs, flops, activationBytes } = g.totals;
	const p = profile;
	return {
		spec: canonicalSpec(g.spec),
		totals: { params, buffers, macs, flops, activationBytes },
		layers: layers(g).map((n) => ({
			id: n.id,
			op: n.op,
			inShape: [...n.inShape],
			outShape: [...n.outShape],
			params: n.params,
			macs: n.macs,
			flops: n.flops,
			receptiveField: n.receptiveField,
			...(p ? { ms: msOf(p, n.id), timeShare: shareOf(p, n.id) } : {}),
			...(p?.foldedInto[n.id] ? { foldedInto: p.foldedInto[n.id] } : {})
		})),
		...(p
			? {
					profile: {
						backend: p.backend,
						runs: p.runs,
						totalMs: p.totalMs,
						forwardMs: p.forwardMs,
						stepwiseMs: p.stepwiseMs
					}
				}
			: {})
	};
}

/**
 * What the spec sets beyond torchvision's layout, in words, for the text and Markdown headers
 * (the JSON form carries the spec itself): deep stem, stem pool, shortcut D, attention with its
 * parameters, pre-activation, dropPath (recorded; it changes no count).
 */
export function variantNotes(spec: ArchSpec): string[] {
	const notes: string[] = [];
	if (spec.stem.kind === 'deep' || spec.stem.kind === 'deep_tiered')
		notes.push(`${spec.stem.kind === 'deep' ? 'deep' : 'tiered deep'} stem`);
	const pool = stemPool(spec.stem);
	if (pool !== stemPool({ kind: spec.stem.kind, width: spec.stem.width })) notes.push(`stem pool ${pool}`);
	if (spec.shortcut === 'D') notes.push('shortcut D (avg pool + 1×1 conv)');
	const a = spec.attention;
	if (a?.kind === 'se') notes.push(`SE (ratio ${a.ratio}, divisor ${a.divisor})`);
	if (a?.kind === 'eca') notes.push(`ECA (gamma ${a.gamma}, beta ${a.beta})`);
	if (blockOrder(spec) === 'pre') notes.push('pre-activation');
	if (spec.dropPath) notes.push(`dropPath ${spec.dropPath}`);
	return notes;
}

const headerNotes = (spec: ArchSpec) =>
	variantNotes(spec)
		.map((n) => ` — ${n}`)
		.join('');

/** Lines of totals shared by the text and Markdown forms. */
function totalsLines(g: BlockGraph): [string, string][] {
	const t = g.totals;
	const inputBytes = 4 * g.spec.input.channels * g.spec.input.height * g.spec.input.width;
	return [
		['Params', grouped(t.params)],
		['BN buffers (non-trainable)', grouped(t.buffers)],
		['MACs', `${grouped(t.macs)} (${si(t.macs)}MACs)`],
		['FLOPs', `${grouped(t.flops)} (${si(t.flops)}FLOPs)`],
		['Input size', byteSize(inputBytes)],
		['Activations (forward, fp32)', byteSize(t.activationBytes)],
		['Weights size (fp32)', byteSize(4 * (t.params + t.buffers))],
		['Estimated total size', byteSize(inputBytes + t.activationBytes + 4 * (t.params + t.buffers))]
	];
}

interface Row {
	label: string;
	op: string;
	shape: string;
	params: string;
	macs: string;
	rf: string;
}

/** Rows indented by stage and block, with a subtotal row for each stage and block. */
function indentedRows(g: BlockGraph): Row[] {
	const nodeRow = (n: GraphNode, depth: number): Row => ({
		label: '  '.repeat(depth) + n.id,
		op: n.op,
		shape: shapeText(n.outShape),
		params: grouped(n.params),
		macs: grouped(n.macs),
		rf: String(n.receptiveField)
	});
	const groupRow = (id: string, depth: number, shape: readonly number[], t: Totals, what: string): Row => ({
		label: '  '.repeat(depth) + id,
		op: what,
		shape: shapeText(shape),
		params: grouped(t.params),
		macs: grouped(t.macs),
		rf: ''
	});
	const rows: Row[] = [];
	for (const id of g.stem.nodeIds) rows.push(nodeRow(g.byId.get(id)!, 0));
	for (const st of g.stages) {
		rows.push(groupRow(st.id, 0, st.outShape, st.totals, `stage ×${st.blocks.length}`));
		for (const bl of st.blocks) {
			rows.push(groupRow(bl.id, 1, bl.outShape, bl.totals, `${g.spec.block}`));
			for (const id of bl.nodeIds) rows.push(nodeRow(g.byId.get(id)!, 2));
		}
	}
	for (const id of g.head.nodeIds) rows.push(nodeRow(g.byId.get(id)!, 0));
	return rows;
}

export function summaryTable(g: BlockGraph): string {
	const header: Row = {
		label: 'Layer',
		op: 'Op',
		shape: 'Output shape',
		params: 'Params',
		macs: 'MACs',
		rf: 'RF'
	};
	const rows = indentedRows(g);
	const all = [header, ...rows];
	const w = (k: keyof Row) => Math.max(...all.map((r) => r[k].length));
	const widths = {
		label: w('label'),
		op: w('op'),
		shape: w('shape'),
		params: w('params'),
		macs: w('macs'),
		rf: w('rf')
	};
	const line = (r: Row) =>
		[
			r.label.padEnd(widths.label),
			r.op.padEnd(widths.op),
			r.shape.padEnd(widths.shape),
			r.params.padStart(widths.params),
			r.macs.padStart(widths.macs),
			r.rf.padStart(widths.rf)
		].join('  ');
	const rule = '─'.repeat(line(header).length);
	const { channels, height, width } = g.spec.input;
	const totals = totalsLines(g);
	const tw = Math.max(...totals.map(([k]) => k.length));
	return [
		`${g.spec.name} — input ${channels}×${height}×${width}${headerNotes(g.spec)}`,
		rule,
		line(header),
		rule,
		...rows.map(line),
		rule,
		...totals.map(([k, v]) => `${(k + ':').padEnd(tw + 1)} ${v}`),
		rule
	].join('\n');
}

function summaryMarkdown(g: BlockGraph, p: SummaryProfile | null): string {
	const esc = (s: string) => s.replace(/\|/g, '\\|');
	const out = [
		`### ${esc(g.spec.name)}`,
		'',
		...(variantNotes(g.spec).length > 0 ? [esc(variantNotes(g.spec).join(' · ')), ''] : []),
		`| Layer | Op | Output shape | Params | MACs | FLOPs | Receptive field |${p ? ' ms | % of time |' : ''}`,
		`|---|---|---|---:|---:|---:|---:|${p ? '---:|---:|' : ''}`
	];
	const timeCells = (id: string) => {
		if (!p) return '';
		const into = p.foldedInto[id];
		return into
			? ` in \`${into}\` | – |`
			: ` ${msOf(p, id).toFixed(3)} | ${(shareOf(p, id) * 100).toFixed(2)} |`;
	};
	for (const n of layers(g))
		out.push(
			`| \`${n.id}\` | ${n.op} | ${shapeText(n.outShape)} | ${grouped(n.params)} | ${grouped(n.macs)} | ${grouped(n.flops)} | ${n.receptiveField} |${timeCells(n.id)}`
		);
	out.push('', '| Total | |', '|---|---:|');
	for (const [k, v] of totalsLines(g)) out.push(`| ${k} | ${v} |`);
	if (p)
		out.push(
			`| Measured time (${esc(p.backend)}, median of ${p.runs} runs, per node) | ${p.totalMs.toFixed(1)} ms |`,
			`| Plain forward (median, same runs) | ${p.forwardMs.toFixed(1)} ms |`
		);
	return out.join('\n');
}

export const CSV_COLUMNS = [
	'id',
	'op',
	'stage',
	'block',
	'in_c',
	'in_h',
	'in_w',
	'out_c',
	'out_h',
	'out_w',
	'params',
	'buffers',
	'macs',
	'flops',
	'activation_bytes',
	'receptive_field'
] as const;

/** C, H, W cells; a vector ([classes], [C·H·W]) fills C and leaves H and W empty. */
const chw = (s: Shape): (number | '')[] => [s[0], s[1] ?? '', s[2] ?? ''];

/** The CSV's extra columns when a profile is measured. */
export const CSV_PROFILE_COLUMNS = ['ms', 'time_share', 'folded_into'] as const;

function summaryCsv(g: BlockGraph, p: SummaryProfile | null): string {
	const rows = layers(g).map((n) =>
		[
			n.id,
			n.op,
			n.stage === null ? '' : n.stage,
			n.block ?? '',
			...chw(n.inShape),
			...chw(n.outShape),
			n.params,
			n.buffers,
			n.macs,
			n.flops,
			n.activationBytes,
			n.receptiveField,
			...(p ? [msOf(p, n.id), shareOf(p, n.id), p.foldedInto[n.id] ?? ''] : [])
		].join(',')
	);
	const header = p ? [...CSV_COLUMNS, ...CSV_PROFILE_COLUMNS] : CSV_COLUMNS;
	return [header.join(','), ...rows].join('\n');
}

/** The summary in `format`; with `profile`, Markdown, CSV and JSON carry the measured times. */
export function formatSummary(
	g: BlockGraph,
	format: SummaryFormat,
	profile: SummaryProfile | null = null
): string {
	switch (format) {
		case 'json':
			return JSON.stringify(summaryJson(g, profile), null, 2);
		case 'table':
			return summaryTable(g);
		case 'markdown':
			return summaryMarkdown(g, profile);
		case 'csv':
			return summaryCsv(g, profile);
	}
}
