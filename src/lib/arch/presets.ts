import { cloneSpec, type ArchSpec, type Attention, type BlockKind, type StemKind } from './spec';

export type PresetGroup =
	'ImageNet' | 'CIFAR' | 'Wide and ResNeXt' | 'timm variants' | 'Pre-activation' | 'Bundled models';

/**
 * Where a preset's layout comes from, for the picker's groups and the family chart:
 * torchvision's ResNets, timm's resnet.py variants (ResNet-B/C/D/S/T, SE, ECA, ResNet-RS),
 * pre-activation nets (timm's resnetv2 and the Identity Mappings paper's CIFAR nets), the 2015
 * paper's CIFAR nets, and the models shipped with weights.
 */
export type PresetFamily = 'torchvision' | 'timm' | 'preact' | 'cifar' | 'bundled';
export const PRESET_FAMILIES: readonly PresetFamily[] = ['torchvision', 'timm', 'preact', 'cifar', 'bundled'];

export interface Preset {
	name: string;
	group: PresetGroup;
	family: PresetFamily;
	/** Where the architecture comes from, for the picker's tooltip. */
	description: string;
	spec: ArchSpec;
}

function imagenet(
	name: string,
	block: BlockKind,
	blocks: [number, number, number, number],
	groups = 1,
	widthPerGroup = 64
): ArchSpec {
	return {
		name,
		input: { channels: 3, height: 224, width: 224 },
		stem: { kind: 'imagenet', width: 64 },
		block,
		expansion: block === 'basic' ? 1 : 4,
		groups,
		widthPerGroup,
		stages: blocks.map((n, i) => ({ blocks: n, width: 64 << i, stride: i === 0 ? 1 : 2 })),
		shortcut: 'B',
		strideOn: '3x3',
		residual: true,
		convBias: false,
		head: { pool: 'avg', classes: 1000 }
	};
}

/** The paper's CIFAR-10 nets (§4.2): 6n+2 layers, widths 16/32/64, option A. */
function cifar(n: number): ArchSpec {
	return {
		name: `resnet${6 * n + 2}`,
		input: { channels: 3, height: 32, width: 32 },
		stem: { kind: 'cifar', width: 16 },
		block: 'basic',
		expansion: 1,
		groups: 1,
		widthPerGroup: 64,
		stages: [16, 32, 64].map((width, i) => ({ blocks: n, width, stride: i === 0 ? 1 : 2 })),
		shortcut: 'A',
		strideOn: '3x3',
		residual: true,
		convBias: false,
		head: { pool: 'avg', classes: 10 }
	};
}

const TV = 'torchvision.models';
const TIMM = 'timm.models';

/** timm's stem_width / stem_type as our stem: stem.width is its output, stem_width × 2. */
const deep = (kind: StemKind, stemWidth: number, pool?: 'conv'): ArchSpec['stem'] => ({
	kind,
	width: stemWidth * 2,
	...(pool ? { pool } : {})
});
const SE: Attention = { kind: 'se', ratio: 1 / 16, divisor: 8 };
/** ResNet-RS: timm's SEModule with rd_ratio 0.25 (divisor 8). */
const SE_RS: Attention = { kind: 'se', ratio: 0.25, divisor: 8 };
const ECA: Attention = { kind: 'eca', gamma: 2, beta: 1 };

/** A timm resnet.py variant: its name, block, depths, and what differs from torchvision's layout. */
function timmVariant(
	name: string,
	block: BlockKind,
	blocks: [number, number, number, number],
	description: string,
	over: Partial<ArchSpec>,
	groups = 1,
	widthPerGroup = 64
): Preset {
	return {
		name,
		group: 'timm variants',
		family: 'timm',
		description: `${TIMM}.${name}: ${description}`,
		spec: { ...imagenet(name, block, blocks, groups, widthPerGroup), ...over }
	};
}

/** timm's resnetv2.py ResNetV2 with BatchNormAct2d (resnetv2_50 …): pre-activation bottlenecks. */
function resnetv2(name: string, blocks: [number, number, number, number], d: boolean): Preset {
	return {
		name,
		group: 'Pre-activation',
		family: 'preact',
		description: `${TIMM}.${name}: pre-activation bottlenecks (He et al. 2016)${d ? ', deep stem, avg-pool shortcut' : ''}`,
		spec: {
			...imagenet(name, 'bottleneck', blocks),
			order: 'pre',
			...(d ? { stem: deep('deep', 32), shortcut: 'D' as const } : {})
		}
	};
}

