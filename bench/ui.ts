/**
 * Knob → screen latency of the explorer page (`npm run bench:ui`).
 *
 * Builds the production app (skip with --no-build), serves it with `vite preview`, opens the page
 * in Debian's Chromium and, for each preset, changes the blocks of one stage (alternating n, n−1)
 * through the `stage-blocks-<i>` input, timing on the page's own clock from the input event to
 * the end of the first frame in which both the totals and the diagram show the new network.
 * Reference in the same run: the same edit on resnet18 (the smallest ImageNet net).
 * Prints the medians and writes the `## explorer page` section of docs/benchmarks.md.
 *
 *   npm run bench:ui -- [--runs 15] [--port 5212] [--no-build] [--no-write]
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import { chromiumArgs } from '../playwright.config';
import { median, waitForServer, writeBenchSection } from './common';
import { buildGraph, presetSpec } from '../src/lib/arch';

const { values } = parseArgs({
	options: {
		runs: { type: 'string', default: '15' },
		port: { type: 'string', default: '5212' },
		'no-build': { type: 'boolean', default: false },
		'no-write': { type: 'boolean', default: false }
	}
});
const runs = Number(values.runs);
const port = Number(values.port);
const url = `http://localhost:${port}/`;

interface Case {
	preset: string;
	stage: number;
	goal: number | null;
}
const CASES: Case[] = [
	{ preset: 'resnet18', stage: 2, goal: null },
	{ preset: 'resnet152', stage: 2, goal: 50 },
	{ preset: 'resnet1202', stage: 1, goal: 300 }
];

/** One edit, timed inside the page: input event → first frame showing new totals and diagram. */
async function edit(page: Page, stage: number, blocks: number): Promise<{ ms: number; diagram: boolean }> {
	return page.evaluate(
		async ({ stage, blocks }) => {
			const input = document.querySelector<HTMLInputElement>(`[data-testid="stage-blocks-${stage}"]`)!;
			const totals = document.querySelector('[data-testid="total-params"]')!;
			const svgSig = () => {
				const svg = document.querySelector('svg[data-testid="diagram"]');
				return svg ? `${svg.querySelectorAll('*').length}|${svg.textContent}` : null;
			};
			const before = totals.textContent;
			const diagramBefore = svgSig();
			const frame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
			const t0 = performance.now();
			input.value = String(blocks);
			input.dispatchEvent(new Event('input', { bubbles: true }));
			for (let i = 0; i < 600; i++) {
				await frame();
				const totalsDone = totals.textContent !== before;
				const diagramDone = diagramBefore === null || svgSig() !== diagramBefore;
				if (totalsDone && diagramDone) return { ms: performance.now() - t0, diagram: diagramBefore !== null };
			}
			throw new Error('the page did not update');
		},
		{ stage, blocks }
	);
}

async function main(): Promise<void> {
	if (!values['no-build']) {
		const b = spawnSync('npx', ['vite', 'build'], { stdio: 'inherit' });
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
	const medians: { c: Case; ms: number; min: number; max: number; diagram: boolean }[] = [];
	try {
		await waitForServer(url, 60_000, server);
		const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
		// tsx keeps function names with an `__name` helper that the page does not have.
		await page.addInitScript('globalThis.__name = (f) => f');
		for (const c of CASES) {
			await page.goto(`${url}?preset=${c.preset}`);
			await page.getByTestId('total-params').waitFor();
			const n = Number(await page.getByTestId(`stage-blocks-${c.stage}`).inputValue());
			// Two warm-up edits (JIT, first layout of the new sizes), then the timed runs.
			for (let i = 0; i < 2; i++) await edit(page, c.stage, i % 2 === 0 ? n - 1 : n);
			const times: number[] = [];
			let diagram = false;
			for (let i = 0; i < runs; i++) {
				const r = await edit(page, c.stage, i % 2 === 0 ? n - 1 : n);
				times.push(r.ms);
				diagram = r.diagram;
			}
			const m = median(times);
			medians.push({ c, ms: m, min: Math.min(...times), max: Math.max(...times), diagram });
			console.log(
				`${c.preset} (layer${c.stage + 1} ${n}↔${n - 1} blocks): median ${m.toFixed(1)} ms ` +
					`(min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}; ${runs} runs${diagram ? '' : '; no diagram on the page'})`
			);
		}
	} finally {
		await browser.close();
		if (server.pid) process.kill(-server.pid);
	}

	if (values['no-write']) return;
	const ref = medians[0].ms;
	const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, Chromium ${browser.version()} (headless, ${chromiumArgs.join(' ')})`;
	const section = [
		'## explorer page',
		'',
		'A knob change (the blocks of one stage, alternating n and n−1 via the `stage-blocks-<i>` input)',
		'until the first frame in which the totals and the diagram show the new network, on the',
		"production build (`vite preview`), timed on the page's own clock (input event → end of that",
		'frame). Reference: the same edit on resnet18 in the same run. Reproduce: `npm run bench:ui`',
		'(the machine is shared; treat the numbers as indicative).',
		'',
		`- date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
		`- machine: ${machine}`,
		`- diagram on the page: ${medians.every((m) => m.diagram) ? 'yes' : 'no (totals and layer table only)'}`,
		'',
		'| preset | nodes | median | min – max | ratio to resnet18 | goal |',
		'| --- | ---: | ---: | ---: | ---: | ---: |',
		...medians.map(
			(m) =>
				`| ${m.c.preset} | ${NODES[m.c.preset]} | ${m.ms.toFixed(1)} ms | ${m.min.toFixed(1)} – ${m.max.toFixed(1)} ms | ${(m.ms / ref).toFixed(2)}× | ${m.c.goal === null ? 'reference' : `≤ ${m.c.goal} ms`} |`
		),
		'',
		`Median of ${runs} runs each, after 2 warm-up edits.`,
		''
	].join('\n');
	await writeBenchSection('## explorer page', section);
}

const NODES: Record<string, number> = Object.fromEntries(
	CASES.map((c) => [c.preset, buildGraph(presetSpec(c.preset)!).nodes.length])
);

main().catch((e) => {
	console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
	process.exit(1);
});
