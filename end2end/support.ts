// Sign-in helpers shared by the end-to-end suites.
import { expect, type Page } from '@playwright/test';
import { externalURL, idpyoidcAppURL, idpyoidcURL, oidcProviderURL } from './playwright.config';

export type Who = 'employee' | 'manager' | 'admin';

export interface ProviderUnderTest {
  name: string;
  /// The app signing in at this provider.
  app: string;
  issuer: string;
  tokenEndpoint: string;
  /// `apiName`: how the API names the person (access tokens of `oidc-provider` carry no
  /// profile claims, so the API shows the subject).
  people: Record<Who, { name: string; email: string; apiName: string }>;
  /// Fills in the provider's own login page.
  logIn: (page: Page, who: Who) => Promise<void>;
  /// The provider's RP-initiated logout page, if it asks before signing out.
  confirmLogout: (page: Page) => Promise<void>;
  /// Whether a sign-out ends every session the person has at the app, not just its own
  /// (then no test of that person may run beside a sign-out: playwright.config.ts, @waits).
  logoutEndsEverySession: boolean;
  /// The login form on the provider's page `html`, filled in for `who` (for a `Device`).
  loginForm: (who: Who, html: string) => { action: string; fields: Record<string, string> };
}

/// The `value` of the `<input … name="{name}">` of a page.
function inputValue(html: string, name: string): string {
  const tag = html.match(new RegExp(`<input[^>]*name="${name}"[^>]*>`))?.[0] ?? '';
  const value = tag.match(/value="([^"]*)"/)?.[1];
  if (value === undefined) throw new Error(`no ${name} input in ${html}`);
  return value.replaceAll('&quot;', '"').replaceAll('&amp;', '&');
}

