/**
 * Files picked or dropped together: a checkpoint with the files a trained model comes with
 * (DESIGN §3.6) — `meta.json` (classes, mean/std, preprocessing) and `spec.json` (the
 * architecture). The Train panel downloads exactly such a set; so does any bundled model's folder.
 * Which JSON file is which is read from its content, never from its name, so `meta (1).json` from
 * a browser's download folder works as well. No DOM: `File` is a Blob with a name.
 */
import { canonicalSpec, tryBuildGraph, type ArchSpec } from '$lib/arch';

/** A checkpoint's file name (what `takeFile` opens as weights rather than as an image). */
export const CHECKPOINT_FILE = /\.(safetensors|pth|pt|ckpt|bin|tar)$/i;

export interface ModelFiles {
	checkpoint: File | null;
	/** A meta.json's parsed JSON, checked against its network later (`parseMeta`). */
	meta: { name: string; json: unknown } | null;
	/** A spec.json's architecture, already validated. */
	spec: { name: string; spec: ArchSpec } | null;
}

export type SortedFiles = { ok: true; files: ModelFiles } | { ok: false; message: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
	typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Sorts a set of files into one checkpoint, one meta.json and one spec.json (each optional).
 * Anything else — an image among them, two checkpoints, JSON that is neither, a spec that does
 * not build — is refused with a message naming the file, so that nothing is half-applied.
 */
export async function sortModelFiles(files: File[]): Promise<SortedFiles> {
	const out: ModelFiles = { checkpoint: null, meta: null, spec: null };
	const refuse = (message: string): SortedFiles => ({ ok: false, message });
	for (const file of files) {
		if (/\.json$/i.test(file.name)) {
			let json: unknown;
			try {
				json = JSON.parse(await file.text());
			} catch (e) {
				return refuse(`${file.name}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
			}
			// A summary (`calc --format json`, the page's JSON export) carries its spec in `spec`.
			if (isObject(json) && 'spec' in json && 'layers' in json) json = json.spec;
			if (isObject(json) && ('mean' in json || 'std' in json || 'classes' in json)) {
				if (out.meta) return refuse(`two meta.json files (${out.meta.name}, ${file.name}): choose one`);
				out.meta = { name: file.name, json };
			} else if (isObject(json) && 'stages' in json) {
				if (out.spec) return refuse(`two spec.json files (${out.spec.name}, ${file.name}): choose one`);
				const built = tryBuildGraph(json);
				if (!built.ok)
					return refuse(
						`${file.name}: ${built.errors.map((e) => `${e.path || 'spec'}: ${e.message}`).join('; ')}`
					);
				out.spec = { name: file.name, spec: canonicalSpec(built.graph.spec) };
			} else
				return refuse(
					`${file.name}: neither a meta.json (mean, std, classes) nor a spec.json (an architecture with stages)`
				);
		} else if (CHECKPOINT_FILE.test(file.name)) {
			if (out.checkpoint)
				return refuse(`one checkpoint at a time (${out.checkpoint.name}, ${file.name}): choose one`);
			out.checkpoint = file;
		} else
			return refuse(
				`${file.name}: not part of a model (a checkpoint, its meta.json and spec.json); open images one at a time`
			);
	}
	if (out.meta && !out.checkpoint)
		return refuse(
			`${out.meta.name} describes a checkpoint's outputs: choose it together with the checkpoint`
		);
	return { ok: true, files: out };
}
