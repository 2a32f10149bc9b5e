import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS, SpecError, buildGraph, presetSpec, specsEqual, type ArchSpec } from '../../src/lib/arch';
import {
	TABLE1_EXAMPLE,
	TABLE_FORMS,
	defaultName,
	formatTable,
	parseTable,
	tableProblem,
	pickColumn,
	type TableParseResult
} from '../../src/lib/arch/table';

const fixture = (name: string) => readFileSync(`tests/fixtures/tables/${name}`, 'utf8');

// torchvision's documented parameter counts (also measured with Debian's python3-torchvision).
const TORCHVISION_PARAMS: [string, string, number][] = [
	['18-layer', 'resnet18', 11_689_512],
	['34-layer', 'resnet34', 21_797_672],
	['50-layer', 'resnet50', 25_557_032],
	['101-layer', 'resnet101', 44_549_160],
	['152-layer', 'resnet152', 60_192_808]
];

const params = (spec: ArchSpec | null) => (spec ? buildGraph(spec).totals.params : null);

function expectTable1(r: TableParseResult) {
	expect(r.errors).toEqual([]);
	expect(r.columns.map((c) => c.header)).toEqual(TORCHVISION_PARAMS.map(([h]) => h));
	r.columns.forEach((c, i) => {
		const [, preset, count] = TORCHVISION_PARAMS[i];
		expect(params(c.spec)).toBe(count);
		expect(specsEqual(c.spec!, presetSpec(preset)!)).toBe(true);
	});
}

describe("our renderings of Table 1 give torchvision's networks", () => {
	it.each([
		['table1.tsv', 'tsv'],
		['table1.md', 'markdown'],
		['table1.tex', 'latex']
	])('%s (%s, five columns)', (file, form) => {
		const r = parseTable(fixture(file));
		expect(r.form).toBe(form);
		expectTable1(r);
	});

	it.each(TORCHVISION_PARAMS)('plain text, %s', (header, preset, count) => {
		const r = parseTable(fixture(`table1-${header.split('-')[0]}.txt`));
		expect(r.form).toBe('plain');
		expect(r.errors).toEqual([]);
		expect(r.columns).toHaveLength(1);
		expect(r.columns[0].header).toBe(header);
		expect(params(r.columns[0].spec)).toBe(count);
		expect(specsEqual(r.columns[0].spec!, presetSpec(preset)!)).toBe(true);
	});

	it("the editor's example is Table 1 too", () => {
		expectTable1(parseTable(TABLE1_EXAMPLE));
	});

	it('reads the output-size column for the input, and the stem defaults', () => {
		const c = parseTable(fixture('table1.tsv')).columns[2];
		expect(c.defaults).toEqual({
			shortcut: 'B',
			shortcutFrom: 'default',
			strideOn: '3x3',
			strideOnFrom: 'default',
			input: { height: 224, width: 224 },
			inputFrom: 'table'
		});
	});
});

