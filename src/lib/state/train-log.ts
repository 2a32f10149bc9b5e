/**
 * The Train panel's pure parts (no DOM, no runes): what to train (the comparison pairs, a check
 * that a network takes the data), and the log of a run — the worker's `TrainEvent`s folded into
 * per-network series that the curves draw. Tested in tests/unit/train-state.test.ts.
 */
import { presetSpec, type ArchSpec } from '$lib/arch';
import type { TrainEvent, TrainScore, TrainStatus } from '$lib/runtime/protocol';

// ------------------------------------------------------------------ what to train

/** The paper's CIFAR depths offered as one-click comparisons (6n + 2 layers). */
export const PAIR_DEPTHS = [20, 56] as const;
export type PairDepth = (typeof PAIR_DEPTHS)[number];

/** The input and classes of the Fashion-MNIST subset. */
export const FASHION_SHAPE = { channels: 1, height: 28, width: 28, classes: 10 } as const;

/**
 * "plain-N vs resnet-N": the paper's CIFAR net of depth N (cifar stem, widths 16/32/64, option A)
 * for `shape`'s input and classes, and the same net with `residual: false` (§4.2's plain net).
 */
export function comparisonPair(
	depth: PairDepth,
	shape: { channels: number; height: number; width: number; classes: number } = FASHION_SHAPE
): { label: string; spec: ArchSpec }[] {
	const base = presetSpec(`resnet${depth}`)!;
	const resnet: ArchSpec = {
		...base,
		input: { channels: shape.channels, height: shape.height, width: shape.width },
		head: { ...base.head, classes: shape.classes }
	};
	return [
		{ label: `plain-${depth}`, spec: { ...resnet, name: `plain${depth}`, residual: false } },
		{ label: `resnet-${depth}`, spec: resnet }
	];
}

/** Why `spec` cannot train on images of `shape`, in words; null when it can. */
export function dataMismatch(
	spec: ArchSpec,
	shape: { channels: number; height: number; width: number; classes: number },
	data: string
): string | null {
	const { channels, height, width } = spec.input;
	const input = channels !== shape.channels || height !== shape.height || width !== shape.width;
	const classes = spec.head.classes !== shape.classes;
	if (!input && !classes) return null;
	const parts = [];
	if (input)
		parts.push(
			`takes ${channels}×${height}×${width} input but ${data} images are ${shape.channels}×${shape.height}×${shape.width}`
		);
	if (classes) parts.push(`has ${spec.head.classes} outputs but ${data} has ${shape.classes} classes`);
	return `The network ${parts.join(', and ')}.`;
}

// ------------------------------------------------------------------ the log of a run

export interface StepPoint extends TrainScore {
	step: number;
}

export interface EpochPoint extends TrainScore {
	epoch: number;
	step: number;
}

/** One network's curves. */
export interface Series {
	label: string;
	steps: StepPoint[];
	epochs: EpochPoint[];
}

export interface TrainLog {
	series: Series[];
	totalSteps: number;
	/** Steps done (the last step event's). */
	step: number;
	epoch: number;
	lr: number | null;
	imagesPerSecond: number | null;
	secondsLeft: number | null;
	status: TrainStatus | null;
}

export function emptyLog(labels: readonly string[], totalSteps: number): TrainLog {
	return {
		series: labels.map((label) => ({ label, steps: [], epochs: [] })),
		totalSteps,
		step: 0,
		epoch: 0,
		lr: null,
		imagesPerSecond: null,
		secondsLeft: null,
		status: null
	};
}

/**
 * The log after one event: a new object (the page keeps it in `$state.raw`); the point arrays
 * are appended to in place, so a long run costs no copies.
 */
export function applyEvent(log: TrainLog, e: TrainEvent): TrainLog {
	switch (e.kind) {
		case 'status':
			return { ...log, status: e.status };
		case 'step': {
			const p = e.point;
			p.nets.forEach((n, i) =>
				log.series[i]?.steps.push({ step: p.step, loss: n.loss, accuracy: n.accuracy })
			);
			return {
				...log,
				totalSteps: e.totalSteps,
				step: p.step,
				epoch: p.epoch,
				lr: p.lr,
				imagesPerSecond: e.imagesPerSecond,
				secondsLeft: e.secondsLeft
			};
		}
		case 'epoch': {
			const p = e.point;
			p.nets.forEach((n, i) =>
				log.series[i]?.epochs.push({ epoch: p.epoch, step: p.step, loss: n.loss, accuracy: n.accuracy })
			);
			return { ...log };
		}
	}
}

/** The last training loss of each network (NaN before the first step). */
export function lastLosses(log: TrainLog): number[] {
	return log.series.map((s) => (s.steps.length ? s.steps[s.steps.length - 1].loss : NaN));
}

/** The last test accuracy of each network (null before the first evaluation). */
export function lastTestAccuracy(log: TrainLog): (number | null)[] {
	return log.series.map((s) => (s.epochs.length ? s.epochs[s.epochs.length - 1].accuracy : null));
}

/** "1 h 02 min", "3 min 05 s", "42 s". */
export function formatDuration(seconds: number): string {
	if (!isFinite(seconds) || seconds < 0) return '—';
	const s = Math.round(seconds);
	if (s < 60) return `${s} s`;
	const m = Math.floor(s / 60);
	if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
	return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
