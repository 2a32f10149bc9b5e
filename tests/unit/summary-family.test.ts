/** The ResNet family's fields in the exports: JSON carries the spec, text and Markdown say them. */
import { describe, expect, it } from 'vitest';
import { buildGraph, formatSummary, presetSpec, summaryJson, variantNotes } from '../../src/lib/arch';

describe('summary of the family', () => {
	it('resnetrs50 with dropPath: every field in the header, the spec in the JSON', () => {
		const spec = { ...presetSpec('resnetrs50')!, dropPath: 0.05 };
		const g = buildGraph(spec);
		expect(formatSummary(g, 'table').split('\n')[0]).toBe(
			'resnetrs50 — input 3×224×224 — deep stem — stem pool conv — shortcut D (avg pool + 1×1 conv) — SE (ratio 0.25, divisor 8) — dropPath 0.05'
		);
		expect(formatSummary(g, 'markdown').split('\n')[2]).toBe(
			'deep stem · stem pool conv · shortcut D (avg pool + 1×1 conv) · SE (ratio 0.25, divisor 8) · dropPath 0.05'
		);
		const json = summaryJson(g);
		expect([json.spec.attention, json.spec.dropPath, json.spec.stem]).toEqual([
			{ kind: 'se', ratio: 0.25, divisor: 8 },
			0.05,
			{ kind: 'deep', width: 64, pool: 'conv' }
		]);
		// the attention's ops are layers of every form
		const csv = formatSummary(g, 'csv');
		expect(csv).toContain('\nlayer1.0.se.gate,sigmoid,');
		expect(csv).toContain('\nlayer1.0.se.scale,scale,');
		expect(csv).toContain('\nlayer2.0.downsample.0,avgpool2d,');
	});

	it('pre-activation and ECA are named; torchvision layouts have no notes (headers as before)', () => {
		expect(variantNotes(presetSpec('resnetv2_50d')!)).toEqual([
			'deep stem',
			'shortcut D (avg pool + 1×1 conv)',
			'pre-activation'
		]);
		expect(variantNotes(presetSpec('ecaresnet50d')!)).toContain('ECA (gamma 2, beta 1)');
		expect(variantNotes(presetSpec('resnet26t')!)[0]).toBe('tiered deep stem');
		expect(variantNotes(presetSpec('resnet50')!)).toEqual([]);
		expect(formatSummary(buildGraph(presetSpec('resnet50')!), 'table').split('\n')[0]).toBe(
			'resnet50 — input 3×224×224'
		);
	});
});
