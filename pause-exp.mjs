import { chromium } from '@playwright/test';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu'] });
const page = await browser.newPage();
await page.goto('http://localhost:5302/?preset=resnet50');
await page.getByTestId('backend-select').selectOption('wasm');
await page.getByTestId('sample-cat').click();
await page.getByTestId('prediction').first().waitFor({ timeout: 120000 });
async function once() {
  const before = Number(await page.getByTestId('run-result').getAttribute('data-runs'));
  await page.getByTestId('run-button').click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="run-result"]')?.getAttribute('data-runs')) > n, before, { timeout: 120000 });
  const t = await page.getByTestId('forward-ms').innerText();
  return Number(/([\d.]+) ms/.exec(t)[1]);
}
const med = (a) => { const s=[...a].sort((x,y)=>x-y); return s[Math.floor(s.length/2)]; };
for (let rep = 0; rep < 2; rep++)
for (const pause of [0, 250, 1000]) {
  const ts = [];
  for (let i = 0; i < 8; i++) { if (pause) await page.waitForTimeout(pause); ts.push(await once()); }
  console.log(`pause ${pause} ms: median ${med(ts).toFixed(1)} ms  [${ts.map(x=>x.toFixed(0)).join(' ')}]`);
}
await browser.close();
