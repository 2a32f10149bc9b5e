/**
 * Tokens of one cell → the things a layer table states: convolutions, bracketed blocks × n,
 * the max pool, the head (average pool, n-d fc, softmax), and quantities (FLOPs, params).
 */
import type { Tok } from './lex';

export interface ConvEl {
	kind: 'conv';
	k: number;
	c: number;
	stride?: number;
	groups?: number;
	at: Tok;
	cAt: Tok;
	groupsAt?: Tok;
	strideAt?: Tok;
}
export interface PoolEl {
	kind: 'pool';
	k?: number;
	stride?: number;
	at: Tok;
}
export interface GroupEl {
	kind: 'group';
	convs: ConvEl[];
	n: number;
	at: Tok;
	nAt: Tok;
}
export interface HeadEl {
	kind: 'avgpool' | 'flatten';
	at: Tok;
}
export interface FcEl {
	kind: 'fc';
	classes: number;
	at: Tok;
}
export type El = ConvEl | PoolEl | GroupEl | HeadEl | FcEl;

/** A problem at a token (or the token range from..to). */
export interface TokError {
	at: Tok;
	to?: Tok;
	message: string;
}

class Fail {
	constructor(readonly error: TokError) {}
}

const lower = (t: Tok | undefined) => (t && t.kind === 'word' ? t.text.toLowerCase() : '');
const show = (t: Tok) => (t.text.length > 24 ? t.text.slice(0, 24) + '…' : t.text);

const STRIDE_WORDS = new Set(['stride', 'strides', 's']);
const GROUP_WORDS = new Set(['c', 'g', 'groups', 'group', 'cardinality']);
const NOISE = new Set(['conv', 'convolution', 'convolutions', 'convolutional', 'filters', 'channels']);
const POOL_WORDS = new Set(['pool', 'pooling', 'maxpool', 'maxpooling']);

export class ElementReader {
	private i = 0;
	constructor(private readonly t: Tok[]) {}

	private fail(at: Tok, message: string, to?: Tok): never {
		throw new Fail({ at, to, message });
	}
	private peek(k = 0): Tok | undefined {
		return this.t[this.i + k];
	}
	private isKernel(k = 0): boolean {
		return (
			this.peek(k)?.kind === 'num' && this.peek(k + 1)?.kind === 'times' && this.peek(k + 2)?.kind === 'num'
		);
	}
	private skip(...kinds: Tok['kind'][]) {
		while (this.peek() && kinds.includes(this.peek()!.kind)) this.i++;
	}
	private num(after: Tok, what: string): Tok {
		this.skip('eq');
		const n = this.peek();
		if (!n || n.kind !== 'num') this.fail(after, `${what} needs a number after it`);
		this.i++;
		return n;
	}

	/** All elements of the cell, or the first problem. */
	read(): { elements: El[]; error?: TokError } {
		const elements: El[] = [];
		try {
			for (;;) {
				this.skip('comma', 'break', 'dash');
				const tok = this.peek();
				if (!tok) break;
				const w = lower(tok);
				if (tok.kind === 'open') elements.push(this.group());
				else if (tok.kind === 'num' && this.peek(1)?.kind === 'times' && this.peek(2)?.kind === 'open') {
					this.i += 2;
					const g = this.group(true);
					elements.push({ ...g, n: tok.value, nAt: tok });
				} else if (this.isKernel()) {
					const el = this.kernelThing();
					if (el.kind === 'conv' && this.peek()?.kind === 'times')
						this.fail(
							this.peek()!,
							`× n needs the block's convolutions in brackets, e.g. [${el.k}×${el.k}, ${el.c}; ${el.k}×${el.k}, ${el.c}] × 2`
						);
					elements.push(el);
				} else if (tok.kind === 'num') elements.push(this.fcNumberFirst());
				else if (w === 'max' || POOL_WORDS.has(w)) elements.push(this.poolWordFirst());
				else if (['average', 'avg', 'global', 'avgpool', 'mean', 'adaptive'].includes(w)) {
					this.i++;
					while (['average', 'avg', 'global', 'avgpool', 'mean', 'adaptive'].includes(lower(this.peek())))
						this.i++;
					this.skip('dash');
					if (POOL_WORDS.has(lower(this.peek()))) this.i++;
					elements.push({ kind: 'avgpool', at: tok });
				} else if (w === 'flatten') {
					this.i++;
					elements.push({ kind: 'flatten', at: tok });
				} else if (['fc', 'dense', 'linear', 'fully'].includes(w)) elements.push(this.fcWordFirst());
				else if (w === 'softmax' || NOISE.has(w)) this.i++;
				else if (tok.kind === 'times') this.fail(tok, `a “${show(tok)}” with nothing to multiply`);
				else if (tok.kind === 'close') this.fail(tok, 'a closing bracket without its opening one');
				else this.fail(tok, `cannot read “${show(tok)}” here`);
			}
		} catch (e) {
			if (e instanceof Fail) return { elements, error: e.error };
			throw e;
		}
		return { elements };
	}

