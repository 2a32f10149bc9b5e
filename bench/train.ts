/**
 * npm run bench:train — training throughput (images/s) of resnet20 on 1×28×28 (the bundled
 * fashion-resnet's spec), batch 64, SGD with momentum and weight decay:
 *   - tfjs wasm in headless Chromium (threads: the page is cross-origin isolated; the app's own
 *     backend start, src/lib/runtime/backend.ts, which asks for every core — 2 on this machine),
 *     the Trainer (src/lib/runtime/train.ts) loaded through the dev server (bench/train-page.ts);
 *   - tfjs wasm in Node (this process; the Node build of the wasm backend runs one thread);
 *   - the reference: PyTorch on the CPU with 2 threads (tools/reference/train_reference.py
 *     --bench), measured before and after the others in the same run (the machine is shared).
 * Prints a table and writes the `## train` section of docs/benchmarks.md.
 *
 * Options: --runs 10 --keep-doc (print only)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { chromiumArgs } from '../playwright.config';
import { buildGraph, type ArchSpec } from '../src/lib/arch/index';
import { registerTrainingKernels } from '../src/lib/runtime/kernels/index';
import { Trainer } from '../src/lib/runtime/train';
import { initWeights } from '../src/lib/weights/index';
import { median, waitForServer, writeBenchSection } from './common';

const PORT = 5314;
const BASE = `http://localhost:${PORT}`;
const SPEC_FILE = 'static/models/fashion-resnet/spec.json';
const BATCH = 64;
const WARMUP = 2;

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', '10'));
const log = (...a: unknown[]) => console.error('[bench:train]', ...a);

interface Row {
	what: string;
	detail: string;
	times: number[];
}

function torchRun(): Row {
	const r = spawnSync(
		'/usr/bin/python3',
		[
			'tools/reference/train_reference.py',
			'--bench',
			SPEC_FILE,
			'--batch',
			String(BATCH),
			'--threads',
			'2',
			'--runs',
			String(RUNS)
		],
		{ encoding: 'utf8' }
	);
	if (r.status !== 0) throw new Error(`PyTorch reference failed: ${r.stderr}`);
	const out = JSON.parse(r.stdout) as { times: number[]; threads: number; torch: string };
	return { what: 'PyTorch CPU', detail: `torch ${out.torch}, ${out.threads} threads`, times: out.times };
}

async function nodeRun(spec: ArchSpec): Promise<Row> {
	registerTrainingKernels(tf);
	tf.enableProdMode();
	await tf.setBackend('wasm');
	const graph = buildGraph(spec);
	const trainer = Trainer.create(tf, graph, initWeights(graph, 1), {
		optimizer: { kind: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 5e-4 },
		schedule: { kind: 'constant' },
		totalSteps: WARMUP + RUNS,
		freeze: 'none'
	});
	const images = Float32Array.from({ length: BATCH * 28 * 28 }, (_, i) => Math.sin(i * 0.731));
	const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
	const times: number[] = [];
	for (let i = 0; i < WARMUP + RUNS; i++) {
		const t0 = performance.now();
		await trainer.step(images, labels);
		if (i >= WARMUP) times.push(performance.now() - t0);
	}
	trainer.dispose();
	return { what: 'tfjs wasm, Node', detail: 'SIMD, 1 thread', times };
}

async function browserRun(spec: ArchSpec): Promise<Row> {
	// The dev server, with this folder allowed too (bench/train-page.ts lives outside src/).
	const server = await createServer({
		configFile: 'vite.config.ts',
		logLevel: 'error',
		server: { port: PORT, strictPort: true, fs: { allow: ['.'] } }
	});
	await server.listen();
	try {
		await waitForServer(BASE, 120_000);
		const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
		try {
			const page = await browser.newPage();
			page.on('pageerror', (e) => log('page error:', e.message));
			// The first import may make the dev server optimise new dependencies and reload the
			// page: then the page is loaded again and the run repeated.
			let r: { backend: string; detail: string; times: number[] } | null = null;
			for (let attempt = 0; !r; attempt++) {
				await page.goto(BASE);
				const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
				if (!isolated) throw new Error('the page is not cross-origin isolated: wasm would run one thread');
				try {
					r = (await page.evaluate(
						async ([url, s, b, w, n]) => {
							const m = await import(/* @vite-ignore */ url);
							return m.timeSteps(s, 'wasm', b, w, n);
						},
						['/bench/train-page.ts', spec, BATCH, WARMUP, RUNS] as const
					)) as { backend: string; detail: string; times: number[] };
				} catch (e) {
					if (attempt >= 2 || !/context was destroyed/.test(String(e))) throw e;
					log('the page reloaded (dependencies optimised); again');
				}
			}
			if (r.backend !== 'wasm') throw new Error(`the page started ${r.backend}, not wasm`);
			return { what: 'tfjs wasm, Chromium', detail: r.detail, times: r.times };
		} finally {
			await browser.close();
		}
	} finally {
		await server.close();
	}
}

const ips = (ms: number) => (BATCH * 1000) / ms;

async function main() {
	const spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as ArchSpec;
	const load0 = loadavg()[0];
	log('PyTorch (before)…');
	const torchBefore = torchRun();
	log('Chromium…');
	const browser = await browserRun(spec);
	log('Node…');
	const node = await nodeRun(spec);
	log('PyTorch (after)…');
	const torchAfter = torchRun();
	const load1 = loadavg()[0];
	const torch: Row = { ...torchBefore, times: [...torchBefore.times, ...torchAfter.times] };
	const ref = median(torch.times);
	const rows = [browser, node, torch];
	const table = [
		'| runtime | detail | ms per step (median) | images/s | × PyTorch |',
		'| --- | --- | ---: | ---: | ---: |',
		...rows.map((r) => {
			const m = median(r.times);
			return `| ${r.what} | ${r.detail} | ${m.toFixed(0)} | ${ips(m).toFixed(0)} | ${(ref / m).toFixed(2)} |`;
		})
	].join('\n');
	const section = `## train

\`npm run bench:train\` — one training step (forward, backward, SGD with momentum and weight decay)
of resnet20 on 1×28×28 (\`${SPEC_FILE}\`), batch ${BATCH}, float32; median of ${RUNS} steps after ${WARMUP}
warm-up steps (PyTorch: ${2 * RUNS} steps, measured before and after the others).
Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, shared with other work: load average
${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end. ${new Date().toISOString().slice(0, 10)}.

${table}

Goal (issue 14): wasm in the browser ≥ 0.5× PyTorch's throughput.
`;
	console.log(table);
	if (!args.includes('--keep-doc')) await writeBenchSection('## train', section);
}

main().catch((e) => {
	console.error(e);
	process.exitCode = 1;
});
