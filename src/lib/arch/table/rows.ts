/**
 * The layout of a table: which row is the header, which columns hold the layer names, the output
 * sizes and the architectures, and the logical rows (continuation rows joined) that the columns are
 * read from. A row whose cells do not line up with the header is an error at that row.
 */
import type { Cell, Grid, PhysRow, TableForm } from './grid';
import { lex, type Tok } from './lex';
import { sizeOf, TableParseError, type Locator, type LRow } from './result';

/** More columns than any layer table has: a sign that the text is not one. */
const MAX_COLUMNS = 64;

const SEP: Tok = { kind: 'break', text: '', value: NaN, start: 0, end: 0 };

const clean = (s: string) =>
	s
		.replace(/\\_/g, '_')
		.replace(/\\[a-zA-Z]+/g, ' ')
		.replace(/[{}$*`]/g, '')
		.replace(/<[^<>]{0,60}>/g, ' ')
		.replace(/\s+/g, ' ')
		.trim();

export interface Layout {
	/** Per architecture column: its header text ("50-layer", or "column N") and header cell. */
	headers: string[];
	headerCells: (Cell | undefined)[];
	rows: LRow[];
}

/**
 * Reads a grid's layout. Errors come back with it: a misaligned row (the layout is kept, so the
 * columns can still be listed), or no architecture column at all (no layout).
 */
export function readLayout(
	grid: Grid,
	src: string,
	loc: Locator
): { layout: Layout | null; errors: TableParseError[] } {
	const cellText = (c: Cell | undefined) => (c ? src.slice(c.start, c.end) : '');
	const cellToks = (c: Cell | undefined) => (c && c.end > c.start ? lex(src, c.start, c.end) : []);
	const { form } = grid;
	const headerRow = findHeader(grid, cellText, cellToks);
	// the header says how many columns there are; without one, the widest row
	const width =
		headerRow >= 0 ? grid.rows[headerRow].cells.length : Math.max(...grid.rows.map((r) => r.cells.length));
	const { nameCol, sizeCol } = columnRoles(grid, headerRow, width, cellText, cellToks);
	const archCols: number[] = [];
	for (let i = 0; i < (form === 'plain' ? 3 : width); i++)
		if (i !== nameCol && i !== sizeCol) archCols.push(i);
	const first = grid.rows[0].start;
	if (archCols.length === 0)
		return { layout: null, errors: [loc.error(first, first, 'no architecture column found in the table')] };
	if (archCols.length > MAX_COLUMNS)
		return {
			layout: null,
			errors: [
				loc.error(first, first, `${archCols.length} architecture columns; at most ${MAX_COLUMNS} are read`)
			]
		};
	const headers = archCols.map((c, k) => {
		const h = headerRow >= 0 ? clean(cellText(grid.rows[headerRow].cells[c])) : '';
		return h || `column ${k + 1}`;
	});
	const headerCells = archCols.map((c) => (headerRow >= 0 ? grid.rows[headerRow].cells[c] : undefined));

	// Every row has the header's cells, or is a recognised spanning row; else its cells would shift.
	const errors: TableParseError[] = [];
	const body: PhysRow[] = [];
	grid.rows.forEach((r, ri) => {
		if (ri === headerRow || r.header) return;
		if (form === 'plain') return body.push(r);
		const cells = alignCells(r.cells, width, archCols[0], nameCol, sizeCol, form === 'latex', cellToks);
		if (cells) body.push({ ...r, cells });
		else errors.push(cellCountError(r, width, headerRow >= 0, form, loc));
	});
	const rows = logicalRows(body, nameCol, sizeCol, archCols, cellText, cellToks);
	return { layout: { headers, headerCells, rows }, errors };
}

/** The header row's index, or −1: a row marked as one, else a first row without content. */
function findHeader(
	grid: Grid,
	cellText: (c: Cell | undefined) => string,
	cellToks: (c: Cell | undefined) => Tok[]
): number {
	const marked = grid.rows.findIndex((r) => r.header);
	if (marked >= 0 || grid.form === 'plain') return marked;
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
	return !hasContent && !/flops|param/i.test(cellText(first.cells[0])) ? 0 : -1;
}

/** The layer-name and output-size columns (−1 when absent): by header text, else by content. */
function columnRoles(
	grid: Grid,
	headerRow: number,
	width: number,
	cellText: (c: Cell | undefined) => string,
	cellToks: (c: Cell | undefined) => Tok[]
): { nameCol: number; sizeCol: number } {
	if (grid.form === 'plain') return { nameCol: 0, sizeCol: 1 };
	let nameCol = -1;
	let sizeCol = -1;
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
	if (nameCol < 0 && width > 1 && looksLikeName(0) && !/\d+\s*-?\s*layer/i.test(heads[0] ?? '')) nameCol = 0;
	const cand = nameCol >= 0 ? nameCol + 1 : 0;
	if (sizeCol < 0 && cand < width && width > 1 && looksLikeSize(cand)) sizeCol = cand;
	return { nameCol, sizeCol };
}

/**
 * The cells of a row placed under the header's `expected` columns, or null when they cannot be:
 * a row with the header's count (extra empty cells at the end aside) is itself; a shorter row is
 * read only where it is a recognised spanning row — nothing after the first architecture column
 * (one cell for every column: "average pool, 1000-d fc, softmax"), or a name cell spanning the
 * output-size column ("FLOPs" followed by the architecture cells).
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

/** Logical rows: a row whose name and size cells are empty continues the row above. */
function logicalRows(
	body: PhysRow[],
	nameCol: number,
	sizeCol: number,
	archCols: number[],
	cellText: (c: Cell | undefined) => string,
	cellToks: (c: Cell | undefined) => Tok[]
): LRow[] {
	const rows: LRow[] = [];
	for (const r of body) {
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
			continue;
		}
		if (arch.every((t) => t.length === 0) && nameText === '' && sizeToks.length === 0) continue;
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
	}
	return rows;
}
