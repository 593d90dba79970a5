// `make lighthouse` (before Lighthouse): what a phone downloads, measured by Chromium as bytes
// on the wire (brotli where the server sends it), not computed from the files:
//  1. a first visit to `/` (HTML, JS, WASM, CSS, icons: everything until the page is idle),
//     with the service worker kept out so its background precache is not counted;
//  2. then signing in as the demo employee, up to the week's total: the code chunks this
//     fetches (sign-in steps, week screen and what they share).
// Needs a server started with DEMO=true (scripts/lighthouse.sh does).
import { readFileSync } from 'node:fs';
import { chromium, devices } from '@playwright/test';
const chromiumLaunch = JSON.parse(readFileSync(new URL('./chromium.json', import.meta.url), 'utf8'));

const app = process.argv[2] ?? 'http://127.0.0.1:3300';
const browser = await chromium.launch(chromiumLaunch);
try {
  const context = await browser.newContext({ ...devices['Pixel 7'], serviceWorkers: 'block' });
  const page = await context.newPage();
  const downloads = [];
  page.on('requestfinished', async (request) => {
    const sizes = await request.sizes().catch(() => null);
    if (!sizes) return;
    const url = new URL(request.url());
    const encoding = (await request.response())?.headers()['content-encoding'] ?? 'identity';
    downloads.push({ path: url.pathname, bytes: sizes.responseBodySize, encoding });
  });
  await page.goto(`${app}/`);
  await page.locator('html[data-hydrated=true]').waitFor();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.waitForLoadState('networkidle');
  const firstVisit = downloads.splice(0);
  report('first visit to / (signed out)', firstVisit);

  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Email').fill('emma@exampleco.test');
  await page.getByLabel('Password').fill('emma-demo-pass');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('week-total').waitFor();
  await page.waitForLoadState('networkidle');
  report('then signing in, up to the week (code only)', downloads.filter((d) => d.path.startsWith('/pkg/')));
} finally {
  await browser.close();
}

function report(title, list) {
  console.log(`\n${title}:`);
  for (const { path, bytes, encoding } of list) console.log(`  ${bytes.toLocaleString('en')} B  ${encoding.padEnd(8)} ${path}`);
  const total = list.reduce((sum, { bytes }) => sum + bytes, 0);
  const code = list
    .filter(({ path }) => path === '/' || /\.(js|wasm|css)$/.test(path))
    .reduce((sum, { bytes }) => sum + bytes, 0);
  console.log(`  total ${total.toLocaleString('en')} B; HTML + JS + WASM + CSS ${code.toLocaleString('en')} B`);
}
