/**
 * What the page and the inference worker ($lib/runtime/worker.ts) say to each other, through
 * comlink. Types only: importing this file loads no tfjs. Buffers travel as transfers, never
 * copies (the weights' bytes, the input, the logits, the feature maps).
 */
import type { ArchSpec } from '../arch/spec';
import type { ModelMeta } from '../models/bundled';
import type { FeatureMaps } from '../pixels/colourmaps';
import type { Dataset } from '../train/dataset';
import type { Schedule } from '../train/schedule';
import type { BackendChoice, BackendInfo } from './backend';
import type { Profile } from './profile';
import type { TrainOptions } from './train';

export type { BackendChoice, BackendInfo, BackendName } from './backend';

/** A tensor of the offered weights that does not fit (or a file that is not weights at all). */
export interface WeightProblem {
	/** The tensor's name, or '' for a problem with the whole file. */
	tensor: string;
	message: string;
}

/** A run's steps, for the progress line. */
export type RunPhase = 'weights' | 'upload' | 'forward' | 'maps' | 'explain' | 'profile';

export interface Progress {
	/** The request it belongs to (see `RunRequest.gen`). */
	gen: number;
	phase: RunPhase;
	/** "Uploading weights", "Running"… */
	text: string;
	done?: number;
	total?: number;
}

export interface RunRequest {
	/**
	 * The request's generation: a later one supersedes it (the worker skips a superseded request
	 * at its next step and answers `{ cancelled: true }`).
	 */
	gen: number;
	/** Names this input (with the weights' id, the key of the kept outputs). */
	inputId: string;
	/** NHWC float32, one image, normalised. */
	input: { data: Float32Array; height: number; width: number; channels: number };
	/** A node whose output must be kept (the selection, resolved from a group to its output). */
	selected: string | null;
	/** Keep every cheap node's output (instant feature maps), or only `selected`'s. */
	keepAll: boolean;
}

export type RunReply =
	| { cancelled: true }
	| {
			cancelled: false;
			logits: Float32Array;
			forwardMs: number;
			/** Key of the kept outputs (input and weights): pass it back to `featureMaps`. */
			key: string;
			tapped: string[];
			/** True when the weights were uploaded for this run. */
			compiled: boolean;
	  };

/**
 * What an explanation computes (exact definitions: README "Explanations"). y_K is the logit
 * (pre-softmax) of the explained class K, p_K its softmax probability.
 * - gradcam: A = `node`'s output (a node id, or a group id meaning its output); values =
 *   ReLU(Σ_c α_c A_c), α_c = mean over H,W of ∂y_K/∂A_c, at A's resolution, not normalised.
 * - saliency: max over input channels of |∂y_K/∂x|, the input's H × W.
 * - smoothgrad: max over channels of |mean over `samples` noisy copies of ∂y_K/∂x|, noise
 *   N(0, σ²) per element with σ = `sigma`·(max(x) − min(x)), drawn from `seed`.
 * - occlusion: p_K(x) − p_K(x with a patch×patch square set to 0), the square moved by `stride`;
 *   a grid of ⌊(H − patch)/stride⌋ + 1 rows × ⌊(W − patch)/stride⌋ + 1 columns.
 */
export type ExplainMethod =
	| { kind: 'gradcam'; node: string }
	| { kind: 'saliency' }
	| { kind: 'smoothgrad'; samples: number; sigma: number; seed: number }
	| { kind: 'occlusion'; patch: number; stride: number };

export interface ExplainRequest {
	/** As `RunRequest.gen`: a later generation supersedes it (checked between batches). */
	gen: number;
	inputId: string;
	input: RunRequest['input'];
	method: ExplainMethod;
	/** The class explained; null: the top-1 class. */
	classIndex: number | null;
}

