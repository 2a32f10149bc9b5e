import { expect, test, type Page } from '@playwright/test';
import { axeViolations, describeViolations } from './axe';

// Issue 10, defect 11: axe-core (WCAG 2.1 A/AA and best practices, colour contrast included)
// finds nothing on the explorer page, for the default demo network and resnet50, in both themes,
// on a wide screen and a phone.

const PAGES = [
	{ link: '/', name: 'fashion-resnet (default)' },
	{ link: '/?preset=resnet50', name: 'resnet50' }
];
const SCHEMES = ['light', 'dark'] as const;
const VIEWPORTS = [
	{ width: 1440, height: 900 },
	{ width: 390, height: 844 }
];

async function open(page: Page, link: string) {
	await page.goto(link);
	await expect(page.getByTestId('total-params')).toBeVisible({ timeout: 30_000 });
	await expect(page.locator('svg[data-testid="diagram"]')).toBeVisible();
	// The default page runs its demo network on open: check the page with its result drawn.
	if (link === '/') await expect(page.getByTestId('prediction').first()).toBeVisible({ timeout: 60_000 });
}

for (const scheme of SCHEMES)
	for (const vp of VIEWPORTS)
		test.describe(`${scheme}, ${vp.width}×${vp.height}`, () => {
			test.use({ colorScheme: scheme, viewport: vp });
			for (const p of PAGES)
				test(`no axe violations on ${p.name}`, async ({ page }) => {
					await open(page, p.link);
					const violations = await axeViolations(page);
					expect(violations, describeViolations(violations)).toEqual([]);
					if (p.link === '/') return;
					// States the first view does not show: an open block's layers in the table (with a
					// selected row), and the Compare tab with a pinned network.
					await page.getByTestId('toggle-layer1.0').click();
					await page.locator('[data-testid="layer-row"][data-id="layer1.0.conv2"]').click();
					const opened = await axeViolations(page);
					expect(opened, describeViolations(opened)).toEqual([]);
					await page.getByRole('tab', { name: /Compare/ }).click();
					await page.getByTestId('pin').click();
					await page.getByTestId('preset-select').selectOption('wide_resnet50_2');
					await expect(page.getByTestId('compare-table')).toBeVisible();
					const compared = await axeViolations(page);
					expect(compared, describeViolations(compared)).toEqual([]);
				});
		});

test('the page has one main landmark, one h1 that says what it is, and labelled regions', async ({
	page
}) => {
	await open(page, '/?preset=resnet50');
	await expect(page.getByRole('main')).toHaveCount(1);
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('ResNet Explorer');
	await expect(page.getByTestId('lede')).toContainText('sample image');
	for (const name of ['Architecture knobs', 'Diagram', 'Totals', 'Run it live'])
		await expect(page.getByRole('region', { name })).toHaveCount(1);
	// The layer table is a tree grid: its group rows say whether they are open.
	const grid = page.getByRole('treegrid', { name: /Layers/ });
	await expect(grid).toHaveCount(1);
	const row = (id: string) => grid.getByRole('row').and(page.locator(`[data-id="${id}"]`));
	await expect(row('layer1')).toHaveAttribute('aria-expanded', 'true');
	await expect(row('layer1.0')).toHaveAttribute('aria-expanded', 'false');
	const columns = await grid.getByRole('columnheader').count();
	expect(columns).toBeGreaterThanOrEqual(3);
	await expect(row('conv1').getByRole('gridcell')).toHaveCount(columns);
});
