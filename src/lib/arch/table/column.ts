/**
 * One architecture column of a layer table → an ArchSpec, in phases: the elements of each row,
 * the parts they make (stem, stages, head), the stem's kind, the stages' blocks, their widths, the
 * spec, and the checks of what the table states against what the graph computes.
 */
import { buildGraph, validateSpec, type BlockGraph } from '../graph';
import { bottleneckInnerWidth, type ArchSpec, type BlockKind, type StrideOn } from '../spec';
import { ElementReader, readQuantity, type ConvEl, type El, type GroupEl, type TokError } from './elements';
import type { Cell } from './grid';
import type { Tok } from './lex';
import {
	defaultName,
	sci,
	specDepth,
	type Locator,
	type LRow,
	type TableColumn,
	type TableDefaults,
	type TableNote,
	type TableOptions,
	type TableParseError
} from './result';

/** What every phase of one column reads and writes: where it is, and what it has found. */
interface Ctx {
	k: number;
	header: string;
	headerCell: Cell | undefined;
	rows: LRow[];
	loc: Locator;
	options: TableOptions;
	errors: TableParseError[];
	warnings: TableNote[];
	notes: TableNote[];
	/** Where a problem with the whole column is placed: its header cell, else the first row. */
	anchor: { start: number; end: number };
	errAt(t: Tok, message: string, to?: Tok): void;
	tokErr(e: TokError): void;
}

interface RowEls {
	row: LRow;
	els: El[];
}

type PoolEl = Extract<El, { kind: 'pool' }>;

/** The column's rows sorted into the network's parts. */
interface Parts {
	stem: ConvEl;
	stemRow: LRow;
	pool: { el: PoolEl; row: LRow } | null;
	stages: { row: LRow; groups: GroupEl[] }[];
	avg: El | null;
	flatten: El | null;
	fc: Extract<El, { kind: 'fc' }> | null;
}

interface Stem {
	kind: 'imagenet' | 'cifar';
	stride: number;
}

/** One stage as the table writes it: its first bracket, block count, channels and stride. */
interface Shaped {
	row: LRow;
	first: GroupEl;
	blocks: number;
	c: number[];
	stride?: number;
	strideAt?: Tok;
}

interface Stages {
	block: BlockKind;
	groups: number;
	groupsFrom: GroupEl | null;
	shaped: Shaped[];
}

interface Widths {
	expansion: number;
	widthPerGroup: number;
	widths: number[];
}

const label = (r: LRow) => r.name || (r.size ? `the ${r.size.h}×${r.size.w} row` : 'this row');

export function deriveColumn(
	k: number,
	header: string,
	headerCell: Cell | undefined,
	rows: LRow[],
	loc: Locator,
	options: TableOptions
): TableColumn {
	const errors: TableParseError[] = [];
	const tokErr = (e: TokError) => errors.push(loc.error(e.at.start, (e.to ?? e.at).end, e.message));
	const ctx: Ctx = {
		k,
		header,
		headerCell,
		rows,
		loc,
		options,
		errors,
		warnings: [],
		notes: [],
		anchor: headerCell ?? { start: rows[0]?.start ?? 0, end: rows[0]?.start ?? 0 },
		tokErr,
		errAt: (t, message, to) => tokErr({ at: t, to, message })
	};
	const column = (spec: ArchSpec | null, defaults: TableDefaults | null): TableColumn => ({
		header,
		index: k + 1,
		spec,
		warnings: ctx.warnings,
		notes: ctx.notes,
		errors,
		defaults
	});

	const rowEls = readElements(ctx);
	const parts = rowEls && findParts(ctx, rowEls);
	const stem = parts && readStem(ctx, parts);
	const stages = parts && stem && readStages(ctx, parts);
	const widths =
		stages && (stages.block === 'basic' ? basicWidths(ctx, stages) : bottleneckWidths(ctx, stages));
	if (!rowEls || !parts || !stem || !stages || !widths) return column(null, null);
	const { spec, defaults } = makeSpec(ctx, parts, stem, stages, widths);
	if (!placeSpecErrors(ctx, spec, parts, stages)) return column(null, defaults);
	const graph = buildGraph(spec);
	checkAgainstTable(ctx, graph, rowEls, parts, stem, stages);
	checkQuantities(ctx, graph);
	if (defaults.inputFrom === 'table' && parts.stemRow.sizeCell)
		ctx.notes.push(
			loc.note(
				'info',
				parts.stemRow.sizeCell.start,
				parts.stemRow.sizeCell.end,
				`input ${defaults.input.height}×${defaults.input.width}, from conv1's output size ${parts.stemRow.size!.h}×${parts.stemRow.size!.w}`
			)
		);
	return column(spec, defaults);
}

