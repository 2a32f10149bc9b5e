/**
 * `npm run infer` (DESIGN §3.4) end to end, against PyTorch's outputs for the committed cases.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGraph, presetSpec } from '../../src/lib/arch';
import { initWeights, writeSafetensors } from '../../src/lib/weights/index';
import { FIXTURES, loadCase, relError } from './runtime-fixtures';

const tmp = mkdtempSync(join(tmpdir(), 'infer-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function infer(...args: string[]) {
	const r = spawnSync('npx', ['tsx', 'cli/infer.ts', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
	return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn .*\n/gm, '') };
}

const caseArgs = (name: string) => {
	const c = loadCase(join(FIXTURES, name));
	return { c, args: ['--spec', join(c.dir, 'spec.json'), '--weights', c.weightsFile] };
};

function chw(t: { shape: number[]; data: Float32Array }) {
	return Array.from(t.data); // the reference's NCHW with N = 1 is C,H,W order already
}

describe('infer --format json vs PyTorch', () => {
	it.each(['cpu', 'wasm'])('cifar-option-a on %s: logits, top and taps (C,H,W order)', (backend) => {
		const { c, args } = caseArgs('cifar-option-a');
		const taps = ['layer2.0.shortcut', 'layer1.0.bn1', 'fc'];
		const r = infer(
			...args,
			'--input-tensor',
			join(c.dir, 'input.safetensors'),
			'--backend',
			backend,
			'--taps',
			taps.join(','),
			'--top',
			'3',
			'--format',
			'json'
		);
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		const out = JSON.parse(r.stdout);
		expect(out.backend).toBe(backend);
		expect(relError(out.logits, c.logits.data)).toBeLessThanOrEqual(1e-4);
		const ref = Array.from(c.logits.data);
		const order = ref.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
		expect(out.top.map((p: { index: number }) => p.index)).toEqual(order.slice(0, 3).map((x) => x[1]));
		expect(out.top[0].label).toBe(`class ${order[0][1]}`);
		const max = Math.max(...ref);
		const z = ref.reduce((s, v) => s + Math.exp(v - max), 0);
		expect(out.top[0].prob).toBeCloseTo(1 / z, 5);
		for (const id of taps) {
			const e = c.taps.get(id)!;
			expect(out.taps[id].shape, id).toEqual(e.shape.slice(1));
			expect(relError(out.taps[id].values, chw(e)), id).toBeLessThanOrEqual(1e-4);
		}
	});

	it('reads a {state_dict} bf16 .pth with a 1-channel input', () => {
		const { c, args } = caseArgs('stride1x1-bias-gray');
		const r = infer(...args, '--input-tensor', join(c.dir, 'input.safetensors'), '--format', 'json');
		expect(r.code).toBe(0);
		expect(relError(JSON.parse(r.stdout).logits, c.logits.data)).toBeLessThanOrEqual(1e-4);
	});
});

describe('infer with images and random weights', () => {
	const png = new PNG({ width: 50, height: 40 });
	for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 37) % 256;
	const pngFile = join(tmp, 'img.png');
	writeFileSync(pngFile, PNG.sync.write(png));
	const jpgFile = join(tmp, 'img.jpg');
	writeFileSync(jpgFile, jpeg.encode({ width: 50, height: 40, data: png.data }, 90).data);

	it.each([
		['PNG', pngFile],
		['JPEG', jpgFile]
	])('decodes a %s, says the weights are random, prints ImageNet labels', (_kind, file) => {
		const r = infer('--preset', 'resnet18', '--image', file, '--top', '2', '--seed', '3');
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/weights: random \(seed 3; no --weights given\)/);
		expect(r.stdout).toMatch(/50×40 → 3×224×224/);
		expect(r.stdout).toMatch(/top 2:\n\s+1\.\s+[\d.]+ % {2}\S.* \(class \d+\)\n\s+2\./);
	});

	it('a timm preset with --weights: the preprocessing of its published weights (timm resnetv2_50.a1h_in1k: mean = std = 0.5)', () => {
		const weights = join(tmp, 'resnetv2_50.safetensors');
		writeFileSync(weights, writeSafetensors(initWeights(buildGraph(presetSpec('resnetv2_50')!), 1)));
		// One colour: any resize, crop or interpolation keeps it, so the input is (v/255 − mean) / std.
		const flat = new PNG({ width: 64, height: 48 });
		const rgb = [200, 100, 50];
		for (let i = 0; i < flat.data.length; i++) flat.data[i] = i % 4 === 3 ? 255 : rgb[i % 4];
		const flatFile = join(tmp, 'flat.png');
		writeFileSync(flatFile, PNG.sync.write(flat));
		const args = ['--preset', 'resnetv2_50', '--weights', weights, '--image', flatFile, '--backend', 'wasm'];
		const r = infer(...args, '--taps', 'input', '--format', 'json');
		expect(r.code).toBe(0);
		const x: number[] = JSON.parse(r.stdout).taps.input.values;
		expect(x).toHaveLength(3 * 224 * 224);
		rgb.forEach((v, c) => {
			const want = (v / 255 - 0.5) / 0.5;
			const plane = x.slice(c * 224 * 224, (c + 1) * 224 * 224);
			expect(Math.max(...plane.map((y) => Math.abs(y - want))), `channel ${c}`).toBeLessThan(1e-5);
		});
		expect(infer(...args, '--top', '1').stdout).toMatch(
			/→ 3×224×224; timm\/resnetv2_50\.a1h_in1k pretrained_cfg\)/
		);
	});

	it('the same seed gives the same logits', () => {
		const a = JSON.parse(infer('--preset', 'resnet20', '--image', pngFile, '--format', 'json').stdout);
		const b = JSON.parse(
			infer('--preset', 'resnet20', '--image', pngFile, '--format', 'json', '--seed', '0').stdout
		);
		expect(a.logits).toEqual(b.logits);
		expect(a.weights).toMatch(/random/);
	});
});

describe('infer errors: `error:` on stderr, non-zero exit, no stack trace', () => {
	const { c, args } = caseArgs('cifar-option-a');
	const input = ['--input-tensor', join(c.dir, 'input.safetensors')];
	const fails = (r: ReturnType<typeof infer>, pattern: RegExp) => {
		expect(r.code).not.toBe(0);
		expect(r.stdout).toBe('');
		expect(r.stderr).toMatch(/^error: /);
		expect(r.stderr).not.toMatch(/\n\s+at /);
		expect(r.stderr).toMatch(pattern);
	};

	it('an unknown node id in --taps', () => {
		fails(
			infer(...args, ...input, '--taps', 'layer1.0.conv1,layer9.9.conv1'),
			/unknown node id "layer9\.9\.conv1"/
		);
	});

	it('a wrong-shaped weight names the tensor and both shapes', () => {
		const w = new Map(c.weights);
		w.set('layer2.0.conv1.weight', { shape: [32, 16, 1, 1], data: new Float32Array(512) });
		w.delete('fc.bias');
		const file = join(tmp, 'bad.safetensors');
		writeFileSync(file, writeSafetensors(w));
		fails(
			infer('--spec', join(c.dir, 'spec.json'), '--weights', file, ...input),
			/layer2\.0\.conv1\.weight: expected shape \[32, 16, 3, 3\], got \[32, 16, 1, 1\][\s\S]*fc\.bias: missing/
		);
	});

	it('an unreadable or missing image', () => {
		const file = join(tmp, 'notes.png');
		writeFileSync(file, 'just text');
		fails(infer(...args, '--image', file), /cannot read image .*notes\.png: not a PNG or JPEG/);
		fails(infer(...args, '--image', join(tmp, 'nope.jpg')), /cannot read image .*nope\.jpg: ENOENT/);
		const broken = join(tmp, 'broken.png');
		writeFileSync(
			broken,
			Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(20)])
		);
		fails(infer(...args, '--image', broken), /cannot decode image/);
	});

	it('a truncated weights file, an input of the wrong shape, bad options', () => {
		const file = join(tmp, 'cut.safetensors');
		writeFileSync(
			file,
			readFileSyncBytes(join(FIXTURES, 'resnext-tiny/weights.safetensors')).subarray(0, 5000)
		);
		fails(infer('--spec', join(c.dir, 'spec.json'), '--weights', file, ...input), /truncated/);
		fails(
			infer('--spec', join(FIXTURES, 'resnext-tiny/spec.json'), ...input),
			/input must be NCHW \[N, 3, 40, 40\].*got \[1, 3, 32, 32\]/
		);
		fails(infer(...args, ...input, '--backend', 'webgl'), /--backend must be one of cpu, wasm/);
		fails(infer(...args), /give exactly one of --image FILE or --input-tensor/);
		fails(infer('--preset', 'resnet9000', ...input), /unknown preset "resnet9000"/);
	});
});

function readFileSyncBytes(f: string) {
	return new Uint8Array(readFileSync(f));
}
