/**
 * npm run bench:calc — how long the calculator takes to turn a spec into a graph with every
 * metric (buildGraph), against torchvision constructing resnet152 and counting its parameters,
 * measured in the same run. Prints the numbers and writes the `## calc` section of docs/benchmarks.md.
 *
 * Goals: resnet152 ≤ 1 ms, resnet1202 ≤ 10 ms (median after warm-up).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { median, writeBenchSection } from './common';
import { buildGraph, presetSpec } from '../src/lib/arch/index';

const WARMUP = 30;
const RUNS = 50;
const TORCH_RUNS = 7;
const PYTHON = '/usr/bin/python3';
const GOALS: Record<string, number> = { resnet152: 1, resnet1202: 10 };

interface Result {
	name: string;
	nodes: number;
	params: number;
	medianMs: number;
	minMs: number;
	runs: number;
}

function benchBuild(name: string): Result {
	const spec = presetSpec(name)!;
	let g = buildGraph(spec);
	for (let i = 0; i < WARMUP; i++) g = buildGraph(spec);
	const times: number[] = [];
	for (let i = 0; i < RUNS; i++) {
		const t0 = performance.now();
		g = buildGraph(spec);
		times.push(performance.now() - t0);
	}
	return {
		name,
		nodes: g.nodes.length,
		params: g.totals.params,
		medianMs: median(times),
		minMs: Math.min(...times),
		runs: RUNS
	};
}

/** torchvision.models.resnet152() + sum of parameter sizes, timed inside Python. */
function benchTorchvision(): { medianMs: number; minMs: number; params: number; version: string } | string {
	if (!existsSync(PYTHON)) return `${PYTHON} not found`;
	const script = `
import json, time, torch, torchvision
torch.set_num_threads(1)
def once():
    m = torchvision.models.resnet152()
    return sum(p.numel() for p in m.parameters() if p.requires_grad)
once()  # warm-up
times = []
for _ in range(${TORCH_RUNS}):
    t0 = time.perf_counter()
    n = once()
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({"medianMs": times[len(times) // 2], "minMs": times[0], "params": n,
                  "version": f"torch {torch.__version__}, torchvision {torchvision.__version__}"}))
`;
	const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
	if (r.status !== 0) return `python failed: ${r.stderr.trim().split('\n').pop()}`;
	return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function machine(): string {
	let model = cpus()[0]?.model?.trim() ?? 'unknown CPU';
	try {
		const line = execFileSync('lscpu', { encoding: 'utf8' })
			.split('\n')
			.find((l) => l.startsWith('Model name:'));
		if (line) model = line.slice('Model name:'.length).trim();
	} catch {
		/* no lscpu: keep os.cpus() */
	}
	return `${cpus().length} cores, ${model}, Node ${process.version}`;
}

const results = ['resnet50', 'resnet152', 'resnet1202'].map(benchBuild);
const tv = benchTorchvision();
const r152 = results.find((r) => r.name === 'resnet152')!;
const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(3) : ms.toFixed(1));
const lines = [
	'## calc',
	'',
	'`npm run bench:calc` (bench/calc.ts): `buildGraph(spec)` — the block graph with every shape, param,',
	`MAC, FLOP, activation size and receptive field — median of ${RUNS} runs after ${WARMUP} warm-up runs.`,
	`Reference, measured in the same run: Debian's torchvision constructing \`resnet152()\` and summing its`,
	`parameter sizes (median of ${TORCH_RUNS} runs after one warm-up, \`time.perf_counter\`, 1 torch thread).`,
	'',
	`Machine: ${machine()}. Date: ${date}.`,
	'',
	'| Network | Nodes | Params | Median (ms) | Min (ms) | Goal |',
	'|---|---:|---:|---:|---:|---|',
	...results.map((r) => {
		const goal = GOALS[r.name];
		const verdict = goal === undefined ? '' : `≤ ${goal} ms: ${r.medianMs <= goal ? 'met' : 'MISSED'}`;
		return `| ${r.name} | ${r.nodes} | ${r.params.toLocaleString('en-US')} | ${fmt(r.medianMs)} | ${fmt(r.minMs)} | ${verdict} |`;
	}),
	''
];
if (typeof tv === 'string') lines.push(`torchvision reference not measured: ${tv}.`, '');
else {
	const agree = tv.params === r152.params ? 'same parameter count' : `params DIFFER: ${tv.params}`;
	lines.push(
		`torchvision resnet152 (${tv.version}): median ${fmt(tv.medianMs)} ms, min ${fmt(tv.minMs)} ms; ${agree}.`,
		`Ratio: buildGraph(resnet152) is **${(tv.medianMs / r152.medianMs).toFixed(0)}×** faster than torchvision ` +
			'building resnet152 and counting its parameters (which also allocates and initialises the weights).',
		''
	);
}
lines.push(
	'The machine is shared (other jobs running), so medians vary from run to run; the goals leave margin.',
	''
);
const section = lines.join('\n');
process.stdout.write(section + '\n');

await writeBenchSection('## calc', section);
