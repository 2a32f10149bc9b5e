import { readFile } from 'node:fs/promises';
import { expect, test, type Download, type Page } from '@playwright/test';
import { CSV_COLUMNS, canonicalSpec, presetSpec } from '../../src/lib/arch';

// References: torchvision 0.14 (Debian python3-torchvision) and its docs:
// resnet50 25,557,032 params; resnet101 (resnet50 with 23 blocks in layer3) 44,549,160;
// wide_resnet50_2 68,883,240.

const fieldOf = (page: Page, testid: string) =>
	page.getByTestId(testid).locator('xpath=ancestor::div[contains(@class, "field")][1]');

async function open(page: Page, query = '') {
	await page.goto(`/${query}`);
	// The first visit to a cold dev server can take a while (dependency optimisation).
	await expect(page.getByTestId('total-params')).toBeVisible({ timeout: 30_000 });
}

async function downloadText(page: Page, testid: string): Promise<{ name: string; text: string }> {
	await page.getByTestId('export-menu').click();
	const [download]: [Download, void] = await Promise.all([
		page.waitForEvent('download'),
		page.getByTestId(testid).click()
	]);
	return { name: download.suggestedFilename(), text: await readFile((await download.path())!, 'utf8') };
}

test('resnet50, then 23 blocks in layer3 is resnet101, with the change against the preset', async ({
	page
}) => {
	await open(page);
	await page.getByTestId('preset-select').selectOption('resnet50');
	await expect(page.getByTestId('total-params')).toContainText('25,557,032');
	await expect(page.getByTestId('stage-blocks-2')).toHaveValue('6');
	await page.getByTestId('stage-blocks-2').fill('23');
	await expect(page.getByTestId('total-params')).toContainText('44,549,160');
	await expect(page.getByTestId('total-macs')).toContainText('7,801,405,440');
	await expect(page.getByTestId('delta')).toContainText('+18,992,128 params');
	await expect(page.getByTestId('delta')).toContainText('vs resnet50');
	// The picker says what the spec is now.
	await expect(page.getByTestId('preset-select')).toContainText('edited from resnet50');
});

test('an invalid value shows its error next to its field and keeps the last totals', async ({ page }) => {
	await open(page, '?preset=resnet50');
	await page.getByTestId('stage-blocks-2').fill('23');
	await expect(page.getByTestId('total-params')).toContainText('44,549,160');

	await page.getByTestId('stage-blocks-2').fill('0');
	const err = fieldOf(page, 'stage-blocks-2').getByTestId('field-error');
	await expect(err).toBeVisible();
	await expect(err).toHaveAttribute('data-path', 'stages[2].blocks');
	await expect(err).toContainText('at least 1');
	await expect(page.getByTestId('stage-blocks-2')).toHaveAttribute('aria-invalid', 'true');
	await expect(page.getByTestId('total-params')).toContainText('44,549,160');
	// The link keeps sharing the last valid architecture.
	await expect(page.getByTestId('share-link')).toHaveValue(/23\.256\.2/);

	await page.getByTestId('stage-blocks-2').fill('6');
	await expect(page.getByTestId('field-error')).toHaveCount(0);
	await expect(page.getByTestId('total-params')).toContainText('25,557,032');

	await page.getByTestId('input-height').fill('0');
	const hErr = fieldOf(page, 'input-height').getByTestId('field-error');
	await expect(hErr).toHaveAttribute('data-path', 'input.height');
	await expect(page.getByTestId('total-params')).toContainText('25,557,032');

	// A rule between fields: option A cannot shrink the channels.
	await page.getByTestId('input-height').fill('224');
	await page.getByTestId('preset-select').selectOption('resnet56');
	await page.getByTestId('stage-width-2').fill('8');
	const wErr = fieldOf(page, 'stage-width-2').getByTestId('field-error');
	await expect(wErr).toHaveAttribute('data-path', 'stages[2].width');
	await expect(wErr).toContainText('option A');
	await expect(page.getByTestId('total-params')).toContainText('853,018'); // resnet56, PyTorch (tests/fixtures/arch-reference.json)
});

