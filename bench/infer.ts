/**
 * npm run bench:infer — ResNet-18, ResNet-50 and ResNeXt-50 (32×4d) at 224×224, batch 1, in the
 * browser, through the app itself: the production build (`vite build` + `vite preview --port
 * 5214`) in headless Chromium. For each network and tfjs backend the page's Run button is pressed
 * repeatedly and the page's own forward time (`forward-ms`: the forward pass with `await data()`
 * of the logits inside) is read; on resnet50 also with the outputs of every layer kept ("taps").
 *
 * References, measured in the same run on the same network and weights (a seeded torchvision
 * model exported by tools/reference/export_onnx.py into a temporary folder, never committed):
 * onnxruntime-web (wasm, 2 threads) in a page of its own, never loaded together with tfjs (half its
 * runs before the app's and half after, so that both see the same load), and PyTorch on the CPU
 * (2 threads).
 * Then the page's Profile (wasm, 5 runs; $lib/runtime/profile.ts) of each network, read from the
 * summary's JSON export: where the time goes, by kind of layer, and the 20 % check (the layers'
 * summed times against a plain forward).
 *
 * Prints a table and writes the `## inference` section of docs/benchmarks.md.
 *
 * Options: --archs resnet18,resnet50,resnext50_32x4d --backends wasm,webgl,cpu,webgpu (default:
 * all; backends other than wasm on resnet50 only) --runs 10 --pause 250 --no-build --keep-doc --no-profile
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	writeFileSync
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { chromiumArgs } from '../playwright.config';
import { buildGraph, presetSpec, type GraphNode } from '../src/lib/arch/index';
import { median, waitForServer, writeBenchSection } from './common';

const PORT = 5214;
const BASE = `http://localhost:${PORT}`;
const PYTHON = '/usr/bin/python3';
const ORT_OUT = new URL('../.svelte-kit/output/client/__bench/ort/', import.meta.url).pathname;
const ORT_DIST = new URL('../node_modules/onnxruntime-web/dist/', import.meta.url).pathname;

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', '10'));
const WARMUP = 2;
const BACKENDS = opt('backends', 'wasm,webgl,cpu,webgpu').split(',');
const ARCHS = opt('archs', 'resnet18,resnet50,resnext50_32x4d').split(',');
/** The network on which every backend (and taps) is measured; the others on wasm only. */
const MAIN = 'resnet50';
/** A backend whose warm forward takes longer than this gets 3 timed runs, not RUNS. */
const SLOW_MS = 3000;
/** Pause before each timed run of either runtime, ms (--pause). */
const PAUSE_MS = Number(opt('pause', '250'));

const f1 = (x: number) => x.toFixed(1);

interface Timing {
	warmup: number[];
	times: number[];
}
interface BackendRow {
	backend: string;
	detail: string;
	plain?: Timing;
	taps?: Timing;
	error?: string;
}

function log(...a: unknown[]) {
	console.error('[bench:infer]', ...a);
}

/** Presses Run until `warmup + runs` forward times have been read from the page. */
async function timeRuns(page: Page, runs: number): Promise<Timing> {
	const button = page.getByTestId('run-button');
	const read = async () => {
		// The panel counts finished runs (`data-runs`); Run stays enabled while one is in flight.
		const result = page.getByTestId('run-result');
		const before = Number(await result.getAttribute('data-runs'));
		await button.click();
		// Polled every 100 ms, not on every animation frame (waitForFunction's default): a Chrome
		// trace showed the frames that polling asks for (main thread, compositor, viz) running on the
		// 2 cores beside the timed forward. A user's page asks for none while it waits.
		await page.waitForFunction(
			(n) => {
				const r = document.querySelector('[data-testid="run-result"]');
				return (
					Number(r?.getAttribute('data-runs')) > n || !!document.querySelector('[data-testid="run-error"]')
				);
			},
			before,
			{ timeout: 600_000, polling: 100 }
		);
		const err = await page.getByTestId('run-error').count();
		if (err) throw new Error(await page.getByTestId('run-error').innerText());
		const text = await page.getByTestId('forward-ms').innerText();
		const m = /([\d.]+) ms/.exec(text);
		if (!m) throw new Error(`no forward time on the page (${text})`);
		return Number(m[1]);
	};
	// A pause before each run, as a user's click comes after a pause (and as onnxruntime-web's
	// runs are timed): the thread pool starts each run from rest.
	const tfjsOnce = async () => {
		await page.waitForTimeout(PAUSE_MS);
		return read();
	};
	const warmup: number[] = [];
	for (let i = 0; i < WARMUP; i++) warmup.push(await tfjsOnce());
	const n = warmup[warmup.length - 1] > SLOW_MS ? Math.min(3, runs) : runs;
	const times: number[] = [];
	for (let i = 0; i < n; i++) times.push(await tfjsOnce());
	log(`  warm-up ${warmup.map(f1).join(', ')} ms; median ${f1(median(times))} ms of ${n}`);
	return { warmup, times };
}

