/**
 * Which tensors a BlockGraph needs, named as in torchvision's (or, for timm's layouts, timm's)
 * state_dict (DESIGN §3.2), and the
 * check of a loaded file against them: every missing, unexpected and wrong-shaped tensor.
 */
import type { BlockGraph } from '../arch/graph';
import { WeightsError, formatShape, isIgnoredKey, type TensorMap } from './types';

/** Every key the graph needs, with its PyTorch shape, in execution order. */
export function expectedTensors(graph: BlockGraph): Map<string, number[]> {
	const out = new Map<string, number[]>();
	for (const n of graph.nodes) {
		if (n.op === 'conv2d') {
			out.set(`${n.id}.weight`, [n.outShape[0], n.inShape[0] / n.groups, n.kernel, n.kernel]);
			if (n.bias) out.set(`${n.id}.bias`, [n.outShape[0]]);
		} else if (n.op === 'conv1d') {
			// ECA's Conv1d(1, 1, kernel) across the channels
			out.set(`${n.id}.weight`, [1, 1, n.kernel]);
			if (n.bias) out.set(`${n.id}.bias`, [1]);
		} else if (n.op === 'batchnorm') {
			const c = n.outShape[0];
			for (const t of ['weight', 'bias', 'running_mean', 'running_var']) out.set(`${n.id}.${t}`, [c]);
		} else if (n.op === 'linear') {
			out.set(`${n.id}.weight`, [n.outFeatures, n.inFeatures]);
			if (n.bias) out.set(`${n.id}.bias`, [n.outFeatures]);
		}
	}
	return out;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
	a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Whether a file's tensor of shape `actual` is the graph's `expected`: the same shape, or a fc
 * weight [out, in] stored as a 1×1 conv [out, in, 1, 1] (timm's resnetv2 head, `head.fc`) — the
 * same values in the same order.
 */
export function fitsShape(actual: readonly number[], expected: readonly number[]): boolean {
	return (
		sameShape(actual, expected) ||
		(expected.length === 2 && actual.length === 4 && sameShape(actual, [...expected, 1, 1]))
	);
}

/**
 * Every problem with `tensors` for `graph`: missing tensors, unexpected ones, and wrong shapes
 * (naming the tensor and both shapes). Empty when the weights fit. `num_batches_tracked` is ignored.
 */
export function checkWeights(graph: BlockGraph, tensors: TensorMap): WeightsError[] {
	const expected = expectedTensors(graph);
	const errors: WeightsError[] = [];
	for (const [key, shape] of expected) {
		const t = tensors.get(key);
		if (!t)
			errors.push(
				new WeightsError(
					key,
					formatShape(shape),
					'missing',
					`${key}: missing (expected shape ${formatShape(shape)})`
				)
			);
		else if (!fitsShape(t.shape, shape))
			errors.push(
				new WeightsError(
					key,
					formatShape(shape),
					formatShape(t.shape),
					`${key}: expected shape ${formatShape(shape)}, got ${formatShape(t.shape)}`
				)
			);
		else if (t.data.length !== shape.reduce((a, b) => a * b, 1))
			errors.push(
				new WeightsError(
					key,
					`${shape.reduce((a, b) => a * b, 1)} values`,
					`${t.data.length} values`,
					`${key}: shape ${formatShape(shape)} but ${t.data.length} values`
				)
			);
	}
	for (const [key, t] of tensors) {
		if (expected.has(key) || isIgnoredKey(key)) continue;
		errors.push(
			new WeightsError(
				key,
				'no such tensor in this network',
				formatShape(t.shape),
				`${key}: unexpected tensor ${formatShape(t.shape)} (this network has no such weight)`
			)
		);
	}
	return errors;
}
