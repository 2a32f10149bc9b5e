/**
 * The recorded comparison for the docs (issue 14): plain-20 vs resnet-20 trained in the page, on
 * the page's own Fashion-MNIST subset, with the Train panel's one-click setup — driven through
 * the real page in headless Chromium (Debian's), exactly as a user would. Afterwards the panel's
 * "curves.json" is turned into an SVG (the panel's own chart geometry, $lib/viz/train-chart.ts)
 * and the final test accuracies, wall time, throughput and machine go to docs/benchmarks.md.
 *
 *     npx tsx tools/train/compare_plain_residual.ts [--depth 20] [--epochs 2] [--size 10000]
 *         [--batch 64] [--lr 0.1] [--schedule cosine] [--port 5316] [--url http://…] [--keep-doc]
 *
 * Starts `vite dev` on --port unless --url names a running server. CPU heavy (wasm): run it on
 * an idle machine; the load average is recorded with the numbers.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { chromium } from '@playwright/test';
import { chromiumArgs } from '../../playwright.config';
import { waitForServer, writeBenchSection } from '../../bench/common';
import type { Series } from '../../src/lib/state/train-log';
import { formatDuration } from '../../src/lib/state/train-log';
import { chartGeometry, type ChartGeometry } from '../../src/lib/viz/train-chart';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const DEPTH = opt('depth', '20');
const EPOCHS = opt('epochs', '2');
const SIZE = opt('size', '10000');
const BATCH = opt('batch', '64');
const LR = opt('lr', '0.1');
const SCHEDULE = opt('schedule', 'cosine');
const PORT = Number(opt('port', '5316'));
const URL_ARG = opt('url', '');
const root = new URL('../../', import.meta.url).pathname;
const SVG_PATH = `docs/train-plain-vs-resnet-${DEPTH}.svg`;

interface Curves {
	summary: { seconds: number; steps: number; totalSteps: number; stopped: boolean };
	networks: { label: string; testAccuracy: number | null }[];
	totalSteps: number;
	series: Series[];
}

async function train(url: string): Promise<{
	curves: Curves;
	backend: string;
	browser: string;
	imagesPerSecond: string;
	longTasks: number[];
}> {
	const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
	try {
		const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
		await page.goto(url);
		await page.getByTestId('prediction').first().waitFor({ timeout: 120_000 });
		await page.getByTestId(`train-pair-${DEPTH}`).click();
		await page.getByTestId('train-size').selectOption(SIZE);
		await page.getByTestId('train-epochs').fill(EPOCHS);
		await page.getByTestId('train-batch').fill(BATCH);
		await page.getByTestId('train-lr').fill(LR);
		await page.getByTestId('train-schedule').selectOption(SCHEDULE);
		// The main thread's long tasks while training (the work runs in the worker).
		await page.evaluate(() => {
			const w = window as unknown as { longTasks: number[] };
			w.longTasks = [];
			new PerformanceObserver((list) => {
				for (const e of list.getEntries()) w.longTasks.push(e.duration);
			}).observe({ type: 'longtask' });
		});
		await page.getByTestId('train-button').click();
		const t0 = Date.now();
		for (;;) {
			const phase = await page.getByTestId('train-phase').textContent();
			if (phase === 'Stopped') break;
			if (phase === 'Error') throw new Error(`training failed: ${await page.getByTestId('train-error').textContent()}`);
			const step = await page.getByTestId('train-step').textContent().catch(() => '');
			const ips = await page.getByTestId('train-throughput').textContent().catch(() => '');
			console.error(`${Math.round((Date.now() - t0) / 1000)} s: step ${step}, ${ips} images/s, load ${loadavg()[0].toFixed(2)}`);
			await page.waitForTimeout(15_000);
		}
		const imagesPerSecond = (await page.getByTestId('train-throughput').textContent()) ?? '';
		const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
		const [download] = await Promise.all([
			page.waitForEvent('download'),
			page.getByTestId('train-download-curves').click()
		]);
		const curves = JSON.parse(readFileSync(await download.path(), 'utf8')) as Curves;
		return {
			curves,
			backend: (await page.getByTestId('backend-badge').innerText()).replace(/\s+/g, ' ').trim(),
			browser: browser.version(),
			imagesPerSecond,
			longTasks
		};
	} finally {
		await browser.close();
	}
}

const COLOURS = ['#b45309', '#2457c5'];

/** One chart as SVG elements, offset by (x, y). */
function chartSvg(g: ChartGeometry, x: number, y: number, title: string): string {
	const out = [`<g transform="translate(${x},${y})">`];
	out.push(`<text x="${g.plot.left}" y="-6" font-weight="600">${title}</text>`);
	for (const t of g.yTicks)
		out.push(
			`<line x1="${g.plot.left}" x2="${g.plot.right}" y1="${t.y}" y2="${t.y}" stroke="#d9dde3"/>`,
			`<text x="${g.plot.left - 4}" y="${t.y}" dy="0.32em" text-anchor="end" fill="#5d6673">${t.label}</text>`
		);
	for (const t of g.xTicks)
		out.push(`<text x="${t.x}" y="${g.plot.bottom + 14}" text-anchor="middle" fill="#5d6673">${t.label}</text>`);
	out.push(`<text x="${(g.plot.left + g.plot.right) / 2}" y="${g.plot.bottom + 30}" text-anchor="middle" fill="#5d6673">step</text>`);
	g.curves.forEach((c, i) => {
		const colour = COLOURS[i % COLOURS.length];
		out.push(`<path d="${c.raw}" fill="none" stroke="${colour}" stroke-opacity="0.25" stroke-width="1"/>`);
		out.push(`<path d="${c.smooth}" fill="none" stroke="${colour}" stroke-width="2"/>`);
		for (const d of c.dots)
			out.push(`<circle cx="${d.cx}" cy="${d.cy}" r="4" fill="${colour}" stroke="#fff" stroke-width="1.5"/>`);
	});
	out.push('</g>');
	return out.join('\n');
}

