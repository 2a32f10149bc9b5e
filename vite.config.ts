import { sveltekit } from '@sveltejs/kit/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// Cross-origin isolation lets the tfjs wasm backend use threads (SharedArrayBuffer).
const isolation = {
	'Cross-Origin-Opener-Policy': 'same-origin',
	'Cross-Origin-Embedder-Policy': 'require-corp'
};

// SvelteKit answers pages and static files with its own middleware, which skips `server.headers`:
// set the headers on every response, before SvelteKit sees the request.
const isolate: Plugin = {
	name: 'cross-origin-isolation',
	configureServer(server) {
		server.middlewares.use((_req, res, next) => {
			for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
			next();
		});
	},
	configurePreviewServer(server) {
		server.middlewares.use((_req, res, next) => {
			for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
			next();
		});
	}
};

export default defineConfig({
	plugins: [isolate, sveltekit()],
	// The tfjs backends are imported on demand; pre-bundle them so that the dev server does not
	// discover them mid-session and reload the page.
	optimizeDeps: {
		include: [
			'@tensorflow/tfjs-core',
			'@tensorflow/tfjs-backend-cpu',
			'@tensorflow/tfjs-backend-wasm',
			'@tensorflow/tfjs-backend-webgl',
			'@tensorflow/tfjs-backend-webgpu'
		]
	},
	// The inference worker ($lib/runtime/worker.ts) is an ES module worker, so that it can import
	// the tfjs backends on demand (code splitting), as the page once did.
	worker: { format: 'es' },
	server: { headers: isolation },
	preview: { headers: isolation },
	test: {
		include: ['tests/unit/**/*.test.ts'],
		environment: 'node',
		testTimeout: 60_000
	}
});
