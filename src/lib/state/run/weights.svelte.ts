/**
 * The network's weights: seeded He-normal (the default, made in the worker), a checkpoint file,
 * a URL (with download progress), or a bundled model's trained weights with its meta (labels,
 * normalisation). A checkpoint's bytes go to the worker, which parses and checks them against
 * the network; nothing is applied unless every tensor fits. Or a checkpoint opened as its own
 * network: the worker reads the architecture from it (`inferred`), and the page switches to it.
 */
import type { BlockGraph } from '$lib/arch';
import {
	bundledModel,
	defaultMeta,
	parseMeta,
	remoteMeta,
	type BundledModel,
	type ModelMeta,
	type RemoteWeights
} from '$lib/models/bundled';
import { IMAGENET_LABELS_PATH, parseLabels } from '$lib/models/labels';
import type { CheckpointNetwork, WeightProblem } from '$lib/runtime/protocol';
import type { ModelFiles } from './model-files';
import { errorText, type RuntimeClient } from './runtime.svelte';
import {
	cacheBytes,
	cachedBytes,
	clearCached,
	forgetCached,
	listCached,
	type CachedWeights
} from './weight-cache';

/** A meta.json picked or dropped with a checkpoint (its parsed JSON, checked by `parseMeta`). */
export type MetaFile = NonNullable<ModelFiles['meta']>;

/** Shown after the name of weights read from the browser's cache instead of the network. */
export const FROM_CACHE = " (from the browser's cache)";

export type WeightsKind = 'seed' | 'file' | 'url' | 'bundled';

export interface AppliedWeights {
	kind: WeightsKind;
	/** "seed 0", "resnet18.safetensors", "fashion-resnet (trained, bundled)". */
	label: string;
}

export interface Download {
	url: string;
	loaded: number;
	total: number | null;
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

/** A URL's last path parts, as a weights label. */
function urlName(url: string): string {
	return decodeURIComponent(url.split('?')[0].split('/').filter(Boolean).slice(-3).join('/')) || url;
}

export class WeightsSource {
	seed = $state(0);
	current = $state.raw<AppliedWeights>({ kind: 'seed', label: 'seed 0' });
	/** Problems with the last weights offered (nothing applied), and where they came from. */
	errors = $state.raw<WeightProblem[]>([]);
	errorSource = $state('');
	/** Something the user should know about the weights (a switch to seeded ones, a failed load). */
	notice = $state('');
	download = $state.raw<Download | null>(null);
	meta = $state.raw<ModelMeta | null>(null);
	invert = $state(false);
	/** The network read from the checkpoint in use (what was inferred, assumed, the mapping); null otherwise. */
	inferred = $state.raw<CheckpointNetwork | null>(null);
	/** Downloads kept in the browser (weight-cache.ts), newest first; `refreshCached` reads them. */
	cached = $state.raw<CachedWeights[]>([]);
	/** Why the cache could not be read or written (private browsing, quota); '' when it works. */
	cacheProblem = $state('');

	readonly #runtime: RuntimeClient;
	readonly #base: string;
	readonly #graph: () => BlockGraph;
	/** Told whenever the weights (or their meta) change: results are stale. */
	readonly #changed: () => void;
	#imagenetClasses: string[] | null = null;

	constructor(runtime: RuntimeClient, base: string, graph: () => BlockGraph, changed: () => void) {
		this.#runtime = runtime;
		this.#base = base;
		this.#graph = graph;
		this.#changed = changed;
	}

