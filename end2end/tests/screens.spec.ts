// Every screen at phone size: no accessibility violations (axe-core, WCAG 2.x A and AA
// rules), in light and dark mode, no ISO date, and a screenshot of each in
// end2end/screenshots/.
import AxeBuilder from '@axe-core/playwright';
import { test, expect, type Locator, type Page } from '@playwright/test';
import { providers, signIn } from '../support';

const embedded = providers[0];

/// Checks the page with axe, then photographs the phone's screen (scrolled to `focus`).
async function check(page: Page, name: string, focus?: Locator) {
  // Let transitions and late renders settle before judging contrast and taking the picture.
  await page.waitForTimeout(200);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const found = results.violations.map((violation) => ({
    id: violation.id,
    help: violation.help,
    nodes: violation.nodes.map((node) => node.target.join(' ')),
  }));
  expect(found, `${name}: accessibility violations`).toEqual([]);
  // Dates in the phone's language, never as ISO 8601.
  expect(await page.locator('body').innerText(), `${name}: an ISO date is shown`).not.toMatch(
    /\d{4}-\d{2}-\d{2}|\d{4}-W\d{2}/,
  );
  await focus?.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `screenshots/${name}.png` });
}

async function nav(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
}

for (const scheme of ['light', 'dark'] as const) {
  test(`every screen is accessible (${scheme})`, async ({ page }) => {
    test.setTimeout(90_000);
    await page.emulateMedia({ colorScheme: scheme });
    const suffix = scheme === 'dark' ? '-dark' : '';

    await page.goto('/');
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    await check(page, `sign-in${suffix}`);

    await signIn(page, embedded, 'employee');
    // Three weeks ahead: the suites' entries never mix.
    for (let step = 0; step < 3; step++) {
      const title = await page.getByTestId('week-title').textContent();
      await page.getByRole('button', { name: 'Next week' }).click();
      await expect(page.getByTestId('week-title')).not.toHaveText(title ?? '');
    }
    await expect(page.getByTestId('week-total')).toBeVisible();
    await page.getByRole('button', { name: 'Add entry' }).click();
    const newEntry = page.getByRole('form', { name: 'New entry' });
    await newEntry.getByLabel('Duration').fill('2:30');
    await newEntry.getByLabel('Note (optional)').fill(`Site visit (${scheme})`);
    await newEntry.getByRole('button', { name: 'Save' }).click();
    await expect(newEntry).toHaveCount(0);
    await expect(page.getByTestId('entry').filter({ hasText: `Site visit (${scheme})` })).toBeVisible();
    await check(page, `week${suffix}`);

    await page.getByRole('button', { name: 'Add entry' }).click();
    const form = page.getByRole('form', { name: 'New entry' });
    await form.getByLabel('Duration').fill('26h');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.getByRole('alert')).toBeVisible();
    await check(page, `entry-form${suffix}`, form);
    await form.getByRole('button', { name: 'Cancel' }).click();

    await nav(page, 'Profile');
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    await check(page, `profile${suffix}`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();

    await signIn(page, embedded, 'manager');
    await nav(page, 'Approvals');
    await expect(page.getByRole('button', { name: 'Download CSV' })).toBeVisible();
    // One person's week opened, with its entries and their Approve and Reject buttons.
    await page.getByTestId('person-week').first().locator('.summary').click();
    await expect(page.getByTestId('pending-entry').first()).toBeVisible();
    await check(page, `approvals${suffix}`);

    await nav(page, 'Profile');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    await signIn(page, embedded, 'admin');
    await nav(page, 'Admin');
    await expect(page.getByTestId('admin-projects').getByTestId('admin-project').first()).toBeVisible();
    await expect(page.getByTestId('admin-people').getByTestId('admin-person').first()).toBeVisible();
    await check(page, `admin${suffix}`);

    await page.goto('/offline.html');
    await expect(page.getByRole('heading', { name: "You're offline" })).toBeVisible();
    await check(page, `offline${suffix}`);
  });
}
