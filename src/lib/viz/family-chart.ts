/**
 * The map of the family (pure: d3 computes, Svelte draws): every preset at x = MACs (log scale),
 * y = a published figure of its weights, area = parameters. Two panels, never one axis for two
 * measures: ImageNet-1k nets (y: top-1 %) and small-image nets (y: CIFAR-10 test error %, lower
 * drawn higher, so up is better in both). A preset without a published figure sits on its panel's
 * MACs axis; the network on screen is a vertical marker at its MACs, published or not.
 */
import { scaleLinear, scaleLog, scaleSqrt } from 'd3';
import type { PresetFamily } from '../arch/presets';
import type { PublishedResult } from '../models/published';

/** What the picker's groups and the chart's legend call each family. */
export const FAMILY_LABELS: Record<PresetFamily, string> = {
	torchvision: 'torchvision',
	timm: 'timm variants',
	preact: 'pre-activation',
	cifar: 'CIFAR (paper)',
	bundled: 'bundled'
};

export type ChartDomain = 'imagenet' | 'small';

export interface ChartNet {
	name: string;
	/** The picker's family (colour). */
	family: PresetFamily;
	macs: number;
	params: number;
	domain: ChartDomain;
	results: readonly PublishedResult[];
}

export interface ChartDot {
	preset: string;
	family: PresetFamily;
	cx: number;
	cy: number;
	r: number;
	macs: number;
	params: number;
	/** The figure the dot stands for; absent for a dot on the MACs axis. */
	result?: PublishedResult;
}

export interface Tick {
	pos: number;
	label: string;
}

export interface ChartPanel {
	domain: ChartDomain;
	title: string;
	yLabel: string;
	/** The panel's place in the chart. */
	x: number;
	y: number;
	width: number;
	height: number;
	/** The plot area, in chart coordinates. */
	plot: { left: number; top: number; right: number; bottom: number };
	xTicks: Tick[];
	yTicks: Tick[];
	/** Figures of published weights (one preset may have several: torchvision's V1 and V2). */
	dots: ChartDot[];
	/** Presets without a figure, on the MACs axis. */
	axisDots: ChartDot[];
	/** A thin line joining the figures of one preset (same MACs, other weights). */
	stems: { preset: string; x: number; y1: number; y2: number }[];
	/** The network on screen, when it belongs to this panel. */
	marker: { x: number; label: string } | null;
}

export interface FamilyChart {
	width: number;
	height: number;
	panels: ChartPanel[];
}

export interface ChartOptions {
	width: number;
	/** The network on screen (a preset or not). */
	current: { name: string; macs: number; domain: ChartDomain } | null;
}

const PANEL_HEIGHT = 250;
const MARGIN = { left: 46, right: 14, top: 40, bottom: 40 };
/** Room for one MACs label ("200 M" at 10 px). */
const TICK_ROOM = 44;
/** Side by side from this width; stacked below it (a phone). */
export const SIDE_BY_SIDE_MIN = 720;
const R_MAX = { imagenet: 13, small: 10 };
const R_MIN = 2.5;

const TITLES: Record<ChartDomain, { title: string; yLabel: string; metric: PublishedResult['metric'] }> = {
	imagenet: { title: 'ImageNet-1k (224² input)', yLabel: 'top-1 %', metric: 'imagenet-top1' },
	small: { title: 'Small images (CIFAR-10, bundled)', yLabel: 'CIFAR-10 error %', metric: 'cifar10-error' }
};

/** "4 G", "200 M", "2.5 G" for the MACs axis (two significant digits, no exponent). */
export function macsLabel(v: number): string {
	for (const [scale, unit] of [
		[1e12, 'T'],
		[1e9, 'G'],
		[1e6, 'M'],
		[1e3, 'k']
	] as const)
		if (v >= scale) return `${Number((v / scale).toPrecision(2))} ${unit}`;
	return String(Number(v.toPrecision(2)));
}

/** The two panels of the map, laid out for `width` pixels. */
export function familyChart(nets: readonly ChartNet[], opts: ChartOptions): FamilyChart {
	const domains: ChartDomain[] = ['imagenet', 'small'];
	const side = opts.width >= SIDE_BY_SIDE_MIN;
	const widths = side
		? [Math.round(opts.width * 0.6), opts.width - Math.round(opts.width * 0.6)]
		: [opts.width, opts.width];
	const panels = domains.map((d, i) =>
		panel(
			d,
			nets.filter((n) => n.domain === d),
			opts.current?.domain === d ? opts.current : null,
			side ? (i === 0 ? 0 : widths[0]) : 0,
			side ? 0 : i * PANEL_HEIGHT,
			widths[i]
		)
	);
	return { width: opts.width, height: side ? PANEL_HEIGHT : 2 * PANEL_HEIGHT, panels };
}

function extent(values: number[]): [number, number] {
	return [Math.min(...values), Math.max(...values)];
}

