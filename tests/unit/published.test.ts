/**
 * The published accuracies (src/lib/models/published.ts) against their sources:
 * - torchvision's figures against the `acc@1` its weights enums carry (Debian's python3-torchvision);
 * - timm's against results/results-imagenet.csv of huggingface/pytorch-image-models
 *   (tests/fixtures/published/results-imagenet.csv: the header and the rows of the family's
 *   architectures, verbatim, from commit aa4b5850c1543fa488abf260f18390eda46cf85d);
 * - the CIFAR-10 errors against the papers' tables (He et al. 2015 Table 6, as issue 12 quotes
 *   them; He et al. 2016 Table 4).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, presetSpec } from '$lib/arch';
import { PUBLISHED, publishedFor } from '$lib/models/published';

const PYTHON = '/usr/bin/python3';

describe('published accuracies', () => {
	it('every entry names a real preset, its source, where in it, and its weights', () => {
		for (const r of PUBLISHED) {
			expect(PRESET_NAMES, r.preset).toContain(r.preset);
			expect(r.source.title.length, r.preset).toBeGreaterThan(0);
			expect(r.source.url, r.preset).toMatch(/^https:\/\/\S+$/);
			expect(r.where.length, r.preset).toBeGreaterThan(0);
			expect(r.weights.length, r.preset).toBeGreaterThan(0);
			expect(r.value, r.preset).toBeGreaterThan(0);
			expect(r.value, r.preset).toBeLessThan(100);
		}
	});

	it('one figure per preset and weights', () => {
		const keys = PUBLISHED.map((r) => `${r.preset} ${r.weights}`);
		expect(new Set(keys).size).toBe(keys.length);
	});

	it("torchvision's figures are the acc@1 of its weights enums", () => {
		const tvs = PUBLISHED.filter((r) => r.source.url.includes('docs.pytorch.org/vision'));
		expect(tvs.length).toBe(17);
		const script = `
import json, torchvision.models as m
names = ${JSON.stringify(tvs.map((r) => r.weights))}
out = {}
for n in names:
    enum, tag = n.split('.')
    w = getattr(getattr(m, enum), tag)
    out[n] = w.meta['_metrics']['ImageNet-1K']['acc@1']
print(json.dumps(out))`;
		const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
		expect(r.status, `${PYTHON} with torchvision (apt-get install python3-torchvision): ${r.stderr}`).toBe(0);
		const acc = JSON.parse(r.stdout) as Record<string, number>;
		for (const e of tvs) expect(e.value, e.weights).toBe(acc[e.weights]);
	});

	it("timm's figures are the top1 rows of results-imagenet.csv for the weights at their size", () => {
		const csv = readFileSync(new URL('../fixtures/published/results-imagenet.csv', import.meta.url), 'utf8');
		const [header, ...lines] = csv.trim().split('\n');
		expect(header).toBe('model,img_size,top1,top1_err,top5,top5_err,param_count,crop_pct,interpolation');
		const top1 = new Map(
			lines.map((l) => {
				const [model, size, t1] = l.split(',');
				return [`${model}@${size}`, Number(t1)];
			})
		);
		const timms = PUBLISHED.filter((r) => r.source.url.includes('pytorch-image-models'));
		expect(timms.length).toBe(18);
		for (const e of timms) {
			expect(e.weights.startsWith(`${e.preset}.`), e.weights).toBe(true);
			expect(e.value, e.weights).toBe(top1.get(`${e.weights}@${e.evalSize ?? 224}`));
		}
		// Architectures timm publishes no ImageNet weights for: on the MACs axis only.
		for (const arch of ['seresnet101', 'resnetv2_50d']) {
			expect(lines.some((l) => l.startsWith(`${arch}.`))).toBe(false);
			expect(publishedFor(arch)).toEqual([]);
		}
	});

	it("the CIFAR-10 errors are the papers' (He et al. 2015 Table 6; He et al. 2016 Table 4)", () => {
		const errors = Object.fromEntries(
			PUBLISHED.filter((r) => r.metric === 'cifar10-error').map((r) => [r.preset, r.value])
		);
		expect(errors).toEqual({
			resnet20: 8.75,
			resnet32: 7.51,
			resnet44: 7.17,
			resnet56: 6.97,
			resnet110: 6.43,
			resnet1202: 7.93,
			preact_resnet164: 5.46,
			preact_resnet1001: 4.62
		});
	});

	it('ImageNet figures only for 1000-class nets, CIFAR-10 errors only for 10-class nets', () => {
		for (const r of PUBLISHED) {
			const spec = presetSpec(r.preset);
			expect(spec?.head.classes, r.preset).toBe(r.metric === 'cifar10-error' ? 10 : 1000);
		}
	});
});
