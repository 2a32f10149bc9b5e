/** Weights: read .safetensors and torch.save .pth files, check them against a graph, make seeded ones. */
import { isZip, readPth, type PthContents } from './pytorch';
import { parseSafetensorsRaw } from './safetensors';
import { describeBytes, expectedKind } from './sniff';
import { fileError, stripPrefixes, type TensorMap } from './types';

export * from './types';
export { parseSafetensors, parseSafetensorsRaw, writeSafetensors } from './safetensors';
export { parsePth, readPth, isZip, type PthContents } from './pytorch';
export { expectedTensors, checkWeights } from './torchvision';
export { initWeights } from './init';

/**
 * Reads a checkpoint of either format, told apart by content: a zip archive is a .pth (torch.save),
 * an 8-byte header length followed by `{` is safetensors. Anything else is a WeightsError saying
 * what the bytes are instead. `fileName` only chooses the words ("not a safetensors file" for a
 * `.safetensors` name); messages never name the file — the caller puts the name in front, once.
 */
export function loadCheckpoint(bytes: Uint8Array, fileName?: string): TensorMap {
	return readCheckpoint(bytes, fileName).tensors;
}

/** Like `loadCheckpoint`, and says which dict of a training checkpoint was used and what prefix went. */
export function readCheckpoint(bytes: Uint8Array, fileName?: string): PthContents {
	if (isZip(bytes)) return readPth(bytes);
	if (looksLikeSafetensors(bytes)) {
		const { tensors, prefix } = stripPrefixes(parseSafetensorsRaw(bytes));
		return { tensors: naturalOrder(tensors), prefix, source: null, others: [], sortedNames: true };
	}
	if (bytes.length >= 2 && bytes[0] === 0x80) return readPth(bytes); // legacy pickle: readPth explains
	const kind = expectedKind(fileName);
	const what = describeBytes(bytes, fileName);
	throw fileError(`not ${kind}: ${what}`, kind, what);
}

/**
 * An 8-byte little-endian header length of a plausible size (its high 4 bytes zero: no text has
 * those), then the JSON header's `{`. A truncated file still counts: its parser says so.
 */
function looksLikeSafetensors(bytes: Uint8Array): boolean {
	return bytes.length >= 9 && bytes[8] === 0x7b && bytes.subarray(4, 8).every((b) => b === 0);
}
export {
	inferArchitecture,
	matchToGraph,
	type InferredNetwork,
	type Assumption,
	type InferOptions
} from './infer-arch';

/**
 * A safetensors file keeps its names sorted, not in the state_dict's order: the closest order is
 * the names' natural one (numbers by value: `layer3.2` before `layer3.10`).
 */
function naturalOrder(tensors: TensorMap): TensorMap {
	const collator = new Intl.Collator('en', { numeric: true });
	return new Map([...tensors].sort(([a], [b]) => collator.compare(a, b)));
}
