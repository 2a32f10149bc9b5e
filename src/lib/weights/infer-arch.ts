/**
 * The architecture a checkpoint holds, read from its tensors' names, shapes and order alone.
 *
 * Structure, never name patterns: tensors are grouped into modules by their key without the last
 * part (`stages.2.3.body.4.weight` → module `stages.2.3.body.4`, tensor `weight`) — the tensor
 * names are PyTorch's own (`weight`, `bias`, `running_mean`, `running_var`), whatever the module
 * names. A module with a 4-D `weight` is a convolution, one with `weight`, `bias`, `running_mean`
 * and `running_var` of one length a batch norm, one with a 2-D `weight` a linear layer; anything
 * else is an extra (listed, not used). Each convolution is paired with the batch norm of its width
 * that follows it. The first convolution is the stem (7×7: ImageNet stem; 3×3: CIFAR stem); the
 * others are read, in the file's order, as blocks by following the channels: a basic block is two
 * 3×3 convs, a bottleneck 1×1 → 3×3 → 1×1, and a 1×1 conv from the block's input to its output is
 * the projection, registered before or after the block's own convs (both readings are tried; when
 * both fit and give different mappings, the file is refused, naming the first tensor they disagree
 * on). Stages are where the width changes. The fc's in_features say the head: the last width →
 * average pool; width·H·W → flatten, which gives the input size.
 *
 * What the weights cannot say — strides, the stem's stride and pool, the input size of an
 * avg-pool head, where the bottleneck strides — is set to torchvision's defaults and listed in
 * `assumed`. The tensors come back renamed to the graph's keys (DESIGN §3.2), with the mapping.
 *
 * timm's family layouts (deep stems, conv stem pool, D shortcuts, SE/ECA, pre-activation
 * resnetv2) are read by their module paths, which are the graph's own ids (timm-layout.ts).
 */
import { blockId } from '../arch/ids';
import { buildGraph, type BlockGraph } from '../arch/graph';
import {
	SpecError,
	bottleneckInnerWidth,
	simplifyConvBias,
	type ArchSpec,
	type BlockKind,
	type ShortcutOption
} from '../arch/spec';
import { readTimmLayout, type TimmLayout } from './timm-layout';
import { expectedTensors, fitsShape } from './torchvision';
import { WeightsError, formatShape, isIgnoredKey, type Tensor, type TensorMap } from './types';

/** A value the weights could not say, set to a default: its spec path, the value, and why. */
export interface Assumption {
	path: string;
	value: unknown;
	reason: string;
}

export interface InferredNetwork {
	spec: ArchSpec;
	assumed: Assumption[];
	/** [sourceKey, nodeKey] in the file's order, when the names are not already the graph's; else null. */
	mapping: [string, string][] | null;
	/** Keys of tensors the network does not use (constants, a second head, …). */
	extras: string[];
	/** The network's tensors, keyed by the graph's names. */
	tensors: TensorMap;
}

export interface InferOptions {
	/** The spec's name (default "checkpoint"). */
	name?: string;
	/** Input size; channels must match the stem's. Default: the flatten head's, else 224 / 32. */
	input?: { channels?: number; height: number; width: number };
	/** The file keeps no order (safetensors): its tensors come in their names' natural order. */
	sortedNames?: boolean;
}

interface Conv {
	prefix: string;
	order: number;
	weight: string;
	bias: string | null;
	out: number;
	/** in_channels / groups (the weight's second dimension). */
	inPerGroup: number;
	kernel: number;
	bn: Bn | null;
}

interface Bn {
	prefix: string;
	order: number;
	channels: number;
	keys: string[];
}

interface Linear {
	prefix: string;
	order: number;
	weight: string;
	bias: string | null;
	out: number;
	in: number;
}

interface Block {
	main: Conv[];
	proj: Conv | null;
	inC: number;
	outC: number;
}

const BN_TENSORS = ['weight', 'bias', 'running_mean', 'running_var'];

function refuse(tensor: string, message: string, expected = 'a ResNet the explorer can build'): WeightsError {
	return new WeightsError(tensor, expected, 'something else', `cannot read the architecture: ${message}`);
}

const shapeOf = (tensors: TensorMap, key: string) => formatShape(tensors.get(key)!.shape);

