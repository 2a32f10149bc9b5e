import { expect, test, type Page } from '@playwright/test';

// Defect #3 (issue 10): on a phone the diagram spans the width of the page, so it must not take the
// wheel or a one-finger swipe from the page. The page scrolls; Ctrl/⌘ + wheel and pinch zoom; drag
// (or two fingers) pans.

test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

const diagram = (page: Page) => page.getByTestId('diagram');
/** The diagram's current transform: "translate(x,y) scale(k)". */
const transform = (page: Page) => diagram(page).locator('g.viewport').getAttribute('transform');
const scaleOf = (t: string | null) => Number(/scale\(([^)]+)\)/.exec(t ?? '')![1]);

/** Scrolls the page so that the diagram's top is near the top of the screen; returns its centre. */
async function diagramCentre(page: Page) {
	await page.goto('/');
	await expect(diagram(page).locator('[data-kind="block"]').first()).toBeVisible();
	await diagram(page).scrollIntoViewIfNeeded();
	await page.waitForTimeout(300); // the first view is set once the diagram has a size
	const b = (await diagram(page).boundingBox())!;
	return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

test('a wheel over the diagram scrolls the page and leaves the diagram alone', async ({ page }) => {
	const c = await diagramCentre(page);
	const before = await transform(page);
	const y0 = await page.evaluate(() => window.scrollY);
	await page.mouse.move(c.x, c.y);
	await page.mouse.wheel(0, 300);
	await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(y0 + 100);
	expect(await transform(page)).toBe(before);
});

test('Ctrl + wheel over the diagram zooms it and does not scroll the page', async ({ page }) => {
	const c = await diagramCentre(page);
	const k0 = scaleOf(await transform(page));
	const y0 = await page.evaluate(() => window.scrollY);
	await page.mouse.move(c.x, c.y);
	await page.keyboard.down('Control');
	await page.mouse.wheel(0, -200);
	await page.keyboard.up('Control');
	await expect.poll(async () => scaleOf(await transform(page))).toBeGreaterThan(k0 * 1.2);
	expect(await page.evaluate(() => window.scrollY)).toBe(y0);
});

/** Real touch input through the DevTools protocol: fingers down at `from`, moved to `to` in steps, lifted. */
async function touchGesture(page: Page, from: [number, number][], to: [number, number][]) {
	const cdp = await page.context().newCDPSession(page);
	const at = (t: number) =>
		from.map(([x, y], i) => ({ x: x + (to[i][0] - x) * t, y: y + (to[i][1] - y) * t, id: i }));
	await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0) });
	for (let s = 1; s <= 12; s++) {
		await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(s / 12) });
		await page.waitForTimeout(16);
	}
	await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
	await cdp.detach();
}

test('a one-finger swipe over the diagram scrolls the page; a pinch zooms the diagram', async ({ page }) => {
	const c = await diagramCentre(page);
	const before = await transform(page);
	const y0 = await page.evaluate(() => window.scrollY);
	// The finger moves up 300 px over the diagram.
	await touchGesture(page, [[c.x, c.y + 150]], [[c.x, c.y - 150]]);
	await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(y0 + 100);
	await page.waitForTimeout(600); // the fling settles
	expect(await transform(page)).toBe(before);

	const b = (await diagram(page).boundingBox())!;
	const mid = b.y + Math.min(b.height, 844 - b.y) / 2;
	const k0 = scaleOf(await transform(page));
	// Two fingers 80 px apart spread to 240 px: a pinch-out.
	await touchGesture(
		page,
		[
			[c.x - 40, mid],
			[c.x + 40, mid]
		],
		[
			[c.x - 120, mid],
			[c.x + 120, mid]
		]
	);
	await expect.poll(async () => scaleOf(await transform(page))).toBeGreaterThan(k0 * 1.5);
});
