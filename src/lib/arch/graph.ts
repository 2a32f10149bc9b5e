/**
 * ArchSpec → BlockGraph: typed nodes with shapes, counts and receptive fields, named by the
 * reference implementation's module paths (DESIGN §3.2, rules in ids.ts), grouped stem /
 * stages / blocks / head.
 */
import { nodeIds, type NodeIds } from './ids';
import {
	avgPool2dMetrics,
	batchNormMetrics,
	ceilOutSide,
	conv1dMetrics,
	convMetrics,
	elementwiseMetrics,
	globalAvgPoolMetrics,
	linearMetrics,
	maxPoolMetrics,
	movementMetrics,
	outSide,
	sumMetrics,
	elements,
	type MapShape,
	type Metrics,
	type Shape,
	type Totals,
	type VectorShape
} from './metrics';
import {
	SpecError,
	blockOrder,
	bottleneckInnerWidth,
	convBiasFor,
	ecaKernel,
	seChannels,
	stemConvWidths,
	stemPool,
	type ArchSpec,
	type AttentionKind
} from './spec';
import { specFieldErrors } from './validate';

export type { MapShape, Metrics, Shape, Totals, VectorShape } from './metrics';

/** Where a node sits: the stem, a block of a stage, or the head. */
export type Section = 'input' | 'stem' | 'stage' | 'head';
/**
 * Inside a block: the residual branch, the shortcut path, or the attention's side branch (SE /
 * ECA: global pool → convs → sigmoid gate; its `scale` node, on 'main', multiplies the branch by the gate).
 */
export type Path = 'main' | 'shortcut' | 'attention';

interface NodeBase extends Metrics {
	id: string;
	/** Ids of the nodes whose outputs feed this one, in order (for add: main, then shortcut). */
	inputs: string[];
	/** Side, in input pixels, of the region one output position can see. */
	receptiveField: number;
	/** Distance, in input pixels, between neighbouring output positions. */
	jump: number;
	section: Section;
	/** Stage index (0-based, torchvision's layer{stage+1}); null outside the stages. */
	stage: number | null;
	/** Block id (`layer2.0`); null outside the stages. */
	block: string | null;
	path: Path;
}

/** Input and output of a node that maps feature maps to feature maps. */
interface MapIO {
	inShape: MapShape;
	outShape: MapShape;
}

/**
 * A node and its shapes, as PyTorch gives them (batch left out): feature maps [C, H, W] up to the
 * head; flatten gives [C·H·W] and fc [classes] (DESIGN §3.2). avgpool keeps [C, 1, 1]
 * (AdaptiveAvgPool2d), so fc's input is [C, 1, 1] after it and [C·H·W] after flatten.
 */
export type GraphNode = NodeBase &
	(
		| ({ op: 'input' } & MapIO)
		| ({
				op: 'conv2d';
				kernel: number;
				stride: number;
				padding: number;
				groups: number;
				bias: boolean;
		  } & MapIO)
		| ({ op: 'batchnorm'; eps: number } & MapIO)
		| ({ op: 'relu' } & MapIO)
		| ({ op: 'maxpool'; kernel: number; stride: number; padding: number } & MapIO)
		| ({ op: 'add' } & MapIO)
		| ({ op: 'zeropad'; stride: number; padChannels: number } & MapIO)
		/** Global average pool → [C, 1, 1] (AdaptiveAvgPool2d(1); SE/ECA's squeeze). */
		| ({ op: 'avgpool' } & MapIO)
		/** k×k average pool (shortcut D: kernel 2, stride s, ceil mode, padding not counted). */
		| ({
				op: 'avgpool2d';
				kernel: number;
				stride: number;
				ceil: true;
				countIncludePad: false;
		  } & MapIO)
		/**
		 * ECA's Conv1d(1, 1, kernel, padding) across the C channels of a pooled map: [C, 1, 1] →
		 * [C, 1, 1] (PyTorch holds it as [1, C]; weight [1, 1, kernel]).
		 */
		| ({ op: 'conv1d'; kernel: number; padding: number; bias: boolean } & MapIO)
		| ({ op: 'sigmoid' } & MapIO)
		/** inputs [branch, gate]: branch [C, H, W] × gate [C, 1, 1], per channel. */
		| ({ op: 'scale' } & MapIO)
		| { op: 'flatten'; inShape: MapShape; outShape: VectorShape }
		| {
				op: 'linear';
				inFeatures: number;
				outFeatures: number;
				bias: boolean;
				inShape: Shape;
				outShape: VectorShape;
		  }
	);

