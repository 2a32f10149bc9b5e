/**
 * timm's ResNet-family checkpoints read as their networks (issue 12). The references are timm's
 * own state_dicts: tests/fixtures/family/timm-state-dicts.json holds the keys and shapes (no
 * values) and parameter counts of timm 1.0.29's constructors, written by
 * tools/reference/timm_state_dicts.py. Each must come back as the network timm built — the spec
 * its constructor arguments say, and timm's parameter count — loaded by name.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGraph, canonicalSpec, type ArchSpec, type Attention } from '../../src/lib/arch/index';
import {
	WeightsError,
	inferArchitecture,
	readCheckpoint,
	type InferredNetwork,
	type TensorMap
} from '../../src/lib/weights/index';

interface TimmModel {
	params: number;
	keys: [string, number[]][];
}
const FIXTURE = JSON.parse(
	readFileSync(join(import.meta.dirname, '..', 'fixtures', 'family', 'timm-state-dicts.json'), 'utf8')
) as { timm: string; models: Record<string, TimmModel> };

const ZEROS = new Float32Array(3_000_000);
/** The checkpoint timm writes for `name` (zeros: the inference reads names and shapes only). */
function timmStateDict(
	name: string,
	edit: (keys: [string, number[]][]) => [string, number[]][] = (k) => k
): TensorMap {
	const out: TensorMap = new Map();
	for (const [key, shape] of edit(FIXTURE.models[name].keys))
		out.set(key, {
			shape,
			data: ZEROS.subarray(
				0,
				shape.reduce((a, b) => a * b, 1)
			)
		});
	return out;
}

const SE_16: Attention = { kind: 'se', ratio: 1 / 16, divisor: 8 };
/** The spec timm's constructor arguments say (timm/models/resnet.py, resnetv2.py). */
function timmSpec(
	name: string,
	o: {
		stem?: ArchSpec['stem'];
		block: 'basic' | 'bottleneck';
		layers: number[];
		groups?: number;
		widthPerGroup?: number;
		shortcut?: 'B' | 'D';
		attention?: Attention;
		order?: 'pre';
	}
): ArchSpec {
	return {
		name,
		input: { channels: 3, height: 224, width: 224 },
		stem: o.stem ?? { kind: 'imagenet', width: 64 },
		block: o.block,
		expansion: o.block === 'basic' ? 1 : 4,
		groups: o.groups ?? 1,
		widthPerGroup: o.widthPerGroup ?? 64,
		stages: o.layers.map((blocks, i) => ({ blocks, width: 64 << i, stride: i === 0 ? 1 : 2 })),
		shortcut: o.shortcut ?? 'B',
		strideOn: '3x3',
		residual: true,
		convBias: false,
		head: { pool: 'avg', classes: 1000 },
		...(o.attention ? { attention: o.attention } : {}),
		...(o.order ? { order: o.order } : {})
	};
}
const DEEP = { kind: 'deep', width: 64 } as const;
const R50 = [3, 4, 6, 3];
const EXPECTED: Record<string, ArchSpec> = {
	resnet50: timmSpec('resnet50', { block: 'bottleneck', layers: R50 }),
	resnet18d: timmSpec('resnet18d', { stem: DEEP, block: 'basic', layers: [2, 2, 2, 2], shortcut: 'D' }),
	resnet34d: timmSpec('resnet34d', { stem: DEEP, block: 'basic', layers: R50, shortcut: 'D' }),
	resnet26t: timmSpec('resnet26t', {
		stem: { kind: 'deep_tiered', width: 64 },
		block: 'bottleneck',
		layers: [2, 2, 2, 2],
		shortcut: 'D'
	}),
	resnet50c: timmSpec('resnet50c', { stem: DEEP, block: 'bottleneck', layers: R50 }),
	resnet50s: timmSpec('resnet50s', { stem: { kind: 'deep', width: 128 }, block: 'bottleneck', layers: R50 }),
	resnet50d: timmSpec('resnet50d', { stem: DEEP, block: 'bottleneck', layers: R50, shortcut: 'D' }),
	seresnet50: timmSpec('seresnet50', { block: 'bottleneck', layers: R50, attention: SE_16 }),
	seresnext50_32x4d: timmSpec('seresnext50_32x4d', {
		block: 'bottleneck',
		layers: R50,
		groups: 32,
		widthPerGroup: 4,
		attention: SE_16
	}),
	ecaresnet50d: timmSpec('ecaresnet50d', {
		stem: DEEP,
		block: 'bottleneck',
		layers: R50,
		shortcut: 'D',
		attention: { kind: 'eca', gamma: 2, beta: 1 }
	}),
	resnetrs50: timmSpec('resnetrs50', {
		stem: { kind: 'deep', width: 64, pool: 'conv' },
		block: 'bottleneck',
		layers: R50,
		shortcut: 'D',
		attention: { kind: 'se', ratio: 1 / 4, divisor: 8 }
	}),
	resnetv2_18: timmSpec('resnetv2_18', { block: 'basic', layers: [2, 2, 2, 2], order: 'pre' }),
	resnetv2_50: timmSpec('resnetv2_50', { block: 'bottleneck', layers: R50, order: 'pre' }),
	resnetv2_50d: timmSpec('resnetv2_50d', {
		stem: DEEP,
		block: 'bottleneck',
		layers: R50,
		shortcut: 'D',
		order: 'pre'
	})
};