export const embeddedApp = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100)}`;

/// The demo company's emails and passwords at the embedded provider.
const demoLogins: Record<Who, [string, string]> = {
  employee: ['emma@exampleco.test', 'emma-demo-pass'],
  manager: ['maria@exampleco.test', 'maria-demo-pass'],
  admin: ['adam@exampleco.test', 'adam-demo-pass'],
};
/// Logins at `oidc-provider`'s dev form (any password is accepted).
const oidcLogins: Record<Who, string> = { employee: 'emma', manager: 'maria', admin: 'adam' };

export const providers: ProviderUnderTest[] = [
  {
    name: 'embedded provider',
    app: embeddedApp,
    issuer: embeddedApp,
    tokenEndpoint: `${embeddedApp}/oauth/token`,
    people: {
      employee: { name: 'Emma Employee', email: 'emma@exampleco.test', apiName: 'emma@exampleco.test' },
      manager: { name: 'Maria Manager', email: 'maria@exampleco.test', apiName: 'maria@exampleco.test' },
      admin: { name: 'Adam Admin', email: 'adam@exampleco.test', apiName: 'adam@exampleco.test' },
    },
    async logIn(page, who) {
      await logInWithPassword(page, ...demoLogins[who]);
    },
    async confirmLogout() {},
    logoutEndsEverySession: false,
    loginForm: (who, html) => embeddedLoginForm(html, ...demoLogins[who]),
  },
  {
    name: 'oidc-provider',
    app: externalURL,
    issuer: oidcProviderURL,
    tokenEndpoint: `${oidcProviderURL}/token`,
    people: {
      employee: { name: 'Emma Employee', email: 'emma@oidc.test', apiName: 'emma' },
      manager: { name: 'Maria Manager', email: 'maria@oidc.test', apiName: 'maria' },
      admin: { name: 'Adam Admin', email: 'adam@oidc.test', apiName: 'adam' },
    },
    async logIn(page, who) {
      await page.locator('input[name=login]').fill(oidcLogins[who]);
      await page.locator('input[name=password]').fill('any password');
      await page.getByRole('button', { name: 'Sign-in' }).click();
    },
    async confirmLogout(page) {
      await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    },
    logoutEndsEverySession: false,
    loginForm: (who, html) => ({
      action: html.match(/<form[^>]*action="([^"]+)"/)![1],
      fields: { prompt: 'login', login: oidcLogins[who], password: 'any password' },
    }),
  },
];

/// A second, independent external provider for the sign-in suite: IdentityPython's
/// idpyoidc from PyPI (end2end/idpyoidc_op.py). Its access tokens carry the email, which
/// the API shows.
export const idpyoidc: ProviderUnderTest = {
  name: 'idpyoidc',
  app: idpyoidcAppURL,
  issuer: idpyoidcURL,
  tokenEndpoint: `${idpyoidcURL}/token`,
  people: {
    employee: { name: 'Emma Employee', email: 'emma@idpy.test', apiName: 'emma@idpy.test' },
    manager: { name: 'Maria Manager', email: 'maria@idpy.test', apiName: 'maria@idpy.test' },
    admin: { name: 'Adam Admin', email: 'adam@idpy.test', apiName: 'adam@idpy.test' },
  },
  async logIn(page, who) {
    await page.getByLabel('Username').fill(oidcLogins[who]);
    await page.getByLabel('Password').fill('idpy-e2e-pass');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  },
  async confirmLogout(page) {
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  },
  // Its logout revokes every grant the person has at the client (idpyoidc_op.py).
  logoutEndsEverySession: true,
  loginForm: (who, html) => ({
    action: html.match(/<form[^>]*action="([^"]+)"/)![1],
    fields: { token: inputValue(html, 'token'), username: oidcLogins[who], password: 'idpy-e2e-pass' },
  }),
};

/// Every provider the sign-in suite runs against.
export const signInProviders: ProviderUnderTest[] = [...providers, idpyoidc];

/// The embedded provider's login form on `html`, filled in.
export function embeddedLoginForm(html: string, email: string, password: string) {
  return {
    action: '/oauth/authorize',
    fields: { request: inputValue(html, 'request'), csrf: inputValue(html, 'csrf'), email, password },
  };
}

/// Fills in the embedded provider's login form.
export async function logInWithPassword(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  // Exact: at a host name the page also has "Sign in with a passkey".
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/// Every token the provider handed out on this page (to prove none of them is stored).
export function captureTokens(page: Page, provider: ProviderUnderTest): string[] {
  const tokens: string[] = [];
  page.on('response', async (response) => {
    if (response.url() !== provider.tokenEndpoint || response.request().method() !== 'POST') return;
    const body = await response.json().catch(() => ({}));
    for (const name of ['access_token', 'refresh_token', 'id_token']) if (body[name]) tokens.push(body[name]);
  });
  return tokens;
}

/// The newest refresh token `captureTokens` has seen, once it has one: responses are read
/// asynchronously, so the last token answer may still be on its way into the list.
export async function latestRefreshToken(tokens: string[]): Promise<string> {
  const refreshTokens = () => tokens.filter((token) => !token.startsWith('eyJ'));
  await expect.poll(() => refreshTokens().length, { message: 'the provider issued a refresh token' }).toBeGreaterThan(0);
  return refreshTokens().at(-1)!;
}

/// The newest access token `captureTokens` has seen, once it has one (ID tokens are JWTs
/// too, without a `scope`). Fetch it again before each call: tokens live 30 seconds, and the
/// app renews them about 8 seconds before they expire.
export async function latestAccessToken(tokens: string[]): Promise<string> {
  const accessTokens = () =>
    tokens
      .filter((token) => token.startsWith('eyJ') && token.split('.').length === 3)
      .filter((token) => 'scope' in JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()));
  await expect.poll(() => accessTokens().length, { message: 'the provider issued an access token' }).toBeGreaterThan(0);
  return accessTokens().at(-1)!;
}

/// The service worker has installed this build and controls the page.
export async function appInstalled(page: Page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  // The first test of a run installs the worker on a cold server (precaching the whole
  // bundle): 10 s was seen not to be enough on a loaded 2-core machine.
  await expect
    .poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30_000 })
    .toBe(true);
}

export async function signIn(page: Page, provider: ProviderUnderTest, who: Who) {
  await signInAs(page, provider, provider.people[who].name, () => provider.logIn(page, who));
}

/// Signs in from the app's home page; `logIn` fills in the provider's form, and the app's
/// avatar names `name`.
export async function signInAs(page: Page, provider: ProviderUnderTest, name: string, logIn: () => Promise<void>) {
  await page.goto(`${provider.app}/`);
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await logIn();
  await expect(page.getByTestId('signed-in-as')).toHaveAccessibleName(`${name} (your profile)`);
  expect(new URL(page.url()).pathname).toBe('/');
}

/// No token in cookies, Web Storage or IndexedDB; IndexedDB holds the DPoP key pair only,
/// its private key not extractable.
export async function expectNoTokenStored(page: Page, tokens: string[]) {
  expect(tokens.length).toBeGreaterThan(0);
  const stored = await page.evaluate(async () => {
    const values: string[] = [document.cookie];
    for (const storage of [localStorage, sessionStorage]) {
      for (let index = 0; index < storage.length; index++) {
        const key = storage.key(index)!;
        values.push(key, storage.getItem(key) ?? '');
      }
    }
    const databases = (await indexedDB.databases()).map((db) => db.name);
    // The one database: the DPoP key pair, whose private key cannot be read out.
    const key = await new Promise<Record<string, unknown> | null>((resolve) => {
      if (!databases.includes('timesheets-dpop')) return resolve(null);
      const open = indexedDB.open('timesheets-dpop');
      open.onsuccess = () => {
        const db = open.result;
        const get = db.transaction('keys').objectStore('keys').getAll();
        get.onsuccess = async () => {
          const records = get.result as { privateKey?: CryptoKey; publicKey?: CryptoKey; created?: number }[];
          const pair = records[0];
          const exported = await crypto.subtle
            .exportKey('jwk', pair?.privateKey as CryptoKey)
            .then(() => 'exported')
            .catch((error: Error) => error.name);
          db.close();
          resolve({
            records: records.length,
            members: Object.keys(pair ?? {}).sort(),
            privateKey: pair?.privateKey instanceof CryptoKey,
            extractable: pair?.privateKey?.extractable,
            exported,
          });
        };
      };
    });
    return { values, databases, key };
  });
  for (const token of tokens) {
    for (const value of stored.values) expect(value.includes(token), 'a token is in browser storage').toBe(false);
  }
  expect(stored.values.join(' ')).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+/);
  expect(stored.databases.filter((name) => name !== 'timesheets-dpop'), 'no other database').toEqual([]);
  // Both providers under test offer DPoP: the page made a key.
  expect(stored.key).toEqual({
    records: 1,
    members: ['created', 'privateKey', 'publicKey'],
    privateKey: true,
    extractable: false,
    exported: 'InvalidAccessError',
  });
}