	private kernelThing(): ConvEl | PoolEl {
		const at = this.peek()!;
		const k1 = at.value;
		const k2 = this.peek(2)!.value;
		this.i += 3;
		if (k1 !== k2)
			this.fail(at, `a ${k1}×${k2} window: only square kernels are supported`, this.t[this.i - 1]);
		while (NOISE.has(lower(this.peek()))) this.i++;
		if (lower(this.peek()) === 'max' || POOL_WORDS.has(lower(this.peek()))) {
			while (
				lower(this.peek()) === 'max' ||
				POOL_WORDS.has(lower(this.peek())) ||
				this.peek()?.kind === 'dash'
			)
				this.i++;
			return { kind: 'pool', k: k1, stride: this.poolStride(), at };
		}
		if (lower(this.peek()) === 'average' || lower(this.peek()) === 'avg')
			this.fail(
				at,
				'an average pool inside the network is not part of a ResNet (only the global one before fc)'
			);
		this.skip('comma');
		const c = this.peek();
		if (!c || c.kind !== 'num' || (this.isKernel() && this.peek(3)?.kind === 'comma'))
			this.fail(at, `a kernel without a channel count: write ${k1}×${k1}, 64`, this.t[this.i - 1]);
		this.i++;
		const conv: ConvEl = { kind: 'conv', k: k1, c: c.value, at, cAt: c };
		this.attrs(conv);
		return conv;
	}

	private attrs(conv: ConvEl) {
		for (;;) {
			const save = this.i;
			this.skip('comma');
			const tok = this.peek();
			const w = lower(tok);
			if (tok && STRIDE_WORDS.has(w)) {
				this.i++;
				conv.strideAt = this.num(tok, 'stride');
				conv.stride = conv.strideAt.value;
			} else if (tok && tok.kind === 'slash' && this.peek(1)?.kind === 'num') {
				conv.strideAt = this.peek(1)!;
				conv.stride = conv.strideAt.value;
				this.i += 2;
			} else if (tok && GROUP_WORDS.has(w)) {
				this.i++;
				conv.groupsAt = this.num(tok, `“${tok.text}” (groups)`);
				conv.groups = conv.groupsAt.value;
			} else if (tok && tok.kind === 'num' && ['groups', 'group'].includes(lower(this.peek(1)))) {
				conv.groupsAt = tok;
				conv.groups = tok.value;
				this.i += 2;
			} else if (NOISE.has(w)) this.i++;
			else {
				this.i = save;
				return;
			}
		}
	}

	private poolStride(): number | undefined {
		const save = this.i;
		this.skip('comma');
		const tok = this.peek();
		if (tok && STRIDE_WORDS.has(lower(tok))) {
			this.i++;
			return this.num(tok, 'stride').value;
		}
		if (tok?.kind === 'slash' && this.peek(1)?.kind === 'num') {
			this.i += 2;
			return this.peek(-1)!.value;
		}
		this.i = save;
		return undefined;
	}

	private poolWordFirst(): PoolEl {
		const at = this.peek()!;
		while (lower(this.peek()) === 'max' || POOL_WORDS.has(lower(this.peek())) || this.peek()?.kind === 'dash')
			this.i++;
		this.skip('comma');
		let k: number | undefined;
		if (this.isKernel()) {
			const kt = this.peek()!;
			k = kt.value;
			if (this.peek(2)!.value !== k) this.fail(kt, 'only square pooling windows are supported');
			this.i += 3;
		}
		return { kind: 'pool', k, stride: this.poolStride(), at };
	}

