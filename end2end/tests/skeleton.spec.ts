import { test, expect, chromium, devices } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumLaunch } from '../playwright.config';

test('the home page hydrates and offers to sign in', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your week, on your phone');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  // Nothing for signed-in people is shown to a visitor.
  await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
});

test.describe('without the service worker (its background precache fetches every chunk)', () => {
  test.use({ serviceWorkers: 'block' });

  test('a first visit runs on the main bundle alone: no code chunk until sign-in', async ({ page }) => {
    const code: string[] = [];
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (path.startsWith('/pkg/') && /\.(js|wasm)$/.test(path)) code.push(path);
    });
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    await page.waitForLoadState('networkidle');
    // The main module, its JS and the chunk loader; the session, the outbox and the screens
    // of a signed-in person are fetched only when needed (docs/BENCHMARKS.md#bundle-size-and-first-load).
    expect(code.filter((path) => /^\/pkg\/(split_|chunk_)/.test(path))).toEqual([]);
    expect(code.some((path) => /^\/pkg\/timesheets\.[\w-]+\.wasm$/.test(path))).toBe(true);

    // Signing in fetches the sign-in code on demand.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByLabel('Email')).toBeVisible();
    expect(code.some((path) => /^\/pkg\/split_session_task_/.test(path))).toBe(true);
  });
});

test('the page fits a phone and its touch targets are large enough', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  const viewport = page.viewportSize()!;
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth).toBeLessThanOrEqual(viewport.width);
  const button = await page.getByRole('button', { name: 'Sign in' }).boundingBox();
  expect(button!.height).toBeGreaterThanOrEqual(44);
});

test('the manifest is linked and the service worker is registered', async ({ page, request }) => {
  await page.goto('/');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(href).toBe('/manifest.webmanifest');
  const manifest = await (await request.get(href!)).json();
  expect(manifest.display).toBe('standalone');

  const worker = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return { scope: registration.scope, script: registration.active?.scriptURL };
  });
  expect(new URL(worker.scope).pathname).toBe('/');
  expect(new URL(worker.script!).pathname).toBe('/sw.js');

  // The worker precached the shell and this build's bundle, and nothing under /api/.
  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
    }
    return urls;
  });
  expect(cached).toContain('/');
  expect(cached.some((url) => /^\/pkg\/timesheets\.[\w-]+\.wasm$/.test(url))).toBe(true);
  // The code loaded on demand too (so the signed-in screens open offline), and only code.
  expect(cached.some((url) => /^\/pkg\/__wasm_split\.[\w-]+\.js$/.test(url))).toBe(true);
  expect(cached.some((url) => /^\/pkg\/split_week_screen_\w+\.[\w-]+\.wasm$/.test(url))).toBe(true);
  expect(cached.filter((url) => url.startsWith('/pkg/') && !/\.(js|wasm|css)$/.test(url))).toEqual([]);
  expect(cached.some((url) => url.startsWith('/api/'))).toBe(false);
});

test('a page that no worker controls is claimed without another reload', async ({ page }) => {
  await page.goto('/');
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  // A hard reload bypasses the worker: the new page starts uncontrolled, as one whose
  // navigation raced the first worker's activation does, and asks to be claimed.
  const cdp = await page.context().newCDPSession(page);
  const loaded = page.waitForEvent('load');
  await cdp.send('Page.reload', { ignoreCache: true });
  await loaded;
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
});

// A split build's file names are not content hashes (cargo-leptos writes the chunk loader's
// name into the files after naming them), so the bundle is revalidated, not cached for a year;
// the service worker serves it from its per-build cache anyway.
test('bundle files and pages are revalidated, the bundle is sent brotli', async ({ page }) => {
  const responses = new Map<string, Record<string, string>>();
  page.on('response', (response) => responses.set(new URL(response.url()).pathname, response.headers()));
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  expect(responses.get('/')?.['cache-control']).toBe('no-cache');
  const wasm = [...responses.keys()].find((path) => path.endsWith('.wasm'));
  expect(wasm).toMatch(/^\/pkg\/timesheets\.[\w-]+\.wasm$/);
  expect(responses.get(wasm!)?.['cache-control']).toBe('no-cache');
  expect(responses.get(wasm!)?.['last-modified']).toBeTruthy();
  expect(responses.get(wasm!)?.['content-encoding']).toBe('br');
});

test('Chromium finds the app installable', async ({ baseURL }) => {
  // Installability is only reported for a persistent profile (never in incognito).
  const profile = mkdtempSync(join(tmpdir(), 'timesheets-profile-'));
  const context = await chromium.launchPersistentContext(profile, { ...devices['Pixel 7'], ...chromiumLaunch });
  try {
    const page = await context.newPage();
    await page.goto(baseURL!);
    await page.evaluate(() => navigator.serviceWorker.ready);
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
