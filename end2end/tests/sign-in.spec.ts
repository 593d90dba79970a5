// Signing in to the PWA (Authorization Code + PKCE in the browser), against the embedded
// provider, `oidc-provider` from npm and idpyoidc from PyPI, on a phone profile.
import { test, expect, type Request } from '@playwright/test';
import { externalURL, oidcProviderURL } from '../playwright.config';
import { captureTokens, expectNoTokenStored, latestRefreshToken, providers, signIn, signInProviders } from '../support';

for (const provider of signInProviders) {
  test.describe(`sign-in with the ${provider.name}`, () => {
    test('an employee signs in, sees the profile from the ID token and no Approvals tab', async ({ page }) => {
      const tokens = captureTokens(page, provider);
      await signIn(page, provider, 'employee');
      const nav = page.getByRole('navigation', { name: 'Main' });
      await expect(nav.getByRole('link', { name: 'Week' })).toBeVisible();
      await expect(nav.getByRole('link', { name: 'Approvals' })).toHaveCount(0);

      await nav.getByRole('link', { name: 'Profile' }).click();
      await expect(page.getByTestId('profile-name')).toHaveText(provider.people.employee.name);
      await expect(page.getByTestId('profile-email')).toHaveText(provider.people.employee.email);
      await expect(page.getByTestId('profile').getByTestId('avatar')).toHaveText('EE');
      const scopes = page.getByTestId('profile-scopes');
      await expect(scopes).toContainText('read:timesheets');
      await expect(scopes).not.toContainText('approve:timesheets');

      // A server function called with the access token: the server sees the same person.
      await page.getByRole('button', { name: 'Check my access' }).click();
      await expect(page.getByTestId('api-me')).toHaveText(
        `The server knows you as ${provider.people.employee.apiName} · read:timesheets create:timesheets delete:timesheets`,
      );
      await expectNoTokenStored(page, tokens);
    });

    test('a manager sees the Approvals tab and the approvals screen', async ({ page }) => {
      await signIn(page, provider, 'manager');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Approvals');
      await expect(page.getByRole('button', { name: 'Download CSV' })).toBeVisible();
    });

    // @waits: see `projects` in playwright.config.ts; not beside the sign-out test below
    // where that ends every session of the person.
    const waits = provider.logoutEndsEverySession ? {} : { tag: '@waits' };
    test('the app renews its 30-second access token without a prompt', waits, async ({ page }) => {
      test.setTimeout(90_000);
      const refreshes: Request[] = [];
      page.on('request', (request) => {
        if (request.url() === provider.tokenEndpoint && request.postData()?.includes('grant_type=refresh_token')) {
          refreshes.push(request);
        }
      });
      const tokens = captureTokens(page, provider);
      await signIn(page, provider, 'employee');
      const signedInAt = Date.now();
      await expect.poll(() => refreshes.length, { timeout: 45_000 }).toBeGreaterThan(0);
      // Past the first access token's lifetime, a call still works.
      await page.waitForTimeout(Math.max(0, 32_000 - (Date.now() - signedInAt)));
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
      await page.getByRole('button', { name: 'Check my access' }).click();
      await expect(page.getByTestId('api-me')).toHaveText(/^The server knows you as /);
      expect(new URL(page.url()).origin).toBe(provider.app);
      await expectNoTokenStored(page, tokens);
    });

    test('a reload keeps the user signed in without a password prompt', async ({ page }) => {
      await signIn(page, provider, 'employee');
      const silent: string[] = [];
      page.on('request', (request) => {
        if (request.isNavigationRequest() && new URL(request.url()).searchParams.get('prompt') === 'none') {
          silent.push(request.url());
        }
      });
      await page.reload();
      await expect(page.getByTestId('signed-in-as')).toHaveAccessibleName(`${provider.people.employee.name} (your profile)`);
      expect(silent.length).toBe(1);
      expect(new URL(page.url()).pathname).toBe('/');
    });

    test('sign-out revokes the session: no way back without signing in', async ({ page, request }) => {
      const tokens = captureTokens(page, provider);
      await signIn(page, provider, 'employee');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await provider.confirmLogout(page);
      await expect(page).toHaveURL(`${provider.app}/`);
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();

      // The refresh token is dead at the provider.
      const refreshToken = await latestRefreshToken(tokens);
      const answer = await request.post(provider.tokenEndpoint, {
        form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'timesheets-pwa' },
      });
      expect(answer.status()).toBe(400);
      expect((await answer.json()).error).toBe('invalid_grant');
      // A reload does not sign in again, and going back shows nobody's data.
      await page.reload();
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
      await page.goBack();
      await expect(page.getByText(provider.people.employee.email)).toHaveCount(0);
      await expect(page.getByText(`Hello, ${provider.people.employee.name}`)).toHaveCount(0);
    });

    test('a tampered state on the callback is refused, with a way to retry and no loop', async ({ page }) => {
      await page.goto(`${provider.app}/`);
      await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page).not.toHaveURL(new RegExp(`^${provider.app}/$`));
      // A forged answer arrives instead of the provider's: this tab's sign-in is pending.
      const issuer = provider.issuer;
      await page.goto(`${provider.app}/auth/callback?code=forged-code&state=forged-state&iss=${encodeURIComponent(issuer)}`);
      await expect(page.getByRole('alert')).toContainText('does not match the sign-in this app started');
      // The code left the address bar, and the app stays put.
      expect(new URL(page.url()).search).toBe('');
      await page.waitForTimeout(1_500);
      expect(new URL(page.url()).pathname).toBe('/auth/callback');
      await expect(page.getByText(`Hello, ${provider.people.employee.name}`)).toHaveCount(0);

      // The same answer again finds no pending sign-in (one use only).
      await page.goto(`${provider.app}/auth/callback?code=forged-code&state=forged-state&iss=${encodeURIComponent(issuer)}`);
      await expect(page.getByRole('alert')).toContainText('already used or has expired');

      // "Sign in again" starts a fresh sign-in that works.
      await page.getByRole('button', { name: 'Sign in again' }).click();
      await provider.logIn(page, 'employee');
      await expect(page.getByTestId('signed-in-as')).toHaveAccessibleName(`${provider.people.employee.name} (your profile)`);
    });
  });
}

