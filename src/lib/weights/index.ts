/** Weights: read .safetensors and torch.save .pth files, check them against a graph, make seeded ones. */
import { isZip, parsePth } from './pytorch';
import { parseSafetensors } from './safetensors';
import { fileError, type TensorMap } from './types';

export * from './types';
export { parseSafetensors, parseSafetensorsRaw, writeSafetensors } from './safetensors';
export { parsePth, isZip } from './pytorch';
export { expectedTensors, checkWeights } from './torchvision';
export { initWeights, mulberry32 } from './init';

/**
 * Reads a checkpoint of either format, told apart by content (a zip archive is a .pth; anything
 * else must be safetensors); `fileName` only makes messages clearer.
 */
export function loadCheckpoint(bytes: Uint8Array, fileName?: string): TensorMap {
	if (isZip(bytes)) return parsePth(bytes);
	if (bytes.length >= 9 && bytes[8] === 0x7b /* '{' */) return parseSafetensors(bytes);
	if (bytes.length >= 2 && bytes[0] === 0x80) return parsePth(bytes); // legacy pickle: parsePth explains
	const name = fileName ? `${fileName}: ` : '';
	throw fileError(
		`${name}not a weights file this app reads (expected .safetensors or a torch.save .pth)`,
		'.safetensors or .pth',
		bytes.length < 9 ? `${bytes.length} bytes` : 'unknown format'
	);
}