describe('checks against the table', () => {
	it('FLOPs of the 50-layer column: a warning at its cell naming both stride placements', () => {
		const text = fixture('table1.tsv');
		const c = parseTable(text).columns[2];
		expect(c.warnings).toHaveLength(1);
		const w = c.warnings[0];
		// 3.8×10⁹ (the paper) vs 4,089,184,256 MACs (torchvision) and 3,857,973,248 (stride on the 1×1)
		expect(w.message).toContain('3.8×10⁹');
		expect(w.message).toContain('4.09');
		expect(w.message).toContain('3.86');
		const lines = text.split('\n');
		expect(lines[w.line - 1].startsWith('FLOPs')).toBe(true);
		expect(lines[w.line - 1].split('\t')[4]).toBe('$3.8 \\times 10^9$');
		expect(text.slice(w.offset, w.offset + w.length)).toBe('3.8 \\times 10^9');
		// the other columns agree within the paper's rounding
		for (const i of [0, 1, 3, 4]) expect(parseTable(text).columns[i].warnings).toEqual([]);
	});

	it('with the stride on the 1×1 (the paper), the 50-layer FLOPs agree', () => {
		const c = parseTable(fixture('table1.tsv'), { strideOn: '1x1' }).columns[2];
		expect(c.warnings).toEqual([]);
		expect(c.spec!.strideOn).toBe('1x1');
		expect(buildGraph(c.spec!).totals.macs).toBe(3_857_973_248);
	});

	it('an output size that disagrees is a warning at that cell', () => {
		const text = fixture('table1.md').replace('| conv3_x | 28×28 |', '| conv3_x | 56×56 |');
		const r = parseTable(text);
		expect(r.errors).toEqual([]);
		const w = r.columns[0].warnings.find((x) => x.message.includes('56×56'))!;
		expect(w.message).toContain('computed 28×28');
		expect(w.line).toBe(7);
		expect(
			text
				.split('\n')[6]
				.slice(w.column - 1)
				.startsWith('56×56')
		).toBe(true);
	});

	it('a header depth that disagrees is a warning', () => {
		const r = parseTable(fixture('table1-18.txt').replace('# 18-layer', '# 20-layer'));
		expect(r.columns[0].warnings.map((w) => w.message)).toEqual([
			expect.stringContaining('the header says 20 layers; the column has 18')
		]);
	});
});