async function benchBackend(page: Page, backend: string, taps: boolean): Promise<BackendRow> {
	const row: BackendRow = { backend, detail: '' };
	await page.getByTestId('backend-select').selectOption(backend);
	await page.waitForFunction(
		() => !document.querySelector('[data-testid="backend-badge"]')?.textContent?.includes('starting')
	);
	const badge = (await page.getByTestId('backend-badge').innerText()).replace(/\s+/g, ' ').trim();
	row.detail = badge;
	if (!badge.startsWith(backend)) {
		row.error = `not available (the page fell back to: ${badge})`;
		return row;
	}
	const keep = page.getByLabel('keep layer outputs');
	try {
		await keep.setChecked(false);
		log(backend, 'without taps');
		row.plain = await timeRuns(page, RUNS);
		if (taps) {
			await keep.setChecked(true);
			log(backend, 'with taps');
			row.taps = await timeRuns(page, RUNS);
		}
	} catch (e) {
		row.error = e instanceof Error ? e.message.split('\n')[0] : String(e);
	}
	return row;
}

/** Serves the exported model files with CORS (and CORP, for the cross-origin isolated page). */
function serveFiles(dir: string): Promise<Server> {
	const server = createServer((req, res) => {
		const name = (req.url ?? '').split('?')[0].replace(/^\/+/, '');
		const file = join(dir, name);
		if (!/^[\w.-]+(\/[\w.-]+)?$/.test(name) || name.includes('..') || !existsSync(file)) {
			res.writeHead(404).end();
			return;
		}
		res.writeHead(200, {
			'content-type': 'application/octet-stream',
			'content-length': String(statSync(file).size),
			'access-control-allow-origin': '*',
			'cross-origin-resource-policy': 'cross-origin'
		});
		createReadStream(file).pipe(res);
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve(server));
	});
}

/**
 * onnxruntime-web in a page of its own (a blank page of the app's origin, cross-origin isolated),
 * for one network: a session and the input, and `globalThis.__ortOnce()` that runs it once and
 * answers its time in ms. The code is a string: tsx would wrap inner functions in a `__name`
 * helper that does not exist in the page.
 */
async function ortPrepare(page: Page, files: string): Promise<string> {
	const code = `(async () => {
		const ort = await import('/__bench/ort/ort.wasm.min.mjs');
		ort.env.wasm.numThreads = 2;
		ort.env.wasm.simd = true;
		ort.env.wasm.wasmPaths = '/__bench/ort/';
		const session = await ort.InferenceSession.create('${files}/model.onnx', {
			executionProviders: ['wasm'],
			graphOptimizationLevel: 'all'
		});
		const bytes = await (await fetch('${files}/input.bin')).arrayBuffer();
		const input = new ort.Tensor('float32', new Float32Array(bytes), [1, 3, 224, 224]);
		globalThis.__ortOnce = async () => {
			const t0 = performance.now();
			const out = await session.run({ input });
			if (out.logits.getData) await out.logits.getData();
			return performance.now() - t0;
		};
		return (ort.env.versions && ort.env.versions.web) || '';
	})()`;
	return (await page.evaluate(code)) as string;
}

