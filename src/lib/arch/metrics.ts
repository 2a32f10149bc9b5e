/**
 * What each operation costs (DESIGN §3.3). Pure arithmetic on shapes; graph.ts calls these
 * once per node and the graph carries the results — no view recomputes them.
 */

/** [channels, height, width] of one feature map, batch 1 (the batch dimension left out). */
export type MapShape = readonly [number, number, number];
/** [features] of a vector: what PyTorch's flatten and Linear give (torch.flatten(x, 1), fc → [classes]). */
export type VectorShape = readonly [number];
/** A node's output: a feature map everywhere but in the head's flatten and fc. */
export type Shape = MapShape | VectorShape;

export interface Metrics {
	/** Trainable parameters: conv weights and biases, BN γ and β, fc weight and bias. */
	params: number;
	/** BN running mean and variance. */
	buffers: number;
	/** Multiply-accumulates of convolutions and the fc layer (the paper's "FLOPs"). */
	macs: number;
	/** Every floating-point operation: 2 per MAC plus biases, BN, ReLU, add and pooling. */
	flops: number;
	/** The node's output in float32 bytes. */
	activationBytes: number;
}

export type Totals = Metrics;

const ZERO_METRICS: Metrics = Object.freeze({
	params: 0,
	buffers: 0,
	macs: 0,
	flops: 0,
	activationBytes: 0
});

/** Values in a shape: C·H·W, or the features of a vector. */
export const elements = (s: Shape): number => s.reduce((a: number, b: number) => a * b, 1);

const bytes = (out: Shape) => 4 * elements(out);

export function convMetrics(
	inShape: MapShape,
	out: MapShape,
	kernel: number,
	groups: number,
	bias: boolean
): Metrics {
	const perOutput = (inShape[0] / groups) * kernel * kernel;
	const macs = elements(out) * perOutput;
	return {
		params: out[0] * perOutput + (bias ? out[0] : 0),
		buffers: 0,
		macs,
		flops: 2 * macs + (bias ? elements(out) : 0),
		activationBytes: bytes(out)
	};
}

export function batchNormMetrics(out: MapShape): Metrics {
	return {
		params: 2 * out[0],
		buffers: 2 * out[0],
		macs: 0,
		flops: 2 * elements(out),
		activationBytes: bytes(out)
	};
}

/**
 * ReLU, the residual add, the sigmoid gate and the attention's scale (branch × gate): one
 * operation per output element (the sigmoid is counted as one operation, as ReLU is).
 */
export function elementwiseMetrics(out: MapShape): Metrics {
	return { params: 0, buffers: 0, macs: 0, flops: elements(out), activationBytes: bytes(out) };
}

export function maxPoolMetrics(out: MapShape, kernel: number): Metrics {
	return {
		params: 0,
		buffers: 0,
		macs: 0,
		flops: elements(out) * (kernel * kernel - 1),
		activationBytes: bytes(out)
	};
}

/**
 * 2-D average pool (shortcut D's k×k window): k² − 1 adds and one divide per output, counted as
 * full windows also where ceil mode cuts a window at the border (padding not counted).
 */
export function avgPool2dMetrics(out: MapShape, kernel: number): Metrics {
	return {
		params: 0,
		buffers: 0,
		macs: 0,
		flops: elements(out) * kernel * kernel,
		activationBytes: bytes(out)
	};
}

/**
 * 1-D convolution across the channels of a pooled map (ECA): one input and one output channel,
 * length C, padding (k − 1)/2. MACs as timm/torchvision-style counters count a Conv1d:
 * output length · out channels · in channels · k = C·k.
 */
export function conv1dMetrics(out: MapShape, kernel: number, bias: boolean): Metrics {
	const macs = elements(out) * kernel;
	return {
		params: kernel + (bias ? 1 : 0),
		buffers: 0,
		macs,
		flops: 2 * macs + (bias ? elements(out) : 0),
		activationBytes: bytes(out)
	};
}

/** Global average pool: H·W − 1 adds and one divide per channel. */
export function globalAvgPoolMetrics(inShape: MapShape, out: MapShape): Metrics {
	return { params: 0, buffers: 0, macs: 0, flops: elements(inShape), activationBytes: bytes(out) };
}

/** Zero-pad shortcut, flatten, input: data movement only. */
export function movementMetrics(out: Shape): Metrics {
	return { params: 0, buffers: 0, macs: 0, flops: 0, activationBytes: bytes(out) };
}

export function linearMetrics(inFeatures: number, outFeatures: number, bias: boolean): Metrics {
	const macs = inFeatures * outFeatures;
	return {
		params: macs + (bias ? outFeatures : 0),
		buffers: 0,
		macs,
		flops: 2 * macs + (bias ? outFeatures : 0),
		activationBytes: 4 * outFeatures
	};
}

function addMetrics(into: Metrics, m: Metrics): void {
	const t = into as { -readonly [K in keyof Metrics]: number };
	t.params += m.params;
	t.buffers += m.buffers;
	t.macs += m.macs;
	t.flops += m.flops;
	t.activationBytes += m.activationBytes;
}

export function sumMetrics(items: Iterable<Metrics>): Metrics {
	const total = { ...ZERO_METRICS };
	for (const m of items) addMetrics(total, m);
	return total;
}

/** Output side of a convolution or pooling window (PyTorch's floor rule). */
export const outSide = (side: number, kernel: number, stride: number, padding: number): number =>
	Math.floor((side + 2 * padding - kernel) / stride) + 1;

/**
 * Output side of a pooling window in ceil mode, as PyTorch's pooling_output_shape computes it:
 * rounded up, except that the last window must start inside the input (or its left padding).
 */
export function ceilOutSide(side: number, kernel: number, stride: number, padding: number): number {
	const out = Math.floor((side + 2 * padding - kernel + stride - 1) / stride) + 1;
	return (out - 1) * stride >= side + padding ? out - 1 : out;
}
