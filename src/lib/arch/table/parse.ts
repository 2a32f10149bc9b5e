/**
 * A paper-style layer table (He et al. 2015, Table 1, or a rendering of it) → one ArchSpec per
 * architecture column. Never throws: problems come back as TableParseError values with a line and
 * column; disagreements between what the table states and what we compute come back as warnings.
 */
import { buildGraph, validateSpec } from '../graph';
import {
	bottleneckInnerWidth,
	type ArchSpec,
	type BlockKind,
	type ShortcutOption,
	type StrideOn
} from '../spec';
import { ElementReader, readQuantity, type ConvEl, type El, type GroupEl, type TokError } from './elements';
import { detectForm, toGrid, type Cell, type Grid, type PhysRow, type TableForm } from './grid';
import { lex, type Tok } from './lex';

/** A problem with the table, placed at a 1-based line and column (columns count characters). */
export class TableParseError extends Error {
	readonly line: number;
	readonly column: number;
	/** Offset (UTF-16 index) into the text and length of the range the problem is about. */
	readonly offset: number;
	readonly length: number;
	constructor(line: number, column: number, message: string, offset = 0, length = 0) {
		super(message);
		this.name = 'TableParseError';
		this.line = line;
		this.column = column;
		this.offset = offset;
		this.length = length;
	}
	toString(): string {
		return `${this.line}:${this.column}: ${this.message}`;
	}
}

/** Something the table states that disagrees with what we compute (warning), or how a value was read (info). */
export interface TableNote {
	level: 'warning' | 'info';
	line: number;
	column: number;
	offset: number;
	length: number;
	message: string;
}

export interface TableOptions {
	/** The form; detected when left out. */
	form?: TableForm;
	/** Shortcut option; default B for the ImageNet stem, A for the CIFAR stem (as in the paper). */
	shortcut?: ShortcutOption;
	/** Where a bottleneck's stride sits; default the 3×3 (torchvision). */
	strideOn?: StrideOn;
	/** Input size; default: from conv1's output size, else 224×224 (ImageNet stem) or 32×32 (CIFAR stem). */
	input?: { height: number; width: number };
	/** Input channels; default 3 (a table does not state them). */
	channels?: number;
	/** The spec's name; default from the depth: resnet50, wide_resnet50_2, resnext50_32x4d, resnet56. */
	name?: string;
}

/** What the table could not say and where the value came from, to show beside the spec. */
export interface TableDefaults {
	shortcut: ShortcutOption;
	shortcutFrom: 'option' | 'default';
	strideOn: StrideOn;
	strideOnFrom: 'option' | 'default';
	input: { height: number; width: number };
	inputFrom: 'option' | 'table' | 'default';
}

export interface TableColumn {
	/** The column's header text ("50-layer"), or "column N". */
	header: string;
	/** 1-based index among the architecture columns. */
	index: number;
	/** The architecture; null when the column has errors. */
	spec: ArchSpec | null;
	warnings: TableNote[];
	notes: TableNote[];
	errors: TableParseError[];
	defaults: TableDefaults | null;
}

export interface TableParseResult {
	form: TableForm | null;
	columns: TableColumn[];
	/** Every error of every column (deduplicated), in text order. */
	errors: TableParseError[];
}

// ---------------------------------------------------------------------------------------------

class Locator {
	private starts: number[] = [0];
	constructor(private readonly text: string) {
		for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.starts.push(i + 1);
	}
	at(offset: number): { line: number; column: number } {
		let lo = 0;
		let hi = this.starts.length - 1;
		while (lo < hi) {
			const mid = (lo + hi + 1) >> 1;
			if (this.starts[mid] <= offset) lo = mid;
			else hi = mid - 1;
		}
		const lineStart = this.starts[lo];
		// columns count code points, not UTF-16 units
		const column = [...this.text.slice(lineStart, Math.min(offset, this.text.length))].length + 1;
		return { line: lo + 1, column };
	}
	error(start: number, end: number, message: string): TableParseError {
		const { line, column } = this.at(start);
		return new TableParseError(line, column, message, start, Math.max(0, end - start));
	}
	note(level: TableNote['level'], start: number, end: number, message: string): TableNote {
		return { level, ...this.at(start), offset: start, length: Math.max(0, end - start), message };
	}
}