/** Modules in the file's order: convolutions, batch norms, linear layers; the rest are extras. */
function readModules(tensors: TensorMap) {
	const modules = new Map<string, { order: number; parts: Map<string, [string, Tensor]> }>();
	let i = 0;
	for (const [key, t] of tensors) {
		if (isIgnoredKey(key)) continue;
		const dot = key.lastIndexOf('.');
		const prefix = dot < 0 ? '' : key.slice(0, dot);
		const name = key.slice(dot + 1);
		let m = modules.get(prefix);
		if (!m) modules.set(prefix, (m = { order: i++, parts: new Map() }));
		m.parts.set(name, [key, t]);
	}
	const convs: Conv[] = [];
	const bns: Bn[] = [];
	const linears: Linear[] = [];
	const extras: string[] = [];
	for (const [prefix, { order, parts }] of modules) {
		const used = new Set<string>();
		const w = parts.get('weight');
		const b = parts.get('bias');
		const oneD = (p: [string, Tensor] | undefined, n: number) =>
			p !== undefined && p[1].shape.length === 1 && p[1].shape[0] === n;
		if (w && w[1].shape.length === 4 && w[1].shape[2] === w[1].shape[3]) {
			const [out, inPerGroup, kernel] = w[1].shape;
			const hasBias = oneD(b, out);
			convs.push({
				prefix,
				order,
				weight: w[0],
				bias: hasBias ? b![0] : null,
				out,
				inPerGroup,
				kernel,
				bn: null
			});
			used.add('weight');
			if (hasBias) used.add('bias');
		} else if (w && w[1].shape.length === 1 && BN_TENSORS.every((n) => oneD(parts.get(n), w[1].shape[0]))) {
			bns.push({ prefix, order, channels: w[1].shape[0], keys: BN_TENSORS.map((n) => parts.get(n)![0]) });
			for (const n of BN_TENSORS) used.add(n);
		} else if (w && w[1].shape.length === 2) {
			const [out, inF] = w[1].shape;
			const hasBias = oneD(b, out);
			linears.push({ prefix, order, weight: w[0], bias: hasBias ? b![0] : null, out, in: inF });
			used.add('weight');
			if (hasBias) used.add('bias');
		}
		for (const [name, [key]] of parts) if (!used.has(name)) extras.push(key);
	}
	return { convs, bns, linears, extras, moduleCount: modules.size };
}

/**
 * The k-th convolution's batch norm is the file's k-th batch norm (it must have the conv's width). Where a conv's batch norm is not right after it (convs declared before their
 * norms), the pairing rests on the order alone: said in `assumed`.
 */
function pairBatchNorms(convs: Conv[], bns: Bn[], assumed: Assumption[]): void {
	const apart: string[] = [];
	convs.forEach((c, k) => {
		const bn = bns[k];
		const what = `${c.weight} ${formatShape([c.out, c.inPerGroup, c.kernel, c.kernel])}`;
		if (!bn) throw refuse(c.weight, `${what} has no batch norm (every conv of a ResNet is followed by one)`);
		if (bn.channels !== c.out)
			throw refuse(
				bn.keys[0],
				`the batch norms do not follow the convolutions in order: ${what} is conv ${k + 1}, but batch norm ${k + 1}, ${bn.prefix}, has ${bn.channels} channels`
			);
		if (bn.order !== c.order + 1) apart.push(bn.prefix);
		c.bn = bn;
	});
	if (apart.length)
		assumed.push({
			path: 'mapping',
			value: apart,
			reason: `${apart.length} batch norm${apart.length > 1 ? 's are' : ' is'} not right after ${apart.length > 1 ? 'their convs' : 'its conv'} (${apart.slice(0, 3).join(', ')}${apart.length > 3 ? ', …' : ''}): paired by rank, the k-th batch norm of the file with its k-th conv`
		});
	const left = bns[convs.length];
	if (left)
		throw refuse(
			left.keys[0],
			`the batch norm ${left.prefix} (${left.channels} channels) follows no convolution of its own (a pre-activation network? those are read under timm's resnetv2 names only: stem.conv, stages.0.blocks.0.norm1, …)`
		);
}

type Parse = { ok: true; blocks: Block[] } | { ok: false; at: number; tensor: string; message: string };

