/**
 * The page opens on the bundled Fashion-MNIST model with a sample already classified and the
 * first convolution's feature maps drawn; the sample's true class (the dataset's label, from
 * static/samples/fashion/samples.json) is the reference.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';

interface Sample {
	file: string;
	classIndex: number;
	className: string;
	testIndex: number;
}
const { samples } = JSON.parse(
	readFileSync(new URL('../../static/samples/fashion/samples.json', import.meta.url), 'utf8')
) as { samples: Sample[] };

/** True when some feature-map canvas has at least two different pixel colours. */
async function featureMapDrawn(page: Page): Promise<boolean> {
	return page.evaluate(() => {
		for (const c of document.querySelectorAll<HTMLCanvasElement>('canvas[data-testid="feature-map"]')) {
			if (!c.width || !c.height) continue;
			const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
			if (!d) continue;
			for (let j = 4; j < d.length; j += 4)
				if (d[j] !== d[0] || d[j + 1] !== d[1] || d[j + 2] !== d[2]) return true;
		}
		return false;
	});
}

test('opens on fashion-resnet with a sample classified correctly and conv1 feature maps drawn', async ({
	page
}) => {
	await page.goto('/');
	await expect(page.getByTestId('preset-select')).toHaveValue('fashion-resnet');
	const top = page.getByTestId('prediction').first();
	await expect(top).toContainText(samples[0].className, { timeout: 60_000 });
	await expect(page.getByTestId('input-preview')).toBeVisible();
	await expect.poll(() => featureMapDrawn(page), { timeout: 30_000 }).toBe(true);
});

test('every other bundled sample picked is classified as its dataset label', async ({ page }) => {
	await page.goto('/');
	await expect(page.getByTestId('prediction').first()).toContainText(samples[0].className, {
		timeout: 60_000
	});
	// One sample of each other class (the model classified all of them correctly in PyTorch).
	const seen = new Set([samples[0].classIndex]);
	for (const s of samples) {
		if (seen.has(s.classIndex)) continue;
		seen.add(s.classIndex);
		await page.getByTestId(`sample-fashion-${s.testIndex}`).click();
		await expect(page.getByText(`${s.className} (test image ${s.testIndex}) — 28×28`)).toBeVisible();
		await page.getByTestId('run-button').click();
		await expect(page.getByTestId('prediction').first(), s.file).toContainText(s.className, {
			timeout: 30_000
		});
	}
	expect(seen.size).toBe(10);
});

test('editing the architecture switches to seeded weights with a notice; the preset restores them', async ({
	page
}) => {
	await page.goto('/');
	const top = page.getByTestId('prediction').first();
	await expect(top).toContainText(samples[0].className, { timeout: 60_000 });
	await page.getByTestId('stage-blocks-0').fill('2');
	await expect(page.getByText(/seeded random weights/).first()).toBeVisible();
	await page.getByTestId('preset-select').selectOption('fashion-resnet');
	await expect(page.getByTestId('weights-current')).toContainText('fashion-resnet');
	await page.getByTestId('run-button').click();
	await expect(top).toContainText(samples[0].className, { timeout: 30_000 });
});
