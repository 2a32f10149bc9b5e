/**
 * The backend badge on WebGL (SwiftShader here: a software renderer): nothing the user needs is
 * cut (issue 10, defect 6). Chromium runs with its GPU process (no --disable-gpu) for WebGL.
 */
import { expect, test } from '@playwright/test';
import { chromiumArgs } from '../../playwright.config';

test.use({
	launchOptions: {
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: [...chromiumArgs.filter((a) => a !== '--disable-gpu'), '--use-angle=swiftshader']
	}
});
test.describe.configure({ timeout: 120_000 });

test('#6: the webgl badge shows "(software)" uncut', async ({ page }) => {
	await page.goto('/?preset=resnet20');
	await page.getByTestId('preset-select').selectOption('resnet20');
	await page.getByTestId('backend-select').selectOption('webgl');
	const badge = page.getByTestId('backend-badge');
	await expect(badge.locator('strong')).toHaveText(/\w+/, { timeout: 60_000 });
	test.skip((await badge.locator('strong').innerText()) !== 'webgl', 'WebGL does not start in this Chromium');
	await expect(badge).toContainText('software');
	// Nothing the user needs is cut: the marker lies inside the badge, and the badge is not clipped.
	const marker = badge.getByText('software', { exact: false }).first();
	const [b, m] = [await badge.boundingBox(), await marker.boundingBox()];
	expect(m!.x + m!.width).toBeLessThanOrEqual(b!.x + b!.width + 0.5);
	expect(await badge.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
});
