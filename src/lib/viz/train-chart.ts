/**
 * The Train panel's curves as pure geometry (d3 does the math, Svelte draws): training loss or
 * accuracy per step (the raw batch values faint, an exponential moving average on top) and the
 * test value after each epoch as dots, one colour per network, over the steps of the whole run.
 */
import { format, line, scaleLinear } from 'd3';

export interface CurvePoint {
	step: number;
	value: number;
}

export interface CurveInput {
	label: string;
	/** One per training step, in order. */
	steps: CurvePoint[];
	/** One per finished epoch (the test set), at the step it ended. */
	tests: CurvePoint[];
}

export interface ChartGeometry {
	width: number;
	height: number;
	plot: { left: number; top: number; right: number; bottom: number };
	xTicks: { x: number; label: string }[];
	yTicks: { y: number; label: string }[];
	curves: {
		label: string;
		/** SVG path of the raw per-step values (thinned to at most `MAX_POINTS`). */
		raw: string;
		/** SVG path of the moving average. */
		smooth: string;
		dots: { cx: number; cy: number; value: number; step: number }[];
	}[];
}

/** Paths keep at most this many points (a long run is thinned evenly, the last point kept). */
export const MAX_POINTS = 600;

const MARGIN = { left: 40, right: 10, top: 8, bottom: 22 };

/**
 * Exponential moving average, debiased as TensorBoard's smoothing: s_t = Σ w^(t−i) v_i / Σ w^(t−i),
 * so that the first values are not pulled toward 0. `weight` 0 = no smoothing.
 */
export function smooth(values: readonly number[], weight: number): number[] {
	const out: number[] = [];
	let acc = 0;
	let norm = 0;
	for (const v of values) {
		acc = acc * weight + v;
		norm = norm * weight + 1;
		out.push(acc / norm);
	}
	return out;
}

/** Every k-th point so that at most `max` remain, always keeping the last. */
export function thin<T>(points: readonly T[], max = MAX_POINTS): T[] {
	if (points.length <= max) return [...points];
	const k = Math.ceil(points.length / max);
	const out = points.filter((_, i) => i % k === 0);
	if (out[out.length - 1] !== points[points.length - 1]) out.push(points[points.length - 1]);
	return out;
}

/**
 * The chart of `curves` over steps 0…`totalSteps`, `width` × `height` pixels. `y`: a fixed
 * domain (accuracy: [0, 1]) or 'auto' (loss: from 0 to the largest finite value, at least 0.1).
 */
export function chartGeometry(
	curves: readonly CurveInput[],
	totalSteps: number,
	width: number,
	height: number,
	y: [number, number] | 'auto',
	yFormat: 'percent' | 'number'
): ChartGeometry {
	const plot = {
		left: MARGIN.left,
		top: MARGIN.top,
		right: Math.max(MARGIN.left + 1, width - MARGIN.right),
		bottom: Math.max(MARGIN.top + 1, height - MARGIN.bottom)
	};
	let domain: [number, number];
	if (y === 'auto') {
		let hi = 0.1;
		for (const c of curves)
			for (const p of [...c.steps, ...c.tests]) if (isFinite(p.value) && p.value > hi) hi = p.value;
		domain = [0, hi];
	} else domain = y;
	const xs = scaleLinear()
		.domain([0, Math.max(1, totalSteps)])
		.range([plot.left, plot.right]);
	const ys = scaleLinear().domain(domain).range([plot.bottom, plot.top]);
	if (y === 'auto') ys.nice(4);
	const clampY = (v: number) => ys(Math.min(ys.domain()[1], Math.max(ys.domain()[0], v)));
	const path = line<CurvePoint>()
		.defined((p) => isFinite(p.value))
		.x((p) => xs(p.step))
		.y((p) => clampY(p.value));
	const fmtY = yFormat === 'percent' ? format('.0%') : format('~g');
	return {
		width,
		height,
		plot,
		xTicks: xs
			.ticks(5)
			.filter(Number.isInteger)
			.map((t) => ({ x: xs(t), label: format('~s')(t) })),
		yTicks: ys.ticks(4).map((t) => ({ y: ys(t), label: fmtY(t) })),
		curves: curves.map((c) => {
			const averaged = smooth(
				c.steps.map((p) => p.value),
				smoothingWeight(c.steps.length)
			);
			return {
				label: c.label,
				raw: path(thin(c.steps)) ?? '',
				smooth: path(thin(c.steps.map((p, i) => ({ step: p.step, value: averaged[i] })))) ?? '',
				dots: c.tests
					.filter((p) => isFinite(p.value))
					.map((p) => ({ cx: xs(p.step), cy: clampY(p.value), value: p.value, step: p.step }))
			};
		})
	};
}

/** More smoothing for longer runs: about the last 2 % of the steps, between 0 and 0.95. */
export function smoothingWeight(steps: number): number {
	const window = Math.max(1, steps / 50);
	return Math.min(0.95, 1 - 1 / window);
}
