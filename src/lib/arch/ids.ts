/**
 * Node and group ids (DESIGN §3.2), in one place: every id of the graph is written here.
 *
 * Two schemes, chosen by the block order, so that the checkpoints of the implementation a layout
 * comes from load as they are:
 * - post (torchvision's ResNet and timm's resnet.py): stage `layer{i+1}`, block `layer{i+1}.{j}`,
 *   stem `conv1` (deep stems: `conv1.0`…`conv1.6`, timm's nn.Sequential), `bn1`, `relu`, `maxpool`
 *   (ResNet-RS's conv pool: `maxpool.0`…`maxpool.2`), head `avgpool`/`flatten`, `fc`;
 * - pre (timm's resnetv2.py): stage `stages.{i}`, block `stages.{i}.blocks.{j}`, stem `stem.conv`
 *   (deep: `stem.conv1`…`stem.conv3`), `stem.pool`, final `norm`, head `head.global_pool`,
 *   `head.fc`. A BatchNormAct2d is two nodes: the BN under its module path (`…norm1`) and its
 *   ReLU under the path of its `act` submodule (`…norm1.act`).
 * The stem and head are groups `stem` and `head`. As a target (taps, feature maps,
 * explanations) a group means its output: the last node it holds.
 */
import type { BlockGraph } from './graph';
import { blockOrder, type ArchSpec } from './spec';

/** Which implementation's module paths the ids follow. */
export type IdScheme = 'torchvision' | 'resnetv2';
type Ordered = Pick<ArchSpec, 'order'>;

/** The id scheme of a spec: timm's resnetv2 paths for pre-activation nets, else torchvision's. */
export function idScheme(spec?: Ordered): IdScheme {
	return spec && blockOrder(spec) === 'pre' ? 'resnetv2' : 'torchvision';
}

/** The id of stage `i` (0-based): `layer{i+1}`, or `stages.{i}` for a pre-activation spec. */
export function stageId(i: number, spec?: Ordered): string {
	return idScheme(spec) === 'resnetv2' ? `stages.${i}` : `layer${i + 1}`;
}

/** The id of block `j` of stage `i` (both 0-based): `layer{i+1}.{j}` or `stages.{i}.blocks.{j}`. */
export function blockId(i: number, j: number, spec?: Ordered): string {
	return idScheme(spec) === 'resnetv2' ? `${stageId(i, spec)}.blocks.${j}` : `${stageId(i)}.${j}`;
}

/** The stage index (0-based) of a stage or block id of either scheme, or null. */
export function stageIndexOf(id: string): number | null {
	const tv = /^layer(\d+)(?:\.\d+)?$/.exec(id);
	if (tv) return Number(tv[1]) - 1;
	const v2 = /^stages\.(\d+)(?:\.blocks\.\d+)?$/.exec(id);
	return v2 ? Number(v2[1]) : null;
}

/** Parts of a squeeze-excitation or ECA module (timm's `se` attribute of a block). */
export type AttentionPart = 'pool' | 'fc1' | 'act' | 'fc2' | 'conv' | 'gate' | 'scale';

/**
 * The ids of one graph's nodes, by role. Weighted nodes carry the module path of the reference
 * implementation (their state_dict keys are `<id>.<tensor>`); the others have unique ids that
 * begin with their block's path (`…add`, `…shortcut`, `…se.scale`) or their section's.
 */
export interface NodeIds {
	scheme: IdScheme;
	stage(i: number): string;
	block(i: number, j: number): string;
	/** Conv `k` (0-based) of a stem with `n` convs. */
	stemConv(k: number, n: number): string;
	/** The BN after stem conv `k` (pre-activation stems have none after their last conv). */
	stemNorm(k: number, n: number): string;
	stemAct(k: number, n: number): string;
	/** The stem's max pool. */
	stemMaxPool: string;
	/** ResNet-RS's conv pool (post only): conv 3×3/2, BN, ReLU. */
	stemConvPool: readonly [conv: string, norm: string, act: string];
	/** Conv `n` (1-based) of a block's residual branch, its BN and its ReLU. */
	conv(block: string, n: number): string;
	norm(block: string, n: number): string;
	act(block: string, n: number): string;
	add(block: string): string;
	/** Option A's subsample + zero channels. */
	zeropad(block: string): string;
	/** Projection shortcut (B, C, D): its average pool (D), conv and BN (post only). */
	downsamplePool(block: string): string;
	downsampleConv(block: string, avg: boolean): string;
	downsampleNorm(block: string, avg: boolean): string;
	attention(block: string, part: AttentionPart): string;
	/** Pre-activation nets end with BN + ReLU before the pool. */
	finalNorm: string;
	finalAct: string;
	globalPool: string;
	flatten: string;
	fc: string;
}

