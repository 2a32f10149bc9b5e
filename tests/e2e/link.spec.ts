import { expect, test } from '@playwright/test';

// A share link with one bad key: the key is left out and named, the link's other keys are used.
// References: torchvision resnet50 has 25,557,032 params; with the stride on the 1×1 (the paper's
// v1) it has 3,857,973,248 multiply-adds (tests/fixtures/arch-reference.json, resnet50-v1).
test('a bad share-link key is reported, and the rest of the link is kept', async ({ page }) => {
	await page.goto('/?preset=resnet50&classes=-5&strideOn=1x1');
	const banner = page.getByTestId('load-error');
	await expect(banner).toContainText('head.classes: classes must be a whole number ≥ 1, got -5');
	await expect(banner).toContainText('Part of this link was left out — showing resnet50 without it.');
	await expect(page.getByTestId('total-params')).toContainText('25,557,032');
	await expect(page.getByTestId('total-macs')).toContainText('3,857,973,248');
	await expect(page.getByRole('radio', { name: '1×1 (v1)' })).toBeChecked();
	// the address bar now carries what is shown
	await expect(page).toHaveURL(/\?preset=resnet50&strideOn=1x1$/);
});
