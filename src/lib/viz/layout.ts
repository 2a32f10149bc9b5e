/**
 * BlockGraph + expansion state → positioned boxes, frames and edges (pure, O(n), no DOM).
 *
 * Data flows top to bottom. Three levels: a stage is one box, or a frame holding its blocks; a
 * block is one box (its shortcut drawn as a lane on its right, joining at ⊕ below it), or a frame
 * holding its layers (the shortcut's layers in a side column on the right, the SE / ECA branch in
 * one on the left, feeding the ⊗ that scales the residual branch). The stem and the head are one box
 * or a frame holding their layers. In `columns` mode each stage gets its own column (input and
 * stem above the first, head below the last) and connectors run through the gutters; otherwise
 * everything is one column.
 *
 * Ids: nodes keep their graph ids (DESIGN §3.2); groups are `stem`, `layer{i}`, `layer{i}.{j}`,
 * `head`. The expansion set holds group ids.
 */
import type {
	BlockGraph,
	BlockGroup,
	GraphNode,
	Metrics,
	Op,
	SectionGroup,
	Shape,
	ShortcutKind,
	StageGroup
} from '../arch';
import { groupsHolding } from '../arch/ids';
import { shapeText } from '../arch/units';
import { blockOrder, stemPool, type ArchSpec } from '../arch/spec';

export type BoxKind = 'node' | 'block' | 'stage' | 'section';
/** `attention`: the SE / ECA side branch, from the residual branch to its ⊗ scale. */
export type EdgeKind = 'main' | 'identity' | 'projection' | 'zeropad' | 'attention';

interface Placed {
	id: string;
	kind: BoxKind;
	x: number;
	y: number;
	w: number;
	h: number;
	label: string;
	sublabel: string;
	inShape: Shape;
	outShape: Shape;
	metrics: Metrics;
	receptiveField: number;
	/** The graph nodes this box or frame stands for, in execution order. */
	nodeIds: readonly string[];
	/** Id of the enclosing frame, or null at the top level. */
	parent: string | null;
	depth: number;
	/** Position in reading (flow) order, shared by boxes and frames. */
	seq: number;
}

/** A clickable box: one graph node, or a collapsed group. */
export interface DiagramBox extends Placed {
	/** A collapsed group that can be opened. */
	expandable: boolean;
	op: Op | null;
	/** For blocks: how the block's input reaches its add. */
	shortcut: ShortcutKind | null;
	/** For stages: how many blocks it holds. */
	count: number;
}

/** An expanded group: a container with a header bar (label and toggle) above its children. */
export interface DiagramFrame extends Placed {
	kind: 'block' | 'stage' | 'section';
	headerH: number;
}

export interface DiagramEdge {
	id: string;
	/** Box ids: the producer of the tensor and its consumer. */
	from: string;
	to: string;
	kind: EdgeKind;
	points: [number, number][];
	/** SVG path through the points, with rounded corners. */
	path: string;
	/** The tensor on this edge: the producer's output shape. */
	shape: Shape;
	/** Where the shape is written (text anchored at its end), or null when it is not written. */
	label: { x: number; y: number } | null;
	/** ⊕ drawn where a collapsed block's shortcut joins its main path. */
	join: { x: number; y: number } | null;
	/** A tag on a collapsed block's shortcut lane ("1×1" for projection, "pad" for option A). */
	badge: { x: number; y: number; text: string } | null;
	bbox: [number, number, number, number];
}

export interface DiagramLayout {
	boxes: DiagramBox[];
	frames: DiagramFrame[];
	edges: DiagramEdge[];
	width: number;
	height: number;
	/** Box or frame by id. */
	byId: Map<string, DiagramBox | DiagramFrame>;
	/** The legend: what each kind of shortcut drawn is, in a fixed order. */
	key: KeyEntry[];
}

export interface KeyEntry {
	kind: Exclude<EdgeKind, 'main'>;
	text: string;
}

export interface LayoutOptions {
	/** One column per stage (wide screens); otherwise one column. */
	columns?: boolean;
}

// Geometry (layout units = CSS pixels at zoom 1).
export const W = 200;
const NODE_H = 34;
const BLOCK_H = 44;
const STAGE_H = 50;
const SECTION_H = 44;
/** Between items of a stage or the top-level sequence. */
const GAP = 32;
/** Between layers inside a block or section. */
const NODE_GAP = 26;
const HEADER_STAGE = 24;
const HEADER_BLOCK = 22;
/** Below a header, before the first child (room for a shortcut branching off). */
const GAP_IN = 20;
/** Below the last child (room for its outgoing shape label). */
const FRAME_BOTTOM = 24;
const PAD = 10;
/** Shortcut lane, right of the main column. */
const LANE = W / 2 + 24;
const BADGE_HALF = 18;
const SIDE_GAP = 28;
export const SIDE_W = 160;
const COL_GAP = 64;
const MARGIN = 16;
const TOP = 40;
/** Where a shortcut branches off, above the block's first box. */
const BRANCH = 8;
const LABEL_DY = 13;
const LABEL_DX = 9;
const JOIN_DY = 10;
const CORNER = 8;