/** The elements of each content row; stem, pool and head written only in the first column count for all. */
function readElements(ctx: Ctx): RowEls[] | null {
	const rowEls: RowEls[] = [];
	for (const row of ctx.rows) {
		if (row.kind !== 'content') continue;
		const { elements, error } = new ElementReader(row.arch[ctx.k]).read();
		if (error) ctx.tokErr(error);
		if (ctx.k > 0 && row.arch[0] !== row.arch[ctx.k]) {
			const first = new ElementReader(row.arch[0]).read().elements;
			for (const kind of ['pool', 'avgpool', 'fc'] as const)
				if (!elements.some((e) => e.kind === kind)) {
					const inherited = first.filter((e) => e.kind === kind);
					if (kind === 'pool') elements.unshift(...inherited);
					else elements.push(...inherited);
				}
		}
		rowEls.push({ row, els: elements });
	}
	return ctx.errors.length ? null : rowEls;
}

/** Stem convolution, max pool, the stages' brackets and the head, in the order a network has them. */
function findParts(ctx: Ctx, rowEls: RowEls[]): Parts | null {
	const { errAt } = ctx;
	let stem: { el: ConvEl; row: LRow } | null = null;
	let pool: Parts['pool'] = null;
	const stages: Parts['stages'] = [];
	let avg: El | null = null;
	let flatten: El | null = null;
	let fc: Parts['fc'] = null;
	for (const { row, els } of rowEls) {
		const groups: GroupEl[] = [];
		for (const el of els) {
			if (el.kind === 'conv') {
				if (stem || stages.length || groups.length)
					errAt(
						el.at,
						stem
							? 'a second convolution outside brackets: the stem has one (conv1); write a stage as [3×3, 64; 3×3, 64] × n'
							: 'a convolution outside brackets after the stages: write a stage as [3×3, 64; 3×3, 64] × n',
						el.cAt
					);
				else stem = { el, row };
			} else if (el.kind === 'pool') {
				if (pool) errAt(el.at, 'a second max pool: the stem has one');
				else if (!stem) errAt(el.at, 'a max pool before the stem convolution (conv1)');
				else if (stages.length || groups.length)
					errAt(el.at, 'a max pool after a stage: only the stem has one');
				else pool = { el, row };
			} else if (el.kind === 'group') groups.push(el);
			else if (el.kind === 'avgpool') avg = el;
			else if (el.kind === 'flatten') flatten = el;
			else if (el.kind === 'fc') {
				if (fc) errAt(el.at, 'a second fc layer: the head has one');
				fc = el;
			}
		}
		if (groups.length) stages.push({ row, groups });
	}
	if (ctx.errors.length) return null;
	const { anchor, header, loc } = ctx;
	if (!stem) {
		ctx.errors.push(
			loc.error(anchor.start, anchor.end, `${header}: no stem convolution (conv1, e.g. 7×7, 64, stride 2)`)
		);
		return null;
	}
	if (stages.length === 0) {
		ctx.errors.push(
			loc.error(anchor.start, anchor.end, `${header}: no stages (rows like [3×3, 64; 3×3, 64] × 2)`)
		);
		return null;
	}
	const s: { el: ConvEl; row: LRow } = stem;
	return { stem: s.el, stemRow: s.row, pool, stages, avg, flatten, fc };
}

