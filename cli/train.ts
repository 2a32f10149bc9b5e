/**
 * Trains a network for K steps (DESIGN §3.4):
 *   npm run --silent train -- (--preset NAME | --spec FILE.json) --weights INIT.safetensors
 *                             --data DATA.safetensors | --data fashion-mnist[:N]
 *                             --steps K --batch B --lr LR [--momentum M] [--weight-decay WD]
 *                             [--optimizer sgd|adam] [--freeze backbone] [--no-shuffle] [--seed S]
 *                             [--backend wasm|cpu] --out OUT.safetensors [--format json]
 * DATA holds `images` (N,C,H,W float32, normalised) and `labels` (N, int64). fashion-mnist[:N]
 * reads the first N training images of Debian's dataset-fashion-mnist, normalised as the bundled
 * model (static/models/fashion-resnet/meta.json). With --no-shuffle batch j is samples
 * j·B … j·B+B−1 (mod N); otherwise each epoch is a seeded permutation. No augmentation.
 * PyTorch's semantics (src/lib/runtime/train.ts). --freeze backbone trains fc only, the rest in
 * inference mode; the backbone's features are computed once per sample and reused.
 * The backend defaults to wasm (tens of times faster than tfjs's JavaScript cpu backend here).
 * Prints {"losses": [one per step], "correct": [...], "backend", "steps", "batch", "seconds",
 * "imagesPerSecond"} and writes every parameter and BN running statistic to OUT (node-id keys).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { buildGraph, type BlockGraph } from '../src/lib/arch/index';
import { parseMeta } from '../src/lib/models/bundled';
import { Trainer, TrainError, type OptimizerOptions } from '../src/lib/runtime/train';
import { registerTrainingKernels } from '../src/lib/runtime/kernels/index';
import { batchIndices, gather, gatherLabels } from '../src/lib/train/index';
import {
	WeightsError,
	WeightsListError,
	loadCheckpoint,
	parseSafetensorsRaw,
	writeSafetensors
} from '../src/lib/weights/index';
import { UsageError, parse, runCli } from './args';
import { loadSpec, readBytes, readJson } from './spec';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BACKENDS = ['cpu', 'wasm'] as const;
const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

interface Dataset {
	images: Float32Array;
	labels: Int32Array;
	n: number;
}

/** DATA.safetensors: `images` N,C,H,W float32 matching the network's input, `labels` N. */
function readData(file: string, graph: BlockGraph): Dataset {
	let tensors;
	try {
		tensors = parseSafetensorsRaw(readBytes(file, 'data'));
	} catch (e) {
		if (e instanceof WeightsError) throw new UsageError(`${file}: ${e.message}`);
		throw e;
	}
	const images = tensors.get('images');
	const labels = tensors.get('labels');
	if (!images || !labels)
		throw new UsageError(
			`${file} needs tensors "images" and "labels" (it has: ${[...tensors.keys()].join(', ') || 'none'})`
		);
	const [c, h, w] = graph.nodes[0].outShape;
	const [n, ic, ih, iw] = images.shape;
	if (images.shape.length !== 4 || ic !== c || ih !== h || iw !== w)
		throw new UsageError(
			`${file}: images must be N,C,H,W [N, ${c}, ${h}, ${w}] for ${graph.spec.name}, got [${images.shape.join(', ')}]`
		);
	if (labels.shape.length !== 1 || labels.shape[0] !== n)
		throw new UsageError(`${file}: labels must be [${n}] (one per image), got [${labels.shape.join(', ')}]`);
	return { images: images.data, labels: Int32Array.from(labels.data), n };
}

/** An IDX file (gzipped) of Fashion-MNIST: its dimensions and bytes. */
function readIdx(file: string): { dims: number[]; data: Uint8Array } {
	const raw = gunzipSync(readBytes(file, 'Fashion-MNIST file (Debian package dataset-fashion-mnist)'));
	const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
	if (view.getUint16(0) !== 0 || view.getUint8(2) !== 8)
		throw new UsageError(`${file} is not an IDX file of bytes`);
	const rank = view.getUint8(3);
	const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
	return { dims, data: raw.subarray(4 + 4 * rank) };
}