/** The body convs read as blocks, with projections before (`first`) or after (`last`) their block's convs. */
function parseBlocks(units: Conv[], kind: BlockKind, stemWidth: number, where: 'first' | 'last'): Parse {
	const blocks: Block[] = [];
	let c = stemWidth;
	let i = 0;
	const fail = (at: number, message: string): Parse => ({
		ok: false,
		at,
		tensor: units[at]?.weight ?? '',
		message
	});
	const k = (j: number) => units[j]?.kernel;
	const desc = (u: Conv) => `${u.weight} ${formatShape([u.out, u.inPerGroup, u.kernel, u.kernel])}`;
	while (i < units.length) {
		const n = blocks.length;
		let proj: Conv | null = null;
		const projHere = kind === 'basic' ? k(i) === 1 : k(i) === 1 && k(i + 1) === 1;
		if (where === 'first' && projHere) proj = units[i++];
		const main: Conv[] = [];
		const kernels = kind === 'basic' ? [3, 3] : [1, 3, 1];
		let inC = c;
		for (let m = 0; m < kernels.length; m++, i++) {
			const u = units[i];
			const what = `conv ${m + 1} of block ${n} (a ${kernels[m]}×${kernels[m]} conv from ${inC} channels)`;
			if (!u) return fail(i, `the file ends where ${what} should be`);
			if (u.kernel !== kernels[m]) return fail(i, `${desc(u)} is not ${what}`);
			const grouped = kind === 'bottleneck' && m === 1;
			if (grouped ? inC % u.inPerGroup !== 0 || u.out !== inC : u.inPerGroup !== inC)
				return fail(i, `${desc(u)} is not ${what}`);
			main.push(u);
			inC = u.out;
		}
		const outC = inC;
		if (where === 'last') {
			const after = kind === 'basic' ? k(i) === 1 : k(i) === 1 && k(i + 1) !== 3;
			if (after) proj = units[i++];
		}
		if (proj && (proj.inPerGroup !== c || proj.out !== outC)) {
			const at = units.indexOf(proj);
			return fail(
				at,
				`${desc(proj)} is not the projection of block ${n} (a 1×1 conv from ${c} to ${outC} channels)`
			);
		}
		blocks.push({ main, proj, inC: c, outC });
		c = outC;
	}
	return { ok: true, blocks };
}

/** Which blocks start a stage, the strides, and the shortcut option, from the blocks read. */
function readStages(blocks: Block[], widthOf: (b: Block) => number) {
	const withProj = blocks.filter((b) => b.proj).length;
	let shortcut: ShortcutOption;
	if (withProj === 0) shortcut = 'A';
	else if (withProj === blocks.length && blocks.some((b) => b.inC === b.outC)) shortcut = 'C';
	else shortcut = 'B';
	const starts: number[] = [];
	blocks.forEach((b, j) => {
		const prev = blocks[j - 1];
		const newStage =
			j === 0 || widthOf(b) !== widthOf(prev) || b.inC !== b.outC || (shortcut === 'B' && b.proj !== null);
		if (newStage) starts.push(j);
		if (shortcut === 'B' && !b.proj && b.inC !== b.outC)
			throw refuse(
				b.main[0].weight,
				`block ${j} (at ${b.main[0].weight}) changes ${b.inC} channels to ${b.outC} without a projection, while other blocks have one: not one of the shortcut options A, B, C`
			);
	});
	return { shortcut, starts };
}

/** The fc: the first linear layer that reads the last block's output, pooled or flattened. */
function pickHead(
	linears: Linear[],
	channels: number,
	given: InferOptions['input'],
	finalSide: (h: number, w: number) => [number, number]
) {
	const fits = linears.filter((l) => {
		if (l.in === channels) return true;
		if (l.in % channels !== 0) return false;
		if (given) {
			const [h, w] = finalSide(given.height, given.width);
			return l.in === channels * h * w;
		}
		const side = Math.round(Math.sqrt(l.in / channels));
		return side > 1 && side * side * channels === l.in;
	});
	return fits;
}

/**
 * The network a checkpoint holds. Throws a `WeightsError` naming the first tensor that does not
 * fit a ResNet, or the first whose place the order and shapes cannot decide.
 */
