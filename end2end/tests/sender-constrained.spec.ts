// Sender-constrained sign-in (RFC 9449, RFC 9470): against the embedded provider and
// `oidc-provider`, the page's tokens are bound to a non-extractable key of the page; every
// token request and API call carries a proof by it; copied out of the page, neither the
// access token, nor a proof, nor the refresh token works. A manager whose sign-in is too
// old to approve signs in again and the approval goes through without a second tap.
import { test, expect, type Page } from '@playwright/test';
import { stepUpMaxAgeSecs, stepUpURL } from '../playwright.config';
import { postForm, ProofKey } from '../device';
import { captureTokens, latestRefreshToken, providers, signIn } from '../support';

interface Call {
  url: string;
  method: string;
  body: string | null;
  contentType: string | undefined;
  authorization: string | undefined;
  proof: string | undefined;
}

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString());

/// Every request the page makes to `app`'s API and to the token endpoint.
function recordCalls(page: Page, app: string, tokenEndpoint: string) {
  const api: Call[] = [];
  const token: Call[] = [];
  page.on('request', (request) => {
    const headers = request.headers();
    const call = {
      url: request.url(),
      method: request.method(),
      body: request.postData(),
      contentType: headers['content-type'],
      authorization: headers['authorization'],
      proof: headers['dpop'],
    };
    if (request.url().startsWith(`${app}/api/`)) api.push(call);
    if (request.url() === tokenEndpoint && request.method() === 'POST') token.push(call);
  });
  return { api, token };
}

for (const provider of providers) {
  test.describe(`DPoP-bound tokens (${provider.name})`, () => {
    test('the page signs in, renews and calls with proofs; copied out, nothing it holds works', async ({ page }) => {
      test.setTimeout(90_000);
      const tokens = captureTokens(page, provider);
      const calls = recordCalls(page, provider.app, provider.tokenEndpoint);
      await signIn(page, provider, 'employee');

      // The code was redeemed with a proof by a public P-256 key; the token is a DPoP one.
      // (`oidc-provider` wants its nonce: the first try is answered `use_dpop_nonce`.)
      const redemption = calls.token.find((call) => call.body?.includes('grant_type=authorization_code'));
      expect(redemption?.proof, 'the code exchange carries a proof').toBeTruthy();
      const [header, claims] = redemption!.proof!.split('.').map((part, index) => (index < 2 ? decode(part) : part));
      expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } });
      expect(header.jwk.d, 'never the private key').toBeUndefined();
      expect(claims).toMatchObject({ htm: 'POST', htu: provider.tokenEndpoint });
      if (provider.name === 'oidc-provider') {
        const withNonce = calls.token.filter((call) => decode(call.proof!.split('.')[1]).nonce);
        expect(withNonce.length, 'the code sent again with the provider nonce').toBeGreaterThan(0);
      }

      // Every API and server-function call: `DPoP <token>` and a proof for that very call.
      await expect(page.getByTestId('week-total')).toBeVisible();
      const bound = () => calls.api.filter((call) => call.authorization?.startsWith('DPoP '));
      await expect.poll(() => bound().length).toBeGreaterThan(0);
      expect(calls.api.filter((call) => call.authorization?.startsWith('Bearer ')), 'no Bearer call').toHaveLength(0);
      for (const call of bound()) {
        const proof = decode(call.proof!.split('.')[1]);
        expect(proof).toMatchObject({ htm: call.method, htu: call.url.split('?')[0] });
        expect(proof.ath).toBeTruthy();
      }

      // Replayed from outside (node's fetch): the same call with the same proof, the token
      // as Bearer, the token with a proof by another key: each refused.
      const copied = bound().at(-1)!;
      const token = copied.authorization!.slice('DPoP '.length);
      const replay = (headers: Record<string, string>) =>
        fetch(copied.url, {
          method: copied.method,
          headers: { ...(copied.contentType ? { 'Content-Type': copied.contentType } : {}), ...headers },
          body: copied.body ?? undefined,
        });
      const refusedProof = async (response: Response, what: string) => {
        expect(response.status, what).toBe(401);
        expect(response.headers.get('www-authenticate'), what).toContain('DPoP error="invalid_dpop_proof"');
      };
      await refusedProof(await replay({ Authorization: copied.authorization!, DPoP: copied.proof! }), 'the same proof again');
      const asBearer = await replay({ Authorization: `Bearer ${token}` });
      expect(asBearer.status, 'the token as Bearer').toBe(401);
      const thief = new ProofKey();
      await refusedProof(
        await replay({ Authorization: `DPoP ${token}`, DPoP: thief.proof(copied.method, copied.url, token) }),
        'a proof by another key',
      );

      // The refresh token, copied out: refused with another key and without a proof, and
      // not spent by the attempts, so the page's own renewal still works.
      const refreshToken = await latestRefreshToken(tokens);
      const form = { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'timesheets-pwa' };
      const otherKey = await postForm(provider.tokenEndpoint, thief, form);
      expect(otherKey.status, 'refresh with another key').toBe(400);
      expect((await otherKey.json()).error).toBe('invalid_grant');
      const noProof = await postForm(provider.tokenEndpoint, undefined, form);
      expect(noProof.status, 'refresh without a proof').toBe(400);
      // The embedded provider says what is missing; `oidc-provider` calls it a bad grant.
      const expected = provider.name === 'embedded provider' ? ['invalid_dpop_proof'] : ['invalid_dpop_proof', 'invalid_grant'];
      expect(expected).toContain((await noProof.json()).error);

      // Renewal (tokens live 30 s): with a proof by the same key as the sign-in's (after
      // a `use_dpop_nonce` round when the provider's nonce has changed).
      await page.waitForResponse(
        (response) =>
          response.url() === provider.tokenEndpoint &&
          response.request().postData()?.includes('grant_type=refresh_token') === true &&
          response.status() === 200,
        { timeout: 40_000 },
      );
      const renewal = calls.token.find((call) => call.body?.includes('grant_type=refresh_token'))!;
      expect(decode(renewal.proof!.split('.')[0]).jwk).toEqual(header.jwk);
      // And calls with the renewed token go through.
      await page.getByRole('button', { name: 'Next week' }).click();
      await expect(page.getByTestId('week-total')).toBeVisible();
      await expect(page.getByRole('alert')).toHaveCount(0);
    });
  });
}

