/**
 * State of the "Run it live" panel (Svelte 5 runes). The network comes from the explorer (its
 * graph, preset and selection); the work runs in the inference worker. The pieces:
 * - `runtime` (run/runtime.svelte.ts): the worker, its backend, progress and request generations;
 * - `weights` (run/weights.svelte.ts): seeded, file, URL or bundled weights, with their meta;
 * - `image` (run/image.svelte.ts): the picture or input tensor, and its preprocessed input;
 * - `maps` (run/maps.svelte.ts): the feature maps of the selected node;
 * - `explain` (run/explain.svelte.ts): "Why this prediction?" — Grad-CAM, saliency, occlusion;
 * - `profile` (run/profile.svelte.ts): each node's measured time on the active backend;
 * and here: the results of the last forward pass, and the flow that ties them together.
 */
import { tick, untrack } from 'svelte';
import { specsEqual, type BlockGraph } from '$lib/arch';
import { parseMeta, SAMPLE_IMAGES } from '$lib/models/bundled';
import { DEFAULT_FASHION_SAMPLE, fashionSampleTitle, fashionSampleUrl } from '$lib/models/fashion';
import { topK, type Prediction } from '$lib/models/labels';
import type { RunRequest } from '$lib/runtime/protocol';
import type { Explorer } from './explorer.svelte';
import { ExplainState } from './run/explain.svelte';
import { ImageSource } from './run/image.svelte';
import { ProfileState } from './run/profile.svelte';
import { FeatureMapState, mapTarget } from './run/maps.svelte';
import { RuntimeClient, errorText } from './run/runtime.svelte';
import { CHECKPOINT_FILE, sortModelFiles } from './run/model-files';
import { WeightsSource, type MetaFile } from './run/weights.svelte';

export class RunState {
	readonly runtime = new RuntimeClient();
	readonly image = new ImageSource();
	readonly maps = new FeatureMapState();
	readonly weights: WeightsSource;
	readonly explain: ExplainState;
	readonly profile: ProfileState;

	running = $state(false);
	/** What the page is doing before the worker takes over ("Loading the sample image"). */
	#step = $state('');
	runError = $state('');
	predictions = $state.raw<Prediction[]>([]);
	forwardMs = $state<number | null>(null);
	/** The raw logits of the last forward. */
	logits = $state.raw<Float32Array | null>(null);
	/** Keep every layer's output of a forward (instant feature maps) or only the selected one. */
	keepAll = $state(true);
	/** Key of the outputs kept by the last successful forward, or '' when stale. */
	lastRun = $state('');
	/** How many runs have finished with a result (the page shows it as `data-runs`, for scripts). */
	finished = $state(0);

	readonly #explorer: Explorer;
	readonly #base: string;
	#network: Promise<void> = Promise.resolve();
	#autoRan = false;

	/** Made while a component initialises: it follows the explorer's network and selection. */
	constructor(explorer: Explorer, base = '') {
		this.#explorer = explorer;
		this.#base = base;
		this.explain = new ExplainState(this);
		this.profile = new ProfileState(this);
		this.weights = new WeightsSource(
			this.runtime,
			base,
			() => this.graph,
			() => {
				this.profile.clear(); // measured with other weights
				this.#rerun();
			}
		);
		this.runtime.onchange = () => {
			this.profile.clear(); // measured on another backend
			this.#rerun();
		};
		let previous: { graph: BlockGraph; preset: string | null } | null = null;
		$effect(() => {
			const graph = explorer.graph;
			const preset = explorer.presetName;
			if (previous?.graph === graph) return;
			const presetChanged = previous === null || previous.preset !== preset;
			previous = { graph, preset };
			untrack(() => (this.#network = this.#networkChanged(graph, preset, presetChanged)));
		});
		$effect(() => {
			const target = this.target;
			untrack(() => {
				if (this.lastRun) void this.showMaps(target);
			});
		});
	}

	get graph(): BlockGraph {
		return this.#explorer.graph;
	}

	get presetName(): string | null {
		return this.#explorer.presetName;
	}

	/** Resolves when the worker has the network on screen (after an edit: once it was sent). */
	settled(): Promise<void> {
		return this.#network;
	}

	/** The node or group picked in the diagram or the layer table. */
	get selectedId(): string | null {
		return this.#explorer.selectedId;
	}

	select(id: string): void {
		this.#explorer.selectedId = id;
	}

	/** The node whose feature maps the selection stands for (a group's output), or null. */
	readonly target: string | null = $derived.by(() => mapTarget(this.graph, this.selectedId));

	/** The bundled model of the current preset, if it is one. */
	get bundled() {
		return this.weights.bundledFor(this.presetName);
	}

	/** The status line: the page's own step, else the worker's progress on the current request. */
	get status(): string {
		if (this.#step) return `${this.#step}…`;
		const p = this.runtime.progress;
		if (!this.running || !p) return this.running ? 'Running…' : '';
		return p.total ? `${p.text}: ${p.done} / ${p.total}…` : `${p.text}…`;
	}

	async #networkChanged(graph: BlockGraph, preset: string | null, presetChanged: boolean): Promise<void> {
		this.profile.clear();
		this.#supersede(); // whatever ran for the old network is superseded
		const bundled = this.weights.bundledFor(preset);
		let load: boolean;
		try {
			load = await this.weights.networkChanged(graph, presetChanged, bundled !== null);
		} catch (e) {
			this.runError = errorText(e);
			return;
		}
		if (!load || !bundled || this.graph !== graph) return;
		const ok = await this.weights.loadBundled(bundled);
		// Open on a result: the first time a bundled model's trained weights are in (the page opens
		// on fashion-resnet), classify its default sample and show the first convolution's maps.
		if (ok && !this.#autoRan && this.graph === graph) {
			this.#autoRan = true;
			if (!this.selectedId) {
				this.explain.skipSelection('conv1'); // Grad-CAM stays on its default, the last block
				this.select('conv1');
			}
			void this.run();
		}
	}

	/**
	 * What is in flight was asked of another network, weights or backend: it is superseded (its
	 * answer would be drawn as if it came from the new ones), and results are stale.
	 */
	#supersede(): void {
		this.runtime.next();
		this.running = false;
		this.#step = '';
		this.#stale();
	}

	/**
	 * The weights or the backend changed: a run in flight is superseded and asked again of the new
	 * ones (the user asked for a result; it must not be the old weights'), other results go stale.
	 */
	#rerun(): void {
		const asked = this.running;
		this.#supersede();
		if (asked) void this.run();
	}

