import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';

// References: torchvision's documented parameter counts (resnet18 … resnet152).
test('the Table 1 example drives the explorer, column by column', async ({ page }) => {
	await page.goto('/');
	await page.getByTestId('table-example').click();
	await expect(page.getByTestId('table-editor')).toHaveValue(/layer name \| output size/);
	await expect(page.getByTestId('total-params')).toContainText('11,689,512');
	const column = page.getByTestId('table-column');
	await column.selectOption({ label: '50-layer' });
	await expect(page.getByTestId('total-params')).toContainText('25,557,032');
	// the FLOPs row disagrees with torchvision's stride placement: a warning that says so
	await expect(page.getByTestId('table-warning')).toContainText('3.86 with the stride on the 1×1');
	await page.getByTestId('table-stride-on').selectOption('1x1');
	await expect(page.getByTestId('table-warning')).toHaveCount(0);
	await expect(page.getByTestId('total-macs')).toContainText('3,857,973,248');
	await page.getByTestId('table-stride-on').selectOption('3x3');
	for (const [label, params] of [
		['34-layer', '21,797,672'],
		['101-layer', '44,549,160'],
		['152-layer', '60,192,808']
	]) {
		await column.selectOption({ label });
		await expect(page.getByTestId('total-params')).toContainText(params);
	}
});

test('typing a table, and a parse error at its line and column', async ({ page }) => {
	await page.goto('/');
	const editor = page.getByTestId('table-editor');
	await editor.fill(readFileSync('tests/fixtures/tables/table1-34.txt', 'utf8'));
	await expect(page.getByTestId('total-params')).toContainText('21,797,672');
	await expect(page.getByTestId('parse-error')).toHaveCount(0);

	// a bracket without its × n on line 4
	await editor.fill(
		[
			'# mine',
			'conv1: 7x7, 64, stride 2',
			'pool: 3x3 max pool, stride 2',
			'conv2_x: [3x3, 64; 3x3, 64]'
		].join('\n')
	);
	const error = page.getByTestId('parse-error');
	await expect(error).toHaveCount(1);
	await expect(error).toContainText('line 4, column 27');
	await expect(error).toContainText('without its × n');
	// underlined in the editor, at the closing bracket
	await expect(page.locator('.backdrop mark.error')).toHaveText(']');
	// the explorer keeps the last good spec
	await expect(page.getByTestId('total-params')).toContainText('21,797,672');

	// fixed: the error goes, the network follows
	await editor.fill(
		[
			'conv1: 7x7, 64, stride 2',
			'pool: 3x3 max pool, stride 2',
			'conv2_x: [3x3, 64; 3x3, 64] x2',
			'conv3_x: [3x3, 128; 3x3, 128] x2',
			'conv4_x: [3x3, 256; 3x3, 256] x2',
			'conv5_x: [3x3, 512; 3x3, 512] x2',
			'fc: average pool, 1000-d fc'
		].join('\n')
	);
	await expect(page.getByTestId('parse-error')).toHaveCount(0);
	await expect(page.getByTestId('total-params')).toContainText('11,689,512');
});

test('a pasted row with a missing cell is an error at that row, not a shifted network', async ({ page }) => {
	await page.goto('/');
	const editor = page.getByTestId('table-editor');
	const table1 = readFileSync('tests/fixtures/tables/table1.md', 'utf8');
	await editor.fill(table1);
	await expect(page.getByTestId('total-params')).toContainText('11,689,512'); // torchvision resnet18
	// the 18-layer cell of conv3_x deleted: the 34-layer cell would slide into the 18-layer column
	await editor.fill(table1.replace('[3×3, 128<br>3×3, 128] × 2 | ', ''));
	const error = page.getByTestId('parse-error');
	await expect(error).toHaveCount(1);
	await expect(error).toContainText('line 7, column 1');
	await expect(error).toContainText('this row has 6 cells; the header has 7');
	await expect(page.getByTestId('total-params')).toContainText('11,689,512');
});
