/**
 * The architecture read from a checkpoint's names, shapes and order (issue 11). The references:
 * torchvision's presets (their state_dict keys and shapes are torchvision's, checked in
 * presets.test.ts) must come back as themselves with no mapping; the same tensors under any other
 * names, order kept, must come back as the same network mapped to torchvision's keys — or a
 * refusal, never a wrong network.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGraph, presetSpec, specDifferences, type ArchSpec } from '../../src/lib/arch/index';
import {
	WeightsError,
	expectedTensors,
	inferArchitecture,
	matchToGraph,
	readCheckpoint,
	writeSafetensors,
	type InferredNetwork,
	type TensorMap
} from '../../src/lib/weights/index';

const ZEROS = new Float32Array(70_000_000);
/** A state_dict of the spec's shapes (values unused by the inference), keys renamed by `rename`. */
function stateDict(spec: ArchSpec, rename: (key: string) => string = (k) => k): TensorMap {
	const out: TensorMap = new Map();
	for (const [key, shape] of expectedTensors(buildGraph(spec)))
		out.set(rename(key), {
			shape,
			data: ZEROS.subarray(
				0,
				shape.reduce((a, b) => a * b, 1)
			)
		});
	return out;
}
/** Module prefix → a new name; the tensor's own name (weight, running_mean, …) is PyTorch's. */
function renamer(names: (i: number) => string) {
	const modules = new Map<string, string>();
	return (key: string) => {
		const dot = key.lastIndexOf('.');
		const mod = key.slice(0, dot);
		if (!modules.has(mod)) modules.set(mod, names(modules.size));
		return `${modules.get(mod)}.${key.slice(dot + 1)}`;
	};
}
const preset = (n: string) => presetSpec(n)!;
/** The spec's fields that differ from `want`, leaving out the name and what is listed as assumed. */
function unassumedDifferences(r: InferredNetwork, want: ArchSpec) {
	const assumed = r.assumed.map((a) => a.path);
	return specDifferences(want, r.spec).filter(
		(d) =>
			!d.path.startsWith('convBias') &&
			!assumed.some((p) => d.path === p || d.path.startsWith(`${p}.`) || d.path.startsWith(`${p}[`)) &&
			!(
				assumed.includes('expansion') &&
				(d.path === 'widthPerGroup' || /^stages\[\d+\]\.width$/.test(d.path))
			)
	);
}

describe('torchvision names: the preset comes back, no mapping', () => {
	for (const name of ['resnet18', 'resnet50', 'resnext50_32x4d', 'wide_resnet50_2', 'resnet56'])
		it(name, () => {
			const want = preset(name);
			const r = inferArchitecture(stateDict(want));
			expect(r.mapping).toBeNull();
			expect(r.extras).toEqual([]);
			expect(unassumedDifferences(r, want)).toEqual([]);
			expect(buildGraph(r.spec).totals.params).toBe(buildGraph(want).totals.params);
		});
});

it('torchvision names in sorted order (as a safetensors file stores them): loaded by name, not by order', () => {
	// resnet101's layer3 has 23 blocks: sorted, layer3.10 comes before layer3.2 (same shapes)
	const want = preset('resnet101');
	const sd = stateDict(want);
	const sorted: TensorMap = new Map([...sd.keys()].sort().map((k) => [k, sd.get(k)!]));
	expect([...sorted.keys()].indexOf('layer3.10.conv1.weight')).toBeLessThan(
		[...sorted.keys()].indexOf('layer3.2.conv1.weight')
	);
	const r = inferArchitecture(sorted);
	expect(r.mapping).toBeNull();
	for (const [k, t] of r.tensors) expect(t).toBe(sd.get(k));
	expect(unassumedDifferences(r, want)).toEqual([]);
});

it('a safetensors file of Sequential names (sorted: stages.0.10 before stages.0.2): read in the names’ natural order, and said so', () => {
	const want: ArchSpec = {
		...preset('resnet20'),
		stages: [
			{ blocks: 12, width: 16, stride: 1 },
			{ blocks: 2, width: 32, stride: 2 }
		]
	};
	const seq = (k: string) =>
		k
			.replace(/^conv1\./, 'stem.0.')
			.replace(/^bn1\./, 'stem.1.')
			.replace(/^fc\./, 'head.1.')
			.replace(/^layer(\d+)\.(\d+)\./, (_, i, j) => `stages.${Number(i) - 1}.${j}.`)
			.replace(/\.conv1\./, '.body.0.')
			.replace(/\.bn1\./, '.body.1.')
			.replace(/\.conv2\./, '.body.3.')
			.replace(/\.bn2\./, '.body.4.')
			.replace(/\.downsample\./, '.shortcut.');
	const sd = stateDict(want);
	const sorted = new Map([...sd].map(([k, t]) => [seq(k), t] as const).sort(([a], [b]) => (a < b ? -1 : 1)));
	const file = writeSafetensors(sorted);
	const c = readCheckpoint(file, 'net.safetensors');
	expect(c.sortedNames).toBe(true);
	const r = inferArchitecture(c.tensors, { sortedNames: c.sortedNames });
	expect(unassumedDifferences(r, want)).toEqual([]);
	for (const [s, t] of r.mapping!) expect(seq(t)).toBe(s);
	expect(r.assumed.find((a) => a.path === 'order')?.reason).toMatch(
		/^a safetensors file keeps its names sorted/
	);
});

