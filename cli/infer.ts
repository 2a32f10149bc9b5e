/**
 * Runs a network on one image or tensor (DESIGN §3.4):
 *   npm run --silent infer -- (--preset NAME | --spec FILE.json) [--weights FILE.safetensors|FILE.pth]
 *                             (--image FILE | --input-tensor FILE.safetensors) [--backend cpu|wasm]
 *                             [--taps ID,ID…] [--top K] [--format json] [--seed N]
 *                             [--explain gradcam[:NODE] | saliency | smoothgrad:N:SIGMA | occlusion:PATCH:STRIDE]
 *                             [--class K]
 * Without --weights the network gets seeded random weights (torchvision's initialisation);
 * --seed seeds them and SmoothGrad's noise. --explain explains the first image's prediction
 * (class K, default the top-1; definitions: $lib/runtime/explain.ts, README "Explanations").
 *   npm run --silent infer -- --weights FILE (--image FILE | --input-tensor FILE)   (network read from FILE)
 * Without --weights the network gets seeded random weights (torchvision's initialisation); with
 * --weights and no --spec/--preset the network is the one the file holds (the input tensor's
 * H×W give the input size). An input tensor of N > 1 images gives N lists of logits.
 * A --spec beside a meta.json (a bundled model, DESIGN §3.6) uses its classes, mean and std.
 * This file reads arguments and files and prints; the network runs through the same Session
 * ($lib/runtime/session.ts) as the page's worker.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { buildGraph, lastBlockId, type ArchSpec, type BlockGraph } from '../src/lib/arch/index';
import { Session } from '../src/lib/runtime/session';
import { ExplainError, type Explanation } from '../src/lib/runtime/explain';
import type { ExplainMethod } from '../src/lib/runtime/protocol';
import { labelFor, parseLabels, topK } from '../src/lib/models/labels';
import { policyFor, preprocess, type RgbaImage } from '../src/lib/pixels/preprocess';
import { preprocessGarment } from '../src/lib/pixels/garment';
import { metaPolicy, type ModelMeta } from '../src/lib/models/bundled';
import {
	WeightsError,
	WeightsListError,
	checkWeights,
	initWeights,
	loadCheckpoint,
	matchToGraph,
	parseSafetensorsRaw,
	type TensorMap
} from '../src/lib/weights/index';
import { UsageError, parse, runCli } from './args';
import { checkpointJson, checkpointNotes, inferCheckpoint, type Checkpoint } from './checkpoint';
import { loadSpec, readBytes } from './spec';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BACKENDS = ['cpu', 'wasm'] as const;

function decodeImage(file: string): RgbaImage {
	const bytes = readBytes(file, 'image');
	const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
	const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
	try {
		if (isPng) {
			const png = PNG.sync.read(buf);
			return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
		}
		if (isJpeg) {
			const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
			return { width: img.width, height: img.height, data: img.data };
		}
	} catch (e) {
		throw new UsageError(`cannot decode image ${file}: ${(e as Error).message}`);
	}
	throw new UsageError(`cannot read image ${file}: not a PNG or JPEG file`);
}

/** The `input` tensor of a safetensors file: NCHW float32 → NHWC for tfjs. */
function readInputTensor(file: string, graph: BlockGraph): { data: Float32Array; n: number } {
	let tensors: TensorMap;
	try {
		tensors = parseSafetensorsRaw(readBytes(file, 'input tensor'));
	} catch (e) {
		if (e instanceof WeightsError) throw new UsageError(`${file}: ${e.message}`);
		throw e;
	}
	const t = tensors.get('input');
	if (!t)
		throw new UsageError(
			`${file} has no tensor named "input" (it has: ${[...tensors.keys()].join(', ') || 'none'})`
		);
	const [c, h, w] = graph.nodes[0].outShape;
	const [n, tc, th, tw] = t.shape;
	if (t.shape.length !== 4 || tc !== c || th !== h || tw !== w)
		throw new UsageError(
			`${file}: input must be NCHW [N, ${c}, ${h}, ${w}] for ${graph.spec.name}, got [${t.shape.join(', ')}]`
		);
	const out = new Float32Array(t.data.length);
	for (let b = 0; b < n; b++)
		for (let ci = 0; ci < c; ci++)
			for (let y = 0; y < h; y++)
				for (let x = 0; x < w; x++)
					out[((b * h + y) * w + x) * c + ci] = t.data[((b * c + ci) * h + y) * w + x];
	return { data: out, n };
}

