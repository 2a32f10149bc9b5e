/**
 * convBias per role (DESIGN §3.1 optional field): a boolean as before, or { stem, block, shortcut }.
 * Params are PyTorch's: torchvision's resnet18 with bias=True on its downsample convs has
 * 11,690,408 parameters, resnet50 with a biased stem conv 25,557,096 (Debian's torch 1.13,
 * `sum(p.numel() for p in m.parameters())`).
 */
import { describe, expect, it } from 'vitest';
import {
	buildGraph,
	decodeSpecUrl,
	encodeSpecUrl,
	presetSpec,
	specFieldErrors,
	type ArchSpec
} from '../../src/lib/arch/index';
import { expectedTensors } from '../../src/lib/weights/index';

const preset = (name: string) => presetSpec(name)!;

describe('convBias per role', () => {
	it('biases on the shortcut convs only: torchvision resnet18 with biased downsample convs', () => {
		const spec: ArchSpec = { ...preset('resnet18'), convBias: { stem: false, block: false, shortcut: true } };
		const g = buildGraph(spec);
		expect(g.totals.params).toBe(11690408);
		const keys = [...expectedTensors(g).keys()].filter((k) => /conv.*\.bias$|downsample\.0\.bias$/.test(k));
		expect(keys).toEqual([
			'layer2.0.downsample.0.bias',
			'layer3.0.downsample.0.bias',
			'layer4.0.downsample.0.bias'
		]);
	});

	it('a bias on the stem conv only: torchvision resnet50 with conv1 biased', () => {
		const spec: ArchSpec = { ...preset('resnet50'), convBias: { stem: true, block: false, shortcut: false } };
		expect(buildGraph(spec).totals.params).toBe(25557096);
	});

	it('true/false stay valid and mean every conv, as before', () => {
		const all = buildGraph({ ...preset('resnet18'), convBias: true }).totals.params;
		const roles = buildGraph({
			...preset('resnet18'),
			convBias: { stem: true, block: true, shortcut: true }
		}).totals.params;
		expect(roles).toBe(all);
		expect(
			buildGraph({ ...preset('resnet18'), convBias: { stem: false, block: false, shortcut: false } }).totals
				.params
		).toBe(11689512);
	});

	it('bad per-role values are errors placed by the role', () => {
		const errs = (convBias: unknown) =>
			specFieldErrors({ ...preset('resnet18'), convBias }).map((e) => [e.path, e.message]);
		expect(errs({ stem: true, block: false })).toEqual([['convBias.shortcut', 'is required']]);
		expect(errs({ stem: true, block: false, shortcut: 1 })).toEqual([
			['convBias.shortcut', 'must be true or false, got 1']
		]);
		expect(errs({ stem: true, block: false, shortcut: false, head: true })[0][0]).toBe('convBias.head');
		expect(errs('yes')[0]).toEqual([
			'convBias',
			'must be true, false or { stem, block, shortcut }, got "yes"'
		]);
	});

	it('share links carry per-role biases as three bits, and refuse other text', () => {
		const spec: ArchSpec = { ...preset('resnet18'), convBias: { stem: false, block: false, shortcut: true } };
		const q = encodeSpecUrl(spec, 'resnet18');
		expect(q).toBe('preset=resnet18&bias=001');
		const r = decodeSpecUrl(q);
		expect(r.ok && r.spec.convBias).toEqual({ stem: false, block: false, shortcut: true });
		const bad = decodeSpecUrl('preset=resnet18&bias=01');
		expect(bad.errors.map((e) => e.path)).toEqual(['convBias']);
		expect(bad.ok && bad.spec.convBias).toBe(false);
	});
});
