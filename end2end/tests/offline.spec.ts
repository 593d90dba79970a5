// Without network: entries go to the outbox on the phone, survive a reload, and reach
// the server exactly once when the network is back. Plus the offline page and the
// "new version" prompt of the service worker.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import { bin, siteRoot } from '../playwright.config';
import { Device } from '../device';
import { appInstalled, providers, signIn } from '../support';

const embedded = providers[0];

/// Weeks ahead of this one: the suites' entries never mix.
async function showWeekAhead(page: Page, weeks: number) {
  for (let step = 0; step < weeks; step++) {
    const title = await page.getByTestId('week-title').textContent();
    await page.getByRole('button', { name: 'Next week' }).click();
    await expect(page.getByTestId('week-title')).not.toHaveText(title ?? '');
  }
  await expect(page.getByTestId('week-total')).toBeVisible();
}

test('five entries logged offline survive a reload and are stored exactly once', async ({ page, context }) => {
  test.setTimeout(120_000);
  await signIn(page, embedded, 'employee');
  await appInstalled(page);
  await showWeekAhead(page, 2);
  const run = Date.now().toString(36);
  const notes = [1, 2, 3, 4, 5].map((n) => `Offline ${run} #${n}`);

  await context.setOffline(true);
  for (const note of notes) {
    await page.getByRole('button', { name: 'Add entry' }).click();
    const form = page.getByRole('form', { name: 'New entry' });
    await form.getByLabel('Duration').fill('30m');
    await form.getByLabel('Note (optional)').fill(note);
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form).toHaveCount(0);
    await expect(page.getByTestId('entry').filter({ hasText: note }).getByTestId('sync-state')).toHaveText(
      'Waiting for network',
    );
  }
  await expect(page.getByRole('status').filter({ hasText: 'saved on this phone' })).toHaveText(
    '5 entries saved on this phone wait to be sent.',
  );

  // Closed and opened again without network: the page comes from the service worker,
  // the entries from the outbox.
  await page.reload();
  await expect(page.getByRole('heading', { name: "You're offline" })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Add entry' })).toBeVisible();
  for (const note of notes) {
    await expect(page.getByTestId('entry').filter({ hasText: note }).getByTestId('sync-state')).toHaveText(
      'Waiting for network',
    );
  }

  // Back online: the session is restored without a prompt and the outbox is sent.
  await context.setOffline(false);
  await expect(page.getByTestId('signed-in-as')).toHaveAccessibleName('Emma Employee (your profile)', { timeout: 20_000 });
  await showWeekAhead(page, 2);
  for (const note of notes) {
    await expect(page.getByTestId('entry').filter({ hasText: note }).getByTestId('sync-state')).toHaveText('Synced', {
      timeout: 20_000,
    });
  }
  await expect(page.getByRole('status').filter({ hasText: 'saved on this phone' })).toHaveCount(0);

  // The server has each exactly once (asked from Emma's other device).
  const emma = await Device.signIn(embedded, 'employee');
  const monday = new Date();
  monday.setDate(monday.getDate() - ((monday.getDay() + 6) % 7) + 14);
  const from = monday.toLocaleDateString('en-CA');
  const to = new Date(monday.getTime() + 6 * 86_400_000).toLocaleDateString('en-CA');
  const response = await emma.call('GET', `/api/timesheets?from=${from}&to=${to}&limit=100`);
  expect(response.status).toBe(200);
  const stored: { note: string | null }[] = (await response.json()).items;
  for (const note of notes) expect(stored.filter((entry) => entry.note === note)).toHaveLength(1);
  expect(stored.filter((entry) => entry.note?.startsWith(`Offline ${run}`))).toHaveLength(5);
});

