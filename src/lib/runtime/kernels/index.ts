/**
 * Kernels that training needs and a tfjs backend lacks, registered by `registerTrainingKernels`
 * (idempotent; call before training on that backend). wasm misses Conv2DBackpropFilter (tfjs
 * issue #8474); its Conv2DBackpropInput exists but is a plain loop (≈ 10× the forward), replaced
 * by a forward convolution. Its other gradient kernels that training uses (MaxPoolGrad, the
 * element-wise and reduction ops of BatchNorm, softmax, matMul) exist. Depthwise gradients
 * (DepthwiseConv2dNativeBackpropFilter/Input) are missing too: the trainer splits grouped
 * convolutions into ordinary ones, so it never asks for them.
 */
import type * as tfType from '@tensorflow/tfjs-core';
import { registerConv2dBackpropFilter } from './conv2d-backprop-filter';
import { registerConv2dBackpropInput } from './conv2d-backprop-input';

export { conv2dFilterGradient } from './conv2d-backprop-filter';
export { conv2dInputGradient } from './conv2d-backprop-input';

export function registerTrainingKernels(tf: typeof tfType): void {
	registerConv2dBackpropFilter(tf);
	registerConv2dBackpropInput(tf);
}