/** The stem: ImageNet (7×7/2 + 3×3 max pool/2) or CIFAR (3×3/1, no pool). */
function readStem(ctx: Ctx, { stem, pool }: Parts): Stem | null {
	const { errAt } = ctx;
	let kind: Stem['kind'];
	const stride = stem.stride ?? (stem.k === 7 ? 2 : 1);
	if (stem.groups !== undefined && stem.groups !== 1)
		errAt(stem.groupsAt!, 'the stem convolution has no groups');
	if (stem.k === 7 && stride === 2) {
		kind = 'imagenet';
		if (!pool)
			errAt(stem.at, 'a 7×7, stride 2 stem needs its 3×3 max pool, stride 2 (the ImageNet stem)', stem.cAt);
		else if (
			(pool.el.k !== undefined && pool.el.k !== 3) ||
			(pool.el.stride !== undefined && pool.el.stride !== 2)
		)
			errAt(
				pool.el.at,
				`the stem's max pool is 3×3, stride 2; got ${pool.el.k ?? 3}×${pool.el.k ?? 3}, stride ${pool.el.stride ?? 2}`
			);
	} else if (stem.k === 3 && stride === 1) {
		kind = 'cifar';
		if (pool) errAt(pool.el.at, 'the CIFAR stem (3×3, stride 1) has no max pool');
	} else {
		kind = 'imagenet';
		errAt(
			stem.at,
			`the stem must be 7×7, stride 2 with a 3×3 max pool (ImageNet) or 3×3, stride 1 (CIFAR); got ${stem.k}×${stem.k}, stride ${stride}`,
			stem.cAt
		);
	}
	return ctx.errors.length ? null : { kind, stride };
}

/** Each stage's block kind, channels, block count, stride and groups; one block kind for all. */
function readStages(ctx: Ctx, parts: Parts): Stages | null {
	const { errAt } = ctx;
	let block: BlockKind | null = null;
	let blockFrom: LRow | null = null;
	const cardinality = { groups: 1, from: null as GroupEl | null };
	const shaped: Shaped[] = [];
	for (const st of parts.stages) {
		const stage = readStage(ctx, st, cardinality);
		if (!stage) return null;
		if (block && stage.kind !== block) {
			errAt(
				st.groups[0].at,
				`${label(st.row)} has ${stage.kind} blocks but ${label(blockFrom!)} has ${block} blocks: an ArchSpec has one block kind`
			);
			return null;
		}
		block = stage.kind;
		blockFrom ??= st.row;
		shaped.push(stage.shaped);
	}
	return { block: block!, groups: cardinality.groups, groupsFrom: cardinality.from, shaped };
}

/** One stage (a row and its continuation rows): its brackets must agree on kind and channels. */
function readStage(
	ctx: Ctx,
	st: Parts['stages'][number],
	cardinality: { groups: number; from: GroupEl | null }
): { kind: BlockKind; shaped: Shaped } | null {
	const { errAt } = ctx;
	const kindOf = (g: GroupEl): BlockKind | null => {
		const ks = g.convs.map((c) => c.k).join(',');
		return ks === '3,3' ? 'basic' : ks === '1,3,1' ? 'bottleneck' : null;
	};
	let kind: BlockKind | null = null;
	let c: number[] = [];
	let blocks = 0;
	let stride: number | undefined;
	let strideAt: Tok | undefined;
	for (const g of st.groups) {
		const gk = kindOf(g);
		if (!gk) {
			errAt(
				g.at,
				`a block is two 3×3 convolutions (basic) or 1×1, 3×3, 1×1 (bottleneck); got ${g.convs.map((x) => `${x.k}×${x.k}`).join(', ')}`
			);
			return null;
		}
		if (kind && gk !== kind) {
			errAt(g.at, `the rows of ${label(st.row)} disagree: ${kind} blocks above, ${gk} blocks here`);
			return null;
		}
		const gc = g.convs.map((x) => x.c);
		if (kind && gc.join() !== c.join()) {
			errAt(
				g.at,
				`the rows of ${label(st.row)} disagree on the channels: ${c.join('/')} above, ${gc.join('/')} here`
			);
			return null;
		}
		kind = gk;
		c = gc;
		blocks += g.n;
		g.convs.forEach((x, i) => {
			if (x.groups !== undefined) {
				if (gk === 'basic' || i !== 1) errAt(x.groupsAt!, `groups belong on a bottleneck's 3×3 convolution`);
				else if (cardinality.from && x.groups !== cardinality.groups)
					errAt(
						x.groupsAt!,
						`groups differ between stages (${cardinality.groups} before, ${x.groups} here); an ArchSpec has one cardinality`
					);
				else {
					cardinality.groups = x.groups;
					cardinality.from = g;
				}
			}
			if (x.stride !== undefined) {
				if (stride !== undefined && x.stride !== stride)
					errAt(x.strideAt!, 'two different strides in one stage');
				stride = x.stride;
				strideAt = x.strideAt;
			}
		});
	}
	if (ctx.errors.length || !kind) return null;
	return { kind, shaped: { row: st.row, first: st.groups[0], blocks, c, stride, strideAt } };
}

