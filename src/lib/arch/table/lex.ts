/**
 * The tokenizer of table cells: reads a range of the source text (TSV, Markdown, LaTeX or plain)
 * and yields tokens that keep their offsets, skipping LaTeX and HTML noise.
 */

export type TokKind =
	| 'num'
	| 'times'
	| 'word'
	| 'open'
	| 'close'
	| 'break'
	| 'comma'
	| 'dash'
	| 'eq'
	| 'slash'
	| 'caret'
	| 'other';

export interface Tok {
	kind: TokKind;
	text: string;
	/** For num: the value (may be huge or non-integer). */
	value: number;
	/** Offsets into the source text (UTF-16 indices). */
	start: number;
	end: number;
}

const SPACE = /[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]/;
const TIMES_CHARS = '×✕⨯✖⋅·*';
const DASHES = '-‐‑‒–—−';
const SUPERSCRIPTS = '⁰¹²³⁴⁵⁶⁷⁸⁹';
const OPEN_ENVS = new Set(['bmatrix', 'pmatrix', 'Bmatrix', 'vmatrix', 'Vmatrix']);
const ARG_ENVS = new Set(['array', 'tabular']);
const DELIM_LEFT = new Set(['left', 'bigl', 'Bigl', 'biggl', 'Biggl', 'big', 'Big', 'bigg', 'Bigg']);
const DELIM_RIGHT = new Set(['right', 'bigr', 'Bigr', 'biggr', 'Biggr']);
const ENTITIES: Record<string, string> = {
	'&times;': '×',
	'&#215;': '×',
	'&#xd7;': '×',
	'&nbsp;': ' ',
	'&thinsp;': ' ',
	'&ensp;': ' ',
	'&emsp;': ' ',
	'&amp;': '&',
	'&minus;': '−',
	'&ndash;': '–'
};

/** Index after a balanced `{…}` group starting at i (or i when there is none). */
export function skipGroup(src: string, i: number, end: number): number {
	let j = i;
	while (j < end && SPACE.test(src[j])) j++;
	if (src[j] !== '{') return i;
	let depth = 0;
	for (; j < end; j++) {
		if (src[j] === '\\') {
			j++;
			continue;
		}
		if (src[j] === '{') depth++;
		else if (src[j] === '}' && --depth === 0) return j + 1;
	}
	return end;
}

/** The text of a `{…}` group at i, and the index after it. */
export function readGroup(src: string, i: number, end: number): { text: string; next: number } | null {
	let j = i;
	while (j < end && SPACE.test(src[j])) j++;
	if (src[j] !== '{') return null;
	const next = skipGroup(src, j, end);
	return { text: src.slice(j + 1, Math.max(j + 1, next - 1)), next };
}

