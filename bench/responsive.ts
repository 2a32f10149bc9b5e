/**
 * npm run bench:responsive — does the page stay responsive while a network runs? The network
 * runs in a Web Worker ($lib/runtime/worker.ts); the page's main thread only sends the input and
 * draws the results. On the production build (`vite build` + `vite preview --port 5215`) in
 * headless Chromium:
 *
 * 1. resnet50, 224×224, seeded weights, tfjs wasm: the main thread's long tasks
 *    (PerformanceObserver `longtask`, tasks over 50 ms) from the click to the result, for the
 *    first run (seeded weights made and uploaded in the worker) and for warm runs, each on another
 *    sample photo (decoded and preprocessed on the page), with the block `layer1.0` selected (its
 *    256 feature maps of 56×56 are read back and painted after each run).
 *    Goal: no main-thread task over 100 ms. Reference in the same run: the forward pass itself
 *    (the page's `forward-ms`) — the length of the one long task the page had when tfjs ran on
 *    the main thread (issue 10 measured 335 ms).
 * 2. The demo network fashion-resnet (bundled weights, 1×28×28): the page's median forward time,
 *    against PyTorch (CPU, 2 threads, eval, no_grad) on the same network in the same run
 *    (tools/reference/archspec_torch.py builds it from static/models/fashion-resnet/spec.json).
 *
 * Prints the numbers and writes the `## responsiveness` section of docs/benchmarks.md.
 * Options: --runs 10 (warm resnet50 runs) --demo-runs 30 --no-build --keep-doc
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { chromium, type Page } from '@playwright/test';
import { chromiumArgs } from '../playwright.config';
import { median, waitForServer, writeBenchSection } from './common';

const PORT = 5215;
const BASE = `http://localhost:${PORT}`;
const PYTHON = '/usr/bin/python3';
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', '10'));
const DEMO_RUNS = Number(opt('demo-runs', '30'));
const LONG_TASK_GOAL = 100;

const f1 = (x: number) => x.toFixed(1);
const log = (...a: unknown[]) => console.error('[bench:responsive]', ...a);

/**
 * PyTorch's forward times (ms) on fashion-resnet and torchvision's resnet50 (CPU, eval, no_grad),
 * with 1 and with 2 threads: on a busy shared machine 2 threads can be far slower than 1, and the
 * faster of the two is the fair reference.
 */
function pytorchTimes(runs: number): {
	fashion: Record<string, number[]>;
	resnet50: Record<string, number[]>;
	torch: string;
} {
	const code = `
import json, sys, time, torch, torchvision
sys.path.insert(0, 'tools/reference')
from archspec_torch import build, load_spec
def timed(model, x, n):
    with torch.no_grad():
        for _ in range(5): model(x)
        out = []
        for _ in range(n):
            t0 = time.perf_counter(); model(x); out.append((time.perf_counter() - t0) * 1000)
    return out
torch.manual_seed(0)
fashion = build(load_spec('static/models/fashion-resnet/spec.json')).eval()
r50 = torchvision.models.resnet50().eval()
out = {'fashion': {}, 'resnet50': {}, 'torch': torch.__version__}
for t in (1, 2):
    torch.set_num_threads(t)
    out['fashion'][str(t)] = timed(fashion, torch.randn(1, 1, 28, 28), ${runs})
    out['resnet50'][str(t)] = timed(r50, torch.randn(1, 3, 224, 224), 5)
print(json.dumps(out))
`;
	const out = execFileSync(PYTHON, ['-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
	return JSON.parse(out.trim().split('\n').pop()!);
}

interface Task {
	start: number;
	duration: number;
}

/** Runs `act` (which starts one run) and waits for the panel to count one more finished run. */
async function oneRun(
	page: Page,
	act: () => Promise<void>
): Promise<{ tasks: Task[]; forwardMs: number; wallMs: number }> {
	const result = page.getByTestId('run-result');
	const before = Number(await result.getAttribute('data-runs'));
	const t0 = await page.evaluate(() => {
		(globalThis as unknown as { __long: Task[] }).__long = [];
		return performance.now();
	});
	await act();
	await page.waitForFunction(
		(n) =>
			Number(document.querySelector('[data-testid="run-result"]')?.getAttribute('data-runs')) > n ||
			!!document.querySelector('[data-testid="run-error"]'),
		before,
		{ timeout: 600_000 }
	);
	if (await page.getByTestId('run-error').count())
		throw new Error(await page.getByTestId('run-error').innerText());
	// Let the feature maps of the selection arrive and be painted, then collect the long tasks.
	await page.waitForFunction(() => !!document.querySelector('canvas[data-testid="feature-map"]'), null, {
		timeout: 600_000
	});
	await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 100))));
	const { tasks, t1 } = await page.evaluate(() => ({
		tasks: (globalThis as unknown as { __long: Task[] }).__long,
		t1: performance.now()
	}));
	const m = /([\d.]+) ms/.exec(await page.getByTestId('forward-ms').innerText());
	return { tasks: tasks.filter((t) => t.start >= t0), forwardMs: m ? Number(m[1]) : NaN, wallMs: t1 - t0 };
}

