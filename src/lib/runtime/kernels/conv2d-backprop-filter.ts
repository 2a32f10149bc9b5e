/**
 * `Conv2DBackpropFilter` for tfjs's wasm backend, which has none (tfjs issue #8474): without it
 * no convolution weight can be trained on wasm. The filter gradient of an NHWC convolution
 * (dilation 1, stride s, padding top/left) is
 *
 *   dW[a, b, i, o] = Σ_{n, y, x} xpad[n, y·s + a, x·s + b, i] · dy[n, y, x, o]
 *
 * which is itself a forward convolution, run by the wasm backend's own Conv2D (XNNPACK): the
 * input is x transposed to [Cin, H, W, N] (Cin images of N channels), the filter is dy transposed
 * to [OH, OW, N, Cout], dilated by s, with x's padding; the output [Cin, k, k, Cout] transposed is
 * dW [k, k, Cin, Cout]. Same MACs as the forward convolution, no im2col buffer (an im2col +
 * BatchMatMul version was 7–20× slower: wasm's BatchMatMul runs XNNPACK only without transposes).
 * Padding, strides and output size come from tfjs's own `computeConv2DInfo`, so every padding
 * tfjs accepts (numbers, 'same', 'valid', explicit) means what it means in the forward pass.
 */
import type * as tfType from '@tensorflow/tfjs-core';

type TF = typeof tfType;
type Explicit = [[number, number], [number, number], [number, number], [number, number]];

export interface ConvAttrs {
	strides: number | [number, number];
	pad: 'valid' | 'same' | number | tfType.backend_util.ExplicitPadding;
	dataFormat: 'NHWC' | 'NCHW';
	dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** tfjs's own reading of a convolution's attributes (padding, strides, sizes). */
export function convInfo(
	tf: TF,
	xShape: [number, number, number, number],
	filterShape: [number, number, number, number],
	attrs: ConvAttrs,
	kernel: string
) {
	if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} (wasm): only NHWC is supported`);
	return tf.backend_util.computeConv2DInfo(
		xShape,
		filterShape,
		attrs.strides,
		1,
		attrs.pad,
		attrs.dimRoundingMode,
		false,
		'channelsLast'
	);
}

/** dW for x [N, H, W, Cin], dy [N, OH, OW, Cout] under the convolution `attrs` describes. */
export function conv2dFilterGradient(
	tf: TF,
	x: tfType.Tensor4D,
	dy: tfType.Tensor4D,
	attrs: ConvAttrs & { filterShape: [number, number, number, number] }
): tfType.Tensor4D {
	const info = convInfo(tf, x.shape, attrs.filterShape, attrs, 'Conv2DBackpropFilter');
	const [kh, kw, cin] = attrs.filterShape;
	const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
	const { top, left } = info.padInfo;
	const [n, h, w] = x.shape;
	return tf.tidy(() => {
		// The rows and columns of x (after the top/left padding) that the windows read.
		const needH = (oh - 1) * sh + kh - top;
		const needW = (ow - 1) * sw + kw - left;
		const xc =
			needH < h || needW < w
				? tf.slice(x, [0, 0, 0, 0], [n, Math.min(h, needH), Math.min(w, needW), cin])
				: x;
		const pad: Explicit = [
			[0, 0],
			[top, Math.max(0, needH - h)],
			[left, Math.max(0, needW - w)],
			[0, 0]
		];
		const g = tf.conv2d(tf.transpose(xc, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, pad, 'NHWC', [
			sh,
			sw
		]);
		return tf.transpose(g, [1, 2, 0, 3]);
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
				attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] }
			) as unknown as tfType.TensorInfo
	});
}
