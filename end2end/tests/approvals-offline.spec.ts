// A manager's phone: decisions made without network wait on the phone and are applied
// exactly once, on the version the manager saw (a changed entry is a Conflict saying what
// changed); and the team's week at a glance.
import { test, expect } from '@playwright/test';
import { Device } from '../device';
import { appInstalled, providers, signIn } from '../support';

const embedded = providers[0];

/// `YYYY-MM-DD` of the Monday `weeks` from this week, on this machine's calendar.
function monday(weeks: number): Date {
  const day = new Date();
  day.setHours(12, 0, 0, 0);
  day.setDate(day.getDate() - ((day.getDay() + 6) % 7) + 7 * weeks);
  return day;
}

function plusDays(day: Date, days: number): string {
  return new Date(day.getTime() + days * 86_400_000).toLocaleDateString('en-CA');
}

test('three approvals made offline: two applied once, the changed one a conflict', async ({ page, context }) => {
  test.setTimeout(120_000);
  // Emma's three entries of a week far ahead, awaiting approval.
  const emma = await Device.signIn(embedded, 'employee');
  const week = monday(40);
  const run = Date.now().toString(36);
  const ids: string[] = [];
  for (const [offset, hours] of [
    [0, 2],
    [1, 3],
    [2, 4],
  ]) {
    const created = await emma.call('POST', '/api/timesheets', {
      project: 'ACME',
      date: plusDays(week, offset),
      hours,
      note: `Offline approval ${run} #${offset + 1}`,
      status: 'submitted',
    });
    const body = await created.text();
    expect(created.status, body).toBe(201);
    ids.push(JSON.parse(body).id);
  }

  await signIn(page, embedded, 'manager');
  await appInstalled(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
  const group = page.locator(`[data-testid="person-week"][data-monday="${plusDays(week, 0)}"]`);
  await group.locator('.summary').click();
  const rows = group.getByTestId('pending-entry');
  await expect(rows).toHaveCount(3);

  // No network: each approval waits on the phone.
  await context.setOffline(true);
  for (let n = 0; n < 3; n++) {
    await rows.filter({ hasText: `#${n + 1}` }).getByRole('button', { name: 'Approve' }).click();
  }
  const decided = page.getByTestId('decided-here');
  await expect(decided).toHaveCount(3);
  for (const row of await decided.all()) await expect(row).toHaveAttribute('data-state', 'pending');
  await expect(group).toHaveCount(0);
  await page.screenshot({ path: 'screenshots/approvals-offline.png' });

  // Meanwhile Emma corrects the second one (three hours were two and a half).
  const corrected = await emma.call(
    'PUT',
    `/api/timesheets/${ids[1]}`,
    { project: 'ACME', date: plusDays(week, 1), minutes: 150, note: `Offline approval ${run} #2` },
    { 'If-Match': '"1"' },
  );
  expect(corrected.status, await corrected.text()).toBe(200);

  // Back online: the outbox sends the decisions with the versions they were made on.
  await context.setOffline(false);
  const conflict = page.locator('[data-testid="decided-here"][data-state="conflict"]');
  await expect(page.locator('[data-testid="decided-here"][data-state="synced"]')).toHaveCount(2, { timeout: 30_000 });
  await expect(conflict).toHaveCount(1);
  await expect(conflict).toContainText('Conflict');
  await expect(conflict).toContainText('Emma Employee');
  await expect(conflict.locator('.decision-note')).toHaveText(/^Taken back by its owner: 3h → 2h 30m$/);
  await page.screenshot({ path: 'screenshots/approvals-conflict.png' });

  // The server: two approved once (one version step), the corrected one untouched.
  const stored = await Promise.all(ids.map(async (id) => (await emma.call('GET', `/api/timesheets/${id}`)).json()));
  expect(stored.map((entry) => [entry.status, entry.version])).toEqual([
    ['approved', 2],
    ['draft', 2],
    ['approved', 2],
  ]);
  // Dismissed, the conflict goes; the entry is Emma's to resubmit.
  await conflict.getByRole('button', { name: 'Dismiss' }).click();
  await expect(conflict).toHaveCount(0);
});

test("the team's week at a glance: hours per person, project and day; missing days marked", async ({ page }) => {
  // Adam's last week: two days logged, three working days without anything.
  const adam = await Device.signIn(embedded, 'admin');
  const lastWeek = monday(-1);
  for (const [offset, hours, project] of [
    [0, 2, 'ACME'],
    [2, 3, 'TRAINING'],
  ] as const) {
    const created = await adam.call('POST', '/api/timesheets', {
      project,
      date: plusDays(lastWeek, offset),
      hours,
      status: 'draft',
    });
    expect(created.status, await created.text()).toBe(201);
  }

  await signIn(page, embedded, 'manager');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
  const card = page.getByTestId('team-hours');
  await expect(card.getByRole('button', { name: 'Week', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await card.getByRole('button', { name: 'Previous week' }).click();
  const adamRow = card.getByTestId('team-person').filter({ hasText: 'Adam Admin' });
  await expect(adamRow).toHaveAttribute('data-missing', '3');
  await expect(adamRow.locator('.team-total')).toHaveText('5h');
  await expect(adamRow.locator('.team-projects')).toHaveText('Training 3h · Acme website 2h');
  await expect(adamRow.getByTestId('team-missing')).toContainText('Nothing logged on');
  // The chart says the same to a screen reader.
  await expect(adamRow.getByRole('img', { name: /^Adam Admin: Training 3h · Acme website 2h$/ })).toBeVisible();
  await expect(adamRow.getByRole('img', { name: /^Adam Admin by day: / })).toBeVisible();
  await expect(adamRow.locator('rect.strip-day')).toHaveCount(2);
  await expect(adamRow.locator('rect.strip-missing')).toHaveCount(3);
  await adamRow.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'screenshots/team-hours.png' });

  // The month: one column per day of it.
  await card.getByRole('button', { name: 'Month', exact: true }).click();
  await expect(card.getByRole('button', { name: 'Month', exact: true })).toHaveAttribute('aria-pressed', 'true');
  const now = new Date();
  const days = new Date(now.getFullYear(), now.getMonth() + 1, 0).getDate();
  await expect(card.getByTestId('team-person').first().locator('rect.strip-ground')).toHaveCount(days);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: 'screenshots/team-hours-month-dark.png' });
});