export function inferArchitecture(tensors: TensorMap, options: InferOptions = {}): InferredNetwork {
	const timm = readTimmLayout(tensors);
	if (timm) return inferTimm(tensors, timm, options);
	const { convs, bns, linears, extras, moduleCount } = readModules(tensors);
	if (convs.length === 0)
		throw refuse(
			'',
			moduleCount === 0
				? 'the file holds no tensors'
				: 'the file holds no convolution weights (4-D "weight" tensors)'
		);
	const assumed: Assumption[] = [];
	pairBatchNorms(convs, bns, assumed);
	if (options.sortedNames) {
		// Sorted names may put the stem anywhere (`stages…` before `stem…`): the stem is the one conv
		// that reads channels no conv makes (the image's).
		const stems = convs.filter((c) => !convs.some((o) => o.out === c.inPerGroup));
		if (stems.length === 1) convs.unshift(...convs.splice(convs.indexOf(stems[0]), 1));
	}
	const [stem, ...body] = convs;

	// Stem
	if (stem.kernel !== 7 && stem.kernel !== 3)
		throw refuse(
			stem.weight,
			`the first conv, ${stem.weight} ${shapeOf(tensors, stem.weight)}, is ${stem.kernel}×${stem.kernel}; a stem is 7×7 (ImageNet) or 3×3 (CIFAR)`
		);
	const stemKind = stem.kernel === 7 ? 'imagenet' : 'cifar';
	assumed.push({
		path: 'stem.kind',
		value: stemKind,
		reason:
			stemKind === 'imagenet'
				? 'a 7×7 first conv: taken as stride 2 followed by a 3×3/2 max pool (the weights hold no strides)'
				: 'a 3×3 first conv: taken as stride 1 with no pool (the weights hold no strides)'
	});
	const channels = stem.inPerGroup;
	if (options.input?.channels !== undefined && options.input.channels !== channels)
		throw refuse(
			stem.weight,
			`the input has ${options.input.channels} channels but the first conv ${stem.weight} ${shapeOf(tensors, stem.weight)} reads ${channels}`
		);
	if (body.length === 0) throw refuse(stem.weight, 'only one convolution: no residual blocks');

	// Blocks
	const n3 = body.filter((u) => u.kernel === 3).length;
	const n1 = body.filter((u) => u.kernel === 1).length;
	const odd = body.find((u) => u.kernel !== 1 && u.kernel !== 3);
	if (odd)
		throw refuse(
			odd.weight,
			`${odd.weight} ${shapeOf(tensors, odd.weight)} is a ${odd.kernel}×${odd.kernel} conv; ResNet blocks have 1×1 and 3×3 convs only`
		);
	if (n3 === 0) throw refuse(body[0].weight, 'no 3×3 convolutions after the stem: no residual blocks');
	const kind: BlockKind = n1 >= 2 * n3 ? 'bottleneck' : 'basic';
	const parses = (['last', 'first'] as const).map((w) => parseBlocks(body, kind, stem.out, w));
	const good = parses.filter((p): p is Extract<Parse, { ok: true }> => p.ok);
	if (good.length === 0) {
		const furthest = (parses as Extract<Parse, { ok: false }>[]).reduce((a, b) => (b.at > a.at ? b : a));
		throw refuse(furthest.tensor, `${furthest.message} (read as ${kind} blocks)`);
	}
	// A reading whose blocks make no network (mixed shortcuts, …) drops out; if none is left, its reason.
	let candidates: ReturnType<typeof build>[] = [];
	let firstError: unknown = null;
	for (const p of good) {
		try {
			candidates.push(build(p.blocks));
		} catch (e) {
			firstError ??= e;
		}
	}
	if (candidates.length === 0) throw firstError;
	if (candidates.length === 2 && !sameMapping(candidates[0].mapping, candidates[1].mapping)) {
		// Names that are already the graph's settle it; otherwise the order cannot.
		const exact = candidates.filter((c) => c.mapping.every(([s, t]) => s === t));
		if (exact.length === 1) candidates = exact;
		else {
			const [a, b] = candidates.map((c) => new Map(c.mapping));
			const first = [...a.keys()].find((k) => a.get(k) !== b.get(k))!;
			throw refuse(
				first,
				`${first} ${shapeOf(tensors, first)} could be ${a.get(first)} or ${b.get(first)}: the projections' shapes equal the blocks' own convs, and the order cannot say whether a projection comes before or after its block's convs`,
				'one reading'
			);
		}
	}
	const chosen = candidates[0];
	// Names that are already the graph's load by name, whatever their order (a safetensors file
	// sorts its names: layer3.10 before layer3.2, same shapes — the order alone would swap them).
	const expected = expectedTensors(buildGraph(chosen.spec));
	const named = [...expected].every(
		([k, shape]) => formatShape(tensors.get(k)?.shape ?? []) === formatShape(shape)
	);
	if (named) chosen.mapping = [...tensors.keys()].filter((k) => expected.has(k)).map((k) => [k, k]);
	const notes = named ? assumed.filter((a) => a.path !== 'mapping') : assumed;
	if (!named && options.sortedNames)
		notes.push({
			path: 'order',
			value: 'names',
			reason:
				"a safetensors file keeps its names sorted, not the state_dict's order: the names' natural order (numbers by value) was taken as the network's; a .pth keeps the real order"
		});
	const renamed: TensorMap = new Map();
	for (const [s, t] of chosen.mapping) renamed.set(t, tensors.get(s)!);
	const identity = chosen.mapping.every(([s, t]) => s === t);
	return {
		spec: chosen.spec,
		assumed: [...notes, ...chosen.assumed],
		mapping: identity ? null : chosen.mapping,
		extras: [...extras, ...chosen.extras],
		tensors: renamed
	};

	function build(blocks: Block[]) {
		const local: Assumption[] = [];
		const groups = kind === 'bottleneck' ? blocks[0].main[1].out / blocks[0].main[1].inPerGroup : 1;
		for (const b of blocks)
			if (kind === 'bottleneck' && b.main[1].out / b.main[1].inPerGroup !== groups)
				throw refuse(
					b.main[1].weight,
					`${b.main[1].weight} has ${b.main[1].out / b.main[1].inPerGroup} groups, the first block's 3×3 conv ${groups}; one cardinality for the whole network`
				);
		// Stage widths: a basic block's first conv; a bottleneck's output / expansion.
		let expansion = 1;
		let widthPerGroup = 64;
		let widthOf: (b: Block) => number;
		if (kind === 'basic') {
			const e = blocks[0].outC / blocks[0].main[0].out;
			for (const b of blocks)
				if (!Number.isInteger(e) || b.outC !== b.main[0].out * e)
					throw refuse(
						b.main[1].weight,
						`${b.main[1].weight}: this block's convs go ${b.main[0].out} → ${b.outC} channels, but the first block's (${blocks[0].main[0].weight}, ${blocks[0].main[1].weight}) ${blocks[0].main[0].out} → ${blocks[0].outC}; one expansion for the whole network${blocks[0].main[0].order < b.main[0].order && blocks.indexOf(b) === 1 ? ' (a deep stem of several convs, as timm’s resnet*d, is read under timm’s names only: conv1.0, conv1.3, conv1.6)' : ''}`
					);
			expansion = e;
			widthOf = (b) => b.main[0].out;
		} else {
			const found = bottleneckWidths(blocks, groups);
			if (!found)
				throw refuse(
					blocks[0].main[1].weight,
					'no one expansion and width per group give every bottleneck its inner and output channels'
				);
			expansion = found.expansion;
			widthPerGroup = found.widthPerGroup;
			if (found.others)
				local.push({
					path: 'expansion',
					value: expansion,
					reason: `expansion ${expansion} with width per group ${widthPerGroup} (torchvision's way); other pairs give the same channels and the same network`
				});
			if (found.range[0] < found.range[1])
				local.push({
					path: 'widthPerGroup',
					value: widthPerGroup,
					reason: `any width per group from ${found.range[0]} to ${found.range[1]} gives these inner widths`
				});
			widthOf = (b) => b.outC / expansion;
		}
		const { shortcut, starts } = readStages(blocks, widthOf);
		if (blocks.every((b) => b.proj))
			local.push({
				path: 'shortcut',
				value: shortcut,
				reason:
					'a projection on every block: option C, or option B where every block strides or changes the channels (the same weights)'
			});
		if (shortcut === 'A' && blocks.every((b) => b.inC === b.outC))
			local.push({
				path: 'shortcut',
				value: 'A',
				reason: 'no projections and no block changes the channels: options A and B are the same network here'
			});
		if (shortcut === 'A')
			local.push({
				path: 'residual',
				value: true,
				reason:
					'no projection tensors: identity shortcuts with zero-padding where the shape changes (option A); a plain network without shortcuts has the same weights'
			});
		const stages = starts.map((s, i) => {
			const end = starts[i + 1] ?? blocks.length;
			const first = blocks[s];
			let stride: number;
			if (shortcut === 'B' && first.proj === null)
				stride = 1; // no projection: the shape does not change
			else if (i === 0 && !(shortcut === 'B' && first.inC === first.outC)) stride = 1;
			else stride = 2;
			const inferred = shortcut === 'B' && first.proj === null;
			if (!inferred)
				local.push({
					path: `stages[${i}].stride`,
					value: stride,
					reason:
						i === 0
							? stride === 1
								? "the first stage's stride (torchvision: 1)"
								: 'a projection where the channels stay the same: the stage strides (2 assumed)'
							: 'a stage stride (torchvision: 2); the weights hold no strides'
				});
			return { blocks: end - s, width: widthOf(first), stride };
		});
		if (kind === 'bottleneck')
			local.push({
				path: 'strideOn',
				value: '3x3',
				reason:
					"a bottleneck strides on its 3×3 conv (torchvision's v1.5); the paper's strides on the first 1×1"
			});

		// Head
		const lastC = blocks[blocks.length - 1].outC;
		const down = (stemKind === 'imagenet' ? 4 : 1) * stages.reduce((a, s) => a * s.stride, 1);
		const finalSide = (h: number, w: number): [number, number] => {
			try {
				const g = buildGraph({ ...specWith(stages, 'avg', 1), input: { channels, height: h, width: w } });
				const [, fh, fw] = g.stages[g.stages.length - 1].outShape;
				return [fh, fw];
			} catch (e) {
				if (e instanceof SpecError) return [0, 0];
				throw e;
			}
		};
		const fits = pickHead(linears, lastC, options.input, finalSide);
		if (fits.length === 0)
			throw refuse(
				linears[0]?.weight ?? '',
				linears.length === 0
					? 'no fc layer (a 2-D "weight")'
					: `no linear layer reads the last block's ${lastC} channels (pooled) or ${lastC}·H·W features (flattened): ${linears
							.map((l) => `${l.weight} ${shapeOf(tensors, l.weight)}`)
							.join(', ')}`
			);
		const fc = fits[0];
		const unusedLinears = linears
			.filter((l) => l !== fc)
			.flatMap((l) => [l.weight, ...(l.bias ? [l.bias] : [])]);
		if (fits.length > 1)
			local.push({
				path: 'head',
				value: fc.prefix,
				reason: `${fits.length} linear layers fit the head (${fits.map((l) => l.prefix).join(', ')}); the first is used`
			});
		if (!fc.bias)
			throw refuse(fc.weight, `the fc ${fc.weight} has no bias; this explorer's fc always has one`);
		const pool = fc.in === lastC ? 'avg' : 'flatten';
		if (pool === 'avg')
			local.push({
				path: 'head.pool',
				value: 'avg',
				reason: `the fc reads ${lastC} features, one per channel: a global average pool (a flatten of a 1×1 map reads the same)`
			});
		let input: { height: number; width: number };
		if (options.input) input = { height: options.input.height, width: options.input.width };
		else if (pool === 'flatten') {
			const side = Math.round(Math.sqrt(fc.in / lastC)) * down;
			input = { height: side, width: side };
			local.push({
				path: 'input',
				value: { channels, height: side, width: side },
				reason: `the fc reads ${fc.in} = ${lastC}·${side / down}·${side / down} features: a square input of ${side / down} × ${down} (the total stride) per side`
			});
		} else {
			const side = stemKind === 'imagenet' ? 224 : 32;
			input = { height: side, width: side };
			local.push({
				path: 'input',
				value: { channels, height: side, width: side },
				reason:
					'an average-pooled head works at any input size (set it with --input C,H,W, or Height and Width)'
			});
		}

		// Biases
		const mainBias = blocks.flatMap((b) => b.main).map((u) => u.bias !== null);
		const projBias = blocks.flatMap((b) => (b.proj ? [b.proj.bias !== null] : []));
		const mixed = (list: boolean[], role: string, at: Conv[]) => {
			if (list.some((x) => x !== list[0])) {
				const odd = at[list.findIndex((x) => x !== list[0])];
				throw refuse(
					odd.weight,
					`${odd.prefix} ${list[0] ? 'lacks' : 'has'} a bias, unlike the other ${role} convs`
				);
			}
		};
		mixed(
			mainBias,
			'block',
			blocks.flatMap((b) => b.main)
		);
		mixed(
			projBias,
			'shortcut',
			blocks.flatMap((b) => (b.proj ? [b.proj] : []))
		);
		const convBias = simplifyConvBias({
			stem: stem.bias !== null,
			block: mainBias[0],
			shortcut: projBias.length ? projBias[0] : mainBias[0]
		});

		const spec: ArchSpec = {
			...specWith(stages, pool, fc.out),
			input: { channels, ...input },
			convBias
		};
		function specWith(st: ArchSpec['stages'], p: 'avg' | 'flatten', classes: number): ArchSpec {
			return {
				name: options.name ?? 'checkpoint',
				input: { channels, height: 224, width: 224 },
				stem: { kind: stemKind, width: stem.out },
				block: kind,
				expansion,
				groups,
				widthPerGroup,
				stages: st,
				shortcut,
				strideOn: '3x3',
				residual: true,
				convBias: false,
				head: { pool: p, classes }
			};
		}

		// Mapping: every source tensor of a used module → the graph's key.
		const pairs: [string, string][] = [];
		const mapConv = (u: Conv, id: string, bnId: string) => {
			pairs.push([u.weight, `${id}.weight`]);
			if (u.bias) pairs.push([u.bias, `${id}.bias`]);
			u.bn!.keys.forEach((k, j) => pairs.push([k, `${bnId}.${BN_TENSORS[j]}`]));
		};
		mapConv(stem, 'conv1', 'bn1');
		stages.forEach((st, si) => {
			for (let j = 0; j < st.blocks; j++) {
				const b = blocks[starts[si] + j];
				const id = blockId(si, j);
				b.main.forEach((u, m) => mapConv(u, `${id}.conv${m + 1}`, `${id}.bn${m + 1}`));
				if (b.proj) mapConv(b.proj, `${id}.downsample.0`, `${id}.downsample.1`);
			}
		});
		pairs.push([fc.weight, 'fc.weight'], [fc.bias, 'fc.bias']);
		const order = new Map([...tensors.keys()].map((k, i) => [k, i]));
		pairs.sort((a, b) => order.get(a[0])! - order.get(b[0])!);

		// The graph of the spec must need exactly these tensors, in these shapes.
		let expected: Map<string, number[]>;
		try {
			expected = expectedTensors(buildGraph(spec));
		} catch (e) {
			if (e instanceof SpecError)
				throw refuse('', `the inferred network cannot be built: ${e.path ? `${e.path}: ` : ''}${e.message}`);
			throw e;
		}
		const targets = new Map(pairs.map(([s, t]) => [t, s]));
		for (const [key, shape] of expected) {
			const src = targets.get(key);
			const t = src === undefined ? undefined : tensors.get(src)!;
			if (!t || formatShape(t.shape) !== formatShape(shape))
				throw refuse(
					src ?? key,
					`${src ?? key}: the network read from the file needs ${key} ${formatShape(shape)}, ${t ? `but the file's tensor is ${formatShape(t.shape)}` : 'and nothing in the file is it'}${options.input ? ' (check --input)' : ''}`
				);
		}
		if (expected.size !== pairs.length)
			throw refuse('', 'the inferred network does not use every tensor read');
		return { spec, assumed: local, mapping: pairs, extras: unusedLinears };
	}
}

