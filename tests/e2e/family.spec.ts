import { expect, test, type Page } from '@playwright/test';
import { axeViolations, describeViolations } from './axe';

// References: timm 1.0.29 (params, and MACs of its conv2d, conv1d and linear layers at 224²), as
// issue 12 states them.
const TIMM = {
	resnet50d: ['25,576,264', '4,328,824,832'],
	seresnet50: ['28,088,024', '4,091,699,200'],
	ecaresnet50d: ['25,576,350', '4,328,912,640'],
	resnetrs50: ['35,691,912', '4,454,490,112'],
	resnetv2_50: ['25,549,352', '4,089,184,256']
} as const;

async function expectTotals(page: Page, [params, macs]: readonly [string, string]) {
	await expect(page.getByTestId('total-params')).toContainText(params);
	await expect(page.getByTestId('total-macs')).toContainText(macs);
}

const radio = (page: Page, name: string, value: string) =>
	page.locator(`input[name="${name}"][value="${value}"]`);

test("the family's presets give timm's totals", async ({ page }) => {
	await page.goto('/');
	for (const [name, totals] of Object.entries(TIMM)) {
		await page.getByTestId('preset-select').selectOption(name);
		await expectTotals(page, totals);
	}
});

test('the picker groups the family: torchvision · timm variants · pre-activation · CIFAR (paper) · bundled', async ({
	page
}) => {
	await page.goto('/');
	const groups = page.getByTestId('preset-select').locator('optgroup');
	await expect(groups).toHaveCount(5);
	expect(await groups.evaluateAll((gs) => gs.map((g) => g.getAttribute('label')))).toEqual([
		'torchvision',
		'timm variants',
		'pre-activation',
		'CIFAR (paper)',
		'bundled'
	]);
	const timm = page.getByTestId('preset-select').locator('optgroup[label="timm variants"] option');
	await expect(timm.filter({ hasText: /^resnet50d$/ })).toHaveCount(1);
	const preact = page.getByTestId('preset-select').locator('optgroup[label="pre-activation"] option');
	expect(await preact.allTextContents()).toEqual(
		expect.arrayContaining(['resnetv2_50', 'preact_resnet164', 'preact_resnet1001'])
	);
});

test("the knobs turn resnet50 into timm's variants, and the diagram follows", async ({ page }) => {
	await page.goto('/?preset=resnet50');
	await expectTotals(page, ['25,557,032', '4,089,184,256']);
	const stem = page.getByTestId('diagram').locator('[data-id="stem"]');
	await expect(stem).toHaveAttribute('aria-label', /conv 7×7 \/2 · max pool \/2/);

	// Deep stem + shortcut D = resnet50d.
	await radio(page, 'stem-kind', 'deep').check({ force: true });
	await radio(page, 'shortcut', 'D').check({ force: true });
	await expectTotals(page, TIMM.resnet50d);
	await expect(stem).toHaveAttribute('aria-label', /3×conv 3×3 · max pool \/2/);
	await expect(page.getByTestId('preset-select')).toHaveValue('');

	// Back to resnet50, then SE on every block = seresnet50.
	await page.getByTestId('preset-select').selectOption('resnet50');
	await radio(page, 'attention', 'se').check({ force: true });
	await expectTotals(page, TIMM.seresnet50);
	await expect(page.getByTestId('se-ratio')).toHaveValue('0.0625');
	// timm seresnet50: se.fc1 has 16, 32, 64, 128 channels in layer1–4.
	await expect(page.locator('#knobs')).toContainText('rd per stage: 16, 32, 64, 128');
	// The share link carries the knobs; opened, it is the same network.
	const link = await page.getByTestId('share-link').inputValue();
	expect(link).toContain('att=se_0.0625_8');
	const other = await page.context().newPage();
	await other.goto(link);
	await expectTotals(other, TIMM.seresnet50);
	await expect(other.locator('input[name="attention"][value="se"]')).toBeChecked();
	await other.close();
	await expect(page.getByTestId('diagram').locator('[data-id="layer1.0"]')).toHaveAttribute(
		'aria-label',
		/^layer1\.0 · SE/
	);
	// A ratio of 0 is refused in place, and the last valid network stays drawn.
	await page.getByTestId('se-ratio').fill('0');
	await expect(page.locator('[data-testid="field-error"][data-path="attention.ratio"]')).toBeVisible();
	await expectTotals(page, TIMM.seresnet50);

	// Pre-activation blocks = resnetv2_50 (timm's resnetv2 names).
	await page.getByTestId('preset-select').selectOption('resnet50');
	await radio(page, 'block-order', 'pre').check({ force: true });
	await expectTotals(page, TIMM.resnetv2_50);
	await expect(page.getByTestId('diagram').locator('[data-id="stages.0"]')).toBeVisible();
});

