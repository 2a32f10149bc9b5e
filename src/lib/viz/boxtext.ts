/**
 * Where the words go inside a box or a frame header — shared by the live diagram and the
 * SVG export so that both look the same.
 */
import type { DiagramBox, DiagramFrame } from './layout';

/** Rough width of a character in the diagram's sans-serif at `px` (for trimming, not layout). */
const charW = (px: number) => px * 0.6;

/** Trims `text` with an ellipsis so that it fits in `width` px at font size `px`. */
export function fitText(text: string, width: number, px: number): string {
	const max = Math.floor(width / charW(px));
	if (text.length <= max) return text;
	if (max <= 1) return '';
	return text.slice(0, max - 1) + '…';
}

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const LABEL_PX = 12;
export const SUB_PX = 10.5;
export const EDGE_PX = 10;
const INSET = 10;
const TOGGLE_R = 8;

export interface TextSpot {
	x: number;
	y: number;
	text: string;
}

export interface BoxText {
	label: TextSpot;
	sublabel: TextSpot;
	/** The colour-by value, right-aligned; null where there is no room. */
	value: TextSpot | null;
	/** Centre of the expand toggle; null for boxes that cannot be opened. */
	toggle: { x: number; y: number; r: number } | null;
}

export function boxText(b: DiagramBox, value: string): BoxText {
	const tall = b.h >= 40;
	const top = b.y + (tall ? (b.h >= 50 ? 20 : 18) : 14);
	const bottom = b.y + (tall ? b.h - 10 : 27);
	const toggle = b.expandable ? { x: b.x + b.w - 16, y: b.y + b.h / 2, r: TOGGLE_R } : null;
	const right = b.x + b.w - (toggle ? 30 : INSET);
	const showValue = b.w >= 180 && value !== '';
	const valueW = showValue ? charW(SUB_PX) * value.length + 8 : 0;
	return {
		label: { x: b.x + INSET, y: top, text: fitText(b.label, right - b.x - INSET - valueW, LABEL_PX) },
		sublabel: { x: b.x + INSET, y: bottom, text: fitText(b.sublabel, right - b.x - INSET, SUB_PX) },
		value: showValue ? { x: right, y: top, text: value } : null,
		toggle
	};
}

export interface FrameText {
	label: TextSpot;
	sublabel: TextSpot;
	toggle: { x: number; y: number; r: number };
}

export function frameText(f: DiagramFrame): FrameText {
	const y = f.y + f.headerH / 2 + 4;
	const labelText = f.label;
	const lw = charW(LABEL_PX) * labelText.length + 10;
	const toggle = { x: f.x + f.w - 14, y: f.y + f.headerH / 2, r: TOGGLE_R - 1 };
	return {
		label: { x: f.x + INSET, y, text: labelText },
		sublabel: { x: f.x + INSET + lw, y, text: fitText(f.sublabel, f.w - INSET - lw - 30, SUB_PX) },
		toggle
	};
}
