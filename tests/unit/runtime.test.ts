/**
 * The tfjs runtime against PyTorch: logits and intermediate activations of reference cases
 * (tools/reference/run_reference.py) must agree to 1e-4 relative to the reference's max |value|,
 * on the cpu and wasm backends. resnet18/resnet50 (too big to commit) are generated into a
 * temporary folder when Debian's python3-torchvision is installed.
 */
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGraph, presetSpec } from '../../src/lib/arch/index';
import { TapError, compile, type GroupedMode } from '../../src/lib/runtime/compile';
import { Session } from '../../src/lib/runtime/session';
import { WeightsListError, initWeights, type TensorMap } from '../../src/lib/weights/index';
import {
	PYTHON,
	hasTorch,
	loadCase,
	nchwToNhwc,
	nhwcToNchw,
	relError,
	smallCases,
	type RefCase
} from './runtime-fixtures';

const TOL = 1e-4;

async function runCase(c: RefCase, grouped: GroupedMode = 'auto') {
	const graph = buildGraph(c.spec);
	const net = compile(tf, graph, c.weights, { grouped });
	const [n, ch, h, w] = c.input.shape;
	const x = tf.tensor4d(nchwToNhwc(c.input), [n, h, w, ch]);
	const tapIds = [...c.taps.keys()];
	const out = net.forward(x, tapIds);
	const errors: Record<string, number> = { logits: relError(await out.logits.data(), c.logits.data) };
	for (const id of tapIds) {
		const t = out.taps.get(id)!;
		const expected = c.taps.get(id)!;
		expect(t.shape, id).toEqual([expected.shape[0], expected.shape[2], expected.shape[3], expected.shape[1]]);
		errors[id] = relError(nhwcToNchw(await t.data(), t.shape), expected.data);
	}
	x.dispose();
	out.logits.dispose();
	for (const t of out.taps.values()) t.dispose();
	net.dispose();
	return errors;
}

const cases = smallCases();

describe.each(['cpu', 'wasm'])('tfjs %s backend vs PyTorch', (backend) => {
	beforeAll(async () => {
		expect(await tf.setBackend(backend)).toBe(true);
	});

	it('has the committed cases', () => {
		expect(cases.map((c) => c.name).sort()).toEqual([
			'cifar-option-a',
			'plain-flatten',
			'resnext-tiny',
			'stride1x1-bias-gray'
		]);
	});

	for (const c of cases) {
		it(`${c.name} (${c.meta.format} ${c.meta.dtype}): logits and ${c.taps.size} taps within ${TOL}`, async () => {
			const errors = await runCase(c);
			for (const [id, e] of Object.entries(errors)) expect(e, id).toBeLessThanOrEqual(TOL);
		});
	}

	it("max pool pads with −∞ as PyTorch's MaxPool2d(3, 2, 1) does (not with 0)", async () => {
		// torch.nn.MaxPool2d(3, 2, 1)(-(torch.arange(16.).reshape(1, 1, 4, 4) + 1)) →
		// [[-1, -2], [-5, -6]]: every window is fully negative, padding never wins.
		const x = tf.neg(tf.add(tf.range(0, 16).reshape([1, 4, 4, 1]), 1)) as tf.Tensor4D;
		const y = tf.maxPool(x, 3, 2, 1);
		expect(Array.from(await y.data())).toEqual([-1, -2, -5, -6]);
		tf.dispose([x, y]);
	});

	it.each(['split', 'depthwise'] as const)('grouped convolutions agree in %s mode', async (mode) => {
		const c = cases.find((x) => x.spec.groups > 1)!;
		const errors = await runCase(c, mode);
		for (const [id, e] of Object.entries(errors)) expect(e, id).toBeLessThanOrEqual(TOL);
	});
});

