/**
 * The calc command line (DESIGN §3.4), run as a user runs it: a child process. Its numbers are
 * compared with the PyTorch fixture (tools/reference/arch_reference.py), its forms with the contract.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, type ArchSpec } from '../../src/lib/arch';

type Layer = [id: string, shape: number[], params: number, macs: number];
interface Case {
	name: string;
	spec: ArchSpec;
	totals: { params: number; buffers: number; macs: number };
	layers: Layer[];
}
const cases = (
	JSON.parse(readFileSync(new URL('../fixtures/arch-reference.json', import.meta.url), 'utf8')) as {
		cases: Case[];
	}
).cases;
// timm's variants and the pre-activation nets: the timm fixture (tools/reference/timm_reference.py),
// its weighted 2-D modules (same ids as ours; resnetv2's head.fc is a 1×1 conv there) as layers.
type TimmLayer = [path: string, type: string, shape: number[], params: number, macs: number];
const timmCases = (
	JSON.parse(readFileSync(new URL('../fixtures/timm-reference.json', import.meta.url), 'utf8')) as {
		cases: (Omit<Case, 'layers'> & { layers: TimmLayer[] })[];
	}
).cases.map((c): Case => ({
	...c,
	layers: c.layers
		.filter(([path, type]) => /^(Conv2d|BatchNorm2d|BatchNormAct2d|Linear)$/.test(type) && path !== 'head.fc')
		.map(([path, , shape, params, macs]) => [path, shape, params, macs])
}));
const ref = (name: string) => cases.find((c) => c.name === name) ?? timmCases.find((c) => c.name === name)!;

const ROOT = new URL('../..', import.meta.url).pathname;

interface Run {
	code: number;
	stdout: string;
	stderr: string;
}
function calc(...args: string[]): Promise<Run> {
	return new Promise((resolve) => {
		execFile(
			process.execPath,
			['--import', 'tsx', 'cli/calc.ts', ...args],
			{ cwd: ROOT, maxBuffer: 64 << 20 },
			(err, stdout, stderr) => {
				const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
				resolve({ code, stdout, stderr });
			}
		);
	});
}

const dir = mkdtempSync(join(tmpdir(), 'calc-test-'));
const file = (name: string, text: string) => {
	const path = join(dir, name);
	writeFileSync(path, text);
	return path;
};

/** A spec file exercising several knobs: cifar stem, option B, 3 stages, 40×40, 7 classes. */
const custom = ref('custom-B');
const customFile = file('custom.json', JSON.stringify(custom.spec, null, 2));

/** The fixture's layers as our ids → PyTorch's output shape: [C, H, W], and [classes] for fc. */
const refShapes = (c: Case) => new Map(c.layers.map(([id, s]) => [id, s]));

describe('calc --format json, every preset, against PyTorch', () => {
	it.concurrent.each(PRESET_NAMES.map((n) => [n]))('%s', async (name) => {
		const r = await calc('--preset', name, '--format', 'json');
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		const out = JSON.parse(r.stdout);
		const c = ref(name);
		expect(out.spec).toEqual(c.spec);
		expect({ params: out.totals.params, buffers: out.totals.buffers, macs: out.totals.macs }).toEqual(
			c.totals
		);
		const shapes = refShapes(c);
		const ours = out.layers.filter((l: { id: string }) => shapes.has(l.id));
		expect(ours.length).toBe(shapes.size);
		for (const l of ours) expect([l.id, l.outShape]).toEqual([l.id, shapes.get(l.id)]);
	});
});

