/**
 * Colouring the diagram by a metric: d3 scales over the boxes on screen, so that the colours
 * compare like with like at whatever level the diagram is opened to.
 */
import {
	format,
	interpolateYlGnBu,
	lab,
	scaleLinear,
	scaleLog,
	scaleSequential,
	scaleSequentialLog
} from 'd3';
import { byteSize, si } from '../arch/units';
import { msText, timeOf, type Timing } from './timing';

export type ColourBy = 'params' | 'macs' | 'activationBytes' | 'receptiveField' | 'time';

export const COLOUR_BY: readonly { value: ColourBy; label: string; short: string }[] = [
	{ value: 'params', label: 'Parameters', short: 'params' },
	{ value: 'macs', label: 'MACs', short: 'MACs' },
	{ value: 'activationBytes', label: 'Activation memory', short: 'activations' },
	{ value: 'receptiveField', label: 'Receptive field', short: 'receptive field' },
	{ value: 'time', label: 'Measured time', short: 'measured time' }
];

export interface Colourable {
	metrics: { params: number; macs: number; activationBytes: number };
	receptiveField: number;
	/** The graph nodes the item stands for (a box's time is theirs summed). */
	nodeIds?: readonly string[];
}

/** The item's value; 'time' needs a profile (`times`), without one every item is 0 (neutral). */
export function metricValue(b: Colourable, by: ColourBy, times: Timing | null = null): number {
	if (by === 'time') return times ? timeOf(times, b.nodeIds ?? []) : 0;
	return by === 'receptiveField' ? b.receptiveField : b.metrics[by];
}

/** Legend ticks: "10M", "100k", "1MB", "200 px". */
export function formatTick(v: number, by: ColourBy): string {
	if (by === 'activationBytes')
		return v >= 2 ** 20
			? `${format('~r')(+(v / 2 ** 20).toPrecision(2))}MB`
			: `${format('~r')(+(v / 1024).toPrecision(2))}kB`;
	if (by === 'receptiveField') return `${v}`;
	if (by === 'time') return `${format('~r')(+v.toPrecision(2))}ms`;
	return format('~s')(v);
}

/** Short value for a box's corner ("2.36 M", "3.06 MB", "RF 99"); empty for zero (the neutral fill says it). */
export function shortMetric(v: number, by: ColourBy): string {
	if (by === 'receptiveField') return `RF ${v}`;
	if (v === 0) return '';
	if (by === 'activationBytes') return byteSize(v, { significant: 3 });
	if (by === 'time') return msText(v);
	return si(v);
}

/** Light end of the ramp is skipped so that the smallest values still read against the page. */
const interpolator = (t: number) => interpolateYlGnBu(0.12 + 0.83 * t);

export interface ColourScale {
	by: ColourBy;
	/** The profile a 'time' scale was made from (null: none measured). */
	times: Timing | null;
	/** Fill for a value; null for zero (drawn neutral: "none"). */
	fill: (v: number) => string | null;
	domain: [number, number];
	/** Whether the ramp is logarithmic. */
	log: boolean;
	/** Tick values for the legend, within the domain. */
	ticks: number[];
	/** Position (0–1) of a value along the legend's ramp. */
	position: (v: number) => number;
	/** Colours along the ramp, for a gradient. */
	stops: string[];
	/** Some of the values are zero (shown neutral). */
	hasZero: boolean;
}

/** A sequential scale over `items`' values: log for counts spanning decades, linear otherwise. */
export function colourScale(
	items: readonly Colourable[],
	by: ColourBy,
	times: Timing | null = null
): ColourScale {
	let lo = Infinity;
	let hi = -Infinity;
	let hasZero = false;
	for (const it of items) {
		const v = metricValue(it, by, times);
		if (v <= 0) {
			hasZero = true;
			continue;
		}
		if (v < lo) lo = v;
		if (v > hi) hi = v;
	}
	if (!(lo <= hi)) {
		lo = 1;
		hi = 1;
	}
	if (lo === hi) hi = lo * 1.0001 + 1e-9;
	const log = by !== 'receptiveField' && hi / lo > 20;
	const seq = log
		? scaleSequentialLog(interpolator).domain([lo, hi])
		: scaleSequential(interpolator).domain([lo, hi]);
	const pos = log
		? scaleLog().domain([lo, hi]).range([0, 1]).clamp(true)
		: scaleLinear().domain([lo, hi]).range([0, 1]).clamp(true);
	let ticks = (log ? scaleLog().domain([lo, hi]).ticks(4) : scaleLinear().domain([lo, hi]).ticks(4)).filter(
		(t) => t >= lo && t <= hi
	);
	if (log) {
		// Powers of ten only, so that the labels never crowd.
		const p = ticks.filter((t) => Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9);
		ticks = p.length >= 2 ? p : [lo, hi];
	}
	if (ticks.length < 2) ticks = [lo, hi];
	const stops = Array.from({ length: 11 }, (_, i) => interpolator(i / 10));
	return {
		by,
		times,
		fill: (v) => (v > 0 ? seq(v) : null),
		domain: [lo, hi],
		log,
		ticks,
		position: (v) => pos(v),
		stops,
		hasZero
	};
}

/**
 * The scale's ticks that a legend `widthPx` wide can label without two labels touching: every
 * tick if they fit, else every second, third… (counted from the first). Labels are centred on
 * their tick; `charPx` is the width of one character of the legend's font (a generous estimate),
 * `gapPx` the least room between two labels. Always at least two ticks (the ends of the ramp).
 */
export function fitTicks(scale: ColourScale, widthPx: number, charPx: number, gapPx = 6): number[] {
	const all = scale.ticks;
	const half = (t: number) => (formatTick(t, scale.by).length * charPx) / 2;
	const fits = (ts: number[]) =>
		ts.every(
			(t, i) =>
				i === 0 ||
				(scale.position(t) - scale.position(ts[i - 1])) * widthPx >= half(ts[i - 1]) + half(t) + gapPx
		);
	for (let step = 1; step < all.length; step++) {
		const ts = all.filter((_, i) => i % step === 0);
		if (ts.length >= 2 && fits(ts)) return ts;
	}
	return [scale.domain[0], scale.domain[1]];
}

/** Whether text on this fill should be dark (light fill) or light (dark fill). */
export function darkTextOn(fill: string): boolean {
	return lab(fill).l > 62;
}