export type ExplainReply =
	| { cancelled: true }
	| {
			cancelled: false;
			method: ExplainMethod['kind'];
			/** The node explained (a group resolved to its output node); null unless gradcam. */
			node: string | null;
			classIndex: number;
			height: number;
			width: number;
			/** Row-major height × width (transferred). */
			values: Float32Array;
			ms: number;
	  };

// --- profile (issue 15) ---

export interface ProfileRequest {
	/** As `RunRequest.gen`: a later generation supersedes it (checked between runs). */
	gen: number;
	input: RunRequest['input'];
	/** Measured runs, after one warm-up (progress phase 'profile', done/total). */
	runs: number;
}

/** Per-node times on the worker's backend ($lib/runtime/profile.ts: how they are measured). */
export type ProfileReply = { cancelled: true } | ({ cancelled: false } & Profile);

// --- end profile ---

/** `matched`: how many tensors were matched by order and shape (names other than the graph's). */
export type WeightsOffer = { ok: true; matched?: number } | { ok: false; problems: WeightProblem[] };

/** The network a checkpoint holds, read from its tensors (DESIGN §3.4's `spec`, `assumed`, `mapping`). */
export interface CheckpointNetwork {
	spec: ArchSpec;
	assumed: { path: string; value: unknown; reason: string }[];
	/** [sourceKey, nodeKey, shape], in the file's order; null when the names are torchvision's. */
	mapping: [string, string, number[]][] | null;
	/** Tensors the network does not use. */
	extras: string[];
	/** The dict of a training checkpoint that held the network (null: the file itself), the prefix stripped. */
	dict: string | null;
	prefix: string;
}

export type CheckpointOpened =
	| { ok: true; network: CheckpointNetwork; meta: ModelMeta | null }
	| { ok: false; problems: WeightProblem[] }
	/** The checkpoint reads, but the meta.json given with it does not describe its network. */
	| { ok: false; metaRefused: string };

export interface RuntimeApi extends TrainingApi {
	/** Where progress and a lost GPU device are reported (callbacks wrapped with `Comlink.proxy`). */
	listen(onProgress: (p: Progress) => void, onLost: (message: string) => void): void;
	/** Starts (or switches to) a backend, falling back in `auto`'s order; never throws. */
	start(choice: BackendChoice): Promise<{ info: BackendInfo; notices: string[] }>;
	/**
	 * The network to run. The weights held are kept when they still fit, else replaced by seeded
	 * ones (`fallbackSeed`); the answer lists what did not fit (empty when nothing changed).
	 */
	setNetwork(spec: ArchSpec, fallbackSeed: number): Promise<WeightProblem[]>;
	/** Seeded He-normal weights, made in the worker for each network (nothing travels). */
	useSeed(seed: number): Promise<void>;
	/**
	 * A checkpoint's bytes (transferred): applied only when every tensor fits the network, by name
	 * or, for other names, by order and shape.
	 */
	offerWeights(bytes: Uint8Array, name: string): Promise<WeightsOffer>;
	/**
	 * A checkpoint's bytes (transferred) as its own network: the architecture is read from the
	 * tensors, which become the weights held for it. The page then sets that spec (`setNetwork`).
	 * With a meta.json's JSON, the meta is checked against the network read before anything is
	 * held: one that does not fit (channels, classes) refuses the whole open, naming its field.
	 */
	openCheckpoint(
		bytes: Uint8Array,
		name: string,
		meta?: { name: string; json: unknown }
	): Promise<CheckpointOpened>;
	/** Requests of an earlier generation than `gen` are skipped at their next step. */
	supersede(gen: number): void;
	run(request: RunRequest): Promise<RunReply>;
	/**
	 * An explanation of the current network on this input (progress phase 'explain', with
	 * done/total for smoothgrad and occlusion). Throws for an unknown node or class out of range.
	 */
	explain(request: ExplainRequest): Promise<ExplainReply>;
	/** A kept output's feature maps (pixels transferred); null when not kept under `key`. */
	featureMaps(id: string, key: string): Promise<FeatureMaps | null>;
	/** Each node's time on the current backend, over `runs` runs (keeps no outputs). */
	profile(request: ProfileRequest): Promise<ProfileReply>;
}