/** Basic blocks: the stage widths are the first 3×3's channels; one expansion for every stage. */
function basicWidths(ctx: Ctx, { shaped }: Stages): Widths | null {
	const e0 = shaped[0].c[1] / shaped[0].c[0];
	for (const s of shaped) {
		const e = s.c[1] / s.c[0];
		if (!Number.isInteger(e) || e < 1) {
			ctx.errAt(
				s.first.convs[1].cAt,
				`a basic block's second convolution (${s.c[1]}) must be a multiple of its first (${s.c[0]})`
			);
			return null;
		}
		if (e !== e0) {
			ctx.errAt(
				s.first.convs[1].cAt,
				`expansion ${e} here but ${e0} in ${label(shaped[0].row)}: an ArchSpec has one expansion`
			);
			return null;
		}
	}
	return { expansion: e0, widthPerGroup: 64, widths: shaped.map((s) => s.c[0]) };
}

/** Bottlenecks: expansion, widths and widthPerGroup, torchvision's convention where it fits. */
function bottleneckWidths(ctx: Ctx, { shaped, groups, groupsFrom }: Stages): Widths | null {
	for (const s of shaped) {
		if (s.c[0] !== s.c[1]) {
			ctx.errAt(
				s.first.convs[1].cAt,
				`a bottleneck's first 1×1 and its 3×3 have the same width (torchvision's Bottleneck); got ${s.c[0]} and ${s.c[1]}`
			);
			return null;
		}
		if (groups >= 1 && s.c[1] % groups !== 0) {
			ctx.errAt(
				groupsFrom!.convs[1].groupsAt!,
				`${groups} groups do not divide the 3×3's ${s.c[1]} channels`
			);
			return null;
		}
	}
	// widthPerGroup p must give floor(w × p / 64) × groups = inner in every stage: a range per stage
	const fits = (e: number): Widths | null => {
		const ws: number[] = [];
		let lo = 1;
		let hi = Infinity;
		for (const s of shaped) {
			const [inner, , out] = s.c;
			const w = out / e;
			if (!Number.isInteger(w) || w < 1) return null;
			const q = inner / groups;
			lo = Math.max(lo, Math.ceil((64 * q) / w));
			hi = Math.min(hi, Math.ceil((64 * (q + 1)) / w) - 1);
			ws.push(w);
		}
		if (lo > hi) return null;
		const wpg = lo <= 64 && 64 <= hi ? 64 : lo;
		if (!shaped.every((s, i) => bottleneckInnerWidth({ groups, widthPerGroup: wpg }, ws[i]) === s.c[0]))
			return null;
		return { expansion: e, widths: ws, widthPerGroup: wpg };
	};
	const ratio = shaped[0].c[2] / shaped[0].c[0];
	const candidates = [
		...(shaped.every((s) => 4 * s.c[0] >= s.c[2]) ? [4] : []),
		...(Number.isInteger(ratio) ? [ratio] : []),
		...Array.from({ length: 64 }, (_, i) => i + 1)
	];
	for (const e of candidates) {
		if (e < 1 || e > 64) continue;
		const f = fits(e);
		if (f) return f;
	}
	ctx.errAt(
		shaped[0].first.at,
		'these bottlenecks cannot be written as an ArchSpec: every stage needs the same expansion (last 1×1 ÷ width) and the same widthPerGroup'
	);
	return null;
}

