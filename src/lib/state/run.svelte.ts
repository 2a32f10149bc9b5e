/**
 * State of the "Run it live" panel (Svelte 5 runes): backend, weights, image, last results and
 * the feature maps of the selected node. tfjs lives in $lib/runtime and is loaded on first use.
 */
import type { BlockGraph } from '$lib/arch';
import type { BackendChoice, BackendInfo } from '$lib/runtime/backend';
import type { FeatureMaps, ColourMapName } from '$lib/pixels/colourmaps';
import type { Runner, WeightSet } from '$lib/runtime/runner';
import { SAMPLE_IMAGES, bundledModel, defaultMeta, parseMeta, type ModelMeta } from '$lib/models/bundled';
import { IMAGENET_LABELS_PATH, parseLabels, topK, type Prediction } from '$lib/models/labels';
import { policyFor, preprocess, type Preprocessed, type RgbaImage } from '$lib/pixels/preprocess';
import { preprocessGarment } from '$lib/pixels/garment';
import { DEFAULT_FASHION_SAMPLE, fashionSampleTitle, fashionSampleUrl } from '$lib/models/fashion';
import {
	checkWeights,
	initWeights,
	loadCheckpoint,
	parseSafetensors,
	WeightsError,
	WeightsListError,
	type TensorMap
} from '$lib/weights';

export interface LoadedImage {
	name: string;
	/** Changes whenever the image does (cache key of the last forward's outputs). */
	id: string;
	/** The picture (for a tensor input: its channels scaled to 0–255, for display). */
	rgba: RgbaImage;
	/** An exact input tensor (NCHW, already normalised) from a .safetensors file, used as is. */
	tensor?: { shape: number[]; data: Float32Array };
}

