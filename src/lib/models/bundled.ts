/**
 * Models shipped with the app (DESIGN §3.6) and what a network needs besides its weights to
 * classify a photo: class names and the input normalisation. Pure TS, no DOM, no tfjs.
 */
import type { ArchSpec } from '../arch/spec';
import type { PreprocessPolicy } from '../pixels/preprocess';

/** How to turn a photo into this network's input, and what its outputs are called. */
export interface ModelMeta {
	/** Class names, index → name; null when unknown (outputs are shown as "class 7"). */
	classes: string[] | null;
	/** Changes to the default preprocessing policy (`policyFor`): mean/std, invert, resize. */
	preprocess: Partial<Pick<PreprocessPolicy, 'mean' | 'std' | 'invert' | 'resize'>>;
	/** Where these came from ("ImageNet (torchvision)", "fashion-resnet/meta.json"). */
	source: string;
	/** Test-set accuracy of a bundled model's weights (0–1), when known. */
	testAccuracy?: number;
	/** Free text about the expected input ("grayscale 28×28, white garment on black"). */
	inputNote?: string;
	/** 'garment': photos and drawings are converted as Fashion-MNIST was made (pixels/garment.ts). */
	convert?: 'garment';
}

/** The files of a bundled model, relative to the app's base path. */
export interface BundledModel {
	name: string;
	spec: string;
	weights: string;
	meta: string;
}

/** Names of the models in static/models/. */
export const BUNDLED_NAMES: readonly string[] = ['fashion-resnet'];

/** The bundled model of this name (a preset name), or null. `base` is the app's base path. */
export function bundledModel(name: string | null | undefined, base = ''): BundledModel | null {
	if (!name || !BUNDLED_NAMES.includes(name)) return null;
	const dir = `${base}/models/${name}/`;
	return { name, spec: `${dir}spec.json`, weights: `${dir}model.safetensors`, meta: `${dir}meta.json` };
}

/**
 * The meta of a network with no bundled meta: `policyFor`'s defaults (ImageNet normalisation for
 * 3 channels), ImageNet class names when given and the head has 1000 outputs.
 */
export function defaultMeta(spec: ArchSpec, imagenetClasses: string[] | null): ModelMeta {
	const imagenet = spec.input.channels === 3;
	return {
		classes: spec.head.classes === 1000 ? imagenetClasses : null,
		preprocess: {},
		source: imagenet
			? 'ImageNet normalisation (torchvision)'
			: `mean 0.5, std 0.5 (no bundled meta for a ${spec.input.channels}-channel input)`
	};
}

/**
 * Reads a bundled model's meta.json against its spec. Returns the meta, or a message saying
 * which field is wrong (never throws).
 */
export function parseMeta(
	json: unknown,
	spec: ArchSpec,
	source: string
): { ok: true; meta: ModelMeta } | { ok: false; message: string } {
	const bad = (field: string, why: string) => ({ ok: false as const, message: `${source}: ${field} ${why}` });
	if (!json || typeof json !== 'object') return bad('', 'is not a JSON object');
	const m = json as Record<string, unknown>;
	const c = spec.input.channels;
	const numbers = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'number' && isFinite(x));
	if (!numbers(m.mean) || (m.mean as number[]).length !== c)
		return bad('mean', `must be ${c} number${c === 1 ? '' : 's'} (one per input channel)`);
	if (!numbers(m.std) || (m.std as number[]).length !== c || (m.std as number[]).some((s) => s <= 0))
		return bad('std', `must be ${c} positive number${c === 1 ? '' : 's'} (one per input channel)`);
	let classes: string[] | null = null;
	if (m.classes !== undefined) {
		if (!Array.isArray(m.classes) || !m.classes.every((x) => typeof x === 'string'))
			return bad('classes', 'must be a list of names');
		if (m.classes.length !== spec.head.classes)
			return bad('classes', `has ${m.classes.length} names but the network has ${spec.head.classes} outputs`);
		classes = m.classes as string[];
	}
	if (m.invert !== undefined && typeof m.invert !== 'boolean') return bad('invert', 'must be true or false');
	if (m.resize !== undefined && m.resize !== 'stretch' && m.resize !== 'shorter')
		return bad('resize', 'must be "stretch" or "shorter"');
	if (m.convert !== undefined && m.convert !== 'garment') return bad('convert', 'must be "garment"');
	const acc = m.testAccuracy;
	return {
		ok: true,
		meta: {
			classes,
			preprocess: {
				mean: m.mean as number[],
				std: m.std as number[],
				...(m.invert !== undefined ? { invert: m.invert as boolean } : {}),
				...(m.resize !== undefined ? { resize: m.resize as 'stretch' | 'shorter' } : {})
			},
			source,
			testAccuracy: typeof acc === 'number' && acc >= 0 && acc <= 1 ? acc : undefined,
			inputNote: typeof m.input === 'string' ? m.input : undefined,
			...(m.convert === 'garment' ? { convert: 'garment' as const } : {})
		}
	};
}

/** torchvision's own ImageNet weights (timm's safetensors copies), fetched only on request. */
export interface RemoteWeights {
	/** The preset they fit. */
	preset: string;
	url: string;
	/** Approximate download size in MB. */
	megabytes: number;
}

export const TORCHVISION_WEIGHTS: readonly RemoteWeights[] = [
	{ preset: 'resnet18', megabytes: 47, url: hf('resnet18') },
	{ preset: 'resnet34', megabytes: 87, url: hf('resnet34') },
	{ preset: 'resnet50', megabytes: 103, url: hf('resnet50') },
	{ preset: 'resnet101', megabytes: 179, url: hf('resnet101') },
	{ preset: 'resnet152', megabytes: 242, url: hf('resnet152') }
];

function hf(name: string): string {
	return `https://huggingface.co/timm/${name}.tv_in1k/resolve/main/model.safetensors`;
}

/** Sample photos in static/samples/ (licences in static/samples/LICENSES.md). */
export interface SampleImage {
	/** File name under static/samples/. */
	file: string;
	/** What it shows. */
	title: string;
}

export const SAMPLE_IMAGES: readonly SampleImage[] = [
	{ file: 'cat.jpg', title: 'Chelsea the cat' },
	{ file: 'coffee.jpg', title: 'A cup of coffee' },
	{ file: 'astronaut.jpg', title: 'Astronaut Eileen Collins' },
	{ file: 'rocket.jpg', title: 'Falcon 9 launch' }
];
