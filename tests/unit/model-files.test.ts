/**
 * Files picked or dropped together (a checkpoint, its meta.json and spec.json, DESIGN §3.6):
 * sorted by content, never by name, and refused with a message naming the file when they cannot
 * be used together. The reference set is the bundled fashion-resnet folder, whose spec.json must
 * be the fashion-resnet preset and whose meta.json must describe its 10 outputs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { presetSpec, specsEqual } from '../../src/lib/arch';
import { parseMeta } from '../../src/lib/models/bundled';
import { sortModelFiles } from '../../src/lib/state/run/model-files';

const DIR = 'static/models/fashion-resnet';
const file = (path: string, name = path.split('/').pop()!) => new File([readFileSync(path)], name);
const text = (body: string, name: string) => new File([body], name);
const model = () => file(`${DIR}/model.safetensors`);
const meta = (name = 'meta.json') => file(`${DIR}/meta.json`, name);
const spec = (name = 'spec.json') => file(`${DIR}/spec.json`, name);

async function refused(files: File[]): Promise<string> {
	const r = await sortModelFiles(files);
	if (r.ok) throw new Error('expected a refusal');
	return r.message;
}

describe('sortModelFiles', () => {
	it('sorts a bundled model folder, whatever the order', async () => {
		const r = await sortModelFiles([meta(), spec(), model()]);
		if (!r.ok) throw new Error(r.message);
		expect(r.files.checkpoint?.name).toBe('model.safetensors');
		expect(r.files.meta?.name).toBe('meta.json');
		expect(specsEqual(r.files.spec!.spec, presetSpec('fashion-resnet')!)).toBe(true);
		const m = parseMeta(r.files.meta!.json, r.files.spec!.spec, r.files.meta!.name);
		expect(m.ok && m.meta.classes?.[9]).toBe('Ankle boot');
	});

	it('reads which JSON is which from its content, not its name', async () => {
		const r = await sortModelFiles([model(), meta('spec (1).json'), spec('meta (1).json')]);
		if (!r.ok) throw new Error(r.message);
		expect(r.files.meta?.name).toBe('spec (1).json');
		expect(r.files.spec?.name).toBe('meta (1).json');
	});

	it('takes the spec out of a calc summary (calc --format json, the page export)', async () => {
		const summary = { spec: presetSpec('resnet18'), totals: {}, layers: [] };
		const r = await sortModelFiles([text(JSON.stringify(summary), 'resnet18.summary.json')]);
		if (!r.ok) throw new Error(r.message);
		expect(specsEqual(r.files.spec!.spec, presetSpec('resnet18')!)).toBe(true);
		expect(r.files.checkpoint).toBeNull();
	});

	it('a checkpoint with a meta.json, without a spec', async () => {
		const r = await sortModelFiles([model(), meta()]);
		expect(r.ok && r.files.spec === null && r.files.meta !== null).toBe(true);
	});

	it('refuses JSON that does not parse, naming the file and the place', async () => {
		const msg = await refused([model(), text('{"mean": [0.5],\n "std": }', 'meta.json')]);
		expect(msg).toMatch(/^meta\.json: not valid JSON \(/);
		expect(msg).toMatch(/position|line|column|Unexpected/i);
	});

	it('refuses JSON that is neither a meta nor a spec', async () => {
		expect(await refused([model(), text('{"series": []}', 'curves.json')])).toBe(
			'curves.json: neither a meta.json (mean, std, classes) nor a spec.json (an architecture with stages)'
		);
		expect(await refused([model(), text('[1, 2]', 'list.json')])).toMatch(/^list\.json: neither/);
	});

	it('refuses a spec that does not build, with the path of its error', async () => {
		const bad = { ...presetSpec('resnet18')!, stages: [{ blocks: 0, width: 64, stride: 1 }] };
		expect(await refused([model(), text(JSON.stringify(bad), 'spec.json')])).toMatch(
			/^spec\.json: stages\[0\]\.blocks: /
		);
	});

	it('refuses two of a kind, an image among them, and a meta.json alone', async () => {
		expect(await refused([model(), file(`${DIR}/model.safetensors`, 'other.safetensors')])).toBe(
			'one checkpoint at a time (model.safetensors, other.safetensors): choose one'
		);
		expect(await refused([model(), meta(), meta('meta (1).json')])).toMatch(/^two meta\.json files/);
		expect(await refused([model(), spec(), spec('spec (1).json')])).toMatch(/^two spec\.json files/);
		expect(await refused([model(), text('x', 'cat.jpg')])).toMatch(/^cat\.jpg: not part of a model/);
		expect(await refused([meta()])).toBe(
			"meta.json describes a checkpoint's outputs: choose it together with the checkpoint"
		);
	});
});