export function lex(src: string, start: number, end: number): Tok[] {
	const out: Tok[] = [];
	const push = (kind: TokKind, s: number, e: number, value = NaN) =>
		out.push({ kind, text: src.slice(s, e), value, start: s, end: e });
	let i = start;
	while (i < end) {
		const ch = src[i];
		if (SPACE.test(ch) || ch === '$' || ch === '{' || ch === '}' || ch === '~' || ch === '`') {
			i++;
			continue;
		}
		if (ch === '\\') {
			const next = src[i + 1];
			if (next === '\\') {
				push('break', i, i + 2);
				i += 2;
				// \\[2pt]: an optional spacing argument
				const m = /^\s*\[[^\]]{0,12}\]/.exec(src.slice(i, Math.min(end, i + 20)));
				if (m && /\d/.test(m[0]) && /(pt|em|ex|mm|cm)/.test(m[0])) i += m[0].length;
				continue;
			}
			if (next === undefined || i + 1 >= end) {
				i++;
				continue;
			}
			if (!/[a-zA-Z]/.test(next)) {
				// \, \; \: \! \  \{ \} \_ \% \& \| \[ \]
				if (next === '_') push('word', i, i + 2);
				i += 2;
				continue;
			}
			let j = i + 1;
			while (j < end && /[a-zA-Z]/.test(src[j])) j++;
			const name = src.slice(i + 1, j);
			if (j < end && src[j] === '*') j++;
			if (name === 'times' || name === 'cdot') {
				push('times', i, j);
				i = j;
				continue;
			}
			if (DELIM_LEFT.has(name) || DELIM_RIGHT.has(name)) {
				let k = j;
				while (k < end && SPACE.test(src[k])) k++;
				const d = src[k];
				if (d === '[' || d === '(' || (d === '\\' && src[k + 1] === '{')) {
					push('open', i, k + (d === '\\' ? 2 : 1));
					i = k + (d === '\\' ? 2 : 1);
				} else if (d === ']' || d === ')' || (d === '\\' && src[k + 1] === '}')) {
					push('close', i, k + (d === '\\' ? 2 : 1));
					i = k + (d === '\\' ? 2 : 1);
				} else if (d === '.' || d === '|') i = k + 1;
				else i = j;
				continue;
			}
			if (name === 'begin' || name === 'end') {
				const g = readGroup(src, j, end);
				if (!g) {
					i = j;
					continue;
				}
				const env = g.text.trim();
				if (OPEN_ENVS.has(env)) push(name === 'begin' ? 'open' : 'close', i, g.next);
				i = name === 'begin' && ARG_ENVS.has(env) ? skipGroup(src, g.next, end) : g.next;
				continue;
			}
			if (name === 'cline' || name === 'label' || name === 'vspace' || name === 'hspace') {
				i = skipGroup(src, j, end);
				continue;
			}
			// \text, \mathrm, \textbf, \hline, unknown commands: dropped, their arguments read as text
			i = j;
			continue;
		}
		if (ch === '<') {
			const m = /^<\/?([a-zA-Z]+)[^<>]{0,40}>/.exec(src.slice(i, Math.min(end, i + 48)));
			if (m) {
				const tag = m[1].toLowerCase();
				if (tag === 'br') push('break', i, i + m[0].length);
				else if (tag === 'sup' && m[0][1] !== '/') push('caret', i, i + m[0].length);
				i += m[0].length;
				continue;
			}
		}
		if (ch === '&') {
			const m = /^&(#x?[0-9a-fA-F]+|[a-z]+);/.exec(src.slice(i, Math.min(end, i + 10)));
			const sub = m && ENTITIES[m[0].toLowerCase()];
			if (m && sub !== undefined) {
				if (sub === '×') push('times', i, i + m[0].length);
				else if (sub === '−' || sub === '–') push('dash', i, i + m[0].length);
				else if (sub === '&') push('comma', i, i + m[0].length);
				i += m[0].length;
				continue;
			}
			push('comma', i, i + 1);
			i++;
			continue;
		}
		if (/[0-9]/.test(ch)) {
			let j = i;
			while (j < end && /[0-9]/.test(src[j])) j++;
			if (src[j] === '.' && j + 1 < end && /[0-9]/.test(src[j + 1])) {
				j++;
				while (j < end && /[0-9]/.test(src[j])) j++;
			}
			push('num', i, j, Number(src.slice(i, j)));
			i = j;
			continue;
		}
		if (SUPERSCRIPTS.includes(ch)) {
			push('caret', i, i);
			let j = i;
			let digits = '';
			while (j < end && SUPERSCRIPTS.includes(src[j])) digits += SUPERSCRIPTS.indexOf(src[j++]);
			out.push({ kind: 'num', text: src.slice(i, j), value: Number(digits), start: i, end: j });
			i = j;
			continue;
		}
		if (/[\p{L}_]/u.test(ch)) {
			let j = i;
			while (j < end && /[\p{L}_]/u.test(src[j])) j++;
			const word = src.slice(i, j);
			push(word === 'x' || word === 'X' ? 'times' : 'word', i, j);
			i = j;
			continue;
		}
		if (ch === '*' && src[i + 1] === '*') {
			i += 2;
			continue;
		}
		if (TIMES_CHARS.includes(ch)) push('times', i, i + 1);
		else if (DASHES.includes(ch)) push('dash', i, i + 1);
		else if (ch === '[') push('open', i, i + 1);
		else if (ch === ']') push('close', i, i + 1);
		else if (ch === ',' || ch === '，') push('comma', i, i + 1);
		else if (ch === ';' || ch === '\n') push('break', i, i + 1);
		else if (ch === '=' || ch === ':') push('eq', i, i + 1);
		else if (ch === '/') push('slash', i, i + 1);
		else if (ch === '^') push('caret', i, i + 1);
		else if (ch === '(' || ch === ')') {
			/* parentheses are read through */
		} else {
			// one code point, not half of a surrogate pair
			const cp = src.codePointAt(i)!;
			const len = cp > 0xffff ? 2 : 1;
			push('other', i, i + len);
			i += len;
			continue;
		}
		i++;
	}
	return out;
}