describe('forms and notations', () => {
	const plain = (content: string[]) => parseTable(content.join('\n'));

	it.each([
		['{\\times}', '$3{\\times}3$, 64'],
		['\\,', '3\\,\\times\\,3, 64'],
		['X and *', '3X3, 64'],
		['thin and no-break spaces', '3\u2009×\u00a03,\u202f64'],
		[
			'smallmatrix',
			'$\\left[\\begin{smallmatrix} 3\\times3, 64 \\\\ 3\\times3, 64 \\end{smallmatrix}\\right] \\times 2$'
		]
	])('%s', (_, line) => {
		const bracket = line.includes('matrix') ? line : `[${line}; ${line}] x2`;
		const r = plain([
			'conv1: 7x7, 64, stride 2',
			'pool: 3x3 max pool, stride 2',
			`conv2_x: ${bracket}`,
			'conv3_x: [3x3, 128; 3x3, 128] x2',
			'conv4_x: [3x3, 256; 3x3, 256] x2',
			'conv5_x: [3x3, 512; 3x3, 512] x2',
			'fc: average pool, 1000-d fc'
		]);
		expect(r.errors).toEqual([]);
		expect(params(r.columns[0].spec)).toBe(11_689_512);
	});

	it('pmatrix, TSV continuation rows, groups=32: resnext50_32x4d', () => {
		const row = (name: string, size: string, c: number, n: number) =>
			`${name}\t${size}\t$\\begin{pmatrix} 1 \\times 1, ${2 * c} \\\\ 3 \\times 3, ${2 * c}, groups=32 \\\\ 1 \\times 1, ${4 * c} \\end{pmatrix} \\times ${n}$`;
		const text = [
			'stage\toutput size\tResNeXt-50 (32×4d)',
			'conv1\t112×112\t7×7, 64, stride 2',
			'conv2\t56×56\t3×3 max pool, stride 2',
			row('', '', 64, 3),
			row('conv3', '28×28', 128, 4),
			row('conv4', '14×14', 256, 6),
			row('conv5', '7×7', 512, 3),
			'\t1×1\tglobal average pool, 1000-d fc, softmax'
		].join('\n');
		const r = parseTable(text);
		expect(r.errors).toEqual([]);
		const spec = r.columns[0].spec!;
		expect(specsEqual(spec, presetSpec('resnext50_32x4d')!)).toBe(true);
		expect(params(spec)).toBe(25_028_904); // torchvision resnext50_32x4d
	});

	it('a continuation row under conv1 holding the max pool (TSV as copied from a PDF)', () => {
		const block = (c: number, n: number) =>
			`$\\begin{bmatrix} 1 \\times 1, ${c} \\\\ 3 \\times 3, ${c} \\\\ 1 \\times 1, ${4 * c} \\end{bmatrix} \\times ${n}$`;
		const text = [
			'layer name\toutput size\t50-layer',
			'conv1\t112×112\t7×7, 64, stride 2',
			'\t\t3×3 max pool, stride 2',
			`conv2_x\t56×56\t${block(64, 3)}`,
			`conv3_x\t28×28\t${block(128, 4)}`,
			`conv4_x\t14×14\t${block(256, 6)}`,
			`conv5_x\t7×7\t${block(512, 3)}`,
			'\t1×1\taverage pool, 1000-d fc, softmax',
			'FLOPs\t\t$3.8 \\times 10^9$'
		].join('\n');
		const r = parseTable(text);
		expect(r.errors).toEqual([]);
		expect(params(r.columns[0].spec)).toBe(25_557_032);
		expect(r.columns[0].defaults!.inputFrom).toBe('table');
		expect(r.columns[0].warnings.map((w) => w.line)).toEqual([9]);
	});

	it('the max pool written in the first column only counts for every column (Markdown)', () => {
		const text = [
			'| layer name | output size | 18-layer | 34-layer |',
			'|---|---|---|---|',
			'| conv1 | 112×112 | 7×7, 64, stride 2 | |',
			'| conv2_x | 56×56 | 3×3 max pool, stride 2<br>[3×3, 64<br>3×3, 64] × 2 | [3×3, 64<br>3×3, 64] × 3 |',
			'| conv3_x | 28×28 | [3×3, 128<br>3×3, 128] × 2 | [3×3, 128<br>3×3, 128] × 4 |',
			'| conv4_x | 14×14 | [3×3, 256<br>3×3, 256] × 2 | [3×3, 256<br>3×3, 256] × 6 |',
			'| conv5_x | 7×7 | [3×3, 512<br>3×3, 512] × 2 | [3×3, 512<br>3×3, 512] × 3 |',
			'| | 1×1 | average pool, 1000-d fc, softmax | |'
		].join('\n');
		const r = parseTable(text);
		expect(r.errors).toEqual([]);
		expect(r.columns.map((c) => params(c.spec))).toEqual([11_689_512, 21_797_672]);
	});

	it('the CIFAR stem: 3×3, 16 alone, input from the output size, option A', () => {
		const r = plain([
			'conv1 (32×32): 3×3, 16',
			'conv2_x (32×32): [3×3, 16; 3×3, 16] × 3',
			'conv3_x (16×16): [3×3, 32; 3×3, 32] × 3',
			'conv4_x (8×8): [3×3, 64; 3×3, 64] × 3',
			'fc: average pool, 10-d fc'
		]);
		expect(r.errors).toEqual([]);
		expect(specsEqual(r.columns[0].spec!, presetSpec('resnet20')!)).toBe(true);
		// the paper's CIFAR ResNet-20: 0.27M parameters (§4.2, Table 6)
		expect(Math.round(params(r.columns[0].spec)! / 1e4) / 100).toBe(0.27);
	});

	it('an explicit stride overrides the default', () => {
		const r = plain([
			'conv1: 3x3, 16',
			'conv2_x: [3x3, 16; 3x3, 16] x1',
			'conv3_x: [3x3, 32, stride 1; 3x3, 32] x1',
			'fc: 10-d fc'
		]);
		expect(r.columns[0].spec!.stages.map((s) => s.stride)).toEqual([1, 1]);
	});
});

