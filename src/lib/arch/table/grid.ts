/**
 * Text → rows of cells, for each form a table comes in. Cells are ranges of the source text,
 * so that every message can point at a line and column.
 */
import { readGroup, skipGroup } from './lex';

export type TableForm = 'tsv' | 'markdown' | 'latex' | 'plain';
export const TABLE_FORMS: readonly TableForm[] = ['tsv', 'markdown', 'latex', 'plain'];

/** A range of the source text; start === end for an empty or virtual cell. */
export interface Cell {
	start: number;
	end: number;
}

export interface PhysRow {
	cells: Cell[];
	/** Offset of the row's first character, for messages about the whole row. */
	start: number;
	/** Markdown: the row above the `|---|` line. */
	header?: boolean;
	/** Plain form: each line is a row of its own (no continuation rows). */
	standalone?: boolean;
}

export interface Grid {
	form: TableForm;
	rows: PhysRow[];
	/** LaTeX: the source with comments blanked (same length and offsets). */
	source?: string;
}

/** A Markdown rule line (|---|:---:|); spaces removed first, so the pattern cannot backtrack. */
const isMdRule = (line: string) =>
	line.includes('-') && /^\|?(:?-{2,}:?\|)*:?-{2,}:?\|?$/.test(line.replace(/\s+/g, ''));

export function detectForm(text: string): TableForm {
	if (/\\begin\s*\{tabular|\\multicolumn|\\multirow|\\hline|\\toprule/.test(text)) return 'latex';
	const lines = text.split('\n');
	if (lines.some((l) => l.includes('|') && isMdRule(l))) return 'markdown';
	if (lines.filter((l) => /^\s*\|/.test(l)).length >= 2) return 'markdown';
	if (text.includes('\t')) return 'tsv';
	if (lines.some((l) => /&/.test(l) && /\\\\\s*$/.test(l))) return 'latex';
	return 'plain';
}

function trimCell(src: string, start: number, end: number): Cell {
	while (start < end && /\s/.test(src[start])) start++;
	while (end > start && /\s/.test(src[end - 1])) end--;
	return { start, end };
}

function lineRanges(src: string): { start: number; end: number }[] {
	const out: { start: number; end: number }[] = [];
	let s = 0;
	for (let i = 0; i <= src.length; i++) {
		if (i === src.length || src[i] === '\n') {
			let e = i;
			if (e > s && src[e - 1] === '\r') e--;
			out.push({ start: s, end: e });
			s = i + 1;
		}
	}
	return out;
}

function tsvGrid(src: string): Grid {
	const rows: PhysRow[] = [];
	for (const { start, end } of lineRanges(src)) {
		if (src.slice(start, end).trim() === '') continue;
		const cells: Cell[] = [];
		let s = start;
		for (let i = start; i <= end; i++) {
			if (i === end || src[i] === '\t') {
				cells.push(trimCell(src, s, i));
				s = i + 1;
			}
		}
		rows.push({ cells, start });
	}
	return { form: 'tsv', rows };
}

function markdownGrid(src: string): Grid {
	const rows: PhysRow[] = [];
	for (const { start, end } of lineRanges(src)) {
		const line = src.slice(start, end);
		if (!line.includes('|')) continue;
		if (isMdRule(line)) {
			if (rows.length) rows[rows.length - 1].header = true;
			continue;
		}
		const bars: number[] = [];
		for (let i = start; i < end; i++) if (src[i] === '|' && src[i - 1] !== '\\') bars.push(i);
		const bounds = [start - 1, ...bars, end];
		const cells: Cell[] = [];
		for (let k = 0; k + 1 < bounds.length; k++) cells.push(trimCell(src, bounds[k] + 1, bounds[k + 1]));
		if (/^\s*\|/.test(line)) cells.shift();
		if (/\|\s*$/.test(line) && cells.length > 0) cells.pop();
		rows.push({ cells, start });
	}
	return { form: 'markdown', rows };
}

const RULES = /^\\(hline|toprule|midrule|bottomrule|cline|cmidrule|specialrule|noalign|addlinespace)\b/;

/** The cell without the rules (\hline \cline{3-7}) that lead it: they belong to no cell. */
function skipRules(src: string, cell: Cell): Cell {
	let c = trimCell(src, cell.start, cell.end);
	for (;;) {
		const m = RULES.exec(src.slice(c.start, c.end));
		if (!m) break;
		let next = c.start + m[0].length;
		if (/^(cline|cmidrule|specialrule|noalign)$/.test(m[1])) {
			while (src[next] === '(' || src[next] === '[')
				next = src.indexOf(src[next] === '(' ? ')' : ']', next) + 1;
			next = skipGroup(src, next, c.end);
			if (m[1] === 'specialrule') next = skipGroup(src, skipGroup(src, next, c.end), c.end);
		}
		c = trimCell(src, Math.max(next, c.start + 1), c.end);
	}
	return c;
}

/** Unwraps \multicolumn and \multirow; a \multicolumn{n} cell stands for n cells. */
function latexCell(src: string, cell: Cell): Cell[] {
	let c = skipRules(src, cell);
	let span = 1;
	for (;;) {
		const text = src.slice(c.start, c.end);
		const m = /^\\(multicolumn|multirow)\b/.exec(text);
		if (!m) break;
		let i = c.start + m[0].length;
		const a = readGroup(src, i, c.end);
		if (!a) break;
		i = a.next;
		if (m[1] === 'multicolumn') {
			const n = Number(a.text.trim());
			if (Number.isInteger(n) && n >= 1 && n <= 64) span = Math.min(64, span * n);
		}
		const b = readGroup(src, i, c.end);
		if (!b) break;
		i = b.next;
		while (i < c.end && /\s/.test(src[i])) i++;
		if (src[i] === '[') i = Math.max(i + 1, src.indexOf(']', i) + 1);
		let j = i;
		while (j < c.end && /\s/.test(src[j])) j++;
		if (src[j] !== '{') break;
		const inner = skipGroup(src, j, c.end);
		c = trimCell(src, j + 1, Math.max(j + 1, inner - 1));
	}
	const out = [c];
	for (let k = 1; k < span; k++) out.push({ start: c.end, end: c.end });
	return out;
}

function latexGrid(text: string): Grid {
	// comments run to the end of the line: blank them, keeping every offset
	const src = text.replace(/(^|[^\\])%[^\n]*/g, (m, pre: string) => pre + ' '.repeat(m.length - pre.length));
	let from = 0;
	let to = src.length;
	const begin = /\\begin\s*\{tabular\*?\}/.exec(src);
	if (begin) {
		from = begin.index + begin[0].length;
		if (src.slice(begin.index, from).includes('tabular*')) from = skipGroup(src, from, to);
		from = skipGroup(src, from, to);
		const endIdx = src.indexOf('\\end{tabular', from);
		if (endIdx >= 0) to = endIdx;
	}
	const rows: PhysRow[] = [];
	let braces = 0;
	let envs = 0;
	let cellStart = from;
	let cells: Cell[] = [];
	const finishRow = (end: number) => {
		cells.push({ start: cellStart, end });
		const expanded = cells.flatMap((c) => latexCell(src, c));
		if (expanded.some((c) => c.end > c.start)) {
			// the row starts where its first cell's text does (\multirow{3}{*}{conv3\_x}), rules aside
			const first = cells.map((c) => skipRules(src, c)).find((c) => c.end > c.start)!;
			rows.push({ cells: expanded, start: first.start });
		}
		cells = [];
	};
	for (let i = from; i < to; i++) {
		const ch = src[i];
		if (ch === '\\') {
			if (src[i + 1] === '\\' && braces === 0 && envs === 0) {
				finishRow(i);
				i += 1;
				// \\[2pt]
				const m = /^\s*\[[^\]\n]{0,12}\]/.exec(src.slice(i + 1, i + 20));
				if (m) i += m[0].length;
				cellStart = i + 1;
				continue;
			}
			const m = /^\\(begin|end)\s*\{([^}]*)\}/.exec(src.slice(i, i + 40));
			if (m && !m[2].startsWith('tabular')) {
				envs += m[1] === 'begin' ? 1 : -1;
				if (envs < 0) envs = 0;
				i += m[0].length - 1;
				continue;
			}
			if (src.startsWith('\\tabularnewline', i) && braces === 0 && envs === 0) {
				finishRow(i);
				i += '\\tabularnewline'.length - 1;
				cellStart = i + 1;
				continue;
			}
			i++;
			continue;
		}
		if (ch === '{') braces++;
		else if (ch === '}') braces = Math.max(0, braces - 1);
		else if (ch === '&' && braces === 0 && envs === 0) {
			cells.push({ start: cellStart, end: i });
			cellStart = i + 1;
		}
	}
	finishRow(to);
	return { form: 'latex', rows, source: src };
}

