import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { axeViolations, describeViolations } from './axe';

// Issue 13: "Why this prediction?" on the bundled fashion-resnet's default sample (the page opens
// on it and runs it). Grad-CAM at the default node (the last block, layer3.2) is drawn over the
// input and says what it is; a prediction row explains its class; saliency is drawn; occlusion
// shows its progress and can be cancelled, and nothing of it is drawn then.

test.describe.configure({ timeout: 120_000 });

/** Distinct RGB colours and the share of non-black pixels in a canvas (a blank canvas has one colour). */
async function pixels(page: Page, testid: string): Promise<{ colours: number; lit: number }> {
	return page.getByTestId(testid).evaluate((c: HTMLCanvasElement) => {
		const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
		const seen = new Set<number>();
		let lit = 0;
		for (let i = 0; i < d.length; i += 4) {
			seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
			if (d[i] + d[i + 1] + d[i + 2] > 0) lit++;
		}
		return { colours: seen.size, lit: lit / (d.length / 4) };
	});
}

async function open(page: Page): Promise<string[]> {
	await page.goto('/');
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 90_000 });
	return (await page.getByTestId('prediction').locator('.label').allInnerTexts()).map((t) => t.trim());
}

test('Grad-CAM at the default node is drawn and named; a prediction row explains its class', async ({
	page
}) => {
	const labels = await open(page);
	const canvas = page.getByTestId('explain-canvas');
	const about = page.getByTestId('explain-description');
	await expect(canvas).toBeVisible({ timeout: 60_000 });
	// The method, the node (the last block of the last stage, layer3.2) and the top-1 class.
	await expect(about).toContainText('Grad-CAM');
	await expect(about).toContainText('layer3.2');
	await expect(about).toContainText(`“${labels[0]}”`);
	await expect(about).toHaveAttribute('title', /ReLU\(Σ_c α_c·A_c\)/);
	// The overlay is 28×28 (the input's resolution) and drawn: many colours, no blank canvas.
	expect(await canvas.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([28, 28]);
	const drawn = await pixels(page, 'explain-canvas');
	expect(drawn.colours).toBeGreaterThan(20);
	expect(drawn.lit).toBeGreaterThan(0.5);
	// Saved as PNG: the overlay at the input's resolution, named after net, method, node and class.
	const [saved] = await Promise.all([
		page.waitForEvent('download'),
		page.getByTestId('explain-save').click()
	]);
	expect(saved.suggestedFilename()).toBe(
		`fashion-resnet_gradcam_layer3.2_${labels[0].replace(/[^A-Za-z0-9.]+/g, '-')}.png`
	);
	const png = readFileSync(await saved.path());
	expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
	expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([28, 28]); // IHDR width, height

	// One small Grad-CAM per stage, each at its stage's resolution (28, 14, 7 for fashion-resnet).
	const strip = page.getByTestId('explain-strip');
	await expect(strip.locator('canvas')).toHaveCount(3, { timeout: 30_000 });
	for (const [stage, size] of [
		['layer1', '28×28'],
		['layer2', '14×14'],
		['layer3', '7×7']
	])
		await expect(strip.getByRole('button', { name: new RegExp(`^Grad-CAM at ${stage}\\b`) })).toContainText(
			size
		);

	// The second prediction row: its class is explained (and marked); the first is not any more.
	const rows = page.getByTestId('prediction');
	await rows.nth(1).click();
	await expect(about).toContainText(`“${labels[1]}”`, { timeout: 30_000 });
	await expect(about).not.toContainText(`“${labels[0]}”`);
	await expect(rows.nth(1).getByRole('button')).toHaveAttribute('aria-pressed', 'true');
	await expect(rows.nth(0).getByRole('button')).toHaveAttribute('aria-pressed', 'false');
	expect((await pixels(page, 'explain-canvas')).colours).toBeGreaterThan(20);

	// Two rows clicked at once: the later one wins (the first answer, if late, is not drawn).
	await rows.nth(2).click();
	await rows.nth(3).click();
	await expect(about).toContainText(`“${labels[3]}”`, { timeout: 30_000 });
	await page.waitForTimeout(500);
	await expect(about).toContainText(`“${labels[3]}”`);
	await expect(page.getByTestId('explain-class')).toHaveValue(/^\d+$/);

	// A stage in the strip: Grad-CAM moves there (and the explorer selects it).
	await strip.getByRole('button', { name: /layer2/ }).click();
	await expect(about).toContainText('Grad-CAM at layer2 for', { timeout: 30_000 });
	await expect(about).toHaveAttribute('title', /the output of layer2\.2\.relu2/);
	await expect(page.getByTestId('fm-layer-select')).toHaveValue('layer2.2.relu2');
});

test('saliency and SmoothGrad are drawn; occlusion shows its progress and can be cancelled', async ({
	page
}) => {
	const labels = await open(page);
	const about = page.getByTestId('explain-description');
	await expect(page.getByTestId('explain-canvas')).toBeVisible({ timeout: 60_000 });

	await page.getByRole('radio', { name: 'Saliency' }).check();
	await expect(about).toContainText(`Saliency for “${labels[0]}”`, { timeout: 30_000 });
	await expect(about).toHaveAttribute('title', /max over channels c of \|∂y_K\/∂x_c\|/);
	expect((await pixels(page, 'explain-canvas')).colours).toBeGreaterThan(20);

	// SmoothGrad with N and σ chosen: named with them, and drawn.
	await page.getByRole('radio', { name: 'SmoothGrad' }).check();
	await page.getByTestId('explain-samples').fill('8');
	await page.getByTestId('explain-samples').press('Tab');
	await page.getByTestId('explain-sigma').fill('0.25');
	await page.getByTestId('explain-sigma').press('Tab');
	await expect(about).toContainText(
		`SmoothGrad for “${labels[0]}” (class 9): saliency averaged over 8 noisy copies (σ = 0.250)`,
		{
			timeout: 30_000
		}
	);
	expect((await pixels(page, 'explain-canvas')).colours).toBeGreaterThan(20);

	// The finest occlusion (a 1×1 patch at every pixel: 784 positions) takes long enough to cancel.
	await page.getByRole('radio', { name: 'Occlusion' }).check();
	await page.getByTestId('explain-patch').fill('1');
	await page.getByTestId('explain-patch').press('Tab');
	await page.getByTestId('explain-stride').fill('1');
	await page.getByTestId('explain-stride').press('Tab');
	const progress = page.getByTestId('explain-progress');
	// waitFor polls every frame (expect backs off): the cancel comes while most batches remain.
	await progress.waitFor({ state: 'visible', timeout: 30_000 });
	await expect(progress).toHaveAttribute('max', '784');
	await page.getByTestId('explain-cancel').click();
	await expect(progress).toHaveCount(0);
	await expect(page.getByTestId('explain-retry')).toBeVisible();
	// Nothing stale: neither the saliency map nor a part of the occlusion is drawn.
	await expect(page.getByTestId('explain-canvas')).toHaveCount(0);
	await expect(about).toHaveCount(0);

	// Asked again with a coarse patch, it finishes: 4×4 patches moved by 4 make a 7×7 grid.
	await page.getByTestId('explain-patch').fill('4');
	await page.getByTestId('explain-patch').press('Tab');
	await page.getByTestId('explain-stride').fill('4');
	await page.getByTestId('explain-stride').press('Tab');
	await expect(about).toContainText(`Occlusion for “${labels[0]}”`, { timeout: 60_000 });
	await expect(about).toHaveAttribute('title', /\(7×7 positions\)/);
	expect((await pixels(page, 'explain-canvas')).colours).toBeGreaterThan(5);
});

test('a parameter out of range is refused in place and the last valid one stays', async ({ page }) => {
	await open(page);
	await page.getByRole('radio', { name: 'Occlusion' }).check();
	await page.getByTestId('explain-patch').fill('40');
	await page.getByTestId('explain-patch').press('Tab');
	await expect(page.getByRole('alert').filter({ hasText: 'The patch is 1 to 28 pixels wide' })).toBeVisible();
	// The default patch for 28×28 (a seventh of it, 4, moved by 2: 13×13 positions) is computed.
	await expect(page.getByTestId('explain-description')).toHaveAttribute('title', /\(13×13 positions\)/, {
		timeout: 60_000
	});
});

test('another image explains its own top-1 class', async ({ page }) => {
	const labels = await open(page);
	const about = page.getByTestId('explain-description');
	await page.getByTestId('prediction').nth(2).click();
	await expect(about).toContainText(`“${labels[2]}”`, { timeout: 30_000 });
	expect(labels[2]).not.toBe('Trouser');
	// A trouser (Fashion-MNIST test image 2): the class picked goes back to top-1, the new one's.
	await page.getByTestId('sample-fashion-2').click();
	await expect(page.getByTestId('prediction').first()).toContainText('Trouser', { timeout: 30_000 });
	await expect(about).toContainText('“Trouser”', { timeout: 30_000 });
	await expect(page.getByTestId('explain-class')).toHaveValue('');
});

test('the explanation section has no axe violations in its states, light and dark', async ({ page }) => {
	await open(page);
	await expect(page.getByTestId('explain-strip').locator('canvas')).toHaveCount(3, { timeout: 60_000 });
	const check = async (state: string) => {
		for (const colorScheme of ['light', 'dark'] as const) {
			await page.emulateMedia({ colorScheme });
			const v = await axeViolations(page, '[data-testid="explain"]');
			expect(v, `${state}, ${colorScheme}: ${describeViolations(v)}`).toEqual([]);
		}
	};
	await check('Grad-CAM with its strip');
	await page.getByRole('radio', { name: 'Occlusion' }).check();
	await page.getByTestId('explain-patch').fill('1');
	await page.getByTestId('explain-patch').press('Tab');
	await page.getByTestId('explain-stride').fill('1');
	await page.getByTestId('explain-stride').press('Tab');
	await page.getByTestId('explain-progress').waitFor({ state: 'visible', timeout: 30_000 });
	await page.getByTestId('explain-cancel').click();
	await check('occlusion cancelled');
	await page.getByTestId('explain-patch').fill('99');
	await page.getByTestId('explain-patch').press('Tab');
	await check('a parameter refused');
});

test('Grad-CAM at a node without spatial extent says that it cannot localise', async ({ page }) => {
	await open(page);
	await expect(page.getByTestId('explain-canvas')).toBeVisible({ timeout: 60_000 });
	await expect(page.getByTestId('explain-flat')).toHaveCount(0);
	// avgpool's output is 64×1×1: Grad-CAM there is a single number.
	await page.getByTestId('fm-layer-select').selectOption('avgpool');
	await expect(page.getByTestId('explain-description')).toContainText('Grad-CAM at avgpool', {
		timeout: 30_000
	});
	await expect(page.getByTestId('explain-flat')).toContainText('The output of avgpool is 1×1');
});
