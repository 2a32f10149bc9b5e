/**
 * Property tests for the table parser: whatever the text, parseTable returns values — errors with
 * a line and column inside the text, or specs that build — and never throws. And for random valid
 * specs, parse(formatTable(spec, form)) describes the same network in every form.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGraph, summaryJson, validateSpec, type ArchSpec } from '../../src/lib/arch';
import { TABLE_FORMS, formatTable, parseTable, type TableParseResult } from '../../src/lib/arch/table';

const FIXTURES = [
	'table1.tsv',
	'table1.md',
	'table1.tex',
	'table1-50.txt',
	'table1-34.txt',
	'table1-152.txt'
].map((f) => readFileSync(`tests/fixtures/tables/${f}`, 'utf8'));

/** Every error and note is placed inside the text, consistently; every spec builds. */
function checkResult(text: string, r: TableParseResult) {
	const lines = text.split('\n');
	const places = [...r.errors, ...r.columns.flatMap((c) => [...c.errors, ...c.warnings, ...c.notes])];
	for (const p of places) {
		expect(p.message).not.toMatch(/internal error/);
		expect(p.line).toBeGreaterThanOrEqual(1);
		expect(p.line).toBeLessThanOrEqual(lines.length);
		expect(p.column).toBeGreaterThanOrEqual(1);
		expect(p.offset).toBeGreaterThanOrEqual(0);
		expect(p.offset + p.length).toBeLessThanOrEqual(text.length);
		const before = text.slice(0, p.offset).split('\n');
		expect(before.length).toBe(p.line);
		expect([...before[before.length - 1]].length + 1).toBe(p.column);
	}
	for (const c of r.columns) {
		if (c.spec) {
			expect(c.errors).toEqual([]);
			expect(validateSpec(c.spec)).toEqual([]);
		} else expect(c.errors.length).toBeGreaterThan(0);
	}
}

const tricky = fc.constantFrom(
	'×',
	'x',
	'X',
	'*',
	'\\times',
	'{\\times}',
	'$',
	'$$',
	'[',
	']',
	'\\left[',
	'\\right]',
	'\\begin{bmatrix}',
	'\\end{bmatrix}',
	'\\\\',
	'<br>',
	';',
	',',
	'|',
	'\t',
	'\n',
	'&',
	'\\multicolumn{5}{c}{',
	'\\multirow{2}{*}{',
	'{',
	'}',
	'%',
	'\\',
	'-',
	'0',
	'1',
	'3',
	'7',
	'64',
	'99999999999999999999999',
	'1e308',
	'9007199254740993',
	'1000000',
	'stride',
	'C=',
	'groups=',
	'max pool',
	'average pool',
	'-d fc',
	'softmax',
	'FLOPs',
	'\u2009',
	'\u00a0',
	'\u200b',
	'🙂',
	'\ud800',
	'ñ',
	'⁹',
	'\r',
	'\\hline',
	'\\end{tabular}',
	'\\begin{tabular}{c|c}',
	'| --- |',
	'#',
	':',
	'(',
	')',
	'\\,',
	'\\text{',
	'10^'
);
const piece = fc.oneof(
	{ weight: 3, arbitrary: tricky },
	{ weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) }
);
const mutation = fc.record({
	at: fc.nat(),
	del: fc.nat({ max: 6 }),
	insert: fc.array(piece, { maxLength: 3 }).map((a) => a.join(''))
});

describe('parseTable never throws and places every message', () => {
	it('random mutations of valid tables (10,000 cases)', () => {
		fc.assert(
			fc.property(
				fc.nat({ max: FIXTURES.length - 1 }),
				fc.array(mutation, { minLength: 1, maxLength: 4 }),
				(i, ms) => {
					let text = FIXTURES[i];
					for (const m of ms) {
						const at = m.at % (text.length + 1);
						text = text.slice(0, at) + m.insert + text.slice(at + m.del);
					}
					checkResult(text, parseTable(text));
				}
			),
			{ numRuns: 10_000 }
		);
	}, 600_000);

	it('random unicode and structured garbage (3,000 cases)', () => {
		fc.assert(
			fc.property(
				fc.oneof(
					fc.string({ unit: 'binary', maxLength: 200 }),
					fc.array(piece, { maxLength: 60 }).map((a) => a.join(''))
				),
				fc.constantFrom(undefined, ...TABLE_FORMS),
				(text, form) => checkResult(text, parseTable(text, form ? { form } : {}))
			),
			{ numRuns: 3_000 }
		);
	}, 600_000);
});