	private fcNumberFirst(): FcEl {
		const n = this.peek()!;
		this.i++;
		this.skip('dash');
		if (['d', 'way', 'dim', 'class', 'classes'].includes(lower(this.peek()))) this.i++;
		this.skip('dash');
		if (!['fc', 'dense', 'linear', 'fully'].includes(lower(this.peek())))
			this.fail(n, `cannot read the number ${show(n)} here`);
		this.i++;
		if (lower(this.peek()) === 'connected') this.i++;
		return { kind: 'fc', classes: n.value, at: n };
	}

	private fcWordFirst(): FcEl {
		const at = this.peek()!;
		this.i++;
		if (lower(this.peek()) === 'connected') this.i++;
		this.skip('dash', 'comma', 'eq');
		const n = this.peek();
		if (!n || n.kind !== 'num' || this.isKernel())
			this.fail(at, 'an fc layer without its size: write 1000-d fc');
		this.i++;
		if (lower(this.peek()) === 'd') this.i++;
		return { kind: 'fc', classes: n.value, at: n };
	}

	private group(prefixed = false): GroupEl {
		const open = this.peek()!;
		this.i++;
		let depth = 1;
		const convs: ConvEl[] = [];
		let close: Tok | undefined;
		while (depth > 0) {
			this.skip('comma', 'break');
			const tok = this.peek();
			if (!tok) this.fail(open, 'this bracket is never closed');
			if (tok.kind === 'open') {
				depth++;
				this.i++;
			} else if (tok.kind === 'close') {
				depth--;
				close = tok;
				this.i++;
			} else if (this.isKernel()) {
				const el = this.kernelThing();
				if (el.kind === 'pool') this.fail(el.at, 'a max pool inside a block: it belongs to the stem');
				convs.push(el);
			} else if (NOISE.has(lower(tok))) this.i++;
			else if (tok.kind === 'times') this.fail(open, 'this bracket is not closed before its × n');
			else this.fail(tok, `cannot read “${show(tok)}” inside a block's brackets`);
		}
		if (convs.length === 0) this.fail(open, 'empty brackets: a block needs its convolutions', close);
		if (prefixed) return { kind: 'group', convs, n: NaN, at: open, nAt: open };
		const times = this.peek();
		if (!times || times.kind !== 'times')
			this.fail(close!, 'a bracket without its × n: write the number of blocks after it, e.g. ] × 2');
		this.i++;
		const n = this.peek();
		if (!n || n.kind !== 'num') this.fail(times, '× needs the number of blocks after it');
		this.i++;
		return { kind: 'group', convs, n: n.value, at: open, nAt: n };
	}
}

/** A quantity as the FLOPs or params row writes it: 1.8×10^9, 3.6e9, 11.7M, 4.09 G. */
export function readQuantity(t: Tok[]): number | null {
	const toks = t.filter((x) => x.kind !== 'comma' || false);
	if (toks.length === 0 || toks[0].kind !== 'num') return null;
	let v = toks[0].value;
	let i = 1;
	if (toks[i]?.kind === 'times' && toks[i + 1]?.kind === 'num' && toks[i + 2]?.kind === 'caret') {
		const neg = toks[i + 3]?.kind === 'dash';
		const e = toks[i + (neg ? 4 : 3)];
		if (e?.kind !== 'num') return null;
		v *= Math.pow(toks[i + 1].value, neg ? -e.value : e.value);
		i += neg ? 5 : 4;
	} else if (lower(toks[i]) === 'e' && toks[i + 1]?.kind === 'num') {
		v *= Math.pow(10, toks[i + 1].value);
		i += 2;
	} else if (toks[i]?.kind === 'word') {
		const w = toks[i].text;
		const scale: Record<string, number> = {
			k: 1e3,
			K: 1e3,
			M: 1e6,
			m: 1e6,
			million: 1e6,
			G: 1e9,
			B: 1e9,
			billion: 1e9,
			GFLOPs: 1e9,
			GFLOPS: 1e9,
			GMACs: 1e9,
			GMac: 1e9,
			MFLOPs: 1e6,
			MFLOPS: 1e6,
			MMACs: 1e6
		};
		if (scale[w] !== undefined) v *= scale[w];
		else if (!/^(FLOPs|FLOPS|flops|MACs|params|parameters)$/.test(w)) return null;
		i++;
	}
	return Number.isFinite(v) ? v : null;
}