/** The spec, with what the table could not say taken from the options or the defaults. */
function makeSpec(
	ctx: Ctx,
	parts: Parts,
	stem: Stem,
	stages: Stages,
	widths: Widths
): { spec: ArchSpec; defaults: TableDefaults } {
	const { options, loc, anchor } = ctx;
	const { fc, stemRow } = parts;
	const classes = fc ? fc.classes : stem.kind === 'imagenet' ? 1000 : 10;
	if (!fc)
		ctx.notes.push(loc.note('info', anchor.start, anchor.end, `no fc row: ${classes} classes assumed`));

	// Input size: option, conv1's output size, or the stem's usual input.
	const stemScale = stem.kind === 'imagenet' ? 2 : 1;
	let input = stem.kind === 'imagenet' ? { height: 224, width: 224 } : { height: 32, width: 32 };
	let inputFrom: TableDefaults['inputFrom'] = 'default';
	if (options.input) {
		input = { ...options.input };
		inputFrom = 'option';
	} else if (stemRow.size && !parts.stages.some((st) => st.row === stemRow)) {
		input = { height: stemRow.size.h * stemScale, width: stemRow.size.w * stemScale };
		inputFrom = 'table';
	}
	const shortcut = options.shortcut ?? (stem.kind === 'cifar' ? 'A' : 'B');
	const strideOn = options.strideOn ?? '3x3';
	const defaults: TableDefaults = {
		shortcut,
		shortcutFrom: options.shortcut ? 'option' : 'default',
		strideOn,
		strideOnFrom: options.strideOn ? 'option' : 'default',
		input,
		inputFrom
	};
	const basic = stages.block === 'basic';
	const specNoName = {
		input: { channels: options.channels ?? 3, height: input.height, width: input.width },
		stem: { kind: stem.kind, width: parts.stem.c },
		block: stages.block,
		expansion: widths.expansion,
		groups: basic ? 1 : stages.groups,
		widthPerGroup: basic ? 64 : widths.widthPerGroup,
		stages: stages.shaped.map((s, i) => ({
			blocks: s.blocks,
			width: widths.widths[i],
			stride: s.stride ?? (i === 0 ? 1 : 2)
		})),
		shortcut,
		strideOn,
		residual: true,
		convBias: false,
		head: { pool: parts.flatten && !parts.avg ? ('flatten' as const) : ('avg' as const), classes }
	};
	return { spec: { name: options.name ?? defaultName(specNoName), ...specNoName }, defaults };
}

/** Whatever the spec rules find, placed at the cell that said it; true when there is nothing. */
function placeSpecErrors(ctx: Ctx, spec: ArchSpec, parts: Parts, { shaped }: Stages): boolean {
	const specErrors = validateSpec(spec);
	for (const e of specErrors) {
		const m = /^stages\[(\d+)\](?:\.(\w+))?/.exec(e.path);
		let at: Tok | undefined;
		if (m) {
			const s = shaped[Number(m[1])];
			at =
				m[2] === 'blocks'
					? s?.first.nAt
					: m[2] === 'stride'
						? (s?.strideAt ?? s?.first.at)
						: s?.first.convs[0].cAt;
		} else if (e.path.startsWith('stem') || e.path.startsWith('input')) at = parts.stem.cAt;
		else if (e.path.startsWith('head')) at = parts.fc?.at;
		else at = shaped[0].first.at;
		const where = at ?? ctx.anchor;
		ctx.errors.push(ctx.loc.error(where.start, where.end, e.message));
	}
	return specErrors.length === 0;
}

