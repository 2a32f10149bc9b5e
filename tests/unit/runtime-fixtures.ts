/**
 * Loads the reference cases written by tools/reference/run_reference.py (PyTorch outputs) and
 * compares tfjs results with them.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { ArchSpec } from '../../src/lib/arch/spec';
import {
	loadCheckpoint,
	parseSafetensorsRaw,
	type Tensor,
	type TensorMap
} from '../../src/lib/weights/index';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'runtime');

export interface RefCase {
	name: string;
	dir: string;
	spec: ArchSpec;
	weightsFile: string;
	weights: TensorMap;
	input: Tensor;
	logits: Tensor;
	taps: Map<string, Tensor>;
	meta: { format: string; dtype: string; wrap: string | null; taps: string[] };
}

const read = (f: string) => new Uint8Array(readFileSync(f));

export function loadCase(dir: string): RefCase {
	const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
	const weightsFile = join(dir, meta.format === 'pth' ? 'weights.pth' : 'weights.safetensors');
	const expected = parseSafetensorsRaw(read(join(dir, 'expected.safetensors')));
	const taps = new Map<string, Tensor>();
	for (const [k, v] of expected) if (k.startsWith('tap/')) taps.set(k.slice(4), v);
	return {
		name: dir.split('/').pop()!,
		dir,
		spec: JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')),
		weightsFile,
		weights: loadCheckpoint(read(weightsFile), weightsFile),
		input: parseSafetensorsRaw(read(join(dir, 'input.safetensors'))).get('input')!,
		logits: expected.get('logits')!,
		taps,
		meta
	};
}

export function smallCases(): RefCase[] {
	return readdirSync(FIXTURES, { withFileTypes: true })
		.filter((d) => d.isDirectory() && existsSync(join(FIXTURES, d.name, 'case.json')))
		.map((d) => loadCase(join(FIXTURES, d.name)));
}

/** NCHW → NHWC (for inputs) */
export function nchwToNhwc(t: Tensor): Float32Array {
	const [n, c, h, w] = t.shape;
	const out = new Float32Array(t.data.length);
	for (let b = 0; b < n; b++)
		for (let ci = 0; ci < c; ci++)
			for (let y = 0; y < h; y++)
				for (let x = 0; x < w; x++)
					out[((b * h + y) * w + x) * c + ci] = t.data[((b * c + ci) * h + y) * w + x];
	return out;
}

/** NHWC values of shape [n, h, w, c] → NCHW order. */
export function nhwcToNchw(data: ArrayLike<number>, [n, h, w, c]: number[]): Float32Array {
	const out = new Float32Array(n * h * w * c);
	for (let b = 0; b < n; b++)
		for (let ci = 0; ci < c; ci++)
			for (let y = 0; y < h; y++)
				for (let x = 0; x < w; x++)
					out[((b * c + ci) * h + y) * w + x] = data[((b * h + y) * w + x) * c + ci];
	return out;
}

/** max |a − b| / max |b|: the error relative to the reference's scale. */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
	if (actual.length !== expected.length) return Infinity;
	let diff = 0;
	let scale = 0;
	for (let i = 0; i < expected.length; i++) {
		diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
		scale = Math.max(scale, Math.abs(expected[i]));
	}
	return scale === 0 ? diff : diff / scale;
}

export const PYTHON = '/usr/bin/python3';

/** Whether Debian's python3 with torch and torchvision is there (CI installs python3-torchvision). */
export function hasTorch(): boolean {
	if (!existsSync(PYTHON)) return false;
	const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
	return r.status === 0;
}
