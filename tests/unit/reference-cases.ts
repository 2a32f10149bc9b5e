/**
 * What the two reference fixtures share (arch-reference.json from PyTorch / torchvision,
 * timm-reference.json from timm): the case record and the receptive-field check.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { buildGraph, type ArchSpec } from '../../src/lib/arch';

export interface ReferenceCase<Layer> {
	name: string;
	note: string;
	source: string;
	spec: ArchSpec;
	totals: { params: number; buffers: number; macs: number };
	layers: Layer[];
	/** Measured by backpropagation: the side of the input region the last block's centre sees. */
	receptiveField?: { id: string; side: number };
}

/** A fixture under tests/fixtures, parsed. */
export function readFixture<T>(file: string): T {
	return JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as T;
}

/** One test per case with a measured receptive field: our last block's id and its field's side. */
export function itReceptiveFields(cases: readonly ReferenceCase<unknown>[]): void {
	it.each(cases.filter((c) => c.receptiveField).map((c) => [c.name, c] as const))(
		'%s: receptive field of the last block',
		(_name, c) => {
			const g = buildGraph(c.spec);
			const block = g.stages.at(-1)!.blocks.at(-1)!;
			expect(block.id).toBe(c.receptiveField!.id);
			expect(g.byId.get(block.nodeIds.at(-1)!)!.receptiveField).toBe(c.receptiveField!.side);
		}
	);
}
