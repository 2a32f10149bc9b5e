/**
 * Published accuracies of the presets: only figures printed by their authors or by the library
 * that released the weights, each with its source and the weights (or training) it belongs to.
 * ImageNet top-1 and CIFAR-10 test error are different measures and are never mixed.
 */

export interface PublishedSource {
	/** Short name, for the chart's tooltip. */
	title: string;
	url: string;
}

export interface PublishedResult {
	/** The preset these numbers belong to (a name in PRESETS). */
	preset: string;
	/** ImageNet-1k top-1 accuracy (%), or CIFAR-10 test error (%). */
	metric: 'imagenet-top1' | 'cifar10-error';
	/** In percent, as published. */
	value: number;
	/** The weights the figure belongs to (torchvision enum, timm `arch.tag`), or the paper's run. */
	weights: string;
	/** Side of the evaluated image (ImageNet), when it is not the preset's own 224. */
	evalSize?: number;
	source: PublishedSource;
	/** Where in the source (table, field, row). */
	where: string;
}

const TORCHVISION: PublishedSource = {
	title: 'torchvision: models and pre-trained weights',
	url: 'https://docs.pytorch.org/vision/stable/models.html'
};
const TIMM: PublishedSource = {
	title: 'timm: results-imagenet.csv',
	url: 'https://github.com/huggingface/pytorch-image-models/blob/main/results/results-imagenet.csv'
};
const HE_2015: PublishedSource = {
	title: 'He et al. 2015, Deep Residual Learning for Image Recognition',
	url: 'https://arxiv.org/abs/1512.03385'
};
const HE_2016: PublishedSource = {
	title: 'He et al. 2016, Identity Mappings in Deep Residual Networks',
	url: 'https://arxiv.org/abs/1603.05027'
};

/** torchvision's `<Weights>.meta["_metrics"]["ImageNet-1K"]["acc@1"]`. */
function tv(preset: string, enumName: string, v1: number, v2?: number): PublishedResult[] {
	const one = (tag: string, value: number): PublishedResult => ({
		preset,
		metric: 'imagenet-top1',
		value,
		weights: `${enumName}.${tag}`,
		source: TORCHVISION,
		where: `${enumName}.${tag}: acc@1`
	});
	return v2 === undefined ? [one('IMAGENET1K_V1', v1)] : [one('IMAGENET1K_V1', v1), one('IMAGENET1K_V2', v2)];
}

/** timm's published top-1 of the architecture's default weights, at their own input size. */
function timm(preset: string, tag: string, value: number, evalSize = 224): PublishedResult {
	return {
		preset,
		metric: 'imagenet-top1',
		value,
		weights: `${preset}.${tag}`,
		...(evalSize !== 224 ? { evalSize } : {}),
		source: TIMM,
		where: `row ${preset}.${tag}, img_size ${evalSize}: top1`
	};
}

/** The paper's CIFAR-10 test error of its own training run (no weights were released). */
function paper(
	preset: string,
	value: number,
	source: PublishedSource,
	where: string,
	weights = "the paper's training (no weights released)"
): PublishedResult {
	return { preset, metric: 'cifar10-error', value, weights, source, where };
}

export const PUBLISHED: readonly PublishedResult[] = [
	...tv('resnet18', 'ResNet18_Weights', 69.758),
	...tv('resnet34', 'ResNet34_Weights', 73.314),
	...tv('resnet50', 'ResNet50_Weights', 76.13, 80.858),
	...tv('resnet101', 'ResNet101_Weights', 77.374, 81.886),
	...tv('resnet152', 'ResNet152_Weights', 78.312, 82.284),
	...tv('wide_resnet50_2', 'Wide_ResNet50_2_Weights', 78.468, 81.602),
	...tv('wide_resnet101_2', 'Wide_ResNet101_2_Weights', 78.848, 82.51),
	...tv('resnext50_32x4d', 'ResNeXt50_32X4D_Weights', 77.618, 81.198),
	...tv('resnext101_32x8d', 'ResNeXt101_32X8D_Weights', 79.312, 82.834),
	...tv('resnext101_64x4d', 'ResNeXt101_64X4D_Weights', 83.246),

	timm('resnet18d', 'ra2_in1k', 72.296),
	timm('resnet34d', 'ra2_in1k', 77.108),
	timm('resnet26d', 'bt_in1k', 76.698),
	timm('resnet50d', 'ra2_in1k', 80.546),
	timm('resnet101d', 'ra2_in1k', 82.254, 256),
	timm('resnet152d', 'ra2_in1k', 83.16, 256),
	timm('resnet26t', 'ra2_in1k', 77.878, 256),
	timm('resnet50c', 'gluon_in1k', 78.016),
	timm('resnet50s', 'gluon_in1k', 78.71),
	timm('seresnet50', 'a1_in1k', 80.012),
	timm('seresnext50_32x4d', 'racm_in1k', 81.268),
	timm('seresnext101_32x4d', 'gluon_in1k', 80.886),
	timm('ecaresnet50d', 'miil_in1k', 80.634),
	timm('ecaresnet101d', 'miil_in1k', 82.18),
	timm('resnetrs50', 'tf_in1k', 77.858, 160),
	timm('resnetrs101', 'tf_in1k', 80.706, 192),
	timm('resnetv2_50', 'a1h_in1k', 80.41),
	timm('resnetv2_101', 'a1h_in1k', 82.042),

	paper('resnet20', 8.75, HE_2015, 'Table 6'),
	paper('resnet32', 7.51, HE_2015, 'Table 6'),
	paper('resnet44', 7.17, HE_2015, 'Table 6'),
	paper('resnet56', 6.97, HE_2015, 'Table 6'),
	paper('resnet110', 6.43, HE_2015, 'Table 6 (best of 5 runs; mean 6.61 ± 0.16)'),
	paper('resnet1202', 7.93, HE_2015, 'Table 6'),
	paper('preact_resnet164', 5.46, HE_2016, 'Table 4 (median of 5 runs)'),
	paper('preact_resnet1001', 4.62, HE_2016, 'Table 4, mini-batch 64 (median of 5 runs; 4.69 ± 0.20)')
];

/** What the two measures are called on the page. */
export const METRIC_LABEL: Record<PublishedResult['metric'], string> = {
	'imagenet-top1': 'ImageNet top-1 (%)',
	'cifar10-error': 'CIFAR-10 test error (%)'
};

/** The published figures of one preset (none: it sits on the MACs axis only). */
export function publishedFor(preset: string): PublishedResult[] {
	return PUBLISHED.filter((r) => r.preset === preset);
}
