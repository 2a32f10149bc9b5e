import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { buildGraph, presetSpec } from '../../src/lib/arch';
import {
	expectedTensors,
	parseSafetensorsRaw,
	writeSafetensors,
	type TensorMap
} from '../../src/lib/weights';

// "Run it live": seeded weights, a real checkpoint against PyTorch, bad files as named errors.
// References: PyTorch outputs from tools/reference/run_reference.py (tests/fixtures/runtime/),
// the paper's CIFAR ResNet-20 shapes (conv1 16×3×3×3; stage 2: 32 channels of 16×16).

const FIXTURE = 'tests/fixtures/runtime/cifar-option-a';

test.describe.configure({ timeout: 120_000 });

async function openResnet20(page: Page) {
	await page.goto('/?preset=resnet20');
	await page.getByTestId('preset-select').selectOption('resnet20');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet20');
}

/** Distinct RGBA colours in a canvas (a blank canvas has one). */
async function distinctColours(page: Page, testid: string): Promise<number> {
	return page.getByTestId(testid).evaluate((c: HTMLCanvasElement) => {
		const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
		const seen = new Set<number>();
		for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
		return seen.size;
	});
}

test('seeded weights: top-5, forward time, backend badge, feature maps of a clicked layer', async ({
	page
}) => {
	await openResnet20(page);
	await page.getByTestId('sample-cat').click();
	await expect(page.getByTestId('seed-input')).toHaveValue('0');
	await page.getByTestId('run-button').click();
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
	await expect(page.getByTestId('forward-ms')).toHaveText(/\d+(\.\d+)? ms/);
	await expect(page.getByTestId('backend-badge')).toContainText(/wasm|cpu/);
	// The page is served cross-origin isolated: wasm runs its thread pool on every logical core.
	const [cores, isolated] = await page.evaluate(() => [navigator.hardwareConcurrency, crossOriginIsolated]);
	expect(isolated).toBe(true);
	if (cores > 1 && /wasm/.test(await page.getByTestId('backend-badge').innerText()))
		await expect(page.getByTestId('backend-badge')).toContainText(`${Math.min(8, Number(cores))} threads`);
	// Probabilities are sorted, top first.
	const probs = (await page.getByTestId('prediction').allInnerTexts()).map((t) =>
		Number(/([\d.]+) %/.exec(t)![1])
	);
	expect([...probs].sort((a, b) => b - a)).toEqual(probs);

	// Click a layer in the layer table: its 16 channels of 32×32 appear (no new forward: cached).
	await page.getByTestId('expand-all').click();
	await page.locator('[data-testid="layer-row"][data-id="layer1.0.relu2"]').click();
	await expect(page.getByText('16 channels of 32×32')).toBeVisible();
	expect(await distinctColours(page, 'feature-map')).toBeGreaterThan(10);
	// Another layer, from the panel's own layer menu: stage 2 has 32 channels of 16×16.
	await page.getByTestId('fm-layer-select').selectOption('layer2.0.relu2');
	await expect(page.getByText('32 channels of 16×16')).toBeVisible();
	expect(await distinctColours(page, 'feature-map')).toBeGreaterThan(10);
	// A raw convolution (not kept by default: BN is folded into it) is tapped by one more forward.
	await page.getByTestId('fm-layer-select').selectOption('layer3.0.conv1');
	await expect(page.getByText('64 channels of 8×8')).toBeVisible({ timeout: 30_000 });

	// A channel, enlarged, with its statistics (after a ReLU: min 0).
	await page.getByTestId('channel-input').fill('3');
	await page.getByTestId('channel-input').press('Enter');
	await expect(page.getByTestId('channel-map')).toBeVisible();
	await expect(page.getByTestId('channel-stats')).toContainText('min');
	expect(await distinctColours(page, 'channel-map')).toBeGreaterThan(2);
});