/**
 * A checkpoint in one of timm's layouts: its torchvision-shaped core read as any other checkpoint
 * (stages, widths, head), the family's fields from timm's modules, then every tensor of the file
 * checked by name against the graph of the spec read.
 */
function inferTimm(tensors: TensorMap, timm: TimmLayout, options: InferOptions): InferredNetwork {
	const core = inferArchitecture(timm.core, { ...options, sortedNames: true });
	// timm projects on a stage's first block only (resnetv2's bottleneck on every first block, even
	// where the shape stays): a projection on every block is that when each stage has one block.
	const firstOnly = core.spec.stages.every((st) => st.blocks === 1);
	if (core.spec.shortcut === 'A' || (core.spec.shortcut === 'C' && !firstOnly))
		throw refuse(
			'',
			`projections on ${core.spec.shortcut === 'C' ? 'every block' : 'no block'}: timm's layouts project on a stage's first block only`
		);
	const spec: ArchSpec = {
		...core.spec,
		// timm's ResNet and ResNetV2: stride 1, then 2 (output stride 32)
		stages: core.spec.stages.map((st, i) => ({ ...st, stride: i === 0 ? 1 : 2 })),
		stem: {
			kind: timm.stem.kind,
			width: core.spec.stem.width,
			...(timm.stem.pool !== 'max' ? { pool: timm.stem.pool } : {})
		},
		shortcut: timm.shortcutD ? 'D' : 'B',
		...(timm.attention ? { attention: timm.attention } : {}),
		...(timm.order === 'pre' ? { order: timm.order } : {})
	};
	const replaced = new Set([
		'order',
		'mapping',
		'shortcut',
		...core.spec.stages.map((_, i) => `stages[${i}].stride`),
		...(timm.stem.reason ? ['stem.kind'] : []),
		...timm.assumed.map((a) => a.path)
	]);
	const assumed: Assumption[] = [
		...(timm.stem.reason ? [{ path: 'stem.kind', value: timm.stem.kind, reason: timm.stem.reason }] : []),
		...core.assumed.filter((a) => !replaced.has(a.path)),
		...spec.stages.map((st, i) => ({
			path: `stages[${i}].stride`,
			value: st.stride,
			reason: "timm's constructors: the first stage strides 1, the others 2 (the weights hold no strides)"
		})),
		...timm.assumed
	];
	let expected: Map<string, number[]>;
	try {
		expected = expectedTensors(buildGraph(spec));
	} catch (e) {
		if (e instanceof SpecError)
			throw refuse('', `the inferred network cannot be built: ${e.path ? `${e.path}: ` : ''}${e.message}`);
		throw e;
	}
	const out: TensorMap = new Map();
	for (const [key, shape] of expected) {
		const t = tensors.get(key);
		if (!t)
			throw refuse(
				key,
				`the ${timm.layout} network read from the file needs ${key} ${formatShape(shape)}, and the file has no such tensor`
			);
		// timm's resnetv2 head is a 1×1 conv: [classes, features, 1, 1] is the fc's [classes, features].
		if (!fitsShape(t.shape, shape))
			throw refuse(
				key,
				`${key}: the ${timm.layout} network read from the file needs ${formatShape(shape)}, but the file's tensor is ${formatShape(t.shape)}${options.input ? ' (check --input)' : ''}`
			);
		out.set(key, t.shape.length === shape.length ? t : { shape, data: t.data });
	}
	const extras: string[] = [];
	for (const key of tensors.keys()) {
		if (expected.has(key) || isIgnoredKey(key)) continue;
		if (!core.extras.includes(key))
			throw refuse(
				key,
				`${key} ${shapeOf(tensors, key)} is part of timm's ${timm.layout} layout, but the network read from the file has no such tensor`
			);
		extras.push(key);
	}
	return { spec, assumed, mapping: null, extras, tensors: out };
}

