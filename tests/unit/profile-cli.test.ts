/**
 * `infer --profile` (DESIGN §3.4 + issue 15): the JSON's profile accounts for every node of the
 * network (calc's layer list is the reference for the ids), folded nodes name the node that runs
 * them, and the logits stay PyTorch's. Structure only: no timing thresholds.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, loadCase, relError } from './runtime-fixtures';

function run(tool: string, ...args: string[]) {
	const r = spawnSync('npx', ['tsx', `cli/${tool}.ts`, ...args], { encoding: 'utf8' });
	return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn .*\n/gm, '') };
}

describe('infer --profile', () => {
	const c = loadCase(join(FIXTURES, 'cifar-option-a'));
	const args = ['--spec', join(c.dir, 'spec.json'), '--weights', c.weightsFile];
	const input = ['--input-tensor', join(c.dir, 'input.safetensors')];

	it.each(['cpu', 'wasm'])('on %s: every layer calc lists, timed or folded', (backend) => {
		const r = run(
			'infer',
			...args,
			...input,
			'--backend',
			backend,
			'--profile',
			'--runs',
			'2',
			'--format',
			'json'
		);
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		const out = JSON.parse(r.stdout);
		expect(relError(out.logits, c.logits.data)).toBeLessThanOrEqual(1e-4);
		const p = out.profile;
		expect(p.backend).toBe(backend);
		expect(p.runs).toBe(2);
		const layers = JSON.parse(run('calc', '--spec', join(c.dir, 'spec.json'), '--format', 'json').stdout)
			.layers as { id: string; op: string }[];
		const ids = layers.filter((l) => l.op !== 'input').map((l) => l.id);
		expect(Object.keys(p.nodes).sort()).toEqual([...ids].sort());
		for (const l of layers)
			if (l.op === 'batchnorm') expect(p.foldedInto[l.id], l.id).toMatch(/conv|downsample\.0/);
		for (const [id, carrier] of Object.entries(p.foldedInto as Record<string, string>)) {
			expect(p.nodes[id], id).toBe(0);
			expect(ids, id).toContain(carrier);
		}
		const sum = ids.reduce((s, id) => s + p.nodes[id], 0);
		expect(Math.abs(sum - p.totalMs)).toBeLessThanOrEqual(0.001 * ids.length);
		expect(p.forwardMs).toBeGreaterThan(0);
		expect(p.stepwiseMs).toBeGreaterThan(0);
		expect(p.gap).toBeCloseTo(Math.abs(p.totalMs - p.forwardMs) / p.forwardMs, 2);
	});

	it('text output states the total against a plain forward', () => {
		const r = run('infer', ...args, ...input, '--profile', '--runs', '1');
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/nodes' total [\d.]+ ms vs plain forward [\d.]+ ms: [\d.]+ % apart/);
	});

	it.each([
		[['--runs', '3'], 'error: --runs needs --profile'],
		[['--profile', '--runs', '0'], 'error: --runs must be a whole number from 1 to 1000, got "0"']
	])('refuses %j', (extra, message) => {
		const r = run('infer', ...args, ...input, ...extra);
		expect(r.code).not.toBe(0);
		expect(r.stderr.trim()).toBe(message);
	});
});
