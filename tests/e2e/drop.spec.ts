import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';

// Drop a file anywhere on the page (issue 11): a checkpoint opens as its network, an image runs.
// References: PyTorch's parameter count of the checkpoint (tests/fixtures/byo/cases.json) and the
// Fashion-MNIST label of a bundled test image.

const CASES = JSON.parse(readFileSync('tests/fixtures/byo/cases.json', 'utf8'));

test.describe.configure({ timeout: 120_000 });

/** A DataTransfer holding this file, built in the page (as the browser builds one for a drag). */
function transfer(page: Page, file: string, name: string, type = 'application/octet-stream') {
	return transferFiles(page, [{ file, name, type }]);
}

/** A DataTransfer holding several files (a multi-file drag), each with the name it is dropped as. */
async function transferFiles(page: Page, files: { file: string; name: string; type?: string }[]) {
	const items = files.map((f) => ({ bytes: [...readFileSync(f.file)], name: f.name, type: f.type ?? '' }));
	return page.evaluateHandle((items) => {
		const dt = new DataTransfer();
		for (const f of items) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
		return dt;
	}, items);
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
	await expect(overlay).toContainText(
		'Drop a checkpoint to open it as its network (with its meta.json and spec.json, if it has them), or an image to run it'
	);
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

// A trained model's files dropped together (the Train panel's downloads, a bundled model's folder):
// the architecture from spec.json, the weights onto it, the classes and normalisation from
// meta.json. Reference: the bundled fashion-resnet, whose logits on the same image must come back
// exactly — with the default normalisation instead of its meta.json's they would not.
const FASHION = 'static/models/fashion-resnet';

test('a model folder dropped together opens with its architecture, classes and normalisation', async ({
	page
}) => {
	await page.goto('/');
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
	const bundledLogits = await page.getByTestId('logits').textContent();
	const bundledTop = await page.getByTestId('prediction').first().textContent();

	await page.getByTestId('preset-select').selectOption('resnet18');
	await expect(page.getByTestId('weights-current')).toContainText('seed');
	const dt = await transferFiles(page, [
		{ file: `${FASHION}/meta.json`, name: 'meta (1).json' },
		{ file: `${FASHION}/model.safetensors`, name: 'my-fashion.safetensors' },
		{ file: `${FASHION}/spec.json`, name: 'spec (1).json' }
	]);
	await page.dispatchEvent('section[aria-label="Diagram"]', 'drop', { dataTransfer: dt });
	await expect(page.getByTestId('preset-select')).toHaveValue('fashion-resnet');
	await expect(page.getByTestId('weights-current')).toContainText(
		'my-fashion.safetensors with meta (1).json'
	);
	await page.getByTestId('run-button').click();
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
	await expect(page.getByTestId('logits')).toHaveText(bundledLogits!);
	await expect(page.getByTestId('prediction').first()).toHaveText(bundledTop!);
});

test('a meta.json that does not fit the checkpoint is refused by name, and nothing changes', async ({
	page
}) => {
	await page.goto('/?preset=resnet18');
	await expect(page.getByTestId('weights-current')).toContainText('seed 0');
	const meta = test.info().outputPath('meta.json');
	const wrong = { ...JSON.parse(readFileSync(`${FASHION}/meta.json`, 'utf8')), classes: ['a', 'b', 'c'] };
	writeFileSync(meta, JSON.stringify(wrong));
	const dt = await transferFiles(page, [
		{ file: `${FASHION}/model.safetensors`, name: 'model.safetensors' },
		{ file: meta, name: 'meta.json' }
	]);
	await page.dispatchEvent('section[aria-label="Diagram"]', 'drop', { dataTransfer: dt });
	await expect(page.getByTestId('weights-notice')).toHaveText(
		'meta.json: classes has 3 names but the network has 10 outputs'
	);
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet18');
	await expect(page.getByTestId('weights-current')).toContainText('seed 0');
});
