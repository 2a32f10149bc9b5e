import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { buildGraph } from '../../src/lib/arch';
import { comparisonPair } from '../../src/lib/state/train-log';
import { expectedTensors, parseSafetensorsRaw, writeSafetensors } from '../../src/lib/weights';
import { axeViolations } from './axe';

// The Train panel: a tiny training of the page's ResNet-20 (fashion-resnet's architecture) on the
// Fashion-MNIST subset, pause and stop, the trained weights live and downloadable, a comparison
// pair, the own-images buckets, and axe. The trained file is checked against the network's own
// tensor list (expectedTensors: torchvision's state_dict keys and shapes, BN running stats).

test.describe.configure({ timeout: 240_000 });

/** The page on fashion-resnet with its bundled weights run once (the app opens that way). */
async function open(page: Page) {
	await page.goto('/');
	await expect(page.getByTestId('prediction').first()).toBeVisible({ timeout: 90_000 });
}

async function logits(page: Page): Promise<number[]> {
	return JSON.parse((await page.getByTestId('logits').textContent({ timeout: 60_000 })) ?? 'null');
}

/**
 * Presses Run and answers the logits of that run: it waits until the panel has counted one more
 * finished run (`data-runs`), so that what is read is never an earlier run's result.
 */
async function runLogits(page: Page): Promise<number[]> {
	const result = page.getByTestId('run-result');
	const runs = Number(await result.getAttribute('data-runs'));
	await page.getByTestId('run-button').click();
	await expect(result).toHaveAttribute('data-runs', String(runs + 1), { timeout: 60_000 });
	return logits(page);
}

/**
 * Small settings: 500 training images, batch 16 (32 steps an epoch), constant lr. The tests that
 * use them press Stop themselves; 20 epochs keep a fast machine from finishing before they do.
 */
async function tinySettings(page: Page) {
	await page.getByTestId('train-size').selectOption('500');
	await page.getByTestId('train-batch').fill('16');
	await page.getByTestId('train-epochs').fill('20');
	await page.getByTestId('train-lr').fill('0.05');
	await page.getByTestId('train-schedule').selectOption('constant');
}

const lossValue = async (page: Page) => Number(await page.getByTestId('train-loss').textContent());

/**
 * An exact input tensor (used as it is, whatever the weights' normalisation): a Fashion-MNIST
 * sample's pixels, normalised by hand with fashion-resnet's meta.json mean and std.
 */
function inputTensor(): string {
	const data = Float32Array.from({ length: 28 * 28 }, (_, i) => (((i * 37) % 256) / 255 - 0.286) / 0.353);
	const path = test.info().outputPath('input.safetensors');
	writeFileSync(path, writeSafetensors(new Map([['input', { shape: [1, 1, 28, 28], data }]])));
	return path;
}