describe('calc --spec FILE in every format', () => {
	it('json follows the contract (§3.4)', async () => {
		const r = await calc('--spec', customFile, '--format', 'json');
		expect(r.code).toBe(0);
		const out = JSON.parse(r.stdout);
		expect(Object.keys(out).sort()).toEqual(['layers', 'spec', 'totals']);
		expect(out.spec).toEqual(custom.spec);
		expect(Object.keys(out.totals).sort()).toEqual(['activationBytes', 'buffers', 'flops', 'macs', 'params']);
		expect(out.totals).toMatchObject(custom.totals);
		for (const l of out.layers) {
			expect(Object.keys(l).sort()).toEqual(
				['id', 'op', 'inShape', 'outShape', 'params', 'macs', 'flops', 'receptiveField'].sort()
			);
			// [C, H, W]; fc's output is [classes] (DESIGN §3.2), as PyTorch's Linear gives it
			expect(l.inShape).toHaveLength(3);
			expect(l.outShape).toHaveLength(l.op === 'linear' ? 1 : 3);
		}
		const shapes = refShapes(custom);
		for (const l of out.layers) if (shapes.has(l.id)) expect(l.outShape).toEqual(shapes.get(l.id));
		// Every layer is there, and params and MACs add up to the totals.
		for (const [id] of custom.layers) expect(out.layers.some((l: { id: string }) => l.id === id)).toBe(true);
		const sum = (k: string) => out.layers.reduce((s: number, l: Record<string, number>) => s + l[k], 0);
		expect([sum('params'), sum('macs'), sum('flops')]).toEqual([
			out.totals.params,
			out.totals.macs,
			out.totals.flops
		]);
	});

	it('csv has the columns, one row per layer', async () => {
		const r = await calc('--spec', customFile, '--format', 'csv');
		expect(r.code).toBe(0);
		const [header, ...rows] = r.stdout.trim().split('\n');
		const cols = header.split(',');
		expect(cols).toEqual([
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
		]);
		const records = rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [cols[i], v])));
		expect(rows.every((row) => row.split(',').length === cols.length)).toBe(true);
		const shapes = refShapes(custom);
		for (const [id, params, macs] of custom.layers.map((l) => [l[0], l[2], l[3]] as const)) {
			const rec = records.find((x) => x.id === id)!;
			expect(rec, id).toBeDefined();
			// fc's [classes] leaves out_h and out_w empty
			const out = [rec.out_c, rec.out_h, rec.out_w].filter((v) => v !== '').map(Number);
			expect(out).toEqual(shapes.get(id));
			expect([Number(rec.params), Number(rec.macs)]).toEqual([params, macs]);
		}
		const total = (k: string) => records.reduce((s, x) => s + Number(x[k]), 0);
		expect([total('params'), total('buffers'), total('macs')]).toEqual([
			custom.totals.params,
			custom.totals.buffers,
			custom.totals.macs
		]);
	});

	it('markdown is a table with every layer', async () => {
		const r = await calc('--spec', customFile, '--format', 'markdown');
		expect(r.code).toBe(0);
		const lines = r.stdout.trim().split('\n');
		const head = lines.findIndex((l) => l.startsWith('| Layer |'));
		expect(head).toBeGreaterThanOrEqual(0);
		expect(lines[head + 1]).toMatch(/^\|(\s*:?-+:?\s*\|)+$/);
		const width = lines[head].split('|').length;
		const body = lines.slice(head + 2, lines.indexOf('', head));
		expect(body.every((l) => l.split('|').length === width)).toBe(true);
		for (const [id] of custom.layers)
			expect(
				body.some((l) => l.startsWith(`| \`${id}\` |`)),
				id
			).toBe(true);
		const digits = (s: string) => s.replace(/\D/g, '');
		const paramsRow = lines.find((l) => l.startsWith('| Params |'))!;
		expect(digits(paramsRow)).toBe(String(custom.totals.params));
	});

	it('table (the default) lists every layer and the totals', async () => {
		const r = await calc('--spec', customFile);
		expect(r.code).toBe(0);
		for (const [id] of custom.layers)
			expect(r.stdout).toMatch(new RegExp(`^\\s*${id.replace(/\./g, '\\.')}\\s`, 'm'));
		const line = r.stdout.split('\n').find((l) => l.startsWith('Params:'))!;
		expect(line.replace(/\D/g, '')).toBe(String(custom.totals.params));
	});

	it('--input and --classes change a preset (resnet18 on 1×64×64, 10 classes)', async () => {
		const r = await calc('--preset', 'resnet18', '--input', '1,64,64', '--classes', '10', '--format', 'json');
		expect(r.code).toBe(0);
		const out = JSON.parse(r.stdout);
		const c = ref('resnet18-1ch');
		expect({ ...out.spec, name: c.spec.name }).toEqual(c.spec);
		expect(out.totals).toMatchObject(c.totals);
	});
});

describe('bad input: `error: …` on stderr, exit 1, no stack trace', () => {
	const bad: [string, string[], RegExp][] = [
		['unknown preset', ['--preset', 'resnet51'], /unknown preset "resnet51"/],
		['malformed JSON', ['--spec', file('bad.json', '{"name": "x",')], /not valid JSON/],
		['missing file', ['--spec', join(dir, 'nope.json')], /cannot read .*ENOENT/],
		[
			'invalid spec',
			[
				'--spec',
				file(
					'invalid.json',
					JSON.stringify({
						...custom.spec,
						stages: [custom.spec.stages[0], { blocks: 0, width: 8, stride: 2 }]
					})
				)
			],
			/stages\[1\]\.blocks: must be at least 1/
		],
		['spec not an object', ['--spec', file('array.json', '[1, 2]')], /a spec must be a JSON object/],
		['--input with two numbers', ['--preset', 'resnet18', '--input', '3,224'], /--input takes C,H,W/],
		['--input with a zero', ['--preset', 'resnet18', '--input', '3,0,224'], /--input H must be a positive/],
		['--input not numbers', ['--preset', 'resnet18', '--input', 'a,b,c'], /--input C must be a positive/],
		['--classes 0', ['--preset', 'resnet18', '--classes', '0'], /--classes must be a positive/],
		['unknown format', ['--preset', 'resnet18', '--format', 'xml'], /--format must be one of/],
		['unknown option', ['--preset', 'resnet18', '--colour'], /--colour/],
		['two sources', ['--preset', 'resnet18', '--spec', customFile], /exactly one of --preset/],
		['no source', [], /exactly one of --preset/]
	];
	it.concurrent.each(bad)('%s', async (_what, args, message) => {
		const r = await calc(...args);
		expect(r.code).toBe(1);
		expect(r.stdout).toBe('');
		expect(r.stderr).toMatch(/^error: /);
		expect(r.stderr).toMatch(message);
		expect(r.stderr.trim().split('\n')).toHaveLength(1);
		expect(r.stderr).not.toMatch(/\n\s+at /);
	});
});
