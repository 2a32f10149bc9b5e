import { describe, expect, it } from 'vitest';
import {
	buildGraph,
	groupIds,
	groupsHolding,
	presetSpec,
	PRESET_NAMES,
	type ArchSpec,
	type BlockGraph
} from '../../src/lib/arch';
import {
	defaultExpanded,
	itemsIn,
	layoutDiagram,
	visibleOwner,
	type DiagramLayout
} from '../../src/lib/viz/layout';
import { nodeFormulas, formulaText } from '../../src/lib/viz/formula';
import { boxText } from '../../src/lib/viz/boxtext';
import { COLOUR_BY, colourScale, fitTicks, formatTick } from '../../src/lib/viz/colour';

const graphOf = (name: string): BlockGraph => buildGraph(presetSpec(name)!);

function checkInvariants(graph: BlockGraph, layout: DiagramLayout) {
	// Every graph node is shown exactly once: by its own box or inside one collapsed group's box.
	const seen = new Map<string, number>();
	for (const b of layout.boxes) for (const id of b.nodeIds) seen.set(id, (seen.get(id) ?? 0) + 1);
	expect(seen.size).toBe(graph.nodes.length);
	for (const n of graph.nodes) expect(seen.get(n.id), n.id).toBe(1);
	// Box ids are unique.
	expect(new Set(layout.boxes.map((b) => b.id)).size).toBe(layout.boxes.length);
	// Boxes do not overlap (sweep over y).
	const sorted = [...layout.boxes].sort((a, b) => a.y - b.y);
	for (let i = 0; i < sorted.length; i++) {
		const a = sorted[i];
		for (let j = i + 1; j < sorted.length && sorted[j].y < a.y + a.h; j++) {
			const b = sorted[j];
			const apart = b.x >= a.x + a.w || a.x >= b.x + b.w;
			expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
		}
	}
	// Boxes lie inside their frame, frames inside theirs, everything inside the canvas.
	for (const b of [...layout.boxes, ...layout.frames]) {
		expect(b.x).toBeGreaterThanOrEqual(0);
		expect(b.y).toBeGreaterThanOrEqual(0);
		expect(b.x + b.w).toBeLessThanOrEqual(layout.width);
		expect(b.y + b.h).toBeLessThanOrEqual(layout.height);
		if (b.parent) {
			const f = layout.byId.get(b.parent)!;
			expect(b.x).toBeGreaterThanOrEqual(f.x);
			expect(b.x + b.w).toBeLessThanOrEqual(f.x + f.w);
			expect(b.y).toBeGreaterThanOrEqual(f.y);
			expect(b.y + b.h).toBeLessThanOrEqual(f.y + f.h);
		}
	}
	// Edges connect existing boxes and carry the producer's output shape (from the graph).
	const boxIds = new Set(layout.boxes.map((b) => b.id));
	for (const e of layout.edges) {
		expect(boxIds.has(e.from), e.id).toBe(true);
		expect(boxIds.has(e.to), e.id).toBe(true);
		const from = layout.byId.get(e.from)!;
		const last = graph.byId.get(from.nodeIds[from.nodeIds.length - 1])!;
		expect(e.shape).toEqual(last.outShape);
	}
	// The main path is a chain from input to fc: every box but the input has one incoming main edge.
	const mainIn = new Map<string, number>();
	for (const e of layout.edges) if (e.kind === 'main') mainIn.set(e.to, (mainIn.get(e.to) ?? 0) + 1);
	for (const b of layout.boxes) {
		const n = graph.byId.get(b.id);
		const aside = n?.path === 'shortcut' || n?.path === 'attention';
		expect(mainIn.get(b.id) ?? 0, b.id).toBe(b.id === 'input' || aside ? 0 : 1);
	}
}