test('approving after the sign-in max age asks for a fresh sign-in, then approves', async ({ page }) => {
  test.setTimeout(60_000);
  const stepUp = { ...providers[0], app: stepUpURL, issuer: stepUpURL, tokenEndpoint: `${stepUpURL}/oauth/token` };
  await signIn(page, stepUp, 'manager');
  const signedInAt = Date.now();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
  const row = page.getByTestId('person-week').first();
  await expect(row).toBeVisible();
  const name = await row.locator('.summary-name').innerText();
  const monday = await row.getAttribute('data-monday');
  // Wait out the max age: the sign-in is too old to approve now.
  await page.waitForTimeout(Math.max(0, signedInAt + (stepUpMaxAgeSecs + 1) * 1000 - Date.now()));
  await row.getByRole('button', { name: 'Approve week' }).click();

  // The provider asks for the password again (max_age), then the app makes the decision.
  await expect(page.getByLabel('Password')).toBeVisible();
  const authorize = new URL(page.url());
  expect(authorize.pathname).toBe('/oauth/authorize');
  expect(authorize.searchParams.get('max_age')).toBe(String(stepUpMaxAgeSecs));
  expect(authorize.searchParams.get('prompt')).toBe('login');
  await stepUp.logIn(page, 'manager');
  await expect(page).toHaveURL(`${stepUpURL}/approvals`);
  await expect(page.getByRole('status').filter({ hasText: `Approved ${name}’s week` })).toBeVisible();
  await expect(page.locator(`[data-testid=person-week][data-monday="${monday}"]`).filter({ hasText: name })).toHaveCount(0);
});

test('a phone whose clock is 70 s fast still signs in and calls the API', async ({ page }) => {
  // Proofs may be at most 60 s ahead of the server: the page's first proofs are refused,
  // it sets its clock from the server's `Date` and sends them again.
  await page.addInitScript((skew) => {
    const RealDate = Date;
    class FastDate extends RealDate {
      constructor(...args: ConstructorParameters<typeof Date>) {
        if (args.length === 0) super(RealDate.now() + skew);
        else super(...args);
      }
      static now() {
        return RealDate.now() + skew;
      }
    }
    globalThis.Date = FastDate as DateConstructor;
  }, 70_000);
  // Refused proofs: at the token endpoint (OAuth's JSON) or at the API (the challenge).
  const refused: string[] = [];
  page.on('response', async (response) => {
    const challenge = response.headers()['www-authenticate'] ?? '';
    if (challenge.includes('invalid_dpop_proof')) refused.push(response.url());
    if (response.url() === providers[0].tokenEndpoint && response.status() === 400) {
      const answer = await response.json().catch(() => ({}));
      if (answer.error === 'invalid_dpop_proof') refused.push(response.url());
    }
  });
  const clockChecks = page.waitForRequest((request) => new URL(request.url()).pathname === '/healthz');
  await signIn(page, providers[0], 'employee');
  await expect(page.getByTestId('week-total')).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await clockChecks;
  await expect.poll(() => refused.length, { message: 'a proof was refused before the clock was set' }).toBeGreaterThan(0);
});

/// How many DPoP keys this origin's IndexedDB holds.
async function storedKeys(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const open = indexedDB.open('timesheets-dpop');
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('keys')) return resolve(0);
          const count = db.transaction('keys').objectStore('keys').count();
          count.onsuccess = () => {
            db.close();
            resolve(count.result);
          };
        };
      }),
  );
}

test('reloads restore the session with the same key; signing out deletes it', async ({ page }) => {
  const embedded = providers[0];
  const proofs: string[] = [];
  page.on('request', (request) => {
    const proof = request.headers()['dpop'];
    if (proof) proofs.push(proof);
  });
  const keyOfLastProof = () => decode(proofs.at(-1)!.split('.')[0]).jwk;
  await signIn(page, embedded, 'employee');
  await expect.poll(() => proofs.length).toBeGreaterThan(0);
  const key = keyOfLastProof();
  for (let round = 0; round < 2; round++) {
    proofs.length = 0;
    await page.reload();
    await expect(page.getByTestId('signed-in-as')).toHaveAccessibleName('Emma Employee (your profile)');
    await expect(page.getByTestId('week-total')).toBeVisible();
    await expect.poll(() => proofs.length).toBeGreaterThan(0);
    expect(keyOfLastProof(), 'the silent sign-in reuses the key').toEqual(key);
  }
  expect(await storedKeys(page)).toBe(1);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(`${embedded.app}/`);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect.poll(() => storedKeys(page), { message: 'the key went with the tokens' }).toBe(0);
});