describe('other names, the same order: mapped to torchvision keys', () => {
	it('Sequential indices (stem.0, stages.2.3.body.4, …)', () => {
		const want = preset('resnet50');
		const src = stateDict(
			want,
			renamer((i) => `net.${i >> 3}.${(i * 7) % 5}.${i}`)
		);
		const r = inferArchitecture(src);
		expect(r.mapping).not.toBeNull();
		const back = [...stateDict(want).keys()];
		expect(r.mapping!.map(([, t]) => t)).toEqual(back);
		expect(r.mapping!.map(([s]) => s)).toEqual([...src.keys()]);
		expect(unassumedDifferences(r, want)).toEqual([]);
	});

	it('a projection registered before its block’s convs (identity_downsample first)', () => {
		const want = preset('resnet18');
		const keys = [...stateDict(want).keys()];
		// move every downsample module in front of its block's conv1
		const order: string[] = [];
		for (const k of keys) {
			const m = /^(layer\d\.\d)\.conv1\.weight$/.exec(k);
			if (m) order.push(...keys.filter((x) => x.startsWith(`${m[1]}.downsample.`)));
			if (!k.includes('downsample')) order.push(k);
		}
		const full = stateDict(want);
		const src: TensorMap = new Map(
			order.map((k) => [k.replace('downsample', 'identity_downsample'), full.get(k)!])
		);
		const r = inferArchitecture(src);
		expect(new Map(r.mapping!).get('layer2.0.identity_downsample.0.weight')).toBe(
			'layer2.0.downsample.0.weight'
		);
		expect(unassumedDifferences(r, want)).toEqual([]);
	});

	it('a flatten head gives the input size; a second head and a constant are extras', () => {
		const want: ArchSpec = {
			...preset('resnet20'),
			input: { channels: 1, height: 28, width: 28 },
			head: { pool: 'flatten', classes: 10 }
		};
		const src = stateDict(
			want,
			renamer((i) => `f${i}`)
		);
		src.set('mean', { shape: [1, 1, 1, 1], data: new Float32Array(1) });
		src.set('aux_head.weight', { shape: [5, 64 * 7 * 7], data: new Float32Array(5 * 64 * 49) });
		src.set('aux_head.bias', { shape: [5], data: new Float32Array(5) });
		const r = inferArchitecture(src);
		expect(r.spec.input).toEqual({ channels: 1, height: 28, width: 28 });
		expect(r.spec.head).toEqual({ pool: 'flatten', classes: 10 });
		expect(r.extras.sort()).toEqual(['aux_head.bias', 'aux_head.weight', 'mean']);
		expect(r.assumed.find((a) => a.path === 'head')?.reason).toMatch(/2 linear layers fit/);
	});

	it('biases on the shortcut convs only', () => {
		const want: ArchSpec = { ...preset('resnet18'), convBias: { stem: false, block: false, shortcut: true } };
		const r = inferArchitecture(
			stateDict(
				want,
				renamer((i) => `m${i}`)
			)
		);
		expect(r.spec.convBias).toEqual({ stem: false, block: false, shortcut: true });
		expect(buildGraph(r.spec).totals.params).toBe(11690408); // torchvision's, see conv-bias.test.ts
	});
});

describe('matchToGraph: a given network, other names', () => {
	it('the same network under other names: its tensors back under the graph’s names', () => {
		const want = preset('resnet18');
		const src = stateDict(
			want,
			renamer((i) => `n${i}`)
		);
		const m = matchToGraph(buildGraph(want), src)!;
		expect([...m.tensors.keys()]).toEqual([...stateDict(want).keys()]);
		expect(m.mapping[0]).toEqual(['n0.weight', 'conv1.weight']);
	});
	it('another network: null (its problems are listed as before)', () => {
		const src = stateDict(
			preset('resnet18'),
			renamer((i) => `n${i}`)
		);
		expect(matchToGraph(buildGraph(preset('resnet34')), src)).toBeNull();
		expect(
			matchToGraph(
				buildGraph({ ...preset('resnet18'), input: { channels: 1, height: 224, width: 224 } }),
				src
			)
		).toBeNull();
	});
});

