/**
 * The bundled Fashion-MNIST demo (DESIGN §3.6), preset `fashion-resnet`: its sample images,
 * 20 Fashion-MNIST test images (two per class) in static/samples/fashion/, written with their
 * manifest by tools/train/train_fashion.py. The list below equals that manifest (a unit test
 * checks it), so the page needs no extra request. Pure data: no DOM, no tfjs.
 */
export interface FashionSample {
	/** File name under static/samples/fashion/. */
	file: string;
	classIndex: number;
	className: string;
	/** Index in the Fashion-MNIST test set (t10k). */
	testIndex: number;
}

export const FASHION_SAMPLES: readonly FashionSample[] = [
	{ file: '0-ankle-boot.png', classIndex: 9, className: 'Ankle boot', testIndex: 0 },
	{ file: '1-pullover.png', classIndex: 2, className: 'Pullover', testIndex: 1 },
	{ file: '2-trouser.png', classIndex: 1, className: 'Trouser', testIndex: 2 },
	{ file: '3-trouser.png', classIndex: 1, className: 'Trouser', testIndex: 3 },
	{ file: '4-shirt.png', classIndex: 6, className: 'Shirt', testIndex: 4 },
	{ file: '6-coat.png', classIndex: 4, className: 'Coat', testIndex: 6 },
	{ file: '7-shirt.png', classIndex: 6, className: 'Shirt', testIndex: 7 },
	{ file: '8-sandal.png', classIndex: 5, className: 'Sandal', testIndex: 8 },
	{ file: '9-sneaker.png', classIndex: 7, className: 'Sneaker', testIndex: 9 },
	{ file: '10-coat.png', classIndex: 4, className: 'Coat', testIndex: 10 },
	{ file: '11-sandal.png', classIndex: 5, className: 'Sandal', testIndex: 11 },
	{ file: '12-sneaker.png', classIndex: 7, className: 'Sneaker', testIndex: 12 },
	{ file: '13-dress.png', classIndex: 3, className: 'Dress', testIndex: 13 },
	{ file: '16-pullover.png', classIndex: 2, className: 'Pullover', testIndex: 16 },
	{ file: '18-bag.png', classIndex: 8, className: 'Bag', testIndex: 18 },
	{ file: '19-t-shirt-top.png', classIndex: 0, className: 'T-shirt/top', testIndex: 19 },
	{ file: '27-t-shirt-top.png', classIndex: 0, className: 'T-shirt/top', testIndex: 27 },
	{ file: '28-ankle-boot.png', classIndex: 9, className: 'Ankle boot', testIndex: 28 },
	{ file: '29-dress.png', classIndex: 3, className: 'Dress', testIndex: 29 },
	{ file: '30-bag.png', classIndex: 8, className: 'Bag', testIndex: 30 }
];

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
