/**
 * ArchSpec → BlockGraph: typed nodes with shapes, counts and receptive fields, named by
 * torchvision's module paths (DESIGN §3.2), grouped stem / stages / blocks / head.
 */
import { blockId, stageId } from './ids';
import {
	batchNormMetrics,
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
import { SpecError, bottleneckInnerWidth, convBiasFor, type ArchSpec } from './spec';
import { specFieldErrors } from './validate';

export type { MapShape, Metrics, Shape, Totals, VectorShape } from './metrics';

/** Where a node sits: the stem, a block of a stage, or the head. */
export type Section = 'input' | 'stem' | 'stage' | 'head';
/** Inside a block: the residual branch or the shortcut path. */
export type Path = 'main' | 'shortcut';

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
		| ({ op: 'avgpool' } & MapIO)
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
	const stemBias = convBiasFor(spec, 'stem');
	const bias = convBiasFor(spec, 'block');
	const shortcutBias = convBiasFor(spec, 'shortcut');
	const x0 = b.input([spec.input.channels, spec.input.height, spec.input.width]);

	// Stem
	errorPath = 'stem';
	const stemPlace: Place = { section: 'stem', stage: null, block: null, path: 'main' };
	const stemStart = b.nodes.length;
	const imagenet = spec.stem.kind === 'imagenet';
	let x = b.conv('conv1', x0, spec.stem.width, imagenet ? 7 : 3, imagenet ? 2 : 1, 1, stemBias, stemPlace);
	x = b.bn('bn1', x, stemPlace);
	x = b.relu('relu', x, stemPlace);
	if (imagenet) x = b.maxpool('maxpool', x, 3, 2, 1, stemPlace);
	const stem = section(b.nodes.slice(stemStart));

	// Stages
	const stages: StageGroup[] = spec.stages.map((st, si) => {
		const blocks: BlockGroup[] = [];
		for (let bi = 0; bi < st.blocks; bi++) {
			errorPath = `stages[${si}]`;
			const id = blockId(si, bi);
			const stride = bi === 0 ? st.stride : 1;
			const main: Place = { section: 'stage', stage: si, block: id, path: 'main' };
			const side: Place = { ...main, path: 'shortcut' };
			const start = b.nodes.length;
			const blockIn = x;
			const inC = blockIn.outShape[0];
			const outC = st.width * spec.expansion;

			let y: MapNode;
			if (spec.block === 'basic') {
				y = b.conv(`${id}.conv1`, blockIn, st.width, 3, stride, 1, bias, main);
				y = b.bn(`${id}.bn1`, y, main);
				y = b.relu(`${id}.relu1`, y, main);
				y = b.conv(`${id}.conv2`, y, outC, 3, 1, 1, bias, main);
				y = b.bn(`${id}.bn2`, y, main);
			} else {
				const inner = bottleneckInnerWidth(spec, st.width);
				const s1 = spec.strideOn === '1x1' ? stride : 1;
				const s3 = spec.strideOn === '3x3' ? stride : 1;
				y = b.conv(`${id}.conv1`, blockIn, inner, 1, s1, 1, bias, main);
				y = b.bn(`${id}.bn1`, y, main);
				y = b.relu(`${id}.relu1`, y, main);
				y = b.conv(`${id}.conv2`, y, inner, 3, s3, spec.groups, bias, main);
				y = b.bn(`${id}.bn2`, y, main);
				y = b.relu(`${id}.relu2`, y, main);
				y = b.conv(`${id}.conv3`, y, outC, 1, 1, 1, bias, main);
				y = b.bn(`${id}.bn3`, y, main);
			}
			const lastRelu = `${id}.relu${spec.block === 'basic' ? 2 : 3}`;

			let shortcut: ShortcutKind = 'none';
			if (spec.residual) {
				const changes = stride !== 1 || inC !== outC;
				let s: MapNode = blockIn;
				if (spec.shortcut === 'C' || (spec.shortcut === 'B' && changes)) {
					shortcut = 'projection';
					s = b.conv(`${id}.downsample.0`, blockIn, outC, 1, stride, 1, shortcutBias, side);
					s = b.bn(`${id}.downsample.1`, s, side);
				} else if (spec.shortcut === 'A' && changes) {
					shortcut = 'zeropad';
					s = b.zeropad(`${id}.shortcut`, blockIn, outC, stride, side);
				} else {
					shortcut = 'identity';
				}
				y = b.add(`${id}.add`, y, s, main);
			}
			x = b.relu(lastRelu, y, main);
			const nodes = b.nodes.slice(start);
			blocks.push({
				id,
				stage: si,
				index: bi,
				nodeIds: nodes.map((n) => n.id),
				shortcut,
				inShape: blockIn.outShape,
				outShape: x.outShape,
				totals: sumMetrics(nodes)
			});
		}
		return {
			id: stageId(si),
			index: si,
			blocks,
			inShape: blocks[0].inShape,
			outShape: blocks[blocks.length - 1].outShape,
			totals: sumMetrics(blocks.map((bl) => bl.totals))
		};
	});

	// Head
	errorPath = 'head';
	const headPlace: Place = { section: 'head', stage: null, block: null, path: 'main' };
	const headStart = b.nodes.length;
	const pooled =
		spec.head.pool === 'avg' ? b.avgpool('avgpool', x, headPlace) : b.flatten('flatten', x, headPlace);
	const fc = b.linear('fc', pooled, spec.head.classes, headPlace);
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