const json = (s: ArchSpec) => JSON.stringify(canonicalSpec(s));
const refusal = (f: () => unknown): WeightsError => {
	try {
		f();
	} catch (e) {
		if (e instanceof WeightsError) return e;
		throw e;
	}
	throw new Error('not refused');
};

it('the fixture was written by timm 1.0.29 and holds every model expected here', () => {
	expect(FIXTURE.timm).toBe('1.0.29');
	expect(Object.keys(FIXTURE.models).sort()).toEqual(Object.keys(EXPECTED).sort());
});

describe("timm's state_dicts come back as timm's networks, loaded by name", () => {
	for (const [name, want] of Object.entries(EXPECTED))
		it(name, () => {
			const r: InferredNetwork = inferArchitecture(timmStateDict(name), { name });
			expect(json(r.spec)).toBe(json(want));
			expect(r.mapping).toBeNull();
			expect(r.extras).toEqual([]);
			const graph = buildGraph(r.spec);
			expect(graph.totals.params).toBe(FIXTURE.models[name].params);
			// every tensor of the file is used, under its own name (head.fc as the fc's 2-D weight)
			const used = FIXTURE.models[name].keys.filter(([k]) => !k.endsWith('num_batches_tracked'));
			expect([...r.tensors.keys()].sort()).toEqual(used.map(([k]) => k).sort());
		});
});

it('the same names in a safetensors file’s sorted order read the same network', () => {
	for (const name of ['resnetrs50', 'resnetv2_50d', 'ecaresnet50d']) {
		const sorted = timmStateDict(name, (keys) => [...keys].sort(([a], [b]) => (a < b ? -1 : 1)));
		const r = inferArchitecture(sorted, { name, sortedNames: true });
		expect(json(r.spec)).toBe(json(EXPECTED[name]));
	}
});

it('an odd input size is taken as given (timm nets pool to 1×1 at any size)', () => {
	const r = inferArchitecture(timmStateDict('resnet50d'), { input: { height: 65, width: 71 } });
	expect(r.spec.input).toEqual({ channels: 3, height: 65, width: 71 });
	expect(r.spec.shortcut).toBe('D');
});

