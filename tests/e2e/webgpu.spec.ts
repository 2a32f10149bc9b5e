import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { parseSafetensorsRaw } from '../../src/lib/weights';

// The WebGPU backend on Chromium's software adapter (SwiftShader over Vulkan), compared with
// PyTorch's logits for the same checkpoint and input (tests/fixtures/runtime/, written by
// tools/reference/run_reference.py with Debian's python3-torchvision).

const FIXTURE = 'tests/fixtures/runtime/cifar-option-a';

test.use({
	launchOptions: {
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		// No --disable-gpu here: WebGPU needs the GPU process (SwiftShader's Vulkan, in software).
		args: [
			'--no-sandbox',
			'--no-first-run',
			'--disable-background-networking',
			'--enable-unsafe-webgpu',
			'--enable-features=Vulkan',
			'--use-angle=swiftshader'
		]
	}
});
test.describe.configure({ timeout: 180_000 });

test.beforeEach(async ({ page }) => {
	await page.goto('/?preset=resnet20');
	const adapter = await page.evaluate(async () => {
		const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
		if (!gpu) return 'this Chromium has no navigator.gpu';
		try {
			return (await gpu.requestAdapter()) ? 'ok' : 'navigator.gpu.requestAdapter() returned null';
		} catch (e) {
			return `navigator.gpu.requestAdapter() failed: ${e}`;
		}
	});
	test.skip(adapter !== 'ok', `WebGPU is not available in this Chromium: ${adapter}`);
	await page.getByTestId('preset-select').selectOption('resnet20');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet20');
});

test('auto skips a software WebGPU adapter for wasm, and says so', async ({ page }) => {
	await page.getByTestId('run-button').click();
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
	await expect(page.getByTestId('backend-badge')).toContainText('wasm');
	await expect(page.getByTestId('backend-notices')).toContainText('skipped the software adapter');
});

test('webgpu (forced, SwiftShader) matches PyTorch’s logits', async ({ page }) => {
	await page.getByTestId('backend-select').selectOption('webgpu');
	await expect(page.getByTestId('backend-badge')).toContainText('webgpu', { timeout: 60_000 });
	await expect(page.getByTestId('backend-badge')).toContainText('software');

	for (const i of [0, 1, 2]) await page.getByTestId(`stage-blocks-${i}`).fill('1');
	await page.getByTestId('weights-file').setInputFiles(`${FIXTURE}/weights.pth`);
	await expect(page.getByTestId('weights-current')).toContainText('weights.pth');
	await page.getByTestId('image-file').setInputFiles(`${FIXTURE}/input.safetensors`);
	await page.getByTestId('run-button').click();
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 120_000 });
	await expect(page.getByTestId('backend-badge')).toContainText('webgpu');

	const got: number[] = JSON.parse((await page.getByTestId('logits').textContent()) ?? '[]');
	const expected = parseSafetensorsRaw(readFileSync(`${FIXTURE}/expected.safetensors`)).get('logits')!;
	expect(got.length).toBe(expected.data.length);
	const scale = Math.max(...Array.from(expected.data, Math.abs));
	const err = Math.max(...got.map((v, i) => Math.abs(v - expected.data[i]))) / scale;
	console.log(`webgpu vs PyTorch: max |Δ| / max |logit| = ${err.toExponential(2)}`);
	expect(err).toBeLessThanOrEqual(1e-4);

	// Feature maps on the webgpu backend: normalised on the device, non-blank.
	await page.getByTestId('fm-layer-select').selectOption('layer2.0.relu2');
	await expect(page.getByText('32 channels of 16×16')).toBeVisible({ timeout: 60_000 });

	// Explanations run on the webgpu backend too (gradients through the worker's differentiable
	// cut): Grad-CAM at the default node and saliency are drawn, with no error shown.
	const about = page.getByTestId('explain-description');
	await expect(about).toContainText('Grad-CAM', { timeout: 120_000 });
	await expect(page.getByTestId('explain-canvas')).toBeVisible();
	await page.getByRole('radio', { name: 'Saliency' }).check();
	await expect(about).toContainText('Saliency', { timeout: 120_000 });
	const colours = await page.getByTestId('explain-canvas').evaluate((c: HTMLCanvasElement) => {
		const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
		const seen = new Set<number>();
		for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
		return seen.size;
	});
	expect(colours).toBeGreaterThan(20);
	await expect(page.getByTestId('backend-badge')).toContainText('webgpu');
});

// The ResNet family on WebGPU (issue 12): timm's own checkpoints (tests/fixtures/family/runtime/,
// tools/reference/timm_run_reference.py) opened as their networks, against timm's logits —
// ResNet-RS (deep stem, conv stem pool, D shortcut, SE) and a pre-activation net (standalone BN,
// the D shortcut's ceil-mode pool at 65×71).
for (const name of ['resnetrs-tiny', 'resnetv2-d-odd'])
	test(`webgpu (forced, SwiftShader): timm’s ${name} gives timm’s logits`, async ({ page }) => {
		const dir = `tests/fixtures/family/runtime/${name}`;
		await page.getByTestId('backend-select').selectOption('webgpu');
		await expect(page.getByTestId('backend-badge')).toContainText('webgpu', { timeout: 60_000 });
		await page.getByTestId('checkpoint-input').setInputFiles(`${dir}/weights.safetensors`);
		await expect(page.getByTestId('inferred-network')).toBeVisible({ timeout: 60_000 });
		const input = parseSafetensorsRaw(readFileSync(`${dir}/input.safetensors`)).get('input')!;
		const [, , h, w] = input.shape;
		await page.getByTestId('input-height').fill(String(h));
		await page.getByTestId('input-width').fill(String(w));
		await expect(page.getByTestId('weights-current')).toContainText('weights.safetensors');
		await page.getByTestId('image-file').setInputFiles(`${dir}/input.safetensors`);
		await page.getByTestId('run-button').click();
		await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 120_000 });
		await expect(page.getByTestId('backend-badge')).toContainText('webgpu');
		const got: number[] = JSON.parse((await page.getByTestId('logits').textContent()) ?? '[]');
		const expected = parseSafetensorsRaw(readFileSync(`${dir}/expected.safetensors`)).get('logits')!;
		expect(got.length).toBe(expected.data.length);
		const scale = Math.max(...Array.from(expected.data, Math.abs));
		const err = Math.max(...got.map((v, i) => Math.abs(v - expected.data[i]))) / scale;
		console.log(`webgpu vs timm (${name}): max |Δ| / max |logit| = ${err.toExponential(2)}`);
		expect(err).toBeLessThanOrEqual(1e-4);
	});