function svg(c: Curves, note: string): string {
	const w = 460;
	const h = 260;
	const input = (metric: 'loss' | 'accuracy') =>
		c.series.map((s) => ({
			label: s.label,
			steps: s.steps.map((p) => ({ step: p.step, value: p[metric] })),
			tests: s.epochs.map((p) => ({ step: p.step, value: p[metric] }))
		}));
	const loss = chartGeometry(input('loss'), c.totalSteps, w, h, 'auto', 'number');
	const acc = chartGeometry(input('accuracy'), c.totalSteps, w, h, [0, 1], 'percent');
	const legend = c.series
		.map((s, i) => {
			const a = c.networks[i]?.testAccuracy;
			return `<g transform="translate(${50 + i * 260},${h + 84})"><rect width="18" height="3" y="-4" fill="${COLOURS[i]}"/><text x="24">${s.label}: test accuracy ${a === null || a === undefined ? '—' : (a * 100).toFixed(2) + ' %'}</text></g>`;
		})
		.join('\n');
	return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * w + 20}" height="${h + 140}" viewBox="0 0 ${2 * w + 20} ${h + 140}" font-family="system-ui, sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
<text x="50" y="18" font-size="14" font-weight="600">${c.series.map((s) => s.label).join(' vs ')} on the Fashion-MNIST subset, trained in the page</text>
<text x="50" y="36" fill="#5d6673">faint: each training batch · solid: moving average · dots: the test set after each epoch</text>
${chartSvg(loss, 0, 62, 'Loss')}
${chartSvg(acc, w + 20, 62, 'Accuracy')}
${legend}
${note
	.split('; ')
	.map((line, i) => `<text x="50" y="${h + 104 + i * 14}" fill="#5d6673">${line}</text>`)
	.join('\n')}
</svg>
`;
}

async function main() {
	let server: ReturnType<typeof spawn> | null = null;
	let url = URL_ARG;
	if (!url) {
		url = `http://localhost:${PORT}/`;
		// Its own process group, so that the dev server (a child of npx) ends with it.
		server = spawn('npx', ['vite', 'dev', '--port', String(PORT), '--strictPort'], {
			cwd: root,
			stdio: 'ignore',
			detached: true
		});
		await waitForServer(url, 120_000, server);
	}
	const load0 = loadavg()[0];
	try {
		const r = await train(url);
		const c = r.curves;
		const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
		const settings = `${EPOCHS} epochs of ${Number(SIZE).toLocaleString('en')} images, batch ${BATCH}, SGD lr ${LR} momentum 0.9 wd 1e-4, ${SCHEDULE}, crop + flip`;
		const note = `${settings}; ${formatDuration(c.summary.seconds)} wall time, ${r.backend}, Chromium ${r.browser}, ${cpus().length} cores, ${when} UTC`;
		mkdirSync(`${root}docs`, { recursive: true });
		writeFileSync(`${root}${SVG_PATH}`, svg(c, note));
		console.error(`wrote ${SVG_PATH}`);
		const rows = c.networks.map((n, i) => {
			const last = c.series[i].steps.at(-1);
			return `| ${n.label} | ${n.testAccuracy === null ? '—' : (n.testAccuracy * 100).toFixed(2) + ' %'} | ${last ? last.loss.toFixed(3) : '—'} |`;
		});
		const section = `## training in the page: plain-${DEPTH} vs resnet-${DEPTH}

\`npx tsx tools/train/compare_plain_residual.ts\` — the Train panel's one-click pair, driven in headless Chromium
(${r.backend}; ${cpus().length} cores, load average ${load0.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end), ${when} UTC.
${settings}; same data order and same first weights for both.

| network | test accuracy (${Math.max(100, Math.round(Number(SIZE) / 5))} test images) | last batch loss |
| --- | --- | --- |
${rows.join('\n')}

Wall time ${formatDuration(c.summary.seconds)} for ${c.summary.steps} steps of both networks (${r.imagesPerSecond} training images/s, both together).
Main thread while training: ${r.longTasks.length} long tasks (> 50 ms)${r.longTasks.length ? `, the longest ${Math.round(Math.max(...r.longTasks))} ms` : ''}.
Curves: [${SVG_PATH.replace('docs/', '')}](${SVG_PATH.replace('docs/', '')}).
`;
		if (!args.includes('--keep-doc')) await writeBenchSection(`## training in the page: plain-${DEPTH} vs resnet-${DEPTH}`, section);
		console.log(section);
	} finally {
		if (server?.pid) process.kill(-server.pid);
	}
}

await main();
