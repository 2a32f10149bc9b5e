/**
 * tfjs runs in a dedicated module worker (issue 10): the page itself never loads tfjs, the
 * network still gives PyTorch's logits, and wasm keeps its thread pool inside the worker.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, test } from '@playwright/test';

test.describe.configure({ timeout: 120_000 });

/** Text found in tfjs-core's code, minified or not (its flag registry's error message). */
const TFJS_MARKER = 'Cannot evaluate flag';

test('the page loads no tfjs: inference runs in a module worker, with wasm threads', async ({ page }) => {
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	const workers: string[] = [];
	page.on('worker', (w) => workers.push(w.url()));
	// JS coverage lists the scripts run by the page itself (a worker runs in its own isolate).
	await page.coverage.startJSCoverage({ resetOnNavigation: false });
	await page.goto('/?preset=resnet20');
	await page.getByTestId('preset-select').selectOption('resnet20');
	await page.getByTestId('sample-cat').click();
	await page.getByTestId('run-button').click();
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
	await page.getByTestId('fm-layer-select').selectOption('layer1.0.relu2');
	await expect(page.getByText('16 channels of 32×32')).toBeVisible();
	// wasm's thread pool starts inside the worker (the worker is cross-origin isolated too).
	const cores = await page.evaluate(() => navigator.hardwareConcurrency);
	const badge = page.getByTestId('backend-badge');
	if (cores > 1 && /wasm/.test(await badge.innerText()))
		await expect(badge).toContainText(`${Math.min(8, cores)} threads`);

	expect(workers.some((u) => /worker/i.test(u))).toBe(true);
	const scripts = await page.coverage.stopJSCoverage();
	expect(scripts.some((s) => s.url.includes('/src/lib/') || s.url.includes('/_app/immutable/'))).toBe(true);
	const withTf = scripts.filter(
		(s) => /tensorflow|tfjs/.test(s.url) || (s.source ?? '').includes(TFJS_MARKER)
	);
	expect(withTf.map((s) => s.url)).toEqual([]);
	// The page has no tfjs global or module state either.
	expect(await page.evaluate(() => 'tf' in globalThis)).toBe(false);
	expect(errors).toEqual([]);
});

test('the built app keeps tfjs in the worker’s chunks only', async () => {
	test.skip(process.env.E2E_DEV === '1', 'checks the production build (npm run build)');
	const root = '.svelte-kit/output/client/_app/immutable';
	expect(existsSync(root)).toBe(true);
	const files: string[] = [];
	const walk = (dir: string) => {
		for (const f of readdirSync(dir)) {
			const p = join(dir, f);
			if (statSync(p).isDirectory()) walk(p);
			else if (p.endsWith('.js')) files.push(p);
		}
	};
	walk(root);
	const withTf = files
		.filter((f) => readFileSync(f, 'utf8').includes(TFJS_MARKER))
		.map((f) => relative(root, f));
	expect(withTf.length).toBeGreaterThan(0); // tfjs is in the build …
	expect(withTf.filter((f) => !f.startsWith('workers/'))).toEqual([]); // … in the worker's chunks only
});

test('long work shows progress; a new image supersedes the run in flight and nothing stale is drawn', async ({
	page
}) => {
	await page.goto('/?preset=resnet50');
	await page.getByTestId('preset-select').selectOption('resnet50');
	const status = page.getByTestId('run-status');
	const result = page.getByTestId('run-result');
	// The first run makes and uploads 25.6 M seeded weights in the worker: its steps are shown.
	await page.getByTestId('sample-cat').click();
	await expect(status).toContainText(/Making seeded weights|Uploading weights|Running/, { timeout: 30_000 });
	// Another photo while that runs: the cat's run is superseded.
	await page.getByTestId('sample-coffee').click();
	await expect(result).toHaveAttribute('aria-busy', 'false', { timeout: 120_000 });
	await expect(page.getByTestId('prediction')).toHaveCount(5);
	await expect(page.getByText(/A cup of coffee — \d+×\d+/)).toBeVisible();
	const shown = await page.getByTestId('logits').textContent();
	// The same image run again gives the same logits: what was drawn is the coffee's, not the cat's.
	const runs = Number(await result.getAttribute('data-runs'));
	await page.getByTestId('run-button').click();
	await expect(result).toHaveAttribute('data-runs', String(runs + 1), { timeout: 120_000 });
	expect(await page.getByTestId('logits').textContent()).toBe(shown);
	// Cancel drops the run in flight: the results it would bring never appear.
	await page.getByTestId('sample-rocket').click();
	await page.getByTestId('cancel-button').click();
	await expect(result).toHaveAttribute('aria-busy', 'false');
	await page.waitForTimeout(3000);
	await expect(page.getByTestId('prediction')).toHaveCount(0);
	await expect(result).toHaveAttribute('data-runs', String(runs + 1));
});

test('weights changed while a run is in flight: the run is asked again of the new weights, never drawn with the old', async ({
	page
}) => {
	await page.goto('/?preset=resnet50');
	await page.getByTestId('preset-select').selectOption('resnet50');
	const result = page.getByTestId('run-result');
	// The first run makes and uploads 25.6 M seeded weights (seed 0): seconds of work in flight.
	await page.getByTestId('sample-cat').click();
	await expect(page.getByTestId('run-status')).toContainText(
		/Making seeded weights|Uploading weights|Running/,
		{
			timeout: 30_000
		}
	);
	await page.getByTestId('seed-input').fill('5');
	await page.getByRole('button', { name: 'Random weights' }).click();
	await expect(page.getByTestId('weights-current')).toContainText('seed 5');
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 120_000 });
	await expect(result).toHaveAttribute('aria-busy', 'false', { timeout: 120_000 });
	const shown = await page.getByTestId('logits').textContent();
	// A run asked now, with nothing in flight, is seed 5's: what was drawn must be the same.
	const runs = Number(await result.getAttribute('data-runs'));
	await page.getByTestId('run-button').click();
	await expect(result).toHaveAttribute('data-runs', String(runs + 1), { timeout: 120_000 });
	expect(await page.getByTestId('logits').textContent()).toBe(shown);
});

test('a worker whose script does not load is named, and nothing waits forever', async ({ page }) => {
	// Both the dev server's worker module and the built worker chunk.
	await page.route(/\/(src\/lib\/runtime\/worker\.ts|_app\/immutable\/workers\/worker-[^/]*\.js)/, (r) =>
		r.fulfill({ status: 404, body: 'not here' })
	);
	await page.goto('/?preset=resnet20');
	await page.getByTestId('preset-select').selectOption('resnet20');
	await page.getByTestId('run-button').click();
	await expect(page.getByTestId('run-error')).toContainText('the inference worker failed');
	await expect(page.getByTestId('run-result')).toHaveAttribute('aria-busy', 'false');
});
