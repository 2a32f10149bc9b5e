/**
 * Downloaded checkpoints kept in the browser (IndexedDB, via idb-keyval), keyed by URL, so a
 * second visit does not download 100 MB again. Each URL has two records: `info:URL` (size and
 * date, listed without reading the bytes) and `bytes:URL`. Browser only; every failure (private
 * mode, quota) is the caller's to report — the download itself never depends on the cache.
 */
import { clear, createStore, delMany, get, getMany, keys, setMany, type UseStore } from 'idb-keyval';

export interface CachedWeights {
	url: string;
	/** Bytes. */
	size: number;
	/** When it was stored (ms since the epoch). */
	date: number;
}

let store: UseStore | null = null;
const db = () => (store ??= createStore('resnet-explorer-weights', 'checkpoints'));

/** The cached bytes of this URL, or null. */
export async function cachedBytes(url: string): Promise<Uint8Array | null> {
	const bytes = await get<Uint8Array>(`bytes:${url}`, db());
	return bytes instanceof Uint8Array ? bytes : null;
}

/** Keeps a download (copied now: the caller may transfer its buffer afterwards). */
export async function cacheBytes(url: string, bytes: Uint8Array): Promise<void> {
	const info: CachedWeights = { url, size: bytes.byteLength, date: Date.now() };
	await setMany(
		[
			[`bytes:${url}`, bytes],
			[`info:${url}`, info]
		],
		db()
	);
}

/** Everything cached, newest first (sizes and dates only). */
export async function listCached(): Promise<CachedWeights[]> {
	const infoKeys = (await keys<string>(db())).filter((k) => typeof k === 'string' && k.startsWith('info:'));
	const infos = await getMany<CachedWeights | undefined>(infoKeys, db());
	return infos
		.filter((i): i is CachedWeights => typeof i?.url === 'string' && typeof i.size === 'number')
		.sort((a, b) => b.date - a.date);
}

/** Forgets one URL. */
export async function forgetCached(url: string): Promise<void> {
	await delMany([`bytes:${url}`, `info:${url}`], db());
}

/** Forgets every cached download. */
export async function clearCached(): Promise<void> {
	await clear(db());
}
