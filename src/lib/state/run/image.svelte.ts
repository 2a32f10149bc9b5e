/**
 * The image the network sees: a sample, a file, a pasted or dropped picture, or an exact input
 * tensor (a .safetensors holding `input`, NCHW, normalised — as the CLI's --input-tensor), and
 * its preprocessed form for the current network.
 */
import type { BlockGraph } from '$lib/arch';
import type { ModelMeta } from '$lib/models/bundled';
import { defaultMeta, metaPolicy } from '$lib/models/bundled';
import { preprocessGarment } from '$lib/pixels/garment';
import { preprocess, type Preprocessed, type RgbaImage } from '$lib/pixels/preprocess';
import { parseSafetensors } from '$lib/weights';
import { errorText } from './runtime.svelte';

export interface LoadedImage {
	name: string;
	/** Changes whenever the image does. */
	id: string;
	/** The picture (for a tensor input: its channels scaled to 0–255, for display). */
	rgba: RgbaImage;
	/** An exact input tensor (NCHW, already normalised) from a .safetensors file, used as is. */
	tensor?: { shape: number[]; data: Float32Array };
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${++counter}`;

/** A picture of an NCHW tensor (batch item 0): 1 or 3 channels (else the first), scaled to 0–255 over all channels. */
function tensorPicture(shape: number[], data: Float32Array): RgbaImage {
	const [, c, h, w] = shape;
	let lo = Infinity;
	let hi = -Infinity;
	for (let i = 0; i < c * h * w; i++) {
		if (data[i] < lo) lo = data[i];
		if (data[i] > hi) hi = data[i];
	}
	const scale = hi > lo ? 255 / (hi - lo) : 0;
	const out = new Uint8ClampedArray(h * w * 4);
	for (let p = 0; p < h * w; p++)
		for (let k = 0; k < 3; k++) out[p * 4 + k] = (data[(c === 3 ? k : 0) * h * w + p] - lo) * scale;
	for (let p = 0; p < h * w; p++) out[p * 4 + 3] = 255;
	return { width: w, height: h, data: out };
}

/** Decodes an image file (or blob) to RGBA pixels with the browser's decoders. */
export async function decodeImage(blob: Blob, name: string): Promise<RgbaImage> {
	let bitmap: ImageBitmap;
	try {
		bitmap = await createImageBitmap(blob);
	} catch {
		throw new Error(`${name} is not an image the browser can decode`);
	}
	try {
		const canvas = document.createElement('canvas');
		canvas.width = bitmap.width;
		canvas.height = bitmap.height;
		const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
		ctx.drawImage(bitmap, 0, 0);
		const img = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
		return { width: img.width, height: img.height, data: img.data };
	} finally {
		bitmap.close();
	}
}

export class ImageSource {
	image = $state.raw<LoadedImage | null>(null);
	error = $state('');
	/** The network's input made from the image (null until a run needs it, or after a change). */
	input = $state.raw<Preprocessed | null>(null);
	/** Names `input`: changes whenever it is made again. */
	inputId = '';

	/** An image file, a pasted image, a sample, or an input tensor (.safetensors with `input`). */
	async setBlob(blob: Blob, name: string): Promise<boolean> {
		if (/\.safetensors$/i.test(name)) return this.#setTensor(blob, name);
		try {
			const rgba = await decodeImage(blob, name);
			this.#set({ name, id: nextId('image'), rgba });
			return true;
		} catch (e) {
			this.error = errorText(e);
			return false;
		}
	}

	async setUrl(url: string, name: string): Promise<boolean> {
		try {
			const res = await fetch(url);
			if (!res.ok) throw new Error(`HTTP ${res.status}`);
			return await this.setBlob(await res.blob(), name);
		} catch (e) {
			this.error = `Could not load ${name}: ${errorText(e)}`;
			return false;
		}
	}

	async #setTensor(blob: Blob, name: string): Promise<boolean> {
		let t: { shape: number[]; data: Float32Array } | undefined;
		try {
			t = parseSafetensors(new Uint8Array(await blob.arrayBuffer())).get('input');
		} catch (e) {
			this.error = `${name}: ${errorText(e)}`;
			return false;
		}
		if (!t || t.shape.length !== 4 || t.shape[0] !== 1) {
			this.error = `${name} has no tensor named "input" of shape [1, C, H, W]${t ? ` (got [${t.shape.join(', ')}])` : ''}`;
			return false;
		}
		this.#set({ name, id: nextId('tensor'), rgba: tensorPicture(t.shape, t.data), tensor: t });
		return true;
	}

	#set(image: LoadedImage): void {
		this.image = image;
		this.error = '';
		this.input = null;
	}

	/** The input must be made again (another network, normalisation or inversion). */
	invalidate(): void {
		this.input = null;
	}

	/** The network's input (NHWC, normalised), made once per image, network and preprocessing. */
	preprocessed(graph: BlockGraph, meta: ModelMeta | null, invert: boolean): Preprocessed {
		if (this.input) return this.input;
		const image = this.image;
		if (!image) throw new Error('no image');
		this.inputId = nextId('input');
		const t = image.tensor;
		if (t) {
			const { channels: c, height: h, width: w } = graph.spec.input;
			if (t.shape[1] !== c || t.shape[2] !== h || t.shape[3] !== w)
				throw new Error(
					`${image.name}: input is [${t.shape.join(', ')}] but this network takes [1, ${c}, ${h}, ${w}]`
				);
			const data = new Float32Array(c * h * w);
			for (let ch = 0; ch < c; ch++)
				for (let p = 0; p < h * w; p++) data[p * c + ch] = t.data[ch * h * w + p];
			this.input = { data, height: h, width: w, channels: c, display: image.rgba };
			return this.input;
		}
		const m = meta ?? defaultMeta(graph.spec, null);
		const policy = { ...metaPolicy(graph.spec, m), invert };
		this.input =
			m.convert === 'garment' ? preprocessGarment(image.rgba, policy) : preprocess(image.rgba, policy);
		return this.input;
	}
}
