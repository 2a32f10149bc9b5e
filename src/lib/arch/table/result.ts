/**
 * What reading a layer table gives back — columns, errors with a line and column, notes — and the
 * small pieces every phase of the reader shares: where an offset is, a row, a size, a depth.
 */
import type { ArchSpec, ShortcutOption, StrideOn } from '../spec';
import type { Cell, TableForm } from './grid';
import type { Tok } from './lex';

/** A problem with the table, placed at a 1-based line and column (columns count characters). */
export class TableParseError extends Error {
	readonly line: number;
	readonly column: number;
	/** Offset (UTF-16 index) into the text and length of the range the problem is about. */
	readonly offset: number;
	readonly length: number;
	constructor(line: number, column: number, message: string, offset = 0, length = 0) {
		super(message);
		this.name = 'TableParseError';
		this.line = line;
		this.column = column;
		this.offset = offset;
		this.length = length;
	}
	toString(): string {
		return `${this.line}:${this.column}: ${this.message}`;
	}
}

/** Something the table states that disagrees with what we compute (warning), or how a value was read (info). */
export interface TableNote {
	level: 'warning' | 'info';
	line: number;
	column: number;
	offset: number;
	length: number;
	message: string;
}

export interface TableOptions {
	/** The form; detected when left out. */
	form?: TableForm;
	/** Shortcut option; default B for the ImageNet stem, A for the CIFAR stem (as in the paper). */
	shortcut?: ShortcutOption;
	/** Where a bottleneck's stride sits; default the 3×3 (torchvision). */
	strideOn?: StrideOn;
	/** Input size; default: from conv1's output size, else 224×224 (ImageNet stem) or 32×32 (CIFAR stem). */
	input?: { height: number; width: number };
	/** Input channels; default 3 (a table does not state them). */
	channels?: number;
	/** The spec's name; default from the depth: resnet50, wide_resnet50_2, resnext50_32x4d, resnet56. */
	name?: string;
}

/** What the table could not say and where the value came from, to show beside the spec. */
export interface TableDefaults {
	shortcut: ShortcutOption;
	shortcutFrom: 'option' | 'default';
	strideOn: StrideOn;
	strideOnFrom: 'option' | 'default';
	input: { height: number; width: number };
	inputFrom: 'option' | 'table' | 'default';
}

export interface TableColumn {
	/** The column's header text ("50-layer"), or "column N". */
	header: string;
	/** 1-based index among the architecture columns. */
	index: number;
	/** The architecture; null when the column has errors. */
	spec: ArchSpec | null;
	warnings: TableNote[];
	notes: TableNote[];
	errors: TableParseError[];
	defaults: TableDefaults | null;
}

export interface TableParseResult {
	form: TableForm | null;
	columns: TableColumn[];
	/** Every error of every column (deduplicated), in text order. */
	errors: TableParseError[];
}

// ---------------------------------------------------------------------------------------------

/** Offsets → 1-based line and column; makes errors and notes placed at a range of the text. */
export class Locator {
	private starts: number[] = [0];
	constructor(private readonly text: string) {
		for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.starts.push(i + 1);
	}
	at(offset: number): { line: number; column: number } {
		let lo = 0;
		let hi = this.starts.length - 1;
		while (lo < hi) {
			const mid = (lo + hi + 1) >> 1;
			if (this.starts[mid] <= offset) lo = mid;
			else hi = mid - 1;
		}
		const lineStart = this.starts[lo];
		// columns count code points, not UTF-16 units
		const column = [...this.text.slice(lineStart, Math.min(offset, this.text.length))].length + 1;
		return { line: lo + 1, column };
	}
	error(start: number, end: number, message: string): TableParseError {
		const { line, column } = this.at(start);
		return new TableParseError(line, column, message, start, Math.max(0, end - start));
	}
	note(level: TableNote['level'], start: number, end: number, message: string): TableNote {
		return { level, ...this.at(start), offset: start, length: Math.max(0, end - start), message };
	}
}

/** A logical row: a physical row and the continuation rows below it, cells as tokens. */
export interface LRow {
	/** Name cell text ("conv2_x"), cleaned. */
	name: string;
	nameCell: Cell | null;
	sizeCell: Cell | null;
	size: { h: number; w: number } | null;
	/** Per architecture column: the tokens of its cells (continuation rows joined). */
	arch: Tok[][];
	start: number;
	kind: 'content' | 'flops' | 'params';
}

/** "56×56" → { h: 56, w: 56 }; null for anything else. */
export function sizeOf(toks: Tok[]): { h: number; w: number } | null {
	const t = toks.filter((x) => x.kind !== 'break');
	if (t.length === 3 && t[0].kind === 'num' && t[1].kind === 'times' && t[2].kind === 'num')
		return { h: t[0].value, w: t[2].value };
	return null;
}

const SUP = '⁰¹²³⁴⁵⁶⁷⁸⁹';
/** 3.8e9 → "3.8×10⁹" (up to 3 significant digits). */
export function sci(v: number): string {
	if (!(v > 0) || !Number.isFinite(v)) return String(v);
	const e = v >= 1e9 && v < 1e12 ? 9 : Math.floor(Math.log10(v));
	const m = Number((v / 10 ** e).toPrecision(3));
	const exp = String(e)
		.split('')
		.map((d) => (d === '-' ? '⁻' : SUP[Number(d)]))
		.join('');
	return `${m}×10${exp}`;
}

/** Depth as the paper counts it: weighted layers on the main path (stem conv, block convs, fc). */
export function specDepth(spec: Pick<ArchSpec, 'block' | 'stages'>): number {
	return 2 + spec.stages.reduce((n, s) => n + s.blocks * (spec.block === 'basic' ? 2 : 3), 0);
}

/** torchvision's name for a spec: resnet50, wide_resnet50_2, resnext50_32x4d. */
export function defaultName(spec: Pick<ArchSpec, 'block' | 'stages' | 'groups' | 'widthPerGroup'>): string {
	const d = specDepth(spec);
	if (spec.groups > 1) return `resnext${d}_${spec.groups}x${spec.widthPerGroup}d`;
	if (spec.widthPerGroup !== 64 && spec.widthPerGroup % 64 === 0)
		return `wide_resnet${d}_${spec.widthPerGroup / 64}`;
	return `resnet${d}`;
}