describe('round trip: parse(formatTable(spec, form)) equals the spec for every preset', () => {
	// A table states the stem, blocks, strides, classes and (through the output-size column) the
	// input size. It cannot state the name, the input channels, the shortcut option or where a
	// bottleneck strides: those come from parse options, or their defaults (torchvision's name for the
	// depth, 3 channels, B for the ImageNet stem and A for the CIFAR stem, stride on the 3×3).
	// The timm and pre-activation variants are left out: their deep stems, attention and
	// pre-activation blocks have no place in the table (see the next describe).
	const expressible = PRESETS.filter((p) => tableProblem(p.spec) === null);
	const cases = expressible.flatMap((p) => TABLE_FORMS.map((f) => [p.name, f] as const));
	it.each(cases)('%s as %s', (name, form) => {
		const spec = presetSpec(name)!;
		const options = {
			...(spec.name !== defaultName(spec) ? { name: spec.name } : {}),
			...(spec.input.channels !== 3 ? { channels: spec.input.channels } : {}),
			...(spec.shortcut !== (spec.stem.kind === 'cifar' ? 'A' : 'B') ? { shortcut: spec.shortcut } : {}),
			...(spec.strideOn !== '3x3' ? { strideOn: spec.strideOn } : {})
		};
		const text = formatTable(spec, form);
		const r = parseTable(text, options);
		expect(r.form).toBe(form);
		expect(r.errors).toEqual([]);
		expect(r.columns[0].warnings).toEqual([]);
		expect(r.columns[0].spec).toEqual(spec);
	});
});

describe("variants the paper's table cannot express", () => {
	const problem = (spec: ArchSpec) => {
		try {
			formatTable(spec, 'markdown');
		} catch (e) {
			expect(e).toBeInstanceOf(SpecError);
			return [(e as SpecError).path, (e as SpecError).message];
		}
		return null;
	};
	it.each([
		['resnet50d', 'stem.kind'],
		['resnet26t', 'stem.kind'],
		['seresnet50', 'attention'],
		['resnetv2_50', 'order'],
		['preact_resnet164', 'order']
	])('%s: refused at %s', (name, path) => {
		const p = problem(presetSpec(name)!);
		expect(p?.[0]).toBe(path);
		expect(p?.[1]).toMatch(/cannot express/);
	});
	it('names the field and what it holds', () => {
		expect(
			problem({ ...presetSpec('resnet50')!, stem: { kind: 'imagenet', width: 64, pool: 'none' } })
		).toEqual([
			'stem.pool',
			'the paper\'s layer table cannot express stem pool "none" (the imagenet stem\'s is "max"); formatTable writes no table for it'
		]);
		expect(
			problem({ ...presetSpec('resnet50')!, attention: { kind: 'eca', gamma: 2, beta: 1 } })?.[1]
		).toMatch(/ECA attention/);
	});
	it('what a table can state is still written: option D as a parse option, dropPath (training only) not at all', () => {
		const spec: ArchSpec = { ...presetSpec('resnet50')!, shortcut: 'D' };
		const r = parseTable(formatTable({ ...spec, dropPath: 0.1 }, 'tsv'), { shortcut: 'D' });
		expect(r.errors).toEqual([]);
		expect(r.columns[0].spec).toEqual(spec);
		// D's pool has no parameters: torchvision resnet50's count
		expect(params(r.columns[0].spec)).toBe(25_557_032);
	});
	it('all presets that are refused are timm or pre-activation variants', () => {
		expect(
			PRESETS.filter((p) => tableProblem(p.spec) !== null).every(
				(p) => p.family === 'timm' || p.family === 'preact'
			)
		).toBe(true);
	});
});

