// The weekly round trip on a phone: an employee logs and submits a week, the manager
// rejects one entry and approves the rest, the employee fixes it, the manager approves.
import { readFileSync } from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { providers, signIn } from '../support';

const embedded = providers[0];

async function signOut(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
  // The app shows "Sign in" at once, then leaves for the provider's logout and comes
  // back: a navigation started before that return races it (net::ERR_ABORTED).
  const loggedOut = page.waitForResponse((response) => new URL(response.url()).pathname === '/oauth/logout');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await loggedOut;
  await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
}

/// Monday of next week, `YYYY-MM-DD`.
function nextMonday(): string {
  const now = new Date();
  return new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate() - ((now.getDay() + 6) % 7) + 7))
    .toISOString()
    .slice(0, 10);
}

/// Emma's row of next week on the approvals screen.
function emmasNextWeek(page: Page) {
  return page.locator(`[data-testid=person-week][data-monday="${nextMonday()}"]`).filter({ hasText: 'Emma Employee' });
}

/// Next week: this suite's entries never mix with the demo company's (last week).
async function openNextWeek(page: Page) {
  await page.getByRole('button', { name: 'Next week' }).click();
  await expect(page.getByTestId('week-total')).toBeVisible();
}

async function addEntry(page: Page, day: number, duration: string, note: string) {
  await page.getByRole('button', { name: 'Add entry' }).click();
  const form = page.getByRole('form', { name: 'New entry' });
  const monday = await form.getByLabel('Date').inputValue();
  const date = new Date(`${monday}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + day);
  await form.getByLabel('Date').fill(date.toISOString().slice(0, 10));
  await form.getByLabel('Duration').fill(duration);
  await form.getByLabel('Note (optional)').fill(note);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toHaveCount(0);
  await expect(page.getByTestId('entry').filter({ hasText: note })).toBeVisible();
}

test('log, edit and submit a week; reject, fix, approve', async ({ page }) => {
  test.setTimeout(150_000);
  await signIn(page, embedded, 'employee');
  await openNextWeek(page);
  await expect(page.getByTestId('week-total')).toHaveText('Week total 0m');

  await addEntry(page, 0, '1:30', 'Design review');
  await addEntry(page, 1, '2h', 'Client workshop');
  await addEntry(page, 2, '45m', 'Expense report');
  await expect(page.getByTestId('week-total')).toHaveText('Week total 4h 15m');

  // Edit one (a tap on it); the same rules as the server refuse a bad duration in place.
  const review = page.getByTestId('entry').filter({ hasText: 'Design review' });
  await review.getByRole('button').click();
  const form = page.getByRole('form', { name: 'Edit entry' });
  await form.getByLabel('Duration').fill('25 hours');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toBeVisible();
  await form.getByLabel('Duration').fill('1.75');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toHaveCount(0);
  await expect(review).toContainText('1h 45m');
  await expect(page.getByTestId('week-total')).toHaveText('Week total 4h 30m');

  await page.getByRole('button', { name: 'Submit week' }).click();
  await page.getByRole('button', { name: 'Submit 3 entries' }).click();
  await expect(page.getByTestId('entry').filter({ hasText: 'Submitted' })).toHaveCount(3);
  await expect(page.getByRole('button', { name: 'Submit week' })).toHaveCount(0);
  // A submitted entry still opens, saying that a change takes it back from approval.
  await review.getByRole('button').click();
  const submittedForm = page.getByRole('form', { name: 'Edit entry' });
  await expect(submittedForm.getByTestId('withdraws')).toContainText('takes it back');
  await expect(submittedForm.getByRole('button', { name: 'Delete entry' })).toHaveCount(0);
  await submittedForm.getByRole('button', { name: 'Cancel' }).click();
  await expect(submittedForm).toHaveCount(0);
  await signOut(page);

  // The manager rejects one with a note and approves the others.
  await signIn(page, embedded, 'manager');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
  // One summary row for Emma's week; a tap opens its entries.
  const week = emmasNextWeek(page);
  await expect(week).toContainText('4h 30m');
  await expect(week).toContainText('3 days');
  await expect(week.getByTestId('pending-entry')).toHaveCount(0);
  await week.getByRole('button', { name: /^Emma Employee/ }).click();
  await expect(week.getByTestId('pending-entry')).toHaveCount(3);
  const toReject = week.getByTestId('pending-entry').filter({ hasText: 'Expense report' });
  await toReject.getByRole('button', { name: 'Reject…' }).click();
  await toReject.getByRole('button', { name: 'Reject', exact: true }).click();
  await expect(toReject.getByRole('alert')).toHaveText('Note: say why the entry is rejected');
  await toReject.getByLabel('Why is it rejected?').fill('Expenses are not working time');
  await toReject.getByRole('button', { name: 'Reject', exact: true }).click();
  await expect(toReject.getByRole('status')).toHaveText('Rejected');
  for (const note of ['Design review', 'Client workshop']) {
    const entry = week.getByTestId('pending-entry').filter({ hasText: note });
    await entry.getByRole('button', { name: 'Approve' }).click();
    await expect(entry.getByRole('status')).toHaveText('Approved');
  }
  await signOut(page);

  // The employee sees why, fixes it and sends it again.
  await signIn(page, embedded, 'employee');
  await openNextWeek(page);
  const rejected = page.getByTestId('entry').filter({ hasText: 'Expense report' });
  await expect(rejected).toContainText('Rejected');
  await expect(rejected).toContainText('Manager: Expenses are not working time');
  await rejected.getByRole('button').click();
  const fix = page.getByRole('form', { name: 'Edit entry' });
  await fix.getByLabel('Note (optional)').fill('Travel planning');
  await fix.getByRole('button', { name: 'Save' }).click();
  await expect(fix).toHaveCount(0);
  await page.getByRole('button', { name: 'Submit week' }).click();
  await page.getByRole('button', { name: 'Submit 1 entry' }).click();
  await expect(page.getByTestId('entry').filter({ hasText: 'Travel planning' })).toContainText('Submitted');
  await signOut(page);

  // The manager approves the rest of the week at once.
  await signIn(page, embedded, 'manager');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
  // Its summary says it came back after a rejection; the manager's note is on the entry.
  const resubmitted = emmasNextWeek(page);
  await expect(resubmitted).toContainText('1 entry resubmitted after rejection');
  await resubmitted.getByRole('button', { name: /^Emma Employee/ }).click();
  await expect(resubmitted.getByTestId('pending-entry')).toContainText('Sent back before: Expenses are not working time');
  await resubmitted.getByRole('button', { name: 'Approve week' }).click();
  await expect(resubmitted).toHaveCount(0);
  // Undo, within seconds, brings the week back; approved again, it goes.
  const toast = page.getByTestId('toast');
  await expect(toast).toContainText('Approved Emma Employee’s week');
  await toast.getByRole('button', { name: 'Undo' }).click();
  await expect(resubmitted).toHaveCount(1);
  await expect(toast).toHaveText('Approval undone');
  await resubmitted.getByRole('button', { name: 'Approve week' }).click();
  await expect(resubmitted).toHaveCount(0);
  await signOut(page);

  // Approved and locked.
  await signIn(page, embedded, 'employee');
  await openNextWeek(page);
  await expect(page.getByTestId('entry').filter({ hasText: 'Approved' })).toHaveCount(3);
  await expect(page.getByTestId('entry').getByRole('button')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Submit week' })).toHaveCount(0);
  await signOut(page);

  // Payroll: the manager downloads the approved week as CSV, in the import's format.
  await signIn(page, embedded, 'manager');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
  const now = new Date();
  const monday = new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate() - ((now.getDay() + 6) % 7) + 7));
  const sunday = new Date(monday.getTime() + 6 * 86_400_000);
  await page.getByLabel('From', { exact: true }).fill(monday.toISOString().slice(0, 10));
  await page.getByLabel('To', { exact: true }).fill(sunday.toISOString().slice(0, 10));
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^timesheets-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/);
  expect(csv[0]).toBe(
    'id,external_id,user_issuer,user_subject,user_email,user_name,date,project,minutes,hours,status,note,decision_note,source',
  );
  const rows = csv.slice(1).filter((line) => line.includes('emma@exampleco.test'));
  expect(rows).toHaveLength(3);
  for (const note of ['Design review', 'Client workshop', 'Travel planning']) {
    expect(rows.some((row) => row.includes(note) && row.includes(',approved,'))).toBe(true);
  }
});

test('an open entry form keeps what was typed across a token renewal', async ({ page }) => {
  test.setTimeout(90_000);
  let refreshes = 0;
  page.on('request', (request) => {
    if (request.url() === embedded.tokenEndpoint && request.postData()?.includes('grant_type=refresh_token')) refreshes++;
  });
  await signIn(page, embedded, 'employee');
  await page.getByRole('button', { name: 'Add entry' }).click();
  const form = page.getByRole('form', { name: 'New entry' });
  await form.getByLabel('Duration').fill('2:15');
  await form.getByLabel('Note (optional)').fill('Typed before the renewal');
  await expect.poll(() => refreshes, { timeout: 45_000 }).toBeGreaterThan(0);
  await page.waitForTimeout(1_000);
  await expect(form.getByLabel('Duration')).toHaveValue('2:15');
  await expect(form.getByLabel('Note (optional)')).toHaveValue('Typed before the renewal');
});
