/**
 * npm run bench:explain — how long an explanation takes as a multiple of one forward pass, same
 * network, same weights, same input, same run: the bundled fashion-resnet (its trained weights,
 * its first sample, at its own 1×28×28 and enlarged to 224×224) and resnet50 at 224×224 (seeded
 * random weights), on tfjs's wasm
 * backend in Node (the worker runs the same Session code in the page). Forward = `forward` to
 * the logits read back; an explanation = `explain()` from the input array to the map read back.
 * The three are measured interleaved (forward, Grad-CAM, saliency, forward, …) so that a busy
 * machine slows them alike; medians. Writes the `## explanations` section of docs/benchmarks.md.
 *
 * Options: --runs N (default 7; the small fashion-resnet, whose times are short and noisy on a
 * shared machine, gets 5 × N rounds) --keep-doc
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { PNG } from 'pngjs';
import { buildGraph, presetSpec, type ArchSpec } from '../src/lib/arch/index';
import { compile, type CompiledNet } from '../src/lib/runtime/compile';
import { explain, type ExplainInput } from '../src/lib/runtime/explain';
import { lastBlockId } from '../src/lib/arch/ids';
import type { ExplainMethod } from '../src/lib/runtime/protocol';
import { initWeights, loadCheckpoint, type TensorMap } from '../src/lib/weights/index';
import { median, writeBenchSection } from './common';

const HEADING = '## explanations';
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', '7'));
const root = new URL('..', import.meta.url).pathname;

interface Net {
	name: string;
	rounds: number;
	spec: ArchSpec;
	weights: TensorMap;
	input: ExplainInput;
	note: string;
}

/** The bundled fashion-resnet on its first sample, at `size`² (the sample enlarged, nearest pixel). */
function fashion(size: number): Net {
	const dir = `${root}static/models/fashion-resnet/`;
	const spec = JSON.parse(readFileSync(dir + 'spec.json', 'utf8')) as ArchSpec;
	spec.input = { ...spec.input, height: size, width: size };
	const meta = JSON.parse(readFileSync(dir + 'meta.json', 'utf8'));
	const png = PNG.sync.read(readFileSync(`${root}static/samples/fashion/0-ankle-boot.png`));
	const data = new Float32Array(size * size);
	for (let y = 0; y < size; y++)
		for (let x = 0; x < size; x++) {
			const src = Math.floor((y * 28) / size) * 28 + Math.floor((x * 28) / size);
			data[y * size + x] = (png.data[src * 4] / 255 - meta.mean[0]) / meta.std[0];
		}
	return {
		name: 'fashion-resnet',
		rounds: size === 28 ? 5 * RUNS : RUNS,
		spec,
		weights: loadCheckpoint(new Uint8Array(readFileSync(dir + 'model.safetensors')), 'model.safetensors'),
		input: { data, height: size, width: size, channels: 1 },
		note: `bundled weights, 0-ankle-boot.png${size === 28 ? '' : ' enlarged'}, 1×${size}×${size}`
	};
}

function resnet50(): Net {
	const spec = presetSpec('resnet50')!;
	const graph = buildGraph(spec);
	let s = 1;
	const data = Float32Array.from({ length: 224 * 224 * 3 }, () => {
		s = (s * 16807) % 2147483647;
		return (s / 2147483647) * 4 - 2;
	});
	return {
		name: 'resnet50',
		rounds: RUNS,
		spec,
		weights: initWeights(graph, 0),
		input: { data, height: 224, width: 224, channels: 3 },
		note: 'seeded random weights, 3×224×224'
	};
}

async function forwardMs(net: CompiledNet, input: ExplainInput): Promise<number> {
	const t0 = performance.now();
	const x = tf.tensor4d(input.data, [1, input.height, input.width, input.channels]);
	const out = net.forward(x);
	await out.logits.data();
	const ms = performance.now() - t0;
	x.dispose();
	out.logits.dispose();
	return ms;
}

async function explainMs(net: CompiledNet, input: ExplainInput, method: ExplainMethod): Promise<number> {
	const t0 = performance.now();
	await explain(tf, net, input, method, null);
	return performance.now() - t0;
}