describe('errors point at the line and column', () => {
	const err = (text: string) => {
		const r = parseTable(text);
		expect(r.errors.length).toBeGreaterThan(0);
		return r.errors[0];
	};

	it('a bracket without its × n', () => {
		const e = err(fixture('table1-18.txt').replace('[3×3, 128; 3×3, 128] ×2', '[3×3, 128; 3×3, 128]'));
		expect([e.line, e.column]).toEqual([5, 29]);
		expect(e.message).toMatch(/without its × n/);
	});

	it('a kernel without a channel count', () => {
		const e = err(
			fixture('table1-18.txt').replace('conv4_x: [3×3, 256; 3×3, 256]', 'conv4_x: [3×3, 256; 3×3]')
		);
		expect([e.line, e.column]).toEqual([6, 21]);
		expect(e.message).toMatch(/kernel without a channel count/);
	});

	it('rows of one stage disagreeing on the block kind (TSV continuation row)', () => {
		const text = [
			'layer name\toutput size\t18-layer',
			'conv1\t112×112\t7×7, 64, stride 2',
			'conv2_x\t56×56\t3×3 max pool, stride 2',
			'\t\t[3×3, 64; 3×3, 64] × 1',
			'\t\t[1×1, 64; 3×3, 64; 1×1, 256] × 1',
			'\t1×1\taverage pool, 1000-d fc'
		].join('\n');
		const e = err(text);
		expect([e.line, e.column]).toEqual([5, 3]);
		expect(e.message).toMatch(/rows of conv2_x disagree: basic blocks above, bottleneck blocks here/);
	});

	it('stages with different block kinds', () => {
		const e = err(
			fixture('table1-18.txt').replace(
				'conv5_x: [3×3, 512; 3×3, 512]',
				'conv5_x: [1×1, 512; 3×3, 512; 1×1, 512]'
			)
		);
		expect([e.line, e.column]).toEqual([7, 10]);
		expect(e.message).toMatch(/conv5_x has bottleneck blocks but conv2_x has basic blocks/);
	});

	it('in the LaTeX source, at the line inside a multi-line row', () => {
		const text = fixture('table1.tex').replace(
			'\\text{3$\\times$3, 256}\\end{array}\\right]$$\\times$6',
			() => '\\text{3$\\times$3, 256}\\end{array}\\right]$$\\times$'
		);
		const e = err(text);
		const line = text.split('\n')[e.line - 1];
		expect(line.endsWith('\\text{3$\\times$3, 256}\\end{array}\\right]$$\\times$')).toBe(true);
		expect(line.slice(e.column - 1)).toBe('\\times$');
		expect(e.message).toMatch(/× needs the number of blocks/);
	});

	it('an unknown word, a block count of 0, an unclosed bracket', () => {
		expect(err('conv1: 7x7, 64, strde 2').message).toMatch(/cannot read “strde”/);
		const zero = err('conv1: 3x3, 16\nconv2_x: [3x3, 16; 3x3, 16] x0');
		expect([zero.line, zero.column, zero.message]).toEqual([2, 30, 'must be at least 1, got 0']);
		const open = err('conv1: 3x3, 16\nconv2_x: [3x3, 16; 3x3, 16 x2');
		expect([open.line, open.column]).toEqual([2, 10]);
	});

	it('in a Markdown cell and in a TSV cell', () => {
		const md = fixture('table1.md').replace('[3×3, 128<br>3×3, 128] × 4', '[3×3, 128<br>3×3, 128]');
		const e = err(md);
		const line = md.split('\n')[e.line - 1];
		expect(line.startsWith('| conv3_x |')).toBe(true);
		// the closing bracket of the 34-layer cell (the second cell with ", 128] ")
		expect(e.column).toBe(line.indexOf('128] |') + 4);
		expect(e.message).toMatch(/without its × n/);

		const tsv = fixture('table1.tsv').replace(
			'3 \\times 3, 256 \\end{bmatrix} \\times 6$',
			'3 \\times 3 \\end{bmatrix} \\times 6$'
		);
		const t = err(tsv);
		const tline = tsv.split('\n')[t.line - 1];
		expect(tline.startsWith('conv4_x\t14×14\t')).toBe(true);
		expect(t.column).toBe(tline.indexOf('3 \\times 3 \\end{bmatrix}') + 1);
		expect(t.message).toMatch(/kernel without a channel count/);
	});

	it('columns count characters, not UTF-16 units', () => {
		const e = err('conv1: 3x3, 16 🙂');
		expect([e.line, e.column]).toEqual([1, 16]);
	});
});

describe('choosing a column', () => {
	const cols = parseTable(fixture('table1.md')).columns;
	it.each([
		['50-layer', 'resnet50'],
		['101', 'resnet101'],
		['3', 'resnet50'],
		['1', 'resnet18']
	])('%s', (choice, name) => {
		expect(pickColumn(cols, choice)?.spec?.name).toBe(name);
	});
	it('unknown', () => expect(pickColumn(cols, '7')).toBeNull());
});