/** Blocks visible for small and mid-size nets (up to resnet152's 50 blocks); big nets start collapsed. */
export function defaultExpanded(graph: BlockGraph): Set<string> {
	const blocks = graph.stages.reduce((n, st) => n + st.blocks.length, 0);
	return new Set(blocks <= 64 ? graph.stages.map((st) => st.id) : []);
}

/** The id of the box that shows `id`: its own, or that of the collapsed group holding it; null if none. */
export function visibleOwner(layout: DiagramLayout, graph: BlockGraph, id: string): string | null {
	const own = layout.byId.get(id);
	if (own && !('headerH' in own)) return id;
	for (const a of groupsHolding(graph, id)) {
		const item = layout.byId.get(a);
		if (item && !('headerH' in item)) return a;
	}
	return null;
}

const cx = (b: { x: number; w: number }) => b.x + b.w / 2;

function convLabel(n: Extract<GraphNode, { op: 'conv2d' }>): string {
	const g = n.groups > 1 ? ` g${n.groups}` : '';
	const s = n.stride > 1 ? ` /${n.stride}` : '';
	return `conv ${n.kernel}×${n.kernel}${g}, ${n.outShape[0]}${s}`;
}

export function nodeLabel(n: GraphNode): string {
	switch (n.op) {
		case 'input':
			return 'input';
		case 'conv2d':
			return convLabel(n);
		case 'batchnorm':
			return 'BatchNorm';
		case 'relu':
			return 'ReLU';
		case 'maxpool':
			return `max pool ${n.kernel}×${n.kernel} /${n.stride}`;
		case 'add':
			return 'add ⊕';
		case 'zeropad':
			return `zero-pad +${n.padChannels} ch /${n.stride}`;
		case 'avgpool':
			return 'global avg pool';
		case 'avgpool2d':
			return `avg pool ${n.kernel}×${n.kernel} /${n.stride}`;
		case 'conv1d':
			return `conv1d k${n.kernel} across C`;
		case 'sigmoid':
			return 'sigmoid σ';
		case 'scale':
			return 'scale ⊗';
		case 'flatten':
			return 'flatten';
		case 'linear':
			return `fc ${n.inFeatures}→${n.outFeatures}`;
	}
}

/** Characters that fit in a closed stem box's sublabel (W − 40 px at 10.5 px). */
const STEM_CHARS = 25;

/**
 * The stem in a few words: "conv 7×7 /2 · max pool /2", "3×conv 3×3 · conv pool /2"; the
 * pool's "/2" goes where it would not fit ("3×conv tiered · max pool").
 */
export function stemSummary(stem: ArchSpec['stem']): string {
	const convs =
		stem.kind === 'imagenet'
			? 'conv 7×7 /2'
			: stem.kind === 'cifar'
				? 'conv 3×3'
				: `3×conv ${stem.kind === 'deep_tiered' ? 'tiered' : '3×3'}`;
	const pool = stemPool(stem);
	if (pool === 'none') return convs;
	const text = `${convs} · ${pool} pool`;
	return text.length + 3 <= STEM_CHARS ? `${text} /2` : text;
}

const SHORTCUT_TEXT: Record<ShortcutKind, string> = {
	identity: 'identity shortcut',
	projection: 'projection shortcut',
	zeropad: 'zero-pad shortcut',
	none: 'no shortcut'
};

function round(points: [number, number][], r = CORNER): string {
	if (points.length === 0) return '';
	let d = `M${points[0][0]},${points[0][1]}`;
	for (let i = 1; i < points.length; i++) {
		const [x, y] = points[i];
		if (i < points.length - 1) {
			const [px, py] = points[i - 1];
			const [nx, ny] = points[i + 1];
			const l1 = Math.hypot(x - px, y - py);
			const l2 = Math.hypot(nx - x, ny - y);
			const rr = Math.min(r, l1 / 2, l2 / 2);
			if (rr > 0.5) {
				const ax = x - ((x - px) / l1) * rr;
				const ay = y - ((y - py) / l1) * rr;
				const bx = x + ((nx - x) / l2) * rr;
				const by = y + ((ny - y) / l2) * rr;
				d += `L${ax},${ay}Q${x},${y} ${bx},${by}`;
				continue;
			}
		}
		d += `L${x},${y}`;
	}
	return d;
}