/** A node whose output is a feature map [C, H, W]: every node but the head's flatten and fc. */
export type MapNode = Exclude<GraphNode, { op: 'flatten' | 'linear' }>;

export type Op = GraphNode['op'];

/** How a block's input reaches its add. */
export type ShortcutKind = 'identity' | 'projection' | 'zeropad' | 'none';

export interface BlockGroup {
	id: string;
	stage: number;
	index: number;
	/** Every node of the block in execution order. */
	nodeIds: string[];
	shortcut: ShortcutKind;
	/** Channel attention on the residual branch, or null. */
	attention: AttentionKind | null;
	inShape: MapShape;
	outShape: MapShape;
	totals: Totals;
}

export interface StageGroup {
	id: string;
	index: number;
	blocks: BlockGroup[];
	inShape: MapShape;
	outShape: MapShape;
	totals: Totals;
}

export interface SectionGroup {
	nodeIds: string[];
	/** The stem's output is a map; the head's is fc's [classes]. */
	inShape: Shape;
	outShape: Shape;
	totals: Totals;
}

export interface BlockGraph {
	spec: ArchSpec;
	/** All nodes in execution (topological) order; the first is `input` (a map), the last is `fc`. */
	nodes: [MapNode, ...GraphNode[]];
	byId: Map<string, GraphNode>;
	stem: SectionGroup;
	stages: StageGroup[];
	head: SectionGroup;
	/** Sums over every node except the input. */
	totals: Totals;
	/** Id of the node that produces the logits. */
	output: string;
}

const BN_EPS = 1e-5;

type NodeFields<T> = T extends unknown ? Omit<T, keyof NodeBase | 'inShape' | 'outShape'> : never;
type Place = Pick<NodeBase, 'section' | 'stage' | 'block' | 'path'>;

class Builder {
	readonly nodes: GraphNode[] = [];
	readonly byId = new Map<string, GraphNode>();
	constructor(private readonly errorPath: () => string) {}

	private push<N extends GraphNode>(
		id: string,
		from: GraphNode[],
		outShape: N['outShape'],
		metrics: Metrics,
		rf: { receptiveField: number; jump: number },
		place: Place,
		fields: NodeFields<N>
	): N {
		if (outShape.length === 3 && !(outShape[1] >= 1 && outShape[2] >= 1)) {
			const [, h, w] = from[0].outShape as MapShape;
			throw new SpecError(
				this.errorPath(),
				`${id}: the feature map would shrink to ${outShape[1]}×${outShape[2]} (input ${h}×${w})`
			);
		}
		// Fields written out rather than spread: object spread made this the hot spot of the build.
		const node = Object.assign(
			{
				id,
				inputs: from.length === 1 ? [from[0].id] : from.map((n) => n.id),
				inShape: from.length > 0 ? from[0].outShape : outShape,
				outShape,
				params: metrics.params,
				buffers: metrics.buffers,
				macs: metrics.macs,
				flops: metrics.flops,
				activationBytes: metrics.activationBytes,
				receptiveField: rf.receptiveField,
				jump: rf.jump,
				section: place.section,
				stage: place.stage,
				block: place.block,
				path: place.path
			},
			fields
		) as N;
		this.nodes.push(node);
		this.byId.set(id, node);
		return node;
	}

	input(shape: MapShape): MapNode {
		const place: Place = { section: 'input', stage: null, block: null, path: 'main' };
		return this.push<MapNode>(
			'input',
			[],
			shape,
			movementMetrics(shape),
			{ receptiveField: 1, jump: 1 },
			place,
			{
				op: 'input'
			}
		);
	}

	conv(
		id: string,
		x: MapNode,
		out: number,
		kernel: number,
		stride: number,
		groups: number,
		bias: boolean,
		place: Place
	) {
		const padding = Math.floor(kernel / 2);
		const [, h, w] = x.outShape;
		const shape: MapShape = [out, outSide(h, kernel, stride, padding), outSide(w, kernel, stride, padding)];
		return this.push<MapNode>(
			id,
			[x],
			shape,
			convMetrics(x.outShape, shape, kernel, groups, bias),
			window(x, kernel, stride),
			place,
			{
				op: 'conv2d',
				kernel,
				stride,
				padding,
				groups,
				bias
			}
		);
	}

	bn(id: string, x: MapNode, place: Place) {
		return this.push<MapNode>(id, [x], x.outShape, batchNormMetrics(x.outShape), pass(x), place, {
			op: 'batchnorm',
			eps: BN_EPS
		});
	}

