/**
 * Class names. ImageNet's 1,000 are in static/labels/imagenet.json (served at
 * `/labels/imagenet.json`), taken from torchvision's
 * `ResNet50_Weights.IMAGENET1K_V1.meta['categories']`; bundled models carry theirs in meta.json.
 */

export const IMAGENET_LABELS_PATH = 'labels/imagenet.json';

/** The name of class `index`, or `class 7` when there is no list or no such entry. */
export function labelFor(index: number, classes?: readonly string[] | null): string {
	const name = classes?.[index];
	return typeof name === 'string' && name !== '' ? name : `class ${index}`;
}

/** Validates a parsed labels file: an array of strings. */
export function parseLabels(json: unknown): string[] | null {
	return Array.isArray(json) && json.every((x) => typeof x === 'string') ? (json as string[]) : null;
}

export interface Prediction {
	index: number;
	label: string;
	prob: number;
}

/** Softmax (numerically stable, in float64) of one row of logits. */
export function softmax(logits: ArrayLike<number>): number[] {
	let max = -Infinity;
	for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
	const e = Array.from(logits, (v) => Math.exp(v - max));
	const sum = e.reduce((a, b) => a + b, 0);
	return e.map((v) => v / sum);
}

/** The k most probable classes, most probable first (ties: lower index first). */
export function topK(logits: ArrayLike<number>, k: number, classes?: readonly string[] | null): Prediction[] {
	const p = softmax(logits);
	return p
		.map((prob, index) => ({ index, prob }))
		.sort((a, b) => b.prob - a.prob || a.index - b.index)
		.slice(0, Math.max(0, k))
		.map(({ index, prob }) => ({ index, label: labelFor(index, classes), prob }));
}
