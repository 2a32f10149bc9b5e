/**
 * The formulas behind a node's numbers (DESIGN §3.3), written out with the node's own factors for
 * the tooltip: "MACs = H_out·W_out·C_out·(C_in/groups)·k² = 56·56·64·64·9". Only the graph's
 * numbers are shown as results; the factors come from the node's shapes and fields.
 */
import type { BlockGraph, GraphNode } from '../arch';
import { ecaKernel, seChannels } from '../arch/spec';

export interface Formula {
	name: string;
	/** Symbolic form. */
	symbolic: string;
	/** The factors, multiplied ("56·56·64·64·9"), or words. */
	factors: string;
}

const dot = (xs: (number | string)[]) => xs.join('·');

export function nodeFormulas(graph: BlockGraph, n: GraphNode): Formula[] {
	const cIn = n.inShape[0];
	const out: Formula[] = [];
	switch (n.op) {
		case 'conv2d': {
			const [cOut, hOut, wOut] = n.outShape;
			const k = n.kernel;
			const perOut = n.groups > 1 ? `(${cIn}/${n.groups})` : `${cIn}`;
			const kk = `${k * k}`;
			out.push({
				name: 'MACs',
				symbolic: 'H_out·W_out·C_out·(C_in/groups)·k²',
				factors: `${dot([hOut, wOut, cOut, perOut])}·${kk}`
			});
			out.push({
				name: 'params',
				symbolic: n.bias ? 'C_out·(C_in/groups)·k² + C_out' : 'C_out·(C_in/groups)·k²',
				factors: `${dot([cOut, perOut])}·${kk}${n.bias ? ` + ${cOut}` : ''}`
			});
			break;
		}
		case 'linear':
			out.push({ name: 'MACs', symbolic: 'in·out', factors: dot([n.inFeatures, n.outFeatures]) });
			out.push({
				name: 'params',
				symbolic: 'in·out + out',
				factors: `${dot([n.inFeatures, n.outFeatures])} + ${n.outFeatures}`
			});
			break;
		case 'batchnorm':
			out.push({ name: 'params', symbolic: '2·C (γ, β)', factors: dot([2, n.outShape[0]]) });
			out.push({ name: 'FLOPs', symbolic: '2·C·H·W', factors: dot([2, ...n.outShape]) });
			break;
		case 'relu':
		case 'add':
			out.push({ name: 'FLOPs', symbolic: 'C·H·W', factors: dot([...n.outShape]) });
			break;
		case 'maxpool':
			out.push({
				name: 'FLOPs',
				symbolic: 'C·H_out·W_out·(k²−1)',
				factors: `${dot([...n.outShape])}·(${n.kernel}²−1)`
			});
			break;
		case 'avgpool':
			out.push({ name: 'FLOPs', symbolic: 'C·H_in·W_in', factors: dot([...n.inShape]) });
			break;
		case 'avgpool2d': {
			const [, hIn, wIn] = n.inShape;
			const [, hOut, wOut] = n.outShape;
			const k = n.kernel;
			const side = (i: number, o: number) => `⌈(${i}−${k})/${n.stride}⌉+1 = ${o}`;
			out.push({
				name: 'H_out, W_out',
				symbolic: '⌈(H_in − k)/s⌉ + 1 (ceil mode; a window cut by the border averages what it covers)',
				factors: hIn === wIn ? side(hIn, hOut) : `${side(hIn, hOut)}, ${side(wIn, wOut)}`
			});
			out.push({ name: 'FLOPs', symbolic: 'C·H_out·W_out·k²', factors: `${dot([...n.outShape])}·${k * k}` });
			break;
		}
		case 'conv1d': {
			const c = n.inShape[0];
			const a = graph.spec.attention;
			if (a?.kind === 'eca') {
				// As timm (and ecaKernel) compute it: math.log(C, 2) = ln C / ln 2.
				const t = Math.trunc(Math.abs(Math.log(c) / Math.log(2) + a.beta) / a.gamma);
				out.push({
					name: 'k',
					symbolic: 't = ⌊|log₂C + β| / γ⌋; k = t if t is odd else t + 1, at least 3',
					factors: `t = ⌊|log₂${c} + ${a.beta}| / ${a.gamma}⌋ = ${t} → k = ${ecaKernel(c, a)}`
				});
			}
			out.push({ name: 'MACs', symbolic: 'C·k', factors: dot([c, n.kernel]) });
			out.push({
				name: 'params',
				symbolic: 'k (one filter shared by every channel)',
				factors: `${n.kernel}`
			});
			break;
		}
		case 'sigmoid':
			out.push({
				name: 'gate',
				symbolic: 'σ(x) = 1 / (1 + e^−x), one per channel',
				factors: `${n.outShape[0]} values in (0, 1)`
			});
			break;
		case 'scale':
			out.push({
				name: 'y',
				symbolic: 'x_c · gate_c (each channel times its gate)',
				factors: dot([...n.outShape]) + ' products'
			});
			break;
		case 'zeropad':
			out.push({
				name: 'shortcut',
				symbolic: `x[:, :, ::${n.stride}, ::${n.stride}] + ${n.padChannels} zero channels`,
				factors: 'no parameters, no MACs'
			});
			break;
		case 'flatten':
		case 'input':
			break;
	}
	const a = graph.spec.attention;
	// SE's squeeze conv: its width rd is timm's make_divisible of the channels times the ratio.
	if (n.op === 'conv2d' && n.path === 'attention' && a?.kind === 'se' && n.outShape[0] < n.inShape[0])
		out.unshift({
			name: 'rd',
			symbolic: 'make_divisible(C·ratio, divisor)',
			factors: `make_divisible(${cIn}·${Number(a.ratio.toPrecision(6))}, ${a.divisor}) = ${seChannels(cIn, a)}`
		});
	const src = graph.byId.get(n.inputs[0]);
	if (src && (n.op === 'conv2d' || n.op === 'maxpool'))
		out.push({
			name: 'RF',
			symbolic: 'RF_in + (k−1)·jump_in',
			factors: `${src.receptiveField} + ${n.kernel - 1}·${src.jump}`
		});
	return out;
}

/** "MACs = H_out·W_out·C_out·(C_in/groups)·k² = 56·56·64·64·9". */
export function formulaText(f: Formula): string {
	return `${f.name} = ${f.symbolic} = ${f.factors}`;
}
