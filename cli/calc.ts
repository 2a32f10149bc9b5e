/**
 * The shape calculator (DESIGN §3.4):
 *   npm run --silent calc -- --preset NAME [--input C,H,W] [--classes N] [--format json|table|markdown|csv]
 *   npm run --silent calc -- --spec FILE.json [--format …]
 *   npm run --silent calc -- --table FILE [--column COL] [--format …]   (COL: header text or 1-based index)
 *   npm run --silent calc -- --weights FILE [--input C,H,W] [--format …]   (the checkpoint's own network)
 */
import { readFileSync } from 'node:fs';
import {
	PRESET_NAMES,
	SUMMARY_FORMATS,
	buildGraph,
	formatSummary,
	presetSpec,
	summaryJson,
	specFieldErrors,
	validateSpec,
	parseTable,
	pickColumn,
	type ArchSpec,
	type SummaryFormat
} from '../src/lib/arch/index';
import { UsageError, parse, runCli } from './args';
import { checkpointJson, checkpointNotes, inferCheckpoint } from './checkpoint';

function readJson(file: string): unknown {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (e) {
		throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	try {
		return JSON.parse(text);
	} catch (e) {
		throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
	}
}

function positiveInt(text: string, what: string): number {
	if (!/^\d+$/.test(text.trim()) || Number(text) < 1)
		throw new UsageError(`${what} must be a positive whole number, got "${text}"`);
	return Number(text);
}

/**
 * The spec of one architecture column of a layer table (the paper's Table 1 and renderings of it).
 * Errors: `FILE:LINE:COLUMN: message`; the table's warnings go to stderr as `warning: …`.
 */
export function loadTable(file: string, column: string | undefined, input: string | undefined): ArchSpec {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (e) {
		throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	const parts = input?.split(',').map(Number);
	const options =
		parts && parts.length === 3 && parts.every((n) => Number.isInteger(n) && n >= 1)
			? { channels: parts[0], input: { height: parts[1], width: parts[2] } }
			: {};
	const result = parseTable(text, options);
	const place = (e: { line: number; column: number; message: string }) =>
		`${file}:${e.line}:${e.column}: ${e.message}`;
	const list = () => result.columns.map((c) => `  ${c.index}: ${c.header}`).join('\n');
	if (result.columns.length === 0) {
		if (result.errors.length) throw new UsageError(result.errors.map(place).join('\nerror: '));
		throw new UsageError(`${file}: no layer table found`);
	}
	let chosen = result.columns[0];
	if (column !== undefined) {
		const picked = pickColumn(result.columns, column);
		if (!picked)
			throw new UsageError(`${file}: no architecture column "${column}"; the columns are:\n${list()}`);
		chosen = picked;
	} else if (result.columns.length > 1)
		throw new UsageError(
			`${file} has ${result.columns.length} architecture columns; choose one with --column (header text or number):\n${list()}`
		);
	if (!chosen.spec) {
		const errors = chosen.errors.length ? chosen.errors : result.errors;
		throw new UsageError(errors.map(place).join('\nerror: '));
	}
	for (const w of chosen.warnings) process.stderr.write(`warning: ${place(w)}\n`);
	return chosen.spec;
}

function inputOf(text: string): ArchSpec['input'] {
	const parts = text.split(',');
	if (parts.length !== 3) throw new UsageError(`--input takes C,H,W (e.g. 3,224,224), got "${text}"`);
	const [channels, height, width] = parts.map((p, i) => positiveInt(p, `--input ${'CHW'[i]}`));
	return { channels, height, width };
}

export function loadSpec(values: {
	preset?: string;
	spec?: string;
	table?: string;
	column?: string;
	input?: string;
	classes?: string;
}): ArchSpec {
	const sources = [values.preset, values.spec, values.table].filter((v) => v !== undefined).length;
	if (sources !== 1)
		throw new UsageError('give exactly one of --preset NAME, --spec FILE.json or --table FILE');
	if (values.column !== undefined && values.table === undefined)
		throw new UsageError('--column chooses a column of --table FILE');
	let spec: ArchSpec;
	if (values.table !== undefined) spec = loadTable(values.table, values.column, values.input);
	else if (values.preset !== undefined) {
		const p = presetSpec(values.preset);
		if (!p) throw new UsageError(`unknown preset "${values.preset}"; presets: ${PRESET_NAMES.join(', ')}`);
		spec = p;
	} else {
		const raw = readJson(values.spec!);
		const errors = specFieldErrors(raw);
		if (errors.length)
			throw new UsageError(
				`${values.spec}: ${errors.map((e) => `${e.path || 'spec'}: ${e.message}`).join('; ')}`
			);
		spec = raw as ArchSpec;
	}
	if (values.input !== undefined) spec = { ...spec, input: inputOf(values.input) };
	if (values.classes !== undefined)
		spec = { ...spec, head: { ...spec.head, classes: positiveInt(values.classes, '--classes') } };
	const errors = validateSpec(spec);
	if (errors.length) throw new UsageError(errors.map((e) => `${e.path || 'spec'}: ${e.message}`).join('; '));
	return spec;
}

runCli(() => {
	const values = parse(process.argv.slice(2), {
		preset: { type: 'string' },
		spec: { type: 'string' },
		table: { type: 'string' },
		column: { type: 'string' },
		input: { type: 'string' },
		classes: { type: 'string' },
		weights: { type: 'string' },
		format: { type: 'string', default: 'table' }
	});
	const format = values.format as SummaryFormat;
	if (!SUMMARY_FORMATS.includes(format))
		throw new UsageError(`--format must be one of ${SUMMARY_FORMATS.join(', ')}, got "${values.format}"`);
	if (values.weights !== undefined) {
		if ([values.preset, values.spec, values.table, values.classes].some((v) => v !== undefined))
			throw new UsageError(
				'--weights FILE reads the network from the file: give it alone (with --input C,H,W)'
			);
		const c = inferCheckpoint(values.weights, values.input === undefined ? undefined : inputOf(values.input));
		const graph = buildGraph(c.spec);
		if (format === 'json') {
			process.stdout.write(JSON.stringify({ ...summaryJson(graph), ...checkpointJson(c) }) + '\n');
			return;
		}
		for (const line of checkpointNotes(values.weights, c)) process.stderr.write(`note: ${line}\n`);
		process.stdout.write(formatSummary(graph, format) + '\n');
		return;
	}
	const graph = buildGraph(loadSpec(values));
	process.stdout.write(formatSummary(graph, format) + '\n');
});
