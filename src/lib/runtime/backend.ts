/**
 * Picks and starts a tfjs backend, lazily: nothing of tfjs is fetched until `startBackend` is
 * called. In the page it runs inside the inference worker ($lib/runtime/worker.ts), where
 * `navigator.gpu`, OffscreenCanvas (WebGL) and nested workers (wasm threads) all exist.
 *
 * Order for `auto`: WebGPU on a real (hardware) adapter → wasm (SIMD, threads when the page is
 * cross-origin isolated) → WebGL → CPU. A software WebGPU adapter (SwiftShader, or any fallback
 * adapter) is skipped in `auto`: on it tfjs is tens of times slower than wasm. Every backend that
 * is tried and fails is reported as a notice, never thrown.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export type Tf = typeof TfCore;
export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

/** What a WebGPU adapter request found. */
export interface WebGpuProbe {
	available: boolean;
	/** A software rasteriser (SwiftShader) or a fallback adapter. */
	software: boolean;
	/** "google swiftshader", "nvidia ampere", …; or why there is none. */
	description: string;
}

/** The backend in use, for the badge. */
export interface BackendInfo {
	name: BackendName;
	/** Adapter / build details: "nvidia ampere", "SIMD · 2 threads", "ANGLE (…)". */
	detail: string;
	software: boolean;
}

export interface BackendResult {
	tf: Tf;
	info: BackendInfo;
	/** Backends tried before this one and why they were not used (empty when the first worked). */
	notices: string[];
}

// Minimal WebGPU typing (the DOM lib of this TypeScript has none).
interface GpuAdapterInfoLike {
	vendor?: string;
	architecture?: string;
	device?: string;
	description?: string;
	isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
	info?: GpuAdapterInfoLike;
	isFallbackAdapter?: boolean;
	requestAdapterInfo?: () => Promise<GpuAdapterInfoLike>;
}
interface GpuLike {
	requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}
interface GpuDeviceLike {
	lost: Promise<{ reason?: string; message?: string }>;
	destroy?: () => void;
}

/** Is this adapter a software one (SwiftShader or the browser's fallback adapter)? Pure. */
export function isSoftwareAdapter(info: GpuAdapterInfoLike | undefined, isFallback?: boolean): boolean {
	if (isFallback || info?.isFallbackAdapter) return true;
	const text = `${info?.architecture ?? ''} ${info?.vendor ?? ''} ${info?.description ?? ''}`.toLowerCase();
	return /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/.test(text);
}

/** Describes an adapter in a few words ("google swiftshader"). Pure. */
export function describeAdapter(info: GpuAdapterInfoLike | undefined): string {
	const parts = [info?.vendor, info?.architecture, info?.device, info?.description]
		.map((s) => (s ?? '').trim())
		.filter((s, i, all) => s !== '' && all.indexOf(s) === i);
	return parts.length > 0 ? parts.join(' ') : 'unknown adapter';
}

/** Asks the browser for a WebGPU adapter; never throws. */
export async function probeWebGpu(): Promise<WebGpuProbe> {
	const gpu = (globalThis.navigator as unknown as { gpu?: GpuLike } | undefined)?.gpu;
	if (!gpu) return { available: false, software: false, description: 'this browser has no WebGPU' };
	try {
		const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
		if (!adapter) return { available: false, software: false, description: 'no WebGPU adapter' };
		const info = adapter.info ?? (await adapter.requestAdapterInfo?.());
		return {
			available: true,
			software: isSoftwareAdapter(info, adapter.isFallbackAdapter),
			description: describeAdapter(info)
		};
	} catch (e) {
		return { available: false, software: false, description: `WebGPU adapter request failed: ${message(e)}` };
	}
}

/**
 * The order in which `auto` tries backends, given what WebGPU offers. Pure.
 * A software WebGPU adapter is left out entirely (wasm and even the CPU beat it here).
 */
export function autoOrder(webgpu: WebGpuProbe): BackendName[] {
	return webgpu.available && !webgpu.software ? ['webgpu', 'wasm', 'webgl', 'cpu'] : ['wasm', 'webgl', 'cpu'];
}

/** The order for an explicit choice: the choice first, then `auto`'s order for the rest. Pure. */
export function choiceOrder(choice: BackendChoice, webgpu: WebGpuProbe): BackendName[] {
	const auto = autoOrder(webgpu);
	if (choice === 'auto') return auto;
	return [choice, ...auto.filter((b) => b !== choice)];
}

