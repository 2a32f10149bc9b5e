import { expect, test, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { PALETTES } from '../../src/lib/viz/palette';

// Reference numbers: torchvision resnet50 (He et al. 2015, Table 1; torchvision.models.resnet50):
// stages of 3, 4, 6, 3 bottleneck blocks; layer1.0.conv2 is a 3×3 conv 64→64 on 56×56
// (36,864 weights, 56·56·64·64·9 MACs); stem output 64×56×56, layer4 output 2048×7×7.

const diagram = (page: Page) => page.getByTestId('diagram');
const box = (page: Page, id: string) => diagram(page).locator(`[data-id="${id}"]`);

test('stages, blocks and layers open and close', async ({ page }) => {
	await page.goto('/diagram?preset=resnet50');
	await expect(diagram(page).locator('[data-kind="block"]')).toHaveCount(16);
	await expect(box(page, 'layer2.0.conv1')).toHaveCount(0);
	await diagram(page).locator('[data-toggle="layer2.0"]').click();
	await expect(box(page, 'layer2.0.conv1')).toHaveCount(1);
	await expect(box(page, 'layer2.0.downsample.0')).toHaveCount(1);
	await expect(diagram(page).locator('[data-kind="block"]')).toHaveCount(15);
	await page.getByTestId('diagram-collapse-all').click();
	await expect(diagram(page).locator('[data-kind="stage"]')).toHaveCount(4);
	await expect(diagram(page).locator('[data-kind="block"]')).toHaveCount(0);
	await diagram(page).locator('[data-toggle="layer3"]').click();
	await expect(diagram(page).locator('[data-kind="block"]')).toHaveCount(6);
});

test('tooltip shows the params, MACs and the formula of a layer', async ({ page }) => {
	await page.goto('/diagram?preset=resnet50');
	await diagram(page).locator('[data-toggle="layer1.0"]').click();
	await box(page, 'layer1.0.conv2').hover();
	const tip = page.getByTestId('diagram-tooltip');
	await expect(tip).toContainText('36,864');
	await expect(tip).toContainText('115,605,504');
	await expect(tip).toContainText('56·56·64·64·9');
	await expect(tip).toContainText('64×56×56 → 64×56×56');
});

test('click selects; a node selected from outside is opened and brought into view', async ({ page }) => {
	await page.goto('/diagram?preset=resnet50');
	await box(page, 'layer3.2').click({ position: { x: 40, y: 20 } });
	await expect(box(page, 'layer3.2')).toHaveAttribute('data-selected', 'true');
	await expect(page.getByTestId('diagram-selected')).toHaveText('layer3.2');

	await page.goto('/diagram?preset=resnet50&select=layer4.1.conv3');
	const target = box(page, 'layer4.1.conv3');
	await expect(target).toHaveAttribute('data-selected', 'true');
	await page.waitForTimeout(600); // the pan is animated
	const view = (await diagram(page).boundingBox())!;
	const b = (await target.boundingBox())!;
	expect(b.x).toBeGreaterThanOrEqual(view.x);
	expect(b.y).toBeGreaterThanOrEqual(view.y);
	expect(b.x + b.width).toBeLessThanOrEqual(view.x + view.width);
	expect(b.y + b.height).toBeLessThanOrEqual(view.y + view.height);
});

/** Whether the element lies wholly inside the diagram's drawing area. */
async function inView(page: Page, id: string) {
	const view = (await diagram(page).boundingBox())!;
	const b = (await box(page, id).boundingBox())!;
	return (
		b.x >= view.x - 0.5 &&
		b.y >= view.y - 0.5 &&
		b.x + b.width <= view.x + view.width + 0.5 &&
		b.y + b.height <= view.y + view.height + 0.5
	);
}

for (const size of [
	{ width: 390, height: 844 },
	{ width: 1440, height: 900 }
]) {
	test(`an opened block is brought into view with its shortcut column and its − (${size.width}px)`, async ({
		page
	}) => {
		await page.setViewportSize(size);
		await page.goto('/?preset=resnet50');
		await diagram(page).scrollIntoViewIfNeeded();
		// torchvision resnet50: the first block of each stage has a projection (downsample.0 conv, .1 BN).
		await diagram(page).locator('[data-toggle="layer1.0"]').click();
		await expect(box(page, 'layer1.0.downsample.0')).toHaveCount(1);
		await page.waitForTimeout(500); // the pan is animated
		for (const id of ['layer1.0', 'layer1.0.downsample.0', 'layer1.0.downsample.1'])
			expect(await inView(page, id), id).toBe(true);
		expect(await diagram(page).locator('[data-toggle="layer1.0"]').boundingBox()).not.toBeNull();
		const minus = (await diagram(page).locator('[data-toggle="layer1.0"]').boundingBox())!;
		const view = (await diagram(page).boundingBox())!;
		expect(minus.x + minus.width).toBeLessThanOrEqual(view.x + view.width);

		// The keyboard: → on a closed block opens it, and it is shown the same way.
		await box(page, 'layer2.0').focus();
		await page.keyboard.press('ArrowRight');
		await expect(box(page, 'layer2.0.downsample.1')).toHaveCount(1);
		await page.waitForTimeout(500);
		for (const id of ['layer2.0', 'layer2.0.downsample.0', 'layer2.0.downsample.1'])
			expect(await inView(page, id), id).toBe(true);
	});
}

test('a bad link on /diagram says what is wrong and shows resnet50', async ({ page }) => {
	await page.goto('/diagram?preset=nope');
	const alert = page.getByTestId('load-error');
	await expect(alert).toBeVisible();
	await expect(alert).toContainText('"nope"');
	await expect(alert).toContainText('resnet50');
	await expect(diagram(page)).toHaveAttribute('aria-label', /resnet50/);
	// A good link shows no error and the net it names (paper Table 1: resnet18 has 2+2+2+2 blocks).
	await page.goto('/diagram?preset=resnet18');
	await expect(diagram(page).locator('[data-kind="block"]')).toHaveCount(8);
	await expect(page.getByTestId('load-error')).toHaveCount(0);
});

test('/diagram: picking another net clears the selection', async ({ page }) => {
	await page.goto('/diagram?preset=resnet50&select=layer3.2');
	await expect(page.getByTestId('diagram-selected')).toHaveText('layer3.2');
	await page.getByTestId('preset-select').selectOption('resnet18');
	await expect(diagram(page).locator('[data-kind="block"]')).toHaveCount(8);
	await expect(page.getByTestId('diagram-selected')).toHaveText('');
	await expect(diagram(page).locator('[data-selected]')).toHaveCount(0);
});

for (const size of [
	{ width: 390, height: 844 },
	{ width: 1440, height: 900 }
]) {
	test(`the legend does not cover the drawing (${size.width}px)`, async ({ page }) => {
		await page.setViewportSize(size);
		for (const url of ['/?preset=resnet50', '/diagram?preset=resnet50']) {
			await page.goto(url);
			const legend = page.getByTestId('diagram-legend');
			await expect(legend).toBeVisible();
			const l = (await legend.boundingBox())!;
			const d = (await diagram(page).boundingBox())!;
			// Apart (touching edges allowed: the svg's height is whole pixels).
			const apart =
				l.y >= d.y + d.height - 1 ||
				l.y + l.height <= d.y + 1 ||
				l.x >= d.x + d.width - 1 ||
				l.x + l.width <= d.x + 1;
			expect(apart, `${url}: legend ${JSON.stringify(l)} over diagram ${JSON.stringify(d)}`).toBe(true);
		}
	});
}

test('legend ticks never run together (resnet1202 by receptive field, every colouring)', async ({ page }) => {
	await page.setViewportSize({ width: 390, height: 844 });
	for (const preset of ['resnet1202', 'resnet50', 'fashion-resnet']) {
		await page.goto(`/diagram?preset=${preset}`);
		for (const by of ['receptiveField', 'params', 'macs', 'activationBytes']) {
			await page.getByTestId('diagram-colour-by').selectOption(by);
			const ticks = page.getByTestId('diagram-legend').locator('.ticks span');
			const n = await ticks.count();
			expect(n).toBeGreaterThanOrEqual(2);
			const boxes = [];
			for (let i = 0; i < n; i++) boxes.push((await ticks.nth(i).boundingBox())!);
			boxes.sort((a, b) => a.x - b.x);
			for (let i = 1; i < n; i++)
				expect(boxes[i].x, `${preset} ${by}: tick ${i} overlaps tick ${i - 1}`).toBeGreaterThanOrEqual(
					boxes[i - 1].x + boxes[i - 1].width + 2
				);
		}
	}
});

test('SVG export is a standalone SVG with the shape labels', async ({ page }) => {
	await page.goto('/diagram?preset=resnet50');
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.getByTestId('export-svg').click()
	]);
	expect(download.suggestedFilename()).toBe('resnet50.svg');
	const text = await readFile((await download.path())!, 'utf8');
	const parsed = await page.evaluate((t) => {
		const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
		return {
			error: doc.getElementsByTagName('parsererror').length,
			root: doc.documentElement.nodeName,
			texts: [...doc.querySelectorAll('text')].map((e) => e.textContent),
			styleSheets: doc.querySelectorAll('style, link, script').length
		};
	}, text);
	expect(parsed.error).toBe(0);
	expect(parsed.root).toBe('svg');
	expect(parsed.styleSheets).toBe(0);
	for (const shape of ['3×224×224', '64×56×56', '256×56×56', '512×28×28', '1024×14×14', '2048×7×7'])
		expect(parsed.texts).toContain(shape);
});