	relu(id: string, x: MapNode, place: Place) {
		return this.push<MapNode>(id, [x], x.outShape, elementwiseMetrics(x.outShape), pass(x), place, {
			op: 'relu'
		});
	}

	maxpool(id: string, x: MapNode, kernel: number, stride: number, padding: number, place: Place) {
		const [c, h, w] = x.outShape;
		const shape: MapShape = [c, outSide(h, kernel, stride, padding), outSide(w, kernel, stride, padding)];
		return this.push<MapNode>(
			id,
			[x],
			shape,
			maxPoolMetrics(shape, kernel),
			window(x, kernel, stride),
			place,
			{
				op: 'maxpool',
				kernel,
				stride,
				padding
			}
		);
	}

	/** nn.AvgPool2d(kernel, stride, ceil_mode=True, count_include_pad=False). */
	avgpool2d(id: string, x: MapNode, kernel: number, stride: number, place: Place) {
		const [c, h, w] = x.outShape;
		const shape: MapShape = [c, ceilOutSide(h, kernel, stride, 0), ceilOutSide(w, kernel, stride, 0)];
		return this.push<MapNode>(
			id,
			[x],
			shape,
			avgPool2dMetrics(shape, kernel),
			window(x, kernel, stride),
			place,
			{ op: 'avgpool2d', kernel, stride, ceil: true, countIncludePad: false }
		);
	}

	/** ECA's 1-D conv across the channels of a [C, 1, 1] map; no spatial extent. */
	conv1d(id: string, x: MapNode, kernel: number, place: Place) {
		const padding = (kernel - 1) / 2;
		return this.push<MapNode>(id, [x], x.outShape, conv1dMetrics(x.outShape, kernel, false), pass(x), place, {
			op: 'conv1d',
			kernel,
			padding,
			bias: false
		});
	}

	sigmoid(id: string, x: MapNode, place: Place) {
		return this.push<MapNode>(id, [x], x.outShape, elementwiseMetrics(x.outShape), pass(x), place, {
			op: 'sigmoid'
		});
	}

	/**
	 * branch × gate per channel. The gate comes from a global pool of the branch, so every output
	 * position sees all of it: the receptive field is the pool's (the whole map; what PyTorch's
	 * gradient measures — it touches every input pixel).
	 */
	scale(id: string, branch: MapNode, gate: MapNode, place: Place) {
		const rf = {
			receptiveField: Math.max(branch.receptiveField, gate.receptiveField),
			jump: branch.jump
		};
		return this.push<MapNode>(
			id,
			[branch, gate],
			branch.outShape,
			elementwiseMetrics(branch.outShape),
			rf,
			place,
			{ op: 'scale' }
		);
	}

	add(id: string, main: MapNode, shortcut: MapNode, place: Place) {
		const rf = { receptiveField: Math.max(main.receptiveField, shortcut.receptiveField), jump: main.jump };
		return this.push<MapNode>(
			id,
			[main, shortcut],
			main.outShape,
			elementwiseMetrics(main.outShape),
			rf,
			place,
			{
				op: 'add'
			}
		);
	}

	zeropad(id: string, x: MapNode, outChannels: number, stride: number, place: Place) {
		const [c, h, w] = x.outShape;
		const shape: MapShape = [outChannels, Math.ceil(h / stride), Math.ceil(w / stride)];
		const rf = { receptiveField: x.receptiveField, jump: x.jump * stride };
		return this.push<MapNode>(id, [x], shape, movementMetrics(shape), rf, place, {
			op: 'zeropad',
			stride,
			padChannels: outChannels - c
		});
	}

	avgpool(id: string, x: MapNode, place: Place) {
		const shape: MapShape = [x.outShape[0], 1, 1];
		return this.push<MapNode>(id, [x], shape, globalAvgPoolMetrics(x.outShape, shape), whole(x), place, {
			op: 'avgpool'
		});
	}

	/** torch.flatten(x, 1): [C, H, W] → [C·H·W]. */
	flatten(id: string, x: MapNode, place: Place) {
		const shape: VectorShape = [elements(x.outShape)];
		return this.push<Extract<GraphNode, { op: 'flatten' }>>(
			id,
			[x],
			shape,
			movementMetrics(shape),
			whole(x),
			place,
			{
				op: 'flatten'
			}
		);
	}

