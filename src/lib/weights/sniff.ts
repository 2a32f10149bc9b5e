/**
 * What a file that is no checkpoint is, in words, from its first bytes: empty, an image, an archive
 * to unpack, a Git LFS pointer, a web page, JSON or other text, or binary whose 8-byte header
 * length (safetensors) or signature (torch.save's zip) is wrong. Never names the file: whoever
 * knows the file's name puts it in front, once.
 */

/** What a file's name promises: "a safetensors file", "a torch.save file" or either. */
export function expectedKind(fileName: string | undefined): string {
	if (fileName && /\.safetensors$/i.test(fileName)) return 'a safetensors file';
	if (fileName && /\.(pth|pt|bin|ckpt|tar)$/i.test(fileName)) return 'a torch.save file';
	return 'a weights file (.safetensors or a torch.save .pth)';
}

const MAGIC: [number[], string][] = [
	[[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
	[[0xff, 0xd8, 0xff], 'a JPEG image'],
	[[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
	[[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
	[[0x1f, 0x8b], 'gzip-compressed (unpack it first)'],
	[[0x42, 0x5a, 0x68], 'bzip2-compressed (unpack it first)'],
	[[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz-compressed (unpack it first)'],
	[[0x28, 0xb5, 0x2f, 0xfd], 'zstd-compressed (unpack it first)'],
	[[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], 'a 7-Zip archive (unpack it first)'],
	[[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 'a NumPy .npy array'],
	[[0x89, 0x48, 0x44, 0x46], 'an HDF5 file (Keras .h5?)'],
	[[0x47, 0x47, 0x55, 0x46], 'a GGUF file (llama.cpp)']
];

const hex = (bytes: Uint8Array) =>
	[...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/** The text at the start of the file, or null when its first bytes are binary. */
function leadingText(bytes: Uint8Array): string | null {
	const head = bytes.subarray(0, 256);
	for (const b of head) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return null;
	const text = new TextDecoder('utf-8').decode(head);
	// a multi-byte character cut at byte 256 decodes as U+FFFD at the very end: allowed
	return text.slice(0, -1).includes('\ufffd') ? null : text;
}

/** "it starts with text (…)", "it is a PNG image", "its 8-byte header length says …". */
export function describeBytes(bytes: Uint8Array, fileName?: string): string {
	if (bytes.length === 0) return 'it is empty (0 bytes)';
	for (const [magic, what] of MAGIC) if (magic.every((b, i) => bytes[i] === b)) return `it is ${what}`;
	if (bytes.length > 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar')
		return 'it is a tar archive (unpack it first; torch.save writes a zip)';
	const text = leadingText(bytes);
	if (text !== null) {
		if (text.startsWith('version https://git-lfs'))
			return 'it is a Git LFS pointer, not the file itself (fetch it with git lfs pull)';
		if (/^\s*<(!doctype html|html)/i.test(text))
			return 'it is an HTML page (a download link that gave a web page?)';
		if (/^\s*[{[]/.test(text))
			return 'it is JSON text, not a safetensors header (which follows an 8-byte length)';
		const line = text.trim().split(/\r?\n/)[0];
		return `it starts with text ("${line.length > 40 ? `${line.slice(0, 40)}…` : line}")`;
	}
	if (expectedKind(fileName) === 'a torch.save file')
		return `it is neither a zip archive (what torch.save writes) nor a pickle; it starts with ${hex(bytes)}`;
	if (bytes.length < 8)
		return `it has ${bytes.length} bytes; a safetensors file starts with an 8-byte header length`;
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const headerLen = view.getBigUint64(0, true);
	if (headerLen > BigInt(bytes.length - 8))
		return `its 8-byte header length says ${headerLen} bytes, but ${bytes.length - 8} follow`;
	return `its header (${headerLen} bytes after the 8-byte length) should start with "{", not byte 0x${bytes[8]
		.toString(16)
		.padStart(2, '0')}`;
}
