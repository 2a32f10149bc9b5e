import { describe, expect, it } from 'vitest';
import { buildGraph, presetSpec } from '../../src/lib/arch';
import { defaultExpanded, layoutDiagram } from '../../src/lib/viz/layout';
import { diagramTree, treeKey } from '../../src/lib/viz/tree';

// resnet18 (He et al. 2015, Table 1; torchvision.models.resnet18): input, stem, four stages of two
// basic blocks (layer1.0, layer1.1, …), head. Opened at its blocks, the tree reads input, stem,
// layer1 (open) with its two blocks, layer2 …, head.
const g = buildGraph(presetSpec('resnet18')!);
const tree = diagramTree(layoutDiagram(g, defaultExpanded(g)));

describe('diagram tree (keyboard)', () => {
	it('reads in flow order with each item placed among its siblings', () => {
		expect(tree.order.map((it) => it.id)).toEqual([
			'input',
			'stem',
			'layer1',
			'layer1.0',
			'layer1.1',
			'layer2',
			'layer2.0',
			'layer2.1',
			'layer3',
			'layer3.0',
			'layer3.1',
			'layer4',
			'layer4.0',
			'layer4.1',
			'head'
		]);
		// Top level: input, stem, layer1–4, head (7); a stage holds 2 blocks.
		expect(tree.place.get('layer2')).toEqual({ pos: 4, size: 7 });
		expect(tree.place.get('head')).toEqual({ pos: 7, size: 7 });
		expect(tree.place.get('layer3.1')).toEqual({ pos: 2, size: 2 });
	});

	it('arrows move, open, enter, leave and close as in the APG tree view', () => {
		expect(treeKey(tree, 'input', 'ArrowDown')).toEqual({ do: 'focus', id: 'stem' });
		expect(treeKey(tree, 'input', 'ArrowUp')).toBeNull();
		expect(treeKey(tree, 'layer2', 'ArrowUp')).toEqual({ do: 'focus', id: 'layer1.1' });
		expect(treeKey(tree, 'head', 'ArrowDown')).toBeNull();
		expect(treeKey(tree, 'layer3.0', 'Home')).toEqual({ do: 'focus', id: 'input' });
		expect(treeKey(tree, 'layer3.0', 'End')).toEqual({ do: 'focus', id: 'head' });
		// A closed group opens; an open one is entered; a layer-less input does nothing.
		expect(treeKey(tree, 'layer1.0', 'ArrowRight')).toEqual({ do: 'open', id: 'layer1.0' });
		expect(treeKey(tree, 'layer1', 'ArrowRight')).toEqual({ do: 'focus', id: 'layer1.0' });
		expect(treeKey(tree, 'input', 'ArrowRight')).toBeNull();
		// ← closes an open group, or goes up to the parent.
		expect(treeKey(tree, 'layer1', 'ArrowLeft')).toEqual({ do: 'close', id: 'layer1' });
		expect(treeKey(tree, 'layer1.1', 'ArrowLeft')).toEqual({ do: 'focus', id: 'layer1' });
		expect(treeKey(tree, 'stem', 'ArrowLeft')).toBeNull();
		expect(treeKey(tree, 'layer1.1', '+')).toEqual({ do: 'open', id: 'layer1.1' });
		expect(treeKey(tree, 'layer1.1', '-')).toBeNull();
		expect(treeKey(tree, 'layer1', '-')).toEqual({ do: 'close', id: 'layer1' });
		expect(treeKey(tree, 'layer1.1', 'Enter')).toEqual({ do: 'select', id: 'layer1.1' });
		expect(treeKey(tree, 'layer1.1', 'x')).toBeNull();
		expect(treeKey(tree, 'nope', 'ArrowDown')).toBeNull();
	});

	it('an open block is entered at its first layer, and its layers lead back to it', () => {
		const open = diagramTree(layoutDiagram(g, new Set([...defaultExpanded(g), 'layer2.0'])));
		// torchvision BasicBlock: conv1, bn1, relu, conv2, bn2, (add), relu; downsample.0/.1 beside.
		expect(treeKey(open, 'layer2.0', 'ArrowRight')).toEqual({ do: 'focus', id: 'layer2.0.conv1' });
		expect(treeKey(open, 'layer2.0.conv2', 'ArrowLeft')).toEqual({ do: 'focus', id: 'layer2.0' });
		expect(open.place.get('layer2.0.conv1')!.pos).toBe(1);
	});
});

describe('diagram tree with an SE block open (timm seresnet50 layout)', () => {
	// timm seresnet50: torchvision's resnet50 with SE (ratio 1/16, divisor 8) after each block's bn3.
	const se = buildGraph({ ...presetSpec('resnet50')!, attention: { kind: 'se', ratio: 1 / 16, divisor: 8 } });
	const t = diagramTree(layoutDiagram(se, new Set(['layer1', 'layer1.0'])));
	const inBlock = t.order
		.filter((it) => it.parent === 'layer1.0')
		.map((it) => it.id.slice('layer1.0.'.length));

	it('reads the residual branch, then the SE branch in its order, the ⊗, the add, then the shortcut', () => {
		expect(inBlock).toEqual([
			'conv1',
			'bn1',
			'relu1',
			'conv2',
			'bn2',
			'relu2',
			'conv3',
			'bn3',
			'se.pool',
			'se.fc1',
			'se.act',
			'se.fc2',
			'se.gate',
			'se.scale',
			'add',
			'relu3',
			'downsample.0',
			'downsample.1'
		]);
		expect(t.place.get('layer1.0.se.gate')).toEqual({ pos: 13, size: 18 });
	});

	it('the arrows walk from the branch’s last BN into the SE branch and out to the ⊗', () => {
		expect(treeKey(t, 'layer1.0.bn3', 'ArrowDown')).toEqual({ do: 'focus', id: 'layer1.0.se.pool' });
		expect(treeKey(t, 'layer1.0.se.gate', 'ArrowDown')).toEqual({ do: 'focus', id: 'layer1.0.se.scale' });
		expect(treeKey(t, 'layer1.0.se.fc1', 'ArrowLeft')).toEqual({ do: 'focus', id: 'layer1.0' });
	});
});