/**
 * Lays out the diagram in four phases: plan the columns (`columnPlan`), place each column top
 * down at x = 0 (`Builder.column`: sections, stages, blocks, layers and their edges), shift the
 * columns side by side (`shiftColumns`), join them (`connectColumns`), and finish the edges'
 * paths and bounding boxes (`finish`).
 */
export function layoutDiagram(
	graph: BlockGraph,
	expanded: ReadonlySet<string>,
	options: LayoutOptions = {}
): DiagramLayout {
	const b = new Builder(graph, expanded);
	const plan = columnPlan(graph, options.columns ?? false);
	// Side by side, the columns leave room above for the connectors coming over the gutters.
	const top = plan.length > 1 ? TOP : MARGIN;
	const cols = plan.map((items) => b.column(items, top));
	shiftColumns(b, cols);
	const height = connectColumns(b, cols);
	return finish(b, cols[cols.length - 1].right + MARGIN, height);
}

/** The legend's lines for the shortcut kinds among `edges`; a projection says what it holds. */
function shortcutKey(edges: readonly DiagramEdge[], spec: ArchSpec): KeyEntry[] {
	const projection =
		spec.shortcut === 'D' ? '2×2 avg pool, ceil (where strided) → 1×1 conv → BN' : '1×1 conv + BN';
	const key: KeyEntry[] = [
		{ kind: 'identity', text: 'identity' },
		{ kind: 'projection', text: projection },
		{ kind: 'zeropad', text: 'zero-pad (option A)' },
		{ kind: 'attention', text: 'SE / ECA branch → ⊗' }
	];
	return key.filter((k) => edges.some((e) => e.kind === k.kind));
}

/** What goes down a column, top to bottom. */
type Item = { kind: 'input' } | { kind: 'section'; id: 'stem' | 'head' } | { kind: 'stage'; st: StageGroup };

/** One column of everything; in columns mode one per stage, input and stem above the first, head below the last. */
function columnPlan(graph: BlockGraph, columns: boolean): Item[][] {
	const items: Item[] = [
		{ kind: 'input' },
		{ kind: 'section', id: 'stem' },
		...graph.stages.map((st): Item => ({ kind: 'stage', st })),
		{ kind: 'section', id: 'head' }
	];
	if (!columns || graph.stages.length <= 1) return [items];
	const out: Item[][] = graph.stages.map((st) => [{ kind: 'stage', st }]);
	out[0].unshift(items[0], items[1]);
	out[out.length - 1].push(items[items.length - 1]);
	return out;
}

/** A placed column: where its items start in the builder's lists, its extent, its ends. */
interface Col {
	boxStart: number;
	frameStart: number;
	edgeStart: number;
	left: number;
	right: number;
	bottom: number;
	first: DiagramBox | null;
	last: DiagramBox | null;
}

type Extent = { bottom: number; right: number; left: number };

/**
 * Places boxes, frames and edges one column at a time, centred on x = 0. Edges on the main line
 * run from the box placed last (`prev`) to the next one; open groups nest through `parent`.
 */
class Builder {
	readonly boxes: DiagramBox[] = [];
	readonly frames: DiagramFrame[] = [];
	readonly edges: DiagramEdge[] = [];
	/** The box whose output feeds the next box placed on the main line. */
	private prev: DiagramBox | null = null;
	/** Set at the top of a new column: the column connector is drawn separately. */
	private newColumn = false;
	private parent: string | null = null;
	private depth = 0;
	private seq = 0;

	constructor(
		readonly graph: BlockGraph,
		readonly expanded: ReadonlySet<string>
	) {}

	private node(id: string): GraphNode {
		return this.graph.byId.get(id)!;
	}

	private lastRf(ids: readonly string[]): number {
		return this.node(ids[ids.length - 1]).receptiveField;
	}

	edge(
		from: DiagramBox,
		to: DiagramBox,
		kind: EdgeKind,
		points: [number, number][],
		shape: Shape,
		label: { x: number; y: number } | null,
		extra: Partial<Pick<DiagramEdge, 'join' | 'badge'>> = {}
	) {
		this.edges.push({
			id: `${from.id}->${to.id}${kind === 'main' ? '' : `:${kind}`}`,
			from: from.id,
			to: to.id,
			kind,
			points,
			path: '',
			shape,
			label,
			join: extra.join ?? null,
			badge: extra.badge ?? null,
			bbox: [0, 0, 0, 0]
		});
	}

	/** Main-line edge from `prev` into `b` (same column: straight down). */
	private connect(b: DiagramBox) {
		const prev = this.prev;
		if (prev && !this.newColumn) {
			const x = cx(prev);
			const y0 = prev.y + prev.h;
			this.edge(
				prev,
				b,
				'main',
				[
					[x, y0],
					[cx(b), b.y]
				],
				prev.outShape,
				{ x: x - LABEL_DX, y: y0 + LABEL_DY }
			);
		}
		this.prev = b;
		this.newColumn = false;
	}