	/** The default image's load in flight (shared by the runs that wait for it). */
	#defaultLoad: { url: string; done: Promise<boolean> } | null = null;

	/** Results, kept outputs and the input no longer match what is chosen. */
	#stale(): void {
		if (this.runtime.failure) {
			// Nothing will answer: say why instead of waiting.
			this.running = false;
			this.#step = '';
		}
		this.predictions = [];
		this.forwardMs = null;
		this.logits = null;
		this.lastRun = '';
		this.runError = '';
		this.maps.clear();
		this.explain.clear();
		this.image.invalidate();
	}

	/**
	 * Loads the default image for `graph`'s input. A run asked again while the load is in flight
	 * (a superseded run's rerun) waits for the same load: a second load finishing later would reset
	 * the input that the newer run has made.
	 */
	async #defaultImage(graph: BlockGraph): Promise<boolean> {
		this.#step = 'Loading the sample image';
		const [url, title] =
			graph.spec.input.channels === 1
				? [fashionSampleUrl(this.#base, DEFAULT_FASHION_SAMPLE), fashionSampleTitle(DEFAULT_FASHION_SAMPLE)]
				: [`${this.#base}/samples/${SAMPLE_IMAGES[0].file}`, SAMPLE_IMAGES[0].title];
		if (this.#defaultLoad?.url !== url) {
			const done = this.image.setUrl(url, title).finally(() => {
				if (this.#defaultLoad?.done === done) this.#defaultLoad = null;
			});
			this.#defaultLoad = { url, done };
		}
		return this.#defaultLoad.done;
	}

	/**
	 * Runs the network on the image, keeping the selection's output (and, with `keepAll`, every
	 * cheap node's). Supersedes any run in progress; its results are dropped.
	 */
	async run(): Promise<void> {
		const gen = this.runtime.next();
		const graph = this.graph;
		const current = () => this.runtime.isCurrent(gen) && this.graph === graph;
		this.running = true;
		this.runError = '';
		try {
			const input = await this.netInput(gen);
			if (!input || !current()) return;
			const target = this.target;
			const remote = await this.runtime.remote();
			const { Comlink } = await import('$lib/runtime/client');
			const r = await remote.run(
				Comlink.transfer(
					{ gen, inputId: this.image.inputId, input, selected: target, keepAll: this.keepAll },
					[input.data.buffer]
				)
			);
			if (r.cancelled || !current()) return;
			this.predictions = topK(r.logits, 5, this.weights.meta?.classes);
			this.forwardMs = r.forwardMs;
			this.logits = r.logits;
			this.lastRun = r.key;
			this.finished++;
			this.running = false;
			await this.showMaps(this.target);
		} catch (e) {
			if (current()) this.runError = errorText(e);
		} finally {
			if (this.runtime.isCurrent(gen)) {
				this.running = false;
				this.#step = '';
			}
		}
	}

	/**
	 * The network's input for the current image (the default image when none yet), once the
	 * network is set and the backend started: a copy the caller may transfer. Null when request
	 * `gen` was superseded meanwhile.
	 */
	async netInput(gen: number): Promise<RunRequest['input'] | null> {
		const graph = this.graph;
		const current = () => this.runtime.isCurrent(gen) && this.graph === graph;
		if (this.runtime.failure) throw new Error(this.runtime.failure);
		await this.#network;
		if (!current()) return null;
		if (!this.runtime.info) {
			this.#step = 'Starting tfjs';
			await this.runtime.ensureStarted();
		}
		if (!this.image.image && !(await this.#defaultImage(graph))) return null;
		this.#step = '';
		if (!current()) return null;
		const x = this.image.preprocessed(graph, this.weights.meta, this.weights.invert);
		return { data: x.data.slice(), height: x.height, width: x.width, channels: x.channels };
	}

	/** Stops waiting for the current run: its results will be dropped. */
	cancel(): void {
		this.runtime.next();
		this.running = false;
		this.#step = '';
	}

	/**
	 * Shows a node's feature maps from the last forward; when that node's output was not kept (a
	 * raw convolution, or "keep layer outputs" off), runs the forward once more with it kept.
	 */
	async showMaps(target: string | null): Promise<void> {
		if (!target || !this.lastRun) {
			this.maps.clear();
			return;
		}
		if (this.running) return; // the run reads the selection's maps when it ends
		const kept = await this.maps.read(await this.runtime.remote(), target, this.lastRun);
		if (!kept && this.target === target && !this.running) await this.run();
	}

	/** A dropped, picked or pasted file: a checkpoint, an input tensor or an image. */
	async takeFile(file: File): Promise<boolean> {
		if (!CHECKPOINT_FILE.test(file.name)) return this.setImage(file, file.name);
		if (/\.safetensors$/i.test(file.name) && (await safetensorsKeys(file)).join() === 'input')
			return this.setImage(file, file.name);
		return this.openCheckpoint(file);
	}

	/**
	 * Files dropped or picked together: a trained model's checkpoint with its meta.json (classes,
	 * normalisation) and spec.json (architecture), as the Train panel downloads them. A spec.json
	 * switches the network to it and the checkpoint goes onto it; without one the checkpoint goes
	 * onto the network on screen (`onto`: the weights picker) or opens as its own network (a drop).
	 * A single non-JSON file is `takeFile`'s. When any file is refused, nothing changes.
	 */
	async takeFiles(files: File[], onto: boolean): Promise<boolean> {
		if (files.length === 0) return false;
		if (files.length === 1 && !/\.json$/i.test(files[0].name))
			return onto ? this.weights.loadFile(files[0]) : this.takeFile(files[0]);
		const sorted = await sortModelFiles(files);
		if (!sorted.ok) return this.weights.refuse(sorted.message);
		const { checkpoint, meta, spec } = sorted.files;
		if (spec) {
			if (meta) {
				const fits = parseMeta(meta.json, spec.spec, meta.name);
				if (!fits.ok) return this.weights.refuse(fits.message);
			}
			if (!specsEqual(spec.spec, this.#explorer.graph.spec)) {
				this.#explorer.setSpec(spec.spec);
				await tick();
				await this.settled();
			}
			return checkpoint ? this.weights.loadFile(checkpoint, meta) : true;
		}
		if (!checkpoint) return false; // sortModelFiles refuses a meta.json alone
		return onto ? this.weights.loadFile(checkpoint, meta) : this.openCheckpoint(checkpoint, meta);
	}

	/** A checkpoint (file or URL) as its own network: the explorer switches to the architecture read from it. */
	async openCheckpoint(source: File | string, meta: MetaFile | null = null): Promise<boolean> {
		const network = await this.weights.openAsNetwork(source, meta);
		if (network) this.#explorer.setSpec(network.spec);
		return network !== null;
	}

	/** A new image (file, paste, drop): shown and run at once. */
	async setImage(blob: Blob, name: string): Promise<boolean> {
		const ok = await this.image.setBlob(blob, name);
		if (ok) this.#imageChanged();
		return ok;
	}

	/** A sample image: shown and run at once. */
	async pickSample(url: string, name: string): Promise<boolean> {
		const ok = await this.image.setUrl(url, name);
		if (ok) this.#imageChanged();
		return ok;
	}

	#imageChanged(): void {
		this.#stale();
		void this.run();
	}
}

/** The tensor names in a .safetensors file, from its header alone (never the whole file). */
async function safetensorsKeys(file: Blob): Promise<string[]> {
	try {
		const head = new DataView(await file.slice(0, 8).arrayBuffer());
		const n = Number(head.getBigUint64(0, true));
		if (n <= 0 || n > 100e6 || 8 + n > file.size) return [];
		const header = JSON.parse(await file.slice(8, 8 + n).text()) as Record<string, unknown>;
		return Object.keys(header).filter((k) => k !== '__metadata__');
	} catch {
		return []; // not readable: the weights loader says why
	}
}
