import { describe, expect, it } from 'vitest';
import { buildGraph, compareGraphs, presetSpec, specDifferences, type ArchSpec } from '../../src/lib/arch';

const preset = (name: string): ArchSpec => {
	const s = presetSpec(name);
	if (!s) throw new Error(`no preset ${name}`);
	return s;
};
const graph = (s: ArchSpec) => buildGraph(s);

/**
 * Per-section params and MACs measured in PyTorch (Debian python3-torchvision 0.14): parameters
 * summed by top-level module (conv1+bn1 = stem, layerN, fc = head), MACs from forward hooks on
 * every Conv2d (H·W·C_out·C_in/groups·k²) and Linear; torchvision's own resnet50,
 * wide_resnet50_2 and resnet34, and tools/reference/archspec_torch.py's SpecResNet for the
 * stride-on-1×1, option A/B and plain variants.
 */
type Ref = { params: number[]; macs: number[] };
const REF: Record<string, Ref> = {
	resnet50: {
		params: [9536, 215808, 1219584, 7098368, 14964736, 2049000],
		macs: [118013952, 667942912, 1027604480, 1464336384, 809238528, 2048000]
	},
	wide_resnet50_2: {
		params: [9536, 634368, 3482624, 20736000, 41971712, 2049000],
		macs: [118013952, 1978138624, 2877292544, 4213178368, 2209349632, 2048000]
	},
	resnet50_1x1: {
		params: [9536, 215808, 1219584, 7098368, 14964736, 2049000],
		macs: [118013952, 667942912, 950534144, 1387266048, 732168192, 2048000]
	},
	resnet56_A: {
		params: [464, 42048, 162432, 647424, 650],
		macs: [442368, 42467328, 41287680, 41287680, 640]
	},
	resnet56_B: {
		params: [464, 42048, 163008, 649600, 650],
		macs: [442368, 42467328, 41418752, 41418752, 640]
	},
	resnet34: {
		params: [9536, 221952, 1116416, 6822400, 13114368, 513000],
		macs: [118013952, 693633024, 873463808, 1335885824, 642252800, 512000]
	},
	plain34: {
		params: [9536, 221952, 1107968, 6789120, 12982272, 513000],
		macs: [118013952, 693633024, 867041280, 1329463296, 635830272, 512000]
	}
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Checks every section of a comparison against the references of its two sides. */
function expectAgainst(rows: ReturnType<typeof compareGraphs>, a: Ref, b: Ref) {
	const sections = rows.filter((r) => r.id !== 'total');
	expect(sections.map((r) => r.a!.params)).toEqual(a.params);
	expect(sections.map((r) => r.b!.params)).toEqual(b.params);
	expect(sections.map((r) => r.a!.macs)).toEqual(a.macs);
	expect(sections.map((r) => r.b!.macs)).toEqual(b.macs);
	expect(sections.map((r) => r.delta.params)).toEqual(b.params.map((p, i) => p - a.params[i]));
	expect(sections.map((r) => r.delta.macs)).toEqual(b.macs.map((m, i) => m - a.macs[i]));
	const total = rows.at(-1)!;
	expect(total.id).toBe('total');
	expect(total.delta.params).toBe(sum(b.params) - sum(a.params));
	expect(total.delta.macs).toBe(sum(b.macs) - sum(a.macs));
}

describe('compareGraphs against PyTorch', () => {
	it('resnet50 vs wide_resnet50_2: the widened 3×3s add 43,326,208 params, same shapes', () => {
		const rows = compareGraphs(graph(preset('resnet50')), graph(preset('wide_resnet50_2')));
		expect(rows.map((r) => r.id)).toEqual(['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head', 'total']);
		expectAgainst(rows, REF.resnet50, REF.wide_resnet50_2);
		// torchvision: 68,883,240 − 25,557,032
		expect(rows.at(-1)!.delta.params).toBe(68_883_240 - 25_557_032);
		expect(rows.every((r) => !r.shapeChanged)).toBe(true);
		expect(rows.slice(1, 5).map((r) => r.b!.outShape)).toEqual([
			[256, 56, 56],
			[512, 28, 28],
			[1024, 14, 14],
			[2048, 7, 7]
		]);
	});

	it('stride on 3×3 vs 1×1: same params, the 1×1 saves MACs in layer2–4', () => {
		const s = preset('resnet50');
		const rows = compareGraphs(graph(s), graph({ ...s, strideOn: '1x1' }));
		expectAgainst(rows, REF.resnet50, REF.resnet50_1x1);
		expect(rows.at(-1)!.b!.macs).toBe(3_857_973_248); // the paper's 3.8×10⁹ (exact count)
	});

	it('option A vs B (resnet56): projections only where the shape changes', () => {
		const s = preset('resnet56');
		const rows = compareGraphs(graph(s), graph({ ...s, shortcut: 'B' }));
		expectAgainst(rows, REF.resnet56_A, REF.resnet56_B);
	});

	it('residual vs plain (resnet34): the plain net drops the three projections', () => {
		const s = preset('resnet34');
		const rows = compareGraphs(graph(s), graph({ ...s, residual: false }));
		expectAgainst(rows, REF.resnet34, REF.plain34);
		expect(rows.find((r) => r.id === 'layer2')!.a!.blocks).toBe(4);
	});

	it("the head's output is fc's, [classes] as PyTorch's Linear gives it: 1000 vs 10 classes", () => {
		const s = preset('resnet50');
		const rows = compareGraphs(graph(s), graph({ ...s, head: { ...s.head, classes: 10 } }));
		const head = rows.find((r) => r.id === 'head')!;
		// torch: resnet50().fc(x).shape[1:] = [1000]; nn.Linear(2048, 10) gives [10]
		expect([head.a!.outShape, head.b!.outShape]).toEqual([[1000], [10]]);
		expect(head.shapeChanged).toBe(true);
		expect(rows.find((r) => r.id === 'layer4')!.shapeChanged).toBe(false);
		// params of the head: 2048·10 + 10
		expect(head.b!.params).toBe(20_490);
	});

	it('post vs pre-activation (resnet50 vs resnetv2_50): stage i meets stage i whatever the ids', () => {
		// timm 1.0.29 resnetv2_50, params summed per module: stem 9,408, stages.0–3, head = norm + head.fc.
		const v2 = [9408, 214912, 1218048, 7095296, 14958592, 4096 + 2049000];
		const rows = compareGraphs(graph(preset('resnet50')), graph(preset('resnetv2_50')));
		expect(rows.map((r) => r.id)).toEqual(['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head', 'total']);
		expect(rows.slice(0, -1).map((r) => r.a!.params)).toEqual(REF.resnet50.params);
		expect(rows.slice(0, -1).map((r) => r.b?.params)).toEqual(v2);
		expect(rows.at(-1)!.delta.params).toBe(25_549_352 - 25_557_032);
	});

	it('networks with different stage counts: the missing side counts as zero', () => {
		const a = preset('resnet50');
		const b: ArchSpec = { ...a, stages: a.stages.slice(0, 3) };
		const rows = compareGraphs(graph(a), graph(b));
		const l4 = rows.find((r) => r.id === 'layer4')!;
		expect(l4.b).toBeNull();
		expect(l4.delta.params).toBe(-REF.resnet50.params[4]);
		expect(l4.shapeChanged).toBe(true);
	});
});

describe('the ResNet family', () => {
	it('post vs pre activation: stages are matched by position and named layer1 …', () => {
		const rows = compareGraphs(graph(preset('resnet50')), graph(preset('resnetv2_50')));
		expect(rows.map((r) => r.id)).toEqual(['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head', 'total']);
		expect(rows.every((r) => r.a !== null && r.b !== null)).toBe(true);
		// timm: resnetv2_50 has 25,549,352 params, resnet50 25,557,032 (tests/fixtures/timm-reference.json)
		expect(rows.find((r) => r.id === 'total')!.delta.params).toBe(25_549_352 - 25_557_032);
	});

	it('two pre-activation nets keep their stage ids', () => {
		const rows = compareGraphs(graph(preset('resnetv2_50')), graph(preset('resnetv2_50d')));
		expect(rows.map((r) => r.id).slice(1, 5)).toEqual(['stages.0', 'stages.1', 'stages.2', 'stages.3']);
	});

	it('specDifferences names the optional fields either side sets, with their defaults', () => {
		const r50 = preset('resnet50');
		expect(specDifferences(r50, preset('seresnet50'))).toEqual([
			{ path: 'attention', a: 'none', b: '{"kind":"se","ratio":0.0625,"divisor":8}' }
		]);
		expect(specDifferences(preset('seresnet50'), r50)).toEqual([
			{ path: 'attention', a: '{"kind":"se","ratio":0.0625,"divisor":8}', b: 'none' }
		]);
		expect(specDifferences(r50, preset('resnet50d'))).toEqual([
			{ path: 'stem.kind', a: 'imagenet', b: 'deep' },
			{ path: 'shortcut', a: 'B', b: 'D' }
		]);
		expect(specDifferences(r50, preset('resnetv2_50'))).toEqual([{ path: 'order', a: 'post', b: 'pre' }]);
		expect(specDifferences(preset('resnet50d'), preset('resnetrs50')).map((d) => [d.path, d.a, d.b])).toEqual(
			[
				['stem.pool', 'max', 'conv'],
				['attention', 'none', '{"kind":"se","ratio":0.25,"divisor":8}']
			]
		);
		expect(specDifferences(r50, { ...r50, dropPath: 0.1 })).toEqual([{ path: 'dropPath', a: '0', b: '0.1' }]);
		const se = preset('seresnet50');
		expect(specDifferences(se, { ...se, attention: { kind: 'eca', gamma: 2, beta: 1 } })).toEqual([
			{
				path: 'attention',
				a: '{"kind":"se","ratio":0.0625,"divisor":8}',
				b: '{"kind":"eca","gamma":2,"beta":1}'
			}
		]);
		expect(specDifferences(se, { ...se, attention: { kind: 'se', ratio: 0.25, divisor: 8 } })).toEqual([
			{ path: 'attention.ratio', a: '0.0625', b: '0.25' }
		]);
	});
});

describe('specDifferences', () => {
	it('names each changed field by its SpecError path, ignoring the name', () => {
		const a = preset('resnet50');
		expect(specDifferences(a, preset('resnet101'))).toEqual([{ path: 'stages[2].blocks', a: '6', b: '23' }]);
		expect(specDifferences(a, { ...a, strideOn: '1x1', name: 'x' })).toEqual([
			{ path: 'strideOn', a: '3x3', b: '1x1' }
		]);
		expect(specDifferences(a, a)).toEqual([]);
		const three = { ...a, stages: a.stages.slice(0, 3) };
		expect(specDifferences(a, three)).toEqual([{ path: 'stages.length', a: '4', b: '3' }]);
	});
});
