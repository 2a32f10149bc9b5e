import { expect, test, type Page } from '@playwright/test';
import { axeViolations, describeViolations } from './axe';

// Issue 15: the page's profile of the bundled fashion-resnet on wasm. Profile → the per-node
// times fill the layer table's `ms` and `% of time` columns, the diagram colours by measured time,
// the inspector gives a convolution's time, share and GFLOP/s (and a folded BN names the
// convolution that carries its time), the chart compares time and MACs per section; a change of
// network drops the profile (no stale times); axe finds nothing in light and dark.

test.describe.configure({ timeout: 180_000 });

async function profiled(page: Page): Promise<void> {
	await page.goto('/');
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 90_000 });
	await page.getByTestId('backend-select').selectOption('wasm');
	await expect(page.getByTestId('backend-badge')).toContainText('wasm', { timeout: 60_000 });
	await page.getByTestId('profile-runs').selectOption('3');
	await page.getByTestId('profile-button').click();
	await expect(page.getByTestId('profile-total')).toBeVisible({ timeout: 120_000 });
}

test('profile: table columns, colour by measured time, inspector, chart; dropped on a new network', async ({
	page
}) => {
	await page.goto('/');
	// No profile yet: no time columns; "measured time" is offered but asks for a profile first.
	await expect(page.getByTestId('layer-table').getByRole('columnheader', { name: 'Params' })).toBeVisible({
		timeout: 30_000
	});
	await expect(page.getByTestId('diagram-colour-by').locator('option[value="time"]')).toHaveText(
		'measured time (profile first)'
	);
	await expect(
		page.getByTestId('layer-table').getByRole('columnheader', { name: 'ms', exact: true })
	).toHaveCount(0);
	await profiled(page);
	const status = await page.getByTestId('profile-total').innerText();
	expect(status).toMatch(
		/summed over the layers \(wasm, median of 3 runs\) vs [\d.]+ ms for a plain forward/
	);

	// Layer table: the columns appear; the folded BN names its convolution; the times are numbers.
	const table = page.getByTestId('layer-table');
	await expect(table.getByRole('columnheader', { name: 'ms', exact: true })).toBeVisible();
	await expect(table.getByRole('columnheader', { name: '% of time' })).toBeVisible();
	// Every header shows its whole label (none cut by its column's width).
	const cut = await table.getByRole('columnheader').evaluateAll((ths) =>
		ths
			.map((th) => {
				const range = document.createRange();
				range.selectNodeContents(th);
				const text = range.getBoundingClientRect();
				const box = th.getBoundingClientRect();
				return text.right > box.right + 0.5 ? th.textContent?.trim() : null;
			})
			.filter((t) => t)
	);
	expect(cut).toEqual([]);
	const conv1 = table.locator('tr[data-id="conv1"]');
	await expect(conv1.locator('.c-ms')).toHaveText(/^\d+\.\d+$/);
	await expect(table.locator('tr[data-id="bn1"] .c-ms')).toHaveText('in conv1');

	// Diagram: colour by measured time → a ramp in ms and coloured boxes with their times.
	await page.getByTestId('diagram-colour-by').selectOption('time');
	await expect(page.getByTestId('diagram-legend')).toContainText('Measured time');
	await expect(page.getByTestId('diagram-legend')).toContainText('ms');
	const fills = await page
		.getByTestId('diagram')
		.locator('rect[style*="fill"], rect[fill]')
		.evaluateAll((rs) => new Set(rs.map((r) => getComputedStyle(r).fill)).size);
	expect(fills).toBeGreaterThan(3);

	// Inspector: a convolution's time beside its MACs share and its GFLOP/s; a folded BN.
	await conv1.click();
	const inspector = page.getByTestId('inspector');
	await expect(inspector).toContainText(
		/Measured time\s*[\d.]+ ms · [\d.]+ % of the time vs [\d.]+ % of the MACs · [\d.]+ GFLOP\/s/
	);
	await table.locator('tr[data-id="bn1"]').click();
	await expect(inspector).toContainText("computed in conv1's kernel: counted there");

	// The chart: stem, the stages, head.
	const chart = page.getByTestId('profile-chart');
	await expect(chart).toBeVisible();
	await expect(chart.locator('svg')).toHaveAttribute(
		'aria-label',
		/stem [\d.]+ % of time, [\d.]+ % of MACs; layer1/
	);

	for (const colorScheme of ['light', 'dark'] as const) {
		await page.emulateMedia({ colorScheme });
		for (const within of [
			'[data-testid="profile"]',
			'[data-testid="layer-table"]',
			'[data-testid="inspector"]'
		]) {
			const v = await axeViolations(page, within);
			expect(v, `${within}, ${colorScheme}: ${describeViolations(v)}`).toEqual([]);
		}
	}

	// Another network: the times are gone (never stale).
	await page.getByTestId('stage-blocks-0').fill('2');
	await expect(table.getByRole('columnheader', { name: 'ms', exact: true })).toHaveCount(0);
	await expect(page.getByTestId('profile-chart')).toHaveCount(0);
	await expect(page.getByTestId('legend-no-profile')).toBeVisible();
});

test('profile: Cancel stops it and shows no times', async ({ page }) => {
	// resnet18 at 224²: 20 stepwise runs take seconds even on a fast machine, so Cancel comes first.
	await page.goto('/?preset=resnet18');
	await expect(page.getByTestId('total-params')).toContainText(/11,?689,?512/); // torchvision's count
	await page.getByTestId('sample-cat').click();
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 90_000 });
	await page.getByTestId('profile-runs').selectOption('20');
	await page.getByTestId('profile-button').click();
	await page.getByTestId('profile-cancel').click();
	await expect(page.getByTestId('profile-cancel')).toHaveCount(0);
	await expect(page.getByTestId('profile-button')).toBeEnabled();
	await page.waitForTimeout(1500);
	await expect(page.getByTestId('profile-total')).toHaveCount(0);
	await expect(page.getByTestId('profile-chart')).toHaveCount(0);
});