	private box(
		x: number,
		y: number,
		w: number,
		h: number,
		fields: Omit<DiagramBox, 'x' | 'y' | 'w' | 'h' | 'parent' | 'depth' | 'seq'>
	): DiagramBox {
		const b: DiagramBox = { x, y, w, h, parent: this.parent, depth: this.depth, seq: this.seq++, ...fields };
		this.boxes.push(b);
		return b;
	}

	private nodeBox(n: GraphNode, x: number, y: number, w = W): DiagramBox {
		return this.box(x, y, w, NODE_H, {
			id: n.id,
			kind: 'node',
			label: nodeLabel(n),
			sublabel: n.op === 'input' ? shapeText(n.outShape) : n.id,
			inShape: n.inShape,
			outShape: n.outShape,
			metrics: n,
			receptiveField: n.receptiveField,
			nodeIds: [n.id],
			expandable: false,
			op: n.op,
			shortcut: null,
			count: 1
		});
	}

	/** A collapsed group's box (a section, block or stage that can be opened), on the main line. */
	private groupBox(
		kind: 'section' | 'block' | 'stage',
		g: { id: string; inShape: Shape; outShape: Shape; totals: Metrics },
		c: number,
		y: number,
		h: number,
		label: string,
		sublabel: string,
		nodeIds: readonly string[],
		extra: { shortcut: ShortcutKind | null; count: number }
	): DiagramBox {
		const b = this.box(c - W / 2, y, W, h, {
			id: g.id,
			kind,
			label,
			sublabel,
			inShape: g.inShape,
			outShape: g.outShape,
			metrics: g.totals,
			receptiveField: this.lastRf(nodeIds),
			nodeIds,
			expandable: true,
			op: null,
			...extra
		});
		this.connect(b);
		return b;
	}

	private openFrame(
		group: { id: string; inShape: Shape; outShape: Shape; totals: Metrics },
		kind: DiagramFrame['kind'],
		x: number,
		y: number,
		headerH: number,
		label: string,
		sublabel: string,
		nodeIds: readonly string[]
	): DiagramFrame {
		const f: DiagramFrame = {
			id: group.id,
			kind,
			x,
			y,
			w: 0,
			h: 0,
			headerH,
			label,
			sublabel,
			inShape: group.inShape,
			outShape: group.outShape,
			metrics: group.totals,
			receptiveField: this.lastRf(nodeIds),
			nodeIds,
			parent: this.parent,
			depth: this.depth,
			seq: this.seq++
		};
		this.frames.push(f);
		this.parent = f.id;
		this.depth++;
		return f;
	}

	private closeFrame(f: DiagramFrame, right: number, bottom: number) {
		f.w = right - f.x;
		f.h = bottom - f.y;
		this.parent = f.parent;
		this.depth--;
	}

	/** Layers one under the other on the main line; returns the bottom. */
	private sequence(ids: readonly string[], x0: number, y: number): number {
		let bottom = y;
		for (const id of ids) {
			this.connect(this.nodeBox(this.node(id), x0, y));
			bottom = y + NODE_H;
			y = bottom + NODE_GAP;
		}
		return bottom;
	}

	/** Places a column's items at x = 0 from `top` down; returns where they went. */
	column(items: readonly Item[], top: number): Col {
		const c: Col = {
			boxStart: this.boxes.length,
			frameStart: this.frames.length,
			edgeStart: this.edges.length,
			left: -W / 2,
			right: W / 2,
			bottom: 0,
			first: null,
			last: null
		};
		this.newColumn = this.prev !== null;
		let y = top;
		for (const it of items) {
			let bottom: number;
			if (it.kind === 'input') {
				this.connect(this.nodeBox(this.node('input'), -W / 2, y));
				bottom = y + NODE_H;
			} else if (it.kind === 'section') {
				bottom = this.section(it.id, 0, y);
				if (this.expanded.has(it.id)) c.left = Math.min(c.left, -W / 2 - PAD);
				c.right = Math.max(c.right, W / 2 + PAD);
			} else {
				const r = this.stage(it.st, 0, y);
				bottom = r.bottom;
				c.right = Math.max(c.right, r.right);
				c.left = Math.min(c.left, r.left);
			}
			if (c.first === null) c.first = this.boxes[c.boxStart] ?? null;
			y = bottom + GAP;
		}
		c.bottom = y - GAP;
		c.last = this.prev;
		return c;
	}

