/**
 * `--weights FILE` without a spec (DESIGN §3.4): the checkpoint's own network, read from the file
 * by $lib/weights (inferArchitecture), for calc and infer. Errors are `UsageError`s naming the file.
 */
import { basename } from 'node:path';
import {
	WeightsError,
	inferArchitecture,
	readCheckpoint,
	type InferredNetwork,
	type PthContents
} from '../src/lib/weights/index';
import { UsageError } from './args';
import { readBytes } from './spec';

export interface Checkpoint extends InferredNetwork {
	/** Which dict of the file held the network, and the prefix stripped from its keys. */
	file: Omit<PthContents, 'tensors'>;
}

/** The network `file` holds; `input` (C,H,W) where the weights cannot say it. */
export function inferCheckpoint(
	file: string,
	input?: { channels?: number; height: number; width: number }
): Checkpoint {
	try {
		const { tensors, ...where } = readCheckpoint(readBytes(file, 'weights'), file);
		const name = basename(file).replace(/\.(pth|pt|bin|ckpt|tar|safetensors)$/i, '') || 'checkpoint';
		return { ...inferArchitecture(tensors, { name, input, sortedNames: where.sortedNames }), file: where };
	} catch (e) {
		if (e instanceof WeightsError) throw new UsageError(`${file}: ${e.message}`);
		throw e;
	}
}

/** The JSON fields a checkpoint's network adds: `assumed`, `mapping` (when names were matched by order), and where it was found. */
export function checkpointJson(c: Checkpoint) {
	return {
		assumed: c.assumed,
		...(c.mapping ? { mapping: c.mapping } : {}),
		checkpoint: { dict: c.file.source, prefix: c.file.prefix, others: c.file.others, extras: c.extras }
	};
}

/** The same, as lines for a person (stderr beside a table or text output). */
export function checkpointNotes(file: string, c: Checkpoint): string[] {
	const where = [
		c.file.source ? `its "${c.file.source}" dict` : null,
		c.file.prefix ? `keys without the prefix "${c.file.prefix}"` : null
	].filter(Boolean);
	return [
		`network read from ${file}${where.length ? ` (${where.join(', ')})` : ''}: ${c.mapping ? `${c.mapping.length} tensors matched by order and shape (see --format json for the mapping)` : "torchvision's names"}`,
		...c.assumed.map((a) => `assumed ${a.path} = ${valueText(a.value)}: ${a.reason}`),
		...(c.extras.length ? [`not used: ${c.extras.join(', ')}`] : []),
		...(c.file.others.length ? [`also in the file, not used: ${c.file.others.join(', ')}`] : [])
	];
}

function valueText(v: unknown): string {
	if (typeof v === 'string') return v;
	const input = v as { channels?: number; height?: number; width?: number };
	if (input && typeof input === 'object' && input.channels !== undefined)
		return `${input.channels}×${input.height}×${input.width}`;
	return JSON.stringify(v);
}
