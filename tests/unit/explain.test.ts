/**
 * Explanations (src/lib/runtime/explain.ts) against PyTorch autograd: Grad-CAM at three nodes
 * per network, saliency, SmoothGrad (the same seeded noise) and occlusion, computed by
 * tools/reference/explain_reference.py for a basic-block net, a CIFAR option-A net, a 1-channel
 * bottleneck net with groups, a plain net with a flatten head and the bundled fashion-resnet on
 * its first sample. Within 1e-3 of the reference's max |value|, on the cpu and wasm backends.
 * And `npm run infer -- --explain …` (DESIGN §3.4) end to end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGraph, type ArchSpec } from '../../src/lib/arch/index';
import { groupOutput } from '../../src/lib/arch/ids';
import { compile, type CompiledNet } from '../../src/lib/runtime/compile';
import { ExplainError, explain, type ExplainInput } from '../../src/lib/runtime/explain';
import { seededRandom } from '../../src/lib/weights/init';
import type { ExplainMethod } from '../../src/lib/runtime/protocol';
import { Session } from '../../src/lib/runtime/session';
import { loadCheckpoint, parseSafetensorsRaw, type Tensor } from '../../src/lib/weights/index';
import { nchwToNhwc, relError } from './runtime-fixtures';

const TOL = 1e-3;
const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'tests', 'fixtures', 'explain');
const read = (f: string) => new Uint8Array(readFileSync(f));

interface ExplainCase {
	name: string;
	spec: ArchSpec;
	weights: ReturnType<typeof loadCheckpoint>;
	input: ExplainInput;
	expected: Map<string, Tensor>;
	meta: {
		nodes: string[];
		top: number;
		saliencyClass: number;
		smoothgrad: { samples: number; sigma: number; seed: number };
		occlusion: { patch: number; stride: number };
	};
}

function loadCase(name: string): ExplainCase {
	const dir = join(FIXTURES, name);
	const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
	const model = meta.bundled ? join(ROOT, 'static', 'models', meta.bundled) : dir;
	const weightsFile = join(model, meta.bundled ? 'model.safetensors' : 'weights.safetensors');
	const x = parseSafetensorsRaw(read(join(dir, 'input.safetensors'))).get('input')!;
	const [, channels, height, width] = x.shape;
	return {
		name,
		spec: JSON.parse(readFileSync(join(model, 'spec.json'), 'utf8')),
		weights: loadCheckpoint(read(weightsFile), weightsFile),
		input: { data: nchwToNhwc(x), height, width, channels },
		expected: parseSafetensorsRaw(read(join(dir, 'expected.safetensors'))),
		meta
	};
}

const cases = readdirSync(FIXTURES)
	.filter((d) => existsSync(join(FIXTURES, d, 'case.json')))
	.sort()
	.map(loadCase);

describe.each(['cpu', 'wasm'])('explanations on tfjs %s vs PyTorch autograd', (backend) => {
	beforeAll(async () => {
		expect(await tf.setBackend(backend)).toBe(true);
	});

	it('has the committed cases', () => {
		expect(cases.map((c) => c.name)).toEqual([
			'basic',
			'cifar-option-a',
			'fashion-resnet',
			'gray-bottleneck-groups',
			'plain-flatten'
		]);
	});

	for (const c of cases) {
		describe(c.name, () => {
			let net: CompiledNet;
			beforeAll(() => {
				net = compile(tf, buildGraph(c.spec), c.weights);
			});
			afterAll(() => net.dispose());

			const check = async (method: ExplainMethod, classIndex: number | null, key: string, k: number) => {
				const e = (await explain(tf, net, c.input, method, classIndex))!;
				const ref = c.expected.get(key)!;
				expect(e.classIndex, key).toBe(k);
				expect([e.height, e.width], key).toEqual(ref.shape);
				const err = relError(e.values, ref.data);
				expect(err, key).toBeLessThanOrEqual(TOL);
				return e;
			};

			for (const node of c.meta.nodes)
				it(`Grad-CAM at ${node} (top-1 class) within ${TOL}`, async () => {
					const e = await check({ kind: 'gradcam', node }, null, `gradcam/${node}`, c.meta.top);
					expect(e.node).toBe(groupOutput(net.graph, node));
					expect(e.values.some((v) => v > 0)).toBe(true);
				});

			it(`saliency for a chosen class within ${TOL}`, async () => {
				await check({ kind: 'saliency' }, c.meta.saliencyClass, 'saliency', c.meta.saliencyClass);
			});

			it(`SmoothGrad (seeded noise) within ${TOL}`, async () => {
				await check({ kind: 'smoothgrad', ...c.meta.smoothgrad }, null, 'smoothgrad', c.meta.top);
			});

			it(`occlusion within ${TOL}`, async () => {
				await check({ kind: 'occlusion', ...c.meta.occlusion }, null, 'occlusion', c.meta.top);
			});
		});
	}

	it('never asks for a filter gradient (wasm has none), nor for the slow input-gradient kernels', async () => {
		const c = cases.find((x) => x.name === 'gray-bottleneck-groups')!;
		const net = compile(tf, buildGraph(c.spec), c.weights, { grouped: 'depthwise' });
		const info = await tf.profile(async () => {
			for (const m of [{ kind: 'saliency' }, { kind: 'gradcam', node: 'layer1' }] as const)
				await explain(tf, net, c.input, m, null);
		});
		expect(info.kernelNames).toContain('Conv2D');
		expect(info.kernelNames).not.toContain('Conv2DBackpropFilter');
		expect(info.kernelNames).not.toContain('Conv2DBackpropInput');
		expect(info.kernelNames).not.toContain('DepthwiseConv2dNativeBackpropInput');
		net.dispose();
	});
});

describe('explanations: requests, progress, cancellation, memory', () => {
	const c = cases.find((x) => x.name === 'basic')!;
	let net: CompiledNet;
	beforeAll(async () => {
		await tf.setBackend('cpu');
		net = compile(tf, buildGraph(c.spec), c.weights);
	});
	afterAll(() => net.dispose());

	it('refuses an unknown node, a class out of range and bad parameters, with specific messages', async () => {
		const bad = async (m: ExplainMethod, k: number | null, pattern: RegExp) => {
			const before = tf.memory().numTensors;
			await expect(explain(tf, net, c.input, m, k)).rejects.toThrow(pattern);
			await expect(explain(tf, net, c.input, m, k)).rejects.toBeInstanceOf(ExplainError);
			expect(tf.memory().numTensors).toBe(before);
		};
		await bad({ kind: 'gradcam', node: 'layer9' }, null, /unknown node or group "layer9"/);
		await bad({ kind: 'saliency' }, 5, /class 5 is out of range: this network has 5 classes/);
		await bad({ kind: 'saliency' }, -1, /class -1 is out of range/);
		await bad({ kind: 'smoothgrad', samples: 0, sigma: 0.1, seed: 1 }, null, /1–1000 samples, got 0/);
		await bad({ kind: 'smoothgrad', samples: 2, sigma: 2, seed: 1 }, null, /sigma .* 0–1, got 2/);
		await bad({ kind: 'occlusion', patch: 32, stride: 1 }, null, /patch must be 1–31 pixels, got 32/);
		await bad({ kind: 'occlusion', patch: 4, stride: 0 }, null, /stride must be a positive integer, got 0/);
	});

	it('leaks no tensor: numTensors is the same after 20 explanations of every kind', async () => {
		const methods: ExplainMethod[] = [
			{ kind: 'gradcam', node: 'layer1' },
			{ kind: 'gradcam', node: 'layer2.1.bn1' },
			{ kind: 'gradcam', node: 'conv1' },
			{ kind: 'saliency' },
			{ kind: 'smoothgrad', samples: 3, sigma: 0.1, seed: 2 },
			{ kind: 'occlusion', patch: 8, stride: 8 }
		];
		// The first use of a conv cut uploads its unfolded weights once (kept with the network).
		for (const m of methods) await explain(tf, net, c.input, m, null);
		const before = tf.memory().numTensors;
		// the top-1 (null) and chosen classes alike
		for (let i = 0; i < 20; i++)
			await explain(tf, net, c.input, methods[i % methods.length], i % 3 ? i % 5 : null);
		expect(tf.memory().numTensors).toBe(before);
	});

	it('a disposed network frees what its explanations uploaded (unfolded, per-group and gradient filters)', async () => {
		const g = cases.find((x) => x.name === 'gray-bottleneck-groups')!;
		const before = tf.memory().numTensors;
		const other = compile(tf, buildGraph(g.spec), g.weights, { grouped: 'depthwise' });
		for (const node of ['layer2.0.conv2', 'layer2.0.bn1', 'layer1'])
			await explain(tf, other, g.input, { kind: 'gradcam', node }, null);
		await explain(tf, other, g.input, { kind: 'saliency' }, null);
		other.dispose();
		expect(tf.memory().numTensors).toBe(before);
	});

	it('reports progress per batch and stops between batches when asked', async () => {
		const seen: [number, number][] = [];
		const e = await explain(tf, net, c.input, { kind: 'occlusion', patch: 2, stride: 1 }, null, {
			onProgress: (done, total) => seen.push([done, total])
		});
		expect([e!.height, e!.width]).toEqual([32, 30]); // 33×31 input
		expect(seen.at(-1)).toEqual([960, 960]);
		expect(seen.length).toBeGreaterThan(1);
		for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThan(seen[i - 1][0]);

		const before = tf.memory().numTensors;
		let asked = 0;
		const stopped = await explain(tf, net, c.input, { kind: 'occlusion', patch: 2, stride: 1 }, null, {
			shouldStop: () => ++asked > 1
		});
		expect(stopped).toBeNull();
		expect(asked).toBe(2);
		expect(tf.memory().numTensors).toBe(before);
	});

	it('SmoothGrad is deterministic with its seed and changes with it', async () => {
		const run = (seed: number) =>
			explain(tf, net, c.input, { kind: 'smoothgrad', samples: 2, sigma: 0.2, seed }, 1);
		const [a, b, d] = [await run(3), await run(3), await run(4)];
		expect(Array.from(a!.values)).toEqual(Array.from(b!.values));
		expect(relError(d!.values, a!.values)).toBeGreaterThan(1e-3);
	});

	it('seededRandom draws standard normal numbers (mean ≈ 0, variance ≈ 1 over 20,000)', () => {
		const normal = seededRandom(11).normal;
		const xs = Array.from({ length: 20000 }, normal);
		const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
		const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
		expect(Math.abs(mean)).toBeLessThan(0.03);
		expect(Math.abs(variance - 1)).toBeLessThan(0.05);
	});

	it('runs through the Session that the worker and the CLI share', async () => {
		const session = new Session(tf);
		const graph = buildGraph(c.spec);
		session.compile(graph, { id: 'basic', tensors: c.weights });
		const e = (await session.explain(c.input, { kind: 'gradcam', node: 'layer2.1' }, null))!;
		expect(relError(e.values, c.expected.get('gradcam/layer2.1')!.data)).toBeLessThanOrEqual(TOL);
		session.dispose();
	});
});

describe('infer --explain (DESIGN §3.4)', () => {
	const infer = (...args: string[]) => {
		const r = spawnSync('npx', ['tsx', 'cli/infer.ts', ...args], { encoding: 'utf8' });
		return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn .*\n/gm, '') };
	};
	const c = cases.find((x) => x.name === 'cifar-option-a')!;
	const dir = join(FIXTURES, c.name);
	const base = ['--spec', join(dir, 'spec.json'), '--weights', join(dir, 'weights.safetensors')];
	const input = ['--input-tensor', join(dir, 'input.safetensors')];

	it.each(['cpu', 'wasm'])(
		'gradcam:NODE and saliency --class K on %s give PyTorch’s maps in the JSON',
		(backend) => {
			const node = c.meta.nodes[1];
			const r = infer(
				...base,
				...input,
				'--backend',
				backend,
				'--format',
				'json',
				'--explain',
				`gradcam:${node}`
			);
			expect(r.stderr).toBe('');
			const e = JSON.parse(r.stdout).explain;
			const ref = c.expected.get(`gradcam/${node}`)!;
			expect({ method: e.method, node: e.node, class: e.class, shape: e.shape }).toEqual({
				method: 'gradcam',
				node,
				class: c.meta.top,
				shape: ref.shape
			});
			expect(relError(e.values, ref.data)).toBeLessThanOrEqual(TOL);

			const k = String(c.meta.saliencyClass);
			const s = JSON.parse(
				infer(
					...base,
					...input,
					'--backend',
					backend,
					'--format',
					'json',
					'--explain',
					'saliency',
					'--class',
					k
				).stdout
			).explain;
			expect([s.method, s.node, s.class]).toEqual(['saliency', null, c.meta.saliencyClass]);
			expect(relError(s.values, c.expected.get('saliency')!.data)).toBeLessThanOrEqual(TOL);
		}
	);

	it('gradcam without a node explains the last block; smoothgrad and occlusion follow the reference', () => {
		const last = JSON.parse(
			infer(...base, ...input, '--format', 'json', '--explain', 'gradcam').stdout
		).explain;
		expect(last.node).toBe(groupOutput(buildGraph(c.spec), 'layer3.0'));
		expect(relError(last.values, c.expected.get('gradcam/layer3.0')!.data)).toBeLessThanOrEqual(TOL);
		const { samples, sigma, seed } = c.meta.smoothgrad;
		const sg = infer(
			...base,
			...input,
			'--format',
			'json',
			'--explain',
			`smoothgrad:${samples}:${sigma}`,
			'--seed',
			String(seed)
		);
		expect(
			relError(JSON.parse(sg.stdout).explain.values, c.expected.get('smoothgrad')!.data)
		).toBeLessThanOrEqual(TOL);
		const { patch, stride } = c.meta.occlusion;
		const oc = JSON.parse(
			infer(...base, ...input, '--format', 'json', '--explain', `occlusion:${patch}:${stride}`).stdout
		).explain;
		expect(oc.shape).toEqual(c.expected.get('occlusion')!.shape);
		expect(relError(oc.values, c.expected.get('occlusion')!.data)).toBeLessThanOrEqual(TOL);
	});

	it('prints a one-line summary in text', () => {
		const r = infer(...base, ...input, '--explain', 'gradcam:layer2');
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(
			/explain gradcam at layer2\.0\.relu2 \(--explain gradcam:layer2\) for class \d: 8×8, mean .*, max .* at row \d, column \d/
		);
	});

	it.each([
		[['--explain', 'gradcam:layer9'], /^error: --explain: unknown node or group "layer9"/],
		[
			['--explain', 'heatmap'],
			/^error: --explain "heatmap": unknown method "heatmap" \(forms: gradcam\[:NODE\]/
		],
		[['--explain', 'smoothgrad:3'], /^error: --explain "smoothgrad:3": smoothgrad takes 2 parameters, got 1/],
		[['--explain', 'smoothgrad:3:x'], /^error: --explain "smoothgrad:3:x": SIGMA must be a number, got "x"/],
		[
			['--explain', 'occlusion:4:0'],
			/^error: --explain: the occlusion stride must be a positive integer, got 0/
		],
		[['--explain', 'saliency:2'], /^error: --explain "saliency:2": saliency takes 0 parameters, got 1/],
		[
			['--explain', 'saliency', '--class', '6'],
			/^error: --explain: class 6 is out of range: this network has 6 classes \(0–5\)/
		],
		[['--explain', 'saliency', '--class', 'two'], /^error: --class must be a whole number, got "two"/],
		[['--class', '1'], /^error: --class needs --explain/]
	])('%j → a clear error, exit 1', (args, message) => {
		const r = infer(...base, ...input, ...args);
		expect(r.code).toBe(1);
		expect(r.stderr).toMatch(message);
		expect(r.stderr).not.toMatch(/\n\s+at /);
	});
});