describe('what the weights cannot say is listed in `assumed`', () => {
	it("SE: several (ratio, divisor) pairs give seresnet50's widths; timm's default 1/16, 8 is taken and the others named", () => {
		const r = inferArchitecture(timmStateDict('seresnet50'));
		const a = r.assumed.find((x) => x.path === 'attention');
		expect(a?.value).toEqual(SE_16);
		expect(a?.reason).toMatch(/^SE ratio 1\/16, divisor 8: \d+ other pairs \(1\/16, 1; /);
	});
	it('ResNet-RS: 1/4 with divisor 8 (timm’s), ambiguity listed', () => {
		const r = inferArchitecture(timmStateDict('resnetrs50'));
		expect(r.assumed.find((x) => x.path === 'attention')?.value).toEqual({
			kind: 'se',
			ratio: 0.25,
			divisor: 8
		});
		expect(r.assumed.find((x) => x.path === 'stem.kind')?.reason).toMatch(
			/^three 3×3 convs of widths 32, 32, 64: timm's deep stem.*; a 3×3 conv \+ BN in place of the max pool \(maxpool\.0\)/
		);
	});
	it('resnetv2: the average pool of a pre-activation projection holds no weights: D with a deep stem, B with 7×7, said so', () => {
		for (const [name, sc] of [
			['resnetv2_50', 'B'],
			['resnetv2_50d', 'D']
		] as const) {
			const r = inferArchitecture(timmStateDict(name));
			expect(r.assumed.find((x) => x.path === 'shortcut')).toMatchObject({ value: sc });
		}
	});
});

describe('what no ArchSpec expresses is refused, naming the tensor', () => {
	const drop = (name: string, pred: (k: string) => boolean) =>
		timmStateDict(name, (keys) => keys.filter(([k]) => !pred(k)));
	it('SE on some blocks only', () => {
		const e = refusal(() => inferArchitecture(drop('seresnet50', (k) => k.startsWith('layer2.1.se.'))));
		expect(e.tensor).toBe('layer2.1.conv1.weight');
		expect(e.message).toMatch(/block layer2\.1 has no SE module while layer1\.0 has one/);
	});
	it("ECA with a bias (timm's use_mlp experiment)", () => {
		const sd = timmStateDict('ecaresnet50d');
		sd.set('layer1.0.se.conv.bias', { shape: [1], data: new Float32Array(1) });
		expect(refusal(() => inferArchitecture(sd)).message).toMatch(/the ECA module of layer1\.0 has a bias/);
	});
	it('an SE width no ratio gives', () => {
		const sd = timmStateDict('seresnet50', (keys) =>
			keys.map(([k, s]): [string, number[]] =>
				k === 'layer1.0.se.fc1.weight'
					? [k, [24, 256, 1, 1]]
					: k === 'layer1.0.se.fc1.bias'
						? [k, [24]]
						: k === 'layer1.0.se.fc2.weight'
							? [k, [256, 24, 1, 1]]
							: [k, s]
			)
		);
		expect(refusal(() => inferArchitecture(sd)).message).toMatch(
			/the SE widths \(256 → 24, .*\) fit no reduction ratio/
		);
	});
	it('a B projection in one block and a D one in another', () => {
		const sd = timmStateDict('resnet50d', (keys) =>
			keys.map(([k, s]): [string, number[]] => [
				k.replace(/^layer3\.0\.downsample\.1\./, 'layer3.0.downsample.0.'),
				s
			])
		);
		expect(refusal(() => inferArchitecture(sd)).message).toMatch(/one shortcut option for the whole network/);
	});
	it('a deep stem whose widths are neither deep nor tiered', () => {
		const sd = timmStateDict('resnet50d', (keys) =>
			keys.map(([k, s]): [string, number[]] =>
				k === 'conv1.0.weight'
					? [k, [16, 3, 3, 3]]
					: k.startsWith('conv1.1.')
						? [k, [16]]
						: k === 'conv1.3.weight'
							? [k, [32, 16, 3, 3]]
							: [k, s]
			)
		);
		expect(refusal(() => inferArchitecture(sd)).message).toMatch(
			/widths 16, 32, 64: neither timm's deep stem \(32, 32, 64\) nor its tiered one \(24, 32, 64\)/
		);
	});
	it('resnetv2 without pre-activation (a stem norm)', () => {
		const sd = timmStateDict('resnetv2_50');
		sd.set('stem.norm.weight', { shape: [64], data: new Float32Array(64) });
		expect(refusal(() => inferArchitecture(sd)).message).toMatch(/preact=False/);
	});
	it('a conv the layout does not have is refused, not dropped', () => {
		const sd = timmStateDict('resnet50d');
		sd.set('layer1.0.conv4.weight', { shape: [256, 256, 1, 1], data: new Float32Array(65536) });
		expect(refusal(() => inferArchitecture(sd)).tensor).toMatch(/^layer1\./);
	});
	it('a deep stem under other names is still refused with a pointer to timm’s names', () => {
		const sd = timmStateDict('resnet18d', (keys) =>
			keys.map(([k, s]): [string, number[]] => [k.replace(/^conv1\.(\d)\./, 'stem.s$1.'), s])
		);
		expect(refusal(() => inferArchitecture(sd)).message).toMatch(
			/read under timm’s names only: conv1\.0, conv1\.3, conv1\.6/
		);
	});
});

describe("the runtime cases' checkpoints (timm's models, reduced widths) read as the specs timm built them from", () => {
	const dir = join(import.meta.dirname, '..', 'fixtures', 'family', 'runtime');
	for (const name of readdirSync(dir))
		it(name, () => {
			const want = JSON.parse(readFileSync(join(dir, name, 'spec.json'), 'utf8')) as ArchSpec;
			const file = readCheckpoint(new Uint8Array(readFileSync(join(dir, name, 'weights.safetensors'))));
			const r = inferArchitecture(file.tensors, { name, input: want.input, sortedNames: file.sortedNames });
			expect(json(r.spec)).toBe(json(want));
		});
});
