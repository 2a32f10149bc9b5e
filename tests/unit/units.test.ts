/**
 * Byte sizes: one formatter for the CLI, the page and the diagram, in the largest binary unit that
 * keeps the number ≥ 1 (a huge network's weights are GB or TB, never "272227.59 MB").
 */
import { describe, expect, it } from 'vitest';
import { buildGraph, byteSize, presetSpec, summaryTable } from '../../src/lib/arch';

describe('byteSize', () => {
	it('torchsummary prints ResNet-50\'s "Params size (MB): 97.49" (25,557,032 fp32 params, 2^20-byte MB)', () => {
		expect(byteSize(4 * 25_557_032)).toBe('97.49 MB');
	});

	it.each([
		[0, '0 B'],
		[1023, '1023 B'],
		[1024, '1.00 KB'],
		[1536, '1.50 KB'],
		[2 ** 20 - 1, '1.00 MB'], // 1023.999 KB rounds to the next unit
		[272_227.59 * 2 ** 20, '265.85 GB'], // the figure of the defect report
		[1.5 * 2 ** 40, '1.50 TB'],
		[3 * 2 ** 50, '3.00 PB']
	])('%d bytes → %s', (bytes, text) => {
		expect(byteSize(bytes)).toBe(text);
	});

	it('with significant digits, where space is short (a diagram box corner)', () => {
		expect(byteSize(3.06 * 2 ** 20, { significant: 3 })).toBe('3.06 MB');
		expect(byteSize(272_227.59 * 2 ** 20, { significant: 3 })).toBe('266 GB');
		expect(byteSize(1000, { significant: 3 })).toBe('1000 B');
	});

	it("calc's table: a network with 2^30·k bytes of weights says GB", () => {
		// resnet152 with 16× the widths: its weights run to tens of GB (fp32)
		const s = presetSpec('resnet152')!;
		const wide = { ...s, stages: s.stages.map((st) => ({ ...st, width: 16 * st.width })) };
		const g = buildGraph(wide);
		const line = summaryTable(g)
			.split('\n')
			.find((l) => l.startsWith('Weights size (fp32):'))!;
		const gb = (4 * (g.totals.params + g.totals.buffers)) / 2 ** 30;
		expect(gb).toBeGreaterThan(1);
		expect(line.endsWith(` ${gb.toFixed(2)} GB`)).toBe(true);
	});
});