describe('refusals name the tensor', () => {
	/** Three blocks of 8 channels, a projection on the middle one: or on the last, read by order. */
	const ambiguous: ArchSpec = {
		...preset('resnet20'),
		stem: { kind: 'cifar', width: 8 },
		stages: [
			{ blocks: 1, width: 8, stride: 1 },
			{ blocks: 2, width: 8, stride: 2 }
		],
		shortcut: 'B'
	};
	it('a projection that could belong to the block before or after it', () => {
		// conv1 bn1 | M M | M M P | M M: P after block 1's convs, or before block 2's. Both fit, the
		// networks differ. Never guessed.
		const src = stateDict(
			ambiguous,
			renamer((i) => `x${i}`)
		);
		let e: unknown;
		try {
			inferArchitecture(src);
		} catch (err) {
			e = err;
		}
		expect(e).toBeInstanceOf(WeightsError);
		expect((e as WeightsError).tensor).toBe('x6.weight');
		expect((e as WeightsError).message).toMatch(
			/x6\.weight \[8, 8, 3, 3\] could be layer2\.0\.conv1\.weight or layer1\.1\.conv1\.weight/
		);
	});

	it('with torchvision’s own names the same file loads (the names decide)', () => {
		const r = inferArchitecture(stateDict(ambiguous));
		expect(r.mapping).toBeNull();
		expect(r.spec.stages).toEqual(ambiguous.stages);
	});

	it('convs declared before their batch norms: paired in order, and said so', () => {
		const want = preset('resnet18');
		const full = stateDict(want);
		const keys = [...full.keys()];
		// layer1.0: conv1, conv2, then bn1, bn2 (both 64 channels; conv2 is followed by bn1)
		const block = keys.filter((k) => k.startsWith('layer1.0.'));
		const reordered = [...block.filter((k) => k.includes('conv')), ...block.filter((k) => k.includes('bn'))];
		const at = keys.indexOf(block[0]);
		const order = [...keys.slice(0, at), ...reordered, ...keys.slice(at + block.length)];
		const src: TensorMap = new Map(order.map((k) => [k.replace(/^layer1\.0\./, 'b.'), full.get(k)!]));
		const r = inferArchitecture(src);
		const m = new Map(r.mapping!);
		expect(m.get('b.bn1.weight')).toBe('layer1.0.bn1.weight');
		expect(m.get('b.bn2.running_var')).toBe('layer1.0.bn2.running_var');
		expect(r.assumed.find((a) => a.path === 'mapping')).toMatchObject({
			value: ['b.bn1', 'b.bn2'],
			reason: expect.stringMatching(
				/^2 batch norms are not right after their convs \(b\.bn1, b\.bn2\): paired by rank/
			)
		});
	});

	it('batch norms out of the convs’ order are refused, naming the norm', () => {
		const full = stateDict(preset('resnet50'));
		const keys = [...full.keys()];
		// layer1.0's bn1 (64) moved after its bn2 (64) and bn3 (256): norm 3 of the block would have 64
		const bn1 = keys.filter((k) => k.startsWith('layer1.0.bn1.'));
		const rest = keys.filter((k) => !bn1.includes(k));
		const at = rest.indexOf('layer1.0.bn3.running_var') + 1;
		const order = [...rest.slice(0, at), ...bn1, ...rest.slice(at)];
		const src: TensorMap = new Map(order.map((k) => [k, full.get(k)!]));
		expect(() => inferArchitecture(src)).toThrow(/batch norms do not follow the convolutions in order/);
	});

	it('no convolutions, a 5×5 stem, a pre-activation network', () => {
		expect(() => inferArchitecture(new Map([['w', { shape: [3], data: new Float32Array(3) }]]))).toThrow(
			/no convolution weights/
		);
		const src = stateDict(preset('resnet18'));
		src.set('conv1.weight', { shape: [64, 3, 5, 5], data: new Float32Array(64 * 75) });
		expect(() => inferArchitecture(src)).toThrow(/conv1\.weight \[64, 3, 5, 5\], is 5×5/);
		const pre = stateDict(preset('resnet18'));
		pre.set('final_bn.weight', { shape: [512], data: ZEROS.subarray(0, 512) });
		for (const t of ['bias', 'running_mean', 'running_var'])
			pre.set(`final_bn.${t}`, { shape: [512], data: ZEROS.subarray(0, 512) });
		expect(() => inferArchitecture(pre)).toThrow(/final_bn \(512 channels\) follows no convolution/);
	});
});

