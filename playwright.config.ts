import { defineConfig } from '@playwright/test';

// Debian's chromium; never a browser download.
export const chromiumArgs = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync'
];

// E2E_DEV=1 serves the dev server instead of the production build (for quick local runs;
// E2E_PORT picks the port so that several can run side by side). CI tests the production build.
const port = Number(process.env.E2E_PORT ?? 4173);
const dev = process.env.E2E_DEV === '1';

export default defineConfig({
	testDir: 'tests/e2e',
	timeout: 60_000,
	retries: 0,
	workers: 1,
	reporter: [['list']],
	use: {
		baseURL: `http://localhost:${port}`,
		launchOptions: {
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: chromiumArgs
		}
	},
	webServer: {
		command: dev
			? `npx vite dev --port ${port} --strictPort`
			: `npm run build && npm run preview -- --port ${port} --strictPort`,
		port,
		reuseExistingServer: false,
		timeout: 240_000
	}
});
