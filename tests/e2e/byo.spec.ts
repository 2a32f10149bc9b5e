import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { parseSafetensorsRaw, writeSafetensors } from '../../src/lib/weights';
import { axeViolations, describeViolations } from './axe';

// Bring your own ResNet (issue 11): a checkpoint of a tutorial's own ResNet (its own module names,
// tools/reference/byo_models.py) opened as its network. References: PyTorch's parameter count
// (tests/fixtures/byo/cases.json) and PyTorch's logits for the first image of io.safetensors.

const DIR = 'tests/fixtures/byo';
const CASES = JSON.parse(readFileSync(`${DIR}/cases.json`, 'utf8'));

test.describe.configure({ timeout: 120_000 });

test('a tutorial’s checkpoint opens as its network: params, assumed, mapping, PyTorch’s logits', async ({
	page
}) => {
	await page.goto('/?preset=resnet18');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet18');
	await page.getByTestId('checkpoint-input').setInputFiles(`${DIR}/custom/weights.pth`);

	// The explorer switches to the network the file holds: PyTorch's parameter count.
	const params = String(CASES.custom.params);
	await expect(page.getByTestId('total-params')).toContainText(
		new RegExp(params.replace(/(\d)(?=(\d{3})+$)/g, '$1[ ,.\u202f]?'))
	);
	await expect(page.getByTestId('weights-current')).toContainText('weights.pth');
	const panel = page.getByTestId('inferred-network');
	await expect(panel).toContainText('tensors matched to the graph by order and shape');
	await expect(page.getByTestId('inferred-assumed')).toContainText(
		'stride of layer1, layer2, layer3 = 1, 2, 2'
	);
	// The mapping is collapsed; opened, it lists the file's names beside the nodes'.
	const mapping = page.getByTestId('inferred-mapping');
	await expect(mapping.locator('table')).toBeHidden();
	await mapping.locator('summary').click();
	await expect(mapping.locator('tr', { hasText: 'blocks.1.skip.0.weight' })).toContainText(
		'layer2.0.downsample.0.weight'
	);
	for (const scheme of ['light', 'dark'] as const) {
		await page.emulateMedia({ colorScheme: scheme });
		const violations = await axeViolations(page, '[data-testid="inferred-network"]');
		expect(violations, describeViolations(violations)).toEqual([]);
	}
	const download = page.waitForEvent('download');
	await page.getByTestId('mapping-download').click();
	const file = JSON.parse(readFileSync(await (await download).path(), 'utf8'));
	expect(file.mapping).toContainEqual(['blocks.1.skip.0.weight', 'layer2.0.downsample.0.weight']);

	// Run on the first image of the reference input (48×48, so the input is set in the controls).
	const io = parseSafetensorsRaw(readFileSync(`${DIR}/custom/io.safetensors`));
	const input = io.get('input')!;
	const [, c, h, w] = input.shape;
	const one = input.data.slice(0, c * h * w);
	await page.getByTestId('input-height').fill(String(h));
	await page.getByTestId('input-width').fill(String(w));
	await expect(page.getByTestId('weights-current')).toContainText('weights.pth'); // still fits
	await page.getByTestId('image-file').setInputFiles({
		name: 'input.safetensors',
		mimeType: 'application/octet-stream',
		buffer: Buffer.from(writeSafetensors(new Map([['input', { shape: [1, c, h, w], data: one }]])))
	});
	await page.getByTestId('run-button').click();
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
	const got: number[] = JSON.parse((await page.getByTestId('logits').textContent()) ?? '[]');
	const expected = io.get('logits')!.data.slice(0, got.length);
	expect(got.length).toBe(CASES.custom.classes);
	const scale = Math.max(...Array.from(expected, Math.abs));
	expect(Math.max(...got.map((v, i) => Math.abs(v - expected[i]))) / scale).toBeLessThanOrEqual(1e-4);
});

test('“Open checkpoint…” onto the network shown: other names are matched by order and shape', async ({
	page
}) => {
	await page.goto('/?preset=resnet18');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet18');
	await page.getByTestId('checkpoint-input').setInputFiles(`${DIR}/sequential/weights.pth`);
	await expect(page.getByTestId('inferred-network')).toBeVisible();
	// The same network saved by Lightning (a `model.` prefix, inside "state_dict"), onto it.
	await page.getByTestId('weights-file').setInputFiles(`${DIR}/wrappers/lightning.pth`);
	await expect(page.getByTestId('weights-current')).toContainText(
		'lightning.pth (59 tensors matched by order and shape)'
	);
	await expect(page.getByTestId('weights-errors')).toHaveCount(0);
});

test('a checkpoint URL opens as its own network', async ({ page }) => {
	const url = 'https://weights.example/runs/7/kuangliu.pth';
	await page.route(url, (route) =>
		route.fulfill({
			body: readFileSync(`${DIR}/kuangliu/weights.pth`),
			contentType: 'application/octet-stream'
		})
	);
	await page.goto('/?preset=resnet18');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet18');
	await page.getByTestId('weights-url').fill(url);
	await page.getByTestId('weights-url-network').click();
	const params = String(CASES.kuangliu.params);
	await expect(page.getByTestId('total-params')).toContainText(
		new RegExp(params.replace(/(\d)(?=(\d{3})+$)/g, '$1[ ,.\u202f]?'))
	);
	await expect(page.getByTestId('weights-current')).toContainText('runs/7/kuangliu.pth');
	await expect(page.getByTestId('inferred-mapping')).toContainText('linear.weight');
});

test('a file that is no ResNet is refused by name, and nothing changes', async ({ page }) => {
	await page.goto('/?preset=resnet18');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet18');
	await page.getByTestId('checkpoint-input').setInputFiles(`${DIR}/hostile/system.pth`);
	await expect(page.getByTestId('weights-errors')).toContainText('posix.system');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet18');
	await expect(page.getByTestId('inferred-network')).toHaveCount(0);
});