test('tiny training: loss updates, pause and stop, trained weights live and downloadable', async ({
	page
}) => {
	await open(page);
	await page.getByTestId('image-file').setInputFiles(inputTensor());
	await expect(page.getByTestId('input-preview')).toBeVisible();
	// Seeded weights first: their prediction is the "before".
	await page.getByTestId('seed-input').fill('3');
	await page.getByRole('button', { name: 'Random weights' }).click();
	await expect(page.getByTestId('weights-current')).toContainText('seed 3');
	// Read only after this run has finished: the page's first run (bundled weights) shows logits too.
	const before = await runLogits(page);

	await tinySettings(page);
	await page.getByTestId('train-button').click();
	await expect(page.getByTestId('train-phase')).toHaveText(/Loading data|Training/);
	await expect.poll(() => lossValue(page), { timeout: 120_000 }).toBeGreaterThan(0);
	expect(Number.isFinite(await lossValue(page))).toBe(true);
	await expect(page.getByTestId('train-throughput')).toHaveText(/^\d+$/);
	await expect(page.getByTestId('train-curve')).toHaveCount(2); // loss and accuracy charts, one net

	// Pause: the step count stands still; Resume: it moves on.
	await page.getByTestId('train-pause').click();
	await expect(page.getByTestId('train-phase')).toHaveText('Paused');
	await expect(page.getByTestId('train-status')).toHaveText(/Paused/, { timeout: 30_000 });
	const paused = await page.getByTestId('train-step').textContent();
	await page.waitForTimeout(1500);
	expect(await page.getByTestId('train-step').textContent()).toBe(paused);
	await page.getByTestId('train-resume').click();
	await expect(page.getByTestId('train-step')).not.toHaveText(paused!, { timeout: 60_000 });

	// Stop: test accuracy measured, the weights applied to the live network, a new prediction.
	const runsBeforeStop = Number(await page.getByTestId('run-result').getAttribute('data-runs'));
	await page.getByTestId('train-stop').click();
	await expect(page.getByTestId('train-phase')).toHaveText('Stopped', { timeout: 120_000 });
	await expect(page.getByTestId('train-test-accuracy')).toHaveText(/^\d+\.\d %$/);
	await expect(page.getByTestId('train-applied')).toContainText('now the live network', { timeout: 60_000 });
	await expect(page.getByTestId('weights-current')).toContainText('trained here');
	await expect(page.getByTestId('run-result')).toHaveAttribute('data-runs', String(runsBeforeStop + 1), {
		timeout: 60_000
	});
	const after = await logits(page);
	expect(after).toHaveLength(10);
	expect(after).not.toEqual(before);

	// The download: every tensor of the network with its shape, BN running stats included.
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.getByTestId('train-download').click()
	]);
	expect(download.suggestedFilename()).toBe('fashion-resnet.safetensors');
	const path = test.info().outputPath(download.suggestedFilename());
	await download.saveAs(path);
	const tensors = parseSafetensorsRaw(new Uint8Array(readFileSync(path)));
	const expected = expectedTensors(buildGraph(comparisonPair(20)[1].spec));
	expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
	for (const [k, shape] of expected) expect(tensors.get(k)!.shape).toEqual(shape);
	expect(tensors.has('layer1.0.bn1.running_var')).toBe(true);
	const [meta] = await Promise.all([
		page.waitForEvent('download'),
		page.getByTestId('train-download-meta').click()
	]);
	const metaPath = test.info().outputPath('meta.json');
	await meta.saveAs(metaPath);
	const metaJson = JSON.parse(readFileSync(metaPath, 'utf8'));
	expect(metaJson.classes).toHaveLength(10);
	expect(metaJson.mean).toEqual([0.286]);
	expect(metaJson.std).toEqual([0.353]);
	expect(metaJson.testAccuracy).toBeGreaterThanOrEqual(0);

	// The page loads the files back: seeded weights, then the file → the trained prediction again.
	await page.getByRole('button', { name: 'Random weights' }).click();
	expect(await runLogits(page)).toEqual(before);
	await page.getByTestId('weights-file').setInputFiles(path);
	await expect(page.getByTestId('weights-current')).toContainText('fashion-resnet.safetensors');
	expect(await runLogits(page)).toEqual(after);
	// Picked with its meta.json: the classes and normalisation it was trained with come back too.
	await page.getByRole('button', { name: 'Random weights' }).click();
	await page.getByTestId('weights-file').setInputFiles([path, metaPath]);
	await expect(page.getByTestId('weights-current')).toContainText(
		'fashion-resnet.safetensors with meta.json'
	);
	expect(await runLogits(page)).toEqual(after);
	const top = await page.getByTestId('prediction').first().textContent();
	expect(metaJson.classes.some((c: string) => top!.includes(c))).toBe(true);
});

test('comparison pair: two curves on one chart', async ({ page }) => {
	await open(page);
	await page.getByTestId('train-pair-20').click();
	await tinySettings(page);
	await page.getByTestId('train-button').click();
	await expect.poll(() => lossValue(page), { timeout: 120_000 }).toBeGreaterThan(0);
	const loss = page.getByTestId('train-chart-loss');
	await expect(loss.getByTestId('train-curve')).toHaveCount(2);
	await expect(loss.locator('[data-label="plain-20"] path.raw')).toHaveAttribute('d', /^M.+L/, {
		timeout: 60_000
	});
	await expect(loss.locator('[data-label="resnet-20"] path.raw')).toHaveAttribute('d', /^M.+L/);
	await page.getByTestId('train-stop').click();
	await expect(page.getByTestId('train-phase')).toHaveText('Stopped', { timeout: 120_000 });
	await expect(page.getByTestId('train-result')).toHaveCount(2);
	// "Use in the explorer": the plain net becomes the network on screen, with its trained weights.
	await page.getByTestId('train-result').nth(0).getByTestId('train-use').click();
	await expect(page.getByTestId('train-applied')).toContainText("plain-20's trained weights", {
		timeout: 60_000
	});
	await expect(page.getByTestId('weights-current')).toContainText('plain-20 trained here');
	await expect(page.getByTestId('total-params')).toContainText(/269,?434/);
	await expect(page.getByLabel('Residual (shortcuts)')).not.toBeChecked();
	await expect(page.getByTestId('prediction')).toHaveCount(5, { timeout: 60_000 });
});

