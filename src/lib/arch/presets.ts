import { cloneSpec, type ArchSpec, type BlockKind } from './spec';

export type PresetGroup = 'ImageNet' | 'CIFAR' | 'Wide and ResNeXt' | 'Bundled models';

export interface Preset {
	name: string;
	group: PresetGroup;
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

export const PRESETS: readonly Preset[] = [
	{
		name: 'resnet18',
		group: 'ImageNet',
		description: `${TV}.resnet18`,
		spec: imagenet('resnet18', 'basic', [2, 2, 2, 2])
	},
	{
		name: 'resnet34',
		group: 'ImageNet',
		description: `${TV}.resnet34`,
		spec: imagenet('resnet34', 'basic', [3, 4, 6, 3])
	},
	{
		name: 'resnet50',
		group: 'ImageNet',
		description: `${TV}.resnet50 (v1.5: stride on the 3×3)`,
		spec: imagenet('resnet50', 'bottleneck', [3, 4, 6, 3])
	},
	{
		name: 'resnet101',
		group: 'ImageNet',
		description: `${TV}.resnet101`,
		spec: imagenet('resnet101', 'bottleneck', [3, 4, 23, 3])
	},
	{
		name: 'resnet152',
		group: 'ImageNet',
		description: `${TV}.resnet152`,
		spec: imagenet('resnet152', 'bottleneck', [3, 8, 36, 3])
	},
	{
		name: 'wide_resnet50_2',
		group: 'Wide and ResNeXt',
		description: `${TV}.wide_resnet50_2`,
		spec: imagenet('wide_resnet50_2', 'bottleneck', [3, 4, 6, 3], 1, 128)
	},
	{
		name: 'wide_resnet101_2',
		group: 'Wide and ResNeXt',
		description: `${TV}.wide_resnet101_2`,
		spec: imagenet('wide_resnet101_2', 'bottleneck', [3, 4, 23, 3], 1, 128)
	},
	{
		name: 'resnext50_32x4d',
		group: 'Wide and ResNeXt',
		description: `${TV}.resnext50_32x4d`,
		spec: imagenet('resnext50_32x4d', 'bottleneck', [3, 4, 6, 3], 32, 4)
	},
	{
		name: 'resnext101_32x8d',
		group: 'Wide and ResNeXt',
		description: `${TV}.resnext101_32x8d`,
		spec: imagenet('resnext101_32x8d', 'bottleneck', [3, 4, 23, 3], 32, 8)
	},
	{
		name: 'resnext101_64x4d',
		group: 'Wide and ResNeXt',
		description: `${TV}.resnext101_64x4d`,
		spec: imagenet('resnext101_64x4d', 'bottleneck', [3, 4, 23, 3], 64, 4)
	},
	...[3, 5, 7, 9, 18, 200].map((n): Preset => ({
		name: `resnet${6 * n + 2}`,
		group: 'CIFAR',
		description: `He et al. 2015, CIFAR-10 (§4.2), n = ${n}`,
		spec: cifar(n)
	})),
	{
		// The demo model shipped with trained weights in static/models/fashion-resnet/ (DESIGN §3.6):
		// ResNet-20 adapted to 1×28×28 Fashion-MNIST images. Must equal that folder's spec.json.
		name: 'fashion-resnet',
		group: 'Bundled models',
		description: 'ResNet-20 trained on Fashion-MNIST (tools/train/train_fashion.py)',
		spec: { ...cifar(3), name: 'fashion-resnet', input: { channels: 1, height: 28, width: 28 } }
	}
];

export const PRESET_NAMES: readonly string[] = PRESETS.map((p) => p.name);

/** A fresh copy of a preset's spec, or undefined for an unknown name. */
export function presetSpec(name: string): ArchSpec | undefined {
	const preset = PRESETS.find((p) => p.name === name);
	return preset && cloneSpec(preset.spec);
}