test('the share link round-trips, and a bad link falls back with a specific error', async ({
	page,
	context
}) => {
	await open(page, '?preset=resnet50');
	await page.getByTestId('stage-blocks-2').fill('23');
	await page.getByRole('radio', { name: '1×1 (v1)' }).check();
	const link = await page.getByTestId('share-link').inputValue();
	expect(link).toContain('preset=resnet50');
	expect(link).toContain('strideOn=1x1');
	const params = await page.getByTestId('total-params').textContent();
	const macs = await page.getByTestId('total-macs').textContent();

	const other = await context.newPage();
	await other.goto(link);
	await expect(other.getByTestId('total-params')).toHaveText(params!);
	await expect(other.getByTestId('total-macs')).toHaveText(macs!);
	await expect(other.getByTestId('stage-blocks-2')).toHaveValue('23');
	await expect(other.getByRole('radio', { name: '1×1 (v1)' })).toBeChecked();
	await expect(other.getByTestId('load-error')).toHaveCount(0);
	// The address bar carries the spec too.
	await expect(other).toHaveURL(/stages=3\.64\.1_4\.128\.2_23\.256\.2_3\.512\.2/);

	// A bad key is left out: the link's preset is shown (torchvision resnet50: 25,557,032 params).
	const bad = await context.newPage();
	await bad.goto('/?preset=resnet50&stages=3.64.1_4.x.2');
	await expect(bad.getByTestId('load-error')).toContainText('stages[1].width');
	await expect(bad.getByTestId('total-params')).toContainText('25,557,032');
	await expect(bad.getByTestId('load-error')).toContainText('showing resnet50 without it');
	const unknown = await context.newPage();
	await unknown.goto('/?preset=resnet9000');
	await expect(unknown.getByTestId('load-error')).toContainText('unknown preset "resnet9000"');
	await expect(unknown.getByTestId('total-params')).toContainText('269,434');
});

test('layer table: stages and blocks expand and collapse; rows select', async ({ page }) => {
	await open(page, '?preset=resnet50');
	const table = page.getByTestId('layer-table');
	await expect(table.locator('[data-id="layer1.0"]')).toBeVisible();
	await expect(table.locator('[data-id="layer1.0.conv1"]')).toHaveCount(0);

	await page.getByTestId('toggle-layer1.0').click();
	await expect(table.locator('[data-id="layer1.0.conv1"]')).toBeVisible();
	await expect(table.locator('[data-id="layer1.0.downsample.0"]')).toBeVisible();

	await page.getByTestId('toggle-layer1').click();
	await expect(table.locator('[data-id="layer1.0"]')).toHaveCount(0);
	await expect(table.locator('[data-id="layer1.0.conv1"]')).toHaveCount(0);
	await page.getByTestId('toggle-layer1').click();
	await expect(table.locator('[data-id="layer1.0.conv1"]')).toBeVisible();

	await table.locator('[data-id="layer1.0.conv2"]').click();
	await expect(table.locator('[data-id="layer1.0.conv2"]')).toHaveClass(/selected/);
	const inspector = page.getByTestId('inspector');
	await expect(inspector).toContainText('layer1.0.conv2');
	await expect(inspector).toContainText('64×56×56'); // torchvision: layer1.0.conv2 → 64×56×56
	await expect(inspector).toContainText('36,864'); // 64·64·3·3

	// Keyboard: the next row is bn2.
	await table.press('ArrowDown');
	await expect(inspector).toContainText('layer1.0.bn2');

	// Collapse all, then select from elsewhere (the inspector's block link): the row opens and shows.
	await page.getByTestId('collapse-all').click();
	await expect(table.locator('[data-id="layer1"]')).toBeVisible();
	await expect(table.locator('[data-id="layer1.0"]')).toHaveCount(0);
	await inspector.getByRole('button', { name: 'layer1.0', exact: true }).click();
	await expect(table.locator('[data-id="layer1.0"]')).toHaveClass(/selected/);

	// resnet1202: 4,208 nodes, all expanded, yet only the rows in view are in the DOM.
	await page.getByTestId('preset-select').selectOption('resnet1202');
	await expect(page.getByTestId('total-params')).toContainText('19,421,274'); // PyTorch (tests/fixtures/arch-reference.json)
	await page.getByTestId('expand-all').click();
	const rows = await table.locator('tr[data-id]').count();
	expect(rows).toBeGreaterThan(10);
	expect(rows).toBeLessThan(200);
	await table.evaluate((el) => (el.scrollTop = el.scrollHeight));
	await expect(table.locator('[data-id="fc"]')).toBeVisible();

	// Sorted by params (descending): fc (64·10+10 = 650) is far from the top; layer3's 3×3 convs lead.
	await page.getByRole('button', { name: 'Params' }).click();
	await table.evaluate((el) => (el.scrollTop = 0));
	await expect(table.locator('tr[data-id]').first()).toHaveAttribute('data-id', /^layer3\.\d+\.conv[12]$/);
});