let tfPromise: Promise<Tf> | null = null;
/** tfjs-core, imported on first use only. */
export function loadTf(): Promise<Tf> {
	// With its gradients registered: explanations (tf.grad) need them; tfjs-core alone has none.
	tfPromise ??= import('@tensorflow/tfjs-core').then(async (tf) => {
		await import('@tensorflow/tfjs-core/dist/register_all_gradients');
		return tf;
	});
	return tfPromise;
}

const registered = new Map<BackendName, Promise<unknown>>();
/** Imports a backend's module (which registers it with tfjs-core). */
function register(name: BackendName): Promise<unknown> {
	let p = registered.get(name);
	if (!p) {
		p =
			name === 'webgpu'
				? import('@tensorflow/tfjs-backend-webgpu')
				: name === 'wasm'
					? import('@tensorflow/tfjs-backend-wasm').then((wasm) => {
							wasm.setThreadsCount(Math.max(1, Math.min(8, logicalCores())));
							// Binaries served by us (Vite assets), never a CDN.
							wasm.setWasmPaths({
								'tfjs-backend-wasm.wasm': wasmPlainUrl,
								'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
								'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl
							});
							return wasm;
						})
					: name === 'webgl'
						? import('@tensorflow/tfjs-backend-webgl')
						: import('@tensorflow/tfjs-backend-cpu');
		// A failed import can be retried later.
		p.catch(() => registered.delete(name));
		registered.set(name, p);
	}
	return p;
}

/** Starts one backend; resolves to its details, or to a reason it could not start. */
async function tryBackend(
	tf: Tf,
	name: BackendName,
	webgpu: WebGpuProbe
): Promise<{ ok: true; info: BackendInfo } | { ok: false; reason: string }> {
	if (name === 'webgpu' && !webgpu.available) return { ok: false, reason: webgpu.description };
	try {
		const mod = await register(name);
		if (!tf.findBackendFactory(name)) return { ok: false, reason: 'not supported by this browser' };
		// setBackend resolves false (with a console warning) when the backend fails to start.
		const ok =
			name === 'wasm'
				? await withWorkerSource(() => withAllCores(() => tf.setBackend(name)))
				: await tf.setBackend(name);
		if (!ok || tf.getBackend() !== name) return { ok: false, reason: 'failed to initialise' };
		await tf.ready();
		return { ok: true, info: await describeBackend(tf, name, webgpu, mod) };
	} catch (e) {
		return { ok: false, reason: message(e) };
	}
}

async function describeBackend(
	tf: Tf,
	name: BackendName,
	webgpu: WebGpuProbe,
	mod: unknown
): Promise<BackendInfo> {
	if (name === 'webgpu') return { name, detail: webgpu.description, software: webgpu.software };
	if (name === 'wasm') {
		const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
		const threadsOk = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
		let threads = 1;
		try {
			threads = (mod as { getThreadsCount(): number }).getThreadsCount();
		} catch {
			threads = 1;
		}
		const parts = [simd ? 'SIMD' : 'no SIMD', threadsOk && threads > 1 ? `${threads} threads` : '1 thread'];
		if (!threadsOk) parts.push(crossOriginIsolated() ? 'no shared memory' : 'not cross-origin isolated');
		return { name, detail: parts.join(' · '), software: false };
	}
	if (name === 'webgl') {
		let detail = `WebGL ${tf.env().getNumber('WEBGL_VERSION')}`;
		let software = false;
		try {
			const gl = (tf.backend() as unknown as { gpgpu: { gl: WebGLRenderingContext } }).gpgpu.gl;
			const ext = gl.getExtension('WEBGL_debug_renderer_info');
			const renderer = ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : '';
			if (renderer) detail += ` · ${renderer}`;
			software = /swiftshader|llvmpipe|software/i.test(renderer);
		} catch {
			// the renderer string is a nicety
		}
		return { name, detail, software };
	}
	return { name, detail: 'JavaScript', software: false };
}

function logicalCores(): number {
	return globalThis.navigator?.hardwareConcurrency ?? 1;
}

/**
 * tfjs-backend-wasm caps its XNNPACK thread pool at half of `navigator.hardwareConcurrency`
 * (it assumes two hardware threads per core), read once while the module starts: one thread on
 * a 2-core machine whatever `setThreadsCount` asks. While the backend starts, report twice the
 * cores so that the cap becomes every logical core; the real value is restored right after.
 */
