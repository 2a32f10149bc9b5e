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

const BYTE_UNITS = ['KB', 'MB', 'GB', 'TB', 'PB', 'EB'] as const;

/**
 * A byte size in the largest unit that keeps it ≥ 1: "512 B", "12.50 KB", "97.49 MB",
 * "265.85 GB", "1.50 TB". Units are binary (1 KB = 1024 B, 1 MB = 2^20 B), as torchsummary
 * prints ResNet-50's "Params size (MB): 97.49". Two decimals, or `significant` digits where space
 * is short ("3.06 MB", "30.6 MB", "266 GB"). The one formatter of byte sizes: CLI, page, diagram.
 */
export function byteSize(
	bytes: number,
	digits: { significant: number } | { decimals: number } = { decimals: 2 }
): string {
	if (!Number.isFinite(bytes)) return `${bytes} B`;
	const abs = Math.abs(bytes);
	if (abs < 1024) return `${bytes} B`;
	let i = 0;
	while (i < BYTE_UNITS.length - 1 && abs >= 1024 ** (i + 2)) i++;
	let v = bytes / 1024 ** (i + 1);
	let text =
		'decimals' in digits ? v.toFixed(digits.decimals) : String(Number(v.toPrecision(digits.significant)));
	// rounding up to 1024 (1023.999 KB) belongs to the next unit
	if (Math.abs(Number(text)) >= 1024 && i < BYTE_UNITS.length - 1) {
		v /= 1024;
		i++;
		text =
			'decimals' in digits ? v.toFixed(digits.decimals) : String(Number(v.toPrecision(digits.significant)));
	}
	return `${text} ${BYTE_UNITS[i]}`;
}

/** [C, H, W] → "64×56×56". */
export const shapeText = (s: readonly number[]): string => s.join('×');

/** +1,234 / −1,234 / ±0: a difference against a reference. */
export function signedGrouped(n: number): string {
	if (n === 0) return '±0';
	return (n > 0 ? '+' : '−') + grouped(Math.abs(n));
}
