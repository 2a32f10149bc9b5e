import { expect, test, type Page } from '@playwright/test';

// Nothing the user needs may be cut (issue 10, defects 2 and 6): a number field shows its whole
// value, and a table cell shows its whole text — or, where it abbreviates, carries the full text
// in a title.

const VIEWPORTS = [
	{ width: 1440, height: 900 },
	{ width: 1024, height: 768 },
	{ width: 768, height: 1024 },
	{ width: 390, height: 844 }
];

// Presets with long values, and links with the largest values the knobs allow
// (src/lib/arch/validate.ts LIMITS: side 8192, channels 65536, blocks 1000, classes 1,000,000, stride 64).
const LINKS = [
	'/',
	'/?preset=resnet50',
	'/?preset=wide_resnet101_2',
	'/?preset=resnext101_64x4d',
	'/?preset=resnet1202',
	'/?preset=resnet20&input=3x8192x8192&classes=1000000',
	'/?preset=resnet50&input=3x32x32&groups=64&wpg=4&stages=3.2048.1_4.16384.2_6.1024.2_3.512.2',
	'/?preset=resnet20&shortcut=B&stem=cifar.65536&stages=1000.16.1_2.65536.64'
];

async function open(page: Page, link: string) {
	await page.goto(link);
	await expect(page.getByTestId('total-params')).toBeVisible({ timeout: 30_000 });
	await expect(page.getByTestId('load-error')).toHaveCount(0);
}

/** Every visible number input whose text is wider than its box. */
const cutNumberFields = (page: Page) =>
	page.evaluate(() =>
		[...document.querySelectorAll<HTMLInputElement>('input[type="number"]')]
			.filter((el) => el.getClientRects().length > 0 && el.scrollWidth > el.clientWidth)
			.map(
				(el) =>
					`${el.id || el.dataset.testid || el.name}="${el.value}" (${el.scrollWidth} > ${el.clientWidth} px)`
			)
	);

/**
 * Elements under `root` whose text is clipped (overflow hidden or an ellipsis, and wider than their
 * box) with no title on them or an ancestor inside `root` holding their full text.
 */
const clippedWithoutTitle = (page: Page, root: string) =>
	page.evaluate((sel) => {
		const out: string[] = [];
		for (const scope of document.querySelectorAll(sel)) {
			for (const el of scope.querySelectorAll<HTMLElement>('*')) {
				if (!el.textContent?.trim() || el.getClientRects().length === 0) continue;
				const css = getComputedStyle(el);
				const clips = css.overflowX !== 'visible' || css.textOverflow === 'ellipsis';
				if (!clips || el.scrollWidth <= el.clientWidth + 1) continue;
				if (el.classList.contains('scroll') || css.overflowX === 'auto' || css.overflowX === 'scroll')
					continue;
				// The text a title must hold: the element's, less its buttons' glyphs (▸ toggles).
				let text = el.textContent;
				for (const b of el.querySelectorAll('button')) text = text.replace(b.textContent ?? '', '');
				text = text.trim();
				let titled = false;
				for (let a: HTMLElement | null = el; a && a !== scope.parentElement; a = a.parentElement)
					if (a.title && a.title.replace(/\s/g, '').includes(text.replace(/\s/g, ''))) titled = true;
				if (!titled)
					out.push(
						`${el.tagName.toLowerCase()}.${el.className}: "${text}" (${el.scrollWidth} > ${el.clientWidth} px)`
					);
			}
		}
		return out;
	}, root);

for (const vp of VIEWPORTS) {
	test.describe(`at ${vp.width}×${vp.height}`, () => {
		test.use({ viewport: vp });

		test('no number field cuts its value', async ({ page }) => {
			for (const link of LINKS) {
				await open(page, link);
				expect(await cutNumberFields(page), link).toEqual([]);
			}
		});

		test('the layer table and the compare table cut no text without a title', async ({ page }) => {
			// Stage rows are bold, and a big input makes long shapes (resnet50 at 4096²: 256×1024×1024).
			const table = page.getByTestId('layer-table');
			await open(page, '/?preset=resnet50&input=3x4096x4096');
			await table.scrollIntoViewIfNeeded();
			await expect(table.locator('[data-id="layer1"]')).toBeVisible();
			expect(await clippedWithoutTitle(page, '[data-testid="layer-table"]')).toEqual([]);

			await open(page, '/?preset=wide_resnet101_2');
			await table.scrollIntoViewIfNeeded();
			await expect(table.locator('[data-id="layer3"]')).toBeVisible();
			expect(await clippedWithoutTitle(page, '[data-testid="layer-table"]')).toEqual([]);
			await page.getByTestId('toggle-layer3.0').click();
			await expect(table.locator('[data-id="layer3.0.downsample.0"]')).toBeVisible();
			expect(await clippedWithoutTitle(page, '[data-testid="layer-table"]')).toEqual([]);

			await page.getByRole('tab', { name: /Compare/ }).click();
			await page.getByTestId('pin').click();
			await page.getByTestId('preset-select').selectOption('resnet1202');
			await expect(page.getByTestId('compare-table')).toBeVisible();
			expect(await clippedWithoutTitle(page, '[data-testid="compare"]')).toEqual([]);
			// The Output column is on screen, not scrolled off the panel's right edge.
			const panel = await page.getByTestId('compare').boundingBox();
			const out = page.locator('[data-testid="compare-row"][data-id="layer3"] td.shape');
			await expect(out).toContainText('1024×14×14 → 64×8×8');
			const cell = await out.boundingBox();
			expect(cell!.x + cell!.width, 'Output column inside the panel').toBeLessThanOrEqual(
				panel!.x + panel!.width + 1
			);
		});
	});
}
