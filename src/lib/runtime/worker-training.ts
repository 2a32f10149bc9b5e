/**
 * The worker's training requests (`TrainingApi`, $lib/runtime/protocol.ts): loads the data
 * (fetched from the page's origin, or sent by the page), makes each network's first weights,
 * and runs one `TrainingRun` at a time. The trained weights go back to the page, which offers
 * them to the live network like any checkpoint (so predictions, feature maps and explanations
 * then use them) and lets the user download them.
 */
import * as Comlink from 'comlink';
import type * as TfCore from '@tensorflow/tfjs-core';
import { buildGraph, type BlockGraph } from '../arch/index';
import { DataError, decodeDataset, firstImages, type Dataset } from '../train/dataset';
import { initWeights, type TensorMap } from '../weights/index';
import type { TrainConfig, TrainEvent, TrainingApi, TrainStatus } from './protocol';
import { TrainingRun, type RunNetwork } from './training-run';

type Tf = typeof TfCore;

let current: { run: TrainingRun; done: Promise<unknown> } | null = null;

/** Stops the training in progress (if any) and waits until its tensors are freed. */
export async function stopTrainingNow(): Promise<void> {
	const c = current;
	if (!c) return;
	c.run.stop();
	await c.done.catch(() => undefined);
}

/** A file of the page's origin, with download progress. */
async function download(url: string, onProgress: (done: number, total: number | undefined) => void) {
	let res: Response;
	try {
		res = await fetch(url);
	} catch (e) {
		throw new DataError(url, `could not be downloaded (${e instanceof Error ? e.message : String(e)})`);
	}
	if (!res.ok) throw new DataError(url, `HTTP ${res.status} ${res.statusText}`.trim());
	const length = Number(res.headers.get('content-length'));
	const total = Number.isFinite(length) && length > 0 ? length : undefined;
	if (!res.body) return new Uint8Array(await res.arrayBuffer());
	const reader = res.body.getReader();
	const chunks: Uint8Array[] = [];
	let done = 0;
	for (;;) {
		const r = await reader.read();
		if (r.done) break;
		chunks.push(r.value);
		done += r.value.length;
		onProgress(done, total);
	}
	const out = new Uint8Array(done);
	let o = 0;
	for (const c of chunks) {
		out.set(c, o);
		o += c.length;
	}
	return out;
}

async function loadData(
	config: TrainConfig,
	status: (s: TrainStatus) => void
): Promise<{ train: Dataset; test: Dataset }> {
	const d = config.data;
	if (d.kind === 'arrays') return { train: d.train, test: d.test };
	const get = async (url: string, what: string) => {
		const bytes = await download(url, (done, total) =>
			status({ phase: 'loading', text: `Downloading the ${what}`, done, total })
		);
		return decodeDataset(bytes, url, d.mean, d.std);
	};
	const train = firstImages(await get(d.trainUrl, 'training images'), d.limit.train);
	const test = firstImages(await get(d.testUrl, 'test images'), d.limit.test);
	return { train, test };
}

/** Why a network cannot train on this data, or null. */
function mismatch(graph: BlockGraph, data: Dataset): string | null {
	const { channels, height, width } = graph.spec.input;
	if (channels !== data.channels || height !== data.height || width !== data.width)
		return `takes ${channels}×${height}×${width} input, but the images are ${data.channels}×${data.height}×${data.width}`;
	if (graph.spec.head.classes !== data.classes)
		return `has ${graph.spec.head.classes} outputs, but the data has ${data.classes} classes`;
	return null;
}

/**
 * The first weights of a network: seeded, or the live network's where a tensor of that name
 * and shape exists (the rest seeded — e.g. a head for another number of classes).
 */
function firstWeights(
	graph: BlockGraph,
	init: 'live' | 'seed',
	seed: number,
	live: { graph: BlockGraph; tensors: TensorMap } | null
): { weights: TensorMap; reinitialised: string[] } {
	const seeded = initWeights(graph, seed);
	if (init === 'seed') return { weights: seeded, reinitialised: [] };
	if (!live) throw new Error('no live network to take the weights from');
	const reinitialised: string[] = [];
	const weights: TensorMap = new Map();
	for (const [key, t] of seeded) {
		const have = live.tensors.get(key);
		const fits = have && have.shape.length === t.shape.length && have.shape.every((s, i) => s === t.shape[i]);
		weights.set(key, fits ? have : t);
		if (!fits) reinitialised.push(key);
	}
	return { weights, reinitialised };
}

export function trainingApi(worker: {
	tf: () => Tf | null;
	liveWeights: () => { graph: BlockGraph; tensors: TensorMap } | null;
	breathe: () => Promise<void>;
}): TrainingApi {
	return {
		async startTraining(config: TrainConfig, onEvent: (e: TrainEvent) => void) {
			if (current) throw new Error('a training is already running: stop it first');
			const run = new TrainingRun();
			const work = (async () => {
				const tf = worker.tf();
				if (!tf) throw new Error('no backend started');
				const status = (s: TrainStatus) => onEvent({ kind: 'status', status: s });
				const { train, test } = await loadData(config, status);
				const live = worker.liveWeights();
				const networks: RunNetwork[] = config.networks.map((n) => {
					const graph = buildGraph(n.spec);
					for (const d of [train, test]) {
						const why = mismatch(graph, d);
						if (why) throw new DataError(n.label, why);
					}
					return { label: n.label, graph, ...firstWeights(graph, n.init, config.seed, live) };
				});
				return run.run(tf, networks, train, test, config, onEvent, worker.breathe);
			})();
			current = { run, done: work };
			try {
				const result = await work;
				return Comlink.transfer(
					result,
					result.networks.map((n) => n.weights.buffer as ArrayBuffer)
				);
			} finally {
				current = null;
			}
		},
		pauseTraining: () => current?.run.pause(),
		resumeTraining: () => current?.run.resume(),
		stopTraining: () => current?.run.stop()
	};
}
