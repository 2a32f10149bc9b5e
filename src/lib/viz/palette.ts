/**
 * The diagram's colours, in one place: a light and a dark palette. They become the live
 * diagram's CSS variables (`--dg-bg`, `--dg-box-stroke`, …; light or dark as the system prefers,
 * through CSS `light-dark()`) and the colours written into an exported SVG.
 */

export interface Palette {
	bg: string;
	text: string;
	muted: string;
	box: string;
	boxStroke: string;
	frame: string;
	/** An open block inside an open stage. */
	frameInner: string;
	frameStroke: string;
	header: string;
	headerHover: string;
	edge: string;
	identity: string;
	projection: string;
	zeropad: string;
	/** The SE / ECA branch. */
	attention: string;
	/** Selection. */
	accent: string;
	/** Keyboard focus. */
	focus: string;
	tipBg: string;
	/** Text on a light fill of the colour ramp (label, then the smaller text). */
	inkOnLight: string;
	mutedOnLight: string;
	/** Text on a dark fill of the colour ramp. */
	inkOnDark: string;
	mutedOnDark: string;
}

/** Text on the ramp's fills reads the same in both schemes: the fill decides, not the page. */
const ON_FILL = {
	inkOnLight: '#111418',
	mutedOnLight: '#2b3138',
	inkOnDark: '#f7f9fb',
	mutedOnDark: '#dfe5ec'
};

export const PALETTES: { light: Palette; dark: Palette } = {
	light: {
		bg: '#ffffff',
		text: '#1b1f24',
		muted: '#5b6470',
		box: '#f3f4f6',
		boxStroke: '#9aa3ad',
		frame: '#f8fafc',
		frameInner: '#ffffff',
		frameStroke: '#c9d0d8',
		header: '#e7ebf0',
		headerHover: '#dde3ea',
		edge: '#57606a',
		identity: '#2f7d32',
		projection: '#b3541e',
		zeropad: '#7b3fb0',
		attention: '#0b7285',
		accent: '#d6336c',
		focus: '#1f6feb',
		tipBg: '#ffffff',
		...ON_FILL
	},
	dark: {
		bg: '#14171c',
		text: '#e6e9ee',
		muted: '#9aa4b1',
		box: '#222831',
		boxStroke: '#566170',
		frame: '#191d23',
		frameInner: '#1d2229',
		frameStroke: '#39424e',
		header: '#262d36',
		headerHover: '#2e3640',
		edge: '#a4adb8',
		identity: '#66bb6a',
		projection: '#f0883e',
		zeropad: '#c297ff',
		attention: '#3bc9db',
		accent: '#ff6b9d',
		focus: '#58a6ff',
		tipBg: '#1c2128',
		...ON_FILL
	}
};

/** `boxStroke` → `--dg-box-stroke`. */
export const cssVar = (key: keyof Palette): string =>
	`--dg-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The palette as CSS custom properties for a `style` attribute, each `light-dark(light, dark)`:
 * the element (or the page) must have `color-scheme: light dark`.
 */
export function paletteStyle(p: { light: Palette; dark: Palette } = PALETTES): string {
	return (Object.keys(p.light) as (keyof Palette)[])
		.map(
			(k) =>
				`${cssVar(k)}: ${p.light[k] === p.dark[k] ? p.light[k] : `light-dark(${p.light[k]}, ${p.dark[k]})`}`
		)
		.join('; ');
}