function plainGrid(src: string): Grid {
	const rows: PhysRow[] = [];
	for (const { start, end } of lineRanges(src)) {
		const line = src.slice(start, end);
		if (line.trim() === '') continue;
		const hash = /^\s*#/.exec(line);
		if (hash) {
			// "# 50-layer": the header
			const c = trimCell(src, start + hash[0].length, end);
			rows.push({
				cells: [{ start: c.start, end: c.start }, { start: c.start, end: c.start }, c],
				start,
				header: true
			});
			continue;
		}
		const colon = line.indexOf(':');
		const bracket = line.search(/[[\\]/);
		if (colon > 0 && (bracket < 0 || colon < bracket)) {
			const name = trimCell(src, start, start + colon);
			// "conv2_x (56×56)": the output size in the name part
			const sizeMatch =
				name.end - name.start > 200
					? null
					: /[([]?\s*\d+\s*(×|x|X|\*|\\times|\$\\times\$)\s*\d+\s*[)\]]?/.exec(
							src.slice(name.start, name.end)
						);
			let nameCell = name;
			let size: Cell = { start: name.end, end: name.end };
			if (sizeMatch) {
				size = trimCell(
					src,
					name.start + sizeMatch.index,
					name.start + sizeMatch.index + sizeMatch[0].length
				);
				nameCell = trimCell(src, name.start, name.start + sizeMatch.index);
			}
			rows.push({ cells: [nameCell, size, trimCell(src, start + colon + 1, end)], start, standalone: true });
		} else {
			const c = trimCell(src, start, end);
			rows.push({
				cells: [{ start: c.start, end: c.start }, { start: c.start, end: c.start }, c],
				start,
				standalone: true
			});
		}
	}
	return { form: 'plain', rows };
}

/** The rows of a table; LaTeX may return a copy of the source with comments blanked (same length). */
export function toGrid(text: string, form: TableForm): Grid {
	switch (form) {
		case 'tsv':
			return tsvGrid(text);
		case 'markdown':
			return markdownGrid(text);
		case 'latex':
			return latexGrid(text);
		case 'plain':
			return plainGrid(text);
	}
}
