/**
 * Every error line of the command-line tools names the file it is about once (DESIGN §3.4:
 * `error: …` on stderr, exit 1): the weights messages say what the bytes are, the caller adds the
 * file. Run as a user runs them, as child processes.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from './runtime-fixtures';

const tmp = mkdtempSync(join(tmpdir(), 'cli-errors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(tool: 'calc' | 'infer', ...args: string[]) {
	const r = spawnSync(process.execPath, ['--import', 'tsx', `cli/${tool}.ts`, ...args], { encoding: 'utf8' });
	return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const count = (text: string, part: string) => text.split(part).length - 1;
const input = ['--input-tensor', join(FIXTURES, 'cifar-option-a/input.safetensors')];
const spec = ['--spec', join(FIXTURES, 'cifar-option-a/spec.json')];

describe('infer --weights: one line, the file named once, what it is instead', () => {
	it('a text file named .safetensors', () => {
		const file = join(tmp, 'notes.safetensors');
		writeFileSync(file, 'hello, these are my notes\n');
		const r = run('infer', ...spec, '--weights', file, ...input);
		expect(r.code).toBe(1);
		expect(r.stdout).toBe('');
		expect(r.stderr).toBe(
			`error: ${file}: not a safetensors file: it starts with text ("hello, these are my notes")\n`
		);
	});

	it('a torch.save(model) whose module would call os.system: refused, with how to save a state_dict', () => {
		// written by torch itself (tools/reference/byo_models.py); a plain torch.save(model) is read
		const file = join(tmp, 'model.pth');
		copyFileSync(join(FIXTURES, '..', 'byo', 'hostile', 'whole_model_system.pth'), file);
		const r = run('infer', ...spec, '--weights', file, ...input);
		expect(r.code).toBe(1);
		expect(r.stderr).toMatch(
			/^error: \S+model\.pth: a whole pickled model \(torch\.save\(model\)\) that calls posix\.system: reading it would mean running that code/
		);
		expect(r.stderr).toContain('torch.save(model.state_dict(), "weights.pth")');
		expect(count(r.stderr, file)).toBe(1);
	});

	it('a missing file', () => {
		const file = join(tmp, 'nope.pth');
		const r = run('infer', ...spec, '--weights', file, ...input);
		expect(r.stderr).toBe(`error: cannot read weights ${file}: ENOENT\n`);
	});
});

describe('calc: the file named once', () => {
	it('a spec file with a bad field, a table with a misaligned row', () => {
		const bad = join(tmp, 'bad.json');
		writeFileSync(bad, JSON.stringify({ name: 'x' }));
		const r = run('calc', '--spec', bad);
		expect(r.code).toBe(1);
		expect(r.stderr.split('\n')[0]).toMatch(/^error: \S+bad\.json: input: is required/);
		expect(count(r.stderr, bad)).toBe(1);

		const table = join(tmp, 't.md');
		writeFileSync(
			table,
			'| layer name | output size | 18-layer | 34-layer |\n|---|---|---|---|\n| conv1 | 112×112 | 7×7, 64, stride 2 | 7×7, 64 | 1 |\n'
		);
		const t = run('calc', '--table', table, '--column', '1');
		expect(t.code).toBe(1);
		expect(t.stderr).toMatch(/^error: \S+t\.md:3:1: this row has 5 cells; the header has 4/);
		expect(count(t.stderr, table)).toBe(1);
	});
});
