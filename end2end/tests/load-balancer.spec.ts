// The sign-in and week journey through nginx in front of two release servers on one
// PostgreSQL (bench/scale.py serve): the login page, the code exchange, renewals, API and
// server-function calls each land on whichever instance nginx picks.
import { test, expect } from '@playwright/test';
import { loadBalancerURL } from '../playwright.config';
import { providers, signIn } from '../support';

const balanced = {
  ...providers[0],
  app: loadBalancerURL,
  issuer: loadBalancerURL,
  tokenEndpoint: `${loadBalancerURL}/oauth/token`,
};

test('sign in and log time through a load balancer in front of two instances', async ({ page }) => {
  test.setTimeout(90_000);
  const instances = new Set<string>();
  page.on('response', (response) => {
    // nginx names the instance that answered (the last one, after a retry).
    const upstream = response.headers()['x-upstream'];
    if (upstream) instances.add(upstream.split(',').at(-1)!.trim());
  });

  // Both instances hand out DPoP nonces (PROVIDER_DPOP_NONCE): the code exchange and the
  // renewals carry one, whichever instance gave it and whichever checks it.
  const tokenProofs: string[] = [];
  page.on('request', (request) => {
    const proof = request.headers()['dpop'];
    if (request.url() === balanced.tokenEndpoint && proof) tokenProofs.push(proof);
  });
  await signIn(page, balanced, 'employee');
  await page.getByRole('button', { name: 'Next week' }).click();
  await expect(page.getByTestId('week-total')).toHaveText('Week total 0m');
  await page.getByRole('button', { name: 'Add entry' }).click();
  const form = page.getByRole('form', { name: 'New entry' });
  await form.getByLabel('Duration').fill('2:15');
  await form.getByLabel('Note (optional)').fill('Through the balancer');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toHaveCount(0);
  await expect(page.getByTestId('week-total')).toHaveText('Week total 2h 15m');

  // A reload signs in again silently (the provider's session is in the database) and
  // reads the week, wherever each request lands.
  for (let round = 0; round < 2; round++) {
    await page.reload();
    await expect(page.getByTestId('signed-in-as')).toHaveAccessibleName(`${balanced.people.employee.name} (your profile)`);
    await page.getByRole('button', { name: 'Next week' }).click();
    await expect(page.getByTestId('entry').filter({ hasText: 'Through the balancer' })).toBeVisible();
  }
  expect([...instances].sort(), 'requests answered by both instances').toHaveLength(2);
  const nonces = tokenProofs.map((proof) => JSON.parse(Buffer.from(proof.split('.')[1], 'base64url').toString()).nonce);
  expect(nonces.filter(Boolean).length, 'token requests with the provider nonce').toBeGreaterThan(0);
});
