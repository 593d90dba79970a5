import { defineConfig, devices } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The suite starts the release server itself on its own ports, with fresh SQLite files,
// so it never touches the data of `make run`: one with the embedded provider (demo people,
// 30-second access tokens so renewal happens during the tests), one signing in at
// `oidc-provider` from npm, started on loopback by the suite too, one signing in at
// IdentityPython's idpyoidc from PyPI (end2end/idpyoidc_op.py), one more with the demo
// where approving asks for a sign-in of the last 10 s, one more at http://localhost (passkeys
// need a host name), and two behind nginx on a fresh
// PostgreSQL database (bench/scale.py).
const port = Number(process.env.E2E_PORT ?? 3100);
const externalPort = port + 1;
const oidcPort = port + 100;
const baseURL = `http://127.0.0.1:${port}`;
export const externalURL = `http://127.0.0.1:${externalPort}`;
/// The embedded provider again, where approving needs a sign-in of the last 10 seconds.
export const stepUpURL = `http://127.0.0.1:${port + 2}`;
export const stepUpMaxAgeSecs = 10;
/// The embedded provider at a host name (`PUBLIC_URL`), which passkeys need: browsers
/// refuse an IP address as a WebAuthn relying party.
export const passkeyURL = `http://localhost:${port + 3}`;
export const oidcProviderURL = `http://127.0.0.1:${oidcPort}`;
/// A second external provider, IdentityPython's idpyoidc (end2end/idpyoidc_op.py), and
/// the app signing in there.
export const idpyoidcURL = `http://127.0.0.1:${oidcPort + 2}`;
export const idpyoidcAppURL = `http://127.0.0.1:${port + 4}`;
/// nginx in front of two instances on one PostgreSQL (bench/scale.py serve).
const balancerPort = port + 200;
export const loadBalancerURL = `http://127.0.0.1:${balancerPort}`;
export const bin = process.env.TIMESHEETS_BIN ?? `${process.env.HOME}/.cache/timesheets/target/release/timesheets`;
export const siteRoot = process.env.LEPTOS_SITE_ROOT ?? '../target/site';
// One folder for the whole run: this file is evaluated again in every worker, which
// inherits this process's environment, so the tests find the servers' files (the CLI
// tests write to the external server's database). Set it to choose the (empty) folder.
export const dataDir = (process.env.TIMESHEETS_E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'timesheets-e2e-')));
/// The database of the server that signs in at `oidc-provider` (empty at the start).
export const externalDatabaseURL = `sqlite://${dataDir}/external.db`;
/// The passkey server's database, for the CLI (`timesheets passkeys require`).
export const passkeyDatabaseURL = `sqlite://${dataDir}/passkeys.db`;
const serverEnv = { LEPTOS_SITE_ROOT: siteRoot, RUST_LOG: 'warn' };

// Debian's Chromium (never a downloaded browser) with the flags these machines need;
// shared with lighthouse.mjs.
export const chromiumLaunch: { executablePath: string; args: string[] } = JSON.parse(
  readFileSync(new URL('./chromium.json', import.meta.url), 'utf8'),
);

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  // One test at a time, except the ones tagged @waits (see `projects`).
  workers: 3,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'reports/results.json' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunch,
  },
  // Tests tagged @waits spend ~30 s waiting for an access token to run out, doing nothing:
  // two at a time run beside the rest of the suite, which runs one test at a time. Each
  // signs in its own browser context and checks only its own session.
  projects: [
    { name: 'pixel-7', use: { ...devices['Pixel 7'], launchOptions: chromiumLaunch }, grepInvert: /@waits/, workers: 1 },
    {
      name: 'pixel-7-waits',
      use: { ...devices['Pixel 7'], launchOptions: chromiumLaunch },
      grep: /@waits/,
      workers: 2,
      fullyParallel: true,
    },
  ],
  webServer: [
    {
      command: `${bin} serve --addr 127.0.0.1:${port} --database-url sqlite://${dataDir}/e2e.db`,
      url: `${baseURL}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...serverEnv, DEMO: 'true', PROVIDER_ACCESS_TOKEN_SECS: '30' },
    },
    {
      command: `${bin} serve --addr 127.0.0.1:${port + 2} --database-url sqlite://${dataDir}/step-up.db`,
      url: `${stepUpURL}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...serverEnv, DEMO: 'true', APPROVAL_MAX_AUTH_AGE_SECS: String(stepUpMaxAgeSecs) },
    },
    {
      command: `${bin} serve --addr 127.0.0.1:${port + 3} --database-url ${passkeyDatabaseURL}`,
      url: `http://127.0.0.1:${port + 3}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...serverEnv, DEMO: 'true', PUBLIC_URL: passkeyURL },
    },
    {
      command: 'node oidc-provider.mjs',
      url: `${oidcProviderURL}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { OIDC_PORT: String(oidcPort), APP_ORIGIN: externalURL, ACCESS_TOKEN_SECS: '30' },
    },
    {
      command: `${bin} serve --addr 127.0.0.1:${externalPort} --database-url ${externalDatabaseURL}`,
      url: `${externalURL}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...serverEnv, OIDC_ISSUER: oidcProviderURL, OIDC_CLIENT_ID: 'timesheets-pwa' },
    },
    {
      command: 'python3 idpyoidc_op.py',
      url: `${idpyoidcURL}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'pipe',
      stderr: 'pipe',
      // SIGTERM: it removes its working folder.
      gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
      env: { IDPY_PORT: String(oidcPort + 2), APP_ORIGIN: idpyoidcAppURL, ACCESS_TOKEN_SECS: '30' },
    },
    {
      command: `${bin} serve --addr 127.0.0.1:${port + 4} --database-url sqlite://${dataDir}/idpyoidc.db`,
      url: `${idpyoidcAppURL}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...serverEnv, OIDC_ISSUER: idpyoidcURL, OIDC_CLIENT_ID: 'timesheets-pwa' },
    },
    {
      command: 'python3 ../bench/scale.py serve',
      url: `${loadBalancerURL}/readyz`,
      reuseExistingServer: false,
      timeout: 90_000,
      stdout: 'pipe',
      stderr: 'pipe',
      // SIGTERM: the script stops nginx and both servers and drops its database.
      gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
      env: {
        ...serverEnv,
        TIMESHEETS_BIN: bin,
        LEPTOS_SITE_ROOT: siteRoot,
        SCALE_PORT: String(balancerPort),
        PROVIDER_ACCESS_TOKEN_SECS: '30',
      },
    },
  ],
});