	/** The stem or the head: one box, or a frame of its layers; returns the bottom. */
	private section(id: 'stem' | 'head', c: number, y: number): number {
		const spec = this.graph.spec;
		const g: SectionGroup = id === 'stem' ? this.graph.stem : this.graph.head;
		const sublabel =
			id === 'stem'
				? stemSummary(spec.stem)
				: `${blockOrder(spec) === 'pre' ? 'BN, ReLU · ' : ''}${spec.head.pool === 'avg' ? 'avg pool' : 'flatten'} · fc ${spec.head.classes}`;
		const group = { id, ...g };
		if (this.expanded.has(id)) {
			const f = this.openFrame(group, 'section', c - W / 2 - PAD, y, HEADER_BLOCK, id, sublabel, g.nodeIds);
			const bottom = this.sequence(g.nodeIds, c - W / 2, y + HEADER_BLOCK + GAP_IN);
			this.closeFrame(f, c + W / 2 + PAD, bottom + FRAME_BOTTOM);
			return bottom + FRAME_BOTTOM;
		}
		this.groupBox('section', group, c, y, SECTION_H, id, sublabel, g.nodeIds, {
			shortcut: null,
			count: g.nodeIds.length
		});
		return y + SECTION_H;
	}

	/** A stage: one box, or a frame of its blocks. */
	private stage(st: StageGroup, c: number, y: number): Extent {
		const spec = this.graph.spec;
		const stride = spec.stages[st.index].stride;
		const sublabel = `${st.blocks.length} block${st.blocks.length === 1 ? '' : 's'} · ${st.inShape[0]}→${st.outShape[0]}${
			stride > 1 ? ` /${stride}` : ''
		}`;
		const nodeIds = st.blocks.flatMap((b) => b.nodeIds);
		if (!this.expanded.has(st.id)) {
			this.groupBox('stage', st, c, y, STAGE_H, st.id, sublabel, nodeIds, {
				shortcut: null,
				count: st.blocks.length
			});
			return { bottom: y + STAGE_H, right: c + W / 2, left: c - W / 2 };
		}
		const f = this.openFrame(st, 'stage', c - W / 2 - 2 * PAD, y, HEADER_STAGE, st.id, sublabel, nodeIds);
		let yy = y + HEADER_STAGE + GAP_IN;
		let right = c + W / 2 + PAD;
		let left = f.x + PAD;
		let bottom = yy;
		for (const bl of st.blocks) {
			const r = this.expanded.has(bl.id) ? this.blockFrame(bl, c, yy) : this.block(bl, c, yy);
			right = Math.max(right, r.right);
			left = Math.min(left, r.left);
			bottom = r.bottom;
			yy = bottom + GAP;
		}
		// An open block with an attention branch reaches further left than the stage's usual edge.
		f.x = Math.min(f.x, left - PAD);
		this.closeFrame(f, right + PAD, bottom + FRAME_BOTTOM);
		return { bottom: bottom + FRAME_BOTTOM, right: right + PAD, left: f.x };
	}

	/**
	 * A block box's name: its id, or under its open stage's header only the part after the stage
	 * when the id is long (timm resnetv2's `stages.0.blocks.1` → `blocks.1`), so the index shows.
	 */
	private blockLabel(bl: BlockGroup): string {
		const stage = this.graph.stages[bl.stage].id;
		const name = bl.id.length > 12 && bl.id.startsWith(`${stage}.`) ? bl.id.slice(stage.length + 1) : bl.id;
		// The attention rides on the name (the second line is full with the block's kind and widths).
		return bl.attention ? `${name} · ${bl.attention.toUpperCase()}` : name;
	}

	/**
	 * The block's kind and widths: "bottleneck · 256→512 /2". A closed box (about 25 characters)
	 * says "pre-act" in place of the kind for a pre-activation block; an open frame says both.
	 */
	private blockSublabel(bl: BlockGroup, long: boolean): string {
		const spec = this.graph.spec;
		const stride = bl.index === 0 ? spec.stages[bl.stage].stride : 1;
		const pre = blockOrder(spec) === 'pre';
		const kind = pre ? (long ? `pre-act ${spec.block}` : 'pre-act') : spec.block;
		const att = long && bl.attention ? ` · ${bl.attention.toUpperCase()}` : '';
		return `${kind} · ${bl.inShape[0]}→${bl.outShape[0]}${stride > 1 ? ` /${stride}` : ''}${att}`;
	}