test('Stop before the first step changes nothing', async ({ page }) => {
	await open(page);
	// Hold the training data in flight until Stop is pressed, so that no step can run first on a
	// fast machine (the worker's fetch is a request of this page's context).
	let requested!: () => void;
	const inFlight = new Promise<void>((r) => (requested = r));
	let release!: () => void;
	const held = new Promise<void>((r) => (release = r));
	await page.context().route('**/data/fashion-mnist/*.bin', async (route) => {
		requested();
		await held;
		await route.continue();
	});
	await page.getByTestId('train-button').click();
	await inFlight;
	await page.getByTestId('train-stop').click();
	await expect(page.getByTestId('train-phase')).toHaveText(/Stopping|Stopped/);
	release();
	await expect(page.getByTestId('train-phase')).toHaveText('Stopped', { timeout: 120_000 });
	await expect(page.getByTestId('train-applied')).toHaveText(
		'Stopped before the first step: the weights are unchanged.'
	);
	await expect(page.getByTestId('weights-current')).toContainText('fashion-resnet (trained, bundled)');
});

test('a network that does not take the data is told so before starting, with a fix', async ({ page }) => {
	await open(page);
	await page.getByTestId('preset-select').selectOption('resnet18');
	await expect(page.getByTestId('train-mismatch')).toContainText('takes 3×224×224 input');
	await expect(page.getByTestId('train-button')).toBeDisabled();
	await page.getByTestId('train-fit').click();
	await expect(page.getByTestId('train-mismatch')).toHaveCount(0);
	await expect(page.getByTestId('train-button')).toBeEnabled();
});

test('own images: buckets accept dropped and picked images; the panel passes axe', async ({ page }) => {
	await open(page);
	await page.getByRole('radio', { name: 'Your own images' }).check();
	const buckets = page.getByTestId('bucket');
	await expect(buckets).toHaveCount(2);
	await expect(page.getByTestId('train-button')).toBeDisabled();
	// Drop two sample images on the first bucket (a DataTransfer made in the page).
	const dropped = await page.evaluate(async () => {
		const dt = new DataTransfer();
		for (const f of ['0-ankle-boot.png', '28-ankle-boot.png']) {
			const blob = await (await fetch(`/samples/fashion/${f}`)).blob();
			dt.items.add(new File([blob], f, { type: 'image/png' }));
		}
		const target = document.querySelectorAll('[data-testid="bucket"]')[0];
		target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
		return dt.files.length;
	});
	expect(dropped).toBe(2);
	await expect(buckets.nth(0).getByTestId('bucket-count')).toHaveText('2 images');
	// The page's own drop handler left it alone: the image shown in the Run panel did not change.
	await expect(page.getByTestId('weights-notice')).toHaveCount(0);
	await buckets
		.nth(1)
		.getByTestId('bucket-input')
		.setInputFiles(['static/samples/fashion/2-trouser.png', 'static/samples/fashion/3-trouser.png']);
	await expect(buckets.nth(1).getByTestId('bucket-count')).toHaveText('2 images');
	await expect(page.getByTestId('train-button')).toBeEnabled();
	for (const scheme of ['light', 'dark'] as const) {
		await page.emulateMedia({ colorScheme: scheme });
		expect(await axeViolations(page, '[data-testid="train-panel"]')).toEqual([]);
	}

	// Transfer learning: fashion-resnet's trained backbone frozen, a new 2-class head on the buckets.
	await buckets.nth(0).getByRole('textbox').fill('boots');
	await buckets.nth(1).getByRole('textbox').fill('trousers');
	await page.getByTestId('train-batch').fill('4');
	await page.getByTestId('train-epochs').fill('3');
	await page.getByTestId('train-button').click();
	await expect(page.getByTestId('train-phase')).toHaveText('Stopped', { timeout: 120_000 });
	await expect(page.getByTestId('train-result')).toContainText('new: fc.weight, fc.bias');
	await expect(page.getByTestId('train-applied')).toContainText('now the live network', { timeout: 60_000 });
	await expect(page.getByTestId('prediction')).toHaveCount(2, { timeout: 60_000 });
	const names = await page.getByTestId('prediction').allInnerTexts();
	expect(names.join(' ')).toMatch(/boots/);
	expect(names.join(' ')).toMatch(/trousers/);
});