interface LRow {
	/** Name cell text ("conv2_x"), cleaned. */
	name: string;
	nameCell: Cell | null;
	sizeCell: Cell | null;
	size: { h: number; w: number } | null;
	/** Per architecture column: the tokens of its cells (continuation rows joined). */
	arch: Tok[][];
	start: number;
	kind: 'content' | 'flops' | 'params';
}

const clean = (s: string) =>
	s
		.replace(/\\_/g, '_')
		.replace(/\\[a-zA-Z]+/g, ' ')
		.replace(/[{}$*`]/g, '')
		.replace(/<[^<>]{0,60}>/g, ' ')
		.replace(/\s+/g, ' ')
		.trim();

/** More columns than any layer table has: a sign that the text is not one. */
const MAX_COLUMNS = 64;

const SEP: Tok = { kind: 'break', text: '', value: NaN, start: 0, end: 0 };

function sizeOf(toks: Tok[]): { h: number; w: number } | null {
	const t = toks.filter((x) => x.kind !== 'break');
	if (t.length === 3 && t[0].kind === 'num' && t[1].kind === 'times' && t[2].kind === 'num')
		return { h: t[0].value, w: t[2].value };
	return null;
}

const SUP = '⁰¹²³⁴⁵⁶⁷⁸⁹';
/** 3.8e9 → "3.8×10⁹" (up to 3 significant digits). */
export function sci(v: number): string {
	if (!(v > 0) || !Number.isFinite(v)) return String(v);
	const e = v >= 1e9 && v < 1e12 ? 9 : Math.floor(Math.log10(v));
	const m = Number((v / 10 ** e).toPrecision(3));
	const exp = String(e)
		.split('')
		.map((d) => (d === '-' ? '⁻' : SUP[Number(d)]))
		.join('');
	return `${m}×10${exp}`;
}

/** Depth as the paper counts it: weighted layers on the main path (stem conv, block convs, fc). */
export function specDepth(spec: Pick<ArchSpec, 'block' | 'stages'>): number {
	return 2 + spec.stages.reduce((n, s) => n + s.blocks * (spec.block === 'basic' ? 2 : 3), 0);
}

/** torchvision's name for a spec: resnet50, wide_resnet50_2, resnext50_32x4d. */
export function defaultName(spec: Pick<ArchSpec, 'block' | 'stages' | 'groups' | 'widthPerGroup'>): string {
	const d = specDepth(spec);
	if (spec.groups > 1) return `resnext${d}_${spec.groups}x${spec.widthPerGroup}d`;
	if (spec.widthPerGroup !== 64 && spec.widthPerGroup % 64 === 0)
		return `wide_resnet${d}_${spec.widthPerGroup / 64}`;
	return `resnet${d}`;
}

export function parseTable(text: string, options: TableOptions = {}): TableParseResult {
	try {
		return parseUnsafe(text, options);
	} catch (e) {
		// Never thrown for any input the tests could find; kept so that a bug cannot crash a caller.
		return {
			form: null,
			columns: [],
			errors: [
				new TableParseError(1, 1, `internal error while reading the table: ${(e as Error)?.message ?? e}`)
			]
		};
	}
}

function parseUnsafe(text: string, options: TableOptions): TableParseResult {
	const loc = new Locator(text);
	if (text.trim() === '') return { form: null, columns: [], errors: [] };
	const form = options.form ?? detectForm(text);
	const grid: Grid = toGrid(text, form);
	const src = grid.source ?? text;
	const cellText = (c: Cell | undefined) => (c ? src.slice(c.start, c.end) : '');
	const cellToks = (c: Cell | undefined) => (c && c.end > c.start ? lex(src, c.start, c.end) : []);

	if (grid.rows.length === 0) return { form, columns: [], errors: [loc.error(0, 0, 'no table rows found')] };

	// Header row and the roles of the columns.
	let headerRow = grid.rows.findIndex((r) => r.header);
	if (headerRow < 0 && form !== 'plain') {
		const first = grid.rows[0];
		const toks = first.cells.map(cellToks);
		// content: a bracket, or a convolution (3×3, 64)
		const hasContent = toks.some((t) =>
			t.some(
				(x, i) =>
					x.kind === 'open' ||
					(x.kind === 'num' &&
						t[i + 1]?.kind === 'times' &&
						t[i + 2]?.kind === 'num' &&
						(t[i + 3]?.kind === 'comma' || t[i + 3]?.kind === 'num'))
			)
		);
		if (!hasContent && !/flops|param/i.test(cellText(first.cells[0]))) headerRow = 0;
	}
	// the header says how many columns there are; without one, the widest row
	const width =
		headerRow >= 0 ? grid.rows[headerRow].cells.length : Math.max(...grid.rows.map((r) => r.cells.length));
	let nameCol = -1;
	let sizeCol = -1;
	if (form === 'plain') {
		nameCol = 0;
		sizeCol = 1;
	} else {
		const heads = headerRow >= 0 ? grid.rows[headerRow].cells.map((c) => clean(cellText(c))) : [];
		heads.forEach((h, i) => {
			if (nameCol < 0 && /layer\s*name|^name$|^layers?$|^stage|^block|^module/i.test(h)) nameCol = i;
			else if (sizeCol < 0 && /output|size|resolution/i.test(h)) sizeCol = i;
		});
		const body = grid.rows.filter((_, i) => i !== headerRow);
		const looksLikeSize = (col: number) =>
			body.some((r) => cellText(r.cells[col]).trim() !== '') &&
			body.every((r) => {
				const t = cellToks(r.cells[col]);
				return t.length === 0 || sizeOf(t) !== null;
			});
		const looksLikeName = (col: number) =>
			body.every((r) => {
				const t = cellToks(r.cells[col]);
				return !t.some((x) => x.kind === 'times' || x.kind === 'open');
			}) && body.some((r) => /[a-zA-Z]/.test(cellText(r.cells[col])));
		if (nameCol < 0 && width > 1 && looksLikeName(0) && !/\d+\s*-?\s*layer/i.test(heads[0] ?? ''))
			nameCol = 0;
		const cand = nameCol >= 0 ? nameCol + 1 : 0;
		if (sizeCol < 0 && cand < width && width > 1 && looksLikeSize(cand)) sizeCol = cand;
	}
	const archCols: number[] = [];
	for (let i = 0; i < (form === 'plain' ? 3 : width); i++)
		if (i !== nameCol && i !== sizeCol) archCols.push(i);
	if (archCols.length === 0)
		return {
			form,
			columns: [],
			errors: [loc.error(grid.rows[0].start, grid.rows[0].start, 'no architecture column found in the table')]
		};
	if (archCols.length > MAX_COLUMNS)
		return {
			form,
			columns: [],
			errors: [
				loc.error(
					grid.rows[0].start,
					grid.rows[0].start,
					`${archCols.length} architecture columns; at most ${MAX_COLUMNS} are read`
				)
			]
		};
	const headers = archCols.map((c, k) => {
		const h = headerRow >= 0 ? clean(cellText(grid.rows[headerRow].cells[c])) : '';
		return h || `column ${k + 1}`;
	});
	const headerCells = archCols.map((c) => (headerRow >= 0 ? grid.rows[headerRow].cells[c] : undefined));

	// Every row has the header's cells, or is a recognised spanning row; else its cells would shift.
	const rowErrors: TableParseError[] = [];
	const aligned = new Map<PhysRow, Cell[]>();
	if (form !== 'plain')
		grid.rows.forEach((r, ri) => {
			if (ri === headerRow || r.header) return;
			const cells = alignCells(r.cells, width, archCols[0], nameCol, sizeCol, form === 'latex', cellToks);
			if (cells) aligned.set(r, cells);
			else rowErrors.push(cellCountError(r, width, headerRow >= 0, form, loc));
		});
	if (rowErrors.length)
		return {
			form,
			columns: headers.map((header, k) => ({
				header,
				index: k + 1,
				spec: null,
				warnings: [],
				notes: [],
				errors: rowErrors,
				defaults: null
			})),
			errors: rowErrors
		};

	// Logical rows: a row whose name and size cells are empty continues the row above.
	const rows: LRow[] = [];
	grid.rows.forEach((row, ri) => {
		if (ri === headerRow || row.header) return;
		const r = { ...row, cells: aligned.get(row) ?? row.cells };
		const nameCell = nameCol >= 0 ? r.cells[nameCol] : undefined;
		const sizeCell = sizeCol >= 0 ? r.cells[sizeCol] : undefined;
		const nameText = clean(cellText(nameCell));
		const sizeToks = cellToks(sizeCell);
		let arch = archCols.map((c) => cellToks(r.cells[c]));
		if (arch.length > 1 && arch[0].length > 0 && arch.slice(1).every((t) => t.length === 0))
			arch = arch.map(() => arch[0]); // a cell spanning every column
		const continues = !r.standalone && nameText === '' && sizeToks.length === 0 && rows.length > 0;
		if (continues) {
			const prev = rows[rows.length - 1];
			prev.arch = prev.arch.map((t, k) =>
				arch[k].length ? (t.length ? [...t, SEP, ...arch[k]] : arch[k]) : t
			);
			return;
		}
		if (arch.every((t) => t.length === 0) && nameText === '' && sizeToks.length === 0) return;
		const kind = /flops|mult-?adds|macs/i.test(nameText)
			? 'flops'
			: /param/i.test(nameText)
				? 'params'
				: 'content';
		rows.push({
			name: nameText,
			nameCell: nameCell && nameCell.end > nameCell.start ? nameCell : null,
			sizeCell: sizeCell && sizeCell.end > sizeCell.start ? sizeCell : null,
			size: sizeOf(sizeToks),
			arch,
			start: r.start,
			kind
		});
	});

	const columns: TableColumn[] = archCols.map((_, k) =>
		deriveColumn(k, headers[k], headerCells[k], rows, loc, options)
	);
	const seen = new Set<string>();
	const errors: TableParseError[] = [];
	for (const c of columns)
		for (const e of c.errors) {
			const key = `${e.offset}:${e.message}`;
			if (!seen.has(key)) {
				seen.add(key);
				errors.push(e);
			}
		}
	errors.sort((a, b) => a.offset - b.offset);
	return { form, columns, errors };
}

/**
 * The cells of a row placed under the header's `expected` columns, or null when they cannot be:
 * a row with the header's count (trailing empty cells aside) is itself; a shorter row is read only
 * where it is a recognised spanning row — nothing after the first architecture column (one cell
 * for every column: "average pool, 1000-d fc, softmax"), or a name cell spanning the output-size
 * column ("FLOPs" followed by the architecture cells).
 */
function alignCells(
	cells: Cell[],
	expected: number,
	firstArch: number,
	nameCol: number,
	sizeCol: number,
	latex: boolean,
	toks: (c: Cell | undefined) => Tok[]
): Cell[] | null {
	if (cells.length === expected) return cells;
	let n = cells.length;
	while (n > 0 && cells[n - 1].end === cells[n - 1].start) n--;
	// extra empty cells at the end (a trailing tab or bar); not in LaTeX, where \multicolumn{n} makes them
	if (cells.length > expected) return n <= expected && !latex ? cells.slice(0, expected) : null;
	const pad = (cs: Cell[]) => {
		const end = cs.length ? cs[cs.length - 1].end : 0;
		return [...cs, ...Array.from({ length: Math.max(0, expected - cs.length) }, () => ({ start: end, end }))];
	};
	// the output size left out: the cell where it would be holds something that is not a size
	const at = cells[sizeCol];
	if (sizeCol === nameCol + 1 && nameCol >= 0 && at && at.end > at.start && sizeOf(toks(at)) === null) {
		const shifted = [
			...cells.slice(0, sizeCol),
			{ start: at.start, end: at.start },
			...cells.slice(sizeCol, n)
		];
		if (shifted.length === expected) return shifted;
		if (shifted.length <= firstArch + 1) return pad(shifted);
		return null;
	}
	if (n <= firstArch + 1) return pad(cells.slice(0, n));
	return null;
}

function cellCountError(
	r: PhysRow,
	expected: number,
	hasHeader: boolean,
	form: TableForm,
	loc: Locator
): TableParseError {
	const nonEmpty = r.cells.filter((c) => c.end > c.start);
	const end = nonEmpty.length ? nonEmpty[nonEmpty.length - 1].end : r.start;
	const empty =
		form === 'markdown'
			? '| |'
			: form === 'tsv'
				? 'two tabs in a row'
				: '& &, and \\multicolumn{n}{c}{…} spans n columns';
	return loc.error(
		r.start,
		end,
		`this row has ${r.cells.length} cells; ${hasHeader ? 'the header has' : 'the widest row has'} ${expected}: a missing or extra cell would move the cells after it into another column (an empty cell is ${empty})`
	);
}

interface RowEls {
	row: LRow;
	els: El[];
}

function deriveColumn(
	k: number,
	header: string,
	headerCell: Cell | undefined,
	rows: LRow[],
	loc: Locator,
	options: TableOptions
): TableColumn {
	const errors: TableParseError[] = [];
	const warnings: TableNote[] = [];
	const notes: TableNote[] = [];
	const column = (spec: ArchSpec | null, defaults: TableDefaults | null): TableColumn => ({
		header,
		index: k + 1,
		spec,
		warnings,
		notes,
		errors,
		defaults
	});
	const tokErr = (e: TokError) => errors.push(loc.error(e.at.start, (e.to ?? e.at).end, e.message));
	const errAt = (t: Tok, message: string, to?: Tok) => tokErr({ at: t, to, message });
	const anchor = headerCell ?? { start: rows[0]?.start ?? 0, end: rows[0]?.start ?? 0 };

	// Elements of each content row; stem, pool and head lines written only in the first column count for all.
	const rowEls: RowEls[] = [];
	for (const row of rows) {
		if (row.kind !== 'content') continue;
		const { elements, error } = new ElementReader(row.arch[k]).read();
		if (error) tokErr(error);
		if (k > 0 && row.arch[0] !== row.arch[k]) {
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
	if (errors.length) return column(null, null);

	// Stem, stages, head.
	let stemConv: ConvEl | null = null;
	let stemRow: LRow | null = null;
	let pool: { el: Extract<El, { kind: 'pool' }>; row: LRow } | null = null;
	const stages: { row: LRow; groups: GroupEl[] }[] = [];
	let avg: El | null = null;
	let flatten: El | null = null;
	let fc: Extract<El, { kind: 'fc' }> | null = null;
	for (const { row, els } of rowEls) {
		const groups: GroupEl[] = [];
		for (const el of els) {
			if (el.kind === 'conv') {
				if (stemConv || stages.length || groups.length)
					errAt(
						el.at,
						stemConv
							? 'a second convolution outside brackets: the stem has one (conv1); write a stage as [3×3, 64; 3×3, 64] × n'
							: 'a convolution outside brackets after the stages: write a stage as [3×3, 64; 3×3, 64] × n',
						el.cAt
					);
				else {
					stemConv = el;
					stemRow = row;
				}
			} else if (el.kind === 'pool') {
				if (pool) errAt(el.at, 'a second max pool: the stem has one');
				else if (!stemConv) errAt(el.at, 'a max pool before the stem convolution (conv1)');
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
	if (errors.length) return column(null, null);
	if (!stemConv) {
		errors.push(
			loc.error(anchor.start, anchor.end, `${header}: no stem convolution (conv1, e.g. 7×7, 64, stride 2)`)
		);
		return column(null, null);
	}
	const stem: ConvEl = stemConv;
	if (stages.length === 0) {
		errors.push(
			loc.error(anchor.start, anchor.end, `${header}: no stages (rows like [3×3, 64; 3×3, 64] × 2)`)
		);
		return column(null, null);
	}

	// The stem: ImageNet (7×7/2 + 3×3 max pool/2) or CIFAR (3×3/1, no pool).
	let stemKind: 'imagenet' | 'cifar';
	const stemStride = stem.stride ?? (stem.k === 7 ? 2 : 1);
	if (stem.groups !== undefined && stem.groups !== 1)
		errAt(stem.groupsAt!, 'the stem convolution has no groups');
	if (stem.k === 7 && stemStride === 2) {
		stemKind = 'imagenet';
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
	} else if (stem.k === 3 && stemStride === 1) {
		stemKind = 'cifar';
		if (pool) errAt(pool.el.at, 'the CIFAR stem (3×3, stride 1) has no max pool');
	} else {
		stemKind = 'imagenet';
		errAt(
			stem.at,
			`the stem must be 7×7, stride 2 with a 3×3 max pool (ImageNet) or 3×3, stride 1 (CIFAR); got ${stem.k}×${stem.k}, stride ${stemStride}`,
			stem.cAt
		);
	}
	if (errors.length) return column(null, null);

	// Stages: block kind, widths, counts, strides.
	let block: BlockKind | null = null;
	let blockFrom: LRow | null = null;
	let groups = 1;
	let groupsFrom: GroupEl | null = null;
	const shaped: {
		row: LRow;
		first: GroupEl;
		blocks: number;
		c: number[];
		stride?: number;
		strideAt?: Tok;
	}[] = [];
	const kindOf = (g: GroupEl): BlockKind | null => {
		const ks = g.convs.map((c) => c.k).join(',');
		return ks === '3,3' ? 'basic' : ks === '1,3,1' ? 'bottleneck' : null;
	};
	const label = (r: LRow) => r.name || (r.size ? `the ${r.size.h}×${r.size.w} row` : 'this row');
	for (const st of stages) {
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
				break;
			}
			if (kind && gk !== kind) {
				errAt(g.at, `the rows of ${label(st.row)} disagree: ${kind} blocks above, ${gk} blocks here`);
				break;
			}
			const gc = g.convs.map((x) => x.c);
			if (kind && gc.join() !== c.join()) {
				errAt(
					g.at,
					`the rows of ${label(st.row)} disagree on the channels: ${c.join('/')} above, ${gc.join('/')} here`
				);
				break;
			}
			kind = gk;
			c = gc;
			blocks += g.n;
			g.convs.forEach((x, i) => {
				if (x.groups !== undefined) {
					if (gk === 'basic' || i !== 1)
						errAt(x.groupsAt!, `groups belong on a bottleneck's 3×3 convolution`);
					else if (groupsFrom && x.groups !== groups)
						errAt(
							x.groupsAt!,
							`groups differ between stages (${groups} before, ${x.groups} here); an ArchSpec has one cardinality`
						);
					else {
						groups = x.groups;
						groupsFrom = g;
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
		if (errors.length) return column(null, null);
		if (block && kind !== block) {
			errAt(
				st.groups[0].at,
				`${label(st.row)} has ${kind} blocks but ${label(blockFrom!)} has ${block} blocks: an ArchSpec has one block kind`
			);
			return column(null, null);
		}
		block = kind;
		blockFrom ??= st.row;
		shaped.push({ row: st.row, first: st.groups[0], blocks, c, stride, strideAt });
	}
	const kindB = block!;

	// Widths, expansion, widthPerGroup: torchvision's convention where it fits.
	let expansion = 1;
	let widthPerGroup = 64;
	let widths: number[] = [];
	if (kindB === 'basic') {
		const e0 = shaped[0].c[1] / shaped[0].c[0];
		for (const s of shaped) {
			const e = s.c[1] / s.c[0];
			if (!Number.isInteger(e) || e < 1) {
				errAt(
					s.first.convs[1].cAt,
					`a basic block's second convolution (${s.c[1]}) must be a multiple of its first (${s.c[0]})`
				);
				return column(null, null);
			}
			if (e !== e0) {
				errAt(
					s.first.convs[1].cAt,
					`expansion ${e} here but ${e0} in ${label(shaped[0].row)}: an ArchSpec has one expansion`
				);
				return column(null, null);
			}
		}
		expansion = e0;
		widths = shaped.map((s) => s.c[0]);
	} else {
		for (const s of shaped) {
			if (s.c[0] !== s.c[1]) {
				errAt(
					s.first.convs[1].cAt,
					`a bottleneck's first 1×1 and its 3×3 have the same width (torchvision's Bottleneck); got ${s.c[0]} and ${s.c[1]}`
				);
				return column(null, null);
			}
			if (groups >= 1 && s.c[1] % groups !== 0) {
				errAt(groupsFrom!.convs[1].groupsAt!, `${groups} groups do not divide the 3×3's ${s.c[1]} channels`);
				return column(null, null);
			}
		}
		// widthPerGroup p must give floor(w × p / 64) × groups = inner in every stage: a range per stage
		const fits = (e: number): { widths: number[]; wpg: number } | null => {
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
			return { widths: ws, wpg };
		};
		const ratio = shaped[0].c[2] / shaped[0].c[0];
		const candidates = [
			...(shaped.every((s) => 4 * s.c[0] >= s.c[2]) ? [4] : []),
			...(Number.isInteger(ratio) ? [ratio] : []),
			...Array.from({ length: 64 }, (_, i) => i + 1)
		];
		let found = false;
		for (const e of candidates) {
			if (e < 1 || e > 64) continue;
			const f = fits(e);
			if (f) {
				expansion = e;
				widths = f.widths;
				widthPerGroup = f.wpg;
				found = true;
				break;
			}
		}
		if (!found) {
			errAt(
				shaped[0].first.at,
				'these bottlenecks cannot be written as an ArchSpec: every stage needs the same expansion (last 1×1 ÷ width) and the same widthPerGroup'
			);
			return column(null, null);
		}
	}

	// Head.
	const classes = fc ? fc.classes : stemKind === 'imagenet' ? 1000 : 10;
	if (!fc) notes.push(loc.note('info', anchor.start, anchor.end, `no fc row: ${classes} classes assumed`));

	// Input size: option, conv1's output size, or the stem's usual input.
	const stemScale = stemKind === 'imagenet' ? 2 : 1;
	let input = stemKind === 'imagenet' ? { height: 224, width: 224 } : { height: 32, width: 32 };
	let inputFrom: TableDefaults['inputFrom'] = 'default';
	if (options.input) {
		input = { ...options.input };
		inputFrom = 'option';
	} else if (stemRow?.size && !stages.some((st) => st.row === stemRow)) {
		input = { height: stemRow.size.h * stemScale, width: stemRow.size.w * stemScale };
		inputFrom = 'table';
	}
	const shortcut = options.shortcut ?? (stemKind === 'cifar' ? 'A' : 'B');
	const strideOn = options.strideOn ?? '3x3';
	const defaults: TableDefaults = {
		shortcut,
		shortcutFrom: options.shortcut ? 'option' : 'default',
		strideOn,
		strideOnFrom: options.strideOn ? 'option' : 'default',
		input,
		inputFrom
	};

	const specNoName = {
		input: { channels: options.channels ?? 3, height: input.height, width: input.width },
		stem: { kind: stemKind, width: stem.c },
		block: kindB,
		expansion,
		groups: kindB === 'basic' ? 1 : groups,
		widthPerGroup: kindB === 'basic' ? 64 : widthPerGroup,
		stages: shaped.map((s, i) => ({
			blocks: s.blocks,
			width: widths[i],
			stride: s.stride ?? (i === 0 ? 1 : 2)
		})),
		shortcut,
		strideOn,
		residual: true,
		convBias: false,
		head: { pool: flatten && !avg ? ('flatten' as const) : ('avg' as const), classes }
	};
	const spec: ArchSpec = { name: options.name ?? defaultName(specNoName), ...specNoName };

	// Whatever the spec rules find, placed at the cell that said it.
	const specErrors = validateSpec(spec);
	if (specErrors.length) {
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
			} else if (e.path.startsWith('stem') || e.path.startsWith('input')) at = stem.cAt;
			else if (e.path.startsWith('head')) at = fc?.at;
			else at = shaped[0].first.at;
			const where = at ?? { start: anchor.start, end: anchor.end };
			errors.push(loc.error(where.start, where.end, e.message));
		}
		return column(null, defaults);
	}

	// Checks: what the table states against what the graph computes.
	const graph = buildGraph(spec);
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
	// a row holding the stem conv (and maybe the pool continued below it) states conv1's output
	if (stemRow && !stages.some((s) => s.row === stemRow))
		checkSize(
			stemRow,
			graph.byId.get('conv1')!.outShape,
			`${stem.k}×${stem.k} stride ${stemStride} on ${input.height}×${input.width}`
		);
	if (pool && pool.row !== stemRow && !stages.some((s) => s.row === pool!.row))
		checkSize(pool.row, graph.byId.get('maxpool')!.outShape, 'after the max pool');
	shaped.forEach((s, i) => {
		const st = spec.stages[i];
		checkSize(
			s.row,
			graph.stages[i].outShape,
			`stride ${st.stride}${s.stride === undefined ? (i === 0 ? ', the default for the first stage' : ', the default after the first stage; write “stride 1” in the block to change it') : ''}`
		);
	});
	const headRow = rows.find(
		(r) =>
			r.kind === 'content' &&
			rowEls.find((x) => x.row === r)?.els.some((e) => e.kind === 'fc' || e.kind === 'avgpool')
	);
	if (headRow && spec.head.pool === 'avg')
		checkSize(headRow, graph.byId.get('avgpool')!.outShape, 'global average pool');

	const headerDepth = /(\d+)\s*-?\s*layers?/i.exec(header);
	if (headerDepth && headerCell && Number(headerDepth[1]) !== specDepth(spec))
		warnings.push(
			loc.note(
				'warning',
				headerCell.start,
				headerCell.end,
				`the header says ${headerDepth[1]} layers; the column has ${specDepth(spec)} weighted layers (stem conv, ${spec.block === 'basic' ? 2 : 3} per block, fc)`
			)
		);

	for (const row of rows) {
		if (row.kind === 'content') continue;
		const toks = row.arch[k].filter((t) => t.kind !== 'break');
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
				const other: StrideOn = strideOn === '3x3' ? '1x1' : '3x3';
				const alt = buildGraph({ ...spec, strideOn: other }).totals.macs;
				const name = (s: StrideOn) => (s === '3x3' ? 'the 3×3 (torchvision)' : 'the 1×1 (the paper)');
				message = `FLOPs row says ${sci(stated)}; computed ${(macs / 1e9).toFixed(2)} GMACs with the stride on ${name(strideOn)}, ${(alt / 1e9).toFixed(2)} with the stride on ${name(other)}`;
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
	if (inputFrom === 'table' && stemRow?.sizeCell)
		notes.push(
			loc.note(
				'info',
				stemRow.sizeCell.start,
				stemRow.sizeCell.end,
				`input ${input.height}×${input.width}, from conv1's output size ${stemRow.size!.h}×${stemRow.size!.w}`
			)
		);
	return column(spec, defaults);
}

/** The column picked by header text ("50-layer", "50") or 1-based index; null when none matches. */
export function pickColumn(columns: TableColumn[], choice: string): TableColumn | null {
	const c = choice.trim();
	if (/^\d+$/.test(c)) {
		const byHeader = columns.filter((col) => col.header.toLowerCase() === c.toLowerCase());
		if (byHeader.length === 1) return byHeader[0];
		const i = Number(c);
		if (i >= 1 && i <= columns.length) return columns[i - 1];
	}
	const exact = columns.find((col) => col.header.toLowerCase() === c.toLowerCase());
	if (exact) return exact;
	const partial = columns.filter((col) => col.header.toLowerCase().includes(c.toLowerCase()));
	return partial.length === 1 ? partial[0] : null;
}
