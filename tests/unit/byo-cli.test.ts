/**
 * `calc --weights FILE` and `infer --weights FILE` without a spec (DESIGN §3.4), against PyTorch's
 * numbers for the networks of tools/reference/byo_models.py (tests/fixtures/byo/cases.json:
 * parameter counts; io.safetensors: a 2-image input and PyTorch's logits for it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSafetensorsRaw } from '../../src/lib/weights/index';
import { relError } from './runtime-fixtures';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'byo');
const CASES: Record<string, { params: number; input: number[] }> = JSON.parse(
	readFileSync(join(DIR, 'cases.json'), 'utf8')
);
const tmp = mkdtempSync(join(tmpdir(), 'byo-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(cli: 'calc' | 'infer', ...args: string[]) {
	const r = spawnSync('npx', ['tsx', `cli/${cli}.ts`, ...args], { encoding: 'utf8' });
	return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn .*\n/gm, '') };
}
const reference = (name: string) =>
	parseSafetensorsRaw(new Uint8Array(readFileSync(join(DIR, name, 'io.safetensors'))));

describe('calc --weights', () => {
	it('JSON: the inferred spec with PyTorch’s params, what was assumed, the mapping', () => {
		const r = run(
			'calc',
			'--weights',
			join(DIR, 'aladdin', 'weights.pth'),
			'--input',
			'3,64,64',
			'--format',
			'json'
		);
		expect(r.stderr).toBe('');
		const out = JSON.parse(r.stdout);
		expect(out.totals.params).toBe(CASES.aladdin.params);
		expect(out.spec.input).toEqual({ channels: 3, height: 64, width: 64 });
		expect(out.assumed.map((a: { path: string }) => a.path)).toContain('stages[1].stride');
		expect(out.mapping).toContainEqual([
			'layer2.0.identity_downsample.1.running_mean',
			'layer2.0.downsample.1.running_mean'
		]);
		expect(out.layers.at(-1)).toMatchObject({ id: 'fc', outShape: [10] });
	});

	it('torchvision’s names: no mapping; a training checkpoint says which dict it used', () => {
		const tv = JSON.parse(
			run('calc', '--weights', join(DIR, 'torchvision', 'weights.pth'), '--format', 'json').stdout
		);
		expect(tv.totals.params).toBe(CASES.torchvision.params);
		expect(tv.mapping).toBeUndefined();
		const w = JSON.parse(
			run('calc', '--weights', join(DIR, 'wrappers', 'state_dict_best_acc1.pth'), '--format', 'json').stdout
		);
		expect(w.totals.params).toBe(CASES.sequential.params);
		expect(w.checkpoint).toMatchObject({ dict: 'state_dict', prefix: 'module.' });
	});

	it('a table on stdout, what was read and assumed on stderr as notes', () => {
		const r = run('calc', '--weights', join(DIR, 'sequential', 'weights.pth'));
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/Params:\s+13,150/);
		expect(r.stderr).toMatch(
			/^note: network read from .*sequential\/weights\.pth: 59 tensors matched by order and shape/m
		);
		expect(r.stderr).toMatch(/^note: assumed input = 1×28×28: the fc reads 784 = 16·7·7 features/m);
	});

	it('errors: error: and exit 1', () => {
		const both = run('calc', '--weights', join(DIR, 'sequential', 'weights.pth'), '--preset', 'resnet18');
		expect(both.code).toBe(1);
		expect(both.stderr).toMatch(/^error: --weights FILE reads the network from the file: give it alone/);
		const bad = run('calc', '--weights', join(DIR, 'cases.json'));
		expect(bad.code).toBe(1);
		expect(bad.stderr).toMatch(/^error: .*cases\.json: not a weights file .*JSON text/);
		const channels = run('calc', '--weights', join(DIR, 'sequential', 'weights.pth'), '--input', '3,28,28');
		expect(channels.stderr).toMatch(
			/^error: .*the input has 3 channels but the first conv stem\.0\.weight \[4, 1, 3, 3\] reads 1/
		);
	});
});

describe('infer --weights without a spec', () => {
	it.each(['custom', 'sequential'])('%s: both images’ logits, as PyTorch gives them', (name) => {
		const ref = reference(name);
		const r = run(
			'infer',
			'--weights',
			join(DIR, name, 'weights.pth'),
			'--input-tensor',
			join(DIR, name, 'io.safetensors'),
			'--format',
			'json'
		);
		expect(r.stderr).toBe('');
		const out = JSON.parse(r.stdout);
		expect(out.logits).toHaveLength(2);
		expect(out.top).toHaveLength(2);
		expect(relError(out.logits.flat(), ref.get('logits')!.data)).toBeLessThan(1e-4);
		expect(out.spec.input.height).toBe(CASES[name].input[1]);
		expect(out.mapping.length).toBeGreaterThan(0);
	});

	it('--spec with a tutorial’s checkpoint: its names matched by order and shape, PyTorch’s logits', () => {
		const calc = JSON.parse(
			run('calc', '--weights', join(DIR, 'aladdin', 'weights.pth'), '--input', '3,64,64', '--format', 'json')
				.stdout
		);
		const spec = join(tmp, 'aladdin.json');
		writeFileSync(spec, JSON.stringify(calc.spec));
		const r = run(
			'infer',
			'--spec',
			spec,
			'--weights',
			join(DIR, 'aladdin', 'weights.pth'),
			'--input-tensor',
			join(DIR, 'aladdin', 'io.safetensors'),
			'--format',
			'json'
		);
		expect(r.stderr).toBe('');
		const out = JSON.parse(r.stdout);
		expect(out.mapping).toContainEqual([
			'layer2.0.identity_downsample.0.weight',
			'layer2.0.downsample.0.weight'
		]);
		expect(relError(out.logits.flat(), reference('aladdin').get('logits')!.data)).toBeLessThan(1e-4);
	});

	it('--spec still wins, and an N-image tensor gives N lists of logits (not the first image’s only)', () => {
		const calc = JSON.parse(
			run(
				'calc',
				'--weights',
				join(DIR, 'torchvision', 'weights.pth'),
				'--input',
				'3,64,64',
				'--format',
				'json'
			).stdout
		);
		const spec = join(tmp, 'tv.json');
		writeFileSync(spec, JSON.stringify(calc.spec));
		const r = run(
			'infer',
			'--spec',
			spec,
			'--weights',
			join(DIR, 'torchvision', 'weights.pth'),
			'--input-tensor',
			join(DIR, 'torchvision', 'io.safetensors'),
			'--format',
			'json'
		);
		expect(r.stderr).toBe('');
		const out = JSON.parse(r.stdout);
		expect(out.spec).toBeUndefined();
		expect(out.logits).toHaveLength(2);
		expect(relError(out.logits.flat(), reference('torchvision').get('logits')!.data)).toBeLessThan(1e-4);
	});
});