describe('layoutDiagram', () => {
	it('resnet50 with stages open shows its 16 blocks, three of them with projection shortcuts', () => {
		const g = graphOf('resnet50');
		const l = layoutDiagram(g, defaultExpanded(g));
		const blocks = l.boxes.filter((b) => b.kind === 'block');
		expect(blocks.length).toBe(16); // 3 + 4 + 6 + 3 (paper, Table 1)
		// torchvision: downsample in the first block of each stage (layer1.0 changes 64 → 256 channels).
		expect(blocks.filter((b) => b.shortcut === 'projection').map((b) => b.id)).toEqual([
			'layer1.0',
			'layer2.0',
			'layer3.0',
			'layer4.0'
		]);
		const sc = l.edges.filter((e) => e.kind !== 'main');
		expect(sc.filter((e) => e.kind === 'projection').length).toBe(4);
		expect(sc.filter((e) => e.kind === 'identity').length).toBe(12);
		expect(l.frames.map((f) => f.id)).toEqual(['layer1', 'layer2', 'layer3', 'layer4']);
		checkInvariants(g, l);
	});

	it('collapsed stages: one box each; expanded: every layer once', () => {
		const g = graphOf('resnet18');
		const collapsed = layoutDiagram(g, new Set());
		expect(collapsed.boxes.map((b) => b.id)).toEqual([
			'input',
			'stem',
			'layer1',
			'layer2',
			'layer3',
			'layer4',
			'head'
		]);
		checkInvariants(g, collapsed);
		const all = layoutDiagram(g, new Set(groupIds(g, true)));
		expect(all.boxes.length).toBe(g.nodes.length);
		expect(all.frames.length).toBe(2 + 4 + 8);
		checkInvariants(g, all);
	});

	it('shape labels are the graph output shapes (resnet50 stem → 64×56×56, layer4 → 2048×7×7)', () => {
		const g = graphOf('resnet50');
		const l = layoutDiagram(g, new Set());
		const shape = (from: string) =>
			l.edges.find((e) => e.from === from && e.kind === 'main')!.shape.join('×');
		// torchvision resnet50 on 224×224: maxpool → 64×56×56; layer1..4 → 256×56, 512×28, 1024×14, 2048×7.
		expect(shape('stem')).toBe('64×56×56');
		expect(shape('layer1')).toBe('256×56×56');
		expect(shape('layer2')).toBe('512×28×28');
		expect(shape('layer3')).toBe('1024×14×14');
		expect(shape('layer4')).toBe('2048×7×7');
		expect(shape('input')).toBe('3×224×224');
	});

	it('option A nets draw zero-pad shortcuts where the shape changes, identity elsewhere', () => {
		const g = graphOf('resnet20');
		const l = layoutDiagram(g, defaultExpanded(g));
		const kinds = l.edges.filter((e) => e.kind !== 'main').map((e) => `${e.to}:${e.kind}`);
		// Paper §4.2: 16 → 32 → 64 channels, option A; layer1 keeps 16 channels, stride 1.
		expect(kinds).toContain('layer2.0:zeropad');
		expect(kinds).toContain('layer3.0:zeropad');
		expect(kinds).toContain('layer1.0:identity');
		expect(kinds.filter((k) => k.endsWith('zeropad')).length).toBe(2);
		expect(kinds.filter((k) => k.endsWith('projection')).length).toBe(0);
		const open = layoutDiagram(g, new Set([...defaultExpanded(g), 'layer2.0']));
		const pad = open.boxes.find((b) => b.id === 'layer2.0.shortcut')!;
		expect(pad.op).toBe('zeropad');
		expect(
			open.edges
				.filter((e) => e.to === 'layer2.0.shortcut' || e.from === 'layer2.0.shortcut')
				.map((e) => e.kind)
		).toEqual(['zeropad', 'zeropad']);
		checkInvariants(g, open);
	});

	it('plain nets have no shortcut edges', () => {
		const spec = { ...presetSpec('resnet34')!, residual: false };
		const g = buildGraph(spec);
		const l = layoutDiagram(g, new Set(groupIds(g, true)));
		expect(l.edges.every((e) => e.kind === 'main')).toBe(true);
		expect(l.boxes.some((b) => b.op === 'add')).toBe(false);
		checkInvariants(g, l);
	});

	it('projection blocks opened show downsample.0 (conv) and .1 (BN) on the shortcut path', () => {
		const g = graphOf('resnet50');
		const l = layoutDiagram(g, new Set(['layer2', 'layer2.0']));
		const proj = l.edges.filter((e) => e.kind === 'projection').map((e) => `${e.from}->${e.to}`);
		expect(proj).toEqual([
			'layer1->layer2.0.downsample.0',
			'layer2.0.downsample.0->layer2.0.downsample.1',
			'layer2.0.downsample.1->layer2.0.add'
		]);
		checkInvariants(g, l);
	});

	it('columns mode keeps every invariant and puts each stage in its own column', () => {
		for (const name of ['resnet50', 'resnet20', 'resnext50_32x4d']) {
			const g = graphOf(name);
			for (const exp of [new Set<string>(), defaultExpanded(g), new Set(groupIds(g, true))]) {
				const l = layoutDiagram(g, exp, { columns: true });
				checkInvariants(g, l);
				const stageLeft = g.stages.map((st) => {
					const item = l.byId.get(st.id)!;
					return item.x;
				});
				for (let i = 1; i < stageLeft.length; i++) expect(stageLeft[i]).toBeGreaterThan(stageLeft[i - 1]);
			}
		}
	});

	it('every preset lays out at every level', () => {
		for (const name of PRESET_NAMES) {
			const g = graphOf(name);
			checkInvariants(g, layoutDiagram(g, defaultExpanded(g)));
		}
	});

	it('big nets start collapsed; resnet1202 fully open has one box per layer', () => {
		const g = graphOf('resnet1202');
		expect(defaultExpanded(g).size).toBe(0);
		expect(defaultExpanded(graphOf('resnet152')).size).toBe(4);
		const l = layoutDiagram(g, new Set(groupIds(g, true)), { columns: true });
		expect(l.boxes.length).toBe(g.nodes.length);
		// Paper §4.2: 6n+2 layers with n = 200 → 1202 weighted layers (1201 convs + fc).
		expect(
			l.boxes.filter((b) => b.op === 'conv2d').length + l.boxes.filter((b) => b.op === 'linear').length
		).toBe(1202);
	});

	it('groupsHolding opens the groups hiding a node', () => {
		const g = graphOf('resnet50');
		expect(groupsHolding(g, 'layer3.4.conv2')).toEqual(['layer3', 'layer3.4']);
		expect(groupsHolding(g, 'maxpool')).toEqual(['stem']);
		expect(groupsHolding(g, 'fc')).toEqual(['head']);
		expect(groupsHolding(g, 'layer2.1')).toEqual(['layer2']);
		const closed = layoutDiagram(g, new Set());
		expect(visibleOwner(closed, g, 'layer3.4.conv2')).toBe('layer3');
		const open = layoutDiagram(g, new Set(groupsHolding(g, 'layer3.4.conv2')));
		expect(visibleOwner(open, g, 'layer3.4.conv2')).toBe('layer3.4.conv2');
		expect(open.byId.get('layer3.4.conv2')!.kind).toBe('node');
	});

	it('itemsIn returns only what meets the rectangle', () => {
		const g = graphOf('resnet1202');
		const l = layoutDiagram(g, new Set(groupIds(g, true)));
		const some = itemsIn(l, { x0: 0, y0: 1000, x1: 400, y1: 1600 });
		expect(some.boxes.length).toBeGreaterThan(3);
		expect(some.boxes.length).toBeLessThan(40);
		for (const b of some.boxes) expect(b.y + b.h).toBeGreaterThanOrEqual(1000);
	});
});

