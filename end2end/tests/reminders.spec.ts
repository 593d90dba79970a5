// Reminders by Web Push, in the browser: the profile's "Remind me" switch, and the service
// worker showing a reminder and opening its screen when tapped. The server's half (VAPID,
// encryption, once per person and period) is tested against a local push service in
// server/tests/api/push.rs: a browser profile here has no reachable push service.
import { test, expect } from '@playwright/test';
import { appInstalled, providers, signIn } from '../support';

const embedded = providers[0];

test('a reminder shows as a notification and its tap opens the week or the approvals', async ({ page, context }) => {
  test.setTimeout(60_000);
  await context.grantPermissions(['notifications'], { origin: embedded.app });
  await signIn(page, embedded, 'manager');
  await appInstalled(page);
  expect(await page.evaluate(() => Notification.permission)).toBe('granted');

  // The switch asks this browser to subscribe. Chromium gives a browser context like this
  // one no push service (Playwright's contexts are off the record), so it refuses: the app
  // says so and the switch stays off.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
  const remindMe = page.getByRole('switch', { name: 'Remind me' });
  await expect(remindMe).toHaveAttribute('aria-checked', 'false');
  await expect(remindMe).toBeEnabled();
  await remindMe.click();
  await expect(page.getByRole('alert').filter({ hasText: 'could not subscribe' })).toBeVisible({ timeout: 30_000 });
  await expect(remindMe).toHaveAttribute('aria-checked', 'false');
  await remindMe.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'screenshots/reminders.png' });

  // A reminder as the service worker receives it once the browser has decrypted it,
  // delivered through DevTools to the app's real worker.
  const cdp = await context.newCDPSession(page);
  const registrationId = new Promise<string>((resolve) =>
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const found = registrations.find((r) => r.scopeURL === `${embedded.app}/` && !r.isDeleted);
      if (found) resolve(found.registrationId);
    }),
  );
  await cdp.send('ServiceWorker.enable');
  const id = await registrationId;
  // Sends `reminder` to the worker, waits for its notification, taps it.
  const remindAndTap = async (reminder: { title: string; body: string; url: string; tag: string; badge: number }) => {
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: embedded.app,
      registrationId: id,
      data: JSON.stringify(reminder),
    });
    // Read sparingly: each read makes Chromium drop notifications it has not shown yet.
    const shown = () =>
      page.evaluate(async (tag) => {
        const registration = await navigator.serviceWorker.ready;
        return (await registration.getNotifications({ tag })).map((n) => ({ title: n.title, body: n.body, url: n.data?.url }));
      }, reminder.tag);
    await page.waitForTimeout(1_500);
    await expect
      .poll(shown, { intervals: [2_000], timeout: 15_000 })
      .toEqual([{ title: reminder.title, body: reminder.body, url: reminder.url }]);
    // Its tap, dispatched in the worker (no browser automation can click a system
    // notification).
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    await worker.evaluate(async (tag) => {
      const scope = self as unknown as {
        registration: ServiceWorkerRegistration;
        dispatchEvent(event: Event): boolean;
        NotificationEvent: new (type: string, init: { notification: Notification }) => Event;
      };
      const [notification] = await scope.registration.getNotifications({ tag });
      scope.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification }));
    }, reminder.tag);
  };

  // The week's reminder, tapped on the profile: the week opens.
  await remindAndTap({ title: 'Timesheets', body: 'Your week W49 is not submitted', url: '/', tag: 'week', badge: 2 });
  await expect(page).toHaveURL(`${embedded.app}/`, { timeout: 20_000 });
  await expect(page.getByTestId('week-title')).toBeVisible({ timeout: 20_000 });
  // The approvals reminder: the approvals open.
  await remindAndTap({
    title: 'Timesheets',
    body: '3 entries wait for your approval',
    url: '/approvals',
    tag: 'approvals',
    badge: 3,
  });
  await expect(page).toHaveURL(`${embedded.app}/approvals`, { timeout: 20_000 });
  await expect(page.getByRole('heading', { name: 'Approvals', level: 1 })).toBeVisible({ timeout: 20_000 });
});
