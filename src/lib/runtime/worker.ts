/**
 * The inference worker: tfjs, the backend, the compiled network, its weights and the kept
 * outputs live here, off the page's main thread (a dedicated module worker, made by
 * $lib/runtime/client.ts). The page talks to it through comlink (`RuntimeApi`,
 * $lib/runtime/protocol.ts). One request runs at a time, in the order they came; a request
 * superseded by a later generation is skipped at its next step.
 */
import * as Comlink from 'comlink';
import { buildGraph, type ArchSpec, type BlockGraph } from '../arch/index';
import {
	WeightsError,
	checkWeights,
	inferArchitecture,
	initWeights,
	loadCheckpoint,
	matchToGraph,
	readCheckpoint,
	type TensorMap
} from '../weights/index';
import { parseMeta } from '../models/bundled';
import { startBackend } from './backend';
import type {
	CheckpointOpened,
	ExplainReply,
	ExplainRequest,
	ProfileReply,
	ProfileRequest,
	Progress,
	RunReply,
	RunRequest,
	RuntimeApi,
	WeightProblem,
	WeightsOffer
} from './protocol';
import { Session, tapsFor, type WeightSet } from './session';
import { trainingApi, stopTrainingNow } from './worker-training';

type Held = { kind: 'seed'; seed: number } | { kind: 'checkpoint'; id: string; tensors: TensorMap };

let session: Session | null = null;
let graph: BlockGraph | null = null;
let held: Held = { kind: 'seed', seed: 0 };
let seeded: { graph: BlockGraph; seed: number; tensors: TensorMap } | null = null;
let offers = 0;
let latest = 0;
let report: (p: Progress) => void = () => undefined;
let lost: (message: string) => void = () => undefined;

let queue: Promise<unknown> = Promise.resolve();
/** One request at a time: a run never interleaves with a backend switch or a weights change. */
function serial<T>(f: () => Promise<T>): Promise<T> {
	const p = queue.then(f, f);
	queue = p.catch(() => undefined);
	return p;
}

/** Lets messages that arrived meanwhile (a `supersede`) be handled before the next step. */
const breathe = () => new Promise((r) => setTimeout(r, 0));

const problem = (e: WeightsError): WeightProblem => ({ tensor: e.tensor, message: e.message });

function weightSet(g: BlockGraph, gen: number): WeightSet {
	if (held.kind === 'checkpoint') return { id: held.id, tensors: held.tensors };
	if (!seeded || seeded.graph !== g || seeded.seed !== held.seed) {
		report({ gen, phase: 'weights', text: `Making seeded weights (seed ${held.seed})` });
		seeded = { graph: g, seed: held.seed, tensors: initWeights(g, held.seed) };
	}
	return { id: `seed-${held.seed}`, tensors: seeded.tensors };
}

/**
 * The network compiled with the weights held (uploaded when not yet); null when superseded
 * meanwhile.
 */
async function ready(
	gen: number
): Promise<{ session: Session; weights: WeightSet; compiled: boolean } | null> {
	const stale = () => gen < latest;
	if (stale()) return null;
	if (!session) throw new Error('no backend started');
	if (!graph) throw new Error('no network given');
	const g = graph;
	const weights = weightSet(g, gen);
	await breathe();
	if (stale()) return null;
	let compiled = false;
	if (!session.isCompiled(g, weights.id)) {
		let last = 0;
		report({ gen, phase: 'upload', text: 'Uploading weights', done: 0 });
		compiled = session.compile(g, weights, {
			onProgress: (done, total) => {
				const now = performance.now();
				if (now - last < 50 && done < total) return;
				last = now;
				report({ gen, phase: 'upload', text: 'Uploading weights', done, total });
			}
		});
		await breathe();
		if (stale()) return null;
	}
	return { session, weights, compiled };
}

async function run(req: RunRequest): Promise<RunReply> {
	const r0 = await ready(req.gen);
	if (!r0) return { cancelled: true };
	const { session, weights, compiled } = r0;
	const g = graph!;
	report({ gen: req.gen, phase: 'forward', text: 'Running' });
	const key = `${req.inputId}|${weights.id}`;
	const taps = req.keepAll ? tapsFor(g, req.selected) : req.selected ? [req.selected] : [];
	const r = await session.forward({ ...req.input, batch: 1 }, taps, key);
	const reply: RunReply = { cancelled: false, ...r, key, compiled };
	return Comlink.transfer(reply, [r.logits.buffer]);
}

const EXPLAINING: Record<ExplainRequest['method']['kind'], string> = {
	gradcam: 'Grad-CAM',
	saliency: 'Saliency',
	smoothgrad: 'SmoothGrad',
	occlusion: 'Occlusion'
};

async function explainRequest(req: ExplainRequest): Promise<ExplainReply> {
	const r0 = await ready(req.gen);
	if (!r0) return { cancelled: true };
	const text = EXPLAINING[req.method.kind];
	report({ gen: req.gen, phase: 'explain', text });
	const t0 = performance.now();
	const e = await r0.session.explain(req.input, req.method, req.classIndex, {
		onProgress: (done, total) => report({ gen: req.gen, phase: 'explain', text, done, total }),
		shouldStop: async () => {
			await breathe();
			return req.gen < latest;
		}
	});
	if (!e) return { cancelled: true };
	const reply: ExplainReply = { cancelled: false, ...e, ms: performance.now() - t0 };
	return Comlink.transfer(reply, [e.values.buffer]);
}

