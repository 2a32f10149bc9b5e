/** Saving the diagram: a Blob handed to the browser as a download; SVG text drawn into a PNG. */

export function download(blob: Blob, filename: string): void {
	const url = URL.createObjectURL(blob);
	const a = document.createElement('a');
	a.href = url;
	a.download = filename;
	a.rel = 'noopener';
	document.body.appendChild(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Largest canvas the browsers agree on: 16384 px a side, about 64 M pixels. */
const MAX_SIDE = 16384;
const MAX_AREA = 64e6;

/** Renders standalone SVG text (with width and height) to a PNG at up to `scale`× resolution. */
export async function svgToPng(svgText: string, width: number, height: number, scale = 2): Promise<Blob> {
	const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml;charset=utf-8' }));
	try {
		const img = new Image();
		img.src = url;
		await img.decode();
		const s = Math.min(scale, MAX_SIDE / width, MAX_SIDE / height, Math.sqrt(MAX_AREA / (width * height)));
		const canvas = document.createElement('canvas');
		canvas.width = Math.max(1, Math.floor(width * s));
		canvas.height = Math.max(1, Math.floor(height * s));
		const ctx = canvas.getContext('2d');
		if (!ctx) throw new Error('no 2D canvas');
		ctx.scale(s, s);
		ctx.drawImage(img, 0, 0, width, height);
		return await new Promise<Blob>((resolve, reject) =>
			canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png')
		);
	} finally {
		URL.revokeObjectURL(url);
	}
}

/** Width and height written on the root of SVG text. */
export function svgSize(svgText: string): { width: number; height: number } {
	const w = /<svg[^>]*\swidth="([\d.]+)"/.exec(svgText);
	const h = /<svg[^>]*\sheight="([\d.]+)"/.exec(svgText);
	return { width: Number(w?.[1] ?? 800), height: Number(h?.[1] ?? 600) };
}
