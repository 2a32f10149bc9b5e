import { describe, expect, it } from 'vitest';
import {
	blockId,
	buildGraph,
	groupIds,
	groupOutput,
	groupsHolding,
	isGroupId,
	presetSpec,
	stageId,
	stageIndexOf
} from '../../src/lib/arch';
import { layerRows } from '../../src/lib/state/layer-rows';

const g50 = buildGraph(presetSpec('resnet50')!);
const order = { key: 'order', dir: 1 } as const;

describe('layer table rows', () => {
	it('collapsed: stem layers, one row per stage, the head (torchvision module order)', () => {
		const rows = layerRows(g50, new Set(), order);
		expect(rows.map((r) => r.id)).toEqual([
			'conv1',
			'bn1',
			'relu',
			'maxpool',
			'layer1',
			'layer2',
			'layer3',
			'layer4',
			'avgpool',
			'fc'
		]);
	});

	it('an open stage lists its blocks; an open block its layers, downsample included', () => {
		const rows = layerRows(g50, new Set(['layer2', 'layer2.0']), order);
		const ids = rows.map((r) => r.id);
		// torchvision resnet50: layer2 has 4 Bottlenecks; layer2.0 has conv1..3, bn1..3, downsample.0/1
		expect(ids.filter((id) => /^layer2\.\d$/.test(id))).toEqual([
			'layer2.0',
			'layer2.1',
			'layer2.2',
			'layer2.3'
		]);
		for (const id of ['layer2.0.conv1', 'layer2.0.conv3', 'layer2.0.downsample.0', 'layer2.0.downsample.1'])
			expect(ids).toContain(id);
		expect(ids).not.toContain('layer2.1.conv1');
		expect(rows.find((r) => r.id === 'layer2.0.conv2')!.depth).toBe(2);
	});

	it('expanding everything lists every node but the input, in order', () => {
		const g = buildGraph(presetSpec('resnet1202')!);
		const rows = layerRows(g, new Set(groupIds(g)), order).filter((r) => r.kind === 'node');
		expect(rows.map((r) => r.id)).toEqual(g.nodes.slice(1).map((n) => n.id));
		// 3 stages × 200 blocks
		expect(groupIds(g)).toHaveLength(3 + 600);
	});

	it('sorted: a flat list of layers; params descending puts layer4 3×3s first (2,359,296 each)', () => {
		const rows = layerRows(g50, new Set(), { key: 'params', dir: -1 });
		expect(rows).toHaveLength(g50.nodes.length - 1);
		expect(rows.every((r) => r.kind === 'node')).toBe(true);
		// torchvision: layer4.*.conv2 is 512·512·3·3 = 2,359,296; fc 2,049,000; downsample 2048·1024 = 2,097,152
		expect(rows.slice(0, 3).map((r) => r.id)).toEqual(['layer4.0.conv2', 'layer4.1.conv2', 'layer4.2.conv2']);
		expect(rows[3].id).toBe('layer4.0.downsample.0');
		const asc = layerRows(g50, new Set(), { key: 'rf', dir: 1 });
		expect(asc[0].id).toBe('conv1');
	});

	it('ancestors: what to open to show a node, block or stage', () => {
		expect(groupsHolding(g50, 'layer3.4.bn2', false)).toEqual(['layer3', 'layer3.4']);
		expect(groupsHolding(g50, 'layer3.4', false)).toEqual(['layer3']);
		expect(groupsHolding(g50, 'layer3', false)).toEqual([]);
		expect(groupsHolding(g50, 'fc', false)).toEqual([]);
	});
});

describe('group outputs (DESIGN §3.2: a group as a target means its output)', () => {
	// torchvision's resnet50: layer1 ends in layer1.2 (3 blocks), whose output is its last ReLU
	// (module `layer1.2.relu`, applied after the add); the stem ends in maxpool, the head in fc.
	const g = buildGraph(presetSpec('resnet50')!);
	it('maps blocks, stages, stem and head to their last node', () => {
		expect(groupOutput(g, 'layer1.0')).toBe('layer1.0.relu3');
		expect(groupOutput(g, 'layer1')).toBe('layer1.2.relu3');
		expect(groupOutput(g, 'layer4')).toBe('layer4.2.relu3');
		expect(groupOutput(g, 'stem')).toBe('maxpool');
		expect(groupOutput(g, 'head')).toBe('fc');
		expect(groupOutput(g, 'layer2.0.conv1')).toBe('layer2.0.conv1');
		expect(groupOutput(g, 'layer9')).toBeNull();
		expect(isGroupId(g, 'layer3')).toBe(true);
		expect(isGroupId(g, 'layer3.0.conv1')).toBe(false);
	});
	it('names stages and blocks as torchvision does', () => {
		expect(stageId(0)).toBe('layer1');
		expect(blockId(2, 5)).toBe('layer3.5');
		expect(stageIndexOf('layer3.5')).toBe(2);
		expect(stageIndexOf('fc')).toBeNull();
		expect(groupIds(g, true)).toEqual([
			'stem',
			...g.stages.flatMap((s) => [s.id, ...s.blocks.map((b) => b.id)]),
			'head'
		]);
	});
});
