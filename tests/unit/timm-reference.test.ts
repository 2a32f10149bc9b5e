/**
 * The ResNet family against timm 1.0.29, module by module. tests/fixtures/timm-reference.json is
 * written by tools/reference/timm_reference.py from timm itself (timm.create_model for timm's
 * names; timm's ResNet / ResNetV2 modules for the knob specs and the Identity Mappings CIFAR nets)
 * and checked in CI against timm; this test reads only the fixture (vitest never needs timm).
 *
 * Every module timm runs is matched to our node: modules with weights by their exact path (our
 * node id = timm's module path, so its checkpoints load as they are), the others by the rules in
 * `ourId` (timm's ReLUs `act1`… are our `relu1`…; the SE/ECA module's output is our `se.scale`;
 * the classifier's pool is `avgpool`). Output shape, params and MACs must agree, and every node
 * of ours that computes must have its timm module.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
	PRESETS,
	buildGraph,
	canonicalSpec,
	presetSpec,
	type ArchSpec,
	type BlockGraph,
	type GraphNode
} from '../../src/lib/arch';

type Layer = [path: string, type: string, shape: number[], params: number, macs: number];
interface Case {
	name: string;
	note: string;
	source: string;
	patches?: string[];
	spec: ArchSpec;
	totals: { params: number; buffers: number; macs: number };
	weightedOnly?: true;
	layers: Layer[];
	receptiveField?: { id: string; side: number };
}
const fixture = JSON.parse(
	readFileSync(new URL('../fixtures/timm-reference.json', import.meta.url), 'utf8')
) as { timm: string; torch: string; cases: Case[] };
const cases = fixture.cases;

/** Our node id for a timm module path (weighted modules: the same path). */
function ourId(path: string, type: string): string {
	if (type === 'SEModule' || type === 'EcaModule') return `${path}.scale`;
	if (path === 'act1') return 'relu';
	if (path === 'global_pool.pool') return 'avgpool';
	if (path === 'head.global_pool.pool') return 'head.global_pool';
	const act = /^(layer\d+\.\d+)\.act(\d)$/.exec(path);
	if (act) return `${act[1]}.relu${act[2]}`;
	return path;
}

/**
 * Our shape for a module's output: ECA's Conv1d and its gate hold the pooled channels as [1, C]
 * (we keep [C, 1, 1]); resnetv2's head.fc is a 1×1 Conv2d ([classes, 1, 1]) where ours is a
 * Linear ([classes]: the same weights, reshaped).
 */
function ourShape(c: Case, l: Layer): number[] {
	const [path, type, shape] = l;
	if (type === 'Conv1d' || (path.endsWith('.se.gate') && shape.length === 2)) return [shape[1], 1, 1];
	if (path === 'head.fc') return [shape[0]];
	void c;
	return shape;
}

/** Our nodes that compute something a timm module outputs (not the input, the add or SE's mean). */
function computing(g: BlockGraph, weightedOnly: boolean): GraphNode[] {
	return g.nodes.filter(
		(n) =>
			n.op !== 'input' &&
			n.op !== 'add' &&
			!(n.op === 'avgpool' && n.path === 'attention') &&
			(!weightedOnly || n.params > 0)
	);
}

describe(`timm reference (timm ${fixture.timm}, torch ${fixture.torch})`, () => {
	it('covers every timm and pre-activation preset', () => {
		const names = new Set(cases.filter((c) => c.note.startsWith('preset')).map((c) => c.name));
		const family = PRESETS.filter((p) => p.family === 'timm' || p.family === 'preact').map((p) => p.name);
		expect(family.filter((n) => !names.has(n))).toEqual([]);
		expect([...names].filter((n) => !family.includes(n))).toEqual([]);
	});

	it.each(cases.filter((c) => c.note.startsWith('preset')).map((c) => [c.name, c] as const))(
		'preset %s is the reference spec',
		(name, c) => {
			expect(canonicalSpec(presetSpec(name)!)).toEqual(canonicalSpec(c.spec));
		}
	);

	// The numbers, measured with timm by whoever filed it: the fixture must hold them.
	it.each([
		['resnet50d', 25_576_264, 4_328_824_832],
		['seresnet50', 28_088_024, 4_091_699_200],
		['ecaresnet50d', 25_576_350, 4_328_912_640],
		['resnetrs50', 35_691_912, 4_454_490_112],
		['resnetv2_50', 25_549_352, 4_089_184_256]
	] as const)('%s: %i params, %i MACs (issue 12)', (name, params, macs) => {
		const c = cases.find((x) => x.name === name)!;
		expect([c.totals.params, c.totals.macs]).toEqual([params, macs]);
		const g = buildGraph(presetSpec(name)!);
		expect([g.totals.params, g.totals.macs]).toEqual([params, macs]);
	});

	it.each(cases.filter((c) => c.receptiveField).map((c) => [c.name, c] as const))(
		'%s: receptive field of the last block',
		(_name, c) => {
			const g = buildGraph(c.spec);
			const block = g.stages.at(-1)!.blocks.at(-1)!;
			expect(block.id).toBe(c.receptiveField!.id);
			expect(g.byId.get(block.nodeIds.at(-1)!)!.receptiveField).toBe(c.receptiveField!.side);
		}
	);

	it.each(cases.map((c) => [c.name, c.note, c] as const))('%s (%s)', (_name, _note, c) => {
		const g = buildGraph(c.spec);
		expect({ params: g.totals.params, buffers: g.totals.buffers, macs: g.totals.macs }).toEqual(c.totals);

		// Every timm module is one node of ours, with its shape, params and MACs.
		const mapped = c.layers.map((l) => ({ id: ourId(l[0], l[1]), l }));
		for (const { id, l } of mapped) {
			const n = g.byId.get(id);
			expect(n, `${l[0]} (${l[1]}) → ${id}`).toBeDefined();
			expect({ id, shape: [...n!.outShape], params: n!.params, macs: n!.macs }).toEqual({
				id,
				shape: ourShape(c, l),
				params: l[3],
				macs: l[4]
			});
		}
		// … and every node of ours that computes is one timm module.
		const ours = computing(g, c.weightedOnly === true).map((n) => n.id);
		expect([...ours].sort()).toEqual(mapped.map((m) => m.id).sort());
	});
});

describe("shortcut D's pool (PyTorch's ceil mode)", () => {
	const rows = (
		JSON.parse(readFileSync(new URL('../fixtures/timm-reference.json', import.meta.url), 'utf8')) as {
			ceilPool: [number, number, number][];
		}
	).ceilPool;
	it.each(rows)('side %i, stride %i → %i', (side, stride, out) => {
		const spec: ArchSpec = {
			...presetSpec('resnet18d')!,
			input: { channels: 3, height: 8, width: 8 },
			stem: { kind: 'cifar', width: 8 },
			stages: [
				{ blocks: 1, width: 8, stride: 1 },
				{ blocks: 1, width: 16, stride }
			]
		};
		// The pool reads stage 1's map: side × side when the input is, with a cifar stem (stride 1).
		const g = buildGraph({ ...spec, input: { channels: 3, height: side, width: side } });
		expect(g.byId.get('layer2.0.downsample.0')!.outShape).toEqual([8, out, out]);
	});
});