	/** A closed block: one box, its shortcut a lane on its right joining at ⊕ below it. */
	private block(bl: BlockGroup, c: number, y: number): Extent {
		const producer = this.prev;
		const b = this.groupBox(
			'block',
			bl,
			c,
			y,
			BLOCK_H,
			this.blockLabel(bl),
			this.blockSublabel(bl, false),
			bl.nodeIds,
			{
				shortcut: bl.shortcut,
				count: bl.nodeIds.length
			}
		);
		if (bl.shortcut === 'none' || !producer)
			return { bottom: y + BLOCK_H, right: c + W / 2, left: c - W / 2 };
		const yb = y - BRANCH;
		const yj = y + BLOCK_H + JOIN_DY;
		// Shortcut D: an average pool before its 1×1 conv.
		const pooled = bl.nodeIds.some((id) => this.node(id).op === 'avgpool2d');
		const badgeText =
			bl.shortcut === 'projection' ? (pooled ? 'avg' : '1×1') : bl.shortcut === 'zeropad' ? 'pad' : null;
		const badge = badgeText ? { x: c + LANE, y: y + BLOCK_H / 2, text: badgeText } : null;
		this.edge(
			producer,
			b,
			bl.shortcut,
			[
				[c, yb],
				[c + LANE, yb],
				[c + LANE, yj],
				[c + 6, yj]
			],
			producer.outShape,
			null,
			{ join: { x: c, y: yj }, badge }
		);
		return { bottom: y + BLOCK_H, right: c + LANE + BADGE_HALF, left: c - W / 2 };
	}

	/**
	 * An open block: its main-path layers down the middle, its shortcut on the right, its
	 * attention branch (SE / ECA) on the left, leaving the main line before the ⊗ scale and
	 * coming back into it (the ⊗ moves down below the branch's gate).
	 */
	private blockFrame(bl: BlockGroup, c: number, y: number): Extent {
		const producer = this.prev;
		const attIds = bl.nodeIds.filter((id) => this.node(id).path === 'attention');
		const left = attIds.length ? c - W / 2 - SIDE_GAP - SIDE_W : c - W / 2;
		const f = this.openFrame(
			bl,
			'block',
			left - PAD,
			y,
			HEADER_BLOCK,
			bl.id,
			`${this.blockSublabel(bl, true)} · ${SHORTCUT_TEXT[bl.shortcut]}`,
			bl.nodeIds
		);
		const top = y + HEADER_BLOCK + GAP_IN;
		let yy = top;
		let add: DiagramBox | undefined;
		const mainBoxes = new Map<string, DiagramBox>();
		for (const id of bl.nodeIds.filter((id) => this.node(id).path === 'main')) {
			const n = this.node(id);
			let branchEnd: number | null = null;
			if (n.op === 'scale' && attIds.length) {
				branchEnd = this.attentionPath(attIds, mainBoxes, c, yy);
				yy = Math.max(yy, branchEnd + NODE_GAP);
			}
			const b = this.nodeBox(n, c - W / 2, yy);
			this.connect(b);
			mainBoxes.set(id, b);
			if (branchEnd !== null) this.attentionJoin(attIds, b, c);
			if (!add && b.op === 'add') add = b;
			yy += NODE_H + NODE_GAP;
		}
		const bottom = yy - NODE_GAP;
		const right = add && producer ? this.shortcutPath(bl, producer, add, c, top, mainBoxes) : c + W / 2;
		this.closeFrame(f, right + PAD, bottom + FRAME_BOTTOM);
		return { bottom: bottom + FRAME_BOTTOM, right: right + PAD, left: f.x };
	}

	/**
	 * The attention branch's layers in a column left of the main line, from the box whose output
	 * they read (the branch's last BN), starting just below it. Returns the bottom of the gate.
	 */
	private attentionPath(
		attIds: readonly string[],
		main: ReadonlyMap<string, DiagramBox>,
		c: number,
		y: number
	): number {
		const src = main.get(this.node(attIds[0]).inputs[0]);
		const sx = c - W / 2 - SIDE_GAP - SIDE_W;
		const sc = sx + SIDE_W / 2;
		let sy = src ? src.y + src.h + NODE_GAP : y;
		// Off the source box's left side, at its middle, clear of the shape label below it.
		const yb = src ? src.y + src.h / 2 : y - BRANCH;
		let from: DiagramBox | null = src ?? null;
		for (const id of attIds) {
			const b = this.nodeBox(this.node(id), sx, sy, SIDE_W);
			if (from) {
				const first = from === src;
				const pts: [number, number][] = first
					? [
							[from.x, yb],
							[sc, yb],
							[sc, sy]
						]
					: [
							[sc, from.y + from.h],
							[sc, sy]
						];
				this.edge(
					from,
					b,
					'attention',
					pts,
					from.outShape,
					first ? null : { x: sc - LABEL_DX, y: from.y + from.h + LABEL_DY }
				);
			}
			from = b;
			sy += NODE_H + NODE_GAP;
		}
		return sy - NODE_GAP;
	}

