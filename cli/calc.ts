/**
 * The shape calculator (DESIGN §3.4):
 *   npm run --silent calc -- --preset NAME [--input C,H,W] [--classes N] [--format json|table|markdown|csv]
 *   npm run --silent calc -- --spec FILE.json [--format …]
 */
import { readFileSync } from 'node:fs';
import {
	PRESET_NAMES,
	SUMMARY_FORMATS,
	buildGraph,
	formatSummary,
	presetSpec,
	specFieldErrors,
	validateSpec,
	type ArchSpec,
	type SummaryFormat
} from '../src/lib/arch/index';
import { UsageError, parse, runCli } from './args';

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

export function loadSpec(values: {
	preset?: string;
	spec?: string;
	input?: string;
	classes?: string;
}): ArchSpec {
	const sources = [values.preset, values.spec].filter((v) => v !== undefined).length;
	if (sources !== 1) throw new UsageError('give exactly one of --preset NAME or --spec FILE.json');
	let spec: ArchSpec;
	if (values.preset !== undefined) {
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
	if (values.input !== undefined) {
		const parts = values.input.split(',');
		if (parts.length !== 3)
			throw new UsageError(`--input takes C,H,W (e.g. 3,224,224), got "${values.input}"`);
		const [channels, height, width] = parts.map((p, i) => positiveInt(p, `--input ${'CHW'[i]}`));
		spec = { ...spec, input: { channels, height, width } };
	}
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
		input: { type: 'string' },
		classes: { type: 'string' },
		format: { type: 'string', default: 'table' }
	});
	const format = values.format as SummaryFormat;
	if (!SUMMARY_FORMATS.includes(format))
		throw new UsageError(`--format must be one of ${SUMMARY_FORMATS.join(', ')}, got "${values.format}"`);
	const graph = buildGraph(loadSpec(values));
	process.stdout.write(formatSummary(graph, format) + '\n');
});