test('a torchvision-format checkpoint gives PyTorch’s logits', async ({ page }) => {
	await openResnet20(page);
	for (const i of [0, 1, 2]) await page.getByTestId(`stage-blocks-${i}`).fill('1');
	await page.getByTestId('weights-file').setInputFiles(`${FIXTURE}/weights.pth`);
	await expect(page.getByTestId('weights-current')).toContainText('weights.pth');
	await page.getByTestId('image-file').setInputFiles(`${FIXTURE}/input.safetensors`);
	await page.getByTestId('run-button').click();
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });

	const got: number[] = JSON.parse((await page.getByTestId('logits').textContent()) ?? '[]');
	const expected = parseSafetensorsRaw(readFileSync(`${FIXTURE}/expected.safetensors`)).get('logits')!;
	expect(got.length).toBe(expected.data.length);
	const scale = Math.max(...Array.from(expected.data, Math.abs));
	const err = Math.max(...got.map((v, i) => Math.abs(v - expected.data[i]))) / scale;
	expect(err).toBeLessThanOrEqual(1e-4);
	const top = expected.data.indexOf(Math.max(...expected.data));
	await expect(page.getByTestId('prediction').first()).toContainText(`class ${top}`);
});

test('a file that is not an image is named', async ({ page }) => {
	await openResnet20(page);
	await page.getByTestId('image-file').setInputFiles({
		name: 'photo.txt',
		mimeType: 'text/plain',
		buffer: Buffer.from('not a picture')
	});
	await expect(page.getByTestId('image-error')).toHaveText(
		'photo.txt is not an image the browser can decode'
	);
});

test('a wrong-shaped checkpoint names the tensor with both shapes and applies nothing', async ({ page }) => {
	await openResnet20(page);
	const graph = buildGraph(presetSpec('resnet20')!);
	const tensors: TensorMap = new Map();
	for (const [key, shape] of expectedTensors(graph)) {
		const s = key === 'conv1.weight' ? [16, 3, 5, 5] : shape;
		tensors.set(key, { shape: s, data: new Float32Array(s.reduce((a, b) => a * b, 1)).fill(0.01) });
	}
	await page.getByTestId('weights-file').setInputFiles({
		name: 'wrong.safetensors',
		mimeType: 'application/octet-stream',
		buffer: Buffer.from(writeSafetensors(tensors))
	});
	const errors = page.getByTestId('weights-errors');
	await expect(errors).toContainText('wrong.safetensors');
	await expect(errors).toContainText('nothing was applied');
	await expect(errors.locator('li')).toHaveCount(1);
	await expect(errors.locator('li')).toContainText('conv1.weight');
	await expect(errors.locator('li')).toContainText('[16, 3, 3, 3]');
	await expect(errors.locator('li')).toContainText('[16, 3, 5, 5]');
	await expect(page.getByTestId('weights-current')).toContainText('seed 0');
});

test('a backend that cannot start falls back and says why', async ({ page }) => {
	await openResnet20(page);
	const hasAdapter = await page.evaluate(async () => {
		const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
		return !!(gpu && (await gpu.requestAdapter().catch(() => null)));
	});
	test.skip(hasAdapter, 'this browser has a WebGPU adapter, so webgpu starts (webgpu.spec.ts covers it)');
	await page.getByTestId('backend-select').selectOption('webgpu');
	await expect(page.getByTestId('backend-badge')).toContainText(/wasm|webgl|cpu/);
	await expect(page.getByTestId('backend-notices')).toContainText(
		/webgpu: (no WebGPU adapter|this browser has no WebGPU)/
	);
	await page.getByTestId('run-button').click();
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
});

