/**
 * One meta.json schema (README "meta.json", DESIGN §3.6), read by `parseMeta` for the page and
 * for `npm run infer -- --spec` alike.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/lib/arch/graph';
import {
	REMOTE_WEIGHTS,
	TIMM_WEIGHTS,
	TORCHVISION_WEIGHTS,
	metaPolicy,
	parseMeta,
	remoteMeta
} from '../../src/lib/models/bundled';
import { preprocessGarment } from '../../src/lib/pixels/garment';
import { resizeBilinear } from '../../src/lib/pixels/preprocess';
import { presetSpec } from '../../src/lib/arch/presets';
import { checkWeights } from '../../src/lib/weights/index';
import { runWithTimm, unzipTimm } from './timm-wheel';

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

/**
 * One-click ImageNet weights (issue 12): each entry is checked against timm 1.0.29 itself — its
 * pretrained_cfg (hub id, input size, crop_pct, interpolation, mean/std), the transform timm builds
 * from it at the network's input size, and the state_dict its model writes (which must fit our
 * preset, every key and shape). The URLs are never fetched in tests.
 */
describe('remote weights: timm’s pretrained_cfg, read from the wheel', () => {
	interface TimmCfg {
		hub: string;
		input_size: [number, number, number];
		crop_pct: number;
		interpolation: string;
		mean: number[];
		std: number[];
		/** timm's eval transform at the preset's input size: Resize's size and interpolation, the crop. */
		resize: number;
		resize_interpolation: string;
		crop: number[];
		bytes: number;
		keys: [string, number[]][];
	}
	let timm: ReturnType<typeof unzipTimm> | null = null;
	let cfgs: Record<string, TimmCfg> = {};
	const SCRIPT = `
import json, sys, torch, timm
from timm.data import resolve_data_config, create_transform
from timm.models import get_pretrained_cfg
out = {}
for name, side in json.loads(sys.argv[1]):
    c = get_pretrained_cfg(name)
    t = create_transform(**resolve_data_config({"input_size": (3, side, side)}, pretrained_cfg=c.to_dict()))
    resize, crop = t.transforms[0], t.transforms[1]
    sd = timm.create_model(name.split(".")[0], pretrained=False).state_dict()
    keys = [[k, list(v.shape)] for k, v in sd.items() if not k.endswith("num_batches_tracked")]
    out[name] = dict(hub=c.hf_hub_id, input_size=list(c.input_size), crop_pct=c.crop_pct,
        interpolation=c.interpolation, mean=list(c.mean), std=list(c.std), resize=resize.size,
        resize_interpolation=resize.interpolation.value, crop=list(crop.size),
        bytes=sum(v.numel() * v.element_size() for k, v in sd.items() if not k.endswith("num_batches_tracked")),
        keys=keys)
print(json.dumps(out))
`;
	beforeAll(() => {
		timm = unzipTimm();
		const wanted = REMOTE_WEIGHTS.map((w) => [w.name, presetSpec(w.preset)!.input.height]);
		cfgs = JSON.parse(runWithTimm(timm.path, SCRIPT, [JSON.stringify(wanted)]));
	}, 300_000);
	afterAll(() => timm?.remove());

	it('lists torchvision’s five and timm’s family weights, each for a preset of ours', () => {
		expect(TORCHVISION_WEIGHTS.map((w) => w.name)).toEqual(
			['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'].map((n) => `${n}.tv_in1k`)
		);
		expect(TIMM_WEIGHTS.map((w) => w.name)).toEqual([
			'resnet18d.ra2_in1k',
			'resnet50d.ra2_in1k',
			'seresnext50_32x4d.racm_in1k',
			'resnetv2_50.a1h_in1k',
			'resnetrs50.tf_in1k'
		]);
		for (const w of REMOTE_WEIGHTS) expect(presetSpec(w.preset), w.preset).not.toBeNull();
	});

	for (const w of REMOTE_WEIGHTS)
		it(`${w.name}: hub URL, size, and the file timm writes fits our ${w.preset}`, () => {
			const c = cfgs[w.name];
			expect(w.url).toBe(`https://huggingface.co/${c.hub}/resolve/main/model.safetensors`);
			expect(Math.abs(w.megabytes - c.bytes / 1e6), `${c.bytes} bytes`).toBeLessThan(1);
			// every key and shape of timm's state_dict is our preset's (head.fc as a 1×1 conv too)
			const tensors = new Map(
				c.keys.map(([k, shape]) => [k, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }])
			);
			expect(checkWeights(buildGraph(presetSpec(w.preset)!), tensors).map((e) => e.message)).toEqual([]);
		});

	for (const w of TIMM_WEIGHTS)
		it(`${w.name}: pretrained_cfg and the preprocessing at the preset’s size are timm’s`, () => {
			const c = cfgs[w.name];
			expect(w.pretrained).toEqual({
				inputSize: c.input_size,
				cropPct: c.crop_pct,
				interpolation: c.interpolation,
				mean: c.mean,
				std: c.std
			});
			const spec = presetSpec(w.preset)!;
			const policy = metaPolicy(spec, remoteMeta(w, spec, null));
			expect(c.resize_interpolation).toBe(w.pretrained!.interpolation);
			expect(policy).toMatchObject({
				resize: 'shorter',
				resizeShorter: c.resize,
				interpolation: c.resize_interpolation,
				mean: c.mean,
				std: c.std
			});
			expect([policy.height, policy.width]).toEqual(c.crop);
		});

	for (const w of TORCHVISION_WEIGHTS)
		it(`${w.name}: torchvision’s preprocessing is the default policy, as timm’s cfg says`, () => {
			const c = cfgs[w.name];
			const spec = presetSpec(w.preset)!;
			expect(metaPolicy(spec, remoteMeta(w, spec, null))).toMatchObject({
				resizeShorter: c.resize,
				interpolation: c.resize_interpolation,
				mean: c.mean,
				std: c.std
			});
		});

	it('resnetrs50: the network keeps its 224×224; the note gives timm’s 160×160', () => {
		const w = TIMM_WEIGHTS.find((x) => x.preset === 'resnetrs50')!;
		const m = remoteMeta(w, presetSpec('resnetrs50')!, null);
		expect(m.inputNote).toMatch(
			/^timm evaluates these weights at 160×160 \(this network takes 224×224\): resize the shorter side to 175 \(crop 0\.91\), bicubic/
		);
	});
});

