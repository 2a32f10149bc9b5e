/**
 * A faster `Conv2DBackpropInput` for tfjs's wasm backend. Its own is a plain C++ loop, ≈ 10× the
 * forward convolution (XNNPACK), and a training step computes one per convolution. The input
 * gradient of an NHWC convolution (dilation 1, stride s, padding top/left) is a forward
 * convolution too:
 *
 *   dx[n, i, j, c] = Σ_{a, b, o} d[n, i + top − (k−1) + a, j + left − (k−1) + b, o] · W[k−1−a, k−1−b, c, o]
 *
 * with d = dy spread with s − 1 zeros between rows and between columns: d padded by k − 1 − top
 * (left) and whatever makes the output H × W (cropped where negative), convolved at stride 1 with
 * the filter flipped and transposed ([k, k, Cout, Cin]). At stride 2 that convolves the zeros too
 * (4× the MACs of the forward), still several times faster than the loop.
 */
import type * as tfType from '@tensorflow/tfjs-core';
import { convInfo, type ConvAttrs } from './conv2d-backprop-filter';

type TF = typeof tfType;
type T4 = tfType.Tensor4D;

/** Zeros between rows and between columns: [n, h, w, c] → [n, h·sh, w·sw, c], x at (i·sh, j·sw). */
function spread(tf: TF, x: T4, sh: number, sw: number): T4 {
	const [n, h, w, c] = x.shape;
	let y = x;
	if (sh > 1)
		y = tf.reshape(
			tf.pad(tf.reshape(y, [n, h, 1, w * c]), [
				[0, 0],
				[0, 0],
				[0, sh - 1],
				[0, 0]
			]),
			[n, h * sh, w, c]
		);
	if (sw > 1)
		y = tf.reshape(
			tf.pad(tf.reshape(y, [n * h * sh, w, 1, c]), [
				[0, 0],
				[0, 0],
				[0, sw - 1],
				[0, 0]
			]),
			[n, h * sh, w * sw, c]
		);
	return y;
}

/** dx [N, H, W, Cin] for dy [N, OH, OW, Cout] and the filter [k, k, Cin, Cout]. */
export function conv2dInputGradient(
	tf: TF,
	dy: T4,
	filter: T4,
	attrs: ConvAttrs & { inputShape: [number, number, number, number] }
): T4 {
	const info = convInfo(tf, attrs.inputShape, filter.shape, attrs, 'Conv2DBackpropInput');
	const [, h, w] = attrs.inputShape;
	const [kh, kw] = filter.shape;
	const { strideHeight: sh, strideWidth: sw } = info;
	const { top, left } = info.padInfo;
	return tf.tidy(() => {
		let d = spread(tf, dy, sh, sw);
		const lt = kh - 1 - top;
		const ll = kw - 1 - left;
		// rows and columns of d the output reads: H + k − 1 − (k − 1 − top)
		const needH = h + kh - 1 - lt;
		const needW = w + kw - 1 - ll;
		const [n, dh, dw, co] = d.shape;
		if (dh > needH || dw > needW)
			d = tf.slice(d, [0, 0, 0, 0], [n, Math.min(dh, needH), Math.min(dw, needW), co]);
		const pad: [[number, number], [number, number], [number, number], [number, number]] = [
			[0, 0],
			[lt, Math.max(0, needH - dh)],
			[ll, Math.max(0, needW - dw)],
			[0, 0]
		];
		const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
		return tf.conv2d(d, flipped, 1, pad);
	});
}

const ours = new WeakSet<object>();

/** Replaces the wasm backend's Conv2DBackpropInput with this one (once). */
export function registerConv2dBackpropInput(tf: TF): void {
	const current = tf.getKernel('Conv2DBackpropInput', 'wasm');
	if (current && ours.has(current.kernelFunc)) return;
	if (current) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
	const kernelFunc: tfType.KernelFunc = ({ inputs, attrs }) =>
		conv2dInputGradient(
			tf,
			inputs.dy as T4,
			inputs.filter as T4,
			attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] }
		) as unknown as tfType.TensorInfo;
	ours.add(kernelFunc);
	tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc });
}