/** What the table states (output sizes, the header's depth) against what the graph computes. */
function checkAgainstTable(
	ctx: Ctx,
	graph: BlockGraph,
	rowEls: RowEls[],
	parts: Parts,
	stem: Stem,
	{ shaped }: Stages
): void {
	const { loc, warnings } = ctx;
	const { spec } = graph;
	const hw = (s: readonly number[]) => `${s[1]}×${s[2]}`;
	const checkSize = (row: LRow, shape: readonly number[], what: string) => {
		if (!row.size || !row.sizeCell) return;
		if (row.size.h !== shape[1] || row.size.w !== shape[2])
			warnings.push(
				loc.note(
					'warning',
					row.sizeCell.start,
					row.sizeCell.end,
					`${label(row)}: the output-size column says ${row.size.h}×${row.size.w}; computed ${hw(shape)} (${what})`
				)
			);
	};
	const { stemRow, pool } = parts;
	const inStage = (row: LRow) => parts.stages.some((s) => s.row === row);
	const k = parts.stem.k;
	// a row holding the stem conv (and maybe the pool continued below it) states conv1's output
	if (!inStage(stemRow))
		checkSize(
			stemRow,
			graph.byId.get('conv1')!.outShape,
			`${k}×${k} stride ${stem.stride} on ${spec.input.height}×${spec.input.width}`
		);
	if (pool && pool.row !== stemRow && !inStage(pool.row))
		checkSize(pool.row, graph.byId.get('maxpool')!.outShape, 'after the max pool');
	shaped.forEach((s, i) => {
		const st = spec.stages[i];
		const why =
			s.stride !== undefined
				? ''
				: i === 0
					? ', the default for the first stage'
					: ', the default after the first stage; write “stride 1” in the block to change it';
		checkSize(s.row, graph.stages[i].outShape, `stride ${st.stride}${why}`);
	});
	const headRow = rowEls.find(({ els }) => els.some((e) => e.kind === 'fc' || e.kind === 'avgpool'))?.row;
	if (headRow && spec.head.pool === 'avg')
		checkSize(headRow, graph.byId.get('avgpool')!.outShape, 'global average pool');

	const headerDepth = /(\d+)\s*-?\s*layers?/i.exec(ctx.header);
	if (headerDepth && ctx.headerCell && Number(headerDepth[1]) !== specDepth(spec))
		warnings.push(
			loc.note(
				'warning',
				ctx.headerCell.start,
				ctx.headerCell.end,
				`the header says ${headerDepth[1]} layers; the column has ${specDepth(spec)} weighted layers (stem conv, ${spec.block === 'basic' ? 2 : 3} per block, fc)`
			)
		);
}

/** The FLOPs and params rows against the graph's totals (the paper's FLOPs are multiply-adds). */
function checkQuantities(ctx: Ctx, graph: BlockGraph): void {
	const { loc, warnings, notes } = ctx;
	const { spec } = graph;
	for (const row of ctx.rows) {
		if (row.kind === 'content') continue;
		const toks = row.arch[ctx.k].filter((t) => t.kind !== 'break');
		if (toks.length === 0) continue;
		const cellStart = toks[0].start;
		const cellEnd = toks[toks.length - 1].end;
		const stated = readQuantity(toks);
		if (stated === null) {
			warnings.push(
				loc.note(
					'warning',
					cellStart,
					cellEnd,
					`cannot read the ${row.kind === 'flops' ? 'FLOPs' : 'params'} number here`
				)
			);
			continue;
		}
		if (row.kind === 'flops') {
			const macs = graph.totals.macs;
			const ok = Math.abs(stated - macs) <= 0.05 * macs;
			let message = `FLOPs row says ${sci(stated)}; computed ${(macs / 1e9).toFixed(2)} GMACs`;
			if (spec.block === 'bottleneck') {
				const other: StrideOn = spec.strideOn === '3x3' ? '1x1' : '3x3';
				const alt = buildGraph({ ...spec, strideOn: other }).totals.macs;
				const name = (s: StrideOn) => (s === '3x3' ? 'the 3×3 (torchvision)' : 'the 1×1 (the paper)');
				message = `FLOPs row says ${sci(stated)}; computed ${(macs / 1e9).toFixed(2)} GMACs with the stride on ${name(spec.strideOn)}, ${(alt / 1e9).toFixed(2)} with the stride on ${name(other)}`;
			}
			if (ok)
				notes.push(
					loc.note('info', cellStart, cellEnd, `${message} (within 5%: the paper's FLOPs are multiply-adds)`)
				);
			else warnings.push(loc.note('warning', cellStart, cellEnd, message));
		} else {
			const params = graph.totals.params;
			const ok = Math.abs(stated - params) <= 0.01 * params;
			const message = `params row says ${sci(stated)}; computed ${params.toLocaleString('en-US')}`;
			(ok ? notes : warnings).push(loc.note(ok ? 'info' : 'warning', cellStart, cellEnd, message));
		}
	}
}