const EXPLAIN_FORMS = 'gradcam[:NODE], saliency, smoothgrad:N:SIGMA or occlusion:PATCH:STRIDE';

/** `--explain`'s text → a method (NODE defaults to the last block); a UsageError when malformed. */
function parseExplain(text: string, graph: BlockGraph, seed: number): ExplainMethod {
	const [kind, ...args] = text.split(':');
	const bad = (why: string) => new UsageError(`--explain "${text}": ${why} (forms: ${EXPLAIN_FORMS})`);
	const count = (n: number) => {
		if (args.length !== n) throw bad(`${kind} takes ${n} parameter${n === 1 ? '' : 's'}, got ${args.length}`);
	};
	const whole = (s: string, what: string) => {
		if (!/^\d+$/.test(s)) throw bad(`${what} must be a whole number, got "${s}"`);
		return Number(s);
	};
	switch (kind) {
		case 'gradcam': {
			if (args.length > 1) throw bad(`gradcam takes at most one node, got ${args.length} parts`);
			if (args.length === 1 && !args[0]) throw bad('the node after "gradcam:" is empty');
			return { kind: 'gradcam', node: args[0] ?? lastBlockId(graph) };
		}
		case 'saliency':
			count(0);
			return { kind: 'saliency' };
		case 'smoothgrad': {
			count(2);
			if (!/^(\d+\.?\d*|\.\d+)$/.test(args[1])) throw bad(`SIGMA must be a number, got "${args[1]}"`);
			return { kind: 'smoothgrad', samples: whole(args[0], 'N'), sigma: Number(args[1]), seed };
		}
		case 'occlusion':
			count(2);
			return { kind: 'occlusion', patch: whole(args[0], 'PATCH'), stride: whole(args[1], 'STRIDE') };
		default:
			throw bad(`unknown method "${kind}"`);
	}
}

/** C, H, W of the `input` tensor of a safetensors file (checked in full later, by readInputTensor). */
function inputTensorSize(file: string): { channels: number; height: number; width: number } | undefined {
	let t;
	try {
		t = parseSafetensorsRaw(readBytes(file, 'input tensor')).get('input');
	} catch (e) {
		if (e instanceof WeightsError) throw new UsageError(`${file}: ${e.message}`);
		throw e;
	}
	if (!t || t.shape.length !== 4) return undefined;
	const [, channels, height, width] = t.shape;
	return { channels, height, width };
}

function classNames(spec: ArchSpec, meta: ModelMeta | null): string[] | null {
	if (meta?.classes) return meta.classes;
	if (spec.head.classes === 1000)
		return parseLabels(JSON.parse(readFileSync(join(ROOT, 'static/labels/imagenet.json'), 'utf8')));
	return null;
}

