/** Number formatting shared by the CLI, the page and the exports. */

/** 25557032 → "25,557,032". */
export const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

/** 4089184256 → "4.09 G" (SI prefixes, 3 significant digits). */
export function si(n: number, digits = 3): string {
	const units: [number, string][] = [
		[1e12, 'T'],
		[1e9, 'G'],
		[1e6, 'M'],
		[1e3, 'k']
	];
	for (const [scale, unit] of units)
		if (Math.abs(n) >= scale) return `${(n / scale).toPrecision(digits)} ${unit}`;
	return `${n}`;
}

/** Bytes → "97.49 MB" (MB = 2^20 bytes, as torchinfo prints). */
export const megabytes = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MB`;

/** [C, H, W] → "64×56×56". */
export const shapeText = (s: readonly number[]): string => s.join('×');

/** +1,234 / −1,234 / ±0: a difference against a reference. */
export function signedGrouped(n: number): string {
	if (n === 0) return '±0';
	return (n > 0 ? '+' : '−') + grouped(Math.abs(n));
}
