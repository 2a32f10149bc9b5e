/**
 * Property tests for validation and graph building: garbage in → SpecError values out, never any
 * other throw; every spec whose fields are valid builds, and the graph is consistent with itself
 * (totals are sums of nodes, shapes chain from node to node, counts are exact integers).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
	LIMITS,
	SpecError,
	buildGraph,
	outSide,
	presetSpec,
	specFieldErrors,
	sumMetrics,
	tryBuildGraph,
	validateSpec,
	type ArchSpec,
	type BlockGraph
} from '../../src/lib/arch';

const base = presetSpec('resnet50')!;

/** Runs f; passes if it returns or throws a SpecError, fails on any other throw. */
function onlySpecErrors(f: () => unknown): void {
	try {
		f();
	} catch (e) {
		expect(e).toBeInstanceOf(SpecError);
	}
}

// Values that break naive code: wrong types, NaN, ±Infinity, negatives, fractions, huge numbers,
// prototype-ish keys, nested garbage.
const nasty = fc.oneof(
	fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true }),
	fc.constantFrom(NaN, Infinity, -Infinity, -1, 0, 0.5, 1e300, 2 ** 53, -0, '', '3', null, [], {}),
	fc.integer({ min: -5, max: 100_000 }),
	fc.double()
);

const paths: string[][] = [
	['name'],
	['input'],
	['input', 'channels'],
	['input', 'height'],
	['input', 'width'],
	['stem'],
	['stem', 'kind'],
	['stem', 'width'],
	['block'],
	['expansion'],
	['groups'],
	['widthPerGroup'],
	['stages'],
	['stages', '0'],
	['stages', '0', 'blocks'],
	['stages', '1', 'width'],
	['stages', '3', 'stride'],
	['stages', '7'],
	['shortcut'],
	['strideOn'],
	['residual'],
	['convBias'],
	['convBias', 'shortcut'],
	['head'],
	['head', 'pool'],
	['head', 'classes'],
	['stem', 'pool'],
	['attention'],
	['attention', 'kind'],
	['attention', 'ratio'],
	['attention', 'divisor'],
	['attention', 'gamma'],
	['attention', 'beta'],
	['order'],
	['dropPath'],
	['__proto__'],
	['constructor']
];

/** A copy of a valid spec with one field (at any depth) replaced by garbage, or deleted. */
// Bases with every optional field: SE (resnetrs50: deep stem, conv pool, D), ECA, pre-activation.
const bases = ['resnet50', 'resnetrs50', 'ecaresnet50d', 'resnetv2_50d'].map((n) => presetSpec(n)!);
const mutated = fc
	.tuple(fc.constantFrom(...paths), nasty, fc.boolean(), fc.constantFrom(...bases))
	.map(([path, value, remove, from]) => {
		const spec = JSON.parse(JSON.stringify(from)) as Record<string, unknown>;
		let obj: Record<string, unknown> = spec;
		for (const key of path.slice(0, -1)) {
			if (typeof obj[key] !== 'object' || obj[key] === null) return spec;
			obj = obj[key] as Record<string, unknown>;
		}
		const last = path[path.length - 1];
		if (remove) delete obj[last];
		else Object.defineProperty(obj, last, { value, enumerable: true, writable: true, configurable: true });
		return spec;
	});

