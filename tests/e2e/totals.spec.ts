import { expect, test } from '@playwright/test';

// References: torchvision 0.14 (Debian python3-torchvision), docs' params and GFLOPS.
test('preset picker shows torchvision totals', async ({ page }) => {
	await page.goto('/');
	await page.getByTestId('preset-select').selectOption('resnet50');
	await expect(page.getByTestId('total-params')).toContainText('25,557,032');
	await expect(page.getByTestId('total-macs')).toContainText('4,089,184,256');
	await page.getByTestId('preset-select').selectOption('resnet18');
	await expect(page.getByTestId('total-params')).toContainText('11,689,512');
	await expect(page.getByTestId('total-macs')).toContainText('1,814,073,344');
});

// PyTorch: resnet50's fc gives [1, 1000] (batch 1), avgpool [1, 2048, 1, 1]; shapes without the batch.
test("the layer table shows fc's output as PyTorch does: 1000, not 1000×1×1", async ({ page }) => {
	await page.goto('/?preset=resnet50');
	await expect(page.getByTestId('total-params')).toContainText('25,557,032');
	const table = page.getByTestId('layer-table');
	await expect(table.locator('[data-testid="layer-row"][data-id="fc"] .c-shape')).toHaveText('1000');
	await expect(table.locator('[data-testid="layer-row"][data-id="avgpool"] .c-shape')).toHaveText('2048×1×1');
});
