/**
 * ArchSpec → a layer table in the style of the paper's Table 1, in each form parseTable reads.
 * A table states the stem, the blocks of each stage (channels, count, stride), the classes and,
 * through the output-size column, the input size; the rest (name, shortcut, strideOn, residual,
 * convBias) are parse options and defaults. dropPath (training only) has no row.
 * The family's other variants — deep stems, another stem pool, SE/ECA attention, pre-activation —
 * have no place in the paper's table: formatTable refuses them (`tableProblem`) rather than
 * writing a table of another network.
 */
import { buildGraph } from '../graph';
import { nodeIds } from '../ids';
import { SpecError, blockOrder, bottleneckInnerWidth, stemPool, type ArchSpec } from '../spec';
import type { TableForm } from './grid';
import { specDepth } from './result';

interface Row {
	name: string;
	size: string;
	/** Lines of the architecture cell; a block is { block: lines, n }. */
	lines: (string | { block: string[]; n: number })[];
	kind?: 'flops';
}

/**
 * Why the paper's layer table cannot express `spec` (a SpecError placed at the field), or null
 * when it can.
 */
export function tableProblem(spec: ArchSpec): SpecError | null {
	const cannot = (path: string, what: string) =>
		new SpecError(path, `the paper's layer table cannot express ${what}; formatTable writes no table for it`);
	if (spec.stem.kind !== 'imagenet' && spec.stem.kind !== 'cifar')
		return cannot('stem.kind', `a ${spec.stem.kind} stem (three 3×3 convs)`);
	if (stemPool(spec.stem) !== stemPool({ kind: spec.stem.kind, width: spec.stem.width }))
		return cannot(
			'stem.pool',
			`stem pool "${stemPool(spec.stem)}" (the ${spec.stem.kind} stem's is "${stemPool({ kind: spec.stem.kind, width: spec.stem.width })}")`
		);
	if (spec.attention) return cannot('attention', `${spec.attention.kind.toUpperCase()} attention`);
	if (blockOrder(spec) !== 'post') return cannot('order', 'pre-activation blocks');
	return null;
}

function rowsOf(spec: ArchSpec): Row[] {
	const problem = tableProblem(spec);
	if (problem) throw problem;
	const g = buildGraph(spec);
	const hw = (s: readonly number[]) => `${s[1]}×${s[2]}`;
	const rows: Row[] = [];
	const imagenet = spec.stem.kind === 'imagenet';
	rows.push({
		name: 'conv1',
		size: hw(g.byId.get(nodeIds(spec).stemConv(0, 1))!.outShape),
		lines: [imagenet ? `7×7, ${spec.stem.width}, stride 2` : `3×3, ${spec.stem.width}`]
	});
	spec.stages.forEach((st, i) => {
		const out = st.width * spec.expansion;
		const strideNote = st.stride !== (i === 0 ? 1 : 2) ? `, stride ${st.stride}` : '';
		let block: string[];
		if (spec.block === 'basic') block = [`3×3, ${st.width}${strideNote}`, `3×3, ${out}`];
		else {
			const inner = bottleneckInnerWidth(spec, st.width);
			const c = spec.groups > 1 ? `, C=${spec.groups}` : '';
			block = [`1×1, ${inner}`, `3×3, ${inner}${c}${strideNote}`, `1×1, ${out}`];
		}
		const lines: Row['lines'] = [];
		if (i === 0 && imagenet) lines.push('3×3 max pool, stride 2');
		lines.push({ block, n: st.blocks });
		rows.push({ name: `conv${i + 2}_x`, size: hw(g.stages[i].outShape), lines });
	});
	const pool = spec.head.pool === 'avg' ? 'average pool' : 'flatten';
	rows.push({
		name: '',
		size: spec.head.pool === 'avg' ? '1×1' : '',
		lines: [`${pool}, ${spec.head.classes}-d fc, softmax`]
	});
	const macs = g.totals.macs;
	const e = Math.floor(Math.log10(macs));
	const m = Number((macs / 10 ** e).toPrecision(3));
	rows.push({ name: 'FLOPs', size: '', lines: [`${m}×10^${e}`], kind: 'flops' });
	return rows;
}

const tex = (s: string) => s.replace(/×/g, '$\\times$').replace(/_/g, '\\_');

/**
 * The spec as a one-column layer table (header "N-layer") in the given form. Throws the
 * SpecError of `tableProblem` for a variant the table cannot express.
 */
export function formatTable(spec: ArchSpec, form: TableForm): string {
	const rows = rowsOf(spec);
	const header = `${specDepth(spec)}-layer`;
	switch (form) {
		case 'tsv': {
			const out = [['layer name', 'output size', header].join('\t')];
			for (const r of rows) {
				const cells = r.lines.map((l) =>
					typeof l === 'string'
						? r.kind === 'flops'
							? `$${l.replace('×', ' \\times ').replace(/\^(\d+)/, '^{$1}')}$`
							: l
						: `$\\begin{bmatrix} ${l.block.map((x) => x.replace(/×/g, ' \\times ')).join(' \\\\ ')} \\end{bmatrix} \\times ${l.n}$`
				);
				cells.forEach((c, i) => out.push([i === 0 ? r.name : '', i === 0 ? r.size : '', c].join('\t')));
			}
			return out.join('\n') + '\n';
		}
		case 'markdown': {
			const out = [`| layer name | output size | ${header} |`, '|---|---|---|'];
			for (const r of rows) {
				const cell = r.lines
					.map((l) => (typeof l === 'string' ? l : `[${l.block.join('<br>')}] × ${l.n}`))
					.join('<br>');
				out.push(`| ${r.name} | ${r.size} | ${cell} |`);
			}
			return out.join('\n') + '\n';
		}
		case 'latex': {
			const out = [
				'\\begin{tabular}{c|c|c}',
				'\\hline',
				`layer name & output size & ${header} \\\\`,
				'\\hline'
			];
			for (const r of rows) {
				r.lines.forEach((l, i) => {
					const cell =
						typeof l === 'string'
							? r.kind === 'flops'
								? l.replace('×10^', '$\\times10^{').replace(/$/, '}$')
								: tex(l)
							: `$\\left[\\begin{array}{c}${l.block.map((x) => `\\text{${tex(x)}}`).join('\\\\ ')}\\end{array}\\right]$$\\times$${l.n}`;
					const name = i === 0 ? (r.kind === 'flops' ? r.name : tex(r.name)) : '';
					out.push(`${name} & ${i === 0 ? tex(r.size) : ''} & ${cell} \\\\`);
				});
				out.push('\\hline');
			}
			out.push('\\end{tabular}');
			return out.join('\n') + '\n';
		}
		case 'plain': {
			const out = [`# ${header}`];
			for (const r of rows) {
				const name = r.name || (r.kind === 'flops' ? 'FLOPs' : 'fc');
				const cell = r.lines
					.map((l) => (typeof l === 'string' ? l : `[${l.block.join('; ')}] ×${l.n}`))
					.join('; ');
				out.push(`${name}${r.size ? ` (${r.size})` : ''}: ${cell}`);
			}
			return out.join('\n') + '\n';
		}
	}
}