test('exports download and parse back; a spec file loads', async ({ page }) => {
	await open(page, '?preset=resnet50');
	const json = await downloadText(page, 'export-json');
	expect(json.name).toBe('resnet50-summary.json');
	const summary = JSON.parse(json.text);
	expect(summary.totals.params).toBe(25557032);
	expect(summary.totals.macs).toBe(4089184256);
	expect(summary.layers.find((l: { id: string }) => l.id === 'layer4.2.relu3').outShape).toEqual([
		2048, 7, 7
	]);

	const csv = await downloadText(page, 'export-csv');
	expect(csv.text.split('\n')[0]).toBe(CSV_COLUMNS.join(','));
	expect(csv.text.split('\n').find((l) => l.startsWith('fc,'))).toContain(',2049000,'); // 2048·1000 + 1000

	const md = await downloadText(page, 'export-markdown');
	expect(md.text).toContain('| Layer | Op | Output shape | Params | MACs | FLOPs | Receptive field |');

	const spec = await downloadText(page, 'export-spec');
	expect(JSON.parse(spec.text)).toEqual(canonicalSpec(presetSpec('resnet50')!));

	// Load a spec file: resnet101's stages in resnet50's file.
	const r101 = { ...canonicalSpec(presetSpec('resnet50')!), name: 'from-file' };
	r101.stages[2].blocks = 23;
	await page.getByTestId('load-spec').setInputFiles({
		name: 'mine.json',
		mimeType: 'application/json',
		buffer: Buffer.from(JSON.stringify(r101))
	});
	await expect(page.getByTestId('total-params')).toContainText('44,549,160');
	await expect(page.getByTestId('stage-blocks-2')).toHaveValue('23');

	// A bad file: its SpecErrors, and nothing changes.
	const bad = { ...r101, groups: 0, stages: [{ blocks: 0, width: 64, stride: 1 }] };
	await page.getByTestId('load-spec').setInputFiles({
		name: 'bad.json',
		mimeType: 'application/json',
		buffer: Buffer.from(JSON.stringify(bad))
	});
	const banner = page.getByTestId('load-error');
	await expect(banner).toContainText('bad.json');
	await expect(banner).toContainText('groups');
	await expect(banner).toContainText('stages[0].blocks');
	await expect(page.getByTestId('total-params')).toContainText('44,549,160');
	await page.getByTestId('load-spec').setInputFiles({
		name: 'broken.json',
		mimeType: 'application/json',
		buffer: Buffer.from('{ "name": ')
	});
	await expect(banner).toContainText('not valid JSON');
});

test('compare: resnet50 pinned against wide_resnet50_2, stage by stage', async ({ page }) => {
	await open(page, '?preset=resnet50');
	await page.getByRole('tab', { name: /Compare/ }).click();
	await page.getByTestId('pin').click();
	await page.getByTestId('preset-select').selectOption('wide_resnet50_2');
	const total = page.locator('[data-testid="compare-row"][data-id="total"]');
	// torchvision: 68,883,240 − 25,557,032 = +43,326,208
	await expect(total.locator('td[title="+43,326,208"]')).toBeVisible();
	// layer3: 7,098,368 → 20,736,000 params (PyTorch, per module)
	const l3 = page.locator('[data-testid="compare-row"][data-id="layer3"]');
	await expect(l3.locator('td[title="7,098,368"]')).toBeVisible();
	await expect(l3.locator('td[title="20,736,000"]')).toBeVisible();
	await expect(l3).toContainText('1024×14×14');
	await expect(page.getByTestId('compare')).toContainText('widthPerGroup');

	await page.getByTestId('unpin').click();
	await expect(page.getByTestId('compare-table')).toHaveCount(0);
});

test('diagram and layer table share the selection; the diagram expands and collapses', async ({ page }) => {
	await open(page, '?preset=resnet50');
	const svg = page.locator('svg[data-testid="diagram"]');
	await expect(svg).toBeVisible();

	await page.getByTestId('diagram-collapse-all').click();
	await expect(svg.locator('[data-id="layer2"][data-kind="stage"]')).toHaveCount(1);
	await expect(svg.locator('[data-id="layer2.0.conv2"]')).toHaveCount(0);
	await svg.locator('[data-toggle="layer2"]').dispatchEvent('click');
	await expect(svg.locator('[data-id="layer2"][data-kind="frame"]')).toHaveCount(1);
	await page.getByTestId('diagram-expand-all').click();
	await expect(svg.locator('[data-id="layer2.0.conv2"]')).toHaveCount(1);

	// Diagram → table (the block opens, the row is highlighted) and inspector.
	const table = page.getByTestId('layer-table');
	await expect(table.locator('[data-id="layer2.0.conv2"]')).toHaveCount(0);
	await svg.locator('[data-id="layer2.0.conv2"]').dispatchEvent('click');
	await expect(table.locator('[data-id="layer2.0.conv2"]')).toHaveClass(/selected/);
	// Scrolled into the table's view (the table itself may be below the fold on this window).
	await expect
		.poll(() =>
			table.evaluate((el) => {
				const row = el.querySelector('[data-id="layer2.0.conv2"]')!.getBoundingClientRect();
				const box = el.getBoundingClientRect();
				return row.top >= box.top && row.bottom <= box.bottom;
			})
		)
		.toBe(true);
	await expect(page.getByTestId('inspector')).toContainText('128×56×56 → 128×28×28'); // torchvision v1.5

	// Table → diagram.
	await table.locator('[data-id="layer2.0.bn2"]').click();
	await expect(svg.locator('[data-id="layer2.0.bn2"]')).toHaveAttribute('data-selected', 'true');
	await expect(svg.locator('[data-id="layer2.0.conv2"]')).not.toHaveAttribute('data-selected', 'true');

	// A knob change redraws the diagram: 23 blocks in layer3.
	await page.getByTestId('stage-blocks-2').fill('23');
	await page.getByTestId('diagram-collapse-all').click();
	await expect(svg.locator('[data-id="layer3"][data-kind="stage"]')).toHaveAttribute(
		'aria-label',
		/23 blocks/
	);
});

