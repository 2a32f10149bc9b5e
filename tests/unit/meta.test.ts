/**
 * One meta.json schema (README "meta.json", DESIGN §3.6), read by `parseMeta` for the page and
 * for `npm run infer -- --spec` alike.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { metaPolicy, parseMeta } from '../../src/lib/models/bundled';
import { preprocessGarment } from '../../src/lib/pixels/garment';
import { presetSpec } from '../../src/lib/arch/presets';

const DIR = 'static/models/fashion-resnet';
const spec = JSON.parse(readFileSync(`${DIR}/spec.json`, 'utf8'));
const raw = JSON.parse(readFileSync(`${DIR}/meta.json`, 'utf8'));

function infer(...args: string[]) {
	const r = spawnSync('npx', ['tsx', 'cli/infer.ts', ...args], { encoding: 'utf8' });
	return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn .*\n/gm, '') };
}

describe('meta.json', () => {
	it("gives the bundled model the training script's input conversion", () => {
		// tools/train/train_fashion.py APP_INPUT: how the model's inputs were made.
		const py = readFileSync('tools/train/train_fashion.py', 'utf8');
		const appInput = JSON.parse(
			/^APP_INPUT = (.*)$/m
				.exec(py)![1]
				.replace(/\bFalse\b/g, 'false')
				.replace(/\bTrue\b/g, 'true')
		);
		const r = parseMeta(raw, spec, 'meta.json');
		expect(r.ok).toBe(true);
		if (!r.ok) return;
		expect(metaPolicy(spec, r.meta)).toMatchObject({
			height: 28,
			width: 28,
			channels: 1,
			mean: raw.mean,
			std: raw.std,
			resize: appInput.preprocess.resize,
			invert: appInput.preprocess.invert
		});
		expect(r.meta.convert).toBe(appInput.preprocess.convert);
	});

	it('the CLI feeds the network what the page feeds it (a photo of another shape)', () => {
		const r = infer(
			'--spec',
			`${DIR}/spec.json`,
			'--weights',
			`${DIR}/model.safetensors`,
			'--image',
			'static/samples/cat.jpg',
			'--taps',
			'input',
			'--format',
			'json'
		);
		expect(r.stderr).toBe('');
		const cli = JSON.parse(r.stdout).taps.input;
		expect(cli.shape).toEqual([1, 28, 28]);
		const parsed = parseMeta(raw, spec, 'meta.json');
		if (!parsed.ok) throw new Error(parsed.message);
		const img = jpeg.decode(readFileSync('static/samples/cat.jpg'), { useTArray: true, formatAsRGBA: true });
		const page = preprocessGarment(
			{ width: img.width, height: img.height, data: img.data },
			metaPolicy(spec, parsed.meta)
		);
		expect(cli.values).toHaveLength(page.data.length);
		for (let i = 0; i < page.data.length; i++) expect(cli.values[i]).toBeCloseTo(page.data[i], 5);
	});

	it('classifies a bundled test image as its Fashion-MNIST label', () => {
		const r = infer(
			'--spec',
			`${DIR}/spec.json`,
			'--weights',
			`${DIR}/model.safetensors`,
			'--image',
			'static/samples/fashion/0-ankle-boot.png',
			'--format',
			'json'
		);
		expect(r.code).toBe(0);
		expect(JSON.parse(r.stdout).top[0].label).toBe('Ankle boot'); // label 9 in the test set
	});

	it('says where a conversion setting belongs, and which setting is wrong', () => {
		const at = (m: object) => parseMeta({ mean: [0.3], std: [0.3], ...m }, spec, 'm.json');
		expect(at({ resize: 'stretch' })).toEqual({
			ok: false,
			message: 'm.json: resize belongs under "preprocess" ({ "preprocess": { "resize": … } })'
		});
		expect(at({ preprocess: { resize: 'fill' } })).toEqual({
			ok: false,
			message: 'm.json: preprocess.resize must be "stretch" or "shorter"'
		});
		expect(at({ preprocess: { crop: true } })).toEqual({
			ok: false,
			message: 'm.json: preprocess.crop is not a setting (resize, invert, convert)'
		});
		expect(at({ testAccuracy: 94.1 })).toEqual({
			ok: false,
			message: 'm.json: testAccuracy must be a fraction between 0 and 1'
		});
		const rgb = parseMeta({ mean: [0.3], std: [0.3] }, presetSpec('resnet18')!, 'm.json');
		expect(rgb).toEqual({ ok: false, message: 'm.json: mean must be 3 numbers (one per input channel)' });
	});
});