test('an offline edit that meets a newer change shows a conflict; keeping it wins', async ({ page, context }) => {
  test.setTimeout(90_000);
  await signIn(page, embedded, 'employee');
  await appInstalled(page);
  await showWeekAhead(page, 4);
  const note = `Conflict ${Date.now().toString(36)}`;
  await page.getByRole('button', { name: 'Add entry' }).click();
  const form = page.getByRole('form', { name: 'New entry' });
  await form.getByLabel('Duration').fill('1h');
  await form.getByLabel('Note (optional)').fill(note);
  await form.getByRole('button', { name: 'Save' }).click();
  const row = page.getByTestId('entry').filter({ hasText: note });
  await expect(row).toContainText('1h');

  // Edited on the phone without network…
  await context.setOffline(true);
  await row.getByRole('button').click();
  const edit = page.getByRole('form', { name: 'Edit entry' });
  await edit.getByLabel('Duration').fill('2h');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(row.getByTestId('sync-state')).toHaveText('Waiting for network');
  await expect(row).toContainText('2h');

  // …while the same entry is changed elsewhere (the API, from the same person's other device).
  const emma = await Device.signIn(embedded, 'employee');
  const list = await (await emma.call('GET', '/api/timesheets?limit=500')).json();
  const stored = list.items.find((entry: { note: string }) => entry.note === note);
  const changed = await emma.call(
    'PUT',
    `/api/timesheets/${stored.id}`,
    { project: stored.project, date: stored.date, minutes: 45, note },
    { 'If-Match': `"${stored.version}"` },
  );
  expect(changed.status, await changed.text()).toBe(200);

  // Back online: the edit is refused as stale and shown as a conflict, not dropped.
  await context.setOffline(false);
  await expect(row.getByTestId('sync-state')).toHaveText('Conflict', { timeout: 20_000 });
  await expect(row.getByRole('alert')).toHaveText('The entry was changed elsewhere after you edited it here');
  await expect(row).toContainText('2h');
  await row.getByRole('button', { name: 'Keep mine' }).click();
  await expect(row.getByTestId('sync-state')).toHaveText('Synced', { timeout: 20_000 });
  await expect(row).toContainText('2h');
  const after = await emma.call('GET', `/api/timesheets/${stored.id}`);
  expect((await after.json()).minutes).toBe(120);
});

test('a page that is not cached opens the offline page; cached pages open the app', async ({ page, context }) => {
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await appInstalled(page);
  await context.setOffline(true);
  await page.goto('/profile');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await page.goto('/somewhere/else');
  await expect(page.getByRole('heading', { name: "You're offline" })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Open your week' })).toHaveAttribute('href', '/');
  await context.setOffline(false);
});

/// A release server of our own on `port`, serving the front end in `site`.
async function startServer(port: number, site: string, dataDir: string): Promise<ChildProcess> {
  const server = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--database-url', `sqlite://${dataDir}/app.db`], {
    env: { ...process.env, LEPTOS_SITE_ROOT: site, RUST_LOG: 'warn' },
    stdio: 'ignore',
  });
  await expect
    .poll(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status, { timeout: 30_000 })
    .toBe(200);
  return server;
}

async function stopServer(server: ChildProcess) {
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill();
  await exited;
}

test('a new version waits for the user, then takes over', async ({ page }) => {
  test.setTimeout(90_000);
  // The same origin serves this build, then a "new" one (its service worker changed).
  const port = 3150;
  const dataDir = mkdtempSync(join(tmpdir(), 'timesheets-update-'));
  const nextSite = mkdtempSync(join(tmpdir(), 'timesheets-next-site-'));
  cpSync(siteRoot, nextSite, { recursive: true });
  appendFileSync(join(nextSite, 'sw.js'), '\n// the next build\n');
  let server = await startServer(port, siteRoot, dataDir);
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
    await appInstalled(page);
    await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
    const prompt = page.getByRole('status').filter({ hasText: 'A new version of Timesheets is available.' });
    await expect(prompt).toHaveCount(0);

    await stopServer(server);
    server = await startServer(port, nextSite, dataDir);
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      await registration?.update();
    });
    await expect(prompt).toBeVisible();
    // Nothing reloads until the user says so: the new worker waits.
    await page.waitForTimeout(1_000);
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    expect(await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting)).toBe(true);

    await Promise.all([page.waitForEvent('load'), prompt.getByRole('button', { name: 'Reload' }).click()]);
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBeUndefined();
    expect(await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting)).toBe(false);
    await expect(prompt).toHaveCount(0);
  } finally {
    await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(nextSite, { recursive: true, force: true });
  }
});
