/**
 * Loads the reference training runs written by tools/reference/train_reference.py (PyTorch) and
 * replays them with the tfjs Trainer.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfType from '@tensorflow/tfjs-core';
import type { ArchSpec } from '../../src/lib/arch/spec';
import { buildGraph } from '../../src/lib/arch/index';
import { parseSafetensorsRaw, type TensorMap } from '../../src/lib/weights/index';
import { Trainer, type Freeze, type OptimizerOptions } from '../../src/lib/runtime/train';
import { batchIndices, gather, gatherLabels, type Schedule } from '../../src/lib/train/index';

export const TRAIN_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'train');

export interface TrainCase {
	name: string;
	dir: string;
	spec: ArchSpec;
	init: TensorMap;
	images: Float32Array;
	labels: Int32Array;
	shape: number[];
	expected: TensorMap;
	optimizer: OptimizerOptions;
	/** Stochastic depth's seed (mulberry32 stream the reference's DropPath draws from too). */
	seed?: number;
	/** The schedule trained under (constant when the case names none). */
	schedule?: Schedule;
	freeze: Freeze;
	steps: number;
	batch: number;
	losses: number[];
}

const read = (f: string) => parseSafetensorsRaw(new Uint8Array(readFileSync(f)));

export function trainCases(): TrainCase[] {
	return readdirSync(TRAIN_FIXTURES, { withFileTypes: true })
		.filter((d) => d.isDirectory() && existsSync(join(TRAIN_FIXTURES, d.name, 'case.json')))
		.map((d) => {
			const dir = join(TRAIN_FIXTURES, d.name);
			const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
			const data = read(join(dir, 'data.safetensors'));
			return {
				name: d.name,
				dir,
				spec: JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')),
				init: read(join(dir, 'init.safetensors')),
				images: data.get('images')!.data,
				shape: data.get('images')!.shape,
				labels: Int32Array.from(data.get('labels')!.data),
				expected: read(join(dir, 'expected.safetensors')),
				...meta
			};
		});
}

/**
 * The case's K steps in the `--no-shuffle` order; a frozen backbone's features computed once per
 * sample (`features`) and trained on with `stepFeatures`.
 */
export async function replay(tf: typeof tfType, c: TrainCase) {
	const trainer = Trainer.create(tf, buildGraph(c.spec), c.init, {
		optimizer: c.optimizer,
		schedule: c.schedule ?? { kind: 'constant' },
		totalSteps: c.steps,
		freeze: c.freeze,
		seed: c.seed
	});
	const n = c.shape[0];
	const size = c.images.length / n;
	const features = c.freeze === 'none' ? null : await trainer.features(c.images);
	const featureSize = features ? features.length / n : 0;
	const losses: number[] = [];
	for (let j = 0; j < c.steps; j++) {
		const idx = batchIndices(n, c.batch, j, { shuffle: false, seed: 0 });
		const labels = gatherLabels(c.labels, idx);
		const r = features
			? await trainer.stepFeatures(gather(features, featureSize, idx), labels)
			: await trainer.step(gather(c.images, size, idx), labels);
		losses.push(r.loss);
	}
	const state = await trainer.stateDict();
	trainer.dispose();
	return { losses, state };
}