/** Field-valid specs, small enough to build hundreds of them quickly. */
const validSpec: fc.Arbitrary<ArchSpec> = fc
	.record({
		input: fc.record({
			channels: fc.integer({ min: 1, max: 5 }),
			height: fc.integer({ min: 1, max: 80 }),
			width: fc.integer({ min: 1, max: 80 })
		}),
		stem: fc.record(
			{
				kind: fc.constantFrom('imagenet', 'cifar', 'deep', 'deep_tiered'),
				width: fc.integer({ min: 1, max: 32 }),
				pool: fc.constantFrom('max', 'conv', 'none')
			},
			{ requiredKeys: ['kind', 'width'] }
		),
		block: fc.constantFrom('basic', 'bottleneck'),
		expansion: fc.integer({ min: 1, max: 4 }),
		groups: fc.integer({ min: 1, max: 8 }),
		widthPerGroup: fc.integer({ min: 1, max: 128 }),
		stages: fc.array(
			fc.record({
				blocks: fc.integer({ min: 1, max: 3 }),
				width: fc.integer({ min: 1, max: 48 }),
				stride: fc.integer({ min: 1, max: 4 })
			}),
			{ minLength: 1, maxLength: 5 }
		),
		shortcut: fc.constantFrom('A', 'B', 'C', 'D'),
		strideOn: fc.constantFrom('3x3', '1x1'),
		residual: fc.boolean(),
		convBias: fc.oneof(
			fc.boolean(),
			fc.record({ stem: fc.boolean(), block: fc.boolean(), shortcut: fc.boolean() })
		),
		head: fc.record({ pool: fc.constantFrom('avg', 'flatten'), classes: fc.integer({ min: 1, max: 1000 }) }),
		attention: fc.oneof(
			fc.constant(undefined),
			fc.record({
				kind: fc.constant('se'),
				ratio: fc.double({ min: 0.01, max: 1, noNaN: true }),
				divisor: fc.integer({ min: 1, max: 16 })
			}),
			fc.record({
				kind: fc.constant('eca'),
				gamma: fc.double({ min: 0.5, max: 8, noNaN: true }),
				beta: fc.double({ min: -64, max: 64, noNaN: true })
			})
		),
		order: fc.constantFrom(undefined, 'post', 'pre'),
		dropPath: fc.constantFrom(undefined, 0, 0.1, 0.5)
	})
	.map((s): ArchSpec => {
		const { attention, order, dropPath, ...rest } = s;
		const spec = {
			name: 'random',
			...rest,
			...(attention ? { attention } : {}),
			...(order ? { order } : {}),
			...(dropPath !== undefined ? { dropPath } : {})
		} as ArchSpec;
		// Deep stems: widths even, tiered ones multiples of 8.
		if (spec.stem.kind === 'deep') spec.stem.width = 2 * Math.ceil(spec.stem.width / 2);
		if (spec.stem.kind === 'deep_tiered') spec.stem.width = 8 * Math.ceil(spec.stem.width / 8);
		// Pre-activation (timm resnetv2): residual, option B or D, no attention, no conv stem pool.
		if (spec.order === 'pre') {
			spec.residual = true;
			if (spec.shortcut === 'A' || spec.shortcut === 'C') spec.shortcut = 'B';
			delete spec.attention;
			if (spec.stem.pool === 'conv') spec.stem.pool = 'max';
		}
		if (spec.block === 'basic') {
			spec.groups = 1;
			spec.widthPerGroup = 64;
		}
		// Option A cannot shrink channels: make stage widths non-decreasing and at least the stem's.
		if (spec.shortcut === 'A') {
			let c = spec.stem.width;
			spec.stages = spec.stages.map((st) => {
				const width = Math.max(st.width, Math.ceil(c / spec.expansion));
				c = width * spec.expansion;
				return { ...st, width };
			});
		}
		// A bottleneck's inner width must not floor to 0.
		if (spec.block === 'bottleneck')
			spec.stages = spec.stages.map((st) => ({
				...st,
				width: Math.max(st.width, Math.ceil(64 / spec.widthPerGroup))
			}));
		return spec;
	});

