/**
 * The trainer against PyTorch (tools/reference/train_reference.py, float64): after K steps the
 * losses and every parameter and BN running statistic agree within 1e-3 (relative to each
 * tensor's largest |value|), on the cpu and wasm backends; the schedules give PyTorch's learning
 * rates; no tensor leaks across 100 steps; the same inputs give the same numbers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGraph, presetSpec } from '../../src/lib/arch/index';
import { Trainer, TrainError } from '../../src/lib/runtime/train';
import { registerTrainingKernels } from '../../src/lib/runtime/kernels/index';
import { initWeights, WeightsListError } from '../../src/lib/weights/index';
import { lrAt, momentumAt, type Schedule } from '../../src/lib/train/index';
import { relError } from './runtime-fixtures';
import { TRAIN_FIXTURES, replay, trainCases } from './train-fixtures';

const TOL = 1e-3;
const cases = trainCases();

describe('schedules', () => {
	const ref = JSON.parse(readFileSync(join(TRAIN_FIXTURES, 'schedules.json'), 'utf8')) as {
		totalSteps: number;
		baseLr: number;
		schedules: { schedule: Schedule; lrs: number[]; momenta: number[] }[];
	};
	it.each(ref.schedules.map((s) => [JSON.stringify(s.schedule), s] as const))(
		'%s gives torch.optim.lr_scheduler’s learning rates and momenta',
		(_name, s) => {
			const ours = s.lrs.map((_, t) => lrAt(s.schedule, ref.baseLr, t, ref.totalSteps));
			for (let t = 0; t < ours.length; t++) expect(ours[t]).toBeCloseTo(s.lrs[t], 10);
			// The reference's SGD was made with momentum 0.9: a schedule that sets none leaves it.
			const momenta = s.momenta.map((_, t) => momentumAt(s.schedule, t, ref.totalSteps) ?? 0.9);
			for (let t = 0; t < momenta.length; t++) expect(momenta[t]).toBeCloseTo(s.momenta[t], 10);
		}
	);
});

describe.each(['cpu', 'wasm'])('training on tfjs %s vs PyTorch', (backend) => {
	beforeAll(async () => {
		registerTrainingKernels(tf);
		expect(await tf.setBackend(backend)).toBe(true);
	});

	it('has the committed cases', () => {
		expect(cases.map((c) => c.name).sort()).toEqual([
			'basic-a-sgd',
			'basic-b-momentum-no-decay',
			'bottleneck-b-adam',
			'droppath-d',
			'droppath-preact',
			'eca-bottleneck',
			'frozen-backbone',
			'groups-c-sgd',
			'last-stage-trains',
			'onecycle-adam',
			'onecycle-sgd',
			'plain-flatten-bias',
			'preact-basic',
			'se-d-deep-stem'
		]);
	});

	it.each(cases.map((c) => [c.name, c] as const))(
		'%s: losses and every tensor after K steps',
		async (_n, c) => {
			const { losses, state } = await replay(tf, c);
			expect(losses.length).toBe(c.steps);
			for (let j = 0; j < c.steps; j++)
				expect(Math.abs(losses[j] - c.losses[j]) / Math.abs(c.losses[j]), `loss ${j}`).toBeLessThan(TOL);
			expect([...state.keys()].sort()).toEqual([...c.expected.keys()].sort());
			const errors: Record<string, number> = {};
			for (const [k, t] of c.expected) errors[k] = relError(state.get(k)!.data, t.data);
			const bad = Object.entries(errors).filter(([, e]) => !(e < TOL));
			expect(bad, JSON.stringify(bad)).toEqual([]);
			// the reference really moved every trained tensor (the test would notice a no-op)
			const init = c.init;
			const moved = [...c.expected].filter(([k, t]) => relError(init.get(k)!.data, t.data) > 10 * TOL);
			expect(moved.length).toBeGreaterThan(0);
		}
	);
});

describe('trainer', () => {
	beforeAll(async () => {
		await tf.setBackend('cpu');
	});
	// With stochastic depth, so that its masks are in the leak and determinism checks too.
	const spec = {
		...presetSpec('resnet20')!,
		input: { channels: 1, height: 8, width: 8 },
		stem: { kind: 'cifar' as const, width: 4 },
		dropPath: 0.3
	};
	spec.stages = spec.stages.map((s) => ({ ...s, blocks: 1, width: 4 }));
	const graph = buildGraph(spec);
	const weights = initWeights(graph, 7);
	const opts = (freeze: 'none' | 'backbone' = 'none') => ({
		optimizer: { kind: 'sgd' as const, lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
		schedule: { kind: 'cosine' as const },
		totalSteps: 100,
		freeze
	});
	const images = Float32Array.from({ length: 4 * 64 }, (_, i) => Math.sin(i * 0.37));
	const labels = Int32Array.from([0, 3, 7, 9]);

	it.each(['cpu', 'wasm'])(
		'leaks no tensor across 100 steps on %s (and evaluate, features, stateDict)',
		async (backend) => {
			registerTrainingKernels(tf);
			await tf.setBackend(backend);
			for (const freeze of ['none', 'backbone'] as const) {
				const t = Trainer.create(tf, graph, weights, opts(freeze));
				await t.step(images, labels);
				const before = tf.memory().numTensors;
				for (let i = 0; i < 99; i++) await t.step(images, labels);
				await t.evaluate(images, labels);
				await t.stateDict();
				if (freeze === 'backbone') await t.stepFeatures(await t.features(images), labels);
				expect(tf.memory().numTensors, freeze).toBe(before);
				t.dispose();
			}
			await tf.setBackend('cpu');
		}
	);

	it('frees everything on dispose', async () => {
		const before = tf.memory().numTensors;
		const t = Trainer.create(tf, graph, weights, opts());
		await t.step(images, labels);
		t.dispose();
		expect(tf.memory().numTensors).toBe(before);
	});

	it('is deterministic: the same steps give the same numbers', async () => {
		const run = async () => {
			const t = Trainer.create(tf, graph, weights, opts());
			const losses = [];
			for (let i = 0; i < 3; i++) losses.push((await t.step(images, labels)).loss);
			const s = await t.stateDict();
			t.dispose();
			return { losses, fc: [...s.get('fc.weight')!.data] };
		};
		expect(await run()).toEqual(await run());
	});

	it('evaluates in inference mode without changing the weights', async () => {
		const t = Trainer.create(tf, graph, weights, opts());
		const a = await t.evaluate(images, labels);
		const b = await t.evaluate(images, labels);
		expect(a).toEqual(b);
		const s = await t.stateDict();
		for (const [k, v] of weights) expect(s.get(k)!.data, k).toEqual(v.data);
		t.dispose();
	});

	it('refuses bad input with a named error and leaves the trainer usable', async () => {
		expect(() => Trainer.create(tf, graph, new Map(), opts())).toThrow(WeightsListError);
		expect(() =>
			Trainer.create(tf, graph, weights, { ...opts(), optimizer: { ...opts().optimizer, lr: -1 } })
		).toThrow(TrainError);
		expect(() => Trainer.create(tf, graph, weights, { ...opts(), freeze: { lastStages: 9 } })).toThrow(
			/lastStages/
		);
		const t = Trainer.create(tf, graph, weights, opts());
		await expect(t.step(images.subarray(1), labels)).rejects.toThrow(/images must be/);
		await expect(t.step(images, Int32Array.from([0, 1, 2, 10]))).rejects.toThrow(/label 10/);
		expect((await t.step(images, labels)).loss).toBeGreaterThan(0);
		t.dispose();
	});
});