/** timm's layouts written as specs (timm 1.0.29 resnet.py / resnetv2.py), from torchvision's resnet50. */
function timmLike(edit: Partial<ArchSpec>, input = 224): BlockGraph {
	const base = presetSpec('resnet50')!;
	return buildGraph({ ...base, input: { channels: 3, height: input, width: input }, ...edit });
}
const RESNET50D: Partial<ArchSpec> = { stem: { kind: 'deep', width: 64 }, shortcut: 'D' };
const SE: Partial<ArchSpec> = { attention: { kind: 'se', ratio: 1 / 16, divisor: 8 } };
const ECA: Partial<ArchSpec> = { attention: { kind: 'eca', gamma: 2, beta: 1 } };
const PRE: Partial<ArchSpec> = { order: 'pre' };

describe('the family in the diagram', () => {
	const inside = (inner: { x: number; w: number }, outer: { x: number; w: number }) =>
		inner.x >= outer.x && inner.x + inner.w <= outer.x + outer.w;

	it('every variant keeps every invariant, collapsed, by default and fully open, one column or many', () => {
		for (const edit of [RESNET50D, SE, { ...RESNET50D, ...ECA }, PRE, { ...PRE, shortcut: 'D' as const }]) {
			const g = timmLike(edit);
			for (const exp of [new Set<string>(), defaultExpanded(g), new Set(groupIds(g, true))])
				for (const columns of [false, true]) checkInvariants(g, layoutDiagram(g, exp, { columns }));
		}
	});

	it('SE: the branch (pool → fc1 → ReLU → fc2 → sigmoid) sits left of the main line and feeds the ⊗ below its gate', () => {
		const g = timmLike(SE);
		const l = layoutDiagram(g, new Set(['layer1', 'layer1.0']));
		const box = (id: string) => l.boxes.find((b) => b.id === id)!;
		const side = ['pool', 'fc1', 'act', 'fc2', 'gate'].map((p) => box(`layer1.0.se.${p}`));
		expect(side.map((b) => b.op)).toEqual(['avgpool', 'conv2d', 'relu', 'conv2d', 'sigmoid']);
		// timm seresnet50: layer1.0.se.fc1 = Conv2d(256, 16, 1×1): make_divisible(256/16, 8) = 16.
		expect(box('layer1.0.se.fc1').label).toBe('conv 1×1, 16');
		const main = box('layer1.0.conv3');
		for (const b of side) expect(b.x + b.w).toBeLessThan(main.x);
		const scale = box('layer1.0.se.scale');
		expect(scale.op).toBe('scale');
		expect(scale.x).toBe(main.x);
		expect(scale.y).toBeGreaterThan(box('layer1.0.se.gate').y + box('layer1.0.se.gate').h);
		const att = l.edges.filter((e) => e.kind === 'attention').map((e) => `${e.from}->${e.to}`);
		expect(att).toEqual([
			'layer1.0.bn3->layer1.0.se.pool',
			'layer1.0.se.pool->layer1.0.se.fc1',
			'layer1.0.se.fc1->layer1.0.se.act',
			'layer1.0.se.act->layer1.0.se.fc2',
			'layer1.0.se.fc2->layer1.0.se.gate',
			'layer1.0.se.gate->layer1.0.se.scale'
		]);
		// The branch is scaled on the main line: bn3 → ⊗ → add.
		expect(
			l.edges.some((e) => e.kind === 'main' && e.from === 'layer1.0.bn3' && e.to === 'layer1.0.se.scale')
		).toBe(true);
		expect(inside(side[0], l.byId.get('layer1.0')!)).toBe(true);
		expect(inside(l.byId.get('layer1.0')!, l.byId.get('layer1')!)).toBe(true);
		const closedBlock = l.boxes.find((b) => b.id === 'layer1.1')!;
		expect([closedBlock.label, closedBlock.sublabel]).toEqual(['layer1.1 · SE', 'bottleneck · 256→256']);
		expect(l.byId.get('layer1.0')!.sublabel).toBe('bottleneck · 64→256 · SE · projection shortcut');
	});

	it('ECA: one conv1d across the channels, k from C as timm computes it (5 for 256 … 7 for 2048)', () => {
		const g = timmLike({ ...RESNET50D, ...ECA });
		const l = layoutDiagram(g, new Set(['layer1', 'layer1.0', 'layer4', 'layer4.2']));
		// timm ecaresnet50d: layer1.0.se.conv weight [1, 1, 5], layer4.0.se.conv [1, 1, 7].
		expect(l.boxes.find((b) => b.id === 'layer1.0.se.conv')!.label).toBe('conv1d k5 across C');
		expect(l.boxes.find((b) => b.id === 'layer4.2.se.conv')!.label).toBe('conv1d k7 across C');
		const f = nodeFormulas(g, g.byId.get('layer4.2.se.conv')!).map(formulaText);
		expect(f[0]).toBe(
			'k = t = ⌊|log₂C + β| / γ⌋; k = t if t is odd else t + 1, at least 3 = t = ⌊|log₂2048 + 1| / 2⌋ = 6 → k = 7'
		);
	});

	it('shortcut D: the avg pool before the 1×1 conv, in the shortcut column; none at stride 1', () => {
		const g = timmLike(RESNET50D);
		const l = layoutDiagram(g, new Set(['layer1', 'layer1.0', 'layer2', 'layer2.0']));
		const proj = l.edges.filter((e) => e.kind === 'projection').map((e) => `${e.from}->${e.to}`);
		// timm resnet50d: layer2.0.downsample = AvgPool2d(2, 2, ceil) → Conv2d 1×1 → BN; layer1.0 (stride 1): conv → BN.
		expect(proj).toEqual([
			'stem->layer1.0.downsample.1',
			'layer1.0.downsample.1->layer1.0.downsample.2',
			'layer1.0.downsample.2->layer1.0.add',
			'layer1.2->layer2.0.downsample.0',
			'layer2.0.downsample.0->layer2.0.downsample.1',
			'layer2.0.downsample.1->layer2.0.downsample.2',
			'layer2.0.downsample.2->layer2.0.add'
		]);
		const pool = l.boxes.find((b) => b.id === 'layer2.0.downsample.0')!;
		expect(pool.op).toBe('avgpool2d');
		expect(pool.x).toBeGreaterThan(l.boxes.find((b) => b.id === 'layer2.0.conv1')!.x);
		expect(l.boxes.some((b) => b.id === 'layer1.0.downsample.0')).toBe(false);
		// Collapsed: the lane's badge says the shortcut pools.
		const closed = layoutDiagram(g, new Set(['layer2']));
		expect(closed.edges.find((e) => e.to === 'layer2.0' && e.kind === 'projection')!.badge!.text).toBe('avg');
		expect(closed.boxes.find((b) => b.id === 'stem')!.sublabel).toBe('3×conv 3×3 · max pool /2');
	});

	it('the legend says what each shortcut drawn is: shortcut D pools before its 1×1 conv', () => {
		const text = (g: BlockGraph) =>
			layoutDiagram(g, new Set(groupIds(g))).key.map((k) => `${k.kind}: ${k.text}`);
		expect(text(graphOf('resnet50'))).toEqual(['identity: identity', 'projection: 1×1 conv + BN']);
		expect(text(timmLike(RESNET50D))).toEqual([
			'identity: identity',
			'projection: 2×2 avg pool, ceil (where strided) → 1×1 conv → BN'
		]);
		expect(text(graphOf('resnet20'))).toEqual(['identity: identity', 'zeropad: zero-pad (option A)']);
		expect(text(timmLike({ ...RESNET50D, ...SE }))).toContain('attention: SE / ECA branch → ⊗');
	});

	it('every stem summary fits its closed box (deep_tiered included, with any stem pool)', () => {
		const stems: ArchSpec['stem'][] = [];
		for (const kind of ['imagenet', 'cifar', 'deep', 'deep_tiered'] as const)
			for (const pool of ['max', 'conv', 'none'] as const) stems.push({ kind, width: 64, pool });
		for (const stem of stems) {
			const box = layoutDiagram(timmLike({ stem }), new Set()).boxes.find((b) => b.id === 'stem')!;
			expect(boxText(box, '').sublabel.text, `${stem.kind}/${stem.pool}`).toBe(box.sublabel);
		}
		const tiered = layoutDiagram(graphOf('resnet26t'), new Set()).boxes.find((b) => b.id === 'stem')!;
		expect(tiered.sublabel).toMatch(/tiered/);
	});

	it('avg pool formula: ceil mode (timm resnet50d at 200²: layer3.0.downsample.0 25×25 → 13×13)', () => {
		const g = timmLike(RESNET50D, 200);
		const n = g.byId.get('layer3.0.downsample.0')!;
		expect(n.outShape).toEqual([512, 13, 13]);
		expect(formulaText(nodeFormulas(g, n)[0])).toBe(
			'H_out, W_out = ⌈(H_in − k)/s⌉ + 1 (ceil mode; a window cut by the border averages what it covers) = ⌈(25−2)/2⌉+1 = 13'
		);
	});

	it('SE formula: rd = make_divisible(C·ratio, divisor) (timm seresnet50 layer4: 2048 → 128)', () => {
		const g = timmLike(SE);
		const f = nodeFormulas(g, g.byId.get('layer4.0.se.fc1')!).map(formulaText);
		expect(f[0]).toBe('rd = make_divisible(C·ratio, divisor) = make_divisible(2048·0.0625, 8) = 128');
		expect(nodeFormulas(g, g.byId.get('layer4.0.se.fc2')!).some((x) => x.name === 'rd')).toBe(false);
	});

	it('pre-activation: BN and ReLU before each conv; the projection leaves from norm1’s ReLU', () => {
		const g = timmLike(PRE);
		const b0 = g.stages[0].blocks[0].id;
		expect(b0).toBe('stages.0.blocks.0');
		const l = layoutDiagram(g, new Set(['stages.0', b0]));
		expect(l.byId.get(b0)!.sublabel).toBe('pre-act bottleneck · 64→256 · projection shortcut');
		const mainOps = l.boxes
			.filter((b) => b.parent === b0 && g.byId.get(b.id)!.path === 'main')
			.map((b) => b.op);
		expect(mainOps).toEqual([
			'batchnorm',
			'relu',
			'conv2d',
			'batchnorm',
			'relu',
			'conv2d',
			'batchnorm',
			'relu',
			'conv2d',
			'add'
		]);
		const conv = l.boxes.find((b) => b.parent === b0 && g.byId.get(b.id)!.path === 'shortcut')!;
		const into = l.edges.find((e) => e.to === conv.id)!;
		const act = l.byId.get(into.from)!;
		expect(g.byId.get(act.id)!.op).toBe('relu');
		expect(act.parent).toBe(b0);
		// Branches off the ReLU's right side, and the conv sits below it.
		expect(into.points[0]).toEqual([act.x + act.w, act.y + act.h / 2]);
		expect(conv.y).toBeGreaterThan(act.y + act.h);
		expect(l.boxes.find((b) => b.id === 'stages.0')).toBeUndefined();
		const closed = layoutDiagram(g, new Set(['stages.1']));
		expect(closed.boxes.find((b) => b.id === 'stages.1.blocks.1')!.sublabel).toBe('pre-act · 512→512');
		expect(closed.boxes.find((b) => b.id === 'head')!.sublabel).toBe('BN, ReLU · avg pool · fc 1000');
	});
});

