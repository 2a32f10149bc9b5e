/**
 * A paper-style layer table (He et al. 2015, Table 1, or a rendering of it) → one ArchSpec per
 * architecture column. Never throws: problems come back as TableParseError values with a line and
 * column; disagreements between what the table states and what we compute come back as warnings.
 *
 * The phases: text → grid of cells (grid.ts) → layout: header, column roles, logical rows
 * (rows.ts) → each architecture column → spec, checked against the table (column.ts).
 */
import { deriveColumn } from './column';
import { detectForm, toGrid } from './grid';
import { readLayout } from './rows';
import {
	Locator,
	TableParseError,
	type TableColumn,
	type TableOptions,
	type TableParseResult
} from './result';

export {
	TableParseError,
	defaultName,
	sci,
	specDepth,
	type TableColumn,
	type TableDefaults,
	type TableNote,
	type TableOptions,
	type TableParseResult
} from './result';

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
	const grid = toGrid(text, form);
	if (grid.rows.length === 0) return { form, columns: [], errors: [loc.error(0, 0, 'no table rows found')] };

	const { layout, errors: layoutErrors } = readLayout(grid, grid.source ?? text, loc);
	if (!layout) return { form, columns: [], errors: layoutErrors };
	const { headers, headerCells, rows } = layout;
	// A misaligned row spoils every column: which one lost its cell cannot be known.
	const columns: TableColumn[] = headers.map((header, k) =>
		layoutErrors.length
			? { header, index: k + 1, spec: null, warnings: [], notes: [], errors: layoutErrors, defaults: null }
			: deriveColumn(k, header, headerCells[k], rows, loc, options)
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
