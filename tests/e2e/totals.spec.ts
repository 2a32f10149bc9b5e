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
