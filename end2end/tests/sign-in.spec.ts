// Signing in to the PWA (Authorization Code + PKCE in the browser), against the embedded
// provider and against `oidc-provider` from npm, on a phone profile.
import { test, expect, type Page, type Request } from '@playwright/test';
import { externalURL, oidcProviderURL } from '../playwright.config';

type Who = 'employee' | 'manager';

interface ProviderUnderTest {
  name: string;
  /// The app signing in at this provider.
  app: string;
  tokenEndpoint: string;
  /// `apiName`: how the API names the person (access tokens of `oidc-provider` carry no
  /// profile claims, so the API shows the subject).
  people: Record<Who, { name: string; email: string; apiName: string }>;
  /// Fills in the provider's own login page.
  logIn: (page: Page, who: Who) => Promise<void>;
  /// The provider's RP-initiated logout page, if it asks before signing out.
  confirmLogout: (page: Page) => Promise<void>;
}

const embeddedApp = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100)}`;

const providers: ProviderUnderTest[] = [
  {
    name: 'embedded provider',
    app: embeddedApp,
    tokenEndpoint: `${embeddedApp}/oauth/token`,
    people: {
      employee: { name: 'Emma Employee', email: 'emma@exampleco.test', apiName: 'emma@exampleco.test' },
      manager: { name: 'Maria Manager', email: 'maria@exampleco.test', apiName: 'maria@exampleco.test' },
    },
    async logIn(page, who) {
      const [email, password] =
        who === 'employee' ? ['emma@exampleco.test', 'emma-demo-pass'] : ['maria@exampleco.test', 'maria-demo-pass'];
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
    },
    async confirmLogout() {},
  },
  {
    name: 'oidc-provider',
    app: externalURL,
    tokenEndpoint: `${oidcProviderURL}/token`,
    people: {
      employee: { name: 'Emma Employee', email: 'emma@oidc.test', apiName: 'emma' },
      manager: { name: 'Maria Manager', email: 'maria@oidc.test', apiName: 'maria' },
    },
    async logIn(page, who) {
      await page.locator('input[name=login]').fill(who === 'employee' ? 'emma' : 'maria');
      await page.locator('input[name=password]').fill('any password');
      await page.getByRole('button', { name: 'Sign-in' }).click();
    },
    async confirmLogout(page) {
      await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    },
  },
];

/// Every token the provider handed out on this page (to prove none of them is stored).
function captureTokens(page: Page, provider: ProviderUnderTest): string[] {
  const tokens: string[] = [];
  page.on('response', async (response) => {
    if (response.url() !== provider.tokenEndpoint || response.request().method() !== 'POST') return;
    const body = await response.json().catch(() => ({}));
    for (const name of ['access_token', 'refresh_token', 'id_token']) if (body[name]) tokens.push(body[name]);
  });
  return tokens;
}

async function signIn(page: Page, provider: ProviderUnderTest, who: Who) {
  await page.goto(`${provider.app}/`);
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await provider.logIn(page, who);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Hello, ${provider.people[who].name}`);
  expect(new URL(page.url()).pathname).toBe('/');
}

async function expectNoTokenStored(page: Page, tokens: string[]) {
  expect(tokens.length).toBeGreaterThan(0);
  const stored = await page.evaluate(async () => {
    const values: string[] = [document.cookie];
    for (const storage of [localStorage, sessionStorage]) {
      for (let index = 0; index < storage.length; index++) {
        const key = storage.key(index)!;
        values.push(key, storage.getItem(key) ?? '');
      }
    }
    const databases = await indexedDB.databases();
    return { values, databases: databases.map((db) => db.name) };
  });
  for (const token of tokens) {
    for (const value of stored.values) expect(value.includes(token), 'a token is in browser storage').toBe(false);
  }
  expect(stored.values.join(' ')).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+/);
  expect(stored.databases).toEqual([]);
}

for (const provider of providers) {
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
      await nav.getByRole('link', { name: 'Week' }).click();
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

    test('the app renews its 30-second access token without a prompt', async ({ page }) => {
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
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Hello, ${provider.people.employee.name}`);
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
      const refreshToken = tokens.filter((token) => !token.startsWith('eyJ')).at(-1);
      if (refreshToken) {
        const answer = await request.post(provider.tokenEndpoint, {
          form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'timesheets-pwa' },
        });
        expect(answer.status()).toBe(400);
        expect((await answer.json()).error).toBe('invalid_grant');
      }
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
      const issuer = provider.name === 'oidc-provider' ? oidcProviderURL : provider.app;
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
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Hello, ${provider.people.employee.name}`);
    });
  });
}

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
