/**
 * The worker's training loop (src/lib/runtime/training-run.ts) against the engine it drives
 * (`Trainer`, itself checked against PyTorch in train.test.ts) stepped by hand with the documented
 * batch order (src/lib/train/data.ts batchIndices, augment): a comparison pair sees exactly the
 * batches each network would see alone; a frozen backbone's cached features give the losses of
 * full forward passes; stop ends it between steps; no tensor is left behind.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGraph, type ArchSpec } from '../../src/lib/arch/index';
import type { TrainConfig, TrainEvent } from '../../src/lib/runtime/protocol';
import { registerTrainingKernels } from '../../src/lib/runtime/kernels/index';
import { Trainer } from '../../src/lib/runtime/train';
import { TrainingRun, type RunNetwork } from '../../src/lib/runtime/training-run';
import { augment, batchIndices } from '../../src/lib/train/data';
import { gatherBatch, ownImagesDataset, stepsPerEpoch, type Dataset } from '../../src/lib/train/dataset';
import { expectedTensors, initWeights, parseSafetensors } from '../../src/lib/weights/index';

const spec: ArchSpec = {
	name: 'tiny',
	input: { channels: 1, height: 8, width: 8 },
	stem: { kind: 'cifar', width: 4 },
	block: 'basic',
	expansion: 1,
	groups: 1,
	widthPerGroup: 64,
	stages: [
		{ blocks: 1, width: 4, stride: 1 },
		{ blocks: 1, width: 8, stride: 2 }
	],
	shortcut: 'A',
	strideOn: '3x3',
	residual: true,
	convBias: false,
	head: { pool: 'avg', classes: 3 }
};
const plain: ArchSpec = { ...spec, name: 'tiny-plain', residual: false };

/** Deterministic pseudo-images: class c has a bright row c (so there is something to learn). */
function data(n: number, salt: number): Dataset {
	const images = Array.from({ length: n }, (_, i) => {
		const label = i % 3;
		const chw = Float32Array.from({ length: 64 }, (_, p) => Math.sin(p * 1.7 + i * 3.1 + salt) * 0.5);
		for (let x = 0; x < 8; x++) chw[label * 2 * 8 + x] += 2;
		return { label, chw };
	});
	return ownImagesDataset(images, 3, spec.input);
}
const train = data(20, 0);
const test = data(9, 100);

const config = (over: Partial<TrainConfig> = {}): TrainConfig => ({
	networks: [],
	data: { kind: 'arrays', train, test },
	epochs: 2,
	batch: 6,
	optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
	schedule: { kind: 'cosine' },
	freeze: 'none',
	augment: true,
	seed: 7,
	...over
});

const net = (s: ArchSpec, seed = 3): RunNetwork => {
	const graph = buildGraph(s);
	return { label: s.name, graph, weights: initWeights(graph, seed), reinitialised: [] };
};
const breathe = () => Promise.resolve();

/** The engine stepped by hand: the documented batch order and augmentation, one network alone. */
async function byHand(s: ArchSpec, c: TrainConfig): Promise<number[]> {
	const n = net(s);
	const total = stepsPerEpoch(train.count, c.batch) * c.epochs;
	const t = Trainer.create(tf, n.graph, n.weights, {
		optimizer: c.optimizer,
		schedule: c.schedule,
		freeze: c.freeze,
		totalSteps: total
	});
	const losses: number[] = [];
	try {
		for (let step = 0; step < total; step++) {
			const idx = batchIndices(train.count, c.batch, step, { shuffle: true, seed: c.seed });
			const b = gatherBatch(train, idx);
			const x = c.augment
				? augment(b.images, [c.batch, 1, 8, 8], { pad: 2, flip: true, fill: [0], seed: c.seed }, step)
				: b.images;
			losses.push((await t.step(x, b.labels)).loss);
		}
	} finally {
		t.dispose();
	}
	return losses;
}

beforeAll(async () => {
	registerTrainingKernels(tf);
	expect(await tf.setBackend('cpu')).toBe(true);
});