	/** nn.Linear: → [classes]; it reads every value of its input (a pooled map or a flattened one). */
	linear(id: string, x: GraphNode, out: number, place: Place) {
		const inFeatures = elements(x.outShape);
		const shape: VectorShape = [out];
		// x already sees the whole input (avgpool or flatten): fc adds nothing to the receptive field
		return this.push<Extract<GraphNode, { op: 'linear' }>>(
			id,
			[x],
			shape,
			linearMetrics(inFeatures, out, true),
			pass(x),
			place,
			{
				op: 'linear',
				inFeatures,
				outFeatures: out,
				bias: true
			}
		);
	}
}

const pass = (x: GraphNode) => ({ receptiveField: x.receptiveField, jump: x.jump });
const window = (x: GraphNode, kernel: number, stride: number) => ({
	receptiveField: x.receptiveField + (kernel - 1) * x.jump,
	jump: x.jump * stride
});
/** A node that sees every position of its input map. */
const whole = (x: MapNode) => ({
	receptiveField: x.receptiveField + (Math.max(x.outShape[1], x.outShape[2]) - 1) * x.jump,
	jump: x.jump * Math.max(x.outShape[1], x.outShape[2])
});

function section(nodes: GraphNode[]): SectionGroup {
	return {
		nodeIds: nodes.map((n) => n.id),
		inShape: nodes[0].inShape,
		outShape: nodes[nodes.length - 1].outShape,
		totals: sumMetrics(nodes)
	};
}

/**
 * Builds the graph of a spec. Throws a `SpecError` — and nothing else — when the spec is
 * invalid; use `tryBuildGraph` or `validateSpec` to get errors as values.
 */
export function buildGraph(spec: ArchSpec): BlockGraph {
	const fieldErrors = specFieldErrors(spec);
	if (fieldErrors.length > 0) throw fieldErrors[0];

	let errorPath = 'input';
	const b = new Builder(() => errorPath);
	const ids = nodeIds(spec);
	const pre = blockOrder(spec) === 'pre';
	const x0 = b.input([spec.input.channels, spec.input.height, spec.input.width]);

	errorPath = 'stem';
	const stemStart = b.nodes.length;
	let x = buildStem(b, spec, ids, x0);
	const stem = section(b.nodes.slice(stemStart));

	const stages: StageGroup[] = spec.stages.map((st, si) => {
		const blocks: BlockGroup[] = [];
		for (let bi = 0; bi < st.blocks; bi++) {
			errorPath = `stages[${si}]`;
			const start = b.nodes.length;
			const blockIn = x;
			const built = (pre ? preActBlock : postActBlock)(b, spec, ids, blockIn, si, bi);
			x = built.out;
			const nodes = b.nodes.slice(start);
			blocks.push({
				id: ids.block(si, bi),
				stage: si,
				index: bi,
				nodeIds: nodes.map((n) => n.id),
				shortcut: built.shortcut,
				attention: spec.attention?.kind ?? null,
				inShape: blockIn.outShape,
				outShape: x.outShape,
				totals: sumMetrics(nodes)
			});
		}
		return {
			id: ids.stage(si),
			index: si,
			blocks,
			inShape: blocks[0].inShape,
			outShape: blocks[blocks.length - 1].outShape,
			totals: sumMetrics(blocks.map((bl) => bl.totals))
		};
	});

	// Head (a pre-activation net first normalises and activates the last block's sum)
	errorPath = 'head';
	const headPlace: Place = { section: 'head', stage: null, block: null, path: 'main' };
	const headStart = b.nodes.length;
	if (pre) x = b.relu(ids.finalAct, b.bn(ids.finalNorm, x, headPlace), headPlace);
	const pooled =
		spec.head.pool === 'avg' ? b.avgpool(ids.globalPool, x, headPlace) : b.flatten(ids.flatten, x, headPlace);
	const fc = b.linear(ids.fc, pooled, spec.head.classes, headPlace);
	const head = section(b.nodes.slice(headStart));

	const totals = sumMetrics(b.nodes.slice(1));
	// Every count is a sum of non-negative integers: exact if the largest total is a safe integer.
	const largest = Math.max(totals.params, totals.macs, totals.flops, totals.activationBytes);
	if (!Number.isSafeInteger(largest))
		throw new SpecError(
			'',
			`the network is too large to count exactly (${largest.toExponential(2)} > 2^53); use a smaller input, fewer channels or an avg head`
		);
	const nodes = b.nodes as [MapNode, ...GraphNode[]];
	return { spec, nodes, byId: b.byId, stem, stages, head, totals, output: fc.id };
}