runCli(async () => {
	const v = parse(process.argv.slice(2), {
		preset: { type: 'string' },
		spec: { type: 'string' },
		weights: { type: 'string' },
		image: { type: 'string' },
		'input-tensor': { type: 'string' },
		backend: { type: 'string', default: 'cpu' },
		taps: { type: 'string' },
		top: { type: 'string', default: '5' },
		format: { type: 'string', default: 'text' },
		seed: { type: 'string', default: '0' },
		explain: { type: 'string' },
		class: { type: 'string' }
	});
	if (!(BACKENDS as readonly string[]).includes(v.backend!))
		throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got "${v.backend}"`);
	if (v.format !== 'json' && v.format !== 'text')
		throw new UsageError(`--format must be json or text, got "${v.format}"`);
	if (!/^\d+$/.test(v.top!) || Number(v.top) < 1)
		throw new UsageError(`--top must be a positive whole number, got "${v.top}"`);
	if (!/^\d+$/.test(v.seed!) || Number(v.seed) > 0xffffffff)
		throw new UsageError(`--seed must be a whole number from 0 to 4294967295, got "${v.seed}"`);
	if ((v.image === undefined) === (v['input-tensor'] === undefined))
		throw new UsageError('give exactly one of --image FILE or --input-tensor FILE.safetensors');

	// --weights alone: the network is the file's own (the input tensor's C×H×W where given).
	let inferred: Checkpoint | null = null;
	if (v.weights !== undefined && v.preset === undefined && v.spec === undefined)
		inferred = inferCheckpoint(
			v.weights,
			v['input-tensor'] === undefined ? undefined : inputTensorSize(v['input-tensor'])
		);
	const { spec, meta } = inferred ? { spec: inferred.spec, meta: null } : loadSpec(v);
	const graph = buildGraph(spec);
	const taps =
		v.taps === undefined
			? []
			: v.taps
					.split(',')
					.map((s) => s.trim())
					.filter(Boolean);
	for (const id of taps)
		if (!graph.byId.has(id))
			throw new UsageError(
				`unknown node id "${id}" in --taps; ${spec.name}'s ids include ${graph.nodes
					.slice(1, 5)
					.map((n) => n.id)
					.join(', ')} … fc (see: npm run calc -- --format json)`
			);

	const method = v.explain === undefined ? null : parseExplain(v.explain, graph, Number(v.seed));
	if (v.class !== undefined && method === null) throw new UsageError('--class needs --explain');
	if (v.class !== undefined && !/^\d+$/.test(v.class))
		throw new UsageError(`--class must be a whole number, got "${v.class}"`);
	const classIndex = v.class === undefined ? null : Number(v.class);

	// Weights: a file, checked in full before anything runs; or seeded random ones.
	let tensors: TensorMap;
	let weightsNote: string;
	let mapping: [string, string][] | null = null;
	if (inferred) {
		tensors = inferred.tensors;
		weightsNote = v.weights!;
		if (v.format !== 'json')
			for (const line of checkpointNotes(v.weights!, inferred)) process.stderr.write(`note: ${line}\n`);
	} else if (v.weights !== undefined) {
		try {
			tensors = loadCheckpoint(readBytes(v.weights, 'weights'), v.weights);
		} catch (e) {
			if (e instanceof WeightsError) throw new UsageError(`${v.weights}: ${e.message}`);
			throw e;
		}
		const errors = checkWeights(graph, tensors);
		// Other names, the same network: matched by order and shape (the mapping is printed).
		const matched = errors.length ? matchToGraph(graph, tensors) : null;
		if (matched) {
			tensors = matched.tensors;
			mapping = matched.mapping;
		} else if (errors.length)
			throw new UsageError(
				`${v.weights} does not fit ${spec.name} (${errors.length} problem${errors.length > 1 ? 's' : ''}):\n${errors
					.map((e) => `  ${e.message}`)
					.join('\n')}`
			);
		weightsNote = mapping ? `${v.weights} (${mapping.length} tensors matched by order and shape)` : v.weights;
	} else {
		tensors = initWeights(graph, Number(v.seed));
		weightsNote = `random (seed ${Number(v.seed)}; no --weights given)`;
	}

	// Input.
	const [c, h, w] = graph.nodes[0].outShape;
	let input: { data: Float32Array; n: number };
	let inputNote: string;
	if (v.image !== undefined) {
		const img = decodeImage(v.image);
		const policy = meta ? metaPolicy(spec, meta) : policyFor(spec.input);
		const x = meta?.convert === 'garment' ? preprocessGarment(img, policy) : preprocess(img, policy);
		input = { data: x.data, n: 1 };
		inputNote = `${v.image} (${img.width}×${img.height} → ${c}×${h}×${w})`;
	} else {
		input = readInputTensor(v['input-tensor']!, graph);
		inputNote = `${v['input-tensor']} (tensor ${input.n}×${c}×${h}×${w})`;
	}

	tf.enableProdMode(); // also silences tfjs's "install tfjs-node" banner
	if (!(await tf.setBackend(v.backend!)))
		throw new UsageError(`the ${v.backend} backend is not available here`);
	await tf.ready();
	const session = new Session(tf);
	let ms: number;
	let logits: number[][];
	const tapValues: Record<string, { shape: number[]; values: number[] }> = {};
	let explained: Explanation | null = null;
	try {
		try {
			session.compile(graph, { id: weightsNote, tensors });
		} catch (e) {
			if (e instanceof WeightsListError) throw new UsageError(e.message);
			throw e;
		}
		const r = await session.forward(
			{ data: input.data, batch: input.n, height: h, width: w, channels: c },
			taps
		);
		ms = r.forwardMs;
		const k = spec.head.classes;
		logits = Array.from({ length: input.n }, (_, i) => Array.from(r.logits.subarray(i * k, (i + 1) * k)));
		for (const [id, t] of await session.readTaps())
			tapValues[id] = { shape: t.shape, values: Array.from(t.data) };
		if (method) {
			try {
				explained = await session.explain(
					{ data: input.data.subarray(0, h * w * c), height: h, width: w, channels: c },
					method,
					classIndex
				);
			} catch (e) {
				if (e instanceof ExplainError) throw new UsageError(`--explain: ${e.message}`);
				throw e;
			}
		}
	} finally {
		session.dispose();
	}

	const classes = classNames(spec, meta);
	const tops = logits.map((l) => topK(l, Math.min(Number(v.top), spec.head.classes), classes));
	const top = tops[0];
	const explainJson = explained && {
		method: explained.method,
		node: explained.node,
		class: explained.classIndex,
		shape: [explained.height, explained.width],
		values: Array.from(explained.values)
	};
	if (v.format === 'json') {
		// one image: logits and top as before; N > 1: a list of N of each (never only the first)
		const many = logits.length > 1;
		const network = inferred ? { spec, ...checkpointJson(inferred) } : mapping ? { mapping } : {};
		process.stdout.write(
			JSON.stringify({
				backend: v.backend,
				weights: weightsNote,
				logits: many ? logits : logits[0],
				top: many ? tops : top,
				taps: tapValues,
				...network,
				...(explainJson ? { explain: explainJson } : {})
			}) + '\n'
		);
		return;
	}
	const lines = [
		`${spec.name} · backend ${v.backend} · forward ${ms.toFixed(1)} ms`,
		`weights: ${weightsNote}`,
		`input:   ${inputNote}`,
		'',
		...tops.flatMap((t, n) => [
			`top ${t.length}${tops.length > 1 ? ` of image ${n + 1}` : ''}:`,
			...t.map(
				(p, i) =>
					`${String(i + 1).padStart(3)}. ${(p.prob * 100).toFixed(2).padStart(6)} %  ${classes ? `${labelFor(p.index, classes)} (class ${p.index})` : labelFor(p.index, classes)}`
			)
		])
	];
	for (const [id, t] of Object.entries(tapValues)) {
		let min = Infinity;
		let max = -Infinity;
		let sum = 0;
		for (const x of t.values) {
			min = Math.min(min, x);
			max = Math.max(max, x);
			sum += x;
		}
		lines.push(
			`tap ${id}: [${t.shape.join(', ')}] min ${min.toPrecision(4)} mean ${(sum / t.values.length).toPrecision(4)} max ${max.toPrecision(4)}`
		);
	}
	if (explained) lines.push(explainSummary(explained, v.explain!, classes));
	process.stdout.write(lines.join('\n') + '\n');
});

/** One line: what was explained, the map's shape, range and where it peaks. */
function explainSummary(e: Explanation, asked: string, classes: string[] | null): string {
	let peak = 0;
	let sum = 0;
	for (let i = 0; i < e.values.length; i++) {
		sum += e.values[i];
		if (e.values[i] > e.values[peak]) peak = i;
	}
	const what = e.node ? `${e.method} at ${e.node}` : e.method;
	const label = classes
		? `${labelFor(e.classIndex, classes)} (class ${e.classIndex})`
		: `class ${e.classIndex}`;
	return `explain ${what} (--explain ${asked}) for ${label}: ${e.height}×${e.width}, mean ${(sum / e.values.length).toPrecision(4)}, max ${e.values[peak].toPrecision(4)} at row ${Math.floor(peak / e.width)}, column ${peak % e.width}`;
}
