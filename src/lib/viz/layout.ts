/**
 * BlockGraph + expansion state → positioned boxes, frames and edges (pure, O(n), no DOM).
 *
 * Data flows top to bottom. Three levels: a stage is one box, or a frame holding its blocks; a
 * block is one box (its shortcut drawn as a lane on its right, joining at ⊕ below it), or a frame
 * holding its layers (the shortcut's layers in a side column). The stem and the head are one box
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

export type BoxKind = 'node' | 'block' | 'stage' | 'section';
export type EdgeKind = 'main' | 'identity' | 'projection' | 'zeropad';

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
		case 'flatten':
			return 'flatten';
		case 'linear':
			return `fc ${n.inFeatures}→${n.outFeatures}`;
	}
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

export function layoutDiagram(
	graph: BlockGraph,
	expanded: ReadonlySet<string>,
	options: LayoutOptions = {}
): DiagramLayout {
	const spec = graph.spec;
	const boxes: DiagramBox[] = [];
	const frames: DiagramFrame[] = [];
	const edges: DiagramEdge[] = [];
	const node = (id: string) => graph.byId.get(id)!;
	const lastRf = (ids: readonly string[]) => node(ids[ids.length - 1]).receptiveField;

	/** The box whose output feeds the next box placed on the main line. */
	let prev: DiagramBox | null = null;
	/** Set at the top of a new column: the column connector is drawn separately. */
	let newColumn = false;
	let parent: string | null = null;
	let depth = 0;
	let seq = 0;

	function edge(
		from: DiagramBox,
		to: DiagramBox,
		kind: EdgeKind,
		points: [number, number][],
		shape: Shape,
		label: { x: number; y: number } | null,
		extra: Partial<Pick<DiagramEdge, 'join' | 'badge'>> = {}
	) {
		edges.push({
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
	function connect(b: DiagramBox) {
		if (prev && !newColumn) {
			const x = cx(prev);
			const y0 = prev.y + prev.h;
			edge(
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
		prev = b;
		newColumn = false;
	}

	function box(
		x: number,
		y: number,
		w: number,
		h: number,
		fields: Omit<DiagramBox, 'x' | 'y' | 'w' | 'h' | 'parent' | 'depth' | 'seq'>
	): DiagramBox {
		const b: DiagramBox = { x, y, w, h, parent, depth, seq: seq++, ...fields };
		boxes.push(b);
		return b;
	}

	function nodeBox(n: GraphNode, x: number, y: number, w = W): DiagramBox {
		return box(x, y, w, NODE_H, {
			id: n.id,
			kind: 'node',
			label: nodeLabel(n),
			sublabel: n.op === 'input' ? n.outShape.join('×') : n.id,
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

	function openFrame(
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
			receptiveField: lastRf(nodeIds),
			nodeIds,
			parent,
			depth,
			seq: seq++
		};
		frames.push(f);
		parent = f.id;
		depth++;
		return f;
	}

	function closeFrame(f: DiagramFrame, right: number, bottom: number) {
		f.w = right - f.x;
		f.h = bottom - f.y;
		parent = f.parent;
		depth--;
	}

	/** Layers one under the other; returns the bottom. */
	function sequence(ids: readonly string[], x0: number, y: number): number {
		let bottom = y;
		for (const id of ids) {
			const b = nodeBox(node(id), x0, y);
			connect(b);
			bottom = y + NODE_H;
			y = bottom + NODE_GAP;
		}
		return bottom;
	}

	// --- sections (stem, head) ---
	function section(id: 'stem' | 'head', g: SectionGroup, c: number, y: number): number {
		const label = id;
		const sublabel =
			id === 'stem'
				? spec.stem.kind === 'imagenet'
					? 'conv 7×7 /2 · max pool /2'
					: 'conv 3×3'
				: `${spec.head.pool === 'avg' ? 'avg pool' : 'flatten'} · fc ${spec.head.classes}`;
		const group = { id, ...g };
		if (expanded.has(id)) {
			const f = openFrame(group, 'section', c - W / 2 - PAD, y, HEADER_BLOCK, label, sublabel, g.nodeIds);
			const bottom = sequence(g.nodeIds, c - W / 2, y + HEADER_BLOCK + GAP_IN);
			closeFrame(f, c + W / 2 + PAD, bottom + FRAME_BOTTOM);
			return bottom + FRAME_BOTTOM;
		}
		const b = box(c - W / 2, y, W, SECTION_H, {
			id,
			kind: 'section',
			label,
			sublabel,
			inShape: g.inShape,
			outShape: g.outShape,
			metrics: g.totals,
			receptiveField: lastRf(g.nodeIds),
			nodeIds: g.nodeIds,
			expandable: true,
			op: null,
			shortcut: null,
			count: g.nodeIds.length
		});
		connect(b);
		return y + SECTION_H;
	}

	// --- blocks ---
	function blockSublabel(bl: BlockGroup): string {
		const stride = bl.index === 0 ? spec.stages[bl.stage].stride : 1;
		return `${spec.block} · ${bl.inShape[0]}→${bl.outShape[0]}${stride > 1 ? ` /${stride}` : ''}`;
	}

	function block(bl: BlockGroup, c: number, y: number): { bottom: number; right: number } {
		const producer = prev;
		if (expanded.has(bl.id)) return blockFrame(bl, c, y, producer);
		const b = box(c - W / 2, y, W, BLOCK_H, {
			id: bl.id,
			kind: 'block',
			label: bl.id,
			sublabel: blockSublabel(bl),
			inShape: bl.inShape,
			outShape: bl.outShape,
			metrics: bl.totals,
			receptiveField: lastRf(bl.nodeIds),
			nodeIds: bl.nodeIds,
			expandable: true,
			op: null,
			shortcut: bl.shortcut,
			count: bl.nodeIds.length
		});
		connect(b);
		if (bl.shortcut === 'none' || !producer) return { bottom: y + BLOCK_H, right: c + W / 2 };
		const yb = y - BRANCH;
		const yj = y + BLOCK_H + JOIN_DY;
		const kind: EdgeKind = bl.shortcut;
		const badge =
			bl.shortcut === 'projection'
				? { x: c + LANE, y: y + BLOCK_H / 2, text: '1×1' }
				: bl.shortcut === 'zeropad'
					? { x: c + LANE, y: y + BLOCK_H / 2, text: 'pad' }
					: null;
		edge(
			producer,
			b,
			kind,
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
		return { bottom: y + BLOCK_H, right: c + LANE + BADGE_HALF };
	}

	function blockFrame(
		bl: BlockGroup,
		c: number,
		y: number,
		producer: DiagramBox | null
	): { bottom: number; right: number } {
		const f = openFrame(
			bl,
			'block',
			c - W / 2 - PAD,
			y,
			HEADER_BLOCK,
			bl.id,
			`${blockSublabel(bl)} · ${SHORTCUT_TEXT[bl.shortcut]}`,
			bl.nodeIds
		);
		const mainIds = bl.nodeIds.filter((id) => node(id).path === 'main');
		const sideIds = bl.nodeIds.filter((id) => node(id).path === 'shortcut');
		const top = y + HEADER_BLOCK + GAP_IN;
		let yy = top;
		const mainBoxes: DiagramBox[] = [];
		for (const id of mainIds) {
			const b = nodeBox(node(id), c - W / 2, yy);
			connect(b);
			mainBoxes.push(b);
			yy += NODE_H + NODE_GAP;
		}
		const bottom = yy - NODE_GAP;
		const add = mainBoxes.find((b) => b.op === 'add');
		let right = c + W / 2;
		if (add && producer) {
			const yb = top - BRANCH;
			const ya = add.y + add.h / 2;
			if (sideIds.length === 0) {
				edge(
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
				right = c + LANE + BADGE_HALF;
			} else {
				const kind: EdgeKind = bl.shortcut === 'zeropad' ? 'zeropad' : 'projection';
				const sx = c + W / 2 + SIDE_GAP;
				const sc = sx + SIDE_W / 2;
				let sy = top + NODE_H + NODE_GAP;
				let from: DiagramBox = producer;
				let first = true;
				for (const id of sideIds) {
					const b = nodeBox(node(id), sx, sy, SIDE_W);
					const pts: [number, number][] = first
						? [
								[c, yb],
								[sc, yb],
								[sc, sy]
							]
						: [
								[sc, from.y + from.h],
								[sc, sy]
							];
					edge(
						from,
						b,
						kind,
						pts,
						from.outShape,
						first ? null : { x: sc - LABEL_DX, y: from.y + from.h + LABEL_DY }
					);
					from = b;
					first = false;
					sy += NODE_H + NODE_GAP;
				}
				const y0 = from.y + from.h;
				edge(
					from,
					add,
					kind,
					[
						[sc, y0],
						[sc, ya],
						[c + W / 2, ya]
					],
					from.outShape,
					{ x: sc - LABEL_DX, y: y0 + LABEL_DY }
				);
				right = sx + SIDE_W;
			}
		}
		closeFrame(f, right + PAD, bottom + FRAME_BOTTOM);
		return { bottom: bottom + FRAME_BOTTOM, right: right + PAD };
	}

	// --- stages ---
	function stage(st: StageGroup, c: number, y: number): { bottom: number; right: number } {
		const sublabel = `${st.blocks.length} block${st.blocks.length === 1 ? '' : 's'} · ${st.inShape[0]}→${st.outShape[0]}${
			spec.stages[st.index].stride > 1 ? ` /${spec.stages[st.index].stride}` : ''
		}`;
		const nodeIds = st.blocks.flatMap((b) => b.nodeIds);
		if (expanded.has(st.id)) {
			const f = openFrame(st, 'stage', c - W / 2 - 2 * PAD, y, HEADER_STAGE, st.id, sublabel, nodeIds);
			let yy = y + HEADER_STAGE + GAP_IN;
			let right = c + W / 2 + PAD;
			let bottom = yy;
			for (const bl of st.blocks) {
				const r = block(bl, c, yy);
				right = Math.max(right, r.right);
				bottom = r.bottom;
				yy = bottom + GAP;
			}
			closeFrame(f, right + PAD, bottom + FRAME_BOTTOM);
			return { bottom: bottom + FRAME_BOTTOM, right: right + PAD };
		}
		const b = box(c - W / 2, y, W, STAGE_H, {
			id: st.id,
			kind: 'stage',
			label: st.id,
			sublabel,
			inShape: st.inShape,
			outShape: st.outShape,
			metrics: st.totals,
			receptiveField: lastRf(nodeIds),
			nodeIds,
			expandable: true,
			op: null,
			shortcut: null,
			count: st.blocks.length
		});
		connect(b);
		return { bottom: y + STAGE_H, right: c + W / 2 };
	}

	// --- columns ---
	type Item =
		{ kind: 'input' } | { kind: 'section'; id: 'stem' | 'head' } | { kind: 'stage'; st: StageGroup };
	const items: Item[] = [
		{ kind: 'input' },
		{ kind: 'section', id: 'stem' },
		...graph.stages.map((st): Item => ({ kind: 'stage', st })),
		{ kind: 'section', id: 'head' }
	];
	const columns: Item[][] = [];
	if (options.columns && graph.stages.length > 1) {
		for (const st of graph.stages) columns.push([{ kind: 'stage', st }]);
		columns[0].unshift(items[0], items[1]);
		columns[columns.length - 1].push(items[items.length - 1]);
	} else columns.push(items);

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
	const cols: Col[] = [];
	for (const col of columns) {
		const c: Col = {
			boxStart: boxes.length,
			frameStart: frames.length,
			edgeStart: edges.length,
			left: 0,
			right: 0,
			bottom: 0,
			first: null,
			last: null
		};
		newColumn = prev !== null;
		let y = columns.length > 1 ? TOP : MARGIN;
		let right = W / 2;
		let left = -W / 2;
		for (const it of col) {
			let bottom: number;
			if (it.kind === 'input') {
				const b = nodeBox(node('input'), -W / 2, y);
				connect(b);
				bottom = y + NODE_H;
			} else if (it.kind === 'section') {
				bottom = section(it.id, it.id === 'stem' ? graph.stem : graph.head, 0, y);
				if (expanded.has(it.id)) left = Math.min(left, -W / 2 - PAD);
				right = Math.max(right, W / 2 + PAD);
			} else {
				const r = stage(it.st, 0, y);
				bottom = r.bottom;
				right = Math.max(right, r.right);
				if (expanded.has(it.st.id)) left = Math.min(left, -W / 2 - 2 * PAD);
			}
			if (c.first === null) c.first = boxes[c.boxStart] ?? null;
			y = bottom + GAP;
		}
		c.left = left;
		c.right = right;
		c.bottom = y - GAP;
		c.last = prev;
		cols.push(c);
	}

	// Shift columns into place.
	let x = MARGIN;
	for (let i = 0; i < cols.length; i++) {
		const c = cols[i];
		const dx = x - c.left;
		const bEnd = i + 1 < cols.length ? cols[i + 1].boxStart : boxes.length;
		const fEnd = i + 1 < cols.length ? cols[i + 1].frameStart : frames.length;
		const eEnd = i + 1 < cols.length ? cols[i + 1].edgeStart : edges.length;
		for (let k = c.boxStart; k < bEnd; k++) boxes[k].x += dx;
		for (let k = c.frameStart; k < fEnd; k++) frames[k].x += dx;
		for (let k = c.edgeStart; k < eEnd; k++) {
			const e = edges[k];
			for (const p of e.points) p[0] += dx;
			if (e.label) e.label.x += dx;
			if (e.join) e.join.x += dx;
			if (e.badge) e.badge.x += dx;
		}
		c.left += dx;
		c.right += dx;
		x = c.right + COL_GAP;
	}
	let height = Math.max(...cols.map((c) => c.bottom)) + MARGIN;
	// Connectors between columns: down below the column, across the gutter, up over the next one.
	for (let i = 0; i + 1 < cols.length; i++) {
		const a = cols[i].last!;
		const b = cols[i + 1].first!;
		const ya = Math.max(cols[i].bottom, a.y + a.h) + 22;
		const gx = (cols[i].right + cols[i + 1].left) / 2;
		const yt = TOP - 18;
		edge(
			a,
			b,
			'main',
			[
				[cx(a), a.y + a.h],
				[cx(a), ya],
				[gx, ya],
				[gx, yt],
				[cx(b), yt],
				[cx(b), b.y]
			],
			a.outShape,
			{ x: cx(a) - LABEL_DX, y: a.y + a.h + LABEL_DY }
		);
		height = Math.max(height, ya + MARGIN);
	}
	const width = cols[cols.length - 1].right + MARGIN;

	const byId = new Map<string, DiagramBox | DiagramFrame>();
	for (const f of frames) byId.set(f.id, f);
	for (const b of boxes) byId.set(b.id, b);
	for (const e of edges) {
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
	return { boxes, frames, edges, width, height, byId };
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
