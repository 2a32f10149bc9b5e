/**
 * `calc --table FILE [--column COL]`, run as a user runs it: a child process. Totals are compared
 * with torchvision's documented counts; errors with the `error: FILE:LINE:COLUMN: message` convention.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

function calc(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		execFile(
			process.execPath,
			['--import', 'tsx', 'cli/calc.ts', ...args],
			{ cwd: ROOT, maxBuffer: 64 << 20 },
			(err, stdout, stderr) =>
				resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })
		);
	});
}

const dir = mkdtempSync(join(tmpdir(), 'table-cli-'));
const file = (name: string, text: string) => {
	const path = join(dir, name);
	writeFileSync(path, text);
	return path;
};

describe('calc --table', () => {
	it.each([
		['tests/fixtures/tables/table1.md', '50-layer', 25_557_032, 4_089_184_256],
		['tests/fixtures/tables/table1.tex', '101', 44_549_160, 7_801_405_440],
		['tests/fixtures/tables/table1.tsv', '1', 11_689_512, 1_814_073_344]
	])('%s --column %s: torchvision params and MACs', async (path, column, params, macs) => {
		const r = await calc('--table', path, '--column', column, '--format', 'json');
		expect(r.code).toBe(0);
		const out = JSON.parse(r.stdout);
		expect(out.totals.params).toBe(params);
		expect(out.totals.macs).toBe(macs);
	});

	it('a one-column table needs no --column; the FLOPs disagreement is a warning on stderr', async () => {
		const r = await calc('--table', 'tests/fixtures/tables/table1-50.txt', '--format', 'json');
		expect(r.code).toBe(0);
		expect(JSON.parse(r.stdout).spec.name).toBe('resnet50');
		expect(r.stderr).toMatch(
			/^warning: tests\/fixtures\/tables\/table1-50\.txt:8:8: FLOPs row says 3\.8×10⁹; computed 4\.09 GMACs/m
		);
	});

	it('several columns and no --column: lists them and exits 1', async () => {
		const r = await calc('--table', 'tests/fixtures/tables/table1.md');
		expect(r.code).toBe(1);
		expect(r.stdout).toBe('');
		expect(r.stderr).toMatch(/^error: .*5 architecture columns; choose one with --column/);
		for (const h of ['18-layer', '34-layer', '50-layer', '101-layer', '152-layer'])
			expect(r.stderr).toContain(h);
	});

	it('an unknown column', async () => {
		const r = await calc('--table', 'tests/fixtures/tables/table1.md', '--column', '200-layer');
		expect(r.code).toBe(1);
		expect(r.stderr).toMatch(/^error: .*no architecture column "200-layer"/);
	});

	it('a parse error: error: FILE:LINE:COLUMN: message, exit 1, no stack trace', async () => {
		const path = file('bad.txt', 'conv1: 3x3, 16\nconv2_x: [3x3, 16; 3x3, 16]\n');
		const r = await calc('--table', path);
		expect(r.code).toBe(1);
		expect(r.stderr).toBe(
			`error: ${path}:2:27: a bracket without its × n: write the number of blocks after it, e.g. ] × 2\n`
		);
	});

	it('a missing file, and --column without --table', async () => {
		const r = await calc('--table', join(dir, 'nope.md'));
		expect(r.code).toBe(1);
		expect(r.stderr).toMatch(/^error: cannot read .*nope\.md: ENOENT/);
		const c = await calc('--preset', 'resnet18', '--column', '2');
		expect(c.code).toBe(1);
		expect(c.stderr).toMatch(/^error: --column chooses a column of --table FILE/);
	});
});
