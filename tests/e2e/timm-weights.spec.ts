import { expect, test } from '@playwright/test';
import { buildGraph, presetSpec } from '../../src/lib/arch';
import { TIMM_WEIGHTS } from '../../src/lib/models/bundled';
import { expectedTensors, writeSafetensors } from '../../src/lib/weights';

// One-click timm weights (issue 12): offered for their preset, loaded with timm's preprocessing.
// The hub is never reached: the request is answered here with a file of the preset's shapes
// (timm's names; tests/unit/meta.test.ts checks they are timm's state_dict's).

test.describe.configure({ timeout: 120_000 });

test('resnet18d offers timm’s resnet18d.ra2_in1k; a click loads it with its pretrained_cfg', async ({
	page
}) => {
	const w = TIMM_WEIGHTS.find((x) => x.preset === 'resnet18d')!;
	const tensors = new Map(
		[...expectedTensors(buildGraph(presetSpec('resnet18d')!))].map(([k, shape]) => [
			k,
			{ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.01) }
		])
	);
	const body = Buffer.from(writeSafetensors(tensors));
	const asked: string[] = [];
	await page.route('https://huggingface.co/**', (route) => {
		asked.push(route.request().url());
		return route.fulfill({ status: 200, contentType: 'application/octet-stream', body });
	});

	await page.goto('/?preset=resnet50');
	await expect(page.getByTestId('preset-select')).toHaveValue('resnet50', { timeout: 60_000 });
	await expect(page.getByTestId('timm-weights')).toHaveCount(0); // resnet50 has torchvision's only
	await page.getByTestId('preset-select').selectOption('resnet18d');
	const chip = page.getByTestId('timm-weights');
	await expect(chip).toHaveCount(1);
	await expect(chip).toContainText('resnet18d.ra2_in1k');
	await chip.click();
	await expect(page.getByTestId('weights-current')).toContainText('resnet18d.ra2_in1k', { timeout: 60_000 });
	expect(asked).toEqual([w.url]);
	await expect(page.getByTestId('weights-preprocess')).toHaveText(
		'timm evaluates these weights at 224×224: resize the shorter side to 256 (crop 0.875), bicubic, centre crop; mean 0.485, 0.456, 0.406, std 0.229, 0.224, 0.225'
	);
	await page.getByTestId('sample-cat').click();
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
	await expect(page.getByTestId('run-result')).toContainText('timm/resnet18d.ra2_in1k pretrained_cfg');
});
