/**
 * The whole diagram as one standalone SVG document (every box, not just those on screen):
 * inline attributes only — colours resolved, a system font stack, no stylesheet, no scripts —
 * so that it renders the same in any viewer. Pure: a string from the layout.
 */
import { boxText, EDGE_PX, FONT, frameText, LABEL_PX, SUB_PX } from './boxtext';
import {
	metricValue,
	shortMetric,
	fitTicks,
	formatTick,
	darkTextOn,
	COLOUR_BY,
	type ColourScale
} from './colour';
import type { DiagramLayout, EdgeKind } from './layout';
import type { Palette } from './palette';
import { shapeText } from '../arch/units';

export const edgeColour = (p: Palette, kind: EdgeKind): string =>
	kind === 'main'
		? p.edge
		: kind === 'identity'
			? p.identity
			: kind === 'projection'
				? p.projection
				: kind === 'attention'
					? p.attention
					: p.zeropad;

const esc = (s: string) =>
	s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number) => Math.round(v * 100) / 100;

const LEGEND_H = 64;

export function diagramSvg(
	layout: DiagramLayout,
	scale: ColourScale,
	palette: Palette,
	title: string
): string {
	const p = palette;
	const width = Math.max(layout.width, 560);
	const height = layout.height + LEGEND_H;
	const out: string[] = [];
	out.push(
		`<?xml version="1.0" encoding="UTF-8"?>`,
		`<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" font-family='${FONT}'>`,
		`<title>${esc(title)}</title>`,
		`<defs><linearGradient id="ramp" x1="0" x2="1" y1="0" y2="0">${scale.stops
			.map((c, i) => `<stop offset="${i / (scale.stops.length - 1)}" stop-color="${c}"/>`)
			.join('')}</linearGradient>`,
		`<marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0L8,4L0,8z" fill="${p.edge}"/></marker></defs>`,
		`<rect width="100%" height="100%" fill="${p.bg}"/>`
	);
	// Legend band.
	const byLabel = COLOUR_BY.find((c) => c.value === scale.by)?.label ?? scale.by;
	out.push(`<g transform="translate(16,10)">`);
	out.push(`<text x="0" y="14" font-size="14" font-weight="600" fill="${p.text}">${esc(title)}</text>`);
	out.push(
		`<text x="0" y="32" font-size="${SUB_PX}" fill="${p.muted}">colour: ${esc(byLabel)}${scale.log ? ' (log scale)' : ''}</text>`
	);
	const rw = 180;
	out.push(`<rect x="0" y="38" width="${rw}" height="8" rx="2" fill="url(#ramp)"/>`);
	// 9.5 px digits ≈ 6.2 px.
	for (const t of fitTicks(scale, rw, 6.2)) {
		const x = n(scale.position(t) * rw);
		out.push(
			`<text x="${x}" y="56" font-size="9.5" text-anchor="middle" fill="${p.muted}">${esc(formatTick(t, scale.by))}</text>`
		);
	}
	let kx = rw + 30;
	if (scale.hasZero) {
		out.push(
			`<rect x="${kx}" y="37" width="12" height="10" rx="2" fill="${p.box}" stroke="${p.boxStroke}"/>`
		);
		out.push(`<text x="${kx + 16}" y="46" font-size="${SUB_PX}" fill="${p.muted}">0</text>`);
		kx += 40;
	}
	for (const { kind: k, text } of layout.key) {
		out.push(
			`<path d="M${kx},42h22" stroke="${edgeColour(p, k)}" stroke-width="2" fill="none"${k === 'zeropad' ? ' stroke-dasharray="5 3"' : ''}/>`
		);
		out.push(`<text x="${kx + 28}" y="46" font-size="${SUB_PX}" fill="${p.muted}">${esc(text)}</text>`);
		kx += 36 + text.length * 6;
	}
	out.push(`</g>`);

	out.push(`<g transform="translate(0,${LEGEND_H})">`);
	for (const f of layout.frames) {
		out.push(
			`<rect x="${n(f.x)}" y="${n(f.y)}" width="${n(f.w)}" height="${n(f.h)}" rx="10" fill="${p.frame}" stroke="${p.frameStroke}"/>`
		);
	}
	for (const e of layout.edges) {
		const c = edgeColour(p, e.kind);
		const dash = e.kind === 'zeropad' ? ' stroke-dasharray="5 3"' : '';
		const w = e.kind === 'main' ? 1.5 : 1.75;
		const marker = e.kind === 'main' && !e.join ? ' marker-end="url(#arrow)"' : '';
		out.push(`<path d="${e.path}" fill="none" stroke="${c}" stroke-width="${w}"${dash}${marker}/>`);
		if (e.join)
			out.push(
				`<circle cx="${n(e.join.x)}" cy="${n(e.join.y)}" r="6" fill="${p.bg}" stroke="${c}" stroke-width="1.5"/><path d="M${n(e.join.x - 3.5)},${n(e.join.y)}h7M${n(e.join.x)},${n(e.join.y - 3.5)}v7" stroke="${c}" stroke-width="1.5"/>`
			);
		if (e.badge)
			out.push(
				`<rect x="${n(e.badge.x - 16)}" y="${n(e.badge.y - 8)}" width="32" height="16" rx="8" fill="${p.bg}" stroke="${c}"/><text x="${n(e.badge.x)}" y="${n(e.badge.y + 3.5)}" font-size="9.5" text-anchor="middle" fill="${c}">${esc(e.badge.text)}</text>`
			);
		if (e.label)
			out.push(
				`<text x="${n(e.label.x)}" y="${n(e.label.y + 3.5)}" font-size="${EDGE_PX}" text-anchor="end" fill="${p.muted}">${esc(shapeText(e.shape))}</text>`
			);
	}
	for (const f of layout.frames) {
		const t = frameText(f);
		out.push(
			`<path d="M${n(f.x)},${n(f.y + f.headerH)}V${n(f.y + 10)}q0,-10 10,-10H${n(f.x + f.w - 10)}q10,0 10,10V${n(f.y + f.headerH)}z" fill="${p.header}"/>`,
			`<text x="${n(t.label.x)}" y="${n(t.label.y)}" font-size="${LABEL_PX}" font-weight="600" fill="${p.text}">${esc(t.label.text)}</text>`,
			`<text x="${n(t.sublabel.x)}" y="${n(t.sublabel.y)}" font-size="${SUB_PX}" fill="${p.muted}">${esc(t.sublabel.text)}</text>`
		);
	}
	for (const b of layout.boxes) {
		const v = metricValue(b, scale.by, scale.times);
		const fill = scale.fill(v);
		const dark = fill ? darkTextOn(fill) : null;
		const tc = fill ? (dark ? p.inkOnLight : p.inkOnDark) : p.text;
		const mc = fill ? (dark ? p.mutedOnLight : p.mutedOnDark) : p.muted;
		const t = boxText(b, shortMetric(v, scale.by));
		if (b.kind === 'stage')
			out.push(
				`<rect x="${n(b.x + 4)}" y="${n(b.y + 4)}" width="${n(b.w)}" height="${n(b.h)}" rx="6" fill="${fill ?? p.box}" stroke="${p.boxStroke}" opacity="0.6"/>`
			);
		out.push(
			`<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" rx="6" fill="${fill ?? p.box}" stroke="${p.boxStroke}"/>`,
			`<text x="${n(t.label.x)}" y="${n(t.label.y)}" font-size="${LABEL_PX}" font-weight="600" fill="${tc}">${esc(t.label.text)}</text>`,
			`<text x="${n(t.sublabel.x)}" y="${n(t.sublabel.y)}" font-size="${SUB_PX}" fill="${mc}">${esc(t.sublabel.text)}</text>`
		);
		if (t.value)
			out.push(
				`<text x="${n(t.value.x)}" y="${n(t.value.y)}" font-size="${SUB_PX}" text-anchor="end" fill="${mc}">${esc(t.value.text)}</text>`
			);
	}
	out.push(`</g></svg>`);
	return out.join('\n');
}