/** A picture of an NCHW tensor (batch item 0): 1 or 3 channels (else the first), scaled to 0–255 over all channels. */
export function tensorPicture(shape: number[], data: Float32Array): RgbaImage {
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

type WeightsKind = 'seed' | 'file' | 'url' | 'bundled';

export interface AppliedWeights {
	kind: WeightsKind;
	/** "seed 0", "resnet18.safetensors", "fashion-resnet (bundled)". */
	label: string;
	id: string;
	/** null for seeded weights: made on demand for the current graph. */
	tensors: TensorMap | null;
}

export interface Download {
	url: string;
	loaded: number;
	total: number | null;
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${++counter}`;

/** A message for anything thrown while loading or running. */
export function errorText(e: unknown): string {
	if (e instanceof Error) return e.message;
	if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
	return String(e);
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

/** Reads a response body with progress (Content-Length when the server sends it). */
async function readWithProgress(res: Response, onProgress: (loaded: number, total: number | null) => void) {
	const length = Number(res.headers.get('content-length'));
	const total = Number.isFinite(length) && length > 0 ? length : null;
	if (!res.body) {
		const buf = new Uint8Array(await res.arrayBuffer());
		onProgress(buf.length, total);
		return buf;
	}
	const reader = res.body.getReader();
	const chunks: Uint8Array[] = [];
	let loaded = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		chunks.push(value);
		loaded += value.length;
		onProgress(loaded, total);
	}
	const out = new Uint8Array(loaded);
	let o = 0;
	for (const c of chunks) {
		out.set(c, o);
		o += c.length;
	}
	return out;
}

export class RunState {
	// Backend
	backendChoice = $state<BackendChoice>('auto');
	backend = $state.raw<BackendInfo | null>(null);
	backendNotices = $state.raw<string[]>([]);
	backendBusy = $state(false);

	// Network and weights
	graph = $state.raw<BlockGraph | null>(null);
	presetName = $state<string | null>(null);
	seed = $state(0);
	weights = $state.raw<AppliedWeights>({ kind: 'seed', label: 'seed 0', id: 'seed-0', tensors: null });
	/** Problems with the last weights offered (nothing applied), and where they came from. */
	weightErrors = $state.raw<WeightsError[]>([]);
	weightErrorSource = $state('');
	/** Something the user should know about the weights (a switch to seeded ones, a failed load). */
	weightsNotice = $state('');
	download = $state.raw<Download | null>(null);
	meta = $state.raw<ModelMeta | null>(null);
	invert = $state(false);

	// Image
	image = $state.raw<LoadedImage | null>(null);
	imageError = $state('');
	input = $state.raw<Preprocessed | null>(null);

	// Results
	running = $state(false);
	status = $state('');
	runError = $state('');
	predictions = $state.raw<Prediction[]>([]);
	forwardMs = $state<number | null>(null);
	/** The raw logits of the last forward. */
	logits = $state.raw<Float32Array | null>(null);
	/** Keep every layer's output of a forward (instant feature maps) or only the selected one. */
	keepAll = $state(true);
	/** Cache key (image|weights) of the last successful forward, or '' when stale. */
	lastRun = $state('');

	// Feature maps
	mapsFor = $state<string | null>(null);
	maps = $state.raw<FeatureMaps | null>(null);
	mapsBusy = $state(false);
	mapsError = $state('');
	channel = $state<number | null>(null);
	colourMap = $state<ColourMapName>('viridis');

	#runner: Runner | null = null;
	#seeded: { graph: BlockGraph; seed: number; tensors: TensorMap } | null = null;
	#imagenetClasses: string[] | null = null;
	#base: string;

	constructor(base = '') {
		this.#base = base;
	}

	/** The bundled model of the current preset, if it is one. */
	get bundled() {
		return bundledModel(this.presetName, this.#base);
	}

	async #getRunner(): Promise<Runner> {
		if (!this.#runner) {
			const { Runner } = await import('$lib/runtime/runner');
			this.#runner ??= new Runner();
		}
		return this.#runner;
	}

	/** Starts (or switches to) a backend; failures fall back and are listed as notices. */
	async startBackend(choice: BackendChoice = this.backendChoice): Promise<void> {
		this.backendChoice = choice;
		this.backendBusy = true;
		try {
			const runner = await this.#getRunner();
			const r = await runner.start(choice, (msg) => void this.#lost(msg));
			this.backend = r.info;
			this.backendNotices = r.notices;
			this.#staleResults();
		} catch (e) {
			this.backendNotices = [...this.backendNotices, errorText(e)];
		} finally {
			this.backendBusy = false;
		}
	}

	async #lost(message: string): Promise<void> {
		const lostOn = this.backend?.name;
		await this.startBackend('auto');
		this.backendNotices = [
			`${message} — fell back from ${lostOn} to ${this.backend?.name}`,
			...this.backendNotices
		];
	}

	/** The network changed (another preset, an edit): re-check the weights, drop stale results. */
	async setGraph(graph: BlockGraph, presetName: string | null): Promise<void> {
		const previous = this.graph;
		const presetChanged = presetName !== this.presetName;
		this.graph = graph;
		this.presetName = presetName;
		if (previous === graph) return;
		this.#runner?.reset();
		this.#staleResults();
		this.input = null;
		this.weightErrors = [];
		const bundled = bundledModel(presetName, this.#base);
		if (bundled && (presetChanged || this.weights.kind !== 'bundled')) {
			await this.loadBundled();
			return;
		}
		// Trained weights belong to their architecture: an edit (or another preset) leaves them.
		if (this.weights.kind === 'bundled' && presetChanged) {
			const from = this.weights.label;
			this.useSeed(this.seed, false);
			this.weightsNotice = `The architecture changed, so the network now has seeded random weights (seed ${this.seed}) instead of ${from}. Choose that preset again to restore them.`;
		}
		if (this.weights.kind !== 'seed' && this.weights.tensors) {
			const errors = checkWeights(graph, this.weights.tensors);
			if (errors.length > 0) {
				this.weightsNotice = `The architecture changed: ${this.weights.label} no longer fits (${errors.length} tensor${errors.length === 1 ? '' : 's'}), so the network now has seeded random weights (seed ${this.seed}).`;
				this.useSeed(this.seed, false);
			}
		}
		if (this.weights.kind === 'seed' || !this.meta)
			this.meta = defaultMeta(graph.spec, this.#imagenetClasses);
		this.invert = this.meta.preprocess.invert ?? false;
		void this.#loadImagenetClasses();
	}

	async #loadImagenetClasses(): Promise<void> {
		if (this.#imagenetClasses || !this.graph || this.graph.spec.head.classes !== 1000) return;
		try {
			const res = await fetch(`${this.#base}/${IMAGENET_LABELS_PATH}`);
			const classes = res.ok ? parseLabels(await res.json()) : null;
			if (!classes || classes.length !== 1000) return;
			this.#imagenetClasses = classes;
			if (
				this.meta &&
				!this.meta.classes &&
				this.graph.spec.head.classes === 1000 &&
				this.weights.kind !== 'bundled'
			)
				this.meta = { ...this.meta, classes: this.#imagenetClasses };
		} catch {
			// names are a nicety: outputs stay "class N"
		}
	}

	/** Seeded He-normal weights (the default). */
	useSeed(seed: number, clearNotice = true): void {
		const s = Number.isFinite(seed) ? Math.trunc(seed) : 0;
		this.seed = s;
		this.weights = { kind: 'seed', label: `seed ${s}`, id: `seed-${s}`, tensors: null };
		this.weightErrors = [];
		if (clearNotice) this.weightsNotice = '';
		if (this.graph) this.meta = defaultMeta(this.graph.spec, this.#imagenetClasses);
		this.#staleResults();
	}

	/** Checks a checkpoint against the network; applies it only when every tensor fits. */
	#offer(bytes: Uint8Array, name: string, kind: WeightsKind, meta: ModelMeta | null): boolean {
		const graph = this.graph;
		if (!graph) return false;
		let tensors: TensorMap;
		try {
			tensors = loadCheckpoint(bytes, name);
		} catch (e) {
			this.weightErrors = e instanceof WeightsError ? [e] : [];
			this.weightErrorSource = name;
			this.weightsNotice = e instanceof WeightsError ? '' : `${name}: ${errorText(e)}`;
			return false;
		}
		const errors = checkWeights(graph, tensors);
		if (errors.length > 0) {
			this.weightErrors = errors;
			this.weightErrorSource = name;
			this.weightsNotice = '';
			return false;
		}
		this.weights = { kind, label: name, id: nextId(kind), tensors };
		this.weightErrors = [];
		this.weightsNotice = '';
		this.meta = meta ?? defaultMeta(graph.spec, this.#imagenetClasses);
		this.invert = this.meta.preprocess.invert ?? false;
		this.#staleResults();
		return true;
	}

	/** A checkpoint dropped on the page or picked with the file picker. */
	async loadFile(file: File): Promise<boolean> {
		this.weightsNotice = '';
		let bytes: Uint8Array;
		try {
			bytes = new Uint8Array(await file.arrayBuffer());
		} catch (e) {
			this.weightsNotice = `${file.name}: ${errorText(e)}`;
			return false;
		}
		return this.#offer(bytes, file.name, 'file', null);
	}

	async #fetchBytes(url: string): Promise<Uint8Array> {
		this.download = { url, loaded: 0, total: null };
		try {
			const res = await fetch(url);
			if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
			return await readWithProgress(res, (loaded, total) => (this.download = { url, loaded, total }));
		} finally {
			this.download = null;
		}
	}

	/** A checkpoint from a URL, with progress. */
	async loadUrl(url: string): Promise<boolean> {
		this.weightsNotice = '';
		const name = decodeURIComponent(url.split('?')[0].split('/').filter(Boolean).slice(-3).join('/')) || url;
		let bytes: Uint8Array;
		try {
			bytes = await this.#fetchBytes(url);
		} catch (e) {
			this.weightsNotice = `Could not download ${url}: ${errorText(e)}`;
			return false;
		}
		return this.#offer(bytes, name, 'url', null);
	}

	/** The bundled model's trained weights and meta (labels, normalisation). */
	async loadBundled(): Promise<boolean> {
		const b = this.bundled;
		const graph = this.graph;
		if (!b || !graph) return false;
		this.weightsNotice = '';
		try {
			const metaRes = await fetch(b.meta);
			if (!metaRes.ok) throw new Error(`${b.meta}: HTTP ${metaRes.status}`);
			const parsed = parseMeta(await metaRes.json(), graph.spec, `${b.name}/meta.json`);
			if (!parsed.ok) throw new Error(parsed.message);
			const bytes = await this.#fetchBytes(b.weights);
			if (this.graph !== graph) return false; // the architecture moved on meanwhile
			return this.#offer(bytes, `${b.name} (trained, bundled)`, 'bundled', parsed.meta);
		} catch (e) {
			this.weightsNotice = `Could not load the bundled ${b.name} weights: ${errorText(e)}. Using seeded random weights.`;
			this.useSeed(this.seed, false);
			return false;
		}
	}

	/**
	 * A dropped or picked file: a checkpoint (.safetensors / .pth …), an input tensor (a
	 * .safetensors holding only `input`, NCHW, normalised — as the CLI's --input-tensor) or an image.
	 */
	async takeFile(file: File): Promise<boolean> {
		if (!/\.(safetensors|pth|pt|ckpt|bin)$/i.test(file.name)) return this.setImageBlob(file, file.name);
		if (/\.safetensors$/i.test(file.name)) {
			try {
				const keys = [...parseSafetensors(new Uint8Array(await file.arrayBuffer())).keys()];
				if (keys.length === 1 && keys[0] === 'input') return this.setImageBlob(file, file.name);
			} catch {
				// not readable: loadFile says why
			}
		}
		return this.loadFile(file);
	}

	/** An image file, a pasted image, a sample URL, or an input tensor (.safetensors with `input`). */
	async setImageBlob(blob: Blob, name: string): Promise<boolean> {
		if (/\.safetensors$/i.test(name)) return this.#setTensor(blob, name);
		try {
			const rgba = await decodeImage(blob, name);
			this.image = { name, id: nextId('image'), rgba };
			this.imageError = '';
			this.input = null;
			this.#staleResults();
			return true;
		} catch (e) {
			this.imageError = errorText(e);
			return false;
		}
	}

	async #setTensor(blob: Blob, name: string): Promise<boolean> {
		let t: { shape: number[]; data: Float32Array } | undefined;
		try {
			t = parseSafetensors(new Uint8Array(await blob.arrayBuffer())).get('input');
		} catch (e) {
			this.imageError = `${name}: ${errorText(e)}`;
			return false;
		}
		if (!t || t.shape.length !== 4 || t.shape[0] !== 1) {
			this.imageError = `${name} has no tensor named "input" of shape [1, C, H, W]${t ? ` (got [${t.shape.join(', ')}])` : ''}`;
			return false;
		}
		this.image = { name, id: nextId('tensor'), rgba: tensorPicture(t.shape, t.data), tensor: t };
		this.imageError = '';
		this.input = null;
		this.#staleResults();
		return true;
	}

	async setImageUrl(url: string, name: string): Promise<boolean> {
		try {
			const res = await fetch(url);
			if (!res.ok) throw new Error(`HTTP ${res.status}`);
			return await this.setImageBlob(await res.blob(), name);
		} catch (e) {
			this.imageError = `Could not load ${name}: ${errorText(e)}`;
			return false;
		}
	}

	setInvert(v: boolean): void {
		this.invert = v;
		this.input = null;
		this.#staleResults();
	}

	#staleResults(): void {
		this.predictions = [];
		this.forwardMs = null;
		this.logits = null;
		this.lastRun = '';
		this.maps = null;
		this.mapsFor = null;
		this.channel = null;
		this.runError = '';
	}

	#weightSet(graph: BlockGraph): WeightSet {
		const w = this.weights;
		if (w.tensors) return { id: w.id, tensors: w.tensors };
		if (!this.#seeded || this.#seeded.graph !== graph || this.#seeded.seed !== this.seed)
			this.#seeded = { graph, seed: this.seed, tensors: initWeights(graph, this.seed) };
		return { id: `seed-${this.seed}`, tensors: this.#seeded.tensors };
	}

	#preprocessed(graph: BlockGraph): Preprocessed {
		if (this.input) return this.input;
		const t = this.image!.tensor;
		if (t) {
			const { channels: c, height: h, width: w } = graph.spec.input;
			if (t.shape[1] !== c || t.shape[2] !== h || t.shape[3] !== w)
				throw new Error(
					`${this.image!.name}: input is [${t.shape.join(', ')}] but this network takes [1, ${c}, ${h}, ${w}]`
				);
			const data = new Float32Array(c * h * w);
			for (let ch = 0; ch < c; ch++)
				for (let p = 0; p < h * w; p++) data[p * c + ch] = t.data[ch * h * w + p];
			this.input = { data, height: h, width: w, channels: c, display: this.image!.rgba };
			return this.input;
		}
		const meta = this.meta ?? defaultMeta(graph.spec, this.#imagenetClasses);
		const policy = policyFor(graph.spec.input, { ...meta.preprocess, invert: this.invert });
		this.input =
			meta.convert === 'garment'
				? preprocessGarment(this.image!.rgba, policy)
				: preprocess(this.image!.rgba, policy);
		return this.input;
	}

	/** Runs the network on the image; `selected` is tapped too. */
	async run(selected: string | null, extraTap?: string): Promise<void> {
		const graph = this.graph;
		if (!graph || this.running) return;
		this.running = true;
		this.runError = '';
		try {
			if (!this.backend) {
				this.status = 'Starting tfjs…';
				await this.startBackend(this.backendChoice);
			}
			if (!this.image) {
				this.status = 'Loading the sample image…';
				if (graph.spec.input.channels === 1)
					await this.setImageUrl(
						fashionSampleUrl(this.#base, DEFAULT_FASHION_SAMPLE),
						fashionSampleTitle(DEFAULT_FASHION_SAMPLE)
					);
				else await this.setImageUrl(`${this.#base}/samples/${SAMPLE_IMAGES[0].file}`, SAMPLE_IMAGES[0].title);
				if (!this.image) return;
			}
			this.status = this.weights.tensors ? 'Preparing…' : `Making seeded weights (seed ${this.seed})…`;
			await tick();
			const imageId = this.image.id;
			const weights = this.#weightSet(graph);
			const input = this.#preprocessed(graph);
			const runner = await this.#getRunner();
			const { tapsFor } = await import('$lib/runtime/runner');
			const taps = this.keepAll ? tapsFor(graph, selected) : selected ? [selected] : [];
			if (extraTap && !taps.includes(extraTap)) taps.push(extraTap);
			this.status = 'Running…';
			const r = await runner.run(
				graph,
				weights,
				{
					id: this.image.id,
					data: input.data,
					height: input.height,
					width: input.width,
					channels: input.channels
				},
				taps
			);
			// Another network or image arrived meanwhile: these results are not theirs.
			if (this.graph !== graph || this.image?.id !== imageId) return;
			this.predictions = topK(r.logits, 5, this.meta?.classes);
			this.forwardMs = r.forwardMs;
			this.logits = r.logits;
			this.lastRun = `${this.image.id}|${weights.id}`;
			this.status = '';
			if (selected) await this.showMaps(selected);
		} catch (e) {
			this.runError =
				e instanceof WeightsListError ? `The weights do not fit: ${e.errors.length} problems` : errorText(e);
			this.status = '';
		} finally {
			this.running = false;
		}
	}

	/**
	 * Shows a node's feature maps from the last forward; when that node's output was not kept
	 * (a raw convolution, or "keep every layer" off), runs the forward once more with it tapped.
	 */
	async showMaps(id: string | null): Promise<void> {
		if (!id || !this.lastRun || !this.image) {
			this.maps = null;
			this.mapsFor = id;
			return;
		}
		if (this.mapsFor === id && this.maps) return;
		const runner = await this.#getRunner();
		const [imageId, weightsId] = this.lastRun.split('|');
		if (!runner.hasTap(id, imageId, weightsId)) {
			if (this.running) return;
			await this.run(id, id);
			return;
		}
		this.mapsBusy = true;
		this.mapsError = '';
		try {
			const maps = await runner.featureMaps(id);
			this.maps = maps;
			this.mapsFor = id;
			// Open on the first channel, enlarged; keep the chosen one while it exists.
			if (maps && (this.channel === null || this.channel >= maps.channels)) this.channel = 0;
		} catch (e) {
			this.mapsError = errorText(e);
		} finally {
			this.mapsBusy = false;
		}
	}
}

/** Lets the browser paint (the status line) before a long synchronous step. */
function tick(): Promise<void> {
	return new Promise((r) => setTimeout(r, 0));
}