describe('antialiased bicubic resize (timm’s weights) equals torch’s', () => {
	it('down and up, odd sizes, within 1e-3 of 255', () => {
		const [h, w, c] = [37, 53, 3];
		const src = Float32Array.from({ length: h * w * c }, (_, i) => (Math.sin(i * 0.37) * 0.5 + 0.5) * 255);
		const script = `
import json, sys, torch
import torch.nn.functional as F
h, w, c = 37, 53, 3
i = torch.arange(h * w * c, dtype=torch.float64)
x = ((torch.sin(i * 0.37) * 0.5 + 0.5) * 255).float().reshape(1, h, w, c).permute(0, 3, 1, 2)
out = {}
for oh, ow in [(19, 24), (61, 80)]:
    y = F.interpolate(x, size=(oh, ow), mode="bicubic", antialias=True, align_corners=False)
    out[f"{oh}x{ow}"] = y[0].permute(1, 2, 0).reshape(-1).tolist()
print(json.dumps(out))
`;
		const ref = JSON.parse(runWithTimm('', script)) as Record<string, number[]>;
		for (const [oh, ow] of [
			[19, 24],
			[61, 80]
		]) {
			const got = resizeBilinear(src, h, w, c, oh, ow, 'bicubic');
			const want = ref[`${oh}x${ow}`];
			expect(got.length).toBe(want.length);
			const err = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])));
			expect(err, `${oh}×${ow}`).toBeLessThan(1e-3);
		}
	});
});