// ---------------------------------------------------------------------------------------------
// Training (the Train panel, issue 14). The worker trains one network or a comparison pair on
// the same batches; the page follows through `TrainEvent`s and gets the trained weights back.
// ---------------------------------------------------------------------------------------------

/** A network to train: its spec, and where its first weights come from. */
export interface TrainNetworkConfig {
	/** How the panel names it ("resnet-20", "plain-20", or the network on screen). */
	label: string;
	spec: ArchSpec;
	/**
	 * 'live': the weights the live network holds (what fits is carried over by name and shape, the
	 * rest — a head with another number of classes — seeded); 'seed': seeded weights (`TrainConfig.seed`).
	 */
	init: 'live' | 'seed';
}

/**
 * The data: the Fashion-MNIST subset, fetched by the worker from the page's origin (absolute
 * URLs; src/lib/train/dataset.ts `FASHION_DATA`), or images the page prepared (the user's own,
 * already split and normalised; buffers transferred).
 */
export type TrainData =
	| {
			kind: 'fashion';
			trainUrl: string;
			testUrl: string;
			mean: number[];
			std: number[];
			/** Train on the first `train` images and test on the first `test` (fewer for a quick run). */
			limit: { train: number; test: number };
	  }
	| { kind: 'arrays'; train: Dataset; test: Dataset };

export interface TrainConfig {
	networks: TrainNetworkConfig[];
	data: TrainData;
	epochs: number;
	batch: number;
	optimizer: TrainOptions['optimizer'];
	schedule: Schedule;
	freeze: TrainOptions['freeze'];
	/** Random crop (2 px padding) and horizontal flip; only with nothing frozen. */
	augment: boolean;
	/** Batch order, augmentation and seeded weights. */
	seed: number;
}

export interface TrainStatus {
	phase: 'loading' | 'preparing' | 'training' | 'evaluating' | 'paused' | 'saving';
	text: string;
	done?: number;
	total?: number;
}

/** One network's numbers at a point: mean loss and accuracy (0–1) of a batch or of the test set. */
export interface TrainScore {
	loss: number;
	accuracy: number;
}

export type TrainEvent =
	| { kind: 'status'; status: TrainStatus }
	| {
			kind: 'step';
			/** `step` counts from 1; `epoch` is fractional (step / steps per epoch); one score per network. */
			point: { step: number; epoch: number; lr: number; nets: TrainScore[] };
			totalSteps: number;
			/** Training images per second, all networks together (the mean so far, pauses excluded). */
			imagesPerSecond: number;
			secondsLeft: number;
	  }
	| { kind: 'epoch'; point: { epoch: number; step: number; nets: TrainScore[] } };

export interface TrainedNetwork {
	label: string;
	spec: ArchSpec;
	/** .safetensors bytes: every parameter and BN running statistic, node-id keys (transferred). */
	weights: Uint8Array;
	/** On the test data after the last step; null when no step ran. */
	testAccuracy: number | null;
	/** Tensors that were seeded instead of carried over from the live weights (a new head). */
	reinitialised: string[];
}

export interface TrainResult {
	/** True when Stop ended it before the last epoch. */
	stopped: boolean;
	steps: number;
	totalSteps: number;
	seconds: number;
	networks: TrainedNetwork[];
}

export interface TrainingApi {
	/**
	 * Loads the data, trains, and resolves with the trained weights when the epochs are done or
	 * `stopTraining` was called. Throws (a `DataError`'s message, a network that does not take the
	 * data) before any step; one training at a time.
	 */
	startTraining(config: TrainConfig, onEvent: (e: TrainEvent) => void): Promise<TrainResult>;
	pauseTraining(): void;
	resumeTraining(): void;
	stopTraining(): void;
}