/**
 * A block of onnxruntime-web runs (2 warm-up runs, then `runs`, a pause before each) in a page of
 * its own, closed afterwards, while no tfjs page is loaded: neither runtime's threads are there
 * while the other runs. (Both in one page, one run of each in turn, tfjs's runs took 215 ms
 * where they take 123–181 ms alone: the other runtime's presence, not the runtime, was timed.)
 */
async function ortBlock(
	context: BrowserContext,
	files: string,
	runs: number
): Promise<{ version: string; times: number[] }> {
	const page = await context.newPage();
	try {
		await page.goto(`${BASE}/__bench/ort/blank.html`);
		const version = await ortPrepare(page, files);
		const times: number[] = [];
		for (let i = 0; i < WARMUP + runs; i++) {
			await page.waitForTimeout(PAUSE_MS);
			const ms = (await page.evaluate('globalThis.__ortOnce()')) as number;
			if (i >= WARMUP) times.push(ms);
		}
		return { version, times };
	} finally {
		await page.close();
	}
}

/** Per-layer times from the page's Profile, read from the summary's JSON export. */
interface PageProfile {
	backend: string;
	runs: number;
	totalMs: number;
	forwardMs: number;
	stepwiseMs: number;
	layers: { id: string; op: string; macs: number; ms?: number; foldedInto?: string }[];
}

async function profilePage(page: Page): Promise<PageProfile> {
	await page.getByTestId('profile-runs').selectOption('5');
	await page.getByTestId('profile-button').click();
	await page.getByTestId('profile-total').waitFor({ timeout: 600_000 });
	await page.getByTestId('export-menu').click();
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.getByRole('button', { name: 'Summary · JSON' }).click()
	]);
	const json = JSON.parse(readFileSync(await download.path(), 'utf8'));
	return { ...json.profile, layers: json.layers };
}

/** What kind of layer a node is, for the profile's breakdown ("conv 3×3 grouped", "add", …). */
function kindOf(n: GraphNode): string {
	if (n.op === 'conv2d') return `conv ${n.kernel}×${n.kernel}${n.groups > 1 ? ' grouped' : ''}`;
	return n.op;
}

interface ArchResult {
	arch: string;
	rows: BackendRow[];
	ort: number[];
	torch: { pytorch_ms: number[]; threads: number };
	load: [number, number];
	profile: PageProfile | null;
	profileError?: string;
}

