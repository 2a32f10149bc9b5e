/**
 * The Train panel's pure parts: the comparison pairs (against the bundled fashion-resnet, whose
 * spec and parameter count tools/train/train_fashion.py wrote from PyTorch, and the paper's
 * Table 6), the data check, the log reducer, and the curves' geometry.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/lib/arch/index';
import type { TrainEvent } from '../../src/lib/runtime/protocol';
import {
	FASHION_SHAPE,
	applyEvent,
	comparisonPair,
	dataMismatch,
	emptyLog,
	formatDuration,
	lastLosses,
	lastTestAccuracy
} from '../../src/lib/state/train-log';
import { chartGeometry, smooth, smoothingWeight, thin } from '../../src/lib/viz/train-chart';

const dir = new URL('../../static/models/fashion-resnet/', import.meta.url);
const fashionSpec = JSON.parse(readFileSync(new URL('spec.json', dir), 'utf8'));
const fashionMeta = JSON.parse(readFileSync(new URL('meta.json', dir), 'utf8'));

describe('comparisonPair', () => {
	it('resnet-20 is the bundled fashion-resnet architecture, with its PyTorch parameter count', () => {
		const [plain, resnet] = comparisonPair(20);
		expect(resnet.label).toBe('resnet-20');
		expect({ ...resnet.spec, name: fashionSpec.name }).toEqual(fashionSpec);
		expect(buildGraph(resnet.spec).totals.params).toBe(fashionMeta.params);
		expect(plain.label).toBe('plain-20');
		expect(plain.spec).toEqual({ ...resnet.spec, name: 'plain20', residual: false });
		// Option A shortcuts have no weights: the plain net has exactly the same tensors.
		expect(buildGraph(plain.spec).totals.params).toBe(fashionMeta.params);
	});
	it("resnet-56 has the paper's 0.85M parameters (Table 6; 1 input channel: 288 fewer than CIFAR's 3)", () => {
		const [plain, resnet] = comparisonPair(56);
		const params = buildGraph(resnet.spec).totals.params;
		expect(params / 1e6).toBeCloseTo(0.85, 2);
		expect(buildGraph(plain.spec).totals.params).toBe(params);
		expect(resnet.spec.stages.map((s) => s.blocks)).toEqual([9, 9, 9]);
		expect(resnet.spec.input).toEqual({ channels: 1, height: 28, width: 28 });
	});
});

describe('dataMismatch', () => {
	it('is null for a network that takes the data', () => {
		expect(dataMismatch(fashionSpec, FASHION_SHAPE, 'Fashion-MNIST')).toBeNull();
	});
	it('names the input and the classes that differ', () => {
		const [, resnet] = comparisonPair(20);
		const spec = {
			...resnet.spec,
			input: { channels: 3, height: 224, width: 224 },
			head: { pool: 'avg' as const, classes: 1000 }
		};
		expect(dataMismatch(spec, FASHION_SHAPE, 'Fashion-MNIST')).toBe(
			'The network takes 3×224×224 input but Fashion-MNIST images are 1×28×28, and has 1000 outputs but Fashion-MNIST has 10 classes.'
		);
	});
});

describe('applyEvent', () => {
	const step = (s: number, losses: number[]): TrainEvent => ({
		kind: 'step',
		point: { step: s, epoch: s / 4, lr: 0.1, nets: losses.map((loss) => ({ loss, accuracy: 0.5 })) },
		totalSteps: 8,
		imagesPerSecond: 100,
		secondsLeft: 8 - s
	});
	it("appends each network's points and keeps the latest numbers", () => {
		let log = emptyLog(['plain-20', 'resnet-20'], 0);
		expect(lastLosses(log).every(Number.isNaN)).toBe(true);
		log = applyEvent(log, { kind: 'status', status: { phase: 'loading', text: 'Downloading' } });
		expect(log.status?.phase).toBe('loading');
		const before = log;
		log = applyEvent(log, step(1, [2.4, 2.3]));
		log = applyEvent(log, step(2, [2.2, 2.0]));
		expect(log).not.toBe(before); // a new object each time: $state.raw sees the change
		expect(lastLosses(log)).toEqual([2.2, 2.0]);
		expect(log.series[1].steps.map((p) => p.step)).toEqual([1, 2]);
		expect([log.step, log.totalSteps, log.epoch, log.secondsLeft]).toEqual([2, 8, 0.5, 6]);
		expect(lastTestAccuracy(log)).toEqual([null, null]);
		log = applyEvent(log, {
			kind: 'epoch',
			point: {
				epoch: 1,
				step: 4,
				nets: [
					{ loss: 1, accuracy: 0.6 },
					{ loss: 0.8, accuracy: 0.7 }
				]
			}
		});
		expect(lastTestAccuracy(log)).toEqual([0.6, 0.7]);
		expect(log.series[0].epochs).toEqual([{ epoch: 1, step: 4, loss: 1, accuracy: 0.6 }]);
	});
});

describe('formatDuration', () => {
	it('reads as seconds, minutes or hours', () => {
		expect(formatDuration(42.4)).toBe('42 s');
		expect(formatDuration(185)).toBe('3 min 05 s');
		expect(formatDuration(3720)).toBe('1 h 02 min');
		expect(formatDuration(NaN)).toBe('—');
	});
});

describe('the curves', () => {
	it("smooth is the debiased exponential moving average (TensorBoard's)", () => {
		// s1 = 1; s2 = (0.5·1 + 3)/(0.5 + 1) = 7/3; s3 = (0.25·1 + 0.5·3 + 5)/(1.75)
		const s = smooth([1, 3, 5], 0.5);
		expect(s[0]).toBe(1);
		expect(s[1]).toBeCloseTo(7 / 3, 12);
		expect(s[2]).toBeCloseTo(6.75 / 1.75, 12);
		expect(smooth([1, 3], 0)).toEqual([1, 3]);
		expect(smoothingWeight(10)).toBe(0);
		expect(smoothingWeight(1000)).toBeCloseTo(0.95, 12);
	});
	it('thin keeps at most max points, evenly, with the last', () => {
		const pts = Array.from({ length: 1001 }, (_, i) => i);
		const t = thin(pts, 100);
		expect(t.length).toBeLessThanOrEqual(101);
		expect(t[0]).toBe(0);
		expect(t.at(-1)).toBe(1000);
		expect(thin([1, 2, 3], 100)).toEqual([1, 2, 3]);
	});
	it('maps steps across the plot and accuracy 0…1 bottom to top', () => {
		const g = chartGeometry(
			[
				{
					label: 'a',
					steps: [
						{ step: 0, value: 0 },
						{ step: 100, value: 1 }
					],
					tests: [{ step: 50, value: 0.5 }]
				}
			],
			100,
			400,
			200,
			[0, 1],
			'percent'
		);
		const { left, right, top, bottom } = g.plot;
		expect(right).toBe(400 - 10);
		expect(bottom).toBe(200 - 22);
		expect(g.curves[0].raw).toBe(`M${left},${bottom}L${right},${top}`);
		expect(g.curves[0].dots).toEqual([
			{ cx: (left + right) / 2, cy: (top + bottom) / 2, value: 0.5, step: 50 }
		]);
		expect(g.yTicks.map((t) => t.label)).toEqual(['0%', '20%', '40%', '60%', '80%', '100%']);
	});
	it('loss: an automatic domain from 0 past the largest finite value; NaN breaks the line', () => {
		const g = chartGeometry(
			[
				{
					label: 'a',
					steps: [
						{ step: 1, value: 2.3 },
						{ step: 2, value: NaN },
						{ step: 3, value: 1.1 }
					],
					tests: []
				}
			],
			3,
			300,
			150,
			'auto',
			'number'
		);
		const top = g.yTicks.at(-1)!;
		expect(Number(top.label)).toBeGreaterThanOrEqual(2.3);
		expect(g.curves[0].raw.match(/M/g)?.length).toBe(2);
	});
});