// Each knob through the page against PyTorch: tests/fixtures/arch-reference.json (written by
// tools/reference/arch_reference.py from torchvision or SpecResNet).
test('knobs reproduce PyTorch: plain, option A and C, input size, flatten head, added stages', async ({
	page
}) => {
	const params = page.getByTestId('total-params');
	await open(page, '?preset=resnet34');
	await page.getByTestId('residual').uncheck();
	await expect(params).toContainText('21,623,848'); // plain34

	await page.getByTestId('preset-select').selectOption('resnet50');
	await page.getByTestId('input-height').fill('64');
	await page.getByTestId('input-width').fill('64');
	await page.getByRole('radio', { name: 'C', exact: true }).check();
	await expect(params).toContainText('40,128,552'); // resnet50-C at 64×64
	await expect(page.getByTestId('total-macs')).toContainText('537,018,368');

	await page.getByTestId('preset-select').selectOption('resnet18');
	await page.getByTestId('input-height').fill('96');
	await page.getByTestId('input-width').fill('96');
	await page.getByRole('radio', { name: 'A', exact: true }).check();
	await expect(params).toContainText('11,515,688'); // resnet18-A at 96×96

	await page.getByTestId('preset-select').selectOption('resnet20');
	for (const i of [0, 1, 2]) await page.getByTestId(`stage-blocks-${i}`).fill('1');
	await page.getByRole('radio', { name: 'Flatten' }).check();
	await expect(params).toContainText('115,610'); // cifar-flatten

	await page.getByRole('radio', { name: 'Global average' }).check();
	await page.getByTestId('stage-blocks-2').fill('2');
	await page.getByTestId('stage-width-1').fill('24');
	await page.getByTestId('stage-width-2').fill('40');
	await page.getByTestId('add-stage').click();
	await page.getByTestId('add-stage').click();
	await page.getByTestId('add-stage').click();
	await expect(page.getByTestId('stage-blocks-5')).toBeVisible();
	await page.getByRole('button', { name: 'Remove stage layer6' }).click();
	await expect(page.getByTestId('stage-blocks-5')).toHaveCount(0);
	await page.getByTestId('stage-blocks-3').fill('1');
	await page.getByTestId('stage-width-3').fill('48');
	await page.getByTestId('stage-stride-3').fill('3');
	await page.getByTestId('stage-blocks-4').fill('1');
	await page.getByTestId('stage-width-4').fill('64');
	await page.getByTestId('stage-stride-4').fill('1');
	await expect(page.getByTestId('field-error')).toHaveCount(0);
	await expect(params).toContainText('169,658'); // five-stages
	await expect(page.getByTestId('total-macs')).toContainText('11,613,952');
});

test('Escape closes the Export menu and gives the focus back to its button', async ({ page }) => {
	await open(page, '?preset=resnet50');
	const summary = page.getByTestId('export-menu');
	const menu = page.locator('details:has([data-testid="export-menu"])');
	await summary.click();
	await expect(menu).toHaveAttribute('open', '');
	await expect(page.getByTestId('export-json')).toBeVisible();
	// From an item inside the menu…
	await page.getByTestId('export-json').focus();
	await page.keyboard.press('Escape');
	await expect(menu).not.toHaveAttribute('open');
	await expect(page.getByTestId('export-json')).toBeHidden();
	await expect(summary).toBeFocused();
	// …and from the button itself.
	await page.keyboard.press('Enter');
	await expect(menu).toHaveAttribute('open', '');
	await page.keyboard.press('Escape');
	await expect(menu).not.toHaveAttribute('open');
	await expect(summary).toBeFocused();
});
