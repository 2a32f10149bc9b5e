/** What every benchmark script shares: the median, waiting for a server, and its section of docs/benchmarks.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import * as prettier from 'prettier';

export function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Resolves once `url` answers 200; fails after `ms`, or at once if `proc` (the server) exits. */
export async function waitForServer(url: string, ms = 60_000, proc?: ChildProcess): Promise<void> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (proc && proc.exitCode !== null) throw new Error(`the server exited with ${proc.exitCode}`);
		try {
			if ((await fetch(url)).ok) return;
		} catch {
			// not up yet
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`${url} did not answer within ${ms / 1000} s`);
}

const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

/**
 * Replaces the section that starts with `heading` (e.g. `## calc`) up to the next `## ` heading,
 * or appends it; keeps every other script's section. Formatted as `npm run lint` expects.
 */
export async function writeBenchSection(heading: string, section: string): Promise<void> {
	const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n';
	const lines = doc.split('\n');
	const start = lines.findIndex((l) => l.trim() === heading);
	let updated: string;
	if (start < 0) updated = `${doc.trimEnd()}\n\n${section.trim()}\n`;
	else {
		const after = lines.findIndex((l, i) => i > start && l.startsWith('## '));
		const tail = after < 0 ? '' : lines.slice(after).join('\n');
		updated = `${lines.slice(0, start).join('\n')}\n${section.trim()}\n\n${tail}`;
	}
	const options = { ...(await prettier.resolveConfig(DOC)), filepath: DOC };
	writeFileSync(DOC, await prettier.format(updated.replace(/\n{3,}/g, '\n\n'), options));
	console.error(`wrote the "${heading}" section of docs/benchmarks.md`);
}
