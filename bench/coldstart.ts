/**
 * Cold open → first prediction of the demo model (`npm run bench:coldstart`).
 *
 * Builds the production app (skip with --no-build), serves it with `vite preview`, and opens the
 * page N times in Debian's Chromium, each time in a fresh browser context (empty cache, no
 * service worker, nothing shared), measuring from navigation start (the page's own clock,
 * `performance.now()`) to:
 *   - the `load` event (the reference: what any page of this size costs here),
 *   - the first `prediction` row (the model fetched, compiled and run on the default sample),
 *   - the first non-blank `feature-map` canvas.
 * Prints the medians and writes the `## demo model` section of docs/benchmarks.md.
 *
 *   npm run bench:coldstart -- [--runs 7] [--port 5215] [--no-build] [--build-args="--minify false"] [--no-write]
 */
import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { chromiumArgs } from '../playwright.config';
import { median, waitForServer, writeBenchSection } from './common';

const { values } = parseArgs({
	options: {
		runs: { type: 'string', default: '7' },
		port: { type: 'string', default: '5215' },
		'no-build': { type: 'boolean', default: false },
		/** Extra arguments for `vite build`, e.g. "--minify false" (recorded in the results). */
		'build-args': { type: 'string', default: '' },
		'no-write': { type: 'boolean', default: false }
	}
});
const runs = Number(values.runs);
const port = Number(values.port);
const url = `http://localhost:${port}/`;

interface Run {
	load: number;
	prediction: number;
	featureMap: number;
	label: string;
	backend: string;
}

async function main(): Promise<void> {
	if (!values['no-build']) {
		const extra = values['build-args'].split(/\s+/).filter(Boolean);
		const b = spawnSync('npx', ['vite', 'build', ...extra], { stdio: 'inherit' });
		if (b.status !== 0) throw new Error('vite build failed');
	}
	const server = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort'], {
		stdio: 'ignore',
		detached: true
	});
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: chromiumArgs
	});
	const results: Run[] = [];
	try {
		await waitForServer(url, 60_000, server);
		for (let i = 0; i < runs; i++) {
			const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
			const page = await context.newPage();
			await page.goto(url, { waitUntil: 'commit' });
			// Polled on every animation frame inside the page: the value is the page's own clock.
			const prediction = (await (
				await page.waitForFunction(
					() => (document.querySelector('[data-testid="prediction"]') ? performance.now() : 0),
					undefined,
					{ polling: 'raf', timeout: 60_000 }
				)
			).jsonValue()) as number;
			const featureMap = (await (
				await page.waitForFunction(
					() => {
						for (const c of document.querySelectorAll<HTMLCanvasElement>(
							'canvas[data-testid="feature-map"]'
						)) {
							if (!c.width || !c.height) continue;
							const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
							if (!d) continue;
							for (let j = 4; j < d.length; j += 4)
								if (d[j] !== d[0] || d[j + 1] !== d[1] || d[j + 2] !== d[2]) return performance.now();
						}
						return 0;
					},
					undefined,
					{ polling: 'raf', timeout: 60_000 }
				)
			).jsonValue()) as number;
			const load = await page.evaluate(() => {
				const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
				return nav.loadEventEnd || nav.loadEventStart;
			});
			const label = ((await page.getByTestId('prediction').first().textContent()) ?? '').trim();
			const badge = page.getByTestId('backend-badge');
			const backend = (await badge.count()) ? ((await badge.first().textContent()) ?? '').trim() : '?';
			results.push({ load, prediction, featureMap, label, backend });
			console.log(
				`run ${i + 1}: load ${load.toFixed(0)} ms, first prediction ${prediction.toFixed(0)} ms, ` +
					`first feature map ${featureMap.toFixed(0)} ms — "${label.replace(/\s+/g, ' ')}" (${backend})`
			);
			await context.close();
		}
	} finally {
		await browser.close();
		if (server.pid) process.kill(-server.pid);
	}

	const m = {
		load: median(results.map((r) => r.load)),
		prediction: median(results.map((r) => r.prediction)),
		featureMap: median(results.map((r) => r.featureMap))
	};
	const ratio = m.prediction / m.load;
	const dir = 'static/models/fashion-resnet';
	const bytes = ['spec.json', 'meta.json', 'model.safetensors'].reduce(
		(a, f) => a + statSync(`${dir}/${f}`).size,
		0
	);
	const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, Chromium ${browser.version()} (headless, ${chromiumArgs.join(' ')})`;
	console.log(
		`median of ${runs}: load ${m.load.toFixed(0)} ms, first prediction ${m.prediction.toFixed(0)} ms ` +
			`(${ratio.toFixed(2)}× load), first feature map ${m.featureMap.toFixed(0)} ms`
	);

	if (values['no-write']) return;
	const section = [
		'## demo model',
		'',
		'Cold open of the production build (`vite preview`) to the first prediction of the bundled',
		'`fashion-resnet` on its default sample: each run a fresh Chromium context (empty cache), times',
		"from navigation start on the page's own clock. Reference: the page's `load` event in the same",
		'run. Reproduce: `npm run bench:coldstart` (the machine is shared; treat the numbers as indicative).',
		'',
		`- date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
		`- machine: ${machine}`,
		`- build: \`vite build${values['build-args'] ? ` ${values['build-args']}` : ''}\`${values['no-build'] ? ' (the existing build/)' : ''}; backend: ${results[0]?.backend ?? '?'}; model files ${(bytes / 1024).toFixed(0)} KiB`,
		...(/--minify\s+false/.test(values['build-args'])
			? [
					"- why unminified: a minified build stalls in tfjs-backend-wasm's threaded worker (the",
					"  backend ships a function's source text to its workers; minified, that text names",
					'  variables the worker does not have: "e is not defined")'
				]
			: []),
		'',
		`| runs | load event (reference) | first prediction | ratio to load | first feature map | goal |`,
		`| ---: | ---: | ---: | ---: | ---: | ---: |`,
		`| ${runs} | ${m.load.toFixed(0)} ms | ${m.prediction.toFixed(0)} ms | ${ratio.toFixed(2)}× | ${m.featureMap.toFixed(0)} ms | ≤ 3000 ms |`,
		''
	].join('\n');
	await writeBenchSection('## demo model', section);
}

main().catch((e) => {
	console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
	process.exit(1);
});
