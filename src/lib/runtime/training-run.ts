/**
 * One training run in the worker, for the page's Train panel: one network, or a comparison pair
 * stepped alternately on the same batches (same order, same augmentation), with the test set
 * evaluated after every epoch, throughput and time left reported after every step, and pause,
 * resume and stop between steps. The engine is $lib/runtime/train.ts's `Trainer`; batch order
 * and augmentation are $lib/train's pure helpers; the data is $lib/train/dataset.ts's.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type { BlockGraph } from '../arch/graph';
import { augment, batchIndices, gather } from '../train/data';
import { gatherBatch, stepsPerEpoch, type Dataset } from '../train/dataset';
import { writeSafetensors, type TensorMap } from '../weights/index';
import type { TrainConfig, TrainEvent, TrainResult, TrainStatus } from './protocol';
import { Trainer } from './train';

type Tf = typeof TfCore;

/** The test set is evaluated in batches of this many images (or the training batch, if larger). */
const EVAL_BATCH = 250;
/** A frozen part's features are computed this many images at a time. */
const FEATURE_CHUNK = 32;

/** A frozen part's output for every image (NHWC per image, `size` values each). */
interface Features {
	size: number;
	train: Float32Array;
	test: Float32Array;
}

export interface RunNetwork {
	label: string;
	graph: BlockGraph;
	weights: TensorMap;
	/** Tensors that were freshly initialised rather than carried over from the live weights. */
	reinitialised: string[];
}

export class TrainingRun {
	#paused = false;
	#stopped = false;
	#wake: (() => void) | null = null;

	pause(): void {
		this.#paused = true;
	}

	resume(): void {
		this.#paused = false;
		this.#wake?.();
	}

	stop(): void {
		this.#stopped = true;
		this.#wake?.();
	}

	get stopped(): boolean {
		return this.#stopped;
	}

