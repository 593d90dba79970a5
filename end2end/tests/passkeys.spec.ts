// Passkeys at the embedded provider, with Chromium's virtual authenticator (CDP WebAuthn
// domain) standing in for the phone's: a signed-in person adds one on the profile screen,
// signs out, signs in with it instead of a password, and removes it; with passkeys
// required of managers (the CLI), a manager adds one while signing in.
import { execFileSync } from 'node:child_process';
import AxeBuilder from '@axe-core/playwright';
import { test, expect, type Page } from '@playwright/test';
import { bin, passkeyDatabaseURL, passkeyURL } from '../playwright.config';
import { logInWithPassword, providers, signIn } from '../support';

const atLocalhost = { ...providers[0], app: passkeyURL, issuer: passkeyURL, tokenEndpoint: `${passkeyURL}/oauth/token` };

/// No WCAG 2.1 A/AA violation on the page (axe-core), and a picture at phone size.
async function accessible(page: Page, name: string) {
  await page.waitForTimeout(200);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.map((violation) => violation.id), `${name}: accessibility violations`).toEqual([]);
  await page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });
}

/// A platform authenticator that verifies its user (a screen lock) and keeps passkeys.
async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
  };
}

test('a passkey added on the profile signs in instead of the password, and can be removed', async ({ page }) => {
  test.setTimeout(60_000);
  const authenticator = await virtualAuthenticator(page);
  await signIn(page, atLocalhost, 'employee');
  await page.getByTestId('signed-in-as').click();
  const passkeys = page.getByTestId('passkeys');
  await expect(passkeys.getByTestId('no-passkeys')).toBeVisible();

  // A name is asked for first, with the provider's own rule.
  await passkeys.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(passkeys.getByTestId('passkey-error')).toHaveText('give the passkey a name, e.g. the phone it is on');
  await passkeys.getByLabel('Name of the new passkey').fill('Pixel 7');
  await passkeys.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(passkeys.getByTestId('passkey-status')).toHaveText('Passkey “Pixel 7” added.');
  await expect(passkeys.getByTestId('passkey')).toHaveCount(1);
  await expect(passkeys.getByTestId('passkey')).toContainText('Pixel 7');
  await expect(passkeys.getByTestId('passkey')).toContainText('never used');
  await accessible(page, 'profile-passkeys');
  const [credential] = await authenticator.credentials();
  expect(credential.isResidentCredential, 'a discoverable credential: no user name needed').toBe(true);

  // Signed out, the login page offers the passkey; no password is typed.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('Password')).toBeVisible();
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveAccessibleName('Emma Employee (your profile)');
  expect((await authenticator.credentials())[0].signCount).toBeGreaterThan(credential.signCount);

  // The API answers with the passkey's tokens (DPoP-bound, as after a password).
  await page.getByTestId('signed-in-as').click();
  await page.getByRole('button', { name: 'Check my access' }).click();
  await expect(page.getByTestId('api-me')).toContainText('The server knows you as emma@exampleco.test');
  await expect(passkeys.getByTestId('passkey')).toContainText('last used');

  await passkeys.getByRole('button', { name: 'Remove passkey Pixel 7' }).click();
  await expect(passkeys.getByTestId('passkey-status')).toHaveText('Passkey “Pixel 7” removed.');
  await expect(passkeys.getByTestId('no-passkeys')).toBeVisible();
});

/// `timesheets passkeys …` on the passkey server's database, while it serves.
function passkeysCli(...args: string[]): string {
  return execFileSync(bin, ['passkeys', ...args, '--database-url', passkeyDatabaseURL], {
    env: { ...process.env, RUST_LOG: 'warn' },
    encoding: 'utf8',
  });
}

test('with passkeys required of managers, a manager adds one while signing in, then uses it', async ({ page }) => {
  test.setTimeout(60_000);
  const authenticator = await virtualAuthenticator(page);
  expect(passkeysCli('require', 'managers')).toContain('now sign in with a passkey');
  try {
    await page.goto(`${passkeyURL}/`);
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await logInWithPassword(page, 'maria@exampleco.test', 'maria-demo-pass');

    // The right password is not enough: the provider's page asks for a passkey first.
    await expect(page.getByRole('heading', { name: 'Add a passkey, Maria Manager' })).toBeVisible();
    await accessible(page, 'provider-add-a-passkey');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(page.locator('input:invalid')).toHaveCount(1);
    // Enter in the name field runs the ceremony too (never a post without it).
    await page.getByLabel('Name of this passkey').fill('Work phone');
    await page.getByLabel('Name of this passkey').press('Enter');
    await expect(page.getByTestId('signed-in-as')).toHaveAccessibleName('Maria Manager (your profile)');
    expect(await authenticator.credentials()).toHaveLength(1);
    await page.getByTestId('signed-in-as').click();
    await expect(page.getByTestId('passkey-required')).toBeVisible();
    await expect(page.getByTestId('passkey')).toContainText('Work phone');
    // Her only passkey cannot be removed while she must use one.
    await expect(page.getByRole('button', { name: 'Remove passkey Work phone' })).toBeDisabled();

    // Signed out, the password alone is refused; the passkey signs her in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await logInWithPassword(page, 'maria@exampleco.test', 'maria-demo-pass');
    await expect(page.getByRole('alert')).toContainText('sign in with a passkey');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect(page.getByTestId('signed-in-as')).toHaveAccessibleName('Maria Manager (your profile)');
    expect(passkeysCli('list', '--email', 'maria@exampleco.test')).toContain('Work phone');
  } finally {
    passkeysCli('require', 'nobody');
    passkeysCli('reset', 'maria@exampleco.test');
  }
});

test('at an IP address the profile offers no passkeys', async ({ page }) => {
  await signIn(page, providers[0], 'employee');
  await page.getByTestId('signed-in-as').click();
  await expect(page.getByTestId('profile-name')).toBeVisible();
  await expect(page.getByTestId('passkeys')).toHaveCount(0);
});
