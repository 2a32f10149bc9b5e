import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';

// Drop a file anywhere on the page (issue 11): a checkpoint opens as its network, an image runs.
// References: PyTorch's parameter count of the checkpoint (tests/fixtures/byo/cases.json) and the
// Fashion-MNIST label of a bundled test image.

const CASES = JSON.parse(readFileSync('tests/fixtures/byo/cases.json', 'utf8'));

test.describe.configure({ timeout: 120_000 });

/** A DataTransfer holding this file, built in the page (as the browser builds one for a drag). */
async function transfer(page: Page, file: string, name: string, type = 'application/octet-stream') {
	const bytes = [...readFileSync(file)];
	return page.evaluateHandle(
		({ bytes, name, type }) => {
			const dt = new DataTransfer();
			dt.items.add(new File([new Uint8Array(bytes)], name, { type }));
			return dt;
		},
		{ bytes, name, type }
	);
}

test('a checkpoint dropped on the diagram opens as its network; the overlay says what a drop does', async ({
	page
}) => {
	await page.goto('/?preset=resnet18');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet18');
	const dt = await transfer(page, 'tests/fixtures/byo/custom/weights.pth', 'weights.pth');
	const target = 'section[aria-label="Diagram"]';

	await expect(page.getByTestId('drop-overlay')).toHaveCount(0);
	await page.dispatchEvent(target, 'dragenter', { dataTransfer: dt });
	await page.dispatchEvent(target, 'dragover', { dataTransfer: dt });
	const overlay = page.getByTestId('drop-overlay');
	await expect(overlay).toBeVisible();
	await expect(overlay).toContainText('Drop a checkpoint to open it as its network, or an image to run it');
	await page.dispatchEvent(target, 'drop', { dataTransfer: dt });
	await expect(overlay).toHaveCount(0);

	const params = String(CASES.custom.params);
	await expect(page.getByTestId('total-params')).toContainText(
		new RegExp(params.replace(/(\d)(?=(\d{3})+$)/g, '$1[ ,.\u202f]?'))
	);
	await expect(page.getByTestId('weights-current')).toContainText('weights.pth');
	await expect(page.getByTestId('inferred-network')).toBeVisible();
});

test('an image dropped on the layer table is classified; leaving the page hides the overlay', async ({
	page
}) => {
	await page.goto('/');
	await expect(page.getByTestId('prediction').first()).toBeVisible({ timeout: 60_000 });
	const dt = await transfer(
		page,
		'static/samples/fashion/1-pullover.png',
		'dropped-pullover.png',
		'image/png'
	);
	await page.dispatchEvent('#layers', 'dragenter', { dataTransfer: dt });
	await expect(page.getByTestId('drop-overlay')).toBeVisible();
	await page.dispatchEvent('body', 'dragleave', { dataTransfer: dt });
	await expect(page.getByTestId('drop-overlay')).toHaveCount(0);

	await page.dispatchEvent('#layers', 'dragenter', { dataTransfer: dt });
	await page.dispatchEvent('#layers', 'drop', { dataTransfer: dt });
	await expect(page.getByText('dropped-pullover.png — 28×28')).toBeVisible();
	await expect(page.getByTestId('prediction').first()).toContainText('Pullover', { timeout: 60_000 }); // label 2
});