function panel(
	domain: ChartDomain,
	nets: readonly ChartNet[],
	current: ChartOptions['current'],
	x: number,
	y: number,
	width: number
): ChartPanel {
	const { title, yLabel, metric } = TITLES[domain];
	const plot = {
		left: x + MARGIN.left,
		top: y + MARGIN.top,
		right: x + width - MARGIN.right,
		bottom: y + PANEL_HEIGHT - MARGIN.bottom
	};
	const macsValues = [...nets.map((n) => n.macs), ...(current ? [current.macs] : [])].filter((v) => v > 0);
	const [lo, hi] = macsValues.length ? extent(macsValues) : [1e8, 1e10];
	// Room for the largest dot at either end.
	const xs = scaleLog()
		.domain([lo / 1.35, hi * 1.35])
		.range([plot.left, plot.right]);

	const figures = nets.flatMap((n) => n.results.filter((r) => r.metric === metric).map((r) => r.value));
	const [fLo, fHi] = figures.length ? extent(figures) : [0, 1];
	const pad = Math.max(0.5, (fHi - fLo) * 0.08);
	// Up is better: top-1 grows upwards, an error grows downwards.
	const ys = scaleLinear()
		.domain(domain === 'imagenet' ? [fLo - pad, fHi + pad] : [fHi + pad, fLo - pad])
		.range([plot.bottom, plot.top])
		.nice();
	const rs = scaleSqrt()
		.domain([0, Math.max(1, ...nets.map((n) => n.params))])
		.range([0, R_MAX[domain]]);
	const radius = (params: number) => Math.max(R_MIN, rs(params));

	const dots: ChartDot[] = [];
	const axisDots: ChartDot[] = [];
	const stems: ChartPanel['stems'] = [];
	for (const n of nets) {
		const base = {
			preset: n.name,
			family: n.family,
			cx: xs(n.macs),
			r: radius(n.params),
			macs: n.macs,
			params: n.params
		};
		const mine = n.results.filter((r) => r.metric === metric);
		if (mine.length === 0) axisDots.push({ ...base, cy: plot.bottom });
		for (const result of mine) dots.push({ ...base, cy: ys(result.value), result });
		if (mine.length > 1) {
			const [a, b] = extent(mine.map((r) => ys(r.value)));
			stems.push({ preset: n.name, x: base.cx, y1: a, y2: b });
		}
	}
	// Larger dots first, so a small one is never hidden under a large one.
	dots.sort((a, b) => b.r - a.r);
	axisDots.sort((a, b) => b.r - a.r);

	const xTicks = logTicks(lo / 1.35, hi * 1.35, width).map((v) => ({ pos: xs(v), label: macsLabel(v) }));
	const yTicks = ys.ticks(5).map((v) => ({ pos: ys(v), label: String(v) }));
	return {
		domain,
		title,
		yLabel,
		x,
		y,
		width,
		height: PANEL_HEIGHT,
		plot,
		xTicks,
		yTicks,
		dots,
		axisDots,
		stems,
		marker: current ? { x: xs(current.macs), label: current.name } : null
	};
}

/**
 * Ticks of a log axis: 1-2-5 steps per decade, thinned (1-3, then 1) until their labels fit.
 */
function logTicks(lo: number, hi: number, width: number): number[] {
	const room = Math.max(1, Math.floor((width - MARGIN.left - MARGIN.right) / TICK_ROOM));
	for (const steps of [[1, 2, 5], [1, 3], [1]]) {
		const out: number[] = [];
		for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
			for (const s of steps) {
				const v = s * 10 ** e;
				if (v >= lo && v <= hi) out.push(v);
			}
		if (out.length <= room) return out;
	}
	return [];
}

/**
 * The dot whose centre is nearest to (x, y) in chart coordinates, if the point is within its
 * radius plus `slack` pixels. Dots that overlap (resnetv2_50 over seresnet50 at 4.09 G MACs)
 * are each reachable near their own centre, whichever is drawn on top.
 */
export function nearestDot(chart: FamilyChart, x: number, y: number, slack = 6): ChartDot | null {
	let best: ChartDot | null = null;
	let bestD = Infinity;
	for (const p of chart.panels)
		for (const d of [...p.dots, ...p.axisDots]) {
			const dist = Math.hypot(d.cx - x, d.cy - y);
			if (dist <= d.r + slack && dist < bestD) {
				best = d;
				bestD = dist;
			}
		}
	return best;
}

/** Other dots drawn within `px` of `dot`'s centre (resnet50d and ecaresnet50d nearly coincide). */
export function dotsNear(chart: FamilyChart, dot: ChartDot, px = 4): ChartDot[] {
	return chart.panels.flatMap((p) =>
		[...p.dots, ...p.axisDots].filter((d) => d !== dot && Math.hypot(d.cx - dot.cx, d.cy - dot.cy) <= px)
	);
}
