/**
 * State of the Train panel (Svelte 5 runes): what to train (the network on screen, or a
 * comparison pair "plain-N vs resnet-N"), on what (the Fashion-MNIST subset, or the user's own
 * images in class buckets), how (epochs, batch, optimiser, learning rate and schedule), and the
 * run itself — the worker trains ($lib/runtime/worker-training.ts); this follows its events,
 * pauses, resumes and stops it, and afterwards makes the trained weights the live network's
 * (through the weights loader, like any checkpoint) and offers them as a download.
 * Pure parts: $lib/state/train-log.ts.
 */
import { tick } from 'svelte';
import { specsEqual, type ArchSpec } from '$lib/arch';
import { bundledModel, metaPolicy, parseMeta, type ModelMeta } from '$lib/models/bundled';
import { preprocessGarment } from '$lib/pixels/garment';
import { preprocess, type RgbaImage } from '$lib/pixels/preprocess';
import type {
	TrainConfig,
	TrainData,
	TrainEvent,
	TrainNetworkConfig,
	TrainResult
} from '$lib/runtime/protocol';
import {
	FASHION_DATA,
	heldOutSplit,
	nhwcToChw,
	ownImagesDataset,
	stepsPerEpoch,
	subset,
	type Dataset
} from '$lib/train/dataset';
import type { Schedule } from '$lib/train/schedule';
import type { Explorer } from './explorer.svelte';
import type { RunState } from './run.svelte';
import { decodeImage } from './run/image.svelte';
import { errorText } from './run/runtime.svelte';
import {
	FASHION_SHAPE,
	applyEvent,
	comparisonPair,
	dataMismatch,
	emptyLog,
	lastLosses,
	type PairDepth,
	type TrainLog
} from './train-log';

export type TrainTarget = 'screen' | 'pair';
export type TrainDataChoice = 'fashion' | 'own';
export type OptimizerKind = 'sgd' | 'adam';
export type ScheduleKind = Schedule['kind'];
/** idle: nothing yet; starting: data and networks being prepared; done: stopped or finished. */
export type TrainPhase = 'idle' | 'starting' | 'running' | 'paused' | 'stopping' | 'done' | 'error';

/** Training set sizes offered for the Fashion-MNIST subset (the test set is a fifth of it). */
export const FASHION_SIZES = [500, 2000, 10000] as const;

export interface OwnImageItem {
	name: string;
	rgba: RgbaImage;
}

export interface Bucket {
	name: string;
	images: OwnImageItem[];
}

/** A trained network, its weights and what a bundled model folder holds (DESIGN §3.6). */
export interface TrainedResult {
	label: string;
	spec: ArchSpec;
	bytes: Uint8Array;
	testAccuracy: number | null;
	meta: ModelMeta;
	/** meta.json as downloaded: classes, mean, std, testAccuracy, preprocess, training. */
	metaJson: Record<string, unknown>;
	reinitialised: string[];
}

const FASHION_META_SOURCE = 'fashion-resnet/meta.json';

export class TrainState {
	target = $state<TrainTarget>('screen');
	depth = $state<PairDepth>(20);
	data = $state<TrainDataChoice>('fashion');
	/** Training images of the Fashion-MNIST subset to use. */
	fashionSize = $state<number>(10000);
	/** The network on screen starts from its current weights ('live') or seeded ones. */
	init = $state<'live' | 'seed'>('live');
	epochs = $state(2);
	batch = $state(64);
	optimizer = $state<OptimizerKind>('sgd');
	lr = $state(0.1);
	momentum = $state(0.9);
	weightDecay = $state(1e-4);
	schedule = $state<ScheduleKind>('cosine');
	augment = $state(true);
	/** Own images: train only the head (the backbone frozen), or everything. */
	freeze = $state<'none' | 'backbone'>('backbone');
	seed = $state(0);
	buckets = $state<Bucket[]>([
		{ name: 'class 1', images: [] },
		{ name: 'class 2', images: [] }
	]);
	/** Why an image could not be added to a bucket. */
	bucketError = $state('');

	phase = $state<TrainPhase>('idle');
	error = $state('');
	log = $state.raw<TrainLog | null>(null);
	results = $state.raw<TrainedResult[]>([]);
	/** What happened to the trained weights ("now the live network's weights", or why not). */
	applied = $state('');
	/** Wall time and steps of the last run. */
	summary = $state.raw<{ seconds: number; steps: number; totalSteps: number; stopped: boolean } | null>(null);

	#labels: string[] = [];
	readonly #explorer: Explorer;
	readonly #run: RunState;
	readonly #base: string;