/** Expansion and width per group that give every stage its inner and output widths (4 and 64 first). */
function bottleneckWidths(
	blocks: Block[],
	groups: number
): { expansion: number; widthPerGroup: number; others: boolean; range: [number, number] } | null {
	const solutions: { expansion: number; widthPerGroup: number; range: [number, number] }[] = [];
	const order = [4, ...Array.from({ length: 64 }, (_, i) => i + 1).filter((e) => e !== 4)];
	for (const e of order) {
		if (blocks.some((b) => b.outC % e !== 0)) continue;
		let lo = 1;
		let hi = Infinity;
		for (const b of blocks) {
			const width = b.outC / e;
			const inner = b.main[0].out;
			if (inner % groups !== 0) return null;
			const q = inner / groups;
			// floor(width · p / 64) = q  ⇔  64q / width ≤ p < 64(q + 1) / width
			lo = Math.max(lo, Math.ceil((64 * q) / width));
			hi = Math.min(hi, Math.ceil((64 * (q + 1)) / width) - 1);
		}
		if (lo > hi) continue;
		const p = lo <= 64 && 64 <= hi ? 64 : lo;
		if (blocks.every((b) => bottleneckInnerWidth({ groups, widthPerGroup: p }, b.outC / e) === b.main[0].out))
			solutions.push({ expansion: e, widthPerGroup: p, range: [lo, hi] });
	}
	if (solutions.length === 0) return null;
	return { ...solutions[0], others: solutions.length > 1 };
}

function sameMapping(a: [string, string][], b: [string, string][]): boolean {
	return a.length === b.length && a.every(([s, t], i) => b[i][0] === s && b[i][1] === t);
}

/**
 * A checkpoint whose names are not the graph's, matched to a given network: the tensors read by
 * order and shape (as `inferArchitecture` does) when the network they hold needs exactly the
 * graph's tensors, every key and shape. Null when the file holds another network or cannot be read.
 */
export function matchToGraph(
	graph: BlockGraph,
	tensors: TensorMap
): { tensors: TensorMap; mapping: [string, string][] } | null {
	const [, height, width] = graph.nodes[0].outShape;
	let read: InferredNetwork;
	try {
		read = inferArchitecture(tensors, { input: { height, width } });
	} catch (e) {
		if (e instanceof WeightsError) return null;
		throw e;
	}
	const want = expectedTensors(graph);
	if (want.size !== read.tensors.size) return null;
	for (const [key, shape] of want) {
		const t = read.tensors.get(key);
		if (!t || formatShape(t.shape) !== formatShape(shape)) return null;
	}
	return { tensors: read.tensors, mapping: read.mapping ?? [...want.keys()].map((k) => [k, k]) };
}