describe('fuzz: random specs, every module renamed at random, order kept', () => {
	const stage = fc.record({
		blocks: fc.integer({ min: 1, max: 3 }),
		width: fc.integer({ min: 1, max: 24 }),
		stride: fc.integer({ min: 1, max: 2 })
	});
	const spec = fc
		.record({
			channels: fc.integer({ min: 1, max: 4 }),
			side: fc.integer({ min: 24, max: 64 }),
			stemKind: fc.constantFrom('imagenet' as const, 'cifar' as const),
			stemWidth: fc.integer({ min: 1, max: 32 }),
			bottleneck: fc.boolean(),
			expansion: fc.integer({ min: 1, max: 4 }),
			groups: fc.integer({ min: 1, max: 4 }),
			wpg: fc.integer({ min: 16, max: 128 }),
			stages: fc.array(stage, { minLength: 1, maxLength: 4 }),
			shortcut: fc.constantFrom('A' as const, 'B' as const, 'C' as const),
			convBias: fc.record({ stem: fc.boolean(), block: fc.boolean(), shortcut: fc.boolean() }),
			pool: fc.constantFrom('avg' as const, 'flatten' as const),
			classes: fc.integer({ min: 1, max: 20 })
		})
		.map((x): ArchSpec => {
			const stages = x.stages.map((s) => ({ ...s }));
			// the weights say where a stage starts only where its width changes
			for (let i = 1; i < stages.length; i++)
				if (stages[i].width === stages[i - 1].width) stages[i].width += 1;
			return {
				name: 'fuzz',
				input: { channels: x.channels, height: x.side, width: x.side },
				stem: { kind: x.stemKind, width: x.stemWidth },
				block: x.bottleneck ? 'bottleneck' : 'basic',
				expansion: x.expansion,
				groups: x.bottleneck ? x.groups : 1,
				widthPerGroup: x.bottleneck ? x.wpg : 64,
				stages,
				shortcut: x.shortcut,
				strideOn: '3x3',
				residual: true,
				convBias: x.convBias,
				head: { pool: x.pool, classes: x.classes }
			};
		});
	/**
	 * How the author declared each block's modules: torchvision's order; the projection first
	 * (`self.identity_downsample` before the convs); or every conv before the norms.
	 */
	const layouts = fc.constantFrom(
		'torchvision' as const,
		'projection-first' as const,
		'convs-then-norms' as const
	);
	function reorder(
		sd: TensorMap,
		layout: 'torchvision' | 'projection-first' | 'convs-then-norms'
	): TensorMap {
		if (layout === 'torchvision') return sd;
		const keys = [...sd.keys()];
		const blockOf = (k: string) => /^layer\d+\.\d+\./.exec(k)?.[0] ?? null;
		const out: string[] = [];
		for (let i = 0; i < keys.length;) {
			const b = blockOf(keys[i]);
			if (!b) {
				out.push(keys[i++]);
				continue;
			}
			const block: string[] = [];
			while (i < keys.length && blockOf(keys[i]) === b) block.push(keys[i++]);
			const proj = block.filter((k) => k.includes('.downsample.'));
			const own = block.filter((k) => !k.includes('.downsample.'));
			if (layout === 'projection-first') out.push(...proj, ...own);
			else
				out.push(
					...own.filter((k) => /\.conv\d\./.test(k)),
					...own.filter((k) => /\.bn\d\./.test(k)),
					...proj
				);
		}
		return new Map(out.map((k) => [k, sd.get(k)!]));
	}
	const names = fc.array(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), { minLength: 1, maxLength: 3 });

	it('the same network back (up to what is assumed), or a refusal naming a tensor', () => {
		let read = 0;
		let refused = 0;
		fc.assert(
			fc.property(
				spec,
				fc.array(names, { minLength: 400, maxLength: 400 }),
				fc.integer(),
				layouts,
				(want, words, seed, layout) => {
					let graphOk = true;
					try {
						buildGraph(want);
					} catch {
						graphOk = false;
					}
					fc.pre(graphOk);
					const perm = (i: number) => (i * 2654435761 + seed) >>> 0;
					const rename = renamer((i) => `${words[i % 400].join('.')}.${perm(i).toString(36)}`);
					const original = new Map<string, string>();
					const src: TensorMap = new Map();
					for (const [k, t] of reorder(stateDict(want), layout)) {
						const nk = rename(k);
						original.set(nk, k);
						src.set(nk, t);
					}
					let r: InferredNetwork;
					try {
						r = inferArchitecture(src);
					} catch (e) {
						expect(e).toBeInstanceOf(WeightsError);
						expect((e as Error).message).toMatch(/^cannot read the architecture: /);
						refused++;
						return;
					}
					read++;
					expect(unassumedDifferences(r, want)).toEqual([]);
					// never a wrong network: every tensor goes back to its own place
					expect(r.mapping).not.toBeNull();
					for (const [s, t] of r.mapping!) expect(t).toBe(original.get(s));
					expect(r.mapping!.length).toBe(src.size);
				}
			),
			{ numRuns: 300 }
		);
		// most random networks are read, not refused
		expect(read).toBeGreaterThan(refused * 3);
	});
});