describe('compiled network lifecycle', () => {
	beforeAll(async () => {
		await tf.setBackend('cpu');
	});
	const c = cases.find((x) => x.name === 'cifar-option-a')!;
	const graph = buildGraph(c.spec);
	const [n, ch, h, w] = c.input.shape;

	it('leaks no tensor: numTensors after 50 forwards equals that after 1', async () => {
		const before = tf.memory().numTensors;
		const net = compile(tf, graph, c.weights);
		const x = tf.tensor4d(nchwToNhwc(c.input), [n, h, w, ch]);
		const pass = async () => {
			const out = net.forward(x, ['layer1.0.conv1', 'layer2.0.shortcut', 'layer2.0.bn2', 'input', 'fc']);
			await out.logits.data();
			out.logits.dispose();
			for (const t of out.taps.values()) t.dispose();
		};
		await pass();
		const afterOne = tf.memory().numTensors;
		for (let i = 0; i < 49; i++) await pass();
		expect(tf.memory().numTensors).toBe(afterOne);
		x.dispose();
		net.dispose();
		expect(tf.memory().numTensors).toBe(before);
	});

	it('refuses weights that do not fit, listing every problem, uploading nothing', () => {
		const before = tf.memory().numTensors;
		const bad: TensorMap = new Map(c.weights);
		bad.delete('layer1.0.bn1.running_var');
		bad.set('layer2.0.conv1.weight', { shape: [32, 16, 1, 1], data: new Float32Array(32 * 16) });
		bad.set('layer9.0.conv1.weight', { shape: [1], data: new Float32Array(1) });
		let err: unknown;
		try {
			compile(tf, graph, bad);
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(WeightsListError);
		const list = (err as WeightsListError).errors;
		expect(list.map((e) => [e.tensor, e.expected, e.actual])).toEqual([
			['layer1.0.bn1.running_var', '[16]', 'missing'],
			['layer2.0.conv1.weight', '[32, 16, 3, 3]', '[32, 16, 1, 1]'],
			['layer9.0.conv1.weight', 'no such tensor in this network', '[1]']
		]);
		expect(tf.memory().numTensors).toBe(before);
	});

	it('names an unknown tap', () => {
		const net = compile(tf, graph, c.weights);
		const x = tf.zeros([1, h, w, ch]) as tf.Tensor4D;
		expect(() => net.forward(x, ['layer7.0.conv1'])).toThrow(TapError);
		x.dispose();
		net.dispose();
	});

	it('runs seeded random weights for every preset family (finite logits, right shape)', async () => {
		for (const name of ['resnet18', 'resnext50_32x4d', 'resnet20']) {
			const spec = presetSpec(name)!;
			spec.input = { ...spec.input, height: 32, width: 32 };
			const g = buildGraph(spec);
			const net = compile(tf, g, initWeights(g, 3));
			const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
			const out = net.forward(x);
			const v = await out.logits.data();
			expect(out.logits.shape).toEqual([2, spec.head.classes]);
			expect(v.every(Number.isFinite)).toBe(true);
			x.dispose();
			out.logits.dispose();
			net.dispose();
		}
	});
});

describe('Session (the worker and the CLI run networks through it)', () => {
	beforeAll(async () => {
		await tf.setBackend('cpu');
	});

	it('gives PyTorch’s logits and taps in C,H,W order, keeps them per key, and frees everything', async () => {
		const c = cases.find((x) => x.name === 'cifar-option-a')!;
		const graph = buildGraph(c.spec);
		const [, ch, h, w] = c.input.shape;
		const before = tf.memory().numTensors;
		const session = new Session(tf);
		expect(session.compile(graph, { id: 'w1', tensors: c.weights })).toBe(true);
		expect(session.compile(graph, { id: 'w1', tensors: c.weights })).toBe(false); // already compiled
		const ids = [...c.taps.keys()];
		const input = { data: nchwToNhwc(c.input), batch: 1, height: h, width: w, channels: ch };
		const r = await session.forward(input, ids, 'image-1|w1');
		expect(relError(r.logits, c.logits.data)).toBeLessThanOrEqual(TOL);
		expect(r.tapped.sort()).toEqual([...ids].sort());
		const taps = await session.readTaps();
		for (const id of ids) {
			const expected = c.taps.get(id)!; // PyTorch's NCHW, N = 1: C,H,W already
			expect(taps.get(id)!.shape, id).toEqual(expected.shape.slice(1));
			expect(relError(taps.get(id)!.data, expected.data), id).toBeLessThanOrEqual(TOL);
		}
		expect(session.hasTap(ids[0], 'image-1|w1')).toBe(true);
		expect(session.hasTap(ids[0], 'image-2|w1')).toBe(false);
		const maps = await session.featureMaps(ids[0]);
		expect(maps?.channels).toBe(c.taps.get(ids[0])!.shape[1]);
		session.dispose();
		expect(session.hasTap(ids[0], 'image-1|w1')).toBe(false);
		expect(tf.memory().numTensors).toBe(before);
	});
});

const torch = hasTorch();
if (!torch)
	console.warn(
		`runtime.test: ${PYTHON} has no torch/torchvision (apt-get install python3-torchvision): resnet18/resnet50 reference cases skipped`
	);

describe.skipIf(!torch)(
	'real resnet18 and resnet50 topology at 64×64 (generated by PyTorch on the fly)',
	() => {
		let dir = '';
		let big: RefCase[] = [];
		beforeAll(() => {
			dir = mkdtempSync(join(tmpdir(), 'resnet-ref-'));
			const r = spawnSync(PYTHON, ['tools/reference/run_reference.py', '--big', '--out', dir], {
				encoding: 'utf8'
			});
			if (r.status !== 0) throw new Error(`run_reference.py failed: ${r.stderr}`);
			big = readdirSync(dir).map((d) => loadCase(join(dir, d)));
		}, 300_000);
		afterAll(() => {
			if (dir) rmSync(dir, { recursive: true, force: true });
		});

		it.each(['cpu', 'wasm'])(
			'resnet18 and resnet50 agree with torchvision on %s',
			async (backend) => {
				await tf.setBackend(backend);
				expect(big.map((c) => c.name).sort()).toEqual(['resnet18-64', 'resnet50-64']);
				for (const c of big) {
					const errors = await runCase(c);
					for (const [id, e] of Object.entries(errors)) expect(e, `${c.name} ${id}`).toBeLessThanOrEqual(TOL);
				}
			},
			300_000
		);
	}
);
