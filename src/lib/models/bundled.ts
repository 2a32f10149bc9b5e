/**
 * Models shipped with the app (DESIGN §3.6) and what a network needs besides its weights to
 * classify a photo: class names and the input normalisation. Pure TS, no DOM, no tfjs.
 */
import type { ArchSpec } from '../arch/spec';
import { policyFor, type PreprocessPolicy } from '../pixels/preprocess';

/** How to turn a photo into this network's input, and what its outputs are called. */
export interface ModelMeta {
	/** Class names, index → name; null when unknown (outputs are shown as "class 7"). */
	classes: string[] | null;
	/** Changes to the default preprocessing policy (`policyFor`): mean/std, invert, resize, interpolation. */
	preprocess: Partial<Pick<PreprocessPolicy, 'mean' | 'std' | 'invert' | 'resize' | 'interpolation'>>;
	/** Where these came from ("ImageNet (torchvision)", "fashion-resnet/meta.json"). */
	source: string;
	/** Test-set accuracy of a bundled model's weights (0–1), when known. */
	testAccuracy?: number;
	/** Free text about the expected input ("grayscale 28×28, white garment on black"). */
	inputNote?: string;
	/** 'garment': photos and drawings are converted as Fashion-MNIST was made (pixels/garment.ts). */
	convert?: 'garment';
	/**
	 * The crop's share of the resized image (timm's crop_pct): the shorter side is resized to
	 * floor(side / cropPct), then centre-cropped to the input size. Absent: torchvision's 224/256.
	 */
	cropPct?: number;
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
 * Reads a bundled model's meta.json against its spec — the one reader of that file, used by the
 * page and by `npm run infer -- --spec` alike. The schema (README "meta.json"):
 *
 *     { "classes": [names, one per output]?, "mean": [one per input channel],
 *       "std": [one per input channel, > 0], "testAccuracy": 0–1?, "input": "free text"?,
 *       "preprocess": { "resize": "stretch" | "shorter", "invert": boolean,
 *                       "convert": "garment" }? }
 *
 * Other fields (name, description, training, …) are for people and ignored. Returns the meta, or a
 * message saying which field is wrong (never throws).
 */
export function parseMeta(
	json: unknown,
	spec: ArchSpec,
	source: string
): { ok: true; meta: ModelMeta } | { ok: false; message: string } {
	const bad = (field: string, why: string) => ({
		ok: false as const,
		message: `${source}: ${field ? `${field} ` : ''}${why}`
	});
	const isObject = (v: unknown): v is Record<string, unknown> =>
		typeof v === 'object' && v !== null && !Array.isArray(v);
	if (!isObject(json)) return bad('', 'is not a JSON object');
	const m = json;
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
	// Conversion settings live under "preprocess"; at the top level they would be silently ignored.
	for (const k of ['resize', 'invert', 'convert'])
		if (m[k] !== undefined) return bad(k, `belongs under "preprocess" ({ "preprocess": { "${k}": … } })`);
	const p = m.preprocess === undefined ? {} : m.preprocess;
	if (!isObject(p)) return bad('preprocess', 'must be an object ({ resize, invert, convert })');
	for (const k of Object.keys(p))
		if (!['resize', 'invert', 'convert'].includes(k))
			return bad(`preprocess.${k}`, 'is not a setting (resize, invert, convert)');
	if (p.invert !== undefined && typeof p.invert !== 'boolean')
		return bad('preprocess.invert', 'must be true or false');
	if (p.resize !== undefined && p.resize !== 'stretch' && p.resize !== 'shorter')
		return bad('preprocess.resize', 'must be "stretch" or "shorter"');
	if (p.convert !== undefined && p.convert !== 'garment')
		return bad('preprocess.convert', 'must be "garment"');
	const acc = m.testAccuracy;
	if (acc !== undefined && !(typeof acc === 'number' && acc >= 0 && acc <= 1))
		return bad('testAccuracy', 'must be a fraction between 0 and 1');
	if (m.input !== undefined && typeof m.input !== 'string') return bad('input', 'must be text');
	return {
		ok: true,
		meta: {
			classes,
			preprocess: {
				mean: m.mean as number[],
				std: m.std as number[],
				...(p.invert !== undefined ? { invert: p.invert as boolean } : {}),
				...(p.resize !== undefined ? { resize: p.resize as 'stretch' | 'shorter' } : {})
			},
			source,
			testAccuracy: acc as number | undefined,
			inputNote: m.input as string | undefined,
			...(p.convert === 'garment' ? { convert: 'garment' as const } : {})
		}
	};
}

/** How a photo becomes this network's input: `policyFor` with the meta's changes (page and CLI). */
export function metaPolicy(spec: ArchSpec, meta: ModelMeta): PreprocessPolicy {
	const side = Math.max(spec.input.height, spec.input.width);
	return policyFor(spec.input, {
		...meta.preprocess,
		...(meta.cropPct ? { resizeShorter: Math.floor(side / meta.cropPct) } : {})
	});
}

/**
 * What timm's pretrained_cfg says about the input the weights were evaluated with (timm 1.0.29's
 * default_cfgs; tests/unit/meta.test.ts checks every field against the wheel).
 */
export interface PretrainedCfg {
	/** [channels, height, width] of timm's default evaluation. */
	inputSize: [number, number, number];
	cropPct: number;
	interpolation: 'bilinear' | 'bicubic';
	mean: number[];
	std: number[];
}

/** ImageNet weights on the Hugging Face hub, fetched only on request. */
export interface RemoteWeights {
	/** The preset they fit. */
	preset: string;
	/** The hub's model name: `<architecture>.<tag>` (timm's pretrained tag). */
	name: string;
	url: string;
	/** Approximate download size in MB. */
	megabytes: number;
	/** timm's preprocessing for these weights; absent: torchvision's (ImageNet mean/std, 224/256). */
	pretrained?: PretrainedCfg;
}

/** torchvision's own ImageNet weights (timm's safetensors copies). */
export const TORCHVISION_WEIGHTS: readonly RemoteWeights[] = [
	tv('resnet18', 47),
	tv('resnet34', 87),
	tv('resnet50', 103),
	tv('resnet101', 179),
	tv('resnet152', 242)
];

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const INCEPTION = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
/** timm's own ImageNet-1k weights for the family's presets (timm's names and tags). */
export const TIMM_WEIGHTS: readonly RemoteWeights[] = [
	timmWeights('resnet18d', 'ra2_in1k', 47, 224, 0.875, IMAGENET),
	timmWeights('resnet50d', 'ra2_in1k', 103, 224, 0.875, IMAGENET),
	timmWeights('seresnext50_32x4d', 'racm_in1k', 111, 224, 0.875, IMAGENET),
	timmWeights('resnetv2_50', 'a1h_in1k', 103, 224, 0.95, INCEPTION),
	timmWeights('resnetrs50', 'tf_in1k', 143, 160, 0.91, IMAGENET)
];

/** Every one-click download, torchvision's first. */
export const REMOTE_WEIGHTS: readonly RemoteWeights[] = [...TORCHVISION_WEIGHTS, ...TIMM_WEIGHTS];

function hubUrl(name: string): string {
	return `https://huggingface.co/timm/${name}/resolve/main/model.safetensors`;
}

function tv(preset: string, megabytes: number): RemoteWeights {
	const name = `${preset}.tv_in1k`;
	return { preset, name, megabytes, url: hubUrl(name) };
}

function timmWeights(
	preset: string,
	tag: string,
	megabytes: number,
	side: number,
	cropPct: number,
	norm: { mean: number[]; std: number[] }
): RemoteWeights {
	const name = `${preset}.${tag}`;
	return {
		preset,
		name,
		megabytes,
		url: hubUrl(name),
		pretrained: { inputSize: [3, side, side], cropPct, interpolation: 'bicubic', ...norm }
	};
}

/**
 * The meta of remote weights: ImageNet's classes, and the weights' own preprocessing (timm's
 * mean/std and crop; torchvision's defaults otherwise). The network keeps its input size: where
 * timm evaluates at another, the note says so.
 */
export function remoteMeta(w: RemoteWeights, spec: ArchSpec, imagenetClasses: string[] | null): ModelMeta {
	const base = defaultMeta(spec, imagenetClasses);
	const p = w.pretrained;
	if (!p) return { ...base, source: `ImageNet (torchvision, ${w.name})` };
	const [, h, wd] = p.inputSize;
	const other = h !== spec.input.height || wd !== spec.input.width;
	return {
		...base,
		preprocess: { mean: p.mean, std: p.std, interpolation: p.interpolation },
		cropPct: p.cropPct,
		source: `timm/${w.name} pretrained_cfg`,
		inputNote: `timm evaluates these weights at ${h}×${wd}${other ? ` (this network takes ${spec.input.height}×${spec.input.width})` : ''}: resize the shorter side to ${Math.floor(Math.max(h, wd) / p.cropPct)} (crop ${p.cropPct}), ${p.interpolation}, centre crop; mean ${p.mean.join(', ')}, std ${p.std.join(', ')}`
	};
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
