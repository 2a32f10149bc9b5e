/**
 * timm 1.0.29 for tests that ask timm itself (vitest, through Debian's /usr/bin/python3). timm is
 * not a Debian package: its wheel is on every machine of this kind (.ci/run checks the same
 * file). Unzipped once per test file into a temporary folder; a missing wheel or a failing unzip
 * throws (a test fails loudly, never skips).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PYTHON } from './runtime-fixtures';

export const TIMM_WHEEL = '/opt/pypi/files/timm-1.0.29-py3-none-any.whl';

/** A folder holding the unzipped wheel (for PYTHONPATH), and how to remove it. */
export function unzipTimm(): { path: string; remove: () => void } {
	if (!existsSync(TIMM_WHEEL)) throw new Error(`timm's wheel is missing: ${TIMM_WHEEL}`);
	const path = mkdtempSync(join(tmpdir(), 'timm-'));
	const r = spawnSync(PYTHON, ['-m', 'zipfile', '-e', TIMM_WHEEL, path], { encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`unzipping ${TIMM_WHEEL} failed: ${r.stderr}`);
	return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs a Python script with timm (from `timmPath`) on the path; its stdout, or a thrown error. */
export function runWithTimm(timmPath: string, script: string, args: string[] = []): string {
	const r = spawnSync(PYTHON, [...(script.endsWith('.py') ? [script] : ['-c', script]), ...args], {
		encoding: 'utf8',
		env: { ...process.env, PYTHONPATH: timmPath },
		maxBuffer: 64 * 1024 * 1024
	});
	if (r.status !== 0) throw new Error(`python with timm failed: ${r.stderr}`);
	return r.stdout;
}