describe('formulas', () => {
	it('conv MACs factors multiply to the graph numbers (resnet50 layer1.0.conv2: 56·56·64·64·9)', () => {
		const g = graphOf('resnet50');
		const n = g.byId.get('layer1.0.conv2')!;
		const f = nodeFormulas(g, n);
		expect(formulaText(f[0])).toBe('MACs = H_out·W_out·C_out·(C_in/groups)·k² = 56·56·64·64·9');
		// 56·56·64·64·9 = 115,605,504 (torchvision resnet50 layer1.0.conv2).
		expect(n.macs).toBe(115_605_504);
	});
	it('grouped convs show C_in/groups (resnext50_32x4d layer1.0.conv2: 128/32)', () => {
		const g = graphOf('resnext50_32x4d');
		const f = nodeFormulas(g, g.byId.get('layer1.0.conv2')!);
		expect(f[0].factors).toBe('56·56·128·(128/32)·9');
		expect(f[1].factors).toBe('128·(128/32)·9');
	});
});

describe('colourScale', () => {
	it('zeros are neutral, the ramp spans the positive values', () => {
		const items = [0, 10, 1000, 100000].map((p) => ({
			metrics: { params: p, macs: 0, activationBytes: 0 },
			receptiveField: 1
		}));
		const s = colourScale(items, 'params');
		expect(s.fill(0)).toBeNull();
		expect(s.domain).toEqual([10, 100000]);
		expect(s.log).toBe(true);
		expect(s.fill(10)).not.toBe(s.fill(100000));
		expect(s.hasZero).toBe(true);
	});
});