tf.enableProdMode();
await tf.setBackend('wasm');
await tf.ready();

interface Row {
	net: string;
	note: string;
	forward: number;
	forwardKernels: number;
	methods: { label: string; ms: number; kernels: number }[];
}
const rows: Row[] = [];
for (const n of [fashion(28), fashion(224), resnet50()]) {
	const graph = buildGraph(n.spec);
	const net = compile(tf, graph, n.weights);
	const last = lastBlockId(graph);
	const methods: { label: string; method: ExplainMethod }[] = [
		{ label: `Grad-CAM at ${last} (default)`, method: { kind: 'gradcam', node: last } },
		{ label: 'Grad-CAM at layer1', method: { kind: 'gradcam', node: 'layer1' } },
		{ label: 'saliency', method: { kind: 'saliency' } }
	];
	// warm-up: kernels, and the weights some cuts upload on first use
	await forwardMs(net, n.input);
	for (const m of methods) await explainMs(net, n.input, m.method);
	// kernels run (tf.profile), outside the timed rounds
	const kernels = async (f: () => Promise<unknown>) =>
		(
			await tf.profile(async () => {
				await f();
			})
		).kernels.length;
	const forwardKernels = await kernels(() => forwardMs(net, n.input));
	const methodKernels: number[] = [];
	for (const m of methods) methodKernels.push(await kernels(() => explainMs(net, n.input, m.method)));
	const fw: number[] = [];
	const ex = methods.map(() => [] as number[]);
	for (let r = 0; r < n.rounds; r++) {
		fw.push(await forwardMs(net, n.input));
		for (let i = 0; i < methods.length; i++) ex[i].push(await explainMs(net, n.input, methods[i].method));
	}
	net.dispose();
	const row = {
		net: n.name,
		note: n.note,
		forward: median(fw),
		forwardKernels,
		methods: methods.map((m, i) => ({ label: m.label, ms: median(ex[i]), kernels: methodKernels[i] }))
	};
	rows.push(row);
	console.error(
		`[bench:explain] ${n.name}: forward ${row.forward.toFixed(1)} ms; ` +
			row.methods.map((m) => `${m.label} ${m.ms.toFixed(1)} ms`).join('; ')
	);
}

const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const lines = [
	HEADING,
	'',
	'`npm run bench:explain` (bench/explain.ts): an explanation’s time as a multiple of one forward pass,',
	'same network, weights and input, same run, tfjs 4.22 **wasm backend in Node** (the page’s worker runs',
	'the same `Session` code). Forward: input upload → logits read back. Explanation: `explain()` from the',
	'input array to the map read back (Grad-CAM: the fast forward up to the node, then the rest of the network',
	'differentiably and its gradient; saliency: the whole network differentiably and the input gradient, its',
	'convolutions’ input gradients run as forward convolutions). Class: the top-1. Measured interleaved',
	`(forward, each explanation, forward, …), median of ${5 * RUNS} rounds (fashion-resnet at 28²) or ${RUNS} (224²)`,
	'after a warm-up. Goal: ≤ 3× a forward. Kernels: how many tfjs kernels one call runs (`tf.profile`); on',
	'a small net the per-kernel overhead dominates, so its ratio moves with the machine’s load.',
	'',
	`Machine: ${cpus().length} cores, ${cpus()[0]?.model.trim()}, Node ${process.version}, shared with other jobs. Date: ${date}.`,
	'',
	'| Network | Input | Forward (ms) | Kernels | Explanation | Time (ms) | Kernels | × forward |',
	'| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |',
	...rows.flatMap((r) =>
		r.methods.map(
			(m) =>
				`| ${r.net} | ${r.note} | ${r.forward.toFixed(1)} | ${r.forwardKernels} | ${m.label} | ${m.ms.toFixed(1)} | ${m.kernels} | ${(m.ms / r.forward).toFixed(2)}× |`
		)
	)
];
const section = lines.join('\n') + '\n';
process.stdout.write('\n' + section);
if (!args.includes('--keep-doc')) await writeBenchSection(HEADING, section);