describe('a row whose cells do not match the header is an error at that row', () => {
	// Table 1 with one cell of a conv row deleted, in each form: the cells after it would move one
	// column left (the 18-layer column silently became another network). Every column is refused.
	const md = fixture('table1.md');
	const tsv = fixture('table1.tsv');
	const tex = fixture('table1.tex');
	const cases: [string, string, string][] = [
		[
			'Markdown, conv2_x without its 18-layer cell',
			md.replace('3×3 max pool, stride 2<br>[3×3, 64<br>3×3, 64] × 2 | ', ''),
			'| conv2_x |'
		],
		[
			'Markdown, conv3_x without its 18-layer cell',
			md.replace('[3×3, 128<br>3×3, 128] × 2 | ', ''),
			'| conv3_x |'
		],
		[
			'Markdown, conv5_x without its 152-layer cell',
			md.replace(' [1×1, 512<br/>3×3, 512<br/>1×1, 2048] × 3 |', ''),
			'| conv5_x |'
		],
		[
			'TSV, conv3_x without its 18-layer cell',
			tsv.replace('$\\begin{bmatrix} 3 \\times 3, 128 \\\\ 3 \\times 3, 128 \\end{bmatrix} \\times 2$\t', ''),
			'conv3_x\t'
		],
		[
			'TSV, conv4_x with one cell too many',
			tsv.replace('conv4_x\t14×14\t', 'conv4_x\t14×14\t[3×3, 256; 3×3, 256] × 2\t'),
			'conv4_x\t'
		],
		[
			'LaTeX, conv3_x without its 18-layer cell',
			tex.replace(
				'$\\left[\\begin{array}{c}\\text{3$\\times$3, 128}\\\\ \\text{3$\\times$3, 128}\\end{array}\\right]$$\\times$2\n  & ',
				''
			),
			'\\multirow{3}{*}{conv3\\_x}'
		],
		[
			'LaTeX, a \\multicolumn spanning one column too many',
			tex.replace(
				'\\multicolumn{5}{c}{7$\\times$7, 64, stride 2}',
				'\\multicolumn{6}{c}{7$\\times$7, 64, stride 2}'
			),
			'conv1 &'
		]
	];
	it.each(cases)('%s', (_, text, rowStart) => {
		expect(text).not.toBe(md);
		const r = parseTable(text);
		expect(r.columns.map((c) => c.spec)).toEqual([null, null, null, null, null]);
		expect(r.errors).toHaveLength(1);
		const e = r.errors[0];
		const line = text.split('\n')[e.line - 1];
		expect(line.slice(e.column - 1).startsWith(rowStart)).toBe(true);
		expect(e.message).toMatch(/^this row has \d+ cells; the header has 7/);
	});

	it('names the counts and says how to write an empty cell', () => {
		const r = parseTable(cases[1][1]);
		expect(r.errors[0].message).toBe(
			'this row has 6 cells; the header has 7: a missing or extra cell would move the cells after it into another column (an empty cell is | |)'
		);
	});

	it('rows that span columns are still read: one cell for every column, no output size', () => {
		// TSV without the trailing tabs of the conv1, pool and head rows (as some editors save it)
		expectTable1(parseTable(tsv.replace(/\t+$/gm, '')));
		// Markdown: a FLOPs row without the output-size cell, a head row with one cell
		const short = md
			.replace('| FLOPs | | 1.8×10⁹ |', '| FLOPs | 1.8×10⁹ |')
			.replace(
				'| | 1×1 | average pool, 1000-d fc, softmax | | | | |',
				'| | 1×1 | average pool, 1000-d fc, softmax |'
			);
		expect(short).not.toBe(md);
		const r = parseTable(short);
		expectTable1(r);
		// the FLOPs row is still read, in its own column (the 18-layer 1.8×10⁹ agrees within 5%)
		expect(r.columns[0].notes.map((n) => n.message)).toContainEqual(expect.stringContaining('1.8×10⁹'));
	});
});
