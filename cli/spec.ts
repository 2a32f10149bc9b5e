/** Reading a network's spec and files for the command-line tools (infer, train). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
	PRESET_NAMES,
	presetSpec,
	specFieldErrors,
	validateSpec,
	type ArchSpec
} from '../src/lib/arch/index';
import { parseMeta, type ModelMeta } from '../src/lib/models/bundled';
import { UsageError } from './args';

export function readBytes(file: string, what: string): Uint8Array {
	try {
		return new Uint8Array(readFileSync(file));
	} catch (e) {
		throw new UsageError(
			`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`
		);
	}
}

export function readJson(file: string, what: string): unknown {
	const text = new TextDecoder().decode(readBytes(file, what));
	try {
		return JSON.parse(text);
	} catch (e) {
		throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
	}
}

export function loadSpec(values: { preset?: string; spec?: string }): {
	spec: ArchSpec;
	meta: ModelMeta | null;
} {
	const sources = [values.preset, values.spec].filter((v) => v !== undefined).length;
	if (sources !== 1) throw new UsageError('give exactly one of --preset NAME or --spec FILE.json');
	let spec: ArchSpec;
	let meta: ModelMeta | null = null;
	if (values.preset !== undefined) {
		const p = presetSpec(values.preset);
		if (!p) throw new UsageError(`unknown preset "${values.preset}"; presets: ${PRESET_NAMES.join(', ')}`);
		spec = p;
	} else {
		const raw = readJson(values.spec!, 'spec');
		const errors = specFieldErrors(raw);
		if (errors.length)
			throw new UsageError(
				`${values.spec}: ${errors.map((e) => `${e.path || 'spec'}: ${e.message}`).join('; ')}`
			);
		spec = raw as ArchSpec;
	}
	const errors = validateSpec(spec);
	if (errors.length) throw new UsageError(errors.map((e) => `${e.path || 'spec'}: ${e.message}`).join('; '));
	if (values.spec !== undefined) {
		// A bundled model's meta.json, read as the page reads it (src/lib/models/bundled.ts).
		const metaFile = join(dirname(values.spec), 'meta.json');
		if (existsSync(metaFile)) {
			const parsed = parseMeta(readJson(metaFile, 'model metadata'), spec, metaFile);
			if (!parsed.ok) throw new UsageError(parsed.message);
			meta = parsed.meta;
		}
	}
	return { spec, meta };
}
