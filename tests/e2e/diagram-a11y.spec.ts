import { expect, test, type Page } from '@playwright/test';
import { axeViolations, describeViolations } from './axe';

// Issue 10, defect #11: axe-core (WCAG 2.x A/AA and best practices) reports nothing on the
// full-screen diagram, and the diagram contributes nothing to the main page's report. The diagram
// is one Tab stop with a roving tabindex, as a tree widget (WAI-ARIA APG, Tree View pattern):
// ↑/↓ move in reading order, → opens a closed group or enters an open one, ← closes an open group
// or goes to the parent, Home/End, Enter selects.

const diagram = (page: Page) => page.getByTestId('diagram');
const box = (page: Page, id: string) => diagram(page).locator(`[data-id="${id}"]`);
const focusedId = (page: Page) =>
	page.evaluate(() => document.activeElement?.closest('[data-id]')?.getAttribute('data-id') ?? null);

async function ready(page: Page, url: string) {
	await page.goto(url);
	await expect(diagram(page).locator('[data-kind="block"], [data-kind="stage"]').first()).toBeVisible();
}

for (const preset of ['resnet50', 'fashion-resnet']) {
	test(`/diagram?preset=${preset} has no axe violations`, async ({ page }) => {
		await ready(page, `/diagram?preset=${preset}`);
		const vs = await axeViolations(page);
		expect(vs, describeViolations(vs)).toEqual([]);
	});

	test(`/ with ${preset}: no axe violation inside the diagram`, async ({ page }) => {
		await ready(page, `/?preset=${preset}`);
		// The rest of the page is another part of the issue: only what lies inside the diagram.
		const inside = await axeViolations(page, '[data-testid="diagram-root"]');
		expect(inside, describeViolations(inside)).toEqual([]);
	});
}

test('/diagram on a phone in the dark, and with a bad link, has no axe violations', async ({ page }) => {
	await page.setViewportSize({ width: 390, height: 844 });
	await page.emulateMedia({ colorScheme: 'dark' });
	for (const url of ['/diagram?preset=resnet50', '/diagram?preset=nope']) {
		await ready(page, url);
		const vs = await axeViolations(page);
		expect(vs, `${url}\n${describeViolations(vs)}`).toEqual([]);
	}
});

test('the diagram is one Tab stop; its toggles are not separate stops', async ({ page }) => {
	await ready(page, '/diagram?preset=resnet18');
	await expect(diagram(page).locator('[data-toggle][tabindex]')).toHaveCount(0);
	await expect(diagram(page).locator('[tabindex="0"]')).toHaveCount(1);
	await page.getByTestId('export-png').focus();
	await page.keyboard.press('Tab');
	expect(await focusedId(page)).toBe('input');
	await page.keyboard.press('Tab');
	expect(await focusedId(page)).toBeNull();
	// Shift+Tab comes back to the same item.
	await page.keyboard.press('Shift+Tab');
	expect(await focusedId(page)).toBe('input');
});

test('arrows move in reading order, open, enter, leave and close groups; Enter selects', async ({ page }) => {
	await ready(page, '/diagram?preset=resnet18');
	await box(page, 'input').focus();
	const seen: (string | null)[] = [];
	for (let i = 0; i < 5; i++) {
		await page.keyboard.press('ArrowDown');
		seen.push(await focusedId(page));
	}
	// resnet18 opens at its blocks: stem, then stage layer1 (open) holding layer1.0 and layer1.1.
	expect(seen).toEqual(['stem', 'layer1', 'layer1.0', 'layer1.1', 'layer2']);
	await page.keyboard.press('ArrowUp');
	expect(await focusedId(page)).toBe('layer1.1');

	// → opens the closed block and keeps the focus on it; → again enters it.
	await page.keyboard.press('ArrowRight');
	await expect(box(page, 'layer1.1.conv2')).toHaveCount(1);
	await expect(box(page, 'layer1.1')).toHaveAttribute('aria-expanded', 'true');
	expect(await focusedId(page)).toBe('layer1.1');
	await page.keyboard.press('ArrowRight');
	expect(await focusedId(page)).toBe('layer1.1.conv1');
	// ← on a layer goes to its block; ← on the open block closes it.
	await page.keyboard.press('ArrowLeft');
	expect(await focusedId(page)).toBe('layer1.1');
	await page.keyboard.press('ArrowLeft');
	await expect(box(page, 'layer1.1.conv2')).toHaveCount(0);
	await expect(box(page, 'layer1.1')).toHaveAttribute('aria-expanded', 'false');
	expect(await focusedId(page)).toBe('layer1.1');
	// + and − do the same.
	await page.keyboard.press('+');
	await expect(box(page, 'layer1.1.conv2')).toHaveCount(1);
	await page.keyboard.press('-');
	await expect(box(page, 'layer1.1.conv2')).toHaveCount(0);

	await page.keyboard.press('Enter');
	await expect(box(page, 'layer1.1')).toHaveAttribute('aria-selected', 'true');
	await expect(page.getByTestId('diagram-selected')).toHaveText('layer1.1');

	await page.keyboard.press('End');
	expect(await focusedId(page)).toBe('head');
	await page.keyboard.press('Home');
	expect(await focusedId(page)).toBe('input');
	// The item last focused is the one Tab comes back to.
	await page.keyboard.press('ArrowDown');
	await page.keyboard.press('Tab');
	await page.keyboard.press('Shift+Tab');
	expect(await focusedId(page)).toBe('stem');
});

test('arrows reach items that were scrolled out of view (resnet1202, drawn in part)', async ({ page }) => {
	await ready(page, '/diagram?preset=resnet1202');
	await page.getByTestId('diagram-expand-all').click();
	await box(page, 'input').focus();
	for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowDown');
	// Reading order, fully open (paper §4.2: basic blocks of conv, BN, ReLU, conv, BN, add, ReLU):
	// input, stem, its conv1, bn1, relu (4), layer1 (5), then per block its frame and 7 layers
	// (layer1.j at 6 + 8j): layer1.4 at 38, its conv1 at 39, bn1 at 40.
	const id = await focusedId(page);
	expect(id).toBe('layer1.4.bn1');
	const view = (await diagram(page).boundingBox())!;
	const b = (await box(page, id!).boundingBox())!;
	expect(b.y).toBeGreaterThanOrEqual(view.y);
	expect(b.y + b.height).toBeLessThanOrEqual(view.y + view.height);
});