	constructor(explorer: Explorer, run: RunState, base = '') {
		this.#explorer = explorer;
		this.#run = run;
		this.#base = base;
	}

	/** The images a Start would train on: a comparison pair always trains on Fashion-MNIST. */
	get source(): TrainDataChoice {
		return this.target === 'pair' ? 'fashion' : this.data;
	}

	/** The networks a Start would train, with their labels. */
	get networks(): TrainNetworkConfig[] {
		if (this.target === 'pair')
			return comparisonPair(this.depth).map((p) => ({ ...p, init: 'seed' as const }));
		const spec = $state.snapshot(this.#explorer.graph.spec) as ArchSpec;
		const classes = this.source === 'own' ? this.buckets.length : spec.head.classes;
		return [
			{
				label: spec.name,
				spec: { ...spec, head: { ...spec.head, classes } },
				init: this.source === 'own' ? 'live' : this.init
			}
		];
	}

	/** Why the network on screen cannot train on the Fashion-MNIST subset (null: it can, or not asked). */
	get mismatch(): string | null {
		if (this.target !== 'screen' || this.data !== 'fashion') return null;
		return dataMismatch(this.#explorer.graph.spec, FASHION_SHAPE, 'Fashion-MNIST');
	}

	/** What keeps Start disabled, in words; '' when it can start. */
	get blocker(): string {
		if (this.mismatch) return this.mismatch;
		if (this.source === 'own') {
			if (this.buckets.length < 2) return 'Add two or more classes.';
			const empty = this.buckets.find((b) => b.images.length === 0);
			if (empty) return `Add images to "${empty.name}".`;
		}
		const bad = this.#badNumber();
		return bad ?? '';
	}

	#badNumber(): string | null {
		if (!(Number.isInteger(this.epochs) && this.epochs >= 1)) return 'Epochs must be a whole number ≥ 1.';
		if (!(Number.isInteger(this.batch) && this.batch >= 2))
			return 'The batch size must be a whole number ≥ 2.';
		if (!(this.lr > 0 && isFinite(this.lr))) return 'The learning rate must be a positive number.';
		if (!(this.momentum >= 0 && this.momentum < 1)) return 'Momentum must be in 0 … <1.';
		if (!(this.weightDecay >= 0 && isFinite(this.weightDecay))) return 'Weight decay must be ≥ 0.';
		return null;
	}

	get busy(): boolean {
		return (
			this.phase === 'starting' ||
			this.phase === 'running' ||
			this.phase === 'paused' ||
			this.phase === 'stopping'
		);
	}

	/** The last training loss of each network (null before its first step). */
	get lastLoss(): (number | null)[] {
		return this.log ? lastLosses(this.log).map((l) => (Number.isFinite(l) ? l : null)) : [];
	}

	/** Sets the network on screen to the subset's input and classes (the fix offered for a mismatch). */
	fitToFashion(): void {
		this.#explorer.update((s) => {
			s.input = {
				channels: FASHION_SHAPE.channels,
				height: FASHION_SHAPE.height,
				width: FASHION_SHAPE.width
			};
			s.head.classes = FASHION_SHAPE.classes;
		});
	}

	/** One click: a comparison pair with the paper's settings (SGD 0.1, momentum 0.9, wd 1e-4). */
	setUpPair(depth: PairDepth): void {
		this.target = 'pair';
		this.depth = depth;
		this.data = 'fashion';
		this.optimizer = 'sgd';
		this.lr = 0.1;
		this.momentum = 0.9;
		this.weightDecay = 1e-4;
		this.augment = true;
	}

	setOptimizer(kind: OptimizerKind): void {
		this.optimizer = kind;
		this.lr = kind === 'adam' ? 0.001 : 0.1;
	}

	// -------------------------------------------------------------- own images

	addBucket(): void {
		this.buckets = [...this.buckets, { name: `class ${this.buckets.length + 1}`, images: [] }];
	}

	removeBucket(i: number): void {
		this.buckets = this.buckets.filter((_, k) => k !== i);
	}

	renameBucket(i: number, name: string): void {
		this.buckets[i].name = name;
	}

	clearBucket(i: number): void {
		this.buckets[i].images = [];
	}

	/** Image files dropped or picked for a bucket (other files are named in `bucketError`). */
	async addImages(i: number, files: readonly File[]): Promise<number> {
		const added: OwnImageItem[] = [];
		const refused: string[] = [];
		for (const f of files) {
			if (f.type && !f.type.startsWith('image/')) {
				refused.push(f.name);
				continue;
			}
			try {
				added.push({ name: f.name, rgba: await decodeImage(f, f.name) });
			} catch {
				refused.push(f.name);
			}
		}
		if (this.buckets[i]) this.buckets[i].images = [...this.buckets[i].images, ...added];
		this.bucketError = refused.length ? `Not images this browser can read: ${refused.join(', ')}` : '';
		return added.length;
	}

	// -------------------------------------------------------------- the run

	#config(networks: TrainNetworkConfig[], data: TrainData, totalImages: number): TrainConfig {
		const optimizer: TrainConfig['optimizer'] =
			this.optimizer === 'sgd'
				? { kind: 'sgd', lr: this.lr, momentum: this.momentum, weightDecay: this.weightDecay }
				: { kind: 'adam', lr: this.lr, betas: [0.9, 0.999], eps: 1e-8, weightDecay: this.weightDecay };
		const total = stepsPerEpoch(totalImages, this.batch) * this.epochs;
		const schedule: Schedule =
			this.schedule === 'step'
				? { kind: 'step', milestones: [Math.round(total * 0.5), Math.round(total * 0.75)], gamma: 0.1 }
				: { kind: this.schedule };
		const freeze = this.source === 'own' ? this.freeze : 'none';
		return {
			networks,
			data,
			epochs: this.epochs,
			batch: this.batch,
			optimizer,
			schedule,
			freeze,
			augment: this.augment,
			seed: this.seed
		};
	}

	/** The Fashion-MNIST meta of the bundled model: classes, mean and std (the data's normalisation). */
	async #fashionMeta(spec: ArchSpec): Promise<ModelMeta> {
		const url = bundledModel('fashion-resnet', this.#base)!.meta;
		const res = await fetch(url);
		if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
		const parsed = parseMeta(await res.json(), spec, FASHION_META_SOURCE);
		if (!parsed.ok) throw new Error(parsed.message);
		return parsed.meta;
	}

	/** The user's images, preprocessed for `spec` as the Run panel would, split for testing. */
	#ownData(spec: ArchSpec, meta: ModelMeta): { train: Dataset; test: Dataset } {
		const policy = { ...metaPolicy(spec, meta), invert: this.#run.weights.invert };
		const { channels, height, width } = spec.input;
		const images = this.buckets.flatMap((b, label) =>
			b.images.map((im) => {
				const p =
					meta.convert === 'garment' ? preprocessGarment(im.rgba, policy) : preprocess(im.rgba, policy);
				return { label, chw: nhwcToChw(p.data, p.height, p.width, p.channels) };
			})
		);
		const all = ownImagesDataset(images, this.buckets.length, { channels, height, width });
		const split = heldOutSplit(all.labels);
		return { train: subset(all, split.train), test: subset(all, split.test) };
	}

	async start(): Promise<void> {
		if (this.busy) return;
		const blocker = this.blocker;
		if (blocker) {
			this.error = blocker;
			this.phase = 'error';
			return;
		}
		const networks = this.networks;
		const target = this.target;
		const screenSpec = $state.snapshot(this.#explorer.graph.spec) as ArchSpec;
		this.phase = 'starting';
		this.error = '';
		this.applied = '';
		this.results = [];
		this.summary = null;
		this.log = emptyLog(
			networks.map((n) => n.label),
			0
		);
		this.#labels = networks.map((n) => n.label);
		try {
			await this.#run.runtime.ensureStarted();
			let data: TrainData;
			let meta: ModelMeta;
			let images: number;
			if (this.source === 'fashion') {
				meta = await this.#fashionMeta(networks[0].spec);
				// The worker resolves nothing against the page: it gets absolute URLs of the page's origin.
				const dir = `${location.origin}${this.#base}/`;
				const test = Math.max(100, Math.round(this.fashionSize / 5));
				data = {
					kind: 'fashion',
					trainUrl: dir + FASHION_DATA.train,
					testUrl: dir + FASHION_DATA.test,
					mean: meta.preprocess.mean!,
					std: meta.preprocess.std!,
					limit: { train: this.fashionSize, test }
				};
				images = this.fashionSize;
			} else {
				const live = this.#run.weights.meta;
				const classes = this.buckets.map((b) => b.name.trim() || 'unnamed');
				meta = { ...(live ?? { preprocess: {} }), classes, source: 'your images', testAccuracy: undefined };
				const own = this.#ownData(networks[0].spec, meta);
				data = { kind: 'arrays', ...own };
				images = own.train.count;
			}
			const remote = await this.#run.runtime.remote();
			const { Comlink } = await import('$lib/runtime/client');
			const transfers =
				data.kind === 'arrays'
					? [data.train, data.test].flatMap((d) => [d.labels.buffer, d.pixels.data.buffer] as ArrayBuffer[])
					: [];
			const config = this.#config(networks, data, images);
			this.log = emptyLog(this.#labels, stepsPerEpoch(images, config.batch) * config.epochs);
			if (this.#stopAsked()) return this.#unchanged(); // Stop while the data was prepared
			this.phase = 'running';
			const result = await remote.startTraining(
				Comlink.transfer(config, transfers),
				Comlink.proxy((e: TrainEvent) => this.#event(e))
			);
			if (result.steps === 0) return this.#unchanged();
			this.#finish(result, meta, config);
			if (target === 'screen' && specsEqual(screenSpec, this.#explorer.graph.spec)) await this.use(0);
			else if (target === 'screen')
				this.applied =
					'The network on screen changed during training: use "Use in the explorer" to load the trained one.';
		} catch (e) {
			this.error = errorText(e);
			this.phase = 'error';
		}
	}

	/** Whether Stop was pressed (read after awaits; the phase may have changed meanwhile). */
	#stopAsked(): boolean {
		return this.phase === 'stopping';
	}

	/** Stopped before the first step: nothing trained, nothing applied. */
	#unchanged(): void {
		this.phase = 'done';
		this.applied = 'Stopped before the first step: the weights are unchanged.';
	}

	/** The worker's news; the phase follows the user's buttons, the status line the worker. */
	#event(e: TrainEvent): void {
		if (this.log) this.log = applyEvent(this.log, e);
	}

	#finish(result: TrainResult, meta: ModelMeta, config: TrainConfig): void {
		this.summary = {
			seconds: result.seconds,
			steps: result.steps,
			totalSteps: result.totalSteps,
			stopped: result.stopped
		};
		this.results = result.networks.map((n) => {
			const policy = metaPolicy(n.spec, meta);
			const training = {
				data: this.source === 'fashion' ? FASHION_DATA.description : 'your images',
				steps: result.steps,
				epochs: result.steps / Math.max(1, result.totalSteps / config.epochs),
				batch: config.batch,
				optimizer: config.optimizer,
				schedule: config.schedule,
				freeze: config.freeze,
				augmentation:
					config.augment && config.freeze === 'none' ? 'random crop (2 px padding), horizontal flip' : 'none',
				seed: config.seed,
				seconds: Math.round(result.seconds)
			};
			const metaJson: Record<string, unknown> = {
				name: n.spec.name,
				description: `${n.label} trained in the page (ResNet Explorer's Train panel)`,
				classes: meta.classes ?? undefined,
				mean: policy.mean,
				std: policy.std,
				...(n.testAccuracy !== null ? { testAccuracy: n.testAccuracy } : {}),
				preprocess: {
					resize: policy.resize,
					invert: policy.invert,
					...(meta.convert ? { convert: meta.convert } : {})
				},
				training
			};
			const trainedMeta: ModelMeta = {
				...meta,
				preprocess: { ...meta.preprocess, mean: policy.mean, std: policy.std },
				source: `${n.label}, trained here`,
				testAccuracy: n.testAccuracy ?? undefined
			};
			return {
				label: n.label,
				spec: n.spec,
				bytes: n.weights,
				testAccuracy: n.testAccuracy,
				meta: trainedMeta,
				metaJson,
				reinitialised: n.reinitialised
			};
		});
		this.phase = 'done';
	}

	/**
	 * Makes result `i` the live network: its spec on screen (when another) and its weights
	 * loaded, then a run so that predictions, feature maps and explanations use them.
	 */
	async use(i: number): Promise<boolean> {
		const r = this.results[i];
		if (!r) return false;
		if (!specsEqual(r.spec, this.#explorer.graph.spec)) {
			this.#explorer.setSpec(r.spec);
			await tick();
			await this.#run.settled();
		}
		const acc = r.testAccuracy === null ? '' : `, test accuracy ${(r.testAccuracy * 100).toFixed(1)} %`;
		const ok = await this.#run.weights.loadTrained(r.bytes.slice(), `${r.label} trained here${acc}`, r.meta);
		this.applied = ok
			? `${r.label}'s trained weights are now the live network's weights.`
			: `The trained weights could not be loaded: ${this.#run.weights.errors.map((e) => e.message).join('; ')}`;
		if (ok) void this.#run.run();
		return ok;
	}

	async pause(): Promise<void> {
		if (this.phase !== 'running') return;
		this.phase = 'paused';
		await (await this.#run.runtime.remote()).pauseTraining();
	}

	async resume(): Promise<void> {
		if (this.phase !== 'paused') return;
		this.phase = 'running';
		await (await this.#run.runtime.remote()).resumeTraining();
	}

	async stop(): Promise<void> {
		if (!this.busy) return;
		this.phase = 'stopping';
		await (await this.#run.runtime.remote()).stopTraining();
	}
}