	/** The bundled model of a preset, if it is one. */
	bundledFor(presetName: string | null): BundledModel | null {
		return bundledModel(presetName, this.#base);
	}

	/**
	 * The network changed (another preset, an edit). Trained weights belong to their architecture:
	 * another preset, or an edit they no longer fit, switches to seeded weights with a notice.
	 * Resolves true when the preset's bundled weights should be loaded.
	 */
	async networkChanged(graph: BlockGraph, presetChanged: boolean, bundled: boolean): Promise<boolean> {
		this.errors = [];
		const remote = await this.#runtime.remote();
		const problems = await remote.setNetwork($state.snapshot(graph.spec), this.seed);
		if (bundled && (presetChanged || this.current.kind !== 'bundled')) return true;
		if (this.current.kind === 'bundled' && presetChanged) {
			const from = this.current.label;
			await this.useSeed(this.seed, false);
			this.notice = `The architecture changed, so the network now has seeded random weights (seed ${this.seed}) instead of ${from}. Choose that preset again to restore them.`;
		} else if (problems.length > 0) {
			const from = this.current.label;
			await this.useSeed(this.seed, false);
			this.notice = `The architecture changed: ${from} no longer fits (${problems.length} tensor${problems.length === 1 ? '' : 's'}), so the network now has seeded random weights (seed ${this.seed}).`;
		}
		if (this.current.kind === 'seed' || !this.meta)
			this.meta = defaultMeta(graph.spec, this.#imagenetClasses);
		this.invert = this.meta.preprocess.invert ?? false;
		void this.#loadImagenetClasses(graph);
		return false;
	}

	async #loadImagenetClasses(graph: BlockGraph): Promise<void> {
		if (this.#imagenetClasses || graph.spec.head.classes !== 1000) return;
		try {
			const res = await fetch(`${this.#base}/${IMAGENET_LABELS_PATH}`);
			const classes = res.ok ? parseLabels(await res.json()) : null;
			if (!classes || classes.length !== 1000) return;
			this.#imagenetClasses = classes;
			if (
				this.meta &&
				!this.meta.classes &&
				this.#graph().spec.head.classes === 1000 &&
				this.current.kind !== 'bundled'
			)
				this.meta = { ...this.meta, classes };
		} catch {
			// names are a nicety: outputs stay "class N"
		}
	}

	/** Seeded He-normal weights (the default). */
	async useSeed(seed: number, clearNotice = true): Promise<void> {
		const s = Number.isFinite(seed) ? Math.trunc(seed) : 0;
		this.seed = s;
		this.current = { kind: 'seed', label: `seed ${s}` };
		this.inferred = null;
		this.errors = [];
		if (clearNotice) this.notice = '';
		this.meta = defaultMeta(this.#graph().spec, this.#imagenetClasses);
		this.#changed();
		await (await this.#runtime.remote()).useSeed(s);
	}

	/** Offers a checkpoint's bytes to the worker (transferred); applied only when every tensor fits. */
	async #offer(
		bytes: Uint8Array,
		name: string,
		kind: WeightsKind,
		meta: ModelMeta | null,
		note = ''
	): Promise<boolean> {
		const graph = this.#graph();
		const { Comlink } = await import('$lib/runtime/client');
		let offer;
		try {
			offer = await (
				await this.#runtime.remote()
			).offerWeights(Comlink.transfer(bytes, [bytes.buffer]), name);
		} catch (e) {
			this.errors = [];
			this.notice = `${name}: ${errorText(e)}`;
			return false;
		}
		if (!offer.ok) {
			this.errors = offer.problems;
			this.errorSource = name;
			this.notice = '';
			return false;
		}
		const matched = offer.matched ? ` (${offer.matched} tensors matched by order and shape)` : '';
		this.current = { kind, label: `${name}${matched}${note}` };
		this.inferred = null;
		this.errors = [];
		this.notice = '';
		this.meta = meta ?? defaultMeta(graph.spec, this.#imagenetClasses);
		this.invert = this.meta.preprocess.invert ?? false;
		this.#changed();
		return true;
	}

	/**
	 * A checkpoint picked with the file picker (or dropped with a spec.json), onto the network on
	 * screen; with its meta.json, that meta's classes and normalisation. A meta that does not fit
	 * the network is refused before the weights are offered: nothing changes.
	 */
	async loadFile(file: File, metaFile: MetaFile | null = null): Promise<boolean> {
		this.notice = '';
		let meta: ModelMeta | null = null;
		if (metaFile) {
			const parsed = parseMeta(metaFile.json, this.#graph().spec, metaFile.name);
			if (!parsed.ok) return this.refuse(parsed.message);
			meta = parsed.meta;
		}
		let bytes: Uint8Array;
		try {
			bytes = new Uint8Array(await file.arrayBuffer());
		} catch (e) {
			this.notice = `${file.name}: ${errorText(e)}`;
			return false;
		}
		return this.#offer(bytes, file.name, 'file', meta, meta ? ` with ${metaFile!.name}` : '');
	}

	/** Files that cannot be used together: said so, and nothing changes. Resolves false. */
	refuse(message: string): false {
		this.errors = [];
		this.notice = message;
		return false;
	}

	/**
	 * A checkpoint opened as its own network: the worker reads the architecture and holds the
	 * weights. Resolves to the network to switch the explorer to, or null (the problem is shown).
	 */
	async openAsNetwork(
		source: File | string,
		metaFile: MetaFile | null = null
	): Promise<CheckpointNetwork | null> {
		this.notice = '';
		const url = typeof source === 'string' ? source : null;
		const name = url ? urlName(url) : (source as File).name;
		let opened;
		let note = '';
		try {
			let bytes: Uint8Array;
			if (url) {
				const got = await this.#fetchCached(url);
				bytes = got.bytes;
				if (got.fromCache) note = FROM_CACHE;
			} else bytes = new Uint8Array(await (source as File).arrayBuffer());
			const { Comlink } = await import('$lib/runtime/client');
			opened = await (
				await this.#runtime.remote()
			).openCheckpoint(Comlink.transfer(bytes, [bytes.buffer]), name, metaFile ?? undefined);
		} catch (e) {
			this.errors = [];
			this.notice = url ? `Could not download ${url}: ${errorText(e)}` : `${name}: ${errorText(e)}`;
			if (url) await this.forgetCached(url); // a file that cannot be opened is not kept
			return null;
		}
		if (!opened.ok && 'metaRefused' in opened) {
			this.refuse(opened.metaRefused);
			return null;
		}
		if (!opened.ok) {
			this.errors = opened.problems;
			this.errorSource = name;
			if (url) await this.forgetCached(url);
			return null;
		}
		if (metaFile) note += ` with ${metaFile.name}`;
		this.current = { kind: url ? 'url' : 'file', label: `${name}${note}` };
		this.inferred = opened.network;
		this.errors = [];
		this.meta = opened.meta ?? defaultMeta(opened.network.spec, this.#imagenetClasses);
		this.invert = this.meta.preprocess.invert ?? false;
		this.#changed();
		return opened.network;
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

	/**
	 * A URL's bytes from the browser's cache, else downloaded (with progress) and kept there. A
	 * cache that cannot be read or written is reported (cacheProblem), never in the way.
	 */
	async #fetchCached(url: string): Promise<{ bytes: Uint8Array; fromCache: boolean }> {
		try {
			const hit = await cachedBytes(url);
			if (hit) return { bytes: hit, fromCache: true };
		} catch (e) {
			this.cacheProblem = `The browser's cache could not be read: ${errorText(e)}`;
		}
		const bytes = await this.#fetchBytes(url);
		try {
			await cacheBytes(url, bytes); // before the bytes are transferred to the worker
			this.cacheProblem = '';
		} catch (e) {
			this.cacheProblem = `Not kept in the browser's cache: ${errorText(e)}`;
		}
		await this.refreshCached();
		return { bytes, fromCache: false };
	}

	/** Reads the list of cached downloads. */
	async refreshCached(): Promise<void> {
		try {
			this.cached = await listCached();
		} catch (e) {
			this.cached = [];
			this.cacheProblem = `The browser's cache could not be read: ${errorText(e)}`;
		}
	}

	/** Forgets one cached download, or all of them (url null). */
	async forgetCached(url: string | null): Promise<void> {
		try {
			await (url === null ? clearCached() : forgetCached(url));
		} catch (e) {
			this.cacheProblem = `The browser's cache could not be cleared: ${errorText(e)}`;
		}
		await this.refreshCached();
	}

	/**
	 * A checkpoint from a URL: from the browser's cache, else downloaded with progress. One-click
	 * ImageNet weights (`remote`) bring their preprocessing (timm's pretrained_cfg).
	 */
	async loadUrl(url: string, remote?: RemoteWeights): Promise<boolean> {
		this.notice = '';
		const name = urlName(url);
		let got: { bytes: Uint8Array; fromCache: boolean };
		try {
			got = await this.#fetchCached(url);
		} catch (e) {
			this.notice = `Could not download ${url}: ${errorText(e)}`;
			return false;
		}
		const meta = remote ? remoteMeta(remote, this.#graph().spec, this.#imagenetClasses) : null;
		const ok = await this.#offer(
			got.bytes,
			remote?.name ?? name,
			'url',
			meta,
			got.fromCache ? FROM_CACHE : ''
		);
		// A fresh download that was refused is not kept (an HTML error page, a broken file); a cached
		// one that does not fit this network may still fit another.
		if (!ok && !got.fromCache) await this.forgetCached(url);
		return ok;
	}

	/** A bundled model's trained weights and meta (labels, normalisation). */
	async loadBundled(b: BundledModel): Promise<boolean> {
		const graph = this.#graph();
		this.notice = '';
		try {
			const metaRes = await fetch(b.meta);
			if (!metaRes.ok) throw new Error(`${b.meta}: HTTP ${metaRes.status}`);
			const parsed = parseMeta(await metaRes.json(), graph.spec, `${b.name}/meta.json`);
			if (!parsed.ok) throw new Error(parsed.message);
			const bytes = await this.#fetchBytes(b.weights);
			if (this.#graph() !== graph) return false; // the architecture moved on meanwhile
			return await this.#offer(bytes, `${b.name} (trained, bundled)`, 'bundled', parsed.meta);
		} catch (e) {
			this.notice = `Could not load the bundled ${b.name} weights: ${errorText(e)}. Using seeded random weights.`;
			await this.useSeed(this.seed, false);
			return false;
		}
	}

	/** Weights trained in the page (the Train panel), with the meta of the data they learned. */
	async loadTrained(bytes: Uint8Array, name: string, meta: ModelMeta): Promise<boolean> {
		this.notice = '';
		return this.#offer(bytes, name, 'file', meta);
	}

	setInvert(v: boolean): void {
		this.invert = v;
		this.#changed();
	}
}
