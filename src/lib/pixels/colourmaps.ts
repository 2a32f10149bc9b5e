/**
 * Feature maps as pictures: the read-back format (per-channel 0–255 values and stats), colour
 * maps (d3-scale-chromatic LUTs) and the channel grid. Pure functions, no DOM, no tfjs.
 */
import { interpolateInferno, interpolateViridis, rgb } from 'd3';

export type ColourMapName = 'viridis' | 'inferno' | 'gray';
export const COLOUR_MAPS: readonly ColourMapName[] = ['viridis', 'inferno', 'gray'];

export interface ChannelStats {
	min: number;
	max: number;
	mean: number;
	/** Fraction (0–1) of the channel's values that are exactly zero. */
	zeros: number;
}

/** Every channel of one node's output, scaled per channel to 0–255. */
export interface FeatureMaps {
	channels: number;
	height: number;
	width: number;
	/** channels × height × width values, C,H,W order; each channel scaled so min → 0 and max → 255. */
	pixels: Uint8ClampedArray;
	stats: ChannelStats[];
}

/** 256 RGBA entries (1024 bytes) of a colour map. */
export function colourLut(name: ColourMapName): Uint8ClampedArray {
	const lut = new Uint8ClampedArray(256 * 4);
	for (let i = 0; i < 256; i++) {
		let r = i,
			g = i,
			b = i;
		if (name !== 'gray') {
			const c = rgb((name === 'viridis' ? interpolateViridis : interpolateInferno)(i / 255));
			[r, g, b] = [c.r, c.g, c.b];
		}
		lut.set([r, g, b, 255], i * 4);
	}
	return lut;
}

/** Where each channel's tile sits in the grid image. */
export interface GridLayout {
	cols: number;
	rows: number;
	/** Tile size in image pixels (the map's own size) and the gap between tiles. */
	cellWidth: number;
	cellHeight: number;
	gap: number;
	/** Size of the whole grid image. */
	width: number;
	height: number;
}

/** A grid about `aspect` times as wide as it is tall, tiles at the map's own resolution. */
export function gridLayout(channels: number, height: number, width: number, aspect = 1.6): GridLayout {
	const gap = Math.max(1, Math.round(Math.max(height, width) / 16));
	const cols = Math.max(
		1,
		Math.min(channels, Math.round(Math.sqrt((channels * aspect * (height + gap)) / (width + gap))))
	);
	const rows = Math.ceil(channels / cols);
	return {
		cols,
		rows,
		cellWidth: width,
		cellHeight: height,
		gap,
		width: cols * (width + gap) - gap,
		height: rows * (height + gap) - gap
	};
}

/** The channel whose tile contains image pixel (x, y), or null for a gap or past the last tile. */
export function channelAt(layout: GridLayout, channels: number, x: number, y: number): number | null {
	const col = Math.floor(x / (layout.cellWidth + layout.gap));
	const row = Math.floor(y / (layout.cellHeight + layout.gap));
	if (x < 0 || y < 0 || col >= layout.cols || row >= layout.rows) return null;
	if (x - col * (layout.cellWidth + layout.gap) >= layout.cellWidth) return null;
	if (y - row * (layout.cellHeight + layout.gap) >= layout.cellHeight) return null;
	const c = row * layout.cols + col;
	return c < channels ? c : null;
}

/** RGBA pixels of the whole grid (gaps transparent). */
export function paintGrid(maps: FeatureMaps, layout: GridLayout, lut: Uint8ClampedArray): Uint8ClampedArray {
	const out = new Uint8ClampedArray(layout.width * layout.height * 4);
	const { height: h, width: w } = maps;
	for (let c = 0; c < maps.channels; c++) {
		const x0 = (c % layout.cols) * (w + layout.gap);
		const y0 = Math.floor(c / layout.cols) * (h + layout.gap);
		const base = c * h * w;
		for (let y = 0; y < h; y++) {
			let o = ((y0 + y) * layout.width + x0) * 4;
			for (let x = 0; x < w; x++, o += 4) {
				const v = maps.pixels[base + y * w + x] * 4;
				out[o] = lut[v];
				out[o + 1] = lut[v + 1];
				out[o + 2] = lut[v + 2];
				out[o + 3] = 255;
			}
		}
	}
	return out;
}

/** RGBA pixels of one channel (height × width). */
export function paintChannel(maps: FeatureMaps, channel: number, lut: Uint8ClampedArray): Uint8ClampedArray {
	const { height: h, width: w } = maps;
	const out = new Uint8ClampedArray(h * w * 4);
	const base = channel * h * w;
	for (let i = 0; i < h * w; i++) {
		const v = maps.pixels[base + i] * 4;
		out.set(lut.subarray(v, v + 4), i * 4);
	}
	return out;
}
