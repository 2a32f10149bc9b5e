/**
 * Screenshots of the explorer page for the README and docs/screenshots/: the first screen (the
 * viewport, not the whole page) at 1440×900, 1024×768, 768×1024 and 390×844, light and dark, once
 * the demo network's prediction is drawn.
 *
 *   npx vite dev --port 5173 &                        # or any running build
 *   npx tsx tools/page-screenshots.ts http://localhost:5173
 *
 * Writes docs/screenshots/page-<width>-<scheme>.png and docs/screenshot.png (1440, light).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { chromiumArgs } from '../playwright.config';

const base = process.argv[2] ?? 'http://localhost:5173';
const out = 'docs/screenshots';
const VIEWPORTS = [
	{ width: 1440, height: 900 },
	{ width: 1024, height: 768 },
	{ width: 768, height: 1024 },
	{ width: 390, height: 844 }
];

mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
	args: chromiumArgs
});
try {
	for (const viewport of VIEWPORTS)
		for (const colorScheme of ['light', 'dark'] as const) {
			const context = await browser.newContext({ viewport, colorScheme });
			const page = await context.newPage();
			await page.goto(`${base}/`);
			await page.getByTestId('prediction').first().waitFor({ timeout: 120_000 });
			await page.getByTestId('feature-map').first().waitFor({ timeout: 60_000 });
			await page.evaluate(() => document.fonts.ready);
			const file = `${out}/page-${viewport.width}-${colorScheme}.png`;
			await page.screenshot({ path: file });
			console.log(file);
			await context.close();
		}
	copyFileSync(`${out}/page-1440-light.png`, 'docs/screenshot.png');
	console.log('docs/screenshot.png');
} finally {
	await browser.close();
}