test.describe('sessions across tabs (embedded provider)', { tag: '@waits' }, () => {
  const provider = providers[0];

  test('a second tab shares the session, and each renewal is one refresh for both tabs', async ({ context }) => {
    test.setTimeout(90_000);
    const refreshes: number[] = [];
    const silentSignIns: string[] = [];
    context.on('request', (request) => {
      if (request.url() === provider.tokenEndpoint && request.postData()?.includes('grant_type=refresh_token')) {
        refreshes.push(Date.now());
      }
      if (new URL(request.url()).searchParams.get('prompt') === 'none') silentSignIns.push(request.url());
    });
    const first = await context.newPage();
    await signIn(first, provider, 'employee');
    const second = await context.newPage();
    await second.goto(`${provider.app}/`);
    await expect(second.getByTestId('signed-in-as')).toHaveAccessibleName(`${provider.people.employee.name} (your profile)`);
    expect(silentSignIns, 'the second tab took the tokens of the first, no redirect').toEqual([]);

    // 30-second tokens renew ~22 s in: both tabs' timers fire, one refresh goes out.
    await expect.poll(() => refreshes.length, { timeout: 45_000 }).toBeGreaterThan(0);
    await second.waitForTimeout(5_000);
    expect(refreshes.length).toBe(1);
    for (const page of [first, second]) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
      await page.getByRole('button', { name: 'Check my access' }).click();
      await expect(page.getByTestId('api-me')).toHaveText(/^The server knows you as emma@exampleco.test/);
    }
  });

  test('a revoked session signs out everywhere after one failed renewal, without retrying', async ({ page, request }) => {
    test.setTimeout(90_000);
    const tokens = captureTokens(page, provider);
    const refreshes: number[] = [];
    page.on('request', (request) => {
      if (request.url() === provider.tokenEndpoint && request.postData()?.includes('grant_type=refresh_token')) {
        refreshes.push(Date.now());
      }
    });
    await signIn(page, provider, 'employee');
    // Someone ends the session at the provider (e.g. an admin, or another device).
    const refreshToken = await latestRefreshToken(tokens);
    const revoked = await request.post(`${provider.app}/oauth/revoke`, {
      form: { token: refreshToken, token_type_hint: 'refresh_token', client_id: 'timesheets-pwa' },
    });
    expect(revoked.status()).toBe(200);

    await expect(page.getByRole('alert')).toHaveText('Your session has ended. Please sign in again.', { timeout: 45_000 });
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    await page.waitForTimeout(5_000);
    expect(refreshes.length).toBe(1);
  });
});

test('pages carry a strict Content-Security-Policy and an injected inline script does not run', async ({ page, request }) => {
  const response = await page.goto('/');
  const csp = response!.headers()['content-security-policy'];
  expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'nonce-[\w-]+'/);
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("connect-src 'self'");
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');

  const outcome = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        document.addEventListener('securitypolicyviolation', () => resolve('blocked'), { once: true });
        const script = document.createElement('script');
        script.textContent = 'window.__injected = true;';
        document.body.append(script);
        setTimeout(() => resolve((window as unknown as { __injected?: boolean }).__injected ? 'ran' : 'silent'), 1_000);
      }),
  );
  expect(outcome).toBe('blocked');
  expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();

  const callback = await request.get('/auth/callback?code=x&state=y');
  expect(callback.headers()['referrer-policy']).toBe('no-referrer');
});

test('the external provider is named in connect-src, and nothing else', async ({ request }) => {
  const response = await request.get(`${externalURL}/`);
  expect(response.headers()['content-security-policy']).toContain(`connect-src 'self' ${oidcProviderURL};`);
});