async function main() {
	const tmp = mkdtempSync(join(tmpdir(), 'bench-infer-'));
	let server: ChildProcess | null = null;
	let files: Server | null = null;
	const load0 = loadavg();
	try {
		// 1. Networks, weights, inputs, and PyTorch's own timing (before the browser starts).
		const torch = new Map<string, ArchResult['torch']>();
		let torchVersion = '';
		for (const arch of ARCHS) {
			log(`exporting a seeded torchvision ${arch} (ONNX + safetensors) and timing PyTorch …`);
			const py = execFileSync(
				PYTHON,
				[
					'tools/reference/export_onnx.py',
					join(tmp, arch),
					'--arch',
					arch,
					'--time',
					String(RUNS),
					'--threads',
					'2'
				],
				{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }
			);
			torch.set(arch, JSON.parse(py.trim().split('\n').pop()!));
			torchVersion = JSON.parse(readFileSync(join(tmp, arch, 'meta.json'), 'utf8')).torch as string;
		}

		// 2. The production build, served as users get it.
		if (!args.includes('--no-build')) {
			log('building …');
			const b = spawnSync('npx', ['vite', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
			if (b.status !== 0) throw new Error('vite build failed');
		}
		// onnxruntime-web's files from the page's own origin (its threads are same-origin module
		// workers): copied next to the built app for this run only, removed afterwards.
		mkdirSync(ORT_OUT, { recursive: true });
		for (const f of ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'])
			copyFileSync(join(ORT_DIST, f), join(ORT_OUT, f));
		writeFileSync(join(ORT_OUT, 'blank.html'), '<!doctype html><title>onnxruntime-web</title>\n');
		server = spawn('npx', ['vite', 'preview', '--port', String(PORT), '--strictPort'], {
			stdio: 'ignore',
			detached: true
		});
		await waitForServer(BASE, 60_000);
		files = await serveFiles(tmp);
		const addr = files.address();
		const FILES = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

		// 3. Chromium with WebGPU allowed (SwiftShader here), wasm threads need cross-origin isolation.
		const browser = await chromium.launch({
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: [
				...chromiumArgs.filter((a) => a !== '--disable-gpu'),
				'--enable-unsafe-webgpu',
				'--enable-features=Vulkan',
				'--use-angle=swiftshader'
			]
		});
		const context = await browser.newContext({ acceptDownloads: true });
		const page = await context.newPage();
		page.setDefaultTimeout(600_000);
		page.on('crash', () => log('the page crashed'));
		page.on('pageerror', (e) => log('page error:', e.message));
		page.on('console', (m) => {
			if (m.type() === 'error') log('console:', m.text().slice(0, 300));
		});
		let isolated = false;
		let ortVersion = '';
		const results: ArchResult[] = [];
		for (const arch of ARCHS) {
			const l0 = loadavg()[0];
			// onnxruntime-web: half its runs before tfjs's and half after, so that both see the
			// same stretch of the machine's load; never both runtimes loaded at once.
			await page.goto('about:blank');
			log(arch, 'onnxruntime-web, first half');
			const before = await ortBlock(context, `${FILES}/${arch}`, Math.ceil(RUNS / 2));
			ortVersion = before.version;
			await page.goto(`${BASE}/?preset=${arch}`);
			await page.getByTestId('preset-select').waitFor();
			isolated = await page.evaluate(() => crossOriginIsolated);
			// The same weights as ONNX/PyTorch, through the app's own URL loader, and a sample photo.
			await page.getByTestId('weights-url').fill(`${FILES}/${arch}/model.safetensors`);
			await page.getByRole('button', { name: 'Load URL' }).click();
			await page.getByTestId('weights-current').filter({ hasText: 'model.safetensors' }).waitFor();
			await page.getByTestId('sample-cat').click();
			const rows: BackendRow[] = [];
			for (const b of arch === MAIN ? BACKENDS : BACKENDS.filter((x) => x === 'wasm')) {
				log(arch, 'backend', b);
				rows.push(await benchBackend(page, b, arch === MAIN));
			}
			let profile: PageProfile | null = null;
			let profileError: string | undefined;
			if (!args.includes('--no-profile') && BACKENDS.includes('wasm')) {
				log(arch, 'profile on wasm');
				try {
					await page.getByTestId('backend-select').selectOption('wasm');
					await page.waitForFunction(
						() => !document.querySelector('[data-testid="backend-badge"]')?.textContent?.includes('starting')
					);
					profile = await profilePage(page);
				} catch (e) {
					profileError = e instanceof Error ? e.message.split('\n')[0] : String(e);
				}
			}
			await page.goto('about:blank');
			log(arch, 'onnxruntime-web, second half');
			const after = await ortBlock(context, `${FILES}/${arch}`, Math.floor(RUNS / 2));
			const ort = [...before.times, ...after.times];
			results.push({
				arch,
				rows,
				ort,
				torch: torch.get(arch)!,
				load: [l0, loadavg()[0]],
				profile,
				profileError
			});
		}
		await browser.close();

		// 4. Report.
		const load1 = loadavg();
		const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
		const cpu = cpus()[0]?.model ?? 'unknown CPU';
		const lines: string[] = [];
		lines.push('## inference', '');
		lines.push(
			'`npm run bench:infer` (bench/infer.ts): ResNet-18, ResNet-50 and ResNeXt-50 (32×4d), 224×224, batch 1,',
			'seeded torchvision weights (tools/reference/export_onnx.py), in headless Chromium on the production',
			"build (`vite preview`), through the page itself: the Run button, and the page's `forward-ms` (forward",
			'pass + `await data()` of the logits; the end of a run is polled every 100 ms, not on every animation',
			'frame). Median of the timed runs after 2 warm-up runs (the first warm-up',
			'also compiles shaders / uploads weights). "Taps" keeps every layer\'s output on the device for instant',
			'feature maps (all nodes but convolutions and BatchNorms, which are folded). References in the same',
			`run: onnxruntime-web ${ortVersion} (wasm, 2 threads, same ONNX export) in a page of its own on the`,
			"app's origin, **never loaded together with tfjs**: half its runs just before the app's runs of that",
			'network and half just after (2 warm-up runs each time), so that both see the same stretch of load;',
			`a ${PAUSE_MS} ms pause before every run of either. (Both in one page, one run of each in turn, as`,
			"earlier runs did, tfjs's resnet50 took 215 ms where it takes 123–181 ms alone: that timed the other",
			`runtime's presence.) PyTorch ${torchVersion} on the CPU (2 threads, timed before the browser starts).`,
			''
		);
		lines.push(
			`Machine: ${cpus().length} cores, ${cpu}, Chromium ${browser.version()}. Date: ${date} UTC.`,
			`Load average (1 min) before / after: ${load0[0].toFixed(2)} / ${load1[0].toFixed(2)} — the machine is shared`,
			'with other engineers, so absolute times are noisy; the ratios are what this run can say.',
			`Page cross-origin isolated (wasm threads possible): ${isolated}.`,
			''
		);
		lines.push(
			'| Network | Runtime | Details | Warm-up (ms) | Median (ms) | Min (ms) | Runs | × onnxruntime-web |',
			'| --- | --- | --- | --- | ---: | ---: | ---: | ---: |'
		);
		for (const r of results) {
			const ortMs = median(r.ort);
			const cell = (t: Timing) => [
				t.warmup.map(f1).join(', '),
				f1(median(t.times)),
				f1(Math.min(...t.times)),
				String(t.times.length),
				(median(t.times) / ortMs).toFixed(2)
			];
			for (const row of r.rows) {
				if (row.error && !row.plain) {
					lines.push(`| ${r.arch} | tfjs ${row.backend} | ${row.error} | | | | | |`);
					continue;
				}
				if (row.plain)
					lines.push(
						`| ${r.arch} | tfjs ${row.backend} | ${row.detail}, no taps | ${cell(row.plain).join(' | ')} |`
					);
				if (row.taps)
					lines.push(
						`| ${r.arch} | tfjs ${row.backend} | ${row.detail}, taps | ${cell(row.taps).join(' | ')} |`
					);
				if (row.error) lines.push(`| ${r.arch} | tfjs ${row.backend} | error: ${row.error} | | | | | |`);
			}
			const tm = median(r.torch.pytorch_ms);
			lines.push(
				`| ${r.arch} | onnxruntime-web | wasm, 2 threads, own page | | ${f1(ortMs)} | ${f1(Math.min(...r.ort))} | ${r.ort.length} | 1.00 |`,
				`| ${r.arch} | PyTorch (CPU) | ${r.torch.threads} threads | | ${f1(tm)} | ${f1(Math.min(...r.torch.pytorch_ms))} | ${r.torch.pytorch_ms.length} | ${(tm / ortMs).toFixed(2)} |`
			);
		}
		lines.push('');
		for (const r of results) {
			const wasm = r.rows.find((x) => x.backend === 'wasm' && x.plain);
			if (!wasm) continue;
			const ratio = median(wasm.plain!.times) / median(r.ort);
			lines.push(
				`- ${r.arch}: tfjs wasm ${f1(median(wasm.plain!.times))} ms = **${ratio.toFixed(2)} ×** onnxruntime-web (goal ≤ 0.8 ×: ${ratio <= 0.8 ? 'met' : 'not met'}); load average ${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)} while it ran.`
			);
			if (wasm.taps) {
				const extra = median(wasm.taps.times) / median(wasm.plain!.times) - 1;
				lines.push(
					`  Taps on wasm: ${extra >= 0 ? '+' : ''}${(extra * 100).toFixed(0)} % (goal ≤ +25 %: ${extra <= 0.25 ? 'met' : 'not met'}).`
				);
			}
		}
		lines.push('');
		const skipped = ['wasm', 'webgl', 'cpu', 'webgpu'].filter((b) => !BACKENDS.includes(b));
		if (skipped.length)
			lines.push(
				`Backends not measured in this run (\`--backends ${BACKENDS.join(',')}\`): ${skipped.join(', ')}.`,
				''
			);

		// Where the time goes: the page's profile on wasm, by kind of layer.
		const profiled = results.filter((r) => r.profile);
		if (profiled.length) {
			lines.push(
				"### Where the time goes (tfjs wasm, the page's Profile)",
				'',
				"The Run panel's Profile, 5 runs after a warm-up, read from the summary's JSON export: each layer run",
				'on its own with its time read when its kernels return (wasm runs them synchronously; details in the',
				'README, "Profile"), median per layer; a BatchNorm and the ReLU after it are folded into their',
				'convolution and counted there. "Sum" is the layers\' medians summed; "plain" the median plain forward',
				'and "layer by layer" the median whole layer-by-layer forward (its tensors freed after their last use),',
				'both measured in the same loop.',
				'',
				'| Network | Sum of layers (ms) | Plain forward (ms) | Apart | Within 20 % | Layer by layer (ms) |',
				'| --- | ---: | ---: | ---: | --- | ---: |'
			);
			for (const r of profiled) {
				const p = r.profile!;
				const gap = Math.abs(p.totalMs - p.forwardMs) / p.forwardMs;
				lines.push(
					`| ${r.arch} | ${f1(p.totalMs)} | ${f1(p.forwardMs)} | ${(gap * 100).toFixed(0)} % | ${gap <= 0.2 ? 'yes' : 'no'} | ${f1(p.stepwiseMs)} |`
				);
			}
			lines.push(
				'',
				'| Network | Kind of layer | Count | Time (ms) | % of time | % of MACs | GFLOP/s |',
				'| --- | --- | ---: | ---: | ---: | ---: | ---: |'
			);
			for (const r of profiled) {
				const p = r.profile!;
				const g = buildGraph(presetSpec(r.arch)!);
				const kinds = new Map<string, { n: number; ms: number; macs: number }>();
				for (const l of p.layers) {
					if (l.foldedInto) continue;
					const k = kindOf(g.byId.get(l.id)!);
					const e = kinds.get(k) ?? { n: 0, ms: 0, macs: 0 };
					e.n++;
					e.ms += l.ms ?? 0;
					e.macs += l.macs;
					kinds.set(k, e);
				}
				for (const [k, e] of [...kinds].sort((a, b) => b[1].ms - a[1].ms))
					lines.push(
						`| ${r.arch} | ${k} | ${e.n} | ${f1(e.ms)} | ${((100 * e.ms) / p.totalMs).toFixed(1)} | ${((100 * e.macs) / g.totals.macs).toFixed(1)} | ${e.macs > 0 && e.ms > 0 ? ((2 * e.macs) / (e.ms * 1e6)).toFixed(1) : '–'} |`
					);
			}
			lines.push('');
		}
		for (const r of results.filter((x) => x.profileError))
			lines.push(`Profile of ${r.arch} failed: ${r.profileError}`, '');
		lines.push(
			"The network runs in the page's inference worker ($lib/runtime/worker.ts); `forward-ms` is timed there.",
			'No GPU machine was available to this run: WebGPU on real hardware is not measured here.',
			'',
			"Notes. The page is cross-origin isolated and tfjs's wasm backend runs with SIMD and 2 threads:",
			'tfjs caps its thread pool at half of `navigator.hardwareConcurrency` (1 thread on this 2-core',
			'machine), which `backend.ts` lifts, and in the production build its pthread workers only start',
			'because `backend.ts` hands them the unminified emscripten script. WebGL and WebGPU run on',
			'SwiftShader (software) on this machine, so they say nothing about a real GPU; `auto` therefore',
			'skips a software WebGPU adapter.',
			''
		);
		const section = lines.join('\n');
		console.log(section);

		if (!args.includes('--keep-doc')) {
			await writeBenchSection('## inference', section);
		}
	} finally {
		files?.close();
		rmSync(new URL('../.svelte-kit/output/client/__bench', import.meta.url).pathname, {
			recursive: true,
			force: true
		});
		if (server?.pid) {
			try {
				process.kill(-server.pid);
			} catch {
				// already gone
			}
		}
		rmSync(tmp, { recursive: true, force: true });
	}
}

main().catch((e) => {
	console.error('error:', e instanceof Error ? e.message : e);
	process.exit(1);
});
