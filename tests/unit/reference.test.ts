/**
 * Our graph against PyTorch, node by node. tests/fixtures/arch-reference.json is written by
 * tools/reference/arch_reference.py from Debian's python3-torchvision: torchvision's own
 * constructors for its presets, archspec_torch.SpecResNet (checked against torchvision where
 * torchvision can express the spec) for the rest. Every Conv2d, BatchNorm2d, Linear, pool and
 * option-A shortcut is matched by its module path (= our node id, DESIGN §3.2): output shape, params and MACs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS, buildGraph, canonicalSpec, presetSpec, type ArchSpec } from '../../src/lib/arch';

type Layer = [id: string, shape: number[], params: number, macs: number];
interface Case {
	name: string;
	note: string;
	source: string;
	spec: ArchSpec;
	totals: { params: number; buffers: number; macs: number };
	layers: Layer[];
	/** Measured by backpropagation: the side of the input region the last block's centre sees. */
	receptiveField?: { id: string; side: number };
}
const fixture = JSON.parse(
	readFileSync(new URL('../fixtures/arch-reference.json', import.meta.url), 'utf8')
) as { torch: string; torchvision: string; cases: Case[] };
const cases = fixture.cases;
const PYTHON = '/usr/bin/python3';
const hasTorch =
	existsSync(PYTHON) &&
	spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
// The ops the reference hooks: weighted layers, pools and option A's zero-pad shortcut.
const HOOKED = new Set(['conv2d', 'batchnorm', 'linear', 'maxpool', 'avgpool', 'zeropad']);

describe(`arch reference (torch ${fixture.torch}, torchvision ${fixture.torchvision})`, () => {
	// timm's variants and the pre-activation nets are checked against timm (timm-reference.test.ts).
	it('covers every torchvision, CIFAR and bundled preset', () => {
		const names = new Set(cases.filter((c) => c.note.startsWith('preset')).map((c) => c.name));
		const here = PRESETS.filter((p) => p.family !== 'timm' && p.family !== 'preact').map((p) => p.name);
		expect(here.filter((n) => !names.has(n))).toEqual([]);
	});

	it.each(cases.filter((c) => presetSpec(c.name) !== undefined).map((c) => [c.name, c] as const))(
		'preset %s is the reference spec',
		(name, c) => {
			expect(canonicalSpec(presetSpec(name)!)).toEqual(canonicalSpec(c.spec));
		}
	);

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

		// Same hooked layers, in the same (execution) order.
		const ours = g.nodes.filter((n) => HOOKED.has(n.op));
		expect(ours.map((n) => n.id)).toEqual(c.layers.map((l) => l[0]));
		for (const [id, shape, params, macs] of c.layers) {
			const n = g.byId.get(id)!;
			// PyTorch's own shapes, batch left out: fc (Linear) gives [classes], avgpool [C, 1, 1].
			expect({ id, shape: [...n.outShape], params: n.params, macs: n.macs }).toEqual({
				id,
				shape,
				params,
				macs
			});
		}
		// torch.flatten(x, 1) is no module (not hooked): fc's in_features, from its PyTorch params, is its size.
		if (c.spec.head.pool === 'flatten') {
			const [, [classes], fcParams] = c.layers.find((l) => l[0] === 'fc')!;
			expect([...g.byId.get('flatten')!.outShape]).toEqual([fcParams / classes - 1]);
		}
	});
});

// The builder the fixture was made with agrees with torchvision (keys, shapes and outputs).
describe.runIf(hasTorch)('tools/reference/archspec_torch.py', () => {
	it('self-check against torchvision passes', () => {
		const r = spawnSync(PYTHON, ['tools/reference/archspec_torch.py'], { encoding: 'utf8' });
		expect(r.status, r.stderr).toBe(0);
		expect(r.stdout).toMatch(/^ok: \d+ tensors agree with torchvision/);
	});
});
