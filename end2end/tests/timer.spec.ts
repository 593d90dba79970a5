// The running timer: started on the phone, known to the person's other devices, kept
// through a reload and without network, and stopped into the right entry through the
// outbox. Adam (the admin) times: no other suite looks at his week.
import { randomUUID } from 'node:crypto';
import { test, expect } from '@playwright/test';
import { Device } from '../device';
import { appInstalled, providers, signIn } from '../support';

const embedded = providers[0];

test('a timer survives a reload and going offline and makes the right entry', async ({ page, context }) => {
  test.setTimeout(120_000);
  await signIn(page, embedded, 'admin');
  await appInstalled(page);
  const adam = await Device.signIn(embedded, 'admin');
  const serverTimer = async () => {
    const answer = await adam.call('GET', '/api/timer');
    return answer.status === 200 ? ((await answer.json()) as { id: string; project: string }) : null;
  };

  // Round to a quarter of an hour on this phone.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
  await page.getByLabel('Round timed entries to').selectOption('15');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Week' }).click();

  // Started on the phone: running in the card, the header and the title; the server knows.
  await page.getByRole('button', { name: 'Timer', exact: true }).click();
  const card = page.getByTestId('timer');
  await card.getByLabel('Time a project').selectOption('TRAINING');
  await card.getByRole('button', { name: 'Start TRAINING' }).click();
  await expect(page.getByTestId('timer-elapsed')).toHaveText(/^0:00:\d\d$/);
  await expect(page.getByTestId('timer-badge')).toContainText('TRAINING 0:00:');
  await expect.poll(() => page.title()).toMatch(/^0:00:\d\d TRAINING · Timesheets$/);
  await expect.poll(async () => (await serverTimer())?.project).toBe('TRAINING');
  // Discarded: gone here and there, no entry.
  await card.getByRole('button', { name: 'Discard' }).click();
  await card.getByRole('button', { name: 'Discard timer' }).click();
  await expect(card).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Timer', exact: true })).toBeVisible();
  await expect.poll(serverTimer).toBeNull();

  // Started on Adam's other device 47 minutes ago (17 just after midnight: a timer from
  // yesterday asks what to log instead): this phone shows it when it looks.
  const sinceMidnight = new Date().getHours() * 60 + new Date().getMinutes();
  const [ago, logged, shown] =
    sinceMidnight >= 50 ? ([47, 45, /^0:4[78]:\d\d$/] as const) : ([17, 15, /^0:1[78]:\d\d$/] as const);
  const id = randomUUID();
  const started = await adam.call('PUT', '/api/timer', {
    id,
    project: 'ACME',
    started_at: Date.now() - ago * 60_000,
  });
  expect(started.status, await started.text()).toBe(200);
  await page.reload();
  await expect(page.getByTestId('timer-elapsed')).toHaveText(shown, { timeout: 20_000 });
  await expect(card).toContainText('Acme website');
  await page.screenshot({ path: 'screenshots/timer.png' });

  // Closed and opened again without network: still running, from the same start.
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: "You're offline" })).toBeVisible();
  await expect(page.getByTestId('timer-elapsed')).toHaveText(shown);
  // Stopped offline: rounded to the quarter, it waits in the outbox.
  await card.getByRole('button', { name: 'Stop' }).click();
  await expect(card.getByRole('button', { name: /^Start / })).toBeVisible();
  const queued = page.getByTestId('entry').filter({ hasText: 'Acme website' });
  await expect(queued.getByTestId('sync-state')).toHaveText('Waiting for network');
  await expect(queued).toContainText(`${logged}`);

  // Back online: the entry reaches the server once, with the timer's id, which ends it.
  await context.setOffline(false);
  await expect(page.getByTestId('signed-in-as')).toHaveAccessibleName('Adam Admin (your profile)', { timeout: 20_000 });
  await expect.poll(serverTimer, { timeout: 20_000 }).toBeNull();
  const entry = await adam.call('GET', `/api/timesheets/${id}`);
  expect(entry.status).toBe(200);
  const stored = await entry.json();
  const today = new Date().toLocaleDateString('en-CA');
  expect({ project: stored.project, minutes: stored.minutes, date: stored.date, status: stored.status }).toEqual({
    project: 'ACME',
    minutes: logged,
    date: today,
    status: 'draft',
  });
  await expect(page.getByTestId('timer-badge')).toHaveCount(0);
  await expect.poll(() => page.title()).toBe('Timesheets');
});
