/**
 * Weights readers and checks against files written by real torch (tools/reference/run_reference.py)
 * and torchvision's own state_dict keys.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGraph, presetSpec } from '../../src/lib/arch/index';
import {
	WeightsError,
	checkWeights,
	expectedTensors,
	floatToHalf,
	halfToFloat,
	initWeights,
	loadCheckpoint,
	parsePth,
	parseSafetensors,
	parseSafetensorsRaw,
	writeSafetensors,
	type TensorMap
} from '../../src/lib/weights/index';
import { FIXTURES, smallCases } from './runtime-fixtures';

const read = (f: string) => new Uint8Array(readFileSync(join(FIXTURES, f)));
const caught = (f: () => unknown): unknown => {
	try {
		f();
	} catch (e) {
		return e;
	}
	return undefined;
};

describe('torch.save .pth reader', () => {
	const pth = parsePth(read('reader.pth'));
	const ref = parseSafetensors(read('reader.safetensors'));

	it('reads every tensor torch wrote, with the same shapes and values (dtypes, views, strides)', () => {
		const names = [...pth.keys()].sort();
		expect(names).toEqual(
			[
				'bfloat',
				'big',
				'conv.weight',
				'count',
				'double',
				'half',
				'scalar',
				'transposed',
				'view_col',
				'view_rows'
			].sort()
		);
		for (const name of names) {
			expect(pth.get(name)!.shape, name).toEqual(ref.get(name)!.shape);
			expect(Array.from(pth.get(name)!.data), name).toEqual(Array.from(ref.get(name)!.data));
		}
		expect(pth.get('transposed')!.shape).toEqual([7, 5]);
		expect(pth.get('scalar')!.shape).toEqual([]);
		expect(Array.from(pth.get('count')!.data)).toEqual([3, -2, 7]);
	});

	it('ignores num_batches_tracked', () => {
		expect(pth.has('bn.num_batches_tracked')).toBe(false);
	});

	it('explains a legacy (non-zip) torch.save file', () => {
		const e = caught(() => loadCheckpoint(read('reader-legacy.pth'), 'reader-legacy.pth'));
		expect(e).toBeInstanceOf(WeightsError);
		expect((e as Error).message).toMatch(
			/^legacy \.pth file .* re-save it in the current format with python3 -c "import torch; torch\.save\(torch\.load\('old\.pth', map_location='cpu'\), 'new\.pth'\)"$/
		);
	});

	it('a truncated .pth is a WeightsError, at every cut', () => {
		const bytes = read('reader.pth');
		for (const cut of [10, 100, 1000, bytes.length - 200, bytes.length - 1]) {
			const e = caught(() => parsePth(bytes.subarray(0, cut)));
			expect(e, `cut at ${cut}`).toBeInstanceOf(WeightsError);
			expect((e as Error).message, `cut at ${cut}`).toMatch(/truncated|damaged|ends early/);
		}
	});

	it('reads a {state_dict: …} checkpoint with a module. prefix, in bfloat16', () => {
		const c = smallCases().find((x) => x.meta.wrap === 'state_dict+module')!;
		expect(c.meta.dtype).toBe('BF16');
		expect(checkWeights(buildGraph(c.spec), c.weights)).toEqual([]);
	});
});

describe('safetensors', () => {
	it('reads F32 and F16 files and finds exactly the tensors the graph expects', () => {
		for (const c of smallCases()) expect(checkWeights(buildGraph(c.spec), c.weights), c.name).toEqual([]);
	});

	it('writes F32 files that read back exactly, keys and shapes included', () => {
		const t = parseSafetensors(read('reader.safetensors'));
		const back = parseSafetensors(writeSafetensors(t));
		expect([...back.keys()].sort()).toEqual([...t.keys()].sort());
		for (const [k, v] of t) {
			expect(back.get(k)!.shape).toEqual(v.shape);
			expect(Array.from(back.get(k)!.data)).toEqual(Array.from(v.data));
		}
	});

	it('rounds to fp16 exactly as torch does (ties to even, subnormals, overflow)', () => {
		const t = parseSafetensorsRaw(read('reader.safetensors'));
		const src = t.get('fp16/source')!.data;
		const torch = t.get('fp16/torch')!.data;
		const ours = Array.from(src, (x) => halfToFloat(floatToHalf(x)));
		expect(ours).toEqual(Array.from(torch));
		const back = parseSafetensorsRaw(
			writeSafetensors(new Map([['x', { shape: [src.length], data: src }]]), 'F16')
		);
		expect(Array.from(back.get('x')!.data)).toEqual(Array.from(torch));
	});

	it('a truncated file is a WeightsError naming the tensor that runs off the end', () => {
		const bytes = read('resnext-tiny/weights.safetensors');
		const e = caught(() => parseSafetensors(bytes.subarray(0, bytes.length - 10)));
		expect(e).toBeInstanceOf(WeightsError);
		expect((e as WeightsError).tensor).not.toBe('');
		expect((e as Error).message).toMatch(
			/^truncated file: \S+ ends at data byte \d+ but the file has only \d+/
		);
		const short = caught(() => parseSafetensors(bytes.subarray(0, 100)));
		expect(short).toBeInstanceOf(WeightsError);
		expect((short as Error).message).toMatch(/truncated/);
	});

	it('never throws anything but a WeightsError on any cut or corruption of a real file', () => {
		const bytes = read('plain-flatten/weights.safetensors');
		fc.assert(
			fc.property(
				fc.nat(bytes.length),
				fc.nat(bytes.length - 1),
				fc.integer({ min: 0, max: 255 }),
				(cut, at, b) => {
					const copy = bytes.slice(0, Math.max(cut, at + 1));
					copy[at] = b;
					for (const input of [copy, bytes.subarray(0, cut)]) {
						try {
							loadCheckpoint(input);
						} catch (e) {
							if (!(e instanceof WeightsError)) throw e;
						}
					}
				}
			),
			{ numRuns: 300 }
		);
	});

	it('refuses something that is neither format', () => {
		const e = caught(() => loadCheckpoint(new TextEncoder().encode('hello, not weights at all'), 'x.bin'));
		expect(e).toBeInstanceOf(WeightsError);
		expect((e as Error).message).toBe(
			'not a torch.save file: it starts with text ("hello, not weights at all")'
		);
	});
});

describe('a file that is no checkpoint: what it is, never the file name (the caller names it once)', () => {
	const text = (t: string) => new TextEncoder().encode(t);
	const message = (bytes: Uint8Array, name?: string) => {
		const e = caught(() => loadCheckpoint(bytes, name));
		expect(e).toBeInstanceOf(WeightsError);
		return (e as Error).message;
	};

	it.each([
		[
			'a text file named .safetensors',
			text('hello, not weights at all\nline two'),
			'x.safetensors',
			'not a safetensors file: it starts with text ("hello, not weights at all")'
		],
		[
			'a Git LFS pointer',
			text('version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n'),
			'model.safetensors',
			'not a safetensors file: it is a Git LFS pointer, not the file itself (fetch it with git lfs pull)'
		],
		[
			'an HTML page',
			text('<!DOCTYPE html><html><body>Sign in</body></html>'),
			'resnet50.pth',
			'not a torch.save file: it is an HTML page (a download link that gave a web page?)'
		],
		[
			'a spec file',
			text('{"name": "resnet50", "input": {"channels": 3}}'),
			'spec.json',
			'not a weights file (.safetensors or a torch.save .pth): it is JSON text, not a safetensors header (which follows an 8-byte length)'
		],
		['an empty file', new Uint8Array(0), 'w.safetensors', 'not a safetensors file: it is empty (0 bytes)'],
		[
			'a PNG image',
			new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
			'w.pth',
			'not a torch.save file: it is a PNG image'
		],
		[
			'gzip',
			new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2]),
			'w.pth.gz',
			'not a weights file (.safetensors or a torch.save .pth): it is gzip-compressed (unpack it first)'
		]
	])('%s', (_, bytes, name, expected) => {
		expect(message(bytes, name)).toBe(expected);
	});

	it('binary bytes named .safetensors: what its 8-byte header length says', () => {
		const bytes = new Uint8Array(64).fill(0xab);
		expect(message(bytes, 'x.safetensors')).toBe(
			'not a safetensors file: its 8-byte header length says 12370169555311111083 bytes, but 56 follow'
		);
		const b = new Uint8Array(64);
		b[0] = 16;
		b[8] = 0x07;
		expect(message(b, 'x.safetensors')).toBe(
			'not a safetensors file: its header (16 bytes after the 8-byte length) should start with "{", not byte 0x07'
		);
	});

	it('a torch.save(model) file: its parameters read from the module tree, nothing run', () => {
		// tools/reference/run_reference.py: torch.save(nn.Sequential(Conv2d(1, 2, 3), ReLU, Flatten, Linear(2, 2)))
		const t = loadCheckpoint(read('reader-whole-model.pth'), 'reader-whole-model.pth');
		expect([...t].map(([k, v]) => [k, v.shape])).toEqual([
			['0.weight', [2, 1, 3, 3]],
			['0.bias', [2]],
			['3.weight', [2, 2]],
			['3.bias', [2]]
		]);
	});
});

describe('names and shapes as torchvision has them', () => {
	const keys = JSON.parse(readFileSync(join(FIXTURES, 'torchvision-keys.json'), 'utf8')) as Record<
		string,
		Record<string, number[]>
	>;
	it.each(Object.keys(keys))(
		'%s: expectedTensors equals torchvision.models.%s().state_dict(), in order',
		(name) => {
			const graph = buildGraph(presetSpec(name)!);
			expect([...expectedTensors(graph)]).toEqual(Object.entries(keys[name]));
		}
	);

	it('checkWeights accepts a torchvision-keyed file, num_batches_tracked included', () => {
		const graph = buildGraph(presetSpec('resnet18')!);
		const tensors: TensorMap = new Map(
			Object.entries(keys.resnet18).map(([k, s]) => [
				k,
				{ shape: s, data: new Float32Array(s.reduce((a, b) => a * b, 1)) }
			])
		);
		tensors.set('bn1.num_batches_tracked', { shape: [], data: new Float32Array(1) });
		expect(checkWeights(graph, tensors)).toEqual([]);
	});

	it('lists every missing, unexpected and wrong-shaped tensor with both shapes', () => {
		const graph = buildGraph(presetSpec('resnet18')!);
		const tensors = initWeights(graph, 1);
		tensors.delete('layer3.1.bn2.bias');
		tensors.delete('fc.bias');
		tensors.set('layer1.0.conv2.weight', { shape: [64, 64, 1, 1], data: new Float32Array(64 * 64) });
		tensors.set('fc.weight', { shape: [10, 512], data: new Float32Array(5120) });
		tensors.set('layer1.0.downsample.0.weight', { shape: [64, 64, 1, 1], data: new Float32Array(4096) });
		const errors = checkWeights(graph, tensors);
		expect(errors.map((e) => [e.tensor, e.expected, e.actual, e.message])).toEqual([
			[
				'layer1.0.conv2.weight',
				'[64, 64, 3, 3]',
				'[64, 64, 1, 1]',
				'layer1.0.conv2.weight: expected shape [64, 64, 3, 3], got [64, 64, 1, 1]'
			],
			['layer3.1.bn2.bias', '[256]', 'missing', 'layer3.1.bn2.bias: missing (expected shape [256])'],
			['fc.weight', '[1000, 512]', '[10, 512]', 'fc.weight: expected shape [1000, 512], got [10, 512]'],
			['fc.bias', '[1000]', 'missing', 'fc.bias: missing (expected shape [1000])'],
			[
				'layer1.0.downsample.0.weight',
				'no such tensor in this network',
				'[64, 64, 1, 1]',
				'layer1.0.downsample.0.weight: unexpected tensor [64, 64, 1, 1] (this network has no such weight)'
			]
		]);
	});
});

describe('initWeights (torchvision initialisation, seeded)', () => {
	const graph = buildGraph(presetSpec('resnet50')!);
	const a = initWeights(graph, 42);

	it('covers exactly the expected tensors and is deterministic from the seed', () => {
		expect(checkWeights(graph, a)).toEqual([]);
		const b = initWeights(graph, 42);
		const c = initWeights(graph, 43);
		expect(Array.from(b.get('layer2.0.conv2.weight')!.data)).toEqual(
			Array.from(a.get('layer2.0.conv2.weight')!.data)
		);
		expect(Array.from(c.get('layer2.0.conv2.weight')!.data)).not.toEqual(
			Array.from(a.get('layer2.0.conv2.weight')!.data)
		);
	});

	const stats = (d: Float32Array) => {
		const mean = d.reduce((s, x) => s + x, 0) / d.length;
		const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / d.length);
		return { mean, sd, max: d.reduce((m, x) => Math.max(m, Math.abs(x)), 0) };
	};

	it('convs: kaiming_normal_(fan_out, relu): std √(2 / (out·k·k))', () => {
		for (const [key, [out, , k]] of [
			['layer4.0.conv2.weight', [512, 512, 3]],
			['conv1.weight', [64, 3, 7]],
			['layer3.0.downsample.0.weight', [1024, 512, 1]]
		] as const) {
			const s = stats(a.get(key)!.data);
			expect(Math.abs(s.mean), key).toBeLessThan(0.01 * Math.sqrt(2 / (out * k * k)) * 10);
			expect(s.sd / Math.sqrt(2 / (out * k * k)), key).toBeCloseTo(1, 1);
		}
	});

	it('BN γ=1 β=0 mean 0 var 1; fc uniform(±1/√in)', () => {
		expect(new Set(a.get('layer1.0.bn1.weight')!.data)).toEqual(new Set([1]));
		expect(new Set(a.get('layer1.0.bn1.bias')!.data)).toEqual(new Set([0]));
		expect(new Set(a.get('bn1.running_mean')!.data)).toEqual(new Set([0]));
		expect(new Set(a.get('bn1.running_var')!.data)).toEqual(new Set([1]));
		const s = stats(a.get('fc.weight')!.data);
		const bound = 1 / Math.sqrt(2048);
		expect(s.max).toBeLessThanOrEqual(bound);
		expect(s.sd / (bound / Math.sqrt(3))).toBeCloseTo(1, 1);
	});
});
