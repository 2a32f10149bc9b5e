/**
 * `Conv2DBackpropFilter` for tfjs's wasm backend, which has none (tfjs issue #8474): without it
 * no convolution weight can be trained on wasm. The filter gradient of an NHWC convolution
 * (dilation 1) is
 *
 *   dW[a, b, i, o] = Σ_{n, y, x} xpad[n, y·s + a, x·s + b, i] · dy[n, y, x, o]
 *
 * computed here as one matrix product with the wasm backend's own kernels (Pad, StridedSlice,
 * Concat, Reshape, BatchMatMul — XNNPACK/SIMD): the k² strided windows of the padded input side by
 * side on the channels (im2col, [N·OH·OW, k²·Cin]), transposed and multiplied by dy
 * ([N·OH·OW, Cout]) → [k²·Cin, Cout] = [k, k, Cin, Cout]. Same MACs as the forward convolution.
 * Padding, strides and output size come from tfjs's own `computeConv2DInfo`, so every padding
 * tfjs accepts (numbers, 'same', 'valid', explicit) means what it means in the forward pass.
 * Grouped convolutions are ordinary ones per group here (the trainer splits them); depthwise
 * gradients are not registered (the trainer never asks for them).
 */
import type * as tfType from '@tensorflow/tfjs-core';

type TF = typeof tfType;

interface Attrs {
	strides: number | [number, number];
	pad: 'valid' | 'same' | number | tfType.backend_util.ExplicitPadding;
	dataFormat: 'NHWC' | 'NCHW';
	dimRoundingMode?: 'floor' | 'round' | 'ceil';
	filterShape: [number, number, number, number];
}

/** dW for x [N, H, W, Cin], dy [N, OH, OW, Cout] under the convolution `attrs` describes. */
export function conv2dFilterGradient(
	tf: TF,
	x: tfType.Tensor4D,
	dy: tfType.Tensor4D,
	attrs: Attrs
): tfType.Tensor4D {
	if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
	const info = tf.backend_util.computeConv2DInfo(
		x.shape,
		attrs.filterShape,
		attrs.strides,
		1,
		attrs.pad,
		attrs.dimRoundingMode,
		false,
		'channelsLast'
	);
	const [kh, kw, cin, cout] = attrs.filterShape;
	const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
	const { top, left } = info.padInfo;
	const [n, h, w] = x.shape;
	return tf.tidy(() => {
		// Enough padding below and to the right for every window; windows never reach past it.
		const bottom = Math.max(0, (oh - 1) * sh + kh - h - top);
		const right = Math.max(0, (ow - 1) * sw + kw - w - left);
		const xp =
			top || left || bottom || right
				? tf.pad(x, [
						[0, 0],
						[top, bottom],
						[left, right],
						[0, 0]
					])
				: x;
		const windows: tfType.Tensor4D[] = [];
		for (let a = 0; a < kh; a++)
			for (let b = 0; b < kw; b++) {
				const end = [n, a + (oh - 1) * sh + 1, b + (ow - 1) * sw + 1, cin];
				windows.push(
					sh === 1 && sw === 1
						? tf.slice(xp, [0, a, b, 0], [n, oh, ow, cin])
						: tf.stridedSlice(xp, [0, a, b, 0], end, [1, sh, sw, 1])
				);
			}
		const m = n * oh * ow;
		const cols = tf.reshape(windows.length === 1 ? windows[0] : tf.concat(windows, 3), [m, kh * kw * cin]);
		const grad = tf.matMul(
			cols as tfType.Tensor2D,
			tf.reshape(dy, [m, cout]) as tfType.Tensor2D,
			true,
			false
		);
		return tf.reshape(grad, [kh, kw, cin, cout]);
	});
}

/** Registers the kernel on the wasm backend (once; the backend need not be started yet). */
export function registerConv2dBackpropFilter(tf: TF): void {
	if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
	tf.registerKernel({
		kernelName: 'Conv2DBackpropFilter',
		backendName: 'wasm',
		kernelFunc: ({ inputs, attrs }) =>
			conv2dFilterGradient(
				tf,
				inputs.x as tfType.Tensor4D,
				inputs.dy as tfType.Tensor4D,
				attrs as unknown as Attrs
			) as unknown as tfType.TensorInfo
	});
}
