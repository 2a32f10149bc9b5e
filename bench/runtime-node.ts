/**
 * npm run bench:runtime-node — the tfjs forward pass in Node (cpu and wasm backends), batch 1,
 * seeded random weights, against PyTorch (Debian's torch, CPU, 1 thread) on the same networks in
 * the same run; and the two ways of running grouped convolutions (split per group vs one
 * depthwise conv + group sum) on resnext50_32x4d. Prints the numbers and writes the
 * `## runtime (Node)` section of docs/benchmarks.md. Informative only: the machine is shared.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { median, writeBenchSection } from './common';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { buildGraph, presetSpec, type ArchSpec } from '../src/lib/arch/index';
import { compile, type GroupedMode } from '../src/lib/runtime/compile';
import { initWeights } from '../src/lib/weights/index';

const RUNS = 3;
const PYTHON = '/usr/bin/python3';
const HEADING = '## runtime (Node)';

interface Row {
	net: string;
	size: number;
	backend: string;
	grouped: string;
	median: number;
	min: number;
	torch: number | null;
}

function specAt(name: string, size: number): ArchSpec {
	const spec = presetSpec(name)!;
	spec.input = { ...spec.input, height: size, width: size };
	return spec;
}

async function time(
	spec: ArchSpec,
	backend: string,
	grouped: GroupedMode
): Promise<{ median: number; min: number }> {
	await tf.setBackend(backend);
	await tf.ready();
	const graph = buildGraph(spec);
	const net = compile(tf, graph, initWeights(graph, 0), { grouped });
	const x = tf.randomNormal([1, spec.input.height, spec.input.width, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
	const once = async () => {
		const t0 = performance.now();
		const out = net.forward(x);
		await out.logits.data();
		const ms = performance.now() - t0;
		out.logits.dispose();
		return ms;
	};
	await once(); // warm-up
	const times: number[] = [];
	for (let i = 0; i < RUNS; i++) times.push(await once());
	x.dispose();
	net.dispose();
	return { median: median(times), min: Math.min(...times) };
}

function torchTimes(cases: { name: string; size: number }[]): Map<string, number> | string {
	if (!existsSync(PYTHON)) return `${PYTHON} not found`;
	const script = `
import json, sys, time, torch, torchvision
torch.set_num_threads(1)
out = {}
for name, size in json.loads(sys.argv[1]):
    m = getattr(torchvision.models, name)().eval()
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        m(x)
        ts = []
        for _ in range(${RUNS}):
            t0 = time.perf_counter(); m(x); ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    out[f"{name}@{size}"] = ts[len(ts) // 2]
print(json.dumps(out))
`;
	const r = spawnSync(PYTHON, ['-c', script, JSON.stringify(cases.map((c) => [c.name, c.size]))], {
		encoding: 'utf8'
	});
	if (r.status !== 0) return `python failed: ${r.stderr.trim().split('\n').pop()}`;
	return new Map(Object.entries(JSON.parse(r.stdout.trim().split('\n').pop()!)));
}

tf.enableProdMode();
const plan: { name: string; size: number; backend: string; grouped: GroupedMode }[] = [
	{ name: 'resnet18', size: 224, backend: 'cpu', grouped: 'split' },
	{ name: 'resnet18', size: 224, backend: 'wasm', grouped: 'split' },
	{ name: 'resnet50', size: 224, backend: 'wasm', grouped: 'split' },
	{ name: 'resnext50_32x4d', size: 112, backend: 'wasm', grouped: 'split' },
	{ name: 'resnext50_32x4d', size: 112, backend: 'wasm', grouped: 'depthwise' },
	{ name: 'resnext50_32x4d', size: 112, backend: 'cpu', grouped: 'split' },
	{ name: 'resnext50_32x4d', size: 112, backend: 'cpu', grouped: 'depthwise' }
];
const torch = torchTimes([...new Map(plan.map((p) => [`${p.name}@${p.size}`, p])).values()]);
const rows: Row[] = [];
for (const p of plan) {
	const t = await time(specAt(p.name, p.size), p.backend, p.grouped);
	const ref = typeof torch === 'string' ? null : (torch.get(`${p.name}@${p.size}`) ?? null);
	rows.push({
		net: p.name,
		size: p.size,
		backend: p.backend,
		grouped: p.name.startsWith('resnext') ? p.grouped : '',
		...t,
		torch: ref
	});
	process.stdout.write(`${p.name}@${p.size} ${p.backend} ${p.grouped}: median ${t.median.toFixed(0)} ms\n`);
}

const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const lines = [
	HEADING,
	'',
	'`npm run bench:runtime-node` (bench/runtime-node.ts): one forward pass of `compile()`d networks in Node',
	'(tfjs 4.22, batch 1, seeded random weights, time from `forward` to the logits read back), median of',
	`${RUNS} runs after one warm-up. Reference, measured in the same run: Debian's PyTorch (CPU, 1 thread,`,
	'`torch.no_grad`, eval mode) on the same network and input size. `grouped`: how grouped convolutions run',
	'(`split`: one conv per group + concat; `depthwise`: one depthwise conv + a sum per group; `compile`',
	'uses depthwise where a group has at most 8 output channels, chosen from these numbers).',
	'',
	`Machine: ${cpus().length} cores, ${cpus()[0]?.model.trim()}, Node ${process.version}, shared with other jobs. Date: ${date}.`,
	'',
	'| Network | Input | Backend | Grouped | Median (ms) | Min (ms) | PyTorch (ms) | Ratio to PyTorch |',
	'| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |',
	...rows.map(
		(r) =>
			`| ${r.net} | ${r.size}×${r.size} | ${r.backend} | ${r.grouped} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)} | ${
				r.torch === null ? '–' : r.torch.toFixed(0)
			} | ${r.torch === null ? '–' : `${(r.median / r.torch).toFixed(1)}×`} |`
	),
	'',
	typeof torch === 'string' ? `PyTorch reference not measured: ${torch}.` : ''
];
const section = lines.join('\n').trimEnd() + '\n';
process.stdout.write('\n' + section);

await writeBenchSection(HEADING, section);