/**
 * The stem: its conv(s) — 7×7/2 (imagenet), 3×3/1 (cifar), or timm's three 3×3 convs /2, 1, 1
 * (deep, deep_tiered) — each followed by BN + ReLU (pre-activation: all but the last, whose BN
 * + ReLU is the first block's `norm1`), then the pool: max 3×3/2, ResNet-RS's conv 3×3/2 + BN +
 * ReLU, or none.
 */
function buildStem(b: Builder, spec: ArchSpec, ids: NodeIds, x0: MapNode): MapNode {
	const place: Place = { section: 'stem', stage: null, block: null, path: 'main' };
	const bias = convBiasFor(spec, 'stem');
	const pre = blockOrder(spec) === 'pre';
	const widths = stemConvWidths(spec.stem);
	const n = widths.length;
	const kernel = spec.stem.kind === 'imagenet' ? 7 : 3;
	let x = x0;
	widths.forEach((width, k) => {
		const stride = spec.stem.kind === 'cifar' || k > 0 ? 1 : 2;
		x = b.conv(ids.stemConv(k, n), x, width, kernel, stride, 1, bias, place);
		if (pre && k === n - 1) return;
		x = b.bn(ids.stemNorm(k, n), x, place);
		x = b.relu(ids.stemAct(k, n), x, place);
	});
	const pool = stemPool(spec.stem);
	if (pool === 'max') x = b.maxpool(ids.stemMaxPool, x, 3, 2, 1, place);
	else if (pool === 'conv') {
		const [conv, norm, act] = ids.stemConvPool;
		x = b.conv(conv, x, x.outShape[0], 3, 2, 1, bias, place);
		x = b.relu(act, b.bn(norm, x, place), place);
	}
	return x;
}

interface BuiltBlock {
	out: MapNode;
	shortcut: ShortcutKind;
}

/** The residual branch's convs: [channels, kernel, stride, groups] of conv 1, 2 (and 3). */
function branchConvs(spec: ArchSpec, width: number, stride: number): [number, number, number, number][] {
	const outC = width * spec.expansion;
	if (spec.block === 'basic')
		return [
			[width, 3, stride, 1],
			[outC, 3, 1, 1]
		];
	const inner = bottleneckInnerWidth(spec, width);
	return [
		[inner, 1, spec.strideOn === '1x1' ? stride : 1, 1],
		[inner, 3, spec.strideOn === '3x3' ? stride : 1, spec.groups],
		[outC, 1, 1, 1]
	];
}

/**
 * SE or ECA on the residual branch y (timm: after the branch's last BN, before the add):
 * global avg pool → (SE: 1×1 conv to rd, ReLU, 1×1 conv back, both with bias | ECA: 1-D conv
 * across channels) → sigmoid → y × gate.
 */
function attention(
	b: Builder,
	spec: ArchSpec,
	ids: NodeIds,
	block: string,
	y: MapNode,
	main: Place
): MapNode {
	const a = spec.attention;
	if (!a) return y;
	const side: Place = { ...main, path: 'attention' };
	const c = y.outShape[0];
	let g = b.avgpool(ids.attention(block, 'pool'), y, side);
	if (a.kind === 'se') {
		g = b.conv(ids.attention(block, 'fc1'), g, seChannels(c, a), 1, 1, 1, true, side);
		g = b.relu(ids.attention(block, 'act'), g, side);
		g = b.conv(ids.attention(block, 'fc2'), g, c, 1, 1, 1, true, side);
	} else {
		g = b.conv1d(ids.attention(block, 'conv'), g, ecaKernel(c, a), side);
	}
	g = b.sigmoid(ids.attention(block, 'gate'), g, side);
	return b.scale(ids.attention(block, 'scale'), y, g, main);
}

/**
 * A projection shortcut from x: B/C a 1×1 conv of the block's stride; D a 2×2 average pool of
 * that stride (none at stride 1) then a 1×1 conv of stride 1. Post-activation adds a BN.
 */
function projection(
	b: Builder,
	spec: ArchSpec,
	ids: NodeIds,
	block: string,
	x: MapNode,
	outC: number,
	stride: number,
	side: Place
): MapNode {
	const avg = spec.shortcut === 'D';
	const bias = convBiasFor(spec, 'shortcut');
	let s = x;
	if (avg && stride !== 1) s = b.avgpool2d(ids.downsamplePool(block), s, 2, stride, side);
	s = b.conv(ids.downsampleConv(block, avg), s, outC, 1, avg ? 1 : stride, 1, bias, side);
	if (blockOrder(spec) === 'pre') return s;
	return b.bn(ids.downsampleNorm(block, avg), s, side);
}

