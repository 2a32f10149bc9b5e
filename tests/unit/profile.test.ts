/**
 * The profile engine (src/lib/runtime/profile.ts) on cpu and wasm: every node is accounted for
 * (run, or folded into the node whose kernel computes it), the stepwise forward that it times
 * gives PyTorch's logits, and nothing leaks. Structure only: no timing thresholds here (the
 * 20 % agreement with a plain forward is printed by `infer --profile` and `bench:infer`).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/lib/arch/index';
import { compile } from '../../src/lib/runtime/compile';
import { profileNet } from '../../src/lib/runtime/profile';
import { Session } from '../../src/lib/runtime/session';
import { nchwToNhwc, relError, smallCases } from './runtime-fixtures';

const cases = smallCases();

describe.each(['cpu', 'wasm'])('profile on %s', (backend) => {
	beforeAll(async () => {
		expect(await tf.setBackend(backend)).toBe(true);
	});

	for (const c of cases) {
		it(`${c.name}: every node timed or folded into the node that runs it`, async () => {
			const graph = buildGraph(c.spec);
			const net = compile(tf, graph, c.weights);
			const [n, ch, h, w] = c.input.shape;
			const x = tf.tensor4d(nchwToNhwc(c.input), [n, h, w, ch]);
			const before = tf.memory().numTensors;
			const runs: number[] = [];
			const p = (await profileNet(tf, net, x, { runs: 3, onProgress: (d) => runs.push(d) }))!;
			expect(tf.memory().numTensors).toBe(before);
			expect(runs).toEqual([0, 1, 2, 3]);
			expect(p.backend).toBe(backend);
			expect(p.runs).toBe(3);
			const ids = graph.nodes.filter((nd) => nd.op !== 'input').map((nd) => nd.id);
			expect(Object.keys(p.nodes).sort()).toEqual([...ids].sort());
			for (const id of ids) {
				expect(Number.isFinite(p.nodes[id]) && p.nodes[id] >= 0, id).toBe(true);
				const carrier = p.foldedInto[id];
				if (carrier === undefined) continue;
				expect(p.nodes[id], id).toBe(0);
				expect(p.foldedInto[carrier], `${carrier} is itself folded`).toBeUndefined();
			}
			// BN is folded into the convolution that feeds it (the graph's edge), the ReLU right
			// after a BN into that same convolution; nothing else is folded.
			for (const nd of graph.nodes) {
				if (nd.op === 'batchnorm') expect(p.foldedInto[nd.id], nd.id).toBe(nd.inputs[0]);
				const src = graph.byId.get(nd.inputs[0] ?? '');
				if (nd.op === 'relu' && src?.op === 'batchnorm')
					expect(p.foldedInto[nd.id], nd.id).toBe(src.inputs[0]);
				if (nd.op !== 'batchnorm' && !(nd.op === 'relu' && src?.op === 'batchnorm'))
					expect(p.foldedInto[nd.id], nd.id).toBeUndefined();
			}
			expect(p.totalMs).toBeCloseTo(
				ids.reduce((s, id) => s + p.nodes[id], 0),
				9
			);
			expect(p.forwardMs).toBeGreaterThan(0);
			expect(p.stepwiseMs).toBeGreaterThan(0);
			expect(p.syncMs).toBeGreaterThanOrEqual(0);
			x.dispose();
			net.dispose();
		});
	}

	it("the stepwise forward that is timed gives PyTorch's logits", async () => {
		for (const c of cases) {
			const net = compile(tf, buildGraph(c.spec), c.weights);
			const [n, ch, h, w] = c.input.shape;
			const x = tf.tensor4d(nchwToNhwc(c.input), [n, h, w, ch]);
			const steps: string[] = [];
			const logits = await net.stepwise(x, async (s) => {
				steps.push(s.node);
			});
			expect(relError(await logits.data(), c.logits.data), c.name).toBeLessThanOrEqual(1e-4);
			expect(new Set(steps).size, c.name).toBe(steps.length);
			tf.dispose([logits, x]);
			net.dispose();
		}
	});

	it('Session.profile: stops when asked, keeps no tensor', async () => {
		const c = cases.find((x) => x.name === 'cifar-option-a')!;
		const s = new Session(tf);
		s.compile(buildGraph(c.spec), { id: 'ref', tensors: c.weights });
		const [, ch, h, w] = c.input.shape;
		const input = { data: nchwToNhwc(c.input), batch: 1, height: h, width: w, channels: ch };
		const before = tf.memory().numTensors;
		let asked = 0;
		const stopped = await s.profile(input, { runs: 4, shouldStop: async () => ++asked > 2 });
		expect(stopped).toBeNull();
		expect(asked).toBe(3);
		expect(tf.memory().numTensors).toBe(before);
		const p = (await s.profile(input, { runs: 1 }))!;
		expect(p.runs).toBe(1);
		expect(tf.memory().numTensors).toBe(before);
		s.dispose();
	});
});