	/** The gate (the branch's last box) into the ⊗ scale, from the left. */
	private attentionJoin(attIds: readonly string[], scale: DiagramBox, c: number) {
		const gate = this.boxes.find((b) => b.id === attIds[attIds.length - 1]);
		if (!gate) return;
		this.dropEdge(gate, scale, 'attention', cx(gate), scale.y + scale.h / 2, c - W / 2);
	}

	/** From a side column's last box down its centre line `sc` to `ya`, then across to `x`; the shape written under the box. */
	private dropEdge(from: DiagramBox, to: DiagramBox, kind: EdgeKind, sc: number, ya: number, x: number) {
		const y0 = from.y + from.h;
		this.edge(
			from,
			to,
			kind,
			[
				[sc, y0],
				[sc, ya],
				[x, ya]
			],
			from.outShape,
			{ x: sc - LABEL_DX, y: y0 + LABEL_DY }
		);
	}

	/**
	 * An open block's shortcut from the block's input (`producer`) to its add: a bare identity
	 * lane, or a side column of its layers (projection conv + BN, or the zero-pad). Returns the
	 * right edge of what it drew.
	 */
	private shortcutPath(
		bl: BlockGroup,
		producer: DiagramBox,
		add: DiagramBox,
		c: number,
		top: number,
		main: ReadonlyMap<string, DiagramBox>
	): number {
		const sideIds = bl.nodeIds.filter((id) => this.node(id).path === 'shortcut');
		const yb = top - BRANCH;
		const ya = add.y + add.h / 2;
		if (sideIds.length === 0) {
			this.edge(
				producer,
				add,
				'identity',
				[
					[c, yb],
					[c + LANE, yb],
					[c + LANE, ya],
					[c + W / 2, ya]
				],
				producer.outShape,
				null
			);
			return c + LANE + BADGE_HALF;
		}
		const kind: EdgeKind = bl.shortcut === 'zeropad' ? 'zeropad' : 'projection';
		const sx = c + W / 2 + SIDE_GAP;
		const sc = sx + SIDE_W / 2;
		// Pre-activation: the projection reads the block's pre-activated input (norm1's ReLU), a
		// box inside the block; it branches off that box's right side.
		const inner = main.get(this.node(sideIds[0]).inputs[0]);
		const start = inner ?? producer;
		let sy = inner ? inner.y + inner.h + NODE_GAP : top + NODE_H + NODE_GAP;
		let from: DiagramBox = start;
		for (const id of sideIds) {
			const b = this.nodeBox(this.node(id), sx, sy, SIDE_W);
			const first = from === start;
			const pts: [number, number][] = first
				? inner
					? [
							[c + W / 2, inner.y + inner.h / 2],
							[sc, inner.y + inner.h / 2],
							[sc, sy]
						]
					: [
							[c, yb],
							[sc, yb],
							[sc, sy]
						]
				: [
						[sc, from.y + from.h],
						[sc, sy]
					];
			this.edge(
				from,
				b,
				kind,
				pts,
				from.outShape,
				first ? null : { x: sc - LABEL_DX, y: from.y + from.h + LABEL_DY }
			);
			from = b;
			sy += NODE_H + NODE_GAP;
		}
		this.dropEdge(from, add, kind, sc, ya, c + W / 2);
		return sx + SIDE_W;
	}
}

/** Moves each column right of the one before (a gutter between), starting at the margin. */
function shiftColumns(b: Builder, cols: Col[]) {
	let x = MARGIN;
	for (let i = 0; i < cols.length; i++) {
		const c = cols[i];
		const dx = x - c.left;
		const bEnd = i + 1 < cols.length ? cols[i + 1].boxStart : b.boxes.length;
		const fEnd = i + 1 < cols.length ? cols[i + 1].frameStart : b.frames.length;
		const eEnd = i + 1 < cols.length ? cols[i + 1].edgeStart : b.edges.length;
		for (let k = c.boxStart; k < bEnd; k++) b.boxes[k].x += dx;
		for (let k = c.frameStart; k < fEnd; k++) b.frames[k].x += dx;
		for (let k = c.edgeStart; k < eEnd; k++) {
			const e = b.edges[k];
			for (const p of e.points) p[0] += dx;
			if (e.label) e.label.x += dx;
			if (e.join) e.join.x += dx;
			if (e.badge) e.badge.x += dx;
		}
		c.left += dx;
		c.right += dx;
		x = c.right + COL_GAP;
	}
}

/**
 * Connectors between columns: down below a column, across the gutter, up over the next one and
 * down into its first box. Returns the height of the whole drawing.
 */