describe('fitTicks', () => {
	it('thins the legend ticks until no two labels touch, keeping at least the two ends', () => {
		// Issue 10, defect #7: resnet1202 by receptive field wrote "10002000300040005000" on 150 px.
		const charPx = 6.5;
		for (const name of PRESET_NAMES) {
			const g = graphOf(name);
			for (const exp of [new Set<string>(), defaultExpanded(g)]) {
				const boxes = layoutDiagram(g, exp).boxes;
				for (const { value: by } of COLOUR_BY) {
					const s = colourScale(boxes, by);
					const ts = fitTicks(s, 150, charPx);
					expect(ts.length, `${name} ${by}`).toBeGreaterThanOrEqual(2);
					for (let i = 1; i < ts.length; i++) {
						const room = (s.position(ts[i]) - s.position(ts[i - 1])) * 150;
						const need = ((formatTick(ts[i], by).length + formatTick(ts[i - 1], by).length) * charPx) / 2;
						expect(room, `${name} ${by} ${ts.join(',')}`).toBeGreaterThanOrEqual(need);
					}
				}
			}
		}
		const g = graphOf('resnet1202');
		const rf = colourScale(layoutDiagram(g, new Set()).boxes, 'receptiveField');
		expect(fitTicks(rf, 150, charPx).length).toBeLessThan(rf.ticks.length);
	});
});

describe('long block ids', () => {
	it('a resnetv2 block box is named by its part under the stage (stages.0.blocks.1 → blocks.1)', () => {
		const g = buildGraph(presetSpec('resnetv2_50')!);
		const l = layoutDiagram(g, new Set(['stages.0']));
		expect(l.boxes.filter((b) => b.kind === 'block').map((b) => `${b.id} ${b.label}`)).toEqual([
			'stages.0.blocks.0 blocks.0',
			'stages.0.blocks.1 blocks.1',
			'stages.0.blocks.2 blocks.2'
		]);
		expect(
			layoutDiagram(graphOf('resnet50'), new Set(['layer1'])).boxes.find((b) => b.id === 'layer1.2')!.label
		).toBe('layer1.2');
	});
});
