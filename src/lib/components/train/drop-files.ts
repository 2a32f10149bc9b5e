/**
 * The files of a drop, folders included (read through the File System entries API, recursively),
 * for the Train panel's class buckets.
 */

/** Every file under a dropped entry (a file, or a folder read recursively). */
async function entryFiles(entry: FileSystemEntry): Promise<File[]> {
	if (entry.isFile)
		return [await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail))];
	if (!entry.isDirectory) return [];
	const reader = (entry as FileSystemDirectoryEntry).createReader();
	const out: File[] = [];
	// readEntries answers in pieces (100 at a time in Chromium) until it answers none.
	for (;;) {
		const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
		if (batch.length === 0) break;
		for (const e of batch) out.push(...(await entryFiles(e)));
	}
	return out;
}

/** The files a drop carries; a dropped folder gives every file inside it. */
export async function droppedFiles(data: DataTransfer): Promise<File[]> {
	const entries = [...data.items].filter((i) => i.kind === 'file').map((i) => i.webkitGetAsEntry?.() ?? null);
	if (entries.length > 0 && entries.every((e) => e !== null)) {
		const files: File[] = [];
		for (const e of entries) files.push(...(await entryFiles(e!)));
		return files;
	}
	return [...data.files];
}
