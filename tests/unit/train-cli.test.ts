/**
 * `npm run train` (DESIGN §3.4) end to end, against PyTorch's runs of the committed reference
 * cases (tools/reference/train_reference.py): losses and every tensor of OUT within 1e-3.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSafetensorsRaw, writeSafetensors } from '../../src/lib/weights/index';
import { relError } from './runtime-fixtures';
import { TRAIN_FIXTURES, trainCases } from './train-fixtures';

const tmp = mkdtempSync(join(tmpdir(), 'train-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function train(...args: string[]) {
	const r = spawnSync('npx', ['tsx', 'cli/train.ts', ...args], { encoding: 'utf8' });
	return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn .*\n/gm, '') };
}

const cases = new Map(trainCases().map((c) => [c.name, c]));

function caseArgs(name: string, out: string) {
	const c = cases.get(name)!;
	const o = c.optimizer as { lr: number; momentum: number; weightDecay: number };
	return [
		'--spec',
		join(c.dir, 'spec.json'),
		'--weights',
		join(c.dir, 'init.safetensors'),
		'--data',
		join(c.dir, 'data.safetensors'),
		'--steps',
		String(c.steps),
		'--batch',
		String(c.batch),
		'--lr',
		String(o.lr),
		'--momentum',
		String(o.momentum),
		'--weight-decay',
		String(o.weightDecay),
		'--no-shuffle',
		'--out',
		out,
		'--format',
		'json'
	];
}

describe('train --format json vs PyTorch', () => {
	it.each([
		['basic-a-sgd', 'wasm', []],
		['frozen-backbone', 'cpu', ['--freeze', 'backbone']]
	])('%s on %s: losses and every tensor of OUT', (name, backend, extra) => {
		const c = cases.get(name)!;
		const out = join(tmp, `${name}.safetensors`);
		const r = train(...caseArgs(name, out), '--backend', backend, ...extra);
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		const json = JSON.parse(r.stdout);
		expect(json.backend).toBe(backend);
		expect(json.losses.length).toBe(c.steps);
		json.losses.forEach((l: number, j: number) =>
			expect(Math.abs(l - c.losses[j]) / c.losses[j]).toBeLessThan(1e-3)
		);
		const written = parseSafetensorsRaw(new Uint8Array(readFileSync(out)));
		expect([...written.keys()].sort()).toEqual([...c.expected.keys()].sort());
		for (const [k, t] of c.expected) {
			expect(written.get(k)!.shape, k).toEqual(t.shape);
			expect(relError(written.get(k)!.data, t.data), k).toBeLessThan(1e-3);
		}
	});
});

describe('train --data fashion-mnist:N vs PyTorch', () => {
	it("reads Debian's Fashion-MNIST normalised as the bundled model: PyTorch's losses", () => {
		const ref = JSON.parse(readFileSync(join(TRAIN_FIXTURES, 'fashion-mnist.json'), 'utf8'));
		const r = train(
			'--spec',
			'static/models/fashion-resnet/spec.json',
			'--weights',
			'static/models/fashion-resnet/model.safetensors',
			'--data',
			ref.data,
			'--steps',
			String(ref.steps),
			'--batch',
			String(ref.batch),
			'--lr',
			String(ref.lr),
			'--momentum',
			String(ref.momentum),
			'--weight-decay',
			String(ref.weightDecay),
			'--no-shuffle',
			'--backend',
			'wasm',
			'--out',
			join(tmp, 'fashion.safetensors')
		);
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		const losses = JSON.parse(r.stdout).losses as number[];
		expect(losses.length).toBe(ref.steps);
		losses.forEach((l, j) =>
			expect(Math.abs(l - ref.losses[j]) / ref.losses[j], `loss ${j}`).toBeLessThan(1e-3)
		);
	});
});

describe('train errors', () => {
	const name = 'basic-a-sgd';
	const out = join(tmp, 'err.safetensors');
	const base = () => caseArgs(name, out);
	const replace = (args: string[], flag: string, value: string) => {
		const a = [...args];
		a[a.indexOf(flag) + 1] = value;
		return a;
	};
	const bad = join(tmp, 'bad-data.safetensors');
	const c = cases.get(name)!;
	writeFileSync(
		bad,
		writeSafetensors(
			new Map([
				['images', { shape: c.shape, data: c.images }],
				['labels', { shape: [c.shape[0]], data: Float32Array.from(c.labels, (l, i) => (i === 3 ? 99 : l)) }]
			])
		)
	);
	it.each([
		['no --out', base().slice(0, -4).concat(['--format', 'json']), /--out is required/],
		['a bad --steps', replace(base(), '--steps', 'many'), /--steps must be a whole number/],
		['a missing data file', replace(base(), '--data', join(tmp, 'none.safetensors')), /cannot read data/],
		['a label out of range', replace(base(), '--data', bad), /label 99 is not a class of 0…4/],
		[
			'a weights file of another network',
			replace(base(), '--weights', join(c.dir, 'data.safetensors')),
			/weights/
		],
		['--freeze other', [...base(), '--freeze', 'stem'], /--freeze must be "backbone"/],
		[
			'fashion-mnist on a 3-channel network',
			replace(base(), '--data', 'fashion-mnist:10'),
			/fashion-mnist is 1×28×28/
		]
	])('%s: an error line, no stack trace', (_what, args, message) => {
		const r = train(...(args as string[]));
		expect(r.code).not.toBe(0);
		expect(r.stderr).toMatch(/^error: /);
		expect(r.stderr).toMatch(message);
		expect(r.stderr).not.toMatch(/\n\s+at /);
		expect(r.stdout).toBe('');
	});
});