async function main() {
	let server: ChildProcess | null = null;
	const load0 = loadavg();
	try {
		log('timing PyTorch on fashion-resnet and resnet50 …');
		const torch = pytorchTimes(DEMO_RUNS);
		if (!args.includes('--no-build')) {
			log('building …');
			const b = spawnSync('npx', ['vite', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
			if (b.status !== 0) throw new Error('vite build failed');
		}
		server = spawn('npx', ['vite', 'preview', '--port', String(PORT), '--strictPort'], {
			stdio: 'ignore',
			detached: true
		});
		await waitForServer(BASE, 60_000, server);

		const browser = await chromium.launch({
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: chromiumArgs
		});
		const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
		await context.addInitScript(() => {
			const g = globalThis as unknown as { __long: { start: number; duration: number }[] };
			g.__long = [];
			new PerformanceObserver((list) => {
				for (const e of list.getEntries()) g.__long.push({ start: e.startTime, duration: e.duration });
			}).observe({ type: 'longtask', buffered: true });
		});
		const page = await context.newPage();
		page.setDefaultTimeout(600_000);
		page.on('pageerror', (e) => log('page error:', e.message));

		// 1. resnet50, seeded weights, wasm.
		log('resnet50 (seeded, wasm) …');
		await page.goto(`${BASE}/?preset=resnet50`);
		await page.getByTestId('preset-select').waitFor();
		await page.getByTestId('backend-select').selectOption('wasm');
		await page.getByTestId('backend-badge').locator('strong').filter({ hasText: 'wasm' }).waitFor();
		const backend = (await page.getByTestId('backend-badge').innerText()).replace(/\s+/g, ' ').trim();
		await page.getByTestId('expand-all').click();
		await page.locator('[data-testid="group-row"][data-id="layer1.0"]').click();
		// The first run: a sample click runs it (seeded weights made and uploaded in the worker).
		const first = await oneRun(page, () => page.getByTestId('sample-cat').click());
		log(
			`  first run: forward ${f1(first.forwardMs)} ms, long tasks ${first.tasks.map((t) => f1(t.duration)).join(', ') || 'none'}`
		);
		const warm: Awaited<ReturnType<typeof oneRun>>[] = [];
		const photos = ['coffee', 'astronaut', 'rocket', 'cat'];
		for (let i = 0; i < RUNS; i++)
			warm.push(await oneRun(page, () => page.getByTestId(`sample-${photos[i % photos.length]}`).click()));
		const warmTasks = warm.flatMap((r) => r.tasks);
		const warmForward = median(warm.map((r) => r.forwardMs));
		log(
			`  warm: forward median ${f1(warmForward)} ms, long tasks ${warmTasks.map((t) => f1(t.duration)).join(', ') || 'none'}`
		);

		// 2. The demo network, as the page opens (bundled weights, auto-run).
		log('fashion-resnet …');
		await page.goto(`${BASE}/`);
		await page.waitForFunction(
			() => Number(document.querySelector('[data-testid="run-result"]')?.getAttribute('data-runs')) > 0
		);
		const demo: number[] = [];
		const demoTasks: Task[] = [];
		for (let i = 0; i < DEMO_RUNS + 2; i++) {
			const r = await oneRun(page, () => page.getByTestId('run-button').click());
			if (i >= 2) {
				demo.push(r.forwardMs);
				demoTasks.push(...r.tasks);
			}
		}
		await browser.close();

		// Report.
		const longest = (ts: Task[]) => (ts.length ? Math.max(...ts.map((t) => t.duration)) : 0);
		const allTasks = [...first.tasks, ...warmTasks];
		const maxTask = longest(allTasks);
		const demoMs = median(demo);
		/** The faster thread count's times. */
		const best = (byThreads: Record<string, number[]>) =>
			Object.entries(byThreads).reduce((a, b) => (median(b[1]) < median(a[1]) ? b : a));
		const [demoThreads, torchDemoTimes] = best(torch.fashion);
		const [r50Threads, torch50Times] = best(torch.resnet50);
		const torchDemo = median(torchDemoTimes);
		const torch50 = median(torch50Times);
		const each = (byThreads: Record<string, number[]>) =>
			Object.entries(byThreads)
				.map(([t, xs]) => `${f1(median(xs))} ms with ${t} thread${t === '1' ? '' : 's'}`)
				.join(', ');
		const tasksText = (ts: Task[]) => ts.map((t) => f1(t.duration)).join(', ') || 'none';
		const longestText = (ts: Task[]) => (ts.length ? f1(longest(ts)) : '—');
		const ratioText = (ts: Task[], ms: number) => (ts.length ? (longest(ts) / ms).toFixed(2) : '—');
		const load1 = loadavg();
		const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
		const lines = [
			'## responsiveness',
			'',
			'`npm run bench:responsive` (bench/responsive.ts): the network runs in a Web Worker; the page',
			'keeps only drawing. Production build (`vite preview`), headless Chromium, 1440×900. Main-thread',
			'long tasks (PerformanceObserver `longtask`: tasks over 50 ms) from a click on a sample photo until',
			'its prediction and the feature maps of the selected block `layer1.0` (256 × 56×56, read back and',
			'painted) are on screen; each warm run is another photo (decoded and preprocessed on the page).',
			'Reference in the same run: the forward pass (`forward-ms`), which was one main-thread long task of',
			'that length before the worker (issue 10 measured 335 ms on resnet50).',
			'',
			`Machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Chromium ${browser.version()}, PyTorch ${torch.torch}. Date: ${date} UTC.`,
			`Load average (1 min) before / after: ${load0[0].toFixed(2)} / ${load1[0].toFixed(2)} (a shared machine: the numbers are noisy).`,
			`Backend: ${backend}.`,
			'',
			'| Case | Forward (ms) | Main-thread long tasks (ms) | Longest (ms) | Longest ÷ forward | Goal: none > 100 ms |',
			'| --- | ---: | --- | ---: | ---: | --- |',
			`| resnet50, first run (seeded weights made + uploaded) | ${f1(first.forwardMs)} | ${tasksText(first.tasks)} | ${longestText(first.tasks)} | ${ratioText(first.tasks, first.forwardMs)} | ${longest(first.tasks) <= LONG_TASK_GOAL ? 'met' : 'not met'} |`,
			`| resnet50, ${RUNS} warm runs (median forward) | ${f1(warmForward)} | ${tasksText(warmTasks)} | ${longestText(warmTasks)} | ${ratioText(warmTasks, warmForward)} | ${longest(warmTasks) <= LONG_TASK_GOAL ? 'met' : 'not met'} |`,
			'',
			`Longest main-thread task over all resnet50 runs: **${allTasks.length ? `${f1(maxTask)} ms` : 'none over 50 ms'}** (goal ≤ ${LONG_TASK_GOAL} ms: ${maxTask <= LONG_TASK_GOAL ? 'met' : 'not met'}). PyTorch resnet50 (CPU) in the same run: ${each(torch.resnet50)} (reference: ${f1(torch50)} ms, ${r50Threads} thread${r50Threads === '1' ? '' : 's'}).`,
			'',
			`Demo network fashion-resnet (bundled weights, 1×28×28), median of ${DEMO_RUNS} runs through the page after 2 warm-up runs:`,
			'',
			'| Runtime | Median forward (ms) | Min (ms) | Ratio to PyTorch |',
			'| --- | ---: | ---: | ---: |',
			`| tfjs in the worker (${backend.split(' ')[0]}) | ${f1(demoMs)} | ${f1(Math.min(...demo))} | ${(demoMs / torchDemo).toFixed(2)} |`,
			`| PyTorch (CPU, ${demoThreads} thread${demoThreads === '1' ? '' : 's'}: the faster of 1 and 2), same network | ${f1(torchDemo)} | ${f1(Math.min(...torchDemoTimes))} | 1.00 |`,
			'',
			`PyTorch on fashion-resnet: ${each(torch.fashion)}. Main-thread long tasks during the ${DEMO_RUNS} page runs: ${demoTasks.length ? `${tasksText(demoTasks)} ms` : 'none'}.`,
			'',
			"Notes. A long task's length is wall time: on this 2-core machine the worker and tfjs-wasm's two",
			"threads compete with the page's main thread for the cores, and when other jobs load the machine",
			'(load average ≫ 2) a short main-thread task is stretched while it waits for a core. A Chrome trace',
			'of a first resnet50 run at load ≈ 10 showed one 112 ms task (a worker message and the Svelte update',
			'it starts), while the Svelte updates of the whole run sampled ≈ 110 ms of JavaScript in all.',
			'The forward pass itself no longer runs on the main thread at all.',
			''
		];
		const section = lines.join('\n');
		console.log(section);
		if (!args.includes('--keep-doc')) await writeBenchSection('## responsiveness', section);
	} finally {
		if (server?.pid) {
			try {
				process.kill(-server.pid);
			} catch {
				// already gone
			}
		}
	}
}

main().catch((e) => {
	console.error('error:', e instanceof Error ? e.message : e);
	process.exit(1);
});
