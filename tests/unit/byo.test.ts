/**
 * Bring your own ResNet (issue 11): networks written the way tutorial authors write them
 * (tools/reference/byo_models.py — their own module names and layouts) and torchvision's own
 * classes, saved by PyTorch (Debian's torch 1.13) as plain state_dicts and inside the wrappers
 * training scripts write. The architecture read from the file alone must have PyTorch's parameter
 * count, and the file run through the runtime's Session (tfjs cpu and wasm) must give PyTorch's
 * logits for both images of the fixed input, within 1e-4 of the logits' scale.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/lib/arch/index';
import { Session } from '../../src/lib/runtime/session';
import {
	WeightsError,
	inferArchitecture,
	parseSafetensorsRaw,
	readCheckpoint,
	type InferredNetwork,
	type Tensor
} from '../../src/lib/weights/index';
import { nchwToNhwc, relError } from './runtime-fixtures';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'byo');
const CASES: Record<string, { params: number; input: number[]; classes: number }> = JSON.parse(
	readFileSync(join(DIR, 'cases.json'), 'utf8')
);
const read = (f: string) => new Uint8Array(readFileSync(join(DIR, f)));
const io = (name: string) => parseSafetensorsRaw(read(`${name}/io.safetensors`));

async function logitsOf(net: InferredNetwork, input: Tensor): Promise<Float32Array> {
	const graph = buildGraph(net.spec);
	const session = new Session(tf);
	try {
		session.compile(graph, { id: 'byo', tensors: net.tensors });
		const [n, c, h, w] = input.shape;
		const r = await session.forward(
			{ data: nchwToNhwc(input), batch: n, height: h, width: w, channels: c },
			[]
		);
		return r.logits.slice(0, n * net.spec.head.classes);
	} finally {
		session.dispose();
	}
}

describe('the architecture from the file alone has PyTorch’s parameter count', () => {
	for (const [name, ref] of Object.entries(CASES))
		it(name, () => {
			const { tensors } = readCheckpoint(read(`${name}/weights.pth`), 'weights.pth');
			const [channels, height, width] = ref.input;
			const net = inferArchitecture(tensors, { input: { channels, height, width } });
			expect(buildGraph(net.spec).totals.params).toBe(ref.params);
			expect(net.spec.head.classes).toBe(ref.classes);
			expect(net.extras).toEqual([]);
			// torchvision's own names (timm's ResNet uses them too) need no mapping; every tutorial's do
			expect(net.mapping === null).toBe(name === 'torchvision' || name === 'timm');
		});

	it('what each tutorial says in its own way', () => {
		const infer = (name: string) => inferArchitecture(readCheckpoint(read(`${name}/weights.pth`)).tensors);
		const seq = infer('sequential');
		expect(seq.spec.input).toEqual({ channels: 1, height: 28, width: 28 }); // from the flatten head
		expect(seq.spec.head.pool).toBe('flatten');
		expect(seq.spec.convBias).toEqual({ stem: false, block: false, shortcut: true });
		expect(new Map(seq.mapping!).get('stages.1.0.shortcut.0.bias')).toBe('layer2.0.downsample.0.bias');
		const custom = infer('custom');
		expect(custom.spec).toMatchObject({
			block: 'bottleneck',
			groups: 2,
			convBias: true,
			stem: { kind: 'imagenet', width: 8 }
		});
		expect(new Map(custom.mapping!).get('blocks.1.skip.1.running_var')).toBe(
			'layer2.0.downsample.1.running_var'
		);
		const aladdin = infer('aladdin');
		expect(new Map(aladdin.mapping!).get('layer2.0.identity_downsample.0.weight')).toBe(
			'layer2.0.downsample.0.weight'
		);
		expect(aladdin.assumed.find((a) => a.path === 'input')?.value).toEqual({
			channels: 3,
			height: 224,
			width: 224
		});
		expect(new Map(infer('kuangliu').mapping!).get('linear.weight')).toBe('fc.weight');
		expect(infer('timm').spec).toMatchObject({ groups: 2, widthPerGroup: 32 });
	});

	it('timm’s ResNet-D (deep stem, average-pool downsampling) opens as its network (issue 12): timm’s 22,298 params', () => {
		const { tensors } = readCheckpoint(read('refused/timm_resnet_d.pth'));
		const net = inferArchitecture(tensors);
		expect(net.spec).toMatchObject({ stem: { kind: 'deep', width: 16 }, block: 'basic', shortcut: 'D' });
		expect(net.spec.stages.map((s) => s.width)).toEqual([4, 8, 16, 32]);
		expect(net.mapping).toBeNull();
		// sum(p.numel() for p in timm_resnet_d().parameters()) with timm 1.0.29
		expect(buildGraph(net.spec).totals.params).toBe(22_298);
	});
});

describe.each(['cpu', 'wasm'])('tfjs %s: PyTorch’s logits from the file alone', (backend) => {
	beforeAll(async () => {
		expect(await tf.setBackend(backend)).toBe(true);
		await tf.ready();
	});
	for (const name of Object.keys(CASES))
		it(name, async () => {
			const ref = io(name);
			const input = ref.get('input')!;
			const [, channels, height, width] = input.shape;
			const net = inferArchitecture(readCheckpoint(read(`${name}/weights.pth`)).tensors, {
				input: { channels, height, width }
			});
			expect(relError(await logitsOf(net, input), ref.get('logits')!.data)).toBeLessThan(1e-4);
		});
});

describe('torch.save(model): the pickled module tree read without running it', () => {
	for (const name of ['sequential', 'kuangliu', 'custom'])
		it(name, async () => {
			await tf.setBackend('cpu');
			const ref = io(name);
			const input = ref.get('input')!;
			const [, channels, height, width] = input.shape;
			const c = readCheckpoint(read(`${name}/whole.pth`), 'whole.pth');
			const net = inferArchitecture(c.tensors, { input: { channels, height, width } });
			expect(buildGraph(net.spec).totals.params).toBe(CASES[name].params);
			expect(relError(await logitsOf(net, input), ref.get('logits')!.data)).toBeLessThan(1e-4);
		});

	it('hostile pickles are refused, naming what they would call', () => {
		const message = (f: string) => {
			try {
				readCheckpoint(read(`hostile/${f}.pth`), `${f}.pth`);
			} catch (e) {
				expect(e).toBeInstanceOf(WeightsError);
				return (e as Error).message;
			}
			return 'read';
		};
		expect(message('system')).toMatch(
			/it calls posix\.system, which a state_dict does not need \(refused: nothing in the file runs\)/
		);
		expect(message('eval')).toMatch(/it calls __builtin__\.eval/);
		expect(message('whole_model_system')).toMatch(
			/a whole pickled model \(torch\.save\(model\)\) that calls posix\.system: reading it would mean running that code/
		);
	});
});

describe('wrappers and prefixes: the network is found, and where it was said', () => {
	const expected: Record<string, { source: string | null; prefix: string; others: string[] }> = {
		state_dict_best_acc1: { source: 'state_dict', prefix: 'module.', others: ['(top level)'] },
		model_state_dict: { source: 'model_state_dict', prefix: '', others: ['(top level)'] },
		model: { source: 'model', prefix: '', others: [] },
		state_dict_and_ema: { source: 'state_dict', prefix: '', others: ['state_dict_ema'] },
		model_ema: { source: 'model_ema', prefix: '', others: [] },
		lightning: { source: 'state_dict', prefix: 'model.', others: [] },
		compiled: { source: null, prefix: '_orig_mod.', others: [] },
		dataparallel_compiled: { source: null, prefix: 'module._orig_mod.', others: [] },
		whole_model_in_dict: { source: 'model', prefix: '', others: [] }
	};
	const ref = io('sequential');
	for (const [file, want] of Object.entries(expected))
		it(file, async () => {
			await tf.setBackend('cpu');
			const c = readCheckpoint(read(`wrappers/${file}.pth`), `${file}.pth`);
			expect({ source: c.source, prefix: c.prefix, others: c.others }).toEqual(want);
			const net = inferArchitecture(c.tensors);
			expect(buildGraph(net.spec).totals.params).toBe(CASES.sequential.params);
			expect(relError(await logitsOf(net, ref.get('input')!), ref.get('logits')!.data)).toBeLessThan(1e-4);
		});
});