/** The 2015 block: conv → BN → ReLU …, conv → BN, (attention), + shortcut, ReLU. */
function postActBlock(
	b: Builder,
	spec: ArchSpec,
	ids: NodeIds,
	blockIn: MapNode,
	si: number,
	bi: number
): BuiltBlock {
	const st = spec.stages[si];
	const id = ids.block(si, bi);
	const stride = bi === 0 ? st.stride : 1;
	const main: Place = { section: 'stage', stage: si, block: id, path: 'main' };
	const side: Place = { ...main, path: 'shortcut' };
	const bias = convBiasFor(spec, 'block');
	const convs = branchConvs(spec, st.width, stride);
	let y = blockIn;
	convs.forEach(([channels, kernel, s, groups], k) => {
		y = b.conv(ids.conv(id, k + 1), y, channels, kernel, s, groups, bias, main);
		y = b.bn(ids.norm(id, k + 1), y, main);
		if (k < convs.length - 1) y = b.relu(ids.act(id, k + 1), y, main);
	});
	y = attention(b, spec, ids, id, y, main);

	let shortcut: ShortcutKind = 'none';
	if (spec.residual) {
		const outC = st.width * spec.expansion;
		const changes = stride !== 1 || blockIn.outShape[0] !== outC;
		let s: MapNode = blockIn;
		if (spec.shortcut === 'C' || ((spec.shortcut === 'B' || spec.shortcut === 'D') && changes)) {
			shortcut = 'projection';
			s = projection(b, spec, ids, id, blockIn, outC, stride, side);
		} else if (spec.shortcut === 'A' && changes) {
			shortcut = 'zeropad';
			s = b.zeropad(ids.zeropad(id), blockIn, outC, stride, side);
		} else {
			shortcut = 'identity';
		}
		y = b.add(ids.add(id), y, s, main);
	}
	return { out: b.relu(ids.act(id, convs.length), y, main), shortcut };
}

/**
 * The pre-activation block (timm's PreActBasic / PreActBottleneck): BN → ReLU → conv, …; the sum
 * is not activated. A projection shortcut reads the pre-activated input (norm1's ReLU), the
 * identity the block's input. timm's PreActBottleneck projects on the first block of every
 * stage, PreActBasic only where the shape changes.
 */
function preActBlock(
	b: Builder,
	spec: ArchSpec,
	ids: NodeIds,
	blockIn: MapNode,
	si: number,
	bi: number
): BuiltBlock {
	const st = spec.stages[si];
	const id = ids.block(si, bi);
	const stride = bi === 0 ? st.stride : 1;
	const main: Place = { section: 'stage', stage: si, block: id, path: 'main' };
	const side: Place = { ...main, path: 'shortcut' };
	const bias = convBiasFor(spec, 'block');
	const convs = branchConvs(spec, st.width, stride);
	const preact = b.relu(ids.act(id, 1), b.bn(ids.norm(id, 1), blockIn, main), main);
	let y = preact;
	convs.forEach(([channels, kernel, s, groups], k) => {
		if (k > 0) y = b.relu(ids.act(id, k + 1), b.bn(ids.norm(id, k + 1), y, main), main);
		y = b.conv(ids.conv(id, k + 1), y, channels, kernel, s, groups, bias, main);
	});
	const outC = st.width * spec.expansion;
	const changes = stride !== 1 || blockIn.outShape[0] !== outC;
	const projects = spec.block === 'bottleneck' ? bi === 0 : changes;
	const s = projects ? projection(b, spec, ids, id, preact, outC, stride, side) : blockIn;
	return { out: b.add(ids.add(id), y, s, main), shortcut: projects ? 'projection' : 'identity' };
}

export type GraphResult = { ok: true; graph: BlockGraph } | { ok: false; errors: SpecError[] };

/** Builds the graph of anything (parsed JSON, a URL's spec); errors come back as values. */
export function tryBuildGraph(x: unknown): GraphResult {
	const errors = specFieldErrors(x);
	if (errors.length > 0) return { ok: false, errors };
	try {
		return { ok: true, graph: buildGraph(x as ArchSpec) };
	} catch (e) {
		if (e instanceof SpecError) return { ok: false, errors: [e] };
		throw e;
	}
}

/** Every problem with a spec: its fields, then the layer where a map would vanish. Empty when valid. */
export function validateSpec(x: unknown): SpecError[] {
	const result = tryBuildGraph(x);
	return result.ok ? [] : result.errors;
}