function checkConsistent(g: BlockGraph): void {
	const spec = g.spec;
	const ids = new Set<string>();
	for (const [i, n] of g.nodes.entries()) {
		expect(ids.has(n.id), `duplicate id ${n.id}`).toBe(false);
		ids.add(n.id);
		expect(g.byId.get(n.id)).toBe(n);
		// Inputs come earlier and their shape is this node's input shape.
		for (const id of n.inputs) expect(ids.has(id) && id !== n.id, `${n.id} reads ${id}`).toBe(true);
		if (i > 0) expect(n.inShape, n.id).toEqual(g.byId.get(n.inputs[0])!.outShape);
		if (n.op === 'add') expect(g.byId.get(n.inputs[1])!.outShape, n.id).toEqual(n.inShape);
		for (const v of [n.params, n.buffers, n.macs, n.flops, n.activationBytes])
			expect(Number.isSafeInteger(v) && v >= 0, `${n.id}: ${v}`).toBe(true);
		expect(
			n.outShape.every((d) => Number.isInteger(d) && d >= 1),
			n.id
		).toBe(true);
		expect(n.activationBytes).toBe(4 * n.outShape.reduce((a: number, d: number) => a * d, 1));
		if (n.op === 'conv2d') {
			const [c, h, w] = n.inShape;
			expect(n.outShape.slice(1)).toEqual([
				outSide(h, n.kernel, n.stride, n.padding),
				outSide(w, n.kernel, n.stride, n.padding)
			]);
			expect(c % n.groups).toBe(0);
			expect(n.params).toBe(n.outShape[0] * (c / n.groups) * n.kernel ** 2 + (n.bias ? n.outShape[0] : 0));
			expect(n.macs).toBe(n.outShape[0] * n.outShape[1] * n.outShape[2] * (c / n.groups) * n.kernel ** 2);
		}
		if (n.op === 'batchnorm') {
			expect(n.outShape).toEqual(n.inShape);
			expect([n.params, n.buffers]).toEqual([2 * n.inShape[0], 2 * n.inShape[0]]);
		} else expect(n.buffers).toBe(0);
		if (n.op !== 'conv2d' && n.op !== 'conv1d' && n.op !== 'linear') expect(n.macs).toBe(0);
		if (n.op === 'conv1d') {
			expect(n.outShape).toEqual(n.inShape);
			expect([n.params, n.macs, n.kernel % 2]).toEqual([n.kernel, n.outShape[0] * n.kernel, 1]);
		}
		if (n.op === 'scale') {
			const gate = g.byId.get(n.inputs[1])!;
			expect([gate.op, gate.outShape]).toEqual(['sigmoid', [n.inShape[0], 1, 1]]);
			expect(n.outShape).toEqual(n.inShape);
		}
		if (n.op === 'avgpool2d') expect([n.kernel, n.path, n.stride > 1]).toEqual([2, 'shortcut', true]);
		expect(n.receptiveField).toBeGreaterThanOrEqual(i === 0 ? 1 : g.byId.get(n.inputs[0])!.receptiveField);
	}
	const first = g.nodes[0];
	const last = g.nodes[g.nodes.length - 1];
	expect(first.op).toBe('input');
	expect(first.outShape).toEqual([spec.input.channels, spec.input.height, spec.input.width]);
	expect(last.id).toBe(g.output);
	// PyTorch's Linear: [classes] (DESIGN §3.2)
	expect(last.outShape).toEqual([spec.head.classes]);

	// Totals are sums: of all nodes, of each section, stage and block; every node is in exactly one.
	expect(g.totals).toEqual(sumMetrics(g.nodes.slice(1)));
	const grouped = [
		...g.stem.nodeIds,
		...g.stages.flatMap((s) => s.blocks.flatMap((b) => b.nodeIds)),
		...g.head.nodeIds
	];
	expect(grouped).toEqual(g.nodes.slice(1).map((n) => n.id));
	const sum = (ids: string[]) => sumMetrics(ids.map((id) => g.byId.get(id)!));
	expect(g.stem.totals).toEqual(sum(g.stem.nodeIds));
	expect(g.head.totals).toEqual(sum(g.head.nodeIds));
	expect(g.stages.length).toBe(spec.stages.length);
	for (const [si, st] of g.stages.entries()) {
		expect(st.blocks.length).toBe(spec.stages[si].blocks);
		expect(st.totals).toEqual(sumMetrics(st.blocks.map((b) => b.totals)));
		for (const b of st.blocks) {
			expect(b.totals).toEqual(sum(b.nodeIds));
			expect(b.outShape[0]).toBe(spec.stages[si].width * spec.expansion);
			const changes = b.inShape[0] !== b.outShape[0] || (b.index === 0 && spec.stages[si].stride !== 1);
			// timm's PreActBottleneck projects on the first block of every stage.
			const preBottleneckFirst = spec.order === 'pre' && spec.block === 'bottleneck' && b.index === 0;
			expect(b.shortcut).toBe(
				!spec.residual
					? 'none'
					: spec.shortcut === 'C' || preBottleneckFirst
						? 'projection'
						: !changes
							? 'identity'
							: spec.shortcut === 'A'
								? 'zeropad'
								: 'projection'
			);
			expect(b.attention).toBe(spec.attention?.kind ?? null);
			// A pre-activation block ends with its sum; a post-activation one with a ReLU.
			expect(g.byId.get(b.nodeIds.at(-1)!)!.op).toBe(spec.order === 'pre' ? 'add' : 'relu');
		}
	}
	expect(g.totals.buffers).toBe(
		g.nodes.filter((n) => n.op === 'batchnorm').reduce((s, n) => s + 2 * n.outShape[0], 0)
	);
}

