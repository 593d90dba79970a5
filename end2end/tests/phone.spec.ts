// How the app feels on a Pixel 7: a week with its entries and Submit on one screen, days
// added with a tap, weeks turned with a swipe, a manager's ten people in two screens, a
// toast (and a buzz) after each save and decision.
import { test, expect, type Page } from '@playwright/test';
import { logInWithPassword, providers, signIn, signInAs } from '../support';

const embedded = providers[0];

/// Monday of the week `weeks` from this one, `YYYY-MM-DD`.
function monday(weeks: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate() - ((now.getDay() + 6) % 7) + 7 * weeks))
    .toISOString()
    .slice(0, 10);
}

function addDays(date: string, days: number): string {
  const day = new Date(`${date}T12:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

/// A touch swipe across the week, by Chromium's own touch input (pointer events follow).
async function swipe(page: Page, from: number, to: number, down = 5) {
  const box = (await page.getByTestId('week-total').boundingBox())!;
  const y = box.y + box.height + 60;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: from, y }] });
  for (let step = 1; step <= 5; step++) {
    const x = from + ((to - from) * step) / 5;
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: y + (down * step) / 5 }] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

test('a week with three entries, its total and Submit week fit one screen', async ({ page }) => {
  test.setTimeout(90_000);
  // Every buzz the app asks of the phone.
  await page.addInitScript(() => {
    const buzzes: unknown[] = [];
    Object.defineProperty(window, 'buzzes', { value: buzzes });
    Object.defineProperty(Navigator.prototype, 'vibrate', {
      configurable: true,
      value: (pattern: unknown) => buzzes.push(pattern) > 0,
    });
  });
  // Carl's week: no other suite logs time for him.
  await signInAs(page, embedded, 'Carl Contractor', () =>
    logInWithPassword(page, 'carl@exampleco.test', 'carl-demo-pass'),
  );
  await expect(page.getByTestId('week-total')).toHaveText('Week total 0m');
  const thisMonday = monday(0);
  // Empty days are one line each; a tap on a day's + opens a new entry on that day.
  for (const [offset, duration, note] of [
    [0, '7:30', 'Site survey'],
    [1, '8h', 'Wiring plan'],
    [2, '6.5', 'Customer handover'],
  ] as const) {
    // Each save says so: the last toast has gone first.
    await expect(page.getByTestId('toast')).toHaveCount(0, { timeout: 10_000 });
    await page.getByTestId(`day-${addDays(thisMonday, offset)}`).getByRole('button', { name: /^New entry on / }).click();
    const form = page.getByRole('form', { name: 'New entry' });
    await expect(form.getByLabel('Date')).toHaveValue(addDays(thisMonday, offset));
    await form.getByLabel('Duration').fill(duration);
    await form.getByLabel('Note (optional)').fill(note);
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form).toHaveCount(0);
    await expect(page.getByTestId('toast')).toHaveText('Saved');
  }
  await expect(page.getByTestId('week-total')).toHaveText('Week total 22h');
  await expect(page.getByTestId('entry')).toHaveCount(3);

  // Nothing to scroll: the whole page is one screen, and no day hides under the actions.
  await page.evaluate(() => window.scrollTo(0, 0));
  const viewport = page.viewportSize()!;
  const pageHeight = await page.evaluate(() => document.scrollingElement!.scrollHeight);
  expect(pageHeight, 'the page is no taller than the screen').toBeLessThanOrEqual(viewport.height);
  const actions = (await page.locator('.week-actions').boundingBox())!;
  const tabs = (await page.getByRole('navigation', { name: 'Main' }).boundingBox())!;
  const days = page.locator('[data-testid^="day-"]');
  await expect(days).toHaveCount(7);
  for (const day of await days.all()) {
    const box = (await day.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(actions.y + 1);
  }
  await expect(page.getByTestId('week-total')).toBeInViewport({ ratio: 1 });
  const submit = page.getByRole('button', { name: 'Submit week' });
  await expect(submit).toBeInViewport({ ratio: 1 });
  const submitBox = (await submit.boundingBox())!;
  expect(submitBox.y + submitBox.height).toBeLessThanOrEqual(tabs.y);
  await expect(page.getByRole('button', { name: 'Add entry' })).toBeInViewport({ ratio: 1 });

  await submit.click();
  await page.getByRole('button', { name: 'Submit 3 entries' }).click();
  await expect(page.getByTestId('toast')).toHaveText('Week submitted: 3 entries sent for approval');
  await expect(page.getByTestId('entry').filter({ hasText: 'Submitted' })).toHaveCount(3);
  expect(await page.evaluate(() => (window as unknown as { buzzes: unknown[] }).buzzes.length)).toBe(1);
});

test('a swipe turns the week; the title is one line with the week number', async ({ page }) => {
  await signIn(page, embedded, 'employee');
  const title = page.getByTestId('week-title');
  await expect(page.getByTestId('week-total')).toBeVisible();
  const thisWeek = (await title.textContent())!;
  // One line, and all of it: as tall as one line of its text, and not cut short.
  const height = await title.evaluate((element) => element.getBoundingClientRect().height);
  const lineHeight = await title.evaluate((element) => parseFloat(getComputedStyle(element).lineHeight));
  expect(height).toBeLessThanOrEqual(lineHeight + 1);
  expect(await title.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
  expect(thisWeek).not.toMatch(/\d{4}-\d{2}-\d{2}|W\d\d/);
  await expect(page.locator('.week-number')).toHaveText(/^Week \d{1,2}$/);

  await swipe(page, 320, 80);
  await expect(title).not.toHaveText(thisWeek);
  const nextWeek = (await title.textContent())!;
  await swipe(page, 80, 320);
  await expect(title).toHaveText(thisWeek);
  // A short or mostly vertical movement is no swipe.
  await swipe(page, 200, 170);
  await swipe(page, 300, 200, 250);
  await page.waitForTimeout(300);
  await expect(title).toHaveText(thisWeek);
  expect(nextWeek).not.toBe(thisWeek);
});

test("a manager's ten people fit two screens, one summary row each", async ({ page }) => {
  await signIn(page, embedded, 'manager');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
  // The demo company's last week: ten people, five entries each.
  const lastWeek = page.locator(`[data-testid=person-week][data-monday="${monday(-1)}"]`);
  await expect(lastWeek).toHaveCount(10);
  for (const row of await lastWeek.all()) {
    await expect(row).toContainText('5 days');
    await expect(row.getByRole('button', { name: 'Approve week' })).toBeVisible();
    await expect(row.getByTestId('pending-entry')).toHaveCount(0);
  }
  // Anything unusual is on the row itself.
  await expect(lastWeek.filter({ hasText: 'Hana Hashimoto' })).toContainText('over 10 h');
  await page.evaluate(() => window.scrollTo(0, 0));
  const viewport = page.viewportSize()!;
  const tenth = (await lastWeek.nth(9).boundingBox())!;
  expect(tenth.y + tenth.height, 'the tenth summary ends within two screens').toBeLessThanOrEqual(
    2 * viewport.height,
  );

  // A tap opens a person's entries, with dates in the phone's language.
  const first = lastWeek.first();
  await first.locator('.summary').click();
  await expect(first.locator('.summary')).toHaveAttribute('aria-expanded', 'true');
  await expect(first.getByTestId('pending-entry')).toHaveCount(5);
  expect(await page.locator('main').innerText()).not.toMatch(/\d{4}-\d{2}-\d{2}|\d{4}-W\d{2}/);
});
