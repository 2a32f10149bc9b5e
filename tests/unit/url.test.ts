import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
	PRESETS,
	buildGraph,
	decodeSpecUrl,
	encodeSpecUrl,
	canonicalSpec,
	presetSpec,
	specsEqual,
	validateSpec,
	type ArchSpec
} from '../../src/lib/arch';

const preset = (name: string): ArchSpec => {
	const s = presetSpec(name);
	if (!s) throw new Error(`no preset ${name}`);
	return s;
};

describe('share links', () => {
	it.each(PRESETS.map((p) => p.name))('%s is just its name', (name) => {
		expect(encodeSpecUrl(preset(name), name)).toBe(`preset=${name}`);
		const r = decodeSpecUrl(`?preset=${name}`);
		expect(r.ok && specsEqual(r.spec, preset(name)) && r.preset === name).toBe(true);
	});

	it('resnet50 with 23 blocks in layer3 is torchvision resnet101 (44,549,160 params)', () => {
		const r = decodeSpecUrl('https://example.org/?preset=resnet50&stages=3.64.1_4.128.2_23.256.2_3.512.2');
		expect(r.ok).toBe(true);
		if (!r.ok) return;
		expect(buildGraph(r.spec).totals.params).toBe(44_549_160);
		expect(r.spec.name).toBe('resnet50');
		expect(r.preset).toBe('resnet50');
	});

	it('writes only what differs from the base preset, readably', () => {
		const s = preset('resnet56');
		s.shortcut = 'B';
		s.input = { channels: 1, height: 28, width: 28 };
		s.head.classes = 10;
		expect(encodeSpecUrl(s, 'resnet56')).toBe('preset=resnet56&input=1x28x28&shortcut=B');
		// wide_resnet50_2 = resnet50 with widthPerGroup 128 (and its name)
		expect(encodeSpecUrl(preset('wide_resnet50_2'), 'resnet50')).toBe(
			'preset=resnet50&name=wide_resnet50_2&wpg=128'
		);
	});

	it('round-trips every knob (property)', () => {
		const stage = fc.record({
			blocks: fc.integer({ min: 1, max: 8 }),
			width: fc.integer({ min: 1, max: 256 }),
			stride: fc.integer({ min: 1, max: 2 })
		});
		const spec = fc.record({
			base: fc.constantFrom(...PRESETS.map((p) => p.name)),
			name: fc.string({ minLength: 1, maxLength: 12 }).filter((n) => n.trim() !== ''),
			channels: fc.integer({ min: 1, max: 4 }),
			side: fc.integer({ min: 8, max: 96 }),
			stemKind: fc.constantFrom(
				'imagenet' as const,
				'cifar' as const,
				'deep' as const,
				'deep_tiered' as const
			),
			stemWidth: fc.integer({ min: 1, max: 64 }),
			stemPool: fc.constantFrom(undefined, 'max' as const, 'conv' as const, 'none' as const),
			attention: fc.oneof(
				fc.constant(undefined),
				fc.record({
					kind: fc.constant('se' as const),
					ratio: fc.double({ min: 0.001, max: 1, noNaN: true }),
					divisor: fc.integer({ min: 1, max: 16 })
				}),
				fc.record({
					kind: fc.constant('eca' as const),
					gamma: fc.double({ min: 0.5, max: 8, noNaN: true }),
					beta: fc.double({ min: -4, max: 4, noNaN: true }).filter((b) => !Object.is(b, -0))
				})
			),
			order: fc.constantFrom(undefined, 'post' as const, 'pre' as const),
			dropPath: fc.constantFrom(undefined, 0, 0.05, 0.2, 0.999),
			bottleneck: fc.boolean(),
			expansion: fc.integer({ min: 1, max: 4 }),
			groups: fc.integer({ min: 1, max: 4 }),
			wpg: fc.integer({ min: 16, max: 128 }),
			stages: fc.array(stage, { minLength: 1, maxLength: 5 }),
			shortcut: fc.constantFrom('B' as const, 'C' as const, 'D' as const),
			strideOn: fc.constantFrom('3x3' as const, '1x1' as const),
			residual: fc.boolean(),
			convBias: fc.oneof(
				fc.boolean(),
				fc.record({ stem: fc.boolean(), block: fc.boolean(), shortcut: fc.boolean() })
			),
			pool: fc.constantFrom('avg' as const, 'flatten' as const),
			classes: fc.integer({ min: 1, max: 2000 })
		});
		fc.assert(
			fc.property(spec, (x) => {
				const s: ArchSpec = {
					name: x.name,
					input: { channels: x.channels, height: x.side, width: x.side + 3 },
					stem: { kind: x.stemKind, width: x.stemWidth, ...(x.stemPool ? { pool: x.stemPool } : {}) },
					block: x.bottleneck ? 'bottleneck' : 'basic',
					expansion: x.expansion,
					groups: x.bottleneck ? x.groups : 1,
					widthPerGroup: x.bottleneck ? x.wpg : 64,
					stages: x.stages,
					shortcut: x.shortcut,
					strideOn: x.strideOn,
					residual: x.residual,
					convBias: x.convBias,
					head: { pool: x.pool, classes: x.classes },
					...(x.attention ? { attention: x.attention } : {}),
					...(x.order ? { order: x.order } : {}),
					...(x.dropPath !== undefined ? { dropPath: x.dropPath } : {})
				};
				// Only valid specs have links (the page shares the last valid one).
				fc.pre(validateSpec(s).length === 0);
				const r = decodeSpecUrl(encodeSpecUrl(s, x.base));
				expect(r.ok).toBe(true);
				if (r.ok) expect(r.spec).toEqual(canonicalSpec(s));
			}),
			{ numRuns: 300 }
		);
	});

	it('the family fields have short keys; links without them are read as before', () => {
		expect(encodeSpecUrl(preset('resnetrs50'), 'resnet50')).toBe(
			'preset=resnet50&name=resnetrs50&stem=deep.64.conv&shortcut=D&att=se_0.25_8'
		);
		expect(encodeSpecUrl(preset('ecaresnet50d'), 'resnet50d')).toBe(
			'preset=resnet50d&name=ecaresnet50d&att=eca_2_1'
		);
		expect(encodeSpecUrl(preset('resnet50'), 'resnetv2_50')).toBe(
			'preset=resnetv2_50&name=resnet50&order=post'
		);
		expect(encodeSpecUrl({ ...preset('resnet18'), dropPath: 0.05 }, 'resnet18')).toBe(
			'preset=resnet18&dp=0.05'
		);
		expect(encodeSpecUrl(preset('seresnet50'), 'seresnet50')).toBe('preset=seresnet50');
		// resnet50 + the keys = timm's resnetrs50
		const r = decodeSpecUrl('preset=resnet50&stem=deep.64.conv&shortcut=D&att=se_0.25_8');
		expect(r.ok && buildGraph(r.spec).totals.params).toBe(35_691_912);
		// an old link: its stem has no pool part, and nothing else changes
		const old = decodeSpecUrl('preset=resnet56&stem=cifar.32&shortcut=B');
		expect(old.ok && old.errors).toEqual([]);
		expect(old.ok && old.spec.stem).toEqual({ kind: 'cifar', width: 32 });
		// att=none removes the preset's attention
		const plain = decodeSpecUrl('preset=seresnet50&att=none');
		expect(plain.ok && buildGraph(plain.spec).totals.params).toBe(25_557_032);
	});

	it('bad family values are dropped and named', () => {
		const bad = (q: string) => {
			const r = decodeSpecUrl(q);
			expect(r.ok).toBe(true);
			return r.ok ? { paths: r.errors.map((e) => e.path), spec: r.spec } : null;
		};
		expect(bad('preset=resnet50&att=se_0_8')!.paths).toEqual(['attention.ratio']);
		expect(bad('preset=resnet50&att=se_x_8')!.paths).toEqual(['attention.ratio']);
		expect(bad('preset=resnet50&att=se_0.5_2.5')!.paths).toEqual(['attention.divisor']);
		expect(bad('preset=resnet50&att=cbam_1_2')!.paths).toEqual(['attention']);
		expect(bad('preset=resnet50&att=eca_0.1_1')!.paths).toEqual(['attention.gamma']);
		expect(bad('preset=resnet50&stem=deep.64.avg')!.paths).toEqual(['stem.pool']);
		expect(bad('preset=resnet50&stem=deep.63')!.paths).toEqual(['stem.width']);
		expect(bad('preset=resnet50&order=sideways')!.paths).toEqual(['order']);
		expect(bad('preset=resnet50&dp=1')!.paths).toEqual(['dropPath']);
		expect(bad('preset=resnet50&dp=-0.1')!.paths).toEqual(['dropPath']);
		// a combination the builder does not make: the key that causes it goes, the rest stays
		const r = bad('preset=resnet50&order=pre&shortcut=A&classes=10')!;
		expect(r.paths).toEqual(['shortcut']);
		expect([r.spec.order, r.spec.shortcut, r.spec.head.classes]).toEqual(['pre', 'B', 10]);
		// each bad key leaves the preset's value
		expect(bad('preset=resnetrs50&att=se_2_8')!.spec.attention).toEqual({
			kind: 'se',
			ratio: 0.25,
			divisor: 8
		});
	});

	it('a URL-encoded name survives', () => {
		const s = { ...preset('resnet18'), name: 'my net & co/2?' };
		const q = encodeSpecUrl(s, 'resnet18');
		const r = decodeSpecUrl(q);
		expect(r.ok && r.spec.name).toBe('my net & co/2?');
	});
});