/**
 * The Identity Mappings paper's pre-activation bottleneck nets for CIFAR-10 (He et al. 2016,
 * §5 and Table 6; KaimingHe/resnet-1k-layers): depth 9n + 2, a 3×3 conv of 16, three stages of n
 * bottlenecks of 16/32/64 (outputs 64/128/256) at strides 1, 2, 2, the stride on the first 1×1 as
 * in that code, projection shortcuts where the shape changes, BN + ReLU before the pool.
 * The paper gives 1.7M parameters for ResNet-164 and 10.2M for ResNet-1001.
 */
function preactCifar(depth: number): Preset {
	const n = (depth - 2) / 9;
	const name = `preact_resnet${depth}`;
	return {
		name,
		group: 'Pre-activation',
		family: 'preact',
		description: `He et al. 2016 (Identity Mappings), CIFAR-10 ResNet-${depth}: pre-activation bottlenecks, n = ${n}`,
		spec: {
			...cifar(n),
			name,
			block: 'bottleneck',
			expansion: 4,
			shortcut: 'B',
			strideOn: '1x1',
			order: 'pre'
		}
	};
}

export const PRESETS: readonly Preset[] = [
	{
		name: 'resnet18',
		group: 'ImageNet',
		family: 'torchvision',
		description: `${TV}.resnet18`,
		spec: imagenet('resnet18', 'basic', [2, 2, 2, 2])
	},
	{
		name: 'resnet34',
		group: 'ImageNet',
		family: 'torchvision',
		description: `${TV}.resnet34`,
		spec: imagenet('resnet34', 'basic', [3, 4, 6, 3])
	},
	{
		name: 'resnet50',
		group: 'ImageNet',
		family: 'torchvision',
		description: `${TV}.resnet50 (v1.5: stride on the 3×3)`,
		spec: imagenet('resnet50', 'bottleneck', [3, 4, 6, 3])
	},
	{
		name: 'resnet101',
		group: 'ImageNet',
		family: 'torchvision',
		description: `${TV}.resnet101`,
		spec: imagenet('resnet101', 'bottleneck', [3, 4, 23, 3])
	},
	{
		name: 'resnet152',
		group: 'ImageNet',
		family: 'torchvision',
		description: `${TV}.resnet152`,
		spec: imagenet('resnet152', 'bottleneck', [3, 8, 36, 3])
	},
	{
		name: 'wide_resnet50_2',
		group: 'Wide and ResNeXt',
		family: 'torchvision',
		description: `${TV}.wide_resnet50_2`,
		spec: imagenet('wide_resnet50_2', 'bottleneck', [3, 4, 6, 3], 1, 128)
	},
	{
		name: 'wide_resnet101_2',
		group: 'Wide and ResNeXt',
		family: 'torchvision',
		description: `${TV}.wide_resnet101_2`,
		spec: imagenet('wide_resnet101_2', 'bottleneck', [3, 4, 23, 3], 1, 128)
	},
	{
		name: 'resnext50_32x4d',
		group: 'Wide and ResNeXt',
		family: 'torchvision',
		description: `${TV}.resnext50_32x4d`,
		spec: imagenet('resnext50_32x4d', 'bottleneck', [3, 4, 6, 3], 32, 4)
	},
	{
		name: 'resnext101_32x8d',
		group: 'Wide and ResNeXt',
		family: 'torchvision',
		description: `${TV}.resnext101_32x8d`,
		spec: imagenet('resnext101_32x8d', 'bottleneck', [3, 4, 23, 3], 32, 8)
	},
	{
		name: 'resnext101_64x4d',
		group: 'Wide and ResNeXt',
		family: 'torchvision',
		description: `${TV}.resnext101_64x4d`,
		spec: imagenet('resnext101_64x4d', 'bottleneck', [3, 4, 23, 3], 64, 4)
	},
	timmVariant('resnet18d', 'basic', [2, 2, 2, 2], 'deep stem, avg-pool shortcut (ResNet-D)', {
		stem: deep('deep', 32),
		shortcut: 'D'
	}),
	timmVariant('resnet34d', 'basic', [3, 4, 6, 3], 'deep stem, avg-pool shortcut (ResNet-D)', {
		stem: deep('deep', 32),
		shortcut: 'D'
	}),
	timmVariant('resnet26d', 'bottleneck', [2, 2, 2, 2], 'deep stem, avg-pool shortcut (ResNet-D)', {
		stem: deep('deep', 32),
		shortcut: 'D'
	}),
	timmVariant('resnet50d', 'bottleneck', [3, 4, 6, 3], 'deep stem, avg-pool shortcut (ResNet-D)', {
		stem: deep('deep', 32),
		shortcut: 'D'
	}),
	timmVariant('resnet101d', 'bottleneck', [3, 4, 23, 3], 'deep stem, avg-pool shortcut (ResNet-D)', {
		stem: deep('deep', 32),
		shortcut: 'D'
	}),
	timmVariant('resnet152d', 'bottleneck', [3, 8, 36, 3], 'deep stem, avg-pool shortcut (ResNet-D)', {
		stem: deep('deep', 32),
		shortcut: 'D'
	}),
	timmVariant('resnet26t', 'bottleneck', [2, 2, 2, 2], 'tiered deep stem 24/32/64, avg-pool shortcut', {
		stem: deep('deep_tiered', 32),
		shortcut: 'D'
	}),
	timmVariant('resnet50c', 'bottleneck', [3, 4, 6, 3], 'deep stem 32/32/64 (ResNet-C)', {
		stem: deep('deep', 32)
	}),
	timmVariant('resnet50s', 'bottleneck', [3, 4, 6, 3], 'deep stem 64/64/128 (ResNet-S)', {
		stem: deep('deep', 64)
	}),
	timmVariant('seresnet50', 'bottleneck', [3, 4, 6, 3], 'squeeze-excitation 1/16 (Hu et al. 2018)', {
		attention: SE
	}),
	timmVariant('seresnet101', 'bottleneck', [3, 4, 23, 3], 'squeeze-excitation 1/16 (Hu et al. 2018)', {
		attention: SE
	}),
	timmVariant(
		'seresnext50_32x4d',
		'bottleneck',
		[3, 4, 6, 3],
		'ResNeXt 32×4d with squeeze-excitation 1/16',
		{ attention: SE },
		32,
		4
	),
	timmVariant(
		'seresnext101_32x4d',
		'bottleneck',
		[3, 4, 23, 3],
		'ResNeXt 32×4d with squeeze-excitation 1/16',
		{ attention: SE },
		32,
		4
	),
	timmVariant('ecaresnet50d', 'bottleneck', [3, 4, 6, 3], 'ResNet-D with ECA (Wang et al. 2020)', {
		stem: deep('deep', 32),
		shortcut: 'D',
		attention: ECA
	}),
	timmVariant('ecaresnet101d', 'bottleneck', [3, 4, 23, 3], 'ResNet-D with ECA (Wang et al. 2020)', {
		stem: deep('deep', 32),
		shortcut: 'D',
		attention: ECA
	}),
	timmVariant(
		'resnetrs50',
		'bottleneck',
		[3, 4, 6, 3],
		'ResNet-RS (Bello et al. 2021): deep stem, conv stem pool, avg-pool shortcut, SE 1/4',
		{ stem: deep('deep', 32, 'conv'), shortcut: 'D', attention: SE_RS }
	),
	timmVariant(
		'resnetrs101',
		'bottleneck',
		[3, 4, 23, 3],
		'ResNet-RS (Bello et al. 2021): deep stem, conv stem pool, avg-pool shortcut, SE 1/4',
		{ stem: deep('deep', 32, 'conv'), shortcut: 'D', attention: SE_RS }
	),
	resnetv2('resnetv2_50', [3, 4, 6, 3], false),
	resnetv2('resnetv2_101', [3, 4, 23, 3], false),
	resnetv2('resnetv2_50d', [3, 4, 6, 3], true),
	preactCifar(164),
	preactCifar(1001),
	...[3, 5, 7, 9, 18, 200].map((n): Preset => ({
		name: `resnet${6 * n + 2}`,
		group: 'CIFAR',
		family: 'cifar',
		description: `He et al. 2015, CIFAR-10 (§4.2), n = ${n}`,
		spec: cifar(n)
	})),
	{
		// The demo model shipped with trained weights in static/models/fashion-resnet/ (DESIGN §3.6):
		// ResNet-20 adapted to 1×28×28 Fashion-MNIST images. Must equal that folder's spec.json.
		name: 'fashion-resnet',
		group: 'Bundled models',
		family: 'bundled',
		description: 'ResNet-20 trained on Fashion-MNIST (tools/train/train_fashion.py)',
		spec: { ...cifar(3), name: 'fashion-resnet', input: { channels: 1, height: 28, width: 28 } }
	}
];

export const PRESET_NAMES: readonly string[] = PRESETS.map((p) => p.name);

/** The family of a preset (the picker's groups, the family chart), or undefined for an unknown name. */
export function presetFamily(name: string): PresetFamily | undefined {
	return PRESETS.find((p) => p.name === name)?.family;
}

/** A fresh copy of a preset's spec, or undefined for an unknown name. */
export function presetSpec(name: string): ArchSpec | undefined {
	const preset = PRESETS.find((p) => p.name === name);
	return preset && cloneSpec(preset.spec);
}