// --- profile (issue 15) ---

async function profileRequest(req: ProfileRequest): Promise<ProfileReply> {
	const r0 = await ready(req.gen);
	if (!r0) return { cancelled: true };
	const text = 'Profiling';
	report({ gen: req.gen, phase: 'profile', text, done: 0, total: req.runs });
	const p = await r0.session.profile(
		{ ...req.input, batch: 1 },
		{
			runs: req.runs,
			onProgress: (done, total) => report({ gen: req.gen, phase: 'profile', text, done, total }),
			shouldStop: async () => {
				await breathe();
				return req.gen < latest;
			}
		}
	);
	return p ? { cancelled: false, ...p } : { cancelled: true };
}

// --- end profile ---

const api: RuntimeApi = {
	listen(onProgress, onLost) {
		report = onProgress;
		lost = onLost;
	},

	start: (choice) =>
		serial(async () => {
			await stopTrainingNow(); // its tensors live on the backend being replaced
			session?.dispose();
			session = null;
			const r = await startBackend(choice, (message) => lost(message));
			session = new Session(r.tf);
			return { info: r.info, notices: r.notices };
		}),

	setNetwork: (spec: ArchSpec, fallbackSeed: number) =>
		serial(async () => {
			graph = buildGraph(spec);
			session?.dispose();
			seeded = null;
			if (held.kind === 'seed') return [];
			const errors = checkWeights(graph, held.tensors);
			if (errors.length > 0) held = { kind: 'seed', seed: fallbackSeed };
			return errors.map(problem);
		}),

	useSeed: (seed) =>
		serial(async () => {
			held = { kind: 'seed', seed };
		}),

	offerWeights: (bytes, name) =>
		serial(async (): Promise<WeightsOffer> => {
			if (!graph) throw new Error('no network given');
			let tensors: TensorMap;
			try {
				tensors = loadCheckpoint(bytes, name);
			} catch (e) {
				if (e instanceof WeightsError) return { ok: false, problems: [problem(e)] };
				throw e;
			}
			const errors = checkWeights(graph, tensors);
			// Other names, the same network: matched by order and shape.
			const matched = errors.length > 0 ? matchToGraph(graph, tensors) : null;
			if (errors.length > 0 && !matched) return { ok: false, problems: errors.map(problem) };
			held = { kind: 'checkpoint', id: `checkpoint-${++offers}`, tensors: matched?.tensors ?? tensors };
			seeded = null;
			return matched ? { ok: true, matched: matched.mapping.length } : { ok: true };
		}),

	openCheckpoint: (bytes, name, metaFile) =>
		serial(async (): Promise<CheckpointOpened> => {
			let read;
			try {
				const { tensors, source, prefix, sortedNames } = readCheckpoint(bytes, name);
				const base = name.replace(/\.(safetensors|pth|pt|bin|ckpt|tar)$/i, '') || 'checkpoint';
				read = { ...inferArchitecture(tensors, { name: base, sortedNames }), dict: source, prefix };
			} catch (e) {
				if (e instanceof WeightsError) return { ok: false, problems: [problem(e)] };
				throw e;
			}
			const meta = metaFile
				? parseMeta(metaFile.json, read.spec, metaFile.name)
				: { ok: true as const, meta: null };
			if (!meta.ok) return { ok: false, metaRefused: meta.message };
			graph = buildGraph(read.spec);
			session?.dispose();
			seeded = null;
			held = { kind: 'checkpoint', id: `checkpoint-${++offers}`, tensors: read.tensors };
			const shapes = read.tensors;
			return {
				ok: true,
				network: {
					spec: read.spec,
					assumed: read.assumed,
					mapping: read.mapping && read.mapping.map(([s, t]) => [s, t, shapes.get(t)!.shape]),
					extras: read.extras,
					dict: read.dict,
					prefix: read.prefix
				},
				meta: meta.meta
			};
		}),

	supersede(gen) {
		latest = Math.max(latest, gen);
	},

	run(req) {
		latest = Math.max(latest, req.gen);
		return serial(() => run(req));
	},

	explain(req) {
		latest = Math.max(latest, req.gen);
		return serial(() => explainRequest(req));
	},

	profile(req) {
		latest = Math.max(latest, req.gen);
		return serial(() => profileRequest(req));
	},

	featureMaps: (id, key) =>
		serial(async () => {
			if (!session?.hasTap(id, key)) return null;
			const maps = await session.featureMaps(id);
			return maps && Comlink.transfer(maps, [maps.pixels.buffer]);
		}),

	// Training (the Train panel): $lib/runtime/worker-training.ts.
	...trainingApi({
		tf: () => session?.tf ?? null,
		liveWeights: () => (graph ? { graph, tensors: weightSet(graph, latest).tensors } : null),
		breathe: () => breathe().then(() => undefined)
	})
};

Comlink.expose(api);