test('one palette: the system scheme picks light or dark, on screen and in the SVG export', async ({
	page
}) => {
	const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
	for (const scheme of ['light', 'dark'] as const) {
		await page.emulateMedia({ colorScheme: scheme });
		await page.goto('/diagram?preset=resnet18');
		const p = PALETTES[scheme];
		const root = page.getByTestId('diagram-root');
		await expect(root).toHaveCSS('background-color', rgb(p.bg));
		await expect(diagram(page).locator('.edge.identity path.line').first()).toHaveCSS(
			'stroke',
			rgb(p.identity)
		);
		const [download] = await Promise.all([
			page.waitForEvent('download'),
			page.getByTestId('export-svg').click()
		]);
		const text = await readFile((await download.path())!, 'utf8');
		expect(text).toContain(`<rect width="100%" height="100%" fill="${p.bg}"/>`);
		expect(text).toContain(`stroke="${p.identity}"`);
	}
});

test('PNG export downloads a PNG', async ({ page }) => {
	await page.goto('/diagram?preset=resnet18');
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.getByTestId('export-png').click()
	]);
	expect(download.suggestedFilename()).toBe('resnet18.png');
	const bytes = await readFile((await download.path())!);
	expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

test('resnet1202 starts collapsed and draws only what is in view when opened', async ({ page }) => {
	await page.goto('/diagram?preset=resnet1202');
	// Paper §4.2: three stages of n = 200 basic blocks.
	await expect(diagram(page).locator('[data-kind="stage"]')).toHaveCount(3);
	await expect(box(page, 'layer1')).toContainText('200 blocks');
	await page.getByTestId('diagram-expand-all').click();
	// One box per layer: 600 basic blocks of 7 (conv, BN, ReLU, conv, BN, add, ReLU), 2 zero-pad
	// shortcuts, input, the CIFAR stem (conv, BN, ReLU) and the head (avg pool, fc).
	await expect(diagram(page)).toHaveAttribute('data-boxes', String(600 * 7 + 2 + 1 + 3 + 2));
	const drawn = Number(await diagram(page).getAttribute('data-drawn'));
	expect(drawn).toBeGreaterThan(0);
	expect(drawn).toBeLessThan(400);
});

test('resnet1202: a layer deep inside a closed stage, selected from outside, is opened and shown', async ({
	page
}) => {
	await page.goto('/diagram?preset=resnet1202&select=layer3.150.conv2');
	const target = box(page, 'layer3.150.conv2');
	await expect(target).toHaveAttribute('data-selected', 'true');
	await page.waitForTimeout(600); // the pan is animated
	const view = (await diagram(page).boundingBox())!;
	const b = (await target.boundingBox())!;
	expect(b.y).toBeGreaterThanOrEqual(view.y);
	expect(b.y + b.height).toBeLessThanOrEqual(view.y + view.height);
	// Only that stage and that block were opened: layer1 is still one box.
	await expect(box(page, 'layer1')).toHaveAttribute('data-kind', 'stage');
});