function connectColumns(b: Builder, cols: Col[]): number {
	let height = Math.max(...cols.map((c) => c.bottom)) + MARGIN;
	for (let i = 0; i + 1 < cols.length; i++) {
		const from = cols[i].last!;
		const to = cols[i + 1].first!;
		const ya = Math.max(cols[i].bottom, from.y + from.h) + 22;
		const gx = (cols[i].right + cols[i + 1].left) / 2;
		const yt = TOP - 18;
		b.edge(
			from,
			to,
			'main',
			[
				[cx(from), from.y + from.h],
				[cx(from), ya],
				[gx, ya],
				[gx, yt],
				[cx(to), yt],
				[cx(to), to.y]
			],
			from.outShape,
			{ x: cx(from) - LABEL_DX, y: from.y + from.h + LABEL_DY }
		);
		height = Math.max(height, ya + MARGIN);
	}
	return height;
}

/** Edge paths and bounding boxes, the lookup by id: the finished layout. */
function finish(b: Builder, width: number, height: number): DiagramLayout {
	const byId = new Map<string, DiagramBox | DiagramFrame>();
	for (const f of b.frames) byId.set(f.id, f);
	for (const x of b.boxes) byId.set(x.id, x);
	for (const e of b.edges) {
		e.path = round(e.points);
		let x0 = Infinity;
		let y0 = Infinity;
		let x1 = -Infinity;
		let y1 = -Infinity;
		for (const [px, py] of e.points) {
			if (px < x0) x0 = px;
			if (px > x1) x1 = px;
			if (py < y0) y0 = py;
			if (py > y1) y1 = py;
		}
		if (e.label) x0 = Math.min(x0, e.label.x - 70);
		e.bbox = [x0 - BADGE_HALF, y0 - 8, x1 + BADGE_HALF, y1 + 20];
	}
	const key = shortcutKey(b.edges, b.graph.spec);
	return { boxes: b.boxes, frames: b.frames, edges: b.edges, width, height, byId, key };
}

/** A rectangle in layout coordinates. */
export interface Rect {
	x0: number;
	y0: number;
	x1: number;
	y1: number;
}

const overlaps = (r: Rect, x0: number, y0: number, x1: number, y1: number) =>
	x1 >= r.x0 && x0 <= r.x1 && y1 >= r.y0 && y0 <= r.y1;

/** The boxes, frames and edges that intersect `r` (for drawing only what the viewport shows). */
export function itemsIn(
	layout: DiagramLayout,
	r: Rect
): { boxes: DiagramBox[]; frames: DiagramFrame[]; edges: DiagramEdge[] } {
	return {
		boxes: layout.boxes.filter((b) => overlaps(r, b.x, b.y, b.x + b.w, b.y + b.h)),
		frames: layout.frames.filter((f) => overlaps(r, f.x, f.y, f.x + f.w, f.y + f.h)),
		edges: layout.edges.filter((e) => overlaps(r, e.bbox[0], e.bbox[1], e.bbox[2], e.bbox[3]))
	};
}

/** Frames and boxes merged in reading order (for drawing and for the tab order). O(n). */
export function flowOrder(
	frames: readonly DiagramFrame[],
	boxes: readonly DiagramBox[]
): (DiagramFrame | DiagramBox)[] {
	const out: (DiagramFrame | DiagramBox)[] = [];
	let i = 0;
	let j = 0;
	while (i < frames.length || j < boxes.length) {
		if (j >= boxes.length || (i < frames.length && frames[i].seq < boxes[j].seq)) out.push(frames[i++]);
		else out.push(boxes[j++]);
	}
	return out;
}

/** The box under a point (layout coordinates), or null. O(n). */
export function boxAt(layout: DiagramLayout, x: number, y: number): DiagramBox | null {
	for (const b of layout.boxes) if (x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h) return b;
	return null;
}

/** `set` with `id` added, or removed if it was there (a new set). */
export function toggled(set: ReadonlySet<string>, id: string): Set<string> {
	const out = new Set(set);
	if (out.has(id)) out.delete(id);
	else out.add(id);
	return out;
}

/** Boxes as a few paths (one per fill), for drawing thousands of them at low zoom. O(n). */
export function litePaths(
	items: { boxes: readonly DiagramBox[]; frames: readonly DiagramFrame[]; edges: readonly DiagramEdge[] },
	fillOf: (b: DiagramBox) => string
): { boxes: { fill: string; d: string }[]; edges: string; frames: string } {
	const byFill = new Map<string, string[]>();
	for (const b of items.boxes) {
		const f = fillOf(b);
		let list = byFill.get(f);
		if (!list) byFill.set(f, (list = []));
		list.push(`M${b.x},${b.y}h${b.w}v${b.h}h${-b.w}z`);
	}
	return {
		boxes: [...byFill].map(([fill, d]) => ({ fill, d: d.join('') })),
		edges: items.edges.map((e) => e.path).join(''),
		frames: items.frames.map((f) => `M${f.x},${f.y}h${f.w}v${f.h}h${-f.w}z`).join('')
	};
}
