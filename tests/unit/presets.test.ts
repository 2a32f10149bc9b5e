import { describe, expect, it } from 'vitest';
import {
	PRESETS,
	PRESET_FAMILIES,
	buildGraph,
	presetFamily,
	presetSpec,
	type ArchSpec
} from '../../src/lib/arch';

const preset = (name: string) => {
	const s = presetSpec(name);
	if (!s) throw new Error(`no preset ${name}`);
	return s;
};

// torchvision 0.14 (Debian python3-torchvision), measured; torchvision's docs print the same
// params and GFLOPS = MACs / 1e9.
const TORCHVISION: [string, number, number][] = [
	['resnet18', 11_689_512, 1_814_073_344],
	['resnet34', 21_797_672, 3_663_761_408],
	['resnet50', 25_557_032, 4_089_184_256],
	['resnet101', 44_549_160, 7_801_405_440],
	['resnet152', 60_192_808, 11_513_626_624],
	['wide_resnet50_2', 68_883_240, 11_398_021_120],
	['resnext50_32x4d', 25_028_904, 4_230_479_872]
];

describe('torchvision presets', () => {
	it.each(TORCHVISION)('%s: params and MACs', (name, params, macs) => {
		const g = buildGraph(preset(name));
		expect(g.totals.params).toBe(params);
		expect(g.totals.macs).toBe(macs);
	});

	it('resnet50 ends in 1000 logits, layer4 at 2048×7×7', () => {
		const g = buildGraph(preset('resnet50'));
		expect(g.byId.get('layer4.2.relu3')!.outShape).toEqual([2048, 7, 7]);
		// torchvision: resnet50()(x).shape == [1, 1000]; the batch left out
		expect(g.byId.get('fc')!.outShape).toEqual([1000]);
		expect(g.output).toBe('fc');
	});
});

describe('the paper (He et al. 2015)', () => {
	it('resnet50 with the stride on the 1×1 (v1): 3.8×10⁹ FLOPs (multiply-adds)', () => {
		const spec: ArchSpec = { ...preset('resnet50'), strideOn: '1x1' };
		expect(buildGraph(spec).totals.macs).toBe(3_857_973_248);
	});

	// Table 1's FLOPs row (multiply-adds, v1) is printed to one decimal, sometimes rounded and
	// sometimes cut: 1.8, 3.6, 3.8, 7.6, 11.3 ×10⁹. Every one is within 0.1×10⁹ of the exact count.
	it.each([
		['resnet18', 1.8],
		['resnet34', 3.6],
		['resnet50', 3.8],
		['resnet101', 7.6],
		['resnet152', 11.3]
	] as const)('Table 1: %s has %s×10⁹ multiply-adds', (name, billions) => {
		const macs = buildGraph({ ...preset(name), strideOn: '1x1' }).totals.macs;
		expect(Math.abs(macs / 1e9 - billions)).toBeLessThan(0.1);
	});

	// Table 6: 0.27M, 0.46M, 0.66M, 0.85M, 1.7M, 19.4M
	it.each([
		['resnet20', 0.27],
		['resnet32', 0.46],
		['resnet44', 0.66],
		['resnet56', 0.85],
		['resnet110', 1.7],
		['resnet1202', 19.4]
	] as const)('CIFAR %s has %sM params', (name, millions) => {
		const p = buildGraph(preset(name)).totals.params / 1e6;
		const digits = millions >= 1 ? 1 : 2;
		expect(Number(p.toFixed(digits))).toBe(millions);
	});
});

describe('Keras ResNet50', () => {
	it('with conv biases and the stride on the 1×1: 25,636,712 total = params + BN buffers', () => {
		const spec: ArchSpec = { ...preset('resnet50'), convBias: true, strideOn: '1x1' };
		const t = buildGraph(spec).totals;
		expect(t.params).toBe(25_583_592);
		expect(t.buffers).toBe(53_120);
		expect(t.params + t.buffers).toBe(25_636_712);
	});
});

describe('receptive field', () => {
	// Araujo et al., "Computing receptive fields of convolutional neural networks" (Distill 2019):
	// ResNet-50's last conv block sees 427 px (v1.5 with the stride on the 3×3 reaches 427 as well).
	it('resnet50 layer4 output sees 427 px', () => {
		expect(buildGraph(preset('resnet50')).byId.get('layer4.2.relu3')!.receptiveField).toBe(427);
	});
});

describe('Identity Mappings (He et al. 2016), CIFAR-10 pre-activation nets', () => {
	// §5 / Table 6 of the paper: ResNet-164 1.7M and ResNet-1001 10.2M parameters. Those figures
	// are the conv and fc weights: with BN's γ and β (which timm counts, and so do we: 1,703,258 and
	// 10,327,706 in tests/fixtures/timm-reference.json) ResNet-1001 would read 10.3M.
	it.each([
		['preact_resnet164', 1.7, 164],
		['preact_resnet1001', 10.2, 1001]
	] as const)('%s: %sM conv + fc parameters, %i layers', (name, millions, depth) => {
		const g = buildGraph(preset(name));
		const weights = g.nodes
			.filter((n) => n.op === 'conv2d' || n.op === 'linear')
			.reduce((s, n) => s + n.params, 0);
		expect(Number((weights / 1e6).toFixed(1))).toBe(millions);
		// depth = weighted layers on the main path: the stem conv, 3 convs per block, the fc
		const mainConvs = g.nodes.filter((n) => n.op === 'conv2d' && n.path === 'main').length;
		expect(mainConvs + 1).toBe(depth);
	});
});

describe('families', () => {
	it('every preset has one, in the picker order', () => {
		expect([...new Set(PRESETS.map((p) => p.family))]).toEqual([...PRESET_FAMILIES]);
		expect(presetFamily('resnet50')).toBe('torchvision');
		expect(presetFamily('resnet50d')).toBe('timm');
		expect(presetFamily('resnetv2_50')).toBe('preact');
		expect(presetFamily('preact_resnet164')).toBe('preact');
		expect(presetFamily('resnet56')).toBe('cifar');
		expect(presetFamily('fashion-resnet')).toBe('bundled');
		expect(presetFamily('nope')).toBeUndefined();
	});
});