/** The first N Fashion-MNIST training images, scaled to 0–1 and normalised as the bundled model. */
function fashionData(text: string, graph: BlockGraph): Dataset {
	const m = /^fashion-mnist(?::(\d+))?$/.exec(text);
	if (!m) throw new UsageError(`--data "${text}": give DATA.safetensors or fashion-mnist[:N]`);
	const [c, h, w] = graph.nodes[0].outShape;
	if (c !== 1 || h !== 28 || w !== 28)
		throw new UsageError(`fashion-mnist is 1×28×28; ${graph.spec.name} takes ${c}×${h}×${w}`);
	const metaFile = join(ROOT, 'static/models/fashion-resnet/meta.json');
	const meta = parseMeta(readJson(metaFile, 'model metadata'), graph.spec, metaFile);
	if (!meta.ok) throw new UsageError(meta.message);
	const images = readIdx(join(FASHION_DIR, 'train-images-idx3-ubyte.gz'));
	const labels = readIdx(join(FASHION_DIR, 'train-labels-idx1-ubyte.gz'));
	const total = images.dims[0];
	const n = m[1] === undefined ? total : Number(m[1]);
	if (!(n >= 1 && n <= total)) throw new UsageError(`fashion-mnist:N: N must be 1 … ${total}, got ${m[1]}`);
	const mean = meta.meta.preprocess.mean?.[0];
	const std = meta.meta.preprocess.std?.[0];
	if (mean === undefined || std === undefined) throw new UsageError(`${metaFile} gives no mean and std`);
	const out = new Float32Array(n * h * w);
	for (let i = 0; i < out.length; i++) out[i] = (images.data[i] / 255 - mean) / std;
	return { images: out, labels: Int32Array.from(labels.data.subarray(0, n)), n };
}

function number(v: string | undefined, name: string, check: (x: number) => boolean, what: string): number {
	const x = Number(v);
	if (v === undefined || v.trim() === '' || !Number.isFinite(x) || !check(x))
		throw new UsageError(`--${name} must be ${what}, got "${v ?? ''}"`);
	return x;
}

const whole = (x: number) => Number.isInteger(x) && x >= 1;