describe('bad links: errors with a place, never a throw', () => {
	/** The errors of a link; a bad key is left out, so the link still opens its preset. */
	const errs = (q: string) => {
		const r = decodeSpecUrl(q);
		expect(r.errors.length).toBeGreaterThan(0);
		return r.errors.map((e) => [e.path, e.message] as const);
	};

	it('unknown preset: nothing to open', () => {
		const r = decodeSpecUrl('preset=resnet51');
		expect(r.ok).toBe(false);
		const [[path, msg]] = errs('preset=resnet51');
		expect(path).toBe('preset');
		expect(msg).toMatch(/unknown preset "resnet51"/);
	});

	it('a bad key is left out and reported; the valid keys are kept', () => {
		const r = decodeSpecUrl('?preset=resnet50&classes=-5&strideOn=1x1');
		expect(r.ok).toBe(true);
		if (!r.ok) return;
		expect(r.errors.map((e) => [e.path, e.message])).toEqual([
			['head.classes', 'classes must be a whole number ≥ 1, got -5']
		]);
		expect(r.preset).toBe('resnet50');
		expect(r.spec.head.classes).toBe(1000);
		// resnet50 with the stride on the 1×1: the paper's 3.8×10⁹ multiply-adds (exact count, torchvision hooks)
		expect(buildGraph(r.spec).totals.macs).toBe(3_857_973_248);
	});

	it('a key that makes the spec invalid is left out; the others stay', () => {
		const r = decodeSpecUrl('preset=resnet50&stages=3.64.1_4.128.2_0.256.2_3.512.2&classes=7');
		expect(r.ok).toBe(true);
		if (!r.ok) return;
		expect(r.errors.map((e) => e.path)).toEqual(['stages[2].blocks']);
		// torchvision.models.resnet50(num_classes=7): 23,522,375 params
		expect(buildGraph(r.spec).totals.params).toBe(23_522_375);
		// the same when the values are well formed but break a rule between fields
		const g = decodeSpecUrl('preset=resnet18&groups=2&classes=7');
		expect(g.ok && [g.errors.map((e) => e.path), g.spec.groups, g.spec.head.classes]).toEqual([
			['groups'],
			1,
			7
		]);
	});

	it('malformed fields name the field they spoil', () => {
		expect(errs('preset=resnet50&stages=3.64.1_4.x.2').map((e) => e[0])).toEqual(['stages[1].width']);
		expect(errs('preset=resnet50&stages=3.64').map((e) => e[0])).toEqual(['stages[0]']);
		expect(errs('preset=resnet50&input=3x224').map((e) => e[0])).toEqual(['input']);
		expect(errs('preset=resnet50&residual=yes').map((e) => e[0])).toEqual(['residual']);
		expect(errs('preset=resnet50&shortcut=E').map((e) => e[0])).toEqual(['shortcut']);
		expect(errs('preset=resnet50&stem=tiny.16').map((e) => e[0])).toEqual(['stem.kind']);
		expect(errs('preset=resnet50&classes=-3').map((e) => e[0])).toEqual(['head.classes']);
	});

	it('well-formed but invalid specs fail validation with its paths', () => {
		expect(errs('preset=resnet50&stages=3.64.1_4.128.2_0.256.2_3.512.2').map((e) => e[0])).toEqual([
			'stages[2].blocks'
		]);
		expect(errs('preset=resnet18&groups=2').map((e) => e[0])).toEqual(['groups']);
	});

	it('never throws, whatever the query', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 80 }), (q) => {
				const r = decodeSpecUrl(q);
				if (!r.ok) expect(r.errors.length).toBeGreaterThan(0);
				else expect(validateSpec(r.spec)).toEqual([]);
			}),
			{ numRuns: 500 }
		);
		fc.assert(
			fc.property(
				fc.constantFrom('stages', 'input', 'stem', 'block', 'groups', 'wpg', 'residual', 'pool', 'classes'),
				fc.string({ maxLength: 30 }),
				(key, value) => {
					const r = decodeSpecUrl(new URLSearchParams({ preset: 'resnet18', [key]: value }).toString());
					for (const e of r.errors) expect(e.path).not.toBe('');
					// one key, good or bad: the link still opens, as resnet18 or resnet18 with that key
					expect(r.ok && validateSpec(r.spec)).toEqual([]);
				}
			),
			{ numRuns: 500 }
		);
	});
});
