/**
 * The bundled Fashion-MNIST demo (DESIGN §3.6): the model's preset name and its sample images,
 * 20 Fashion-MNIST test images (two per class) in static/samples/fashion/, written with their
 * manifest by tools/train/train_fashion.py. Pure data: no DOM, no tfjs.
 */
import manifest from '../../../static/samples/fashion/samples.json';

export const FASHION_MODEL = 'fashion-resnet';

export interface FashionSample {
	/** File name under static/samples/fashion/. */
	file: string;
	classIndex: number;
	className: string;
	/** Index in the Fashion-MNIST test set (t10k). */
	testIndex: number;
}

export const FASHION_SAMPLES: readonly FashionSample[] = manifest.samples;

/** The sample the app opens with (the first of the test set). */
export const DEFAULT_FASHION_SAMPLE: FashionSample = FASHION_SAMPLES[0];

/** A sample's URL under the app's base path. */
export function fashionSampleUrl(base: string, sample: FashionSample): string {
	return `${base}/samples/fashion/${sample.file}`;
}

/** How a sample is named in the picker and in the run panel ("Ankle boot (test image 0)"). */
export function fashionSampleTitle(sample: FashionSample): string {
	return `${sample.className} (test image ${sample.testIndex})`;
}
