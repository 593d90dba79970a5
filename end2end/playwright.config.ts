import { defineConfig, devices } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The suite starts the release server itself on its own port, with a fresh SQLite file,
// so it never touches the data of `make run`.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
const bin = process.env.TIMESHEETS_BIN ?? `${process.env.HOME}/.cache/timesheets/target/release/timesheets`;
const dataDir = mkdtempSync(join(tmpdir(), 'timesheets-e2e-'));

// Debian's Chromium (never a downloaded browser); flags these machines need.
export const chromiumLaunch = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'reports/results.json' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunch,
  },
  projects: [{ name: 'pixel-7', use: { ...devices['Pixel 7'], launchOptions: chromiumLaunch } }],
  webServer: {
    command: `${bin} serve --addr 127.0.0.1:${port} --database-url sqlite://${dataDir}/e2e.db`,
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site', RUST_LOG: 'warn' },
  },
});
