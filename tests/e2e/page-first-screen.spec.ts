import { expect, test } from '@playwright/test';

// Issue 10, section 3 ("The first minute"): the first screen at 1440×900 says what the page is
// and shows the network, its totals and the live prediction together, without scrolling.

test.use({ viewport: { width: 1440, height: 900 } });

test('at 1440×900 the diagram, the totals and the first prediction are all on the first screen', async ({
	page
}) => {
	await page.goto('/');
	await expect(page.getByRole('heading', { level: 1 })).toBeVisible({ timeout: 30_000 });
	await expect(page.getByTestId('lede')).toBeVisible();
	const first = page.getByTestId('prediction').first();
	await expect(first).toBeVisible({ timeout: 60_000 });
	expect(await page.evaluate(() => window.scrollY)).toBe(0);

	for (const [name, locator] of [
		['h1', page.getByRole('heading', { level: 1 })],
		['diagram', page.locator('svg[data-testid="diagram"]')],
		['total-params', page.getByTestId('total-params')],
		['first prediction', first]
	] as const) {
		const box = await locator.boundingBox();
		expect(box, name).not.toBeNull();
		expect(box!.y, `${name} starts on the first screen`).toBeGreaterThanOrEqual(0);
		expect(box!.y, `${name} starts on the first screen`).toBeLessThan(900);
	}
	// The whole prediction row is readable there, not just its top edge.
	const pred = (await first.boundingBox())!;
	expect(pred.y + pred.height).toBeLessThanOrEqual(900);
	// …and the run panel sits beside the diagram, not under it.
	const diagram = (await page.locator('svg[data-testid="diagram"]').boundingBox())!;
	expect(pred.x).toBeGreaterThan(diagram.x + diagram.width);
});