describe('TrainingRun', () => {
	it('a pair sees the same batches as each network alone; epochs are tested; nothing leaks', async () => {
		const c = config();
		const before = tf.memory().numTensors;
		const events: TrainEvent[] = [];
		const r = await new TrainingRun().run(
			tf,
			[net(plain), net(spec)],
			train,
			test,
			c,
			(e) => events.push(e),
			breathe
		);
		expect(tf.memory().numTensors).toBe(before);
		const steps = events.filter((e) => e.kind === 'step');
		const total = stepsPerEpoch(20, 6) * 2;
		expect(steps).toHaveLength(total);
		expect([r.steps, r.totalSteps, r.stopped]).toEqual([total, total, false]);
		const alonePlain = await byHand(plain, c);
		const aloneRes = await byHand(spec, c);
		expect(steps.map((e) => (e.kind === 'step' ? e.point.nets[0].loss : NaN))).toEqual(alonePlain);
		expect(steps.map((e) => (e.kind === 'step' ? e.point.nets[1].loss : NaN))).toEqual(aloneRes);
		// One test evaluation per epoch, at the epoch's last step; the result carries the last one.
		const epochs = events.filter((e) => e.kind === 'epoch');
		expect(epochs.map((e) => (e.kind === 'epoch' ? e.point.step : 0))).toEqual([4, 8]);
		const last = epochs.at(-1)!;
		expect(r.networks.map((n) => n.testAccuracy)).toEqual(
			last.kind === 'epoch' ? last.point.nets.map((n) => n.accuracy) : []
		);
		// The weights: every tensor of the network (BN running statistics included), trained.
		const expected = expectedTensors(buildGraph(spec));
		const got = parseSafetensors(r.networks[1].weights);
		expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
		const init = initWeights(buildGraph(spec), 3);
		expect(got.get('layer1.0.bn1.running_mean')!.data).not.toEqual(
			init.get('layer1.0.bn1.running_mean')!.data
		);
	});

	it('a frozen backbone trains on cached features with the losses of full forward passes', async () => {
		const c = config({ freeze: 'backbone', augment: false, epochs: 1 });
		const events: TrainEvent[] = [];
		await new TrainingRun().run(tf, [net(spec)], train, test, c, (e) => events.push(e), breathe);
		const losses = events.flatMap((e) => (e.kind === 'step' ? [e.point.nets[0].loss] : []));
		const full = await byHand(spec, c);
		expect(losses).toHaveLength(full.length);
		for (let i = 0; i < full.length; i++) expect(losses[i]).toBeCloseTo(full[i], 5);
	});

	it('stop ends it between steps, and still tests and returns the weights', async () => {
		const run = new TrainingRun();
		const before = tf.memory().numTensors;
		const events: TrainEvent[] = [];
		const r = await run.run(
			tf,
			[net(spec)],
			train,
			test,
			config(),
			(e) => {
				events.push(e);
				if (e.kind === 'step' && e.point.step === 2) run.stop();
			},
			breathe
		);
		expect([r.steps, r.stopped]).toEqual([2, true]);
		expect(r.networks[0].testAccuracy).not.toBeNull();
		expect(events.filter((e) => e.kind === 'epoch')).toHaveLength(1);
		expect(tf.memory().numTensors).toBe(before);
	});

	it('pause waits until resume', async () => {
		const run = new TrainingRun();
		let resumed = false;
		const events: TrainEvent[] = [];
		const r = await run.run(
			tf,
			[net(spec)],
			train,
			test,
			config({ epochs: 1 }),
			(e) => {
				events.push(e);
				if (e.kind === 'step' && e.point.step === 1) {
					run.pause();
					setTimeout(() => {
						resumed = true;
						run.resume();
					}, 50);
				}
				if (e.kind === 'step' && e.point.step === 2) expect(resumed).toBe(true);
			},
			breathe
		);
		expect(r.steps).toBe(4);
		expect(events.some((e) => e.kind === 'status' && e.status.phase === 'paused')).toBe(true);
	});
});
