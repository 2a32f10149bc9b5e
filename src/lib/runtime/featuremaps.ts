/**
 * Feature maps of one tapped node: normalised per channel on the device (tf ops), read back once
 * with `await data()`. Painting them is $lib/pixels/colourmaps.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type { ChannelStats, FeatureMaps } from '../pixels/colourmaps';

type Tf = typeof TfCore;

/**
 * Reads the feature maps of an NHWC tap (batch item 0). Per-channel min, max, mean and zero
 * fraction, and the scaling to 0–255, run as tf ops on the tap's backend; the result comes back
 * in a single `await data()`. The tap is not disposed.
 */
export async function readFeatureMaps(tf: Tf, tap: TfCore.Tensor4D): Promise<FeatureMaps> {
	const [, height, width, channels] = tap.shape;
	const packed = tf.tidy(() => {
		const x = tf.reshape(tf.slice(tap, [0, 0, 0, 0], [1, height, width, channels]), [
			height * width,
			channels
		]);
		const min = tf.min(x, 0);
		const max = tf.max(x, 0);
		const mean = tf.mean(x, 0);
		const zeros = tf.mean(tf.cast(tf.equal(x, 0), 'float32'), 0);
		// A constant channel (max = min) maps to 0, not to NaN.
		const range = tf.sub(max, min);
		const scale = tf.where(tf.greater(range, 0), tf.div(255, range), tf.zerosLike(range));
		const scaled = tf.reshape(tf.transpose(tf.round(tf.mul(tf.sub(x, min), scale)), [1, 0]), [-1]);
		return tf.concat([scaled, min, max, mean, zeros]);
	});
	let values: Float32Array;
	try {
		values = (await packed.data()) as Float32Array;
	} finally {
		packed.dispose();
	}
	const n = height * width * channels;
	const pixels = new Uint8ClampedArray(values.subarray(0, n));
	const stats: ChannelStats[] = [];
	for (let c = 0; c < channels; c++)
		stats.push({
			min: values[n + c],
			max: values[n + channels + c],
			mean: values[n + 2 * channels + c],
			zeros: values[n + 3 * channels + c]
		});
	return { channels, height, width, pixels, stats };
}