const TORCHVISION: NodeIds = {
	scheme: 'torchvision',
	stage: (i) => stageId(i),
	block: (i, j) => blockId(i, j),
	stemConv: (k, n) => (n === 1 ? 'conv1' : `conv1.${3 * k}`),
	stemNorm: (k, n) => (k === n - 1 ? 'bn1' : `conv1.${3 * k + 1}`),
	stemAct: (k, n) => (k === n - 1 ? 'relu' : `conv1.${3 * k + 2}`),
	stemMaxPool: 'maxpool',
	stemConvPool: ['maxpool.0', 'maxpool.1', 'maxpool.2'],
	conv: (b, n) => `${b}.conv${n}`,
	norm: (b, n) => `${b}.bn${n}`,
	act: (b, n) => `${b}.relu${n}`,
	add: (b) => `${b}.add`,
	zeropad: (b) => `${b}.shortcut`,
	downsamplePool: (b) => `${b}.downsample.0`,
	downsampleConv: (b, avg) => `${b}.downsample.${avg ? 1 : 0}`,
	downsampleNorm: (b, avg) => `${b}.downsample.${avg ? 2 : 1}`,
	attention: (b, part) => `${b}.se.${part}`,
	finalNorm: 'norm',
	finalAct: 'norm.act',
	globalPool: 'avgpool',
	flatten: 'flatten',
	fc: 'fc'
};

const RESNETV2: NodeIds = {
	scheme: 'resnetv2',
	stage: (i) => `stages.${i}`,
	block: (i, j) => `stages.${i}.blocks.${j}`,
	stemConv: (k, n) => (n === 1 ? 'stem.conv' : `stem.conv${k + 1}`),
	stemNorm: (k, n) => (n === 1 ? 'stem.norm' : `stem.norm${k + 1}`),
	stemAct: (k, n) => (n === 1 ? 'stem.norm.act' : `stem.norm${k + 1}.act`),
	stemMaxPool: 'stem.pool',
	stemConvPool: ['stem.pool.0', 'stem.pool.1', 'stem.pool.2'],
	conv: (b, n) => `${b}.conv${n}`,
	norm: (b, n) => `${b}.norm${n}`,
	act: (b, n) => `${b}.norm${n}.act`,
	add: (b) => `${b}.add`,
	zeropad: (b) => `${b}.shortcut`,
	downsamplePool: (b) => `${b}.downsample.pool`,
	downsampleConv: (b) => `${b}.downsample.conv`,
	downsampleNorm: (b) => `${b}.downsample.norm`,
	attention: (b, part) => `${b}.se.${part}`,
	finalNorm: 'norm',
	finalAct: 'norm.act',
	globalPool: 'head.global_pool',
	flatten: 'head.flatten',
	fc: 'head.fc'
};

/** The node-id rules of a spec (torchvision's paths, or timm resnetv2's for pre-activation). */
export function nodeIds(spec?: Ordered): NodeIds {
	return idScheme(spec) === 'resnetv2' ? RESNETV2 : TORCHVISION;
}

/** The stage and block that hold a block id of `graph`, or null. */
function blockOf(graph: BlockGraph, id: string) {
	for (const st of graph.stages) for (const b of st.blocks) if (b.id === id) return { st, b };
	return null;
}

/**
 * The groups that hold `id` (a node, block or stage id), outermost first: `['stem']`,
 * `['head']` (only with `sections`), `[stage, block]` for a node of a block, `[stage]` for a
 * block; `[]` for the input, a stage, or an unknown id.
 */
export function groupsHolding(graph: BlockGraph, id: string, sections = true): string[] {
	const node = graph.byId.get(id);
	if (node) {
		if (node.section === 'stem') return sections ? ['stem'] : [];
		if (node.section === 'head') return sections ? ['head'] : [];
		if (node.stage !== null && node.block !== null) return [graph.stages[node.stage].id, node.block];
		return [];
	}
	const found = blockOf(graph, id);
	return found ? [found.st.id] : [];
}

/** Stage and block ids in order; with `sections`, also `stem` first and `head` last. */
export function groupIds(graph: BlockGraph, sections = false): string[] {
	const ids = graph.stages.flatMap((st) => [st.id, ...st.blocks.map((b) => b.id)]);
	return sections ? ['stem', ...ids, 'head'] : ids;
}

/** Whether `id` names a group (stem, head, a stage or a block) of this graph. */
export function isGroupId(graph: BlockGraph, id: string): boolean {
	return groupOutput(graph, id) !== null && !graph.byId.has(id);
}

/**
 * The node whose output a node or group id stands for: a node is itself; a block, stage, stem
 * or head is its last node (a block's last ReLU — its add in a pre-activation net —, the stem's
 * pool, the fc). Null for an unknown id.
 */
export function groupOutput(graph: BlockGraph, id: string): string | null {
	if (graph.byId.has(id)) return id;
	const last = (ids: readonly string[]) => ids[ids.length - 1] ?? null;
	if (id === 'stem') return last(graph.stem.nodeIds);
	if (id === 'head') return last(graph.head.nodeIds);
	for (const st of graph.stages) {
		if (st.id === id) return last(st.blocks[st.blocks.length - 1].nodeIds);
		for (const b of st.blocks) if (b.id === id) return last(b.nodeIds);
	}
	return null;
}

/** The id of the last block of the last stage: the network's last feature map (Grad-CAM's default target). */
export function lastBlockId(graph: BlockGraph): string {
	const st = graph.stages[graph.stages.length - 1];
	return st.blocks[st.blocks.length - 1].id;
}