test('an open SE block draws its branch: pool → fc1 → ReLU → fc2 → sigmoid → ⊗', async ({ page }) => {
	await page.goto('/?preset=seresnet50');
	await expectTotals(page, TIMM.seresnet50);
	const diagram = page.getByTestId('diagram');
	await diagram.locator('[data-toggle="layer1.0"]').dispatchEvent('click');
	for (const part of ['pool', 'fc1', 'act', 'fc2', 'gate', 'scale'])
		await expect(diagram.locator(`[data-id="layer1.0.se.${part}"]`)).toBeVisible();
	// timm seresnet50: layer1.0.se.fc1 = Conv2d(256, 16, 1×1).
	await expect(diagram.locator('[data-id="layer1.0.se.fc1"]')).toHaveAttribute('aria-label', /conv 1×1, 16/);
	await expect(diagram.locator('[data-kind="attention"][data-to="layer1.0.se.scale"]')).toHaveCount(1);
	// The branch in its own column left of the main path, the ⊗ below the gate — read once the
	// view has settled (opening a block brings it into view with a short zoom transition).
	const box = async (id: string) => (await diagram.locator(`[data-id="${id}"]`).boundingBox())!;
	await expect
		.poll(async () => {
			const [gate, conv3, scale] = await Promise.all(
				['layer1.0.se.gate', 'layer1.0.conv3', 'layer1.0.se.scale'].map(box)
			);
			return { branchLeft: gate.x + gate.width < conv3.x, scaleBelow: scale.y > gate.y + gate.height };
		})
		.toEqual({ branchLeft: true, scaleBelow: true });
});

test('the family map: a click opens a preset, Pin for Compare pins one, the network on screen is marked', async ({
	page
}) => {
	await page.goto('/?preset=resnet50');
	await page.getByTestId('family-map').locator('summary').click();
	const chart = page.getByTestId('family-chart');
	await expect(chart).toBeVisible();
	// resnet50 has two published figures (torchvision V1 76.13 %, V2 80.858 %).
	await expect(chart.locator('[data-preset="resnet50"]')).toHaveCount(2);
	await expect(chart.locator('.marker-label')).toHaveText('resnet50');
	/** The pointer at a dot's centre (dots of one MACs overlap; each answers near its own centre). */
	const at = async (preset: string) => {
		const b = (await chart.locator(`[data-preset="${preset}"]`).first().boundingBox())!;
		await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
	};
	// A click opens the preset under the pointer.
	await at('resnet101d');
	await page.mouse.down();
	await page.mouse.up();
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet101d');
	// resnet50d and ecaresnet50d (80.546 %, 80.634 % at 4.33 G MACs) nearly coincide: the card
	// offers the other one.
	await at('resnet50d');
	const card = page.getByTestId('family-card');
	const name = card.locator('.name b');
	await expect(name).toHaveText(/^(resnet50d|ecaresnet50d)$/);
	const other = (await name.textContent()) === 'resnet50d' ? 'ecaresnet50d' : 'resnet50d';
	const also = (preset: string) =>
		card.locator('.near').getByRole('button', { name: new RegExp(`^${preset} `) });
	await also(other).click();
	await expect(name).toHaveText(other);
	if (other !== 'resnet50d') await also('resnet50d').click();
	await expect(name).toHaveText('resnet50d');
	await page.getByTestId('family-open').click();
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet50d');
	await expectTotals(page, TIMM.resnet50d);
	await expect(chart.locator('.marker-label')).toHaveText('resnet50d');

	// The card names the weights and the source; Pin pins the preset for Compare.
	// seresnet50 (80.012 %) lies under resnetv2_50 (80.41 %), both at 4.09 G MACs.
	await at('seresnet50');
	await expect(card).toContainText('seresnet50.a1_in1k');
	await expect(card).toContainText('80.012');
	await expect(card.getByRole('link', { name: /results-imagenet\.csv/ })).toBeVisible();
	await page.getByTestId('family-pin').click();
	await page.getByRole('tab', { name: /Compare/ }).click();
	await expect(page.getByTestId('compare')).toContainText('pinned seresnet50');
	await expect(page.getByTestId('compare')).toContainText('current resnet50d');

	// A preset without a published figure sits on the MACs axis (timm has no resnetv2_50d weights).
	await expect(chart.locator('[data-preset="resnetv2_50d"].hollow')).toHaveCount(1);
	// The keyboard: one Tab stop, arrows move, Enter opens.
	await expect(chart.locator('[tabindex="0"]')).toHaveCount(1);
	await chart.locator('[tabindex="0"]').focus();
	// Home: the left end of the ImageNet panel, torchvision's resnet18 (1.8 G MACs).
	await page.keyboard.press('Home');
	await page.keyboard.press('Enter');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet18');
});

