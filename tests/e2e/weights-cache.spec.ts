import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { axeViolations, describeViolations } from './axe';

// Downloaded weights are kept in the browser (issue 11): a second load of the same URL, after a
// reload, makes no request and says so; the "Cached weights" list shows the size and clears.
// References: the fixture's size on disk and PyTorch's parameter count (tests/fixtures/byo/cases.json).

const FILE = 'tests/fixtures/byo/kuangliu/weights.pth';
const CASES = JSON.parse(readFileSync('tests/fixtures/byo/cases.json', 'utf8'));

test.describe.configure({ timeout: 120_000 });

test('a URL loaded twice, with a reload between, is downloaded once; the cache lists and clears', async ({
	page
}) => {
	const url = 'https://weights.example/cache/kuangliu.pth';
	const body = readFileSync(FILE);
	let requests = 0;
	await page.route(url, (route) => {
		requests++;
		return route.fulfill({ body, contentType: 'application/octet-stream' });
	});
	const params = new RegExp(String(CASES.kuangliu.params).replace(/(\d)(?=(\d{3})+$)/g, '$1[ ,.\u202f]?'));
	const open = async () => {
		await page.goto('/?preset=resnet18');
		await expect(page.getByTestId('preset-select')).toHaveValue('resnet18');
		await page.getByTestId('weights-url').fill(url);
		await page.getByTestId('weights-url-network').click();
		await expect(page.getByTestId('total-params')).toContainText(params);
	};

	await open();
	expect(requests).toBe(1);
	await expect(page.getByTestId('weights-current')).toContainText('cache/kuangliu.pth');
	await expect(page.getByTestId('weights-current')).not.toContainText("from the browser's cache");
	const cache = page.getByTestId('weights-cache');
	await cache.locator('summary').click();
	await expect(cache.getByTestId('cached-weights')).toHaveCount(1);
	await expect(cache.getByTestId('cached-weights')).toContainText(url);
	// The file's length in binary KB, as torchsummary and the rest of the page count.
	await expect(cache.getByTestId('cached-weights')).toContainText(`${(body.length / 1024).toFixed(2)} KB`);
	for (const scheme of ['light', 'dark'] as const) {
		await page.emulateMedia({ colorScheme: scheme });
		const violations = await axeViolations(page, '[data-testid="weights-cache"]');
		expect(violations, describeViolations(violations)).toEqual([]);
	}

	await page.reload();
	await open();
	expect(requests).toBe(1); // nothing downloaded again
	await expect(page.getByTestId('weights-current')).toContainText(
		"cache/kuangliu.pth (from the browser's cache)"
	);

	// "Load URL" (onto the network shown) reads the cache too.
	await page.getByTestId('weights-url').fill(url);
	await page.getByRole('button', { name: 'Load URL' }).click();
	await expect(page.getByTestId('weights-current')).toContainText("(from the browser's cache)");
	expect(requests).toBe(1);

	await page.getByTestId('weights-cache').locator('summary').click();
	await page.getByTestId('cache-clear').click();
	await expect(page.getByTestId('cached-weights')).toHaveCount(0);
	await expect(page.getByTestId('weights-cache').locator('summary')).toContainText('(none)');
	await page.reload();
	await open();
	expect(requests).toBe(2); // cleared: downloaded again
});

test('one cached download is removed on its own', async ({ page }) => {
	const urls = ['https://weights.example/a/kuangliu.pth', 'https://weights.example/b/kuangliu.pth'];
	const body = readFileSync(FILE);
	for (const u of urls)
		await page.route(u, (route) => route.fulfill({ body, contentType: 'application/octet-stream' }));
	await page.goto('/?preset=resnet18');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet18');
	for (const u of urls) {
		await page.getByTestId('weights-url').fill(u);
		await page.getByTestId('weights-url-network').click();
		await expect(page.getByTestId('weights-current')).toContainText(u.split('/').slice(-2).join('/'));
	}
	const cache = page.getByTestId('weights-cache');
	await cache.locator('summary').click();
	await expect(cache.getByTestId('cached-weights')).toHaveCount(2);
	await cache.getByRole('button', { name: `Remove ${urls[0]} from the cache` }).click();
	await expect(cache.getByTestId('cached-weights')).toHaveCount(1);
	await expect(cache.getByTestId('cached-weights')).toContainText(urls[1]);
});

test('a download that is no checkpoint is not kept', async ({ page }) => {
	const url = 'https://weights.example/login/model.pth';
	await page.route(url, (route) =>
		route.fulfill({ body: '<!doctype html><title>Sign in</title>', contentType: 'text/html' })
	);
	await page.goto('/?preset=resnet18');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet18');
	await page.getByTestId('weights-url').fill(url);
	await page.getByTestId('weights-url-network').click();
	await expect(page.getByTestId('weights-errors').or(page.getByTestId('weights-notice'))).toBeVisible();
	await page.getByRole('button', { name: 'Load URL' }).click();
	await expect(page.getByTestId('weights-errors').or(page.getByTestId('weights-notice'))).toBeVisible();
	await page.getByTestId('weights-cache').locator('summary').click();
	await expect(page.getByTestId('weights-cache').locator('summary')).toContainText('(none)');
	await expect(page.getByTestId('cached-weights')).toHaveCount(0);
});