// Random valid specs (without the knobs a table cannot state: residual, convBias).
const specArb: fc.Arbitrary<ArchSpec> = fc
	.record({
		stem: fc.constantFrom('imagenet', 'cifar') as fc.Arbitrary<'imagenet' | 'cifar'>,
		stemWidth: fc.integer({ min: 1, max: 96 }),
		block: fc.constantFrom('basic', 'bottleneck') as fc.Arbitrary<'basic' | 'bottleneck'>,
		expansion: fc.integer({ min: 1, max: 8 }),
		groups: fc.constantFrom(1, 1, 2, 4, 32),
		widthPerGroup: fc.constantFrom(64, 64, 4, 8, 128, 40),
		stages: fc.array(
			fc.record({
				blocks: fc.integer({ min: 1, max: 3 }),
				width: fc.integer({ min: 1, max: 160 }),
				stride: fc.integer({ min: 1, max: 3 })
			}),
			{ minLength: 1, maxLength: 5 }
		),
		shortcut: fc.constantFrom('A', 'B', 'C') as fc.Arbitrary<'A' | 'B' | 'C'>,
		strideOn: fc.constantFrom('3x3', '1x1') as fc.Arbitrary<'3x3' | '1x1'>,
		half: fc.integer({ min: 8, max: 130 }),
		halfW: fc.integer({ min: 8, max: 130 }),
		classes: fc.integer({ min: 1, max: 2000 }),
		pool: fc.constantFrom('avg', 'flatten') as fc.Arbitrary<'avg' | 'flatten'>
	})
	.map((r): ArchSpec => ({
		name: 'random',
		input: {
			channels: 3,
			height: r.stem === 'imagenet' ? 2 * r.half : r.half,
			width: r.stem === 'imagenet' ? 2 * r.halfW : r.halfW
		},
		stem: { kind: r.stem, width: r.stemWidth },
		block: r.block,
		expansion: r.expansion,
		groups: r.block === 'basic' ? 1 : r.groups,
		widthPerGroup: r.block === 'basic' ? 64 : r.widthPerGroup,
		stages: r.stages,
		shortcut: r.shortcut,
		strideOn: r.strideOn,
		residual: true,
		convBias: false,
		head: { pool: r.pool, classes: r.classes }
	}))
	.filter((s) => validateSpec(s).length === 0 && buildGraph(s).totals.params < 2e8);

describe('round trip over what a table states', () => {
	// The table fixes the network (every layer's shape and count); the name, shortcut option and
	// stride placement are passed as options. Wide and narrow bottlenecks may come back with another
	// (width, expansion, widthPerGroup) triple that builds the same layers.
	it.each(TABLE_FORMS)(
		'random specs as %s (300 cases)',
		(form) => {
			fc.assert(
				fc.property(specArb, (spec) => {
					const r = parseTable(formatTable(spec, form), {
						name: spec.name,
						shortcut: spec.shortcut,
						strideOn: spec.strideOn
					});
					expect(r.errors).toEqual([]);
					const back = r.columns[0].spec!;
					expect(summaryJson(buildGraph(back)).layers).toEqual(summaryJson(buildGraph(spec)).layers);
					expect(back.input).toEqual(spec.input);
					expect(r.columns[0].warnings).toEqual([]);
				}),
				{ numRuns: 300 }
			);
		},
		600_000
	);
});

describe('one cell deleted from any body row of Table 1: the same networks, or an error', () => {
	// torchvision's resnet18 … resnet152 parameter counts (the reference of tests/unit/table.test.ts)
	const TORCHVISION = [11_689_512, 21_797_672, 25_557_032, 44_549_160, 60_192_808];
	const params = (r: TableParseResult) =>
		r.columns.map((c) => (c.spec ? buildGraph(c.spec).totals.params : null));
	/** [name, text, line of the row, whether cells after the deleted one moved left] */
	const cases: [string, string, number, boolean][] = [];
	for (const [file, sep] of [
		['table1.md', '|'],
		['table1.tsv', '\t']
	] as const) {
		const lines = readFileSync(`tests/fixtures/tables/${file}`, 'utf8').split('\n');
		const header = lines.findIndex((l) => l.includes(sep));
		lines.forEach((line, li) => {
			if (li <= header || !line.includes(sep) || /^\|?[\s:|-]+$/.test(line)) return;
			const cells = sep === '|' ? line.split('|').slice(1, -1) : line.split('\t');
			cells.forEach((cell, ci) => {
				if (cell.trim() === '') return;
				const kept = cells.filter((_, k) => k !== ci);
				const row = sep === '|' ? `|${kept.join('|')}|` : kept.join('\t');
				const moved = cells.slice(ci + 1).some((c) => c.trim() !== '');
				const text = lines.map((l, k) => (k === li ? row : l)).join('\n');
				cases.push([`${file} line ${li + 1}, cell ${ci + 1}`, text, li + 1, moved]);
			});
		});
	}
	it.each(cases)('%s', (_, text, line, moved) => {
		const r = parseTable(text);
		checkResult(text, r);
		if (r.errors.length === 0) expect(params(r)).toEqual(TORCHVISION);
		// cells that slid into another column are never read as that column's: the row is the error
		else if (moved) expect(r.errors.map((e) => e.line)).toContain(line);
	});
	it('covers the conv rows of both forms', () => {
		expect(cases.filter(([, , , moved]) => moved).length).toBeGreaterThanOrEqual(40);
	});
});