// Defects a new user hit (issue 10). Each test failed before its fix.
test.describe('defects', () => {
	test('#1: a block or stage shows its output’s feature maps, and Run or a preset switch never leaves them stuck', async ({
		page
	}) => {
		await openResnet20(page);
		await page.getByTestId('sample-cat').click();
		await page.getByTestId('run-button').click();
		await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
		// A stage means its output: layer3's last block's last ReLU, 64 channels of 8×8 (the paper's stage 3).
		await page.locator('[data-testid="group-row"][data-id="layer3"]').click();
		await expect(page.getByText('64 channels of 8×8')).toBeVisible({ timeout: 30_000 });
		await expect(page.locator('#fm-h')).toContainText('layer3.2.relu2');
		// A block, then Run again: still drawn, nothing left "Reading…".
		await page.getByTestId('expand-all').click();
		await page.locator('[data-testid="group-row"][data-id="layer1.0"]').click();
		await expect(page.getByText('16 channels of 32×32')).toBeVisible({ timeout: 30_000 });
		await page.getByTestId('run-button').click();
		await expect(page.getByTestId('run-result')).toHaveAttribute('aria-busy', 'false', { timeout: 60_000 });
		await expect(page.getByText('16 channels of 32×32')).toBeVisible({ timeout: 30_000 });
		await expect(page.getByText(/Reading/)).toHaveCount(0);
		// Another preset with the block still selected: its maps come with the next run.
		await page.getByTestId('preset-select').selectOption('resnet18');
		await page.getByTestId('run-button').click();
		await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
		await expect(page.getByText('64 channels of 56×56')).toBeVisible({ timeout: 30_000 });
		await expect(page.getByText(/Reading/)).toHaveCount(0);
	});

	test('#4: picking a file clears the picker (the same file can be picked again) and throws nothing', async ({
		page
	}) => {
		const errors: string[] = [];
		page.on('pageerror', (e) => errors.push(e.message));
		await openResnet20(page);
		const image = page.getByTestId('image-file');
		await image.setInputFiles('static/samples/coffee.jpg');
		await expect(page.getByText(/coffee\.jpg — \d+×\d+/)).toBeVisible();
		await expect(image).toHaveValue('');
		await image.setInputFiles('static/samples/rocket.jpg');
		await expect(page.getByText(/rocket\.jpg — \d+×\d+/)).toBeVisible();
		await image.setInputFiles('static/samples/coffee.jpg');
		await expect(page.getByText(/coffee\.jpg — \d+×\d+/)).toBeVisible();
		await expect(image).toHaveValue('');
		const weights = page.getByTestId('weights-file');
		await weights.setInputFiles({
			name: 'bad.safetensors',
			mimeType: 'text/plain',
			buffer: Buffer.from('no')
		});
		await expect(page.getByTestId('weights-errors').or(page.getByTestId('weights-notice'))).toContainText(
			'bad.safetensors'
		);
		await expect(weights).toHaveValue('');
		expect(errors).toEqual([]);
	});

	test('#9: a channel past the last is refused with the range, and the field shows the channel drawn', async ({
		page
	}) => {
		await openResnet20(page);
		await page.getByTestId('sample-cat').click();
		await page.getByTestId('run-button').click();
		await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
		await page.getByTestId('fm-layer-select').selectOption('layer1.0.relu2');
		await expect(page.getByText('16 channels of 32×32')).toBeVisible();
		const field = page.getByTestId('channel-input');
		await field.fill('999');
		await field.press('Enter');
		await expect(page.getByTestId('channel-note')).toHaveText(
			'layer1.0.relu2 has channels 0–15; showing 15.'
		);
		await expect(field).toHaveValue('15');
		await expect(page.getByText('channel 15', { exact: true })).toBeVisible();
	});

	test('#9: after a fallback the backend menu shows the backend that runs', async ({ page }) => {
		await openResnet20(page);
		const hasAdapter = await page.evaluate(async () => {
			const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
			return !!(gpu && (await gpu.requestAdapter().catch(() => null)));
		});
		test.skip(hasAdapter, 'this browser has a WebGPU adapter, so webgpu starts');
		await page.getByTestId('backend-select').selectOption('webgpu');
		await expect(page.getByTestId('backend-notices')).toContainText('webgpu:');
		const running = (await page.getByTestId('backend-badge').locator('strong').innerText()).trim();
		expect(['wasm', 'webgl', 'cpu']).toContain(running);
		await expect(page.getByTestId('backend-select')).toHaveValue(running);
	});

	test('section 3: clicking a sample image runs it', async ({ page }) => {
		await openResnet20(page);
		await page.getByTestId('sample-coffee').click();
		await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
		await expect(page.getByText(/A cup of coffee — \d+×\d+/)).toBeVisible();
		const before = await page.getByTestId('logits').textContent();
		await page.getByTestId('sample-rocket').click();
		await expect(page.getByText(/Falcon 9 launch — \d+×\d+/)).toBeVisible();
		await expect(page.getByTestId('logits')).not.toHaveText(before ?? '', { timeout: 60_000 });
		await expect(page.getByTestId('prediction')).toHaveCount(5);
	});
});