describe('validation never throws on garbage', () => {
	it('anything at all', () => {
		fc.assert(
			fc.property(nasty, (x) => {
				const errors = validateSpec(x);
				expect(errors.every((e) => e instanceof SpecError)).toBe(true);
				const r = tryBuildGraph(x);
				expect(r.ok).toBe(errors.length === 0);
				onlySpecErrors(() => buildGraph(x as ArchSpec));
			}),
			{ numRuns: 300 }
		);
	});

	it('a valid spec with one field replaced by garbage or removed', () => {
		fc.assert(
			fc.property(mutated, (x) => {
				const errors = validateSpec(x);
				for (const e of errors) {
					expect(e).toBeInstanceOf(SpecError);
					expect(typeof e.path).toBe('string');
					expect(e.message.length).toBeGreaterThan(0);
				}
				const r = tryBuildGraph(x);
				if (r.ok) checkConsistent(r.graph);
				else expect(r.errors.length).toBeGreaterThan(0);
				onlySpecErrors(() => buildGraph(x as unknown as ArchSpec));
			}),
			{ numRuns: 400 }
		);
	});
});

describe('valid specs', () => {
	it('always build, and the graph is consistent', () => {
		fc.assert(
			fc.property(validSpec, (spec) => {
				expect(specFieldErrors(spec)).toEqual([]);
				const r = tryBuildGraph(spec);
				expect(r.ok ? [] : r.errors.map(String)).toEqual([]);
				if (r.ok) checkConsistent(r.graph);
			}),
			{ numRuns: 300 }
		);
	});

	it('building does not change the spec', () => {
		fc.assert(
			fc.property(validSpec, (spec) => {
				const before = JSON.stringify(spec);
				buildGraph(spec);
				expect(JSON.stringify(spec)).toBe(before);
			}),
			{ numRuns: 50 }
		);
	});
});