	/**
	 * Trains `networks` on `train` (evaluated on `test`) and resolves with their trained weights
	 * (safetensors bytes, node-id keys, BN running statistics included) when the epochs are done
	 * or `stop` was called. Every tfjs tensor it made is freed, whatever happens.
	 */
	async run(
		tf: Tf,
		networks: RunNetwork[],
		train: Dataset,
		test: Dataset,
		config: TrainConfig,
		emit: (e: TrainEvent) => void,
		breathe: () => Promise<void>
	): Promise<TrainResult> {
		const status = (s: TrainStatus) => emit({ kind: 'status', status: s });
		const perEpoch = stepsPerEpoch(train.count, config.batch);
		const totalSteps = perEpoch * config.epochs;
		const fill = fillValues(train);
		const shape = [config.batch, train.channels, train.height, train.width] as const;
		const trainers: Trainer[] = [];
		const t0 = performance.now();
		let step = 0;
		let trainingMs = 0;
		let evalMs = 0;
		let evals = 0;
		const testAccuracy: (number | null)[] = networks.map(() => null);
		try {
			status({ phase: 'preparing', text: 'Compiling the network for training' });
			for (const n of networks)
				trainers.push(
					Trainer.create(tf, n.graph, n.weights, {
						optimizer: config.optimizer,
						schedule: config.schedule,
						freeze: config.freeze,
						totalSteps,
						seed: config.seed
					})
				);
			// A frozen part is computed once per image (no augmentation): train on its features.
			const features = [];
			for (const t of trainers)
				features.push(t.featureShape ? await this.#features(t, train, test, status) : null);
			status({ phase: 'training', text: 'Training' });
			let evaluatedAt = -1;
			while (step < totalSteps && !this.#stopped) {
				if (this.#paused) {
					status({ phase: 'paused', text: 'Paused' });
					await new Promise<void>((r) => (this.#wake = r));
					this.#wake = null;
					if (this.#stopped) break;
					status({ phase: 'training', text: 'Training' });
				}
				const s0 = performance.now();
				const idx = batchIndices(train.count, config.batch, step, { shuffle: true, seed: config.seed });
				const batch = gatherBatch(train, idx);
				// Augmentation only when every image goes through the whole network (a frozen backbone's
				// features are computed once per image).
				const images =
					config.augment && config.freeze === 'none'
						? augment(batch.images, shape, { pad: 2, flip: true, fill, seed: config.seed }, step)
						: batch.images;
				const points = [];
				let lr = 0;
				for (let i = 0; i < trainers.length; i++) {
					const t = trainers[i];
					const f = features[i];
					// Each trainer gets its own copy: a trainer may keep or transfer what it is given.
					const r = f
						? await t.stepFeatures(gather(f.train, f.size, idx), batch.labels.slice())
						: await t.step(images.slice(), batch.labels.slice());
					points.push({ loss: r.loss, accuracy: r.correct / config.batch });
					lr = r.lr;
				}
				step++;
				trainingMs += performance.now() - s0;
				const msPerStep = trainingMs / step;
				// Time left: the steps to go, and the test runs to go at the measured (else guessed:
				// the test set at about three forward passes per training image's step) cost.
				const evalsLeft = config.epochs - Math.floor((step - 1) / perEpoch);
				const perEval = evals ? evalMs / evals : (msPerStep * test.count) / (3 * config.batch);
				emit({
					kind: 'step',
					point: { step, epoch: step / perEpoch, lr, nets: points },
					totalSteps,
					imagesPerSecond: (config.batch * trainers.length * 1000) / msPerStep,
					secondsLeft: ((totalSteps - step) * msPerStep + evalsLeft * perEval) / 1000
				});
				if (step % perEpoch === 0) {
					const e0 = performance.now();
					await this.#evaluate(
						trainers,
						features,
						test,
						config.batch,
						step / perEpoch,
						step,
						emit,
						status,
						testAccuracy
					);
					evaluatedAt = step;
					evalMs += performance.now() - e0;
					evals++;
				}
				await breathe(); // pause, stop and the page's other requests get their turn
			}
			if (step > 0 && evaluatedAt !== step)
				await this.#evaluate(
					trainers,
					features,
					test,
					config.batch,
					step / perEpoch,
					step,
					emit,
					status,
					testAccuracy
				);
			status({ phase: 'saving', text: 'Reading the trained weights' });
			const out = [];
			for (let i = 0; i < networks.length; i++) {
				const weights = writeSafetensors(await trainers[i].stateDict());
				out.push({
					label: networks[i].label,
					spec: networks[i].graph.spec,
					weights,
					testAccuracy: testAccuracy[i],
					reinitialised: networks[i].reinitialised
				});
			}
			return {
				stopped: this.#stopped,
				steps: step,
				totalSteps,
				seconds: (performance.now() - t0) / 1000,
				networks: out
			};
		} finally {
			for (const t of trainers) t.dispose();
		}
	}

	/** The frozen part's output for every training and test image, in chunks. */
	async #features(
		t: Trainer,
		train: Dataset,
		test: Dataset,
		status: (s: TrainStatus) => void
	): Promise<Features> {
		const size = t.featureShape!.reduce((a, b) => a * b, 1);
		const total = train.count + test.count;
		const all = async (d: Dataset, offset: number) => {
			const out = new Float32Array(d.count * size);
			for (let start = 0; start < d.count; start += FEATURE_CHUNK) {
				status({
					phase: 'preparing',
					text: "Computing the frozen part's features",
					done: offset + start,
					total
				});
				const idx = Array.from({ length: Math.min(FEATURE_CHUNK, d.count - start) }, (_, k) => start + k);
				out.set(await t.features(gatherBatch(d, idx).images), start * size);
				if (this.#stopped) break;
			}
			return out;
		};
		const trainFeatures = await all(train, 0);
		return { size, train: trainFeatures, test: await all(test, train.count) };
	}

	async #evaluate(
		trainers: Trainer[],
		features: (Features | null)[],
		test: Dataset,
		batch: number,
		epoch: number,
		step: number,
		emit: (e: TrainEvent) => void,
		status: (s: TrainStatus) => void,
		accuracy: (number | null)[]
	): Promise<void> {
		const size = Math.max(EVAL_BATCH, batch);
		const sums = trainers.map(() => ({ loss: 0, correct: 0 }));
		for (let start = 0; start < test.count; start += size) {
			status({ phase: 'evaluating', text: 'Testing', done: start, total: test.count });
			const idx = Array.from({ length: Math.min(size, test.count - start) }, (_, k) => start + k);
			const { images, labels } = gatherBatch(test, idx);
			for (let i = 0; i < trainers.length; i++) {
				const f = features[i];
				const r = f
					? await trainers[i].evaluateFeatures(gather(f.test, f.size, idx), labels.slice())
					: await trainers[i].evaluate(images.slice(), labels.slice());
				sums[i].loss += r.loss * idx.length;
				sums[i].correct += r.correct;
			}
		}
		const nets = sums.map((s) => ({ loss: s.loss / test.count, accuracy: s.correct / test.count }));
		nets.forEach((n, i) => (accuracy[i] = n.accuracy));
		emit({ kind: 'epoch', point: { epoch, step, nets } });
		status({ phase: this.#paused ? 'paused' : 'training', text: this.#paused ? 'Paused' : 'Training' });
	}
}

/** The value of a black pixel after normalisation, per channel: what a crop pads with. */
function fillValues(data: Dataset): number[] {
	const px = data.pixels;
	if (px.kind === 'uint8') return px.mean.map((m, c) => -m / px.std[c]);
	return new Array<number>(data.channels).fill(0);
}