runCli(async () => {
	const v = parse(process.argv.slice(2), {
		preset: { type: 'string' },
		spec: { type: 'string' },
		weights: { type: 'string' },
		data: { type: 'string' },
		steps: { type: 'string' },
		batch: { type: 'string' },
		lr: { type: 'string' },
		momentum: { type: 'string', default: '0' },
		'weight-decay': { type: 'string', default: '0' },
		optimizer: { type: 'string', default: 'sgd' },
		freeze: { type: 'string' },
		'no-shuffle': { type: 'boolean', default: false },
		seed: { type: 'string', default: '0' },
		backend: { type: 'string', default: 'wasm' },
		out: { type: 'string' },
		format: { type: 'string', default: 'json' }
	});
	if (v.format !== 'json') throw new UsageError(`--format must be json, got "${v.format}"`);
	if (!(BACKENDS as readonly string[]).includes(v.backend!))
		throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got "${v.backend}"`);
	for (const name of ['weights', 'data', 'out'] as const)
		if (v[name] === undefined) throw new UsageError(`--${name} is required`);
	if (v.freeze !== undefined && v.freeze !== 'backbone')
		throw new UsageError(`--freeze must be "backbone", got "${v.freeze}"`);
	const steps = number(v.steps, 'steps', whole, 'a whole number ≥ 1');
	const batch = number(v.batch, 'batch', whole, 'a whole number ≥ 1');
	const lr = number(v.lr, 'lr', (x) => x >= 0, 'a number ≥ 0');
	const momentum = number(v.momentum, 'momentum', (x) => x >= 0 && x < 1, 'a number in [0, 1)');
	const weightDecay = number(v['weight-decay'], 'weight-decay', (x) => x >= 0, 'a number ≥ 0');
	const seed = number(v.seed, 'seed', (x) => Number.isInteger(x), 'a whole number');
	let optimizer: OptimizerOptions;
	if (v.optimizer === 'sgd') optimizer = { kind: 'sgd', lr, momentum, weightDecay };
	else if (v.optimizer === 'adam')
		optimizer = { kind: 'adam', lr, betas: [0.9, 0.999], eps: 1e-8, weightDecay };
	else throw new UsageError(`--optimizer must be sgd or adam, got "${v.optimizer}"`);

	const { spec } = loadSpec(v);
	const graph = buildGraph(spec);
	const weights = (() => {
		try {
			return loadCheckpoint(readBytes(v.weights!, 'weights'), v.weights);
		} catch (e) {
			if (e instanceof WeightsError) throw new UsageError(`${v.weights}: ${e.message}`);
			throw e;
		}
	})();
	const data = v.data!.startsWith('fashion-mnist') ? fashionData(v.data!, graph) : readData(v.data!, graph);
	const classes = graph.byId.get(graph.output)!.outShape[0];
	const badLabel = data.labels.find((l) => !(l >= 0 && l < classes));
	if (badLabel !== undefined) throw new UsageError(`label ${badLabel} is not a class of 0…${classes - 1}`);

	registerTrainingKernels(tf);
	tf.enableProdMode(); // also silences tfjs's "install tfjs-node" banner
	if (!(await tf.setBackend(v.backend!)))
		throw new UsageError(`the ${v.backend} backend is not available here`);
	let trainer: Trainer;
	try {
		trainer = Trainer.create(tf, graph, weights, {
			optimizer,
			schedule: { kind: 'constant' },
			totalSteps: steps,
			freeze: v.freeze === 'backbone' ? 'backbone' : 'none',
			seed
		});
	} catch (e) {
		if (e instanceof WeightsListError || e instanceof TrainError) throw new UsageError(e.message);
		throw e;
	}
	const size = data.images.length / data.n;
	// A frozen backbone's features, computed the first time a sample is drawn and kept.
	const frozen = trainer.featureShape ? trainer.featureShape.reduce((a, b) => a * b, 1) : 0;
	const features = frozen ? new Float32Array(data.n * frozen) : null;
	const done = new Uint8Array(frozen ? data.n : 0);
	const losses: number[] = [];
	const correct: number[] = [];
	const start = performance.now();
	for (let j = 0; j < steps; j++) {
		const idx = batchIndices(data.n, batch, j, { shuffle: !v['no-shuffle'], seed });
		const labels = gatherLabels(data.labels, idx);
		let r;
		if (features) {
			const missing = [...new Set(Array.from(idx).filter((i) => !done[i]))];
			if (missing.length) {
				const f = await trainer.features(gather(data.images, size, missing));
				missing.forEach((i, k) => {
					features.set(f.subarray(k * frozen, (k + 1) * frozen), i * frozen);
					done[i] = 1;
				});
			}
			r = await trainer.stepFeatures(gather(features, frozen, idx), labels);
		} else r = await trainer.step(gather(data.images, size, idx), labels);
		losses.push(r.loss);
		correct.push(r.correct);
	}
	const seconds = (performance.now() - start) / 1000;
	const state = await trainer.stateDict();
	trainer.dispose();
	try {
		writeFileSync(v.out!, writeSafetensors(state));
	} catch (e) {
		throw new UsageError(
			`cannot write ${v.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`
		);
	}
	process.stdout.write(
		JSON.stringify({
			losses,
			correct,
			backend: v.backend,
			steps,
			batch,
			seconds,
			imagesPerSecond: (steps * batch) / seconds
		}) + '\n'
	);
});
