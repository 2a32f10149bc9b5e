/**
 * Seeded random weights with torchvision's initialisation (models/resnet.py):
 * convolutions kaiming_normal_(mode='fan_out', nonlinearity='relu') — std √(2 / (out·k·k));
 * conv biases (convBias specs) and the fc layer as nn.Conv2d / nn.Linear's defaults —
 * uniform(±1/√fan_in); BN γ = 1, β = 0, running mean 0, running var 1.
 * Deterministic from the seed (mulberry32 + Box–Muller), independent of the platform.
 */
import type { BlockGraph } from '../arch/graph';
import type { TensorMap } from './types';
import { expectedTensors } from './torchvision';

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * Numbers from a seed, on one stream: uniform in [0, 1) (mulberry32) and standard normal
 * (Box–Muller on two uniforms u ≠ 0, v: √(−2 ln u)·cos(2πv), then √(−2 ln u)·sin(2πv)).
 * The weights' initialisation and SmoothGrad's noise use it; tools/reference draws the same numbers.
 */
export function seededRandom(seed: number): { uniform: () => number; normal: () => number } {
	const uniform = mulberry32(seed);
	let spare: number | null = null;
	const normal = () => {
		if (spare !== null) {
			const s = spare;
			spare = null;
			return s;
		}
		let u = 0;
		while (u === 0) u = uniform();
		const v = uniform();
		const r = Math.sqrt(-2 * Math.log(u));
		spare = r * Math.sin(2 * Math.PI * v);
		return r * Math.cos(2 * Math.PI * v);
	};
	return { uniform, normal };
}

export function initWeights(graph: BlockGraph, seed: number): TensorMap {
	const { uniform: rand, normal } = seededRandom(seed);
	const out: TensorMap = new Map();
	const fill = (shape: number[], f: () => number) => {
		const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
		for (let i = 0; i < data.length; i++) data[i] = f();
		return { shape, data };
	};
	for (const [key, shape] of expectedTensors(graph)) {
		const dot = key.lastIndexOf('.');
		const id = key.slice(0, dot);
		const kind = key.slice(dot + 1);
		const node = graph.byId.get(id)!;
		if (node.op === 'conv2d') {
			const [out_, inPerGroup, kh, kw] = [shape[0], node.inShape[0] / node.groups, node.kernel, node.kernel];
			if (kind === 'weight') {
				const std = Math.sqrt(2 / (out_ * kh * kw));
				out.set(
					key,
					fill(shape, () => std * normal())
				);
			} else {
				const bound = 1 / Math.sqrt(inPerGroup * kh * kw);
				out.set(
					key,
					fill(shape, () => (2 * rand() - 1) * bound)
				);
			}
		} else if (node.op === 'batchnorm') {
			const v = kind === 'weight' || kind === 'running_var' ? 1 : 0;
			out.set(
				key,
				fill(shape, () => v)
			);
		} else if (node.op === 'linear') {
			const bound = 1 / Math.sqrt(node.inFeatures);
			out.set(
				key,
				fill(shape, () => (2 * rand() - 1) * bound)
			);
		}
	}
	return out;
}