test('Compare: one click pins resnet50 against resnetv2_50, stage by stage', async ({ page }) => {
	await page.goto('/?preset=resnet18');
	await page.getByRole('tab', { name: /Compare/ }).click();
	await page.getByRole('button', { name: 'post vs pre-activation (resnet50 vs resnetv2_50)' }).click();
	const table = page.getByTestId('compare-table');
	await expect(page.getByTestId('compare')).toContainText('pinned resnet50');
	await expect(page.getByTestId('compare')).toContainText('current resnetv2_50');
	// timm resnetv2_50 stages.0: 214,912 params vs torchvision resnet50 layer1: 215,808.
	await expect(table.locator('tr', { hasText: 'layer1' })).toContainText('216 k');
	await expect(table.locator('tr', { hasText: 'layer1' })).toContainText('215 k');
	await page.getByTestId('unpin').click();
	await page.getByRole('button', { name: 'resnet50 vs resnet50d' }).click();
	await expectTotals(page, TIMM.resnet50d);
});

for (const scheme of ['light', 'dark'] as const)
	test(`axe finds nothing in the new UI (${scheme})`, async ({ page }) => {
		await page.emulateMedia({ colorScheme: scheme });
		await page.goto('/?preset=ecaresnet50d');
		await expectTotals(page, TIMM.ecaresnet50d);
		await page.getByTestId('diagram').locator('[data-toggle="layer1.0"]').dispatchEvent('click');
		await expect(page.getByTestId('diagram').locator('[data-id="layer1.0.se.conv"]')).toBeVisible();
		await radio(page, 'attention', 'se').check({ force: true });
		await page.getByTestId('family-map').locator('summary').click();
		await page.getByTestId('family-chart').locator('[data-preset="resnet50d"]').hover();
		await page.getByRole('tab', { name: /Compare/ }).click();
		const vs = await axeViolations(page);
		expect(vs, describeViolations(vs)).toEqual([]);
	});

test('the family map fits a phone (390 px)', async ({ page }) => {
	await page.setViewportSize({ width: 390, height: 844 });
	await page.goto('/?preset=resnet50');
	await page.getByTestId('family-map').locator('summary').click();
	const chart = page.getByTestId('family-chart');
	await expect(chart).toBeVisible();
	const box = (await chart.boundingBox())!;
	expect(box.x).toBeGreaterThanOrEqual(0);
	expect(box.x + box.width).toBeLessThanOrEqual(390);
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});