describe('edges', () => {
	// With "same" padding (k // 2) every window maps a side ≥ 1 to a side ≥ 1, as in PyTorch
	// (floor((1 + 2·(k//2) − k) / s) + 1 = 1 for odd k): a 1×1 input goes all the way through.
	it('resnet50 on a 1×1 input: every map is 1×1', () => {
		const g = buildGraph({ ...base, input: { channels: 3, height: 1, width: 1 } });
		expect(g.byId.get('layer4.0.conv1')!.outShape).toEqual([512, 1, 1]);
		const maps = g.nodes.filter((n) => n.op !== 'linear');
		expect(maps.every((n) => n.outShape[1] === 1 && n.outShape[2] === 1)).toBe(true);
	});

	it('a problem names its place', () => {
		const errs = (over: object) => validateSpec({ ...base, ...over }).map((e) => [e.path, e.message]);
		expect(errs({ stages: [...base.stages.slice(0, 2), { blocks: 0, width: 256, stride: 2 }] })).toEqual([
			['stages[2].blocks', 'must be at least 1, got 0']
		]);
		expect(errs({ input: { channels: 3, height: 224 } })).toEqual([['input.width', 'is required']]);
		expect(errs({ block: 'basic', groups: 32 })[0][0]).toBe('groups');
		expect(
			errs({
				shortcut: 'A',
				stages: [
					{ blocks: 1, width: 64, stride: 1 },
					{ blocks: 1, width: 32, stride: 2 }
				]
			})
		).toEqual([
			[
				'stages[1].width',
				'layer2.0: option A pads the shortcut with zero channels, but 256 channels would shrink to 128; use option B or C'
			]
		]);
		expect(validateSpec('resnet50').map((e) => e.path)).toEqual(['']);
		// One problem, one error: an out-of-range stem width is not also compared with option A's widths.
		const r20 = presetSpec('resnet20')!;
		expect(validateSpec({ ...r20, stem: { kind: 'cifar', width: 1e6 } }).map(String)).toEqual([
			'stem.width: must be at most 65536, got 1000000'
		]);
	});

	it("the family's fields name their place", () => {
		const v2 = presetSpec('resnetv2_50')!;
		const paths = (spec: object) => validateSpec(spec).map((e) => e.path);
		expect(paths({ ...base, attention: { kind: 'se', ratio: 0, divisor: 8 } })).toEqual(['attention.ratio']);
		expect(paths({ ...base, attention: { kind: 'se', ratio: 1.5, divisor: 8 } })).toEqual([
			'attention.ratio'
		]);
		expect(paths({ ...base, attention: { kind: 'se', ratio: 0.25, divisor: 0.5 } })).toEqual([
			'attention.divisor'
		]);
		expect(paths({ ...base, attention: { kind: 'se', ratio: 0.25 } })).toEqual(['attention.divisor']);
		expect(paths({ ...base, attention: { kind: 'se', ratio: 0.25, divisor: 8, gamma: 2 } })).toEqual([
			'attention.gamma'
		]);
		expect(paths({ ...base, attention: { kind: 'eca', gamma: 0, beta: 1 } })).toEqual(['attention.gamma']);
		expect(paths({ ...base, attention: { kind: 'eca', gamma: 2, beta: NaN } })).toEqual(['attention.beta']);
		expect(paths({ ...base, attention: { kind: 'cbam' } })).toEqual(['attention.kind']);
		expect(paths({ ...base, attention: 'se' })).toEqual(['attention']);
		expect(paths({ ...base, dropPath: 1 })).toEqual(['dropPath']);
		expect(paths({ ...base, dropPath: -0.1 })).toEqual(['dropPath']);
		expect(paths({ ...base, dropPath: '0.1' })).toEqual(['dropPath']);
		expect(paths({ ...base, stem: { kind: 'imagenet', width: 64, pool: 'avg' } })).toEqual(['stem.pool']);
		expect(paths({ ...base, stem: { kind: 'deep', width: 63 } })).toEqual(['stem.width']);
		expect(paths({ ...base, stem: { kind: 'deep_tiered', width: 60 } })).toEqual(['stem.width']);
		expect(paths({ ...base, order: 'middle' })).toEqual(['order']);
		// What timm's resnetv2 does not build, named precisely
		expect(validateSpec({ ...v2, shortcut: 'A' }).map(String)).toEqual([
			'shortcut: option A is not built for pre-activation (timm resnetv2 projects where the shape changes); use B or D'
		]);
		expect(paths({ ...v2, shortcut: 'C' })).toEqual(['shortcut']);
		expect(paths({ ...v2, residual: false })).toEqual(['residual']);
		expect(paths({ ...v2, attention: { kind: 'eca', gamma: 2, beta: 1 } })).toEqual(['attention']);
		expect(paths({ ...v2, stem: { kind: 'deep', width: 64, pool: 'conv' } })).toEqual(['stem.pool']);
		expect(paths({ ...v2, stem: { kind: 'deep', width: 64, pool: 'none' } })).toEqual([]);
	});

	it('dropPath changes no shape or count', () => {
		const a = buildGraph(presetSpec('resnet50d')!);
		const b = buildGraph({ ...presetSpec('resnet50d')!, dropPath: 0.2 });
		expect(b.totals).toEqual(a.totals);
		expect(b.nodes.map((n) => [n.id, n.outShape])).toEqual(a.nodes.map((n) => [n.id, n.outShape]));
	});

	it('a plain net (no shortcut) may shrink channels whatever the shortcut option says', () => {
		const spec = presetSpec('resnet20')!;
		const shrinking = {
			...spec,
			residual: false,
			stages: [
				{ blocks: 1, width: 16, stride: 1 },
				{ blocks: 1, width: 8, stride: 2 }
			]
		};
		expect(validateSpec(shrinking)).toEqual([]);
		expect(validateSpec({ ...shrinking, residual: true }).map((e) => e.path)).toEqual(['stages[1].width']);
	});

	it('counts too large to be exact are a SpecError, not a wrong number', () => {
		const huge: ArchSpec = {
			...base,
			input: { channels: 3, height: LIMITS.side, width: LIMITS.side },
			stem: { kind: 'cifar', width: 4096 },
			stages: [{ blocks: 1, width: 4096, stride: 1 }],
			head: { pool: 'flatten', classes: LIMITS.classes }
		};
		const errors = validateSpec(huge);
		expect(errors).toHaveLength(1);
		expect(errors[0].message).toMatch(/exact/);
		expect(() => buildGraph(huge)).toThrow(SpecError);
	});
});