async function withAllCores<T>(f: () => Promise<T>): Promise<T> {
	const nav = globalThis.navigator;
	const own = nav && Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency');
	const cores = logicalCores();
	try {
		if (nav) Object.defineProperty(nav, 'hardwareConcurrency', { value: cores * 2, configurable: true });
	} catch {
		return f();
	}
	try {
		return await f();
	} finally {
		if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
		else delete (nav as unknown as { hardwareConcurrency?: number }).hardwareConcurrency;
	}
}

const THREADED_PREFIX = 'var WasmBackendModuleThreadedSimd = ';

/**
 * tfjs-backend-wasm gives its pthread workers their main script as
 * `Blob(['var WasmBackendModuleThreadedSimd = ' + factory.toString()])`. After a bundler has
 * minified the factory, its text refers to variables of the closure it came from (emscripten's
 * `_scriptDir`, renamed), which do not exist in a worker: the workers fail ("e is not defined")
 * and the backend never starts. While the backend starts, that one Blob is given the package's
 * own, unminified emscripten script instead (same build, same .wasm).
 */
async function withWorkerSource<T>(f: () => Promise<T>): Promise<T> {
	const { default: source } =
		await import('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?raw');
	const Original = globalThis.Blob;
	class WorkerScriptBlob extends Original {
		constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
			const replace =
				parts?.length === 1 && typeof parts[0] === 'string' && parts[0].startsWith(THREADED_PREFIX);
			super(replace ? [source] : parts, options);
		}
	}
	globalThis.Blob = WorkerScriptBlob;
	try {
		return await f();
	} finally {
		globalThis.Blob = Original;
	}
}

function crossOriginIsolated(): boolean {
	return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/**
 * Starts the chosen backend, falling back in `auto`'s order when it cannot start.
 * `onLost` is called (once) if the GPU device of a webgpu/webgl backend is lost later.
 * Never throws: the CPU backend always starts.
 */
export async function startBackend(
	choice: BackendChoice,
	onLost?: (message: string) => void
): Promise<BackendResult> {
	const tf = await loadTf();
	const webgpu = await probeWebGpu();
	const notices: string[] = [];
	if (choice === 'auto' && webgpu.available && webgpu.software)
		notices.push(`webgpu: skipped the software adapter (${webgpu.description}); wasm is much faster here`);
	for (const name of choiceOrder(choice, webgpu)) {
		const r = await tryBackend(tf, name, webgpu);
		if (r.ok) {
			watchLoss(tf, r.info, onLost);
			return { tf, info: r.info, notices };
		}
		notices.push(`${name}: ${r.reason}`);
	}
	// Unreachable in practice: the CPU backend is plain JavaScript.
	throw new Error(`no tfjs backend could start (${notices.join('; ')})`);
}

function watchLoss(tf: Tf, info: BackendInfo, onLost?: (message: string) => void): void {
	if (!onLost) return;
	const backend = tf.backend() as unknown;
	if (info.name === 'webgpu') {
		const device = (backend as { device?: GpuDeviceLike }).device;
		device?.lost.then((e) => {
			if (tf.getBackend() !== 'webgpu') return;
			forget(tf, 'webgpu');
			onLost(`WebGPU device lost${e?.message ? `: ${e.message}` : e?.reason ? ` (${e.reason})` : ''}`);
		});
	} else if (info.name === 'webgl') {
		const canvas = (backend as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl?.canvas;
		if (canvas && 'addEventListener' in canvas)
			canvas.addEventListener(
				'webglcontextlost',
				() => {
					if (tf.getBackend() !== 'webgl') return;
					forget(tf, 'webgl');
					onLost('WebGL context lost');
				},
				{ once: true }
			);
	}
}

/** Drops a backend whose device is gone, keeping its factory so that a later start makes a new one. */
function forget(tf: Tf, name: BackendName): void {
	const factory = tf.findBackendFactory(name);
	try {
		tf.removeBackend(name);
	} catch {
		// disposing a lost device may fail; the instance is dropped either way
	}
	if (factory) tf.registerBackend(name, factory, name === 'webgpu' ? 3 : 2);
}

function message(e: unknown): string {
	if (e instanceof Error) return e.message;
	if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
	return String(e);
}
