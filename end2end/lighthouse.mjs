// `make lighthouse`: a Lighthouse mobile run (Lighthouse's default: a mid-range phone on
// a throttled 4G connection, simulated) in Debian's Chromium against the release server
// the Makefile started. Prints the category scores and keeps the full report in
// reports/lighthouse.html. Never downloads a browser.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
const chromiumLaunch = JSON.parse(readFileSync(new URL('./chromium.json', import.meta.url), 'utf8'));

const url = process.argv[2] ?? 'http://127.0.0.1:3300/';
const chrome = await chromeLauncher.launch({
  chromePath: chromiumLaunch.executablePath,
  chromeFlags: ['--headless=new', ...chromiumLaunch.args],
});
try {
  const result = await lighthouse(url, {
    port: chrome.port,
    output: 'html',
    logLevel: 'error',
    onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
  });
  mkdirSync('reports', { recursive: true });
  writeFileSync('reports/lighthouse.html', result.report);
  const { categories, audits } = result.lhr;
  for (const category of Object.values(categories)) {
    console.log(`lighthouse ${category.title}: ${Math.round(category.score * 100)}`);
  }
  for (const id of ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index', 'interactive']) {
    console.log(`  ${audits[id].title}: ${audits[id].displayValue}`);
  }
  // What kept a category below 100, so it can be fixed.
  for (const category of Object.values(categories)) {
    for (const ref of category.auditRefs) {
      const audit = audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
        console.log(`  [${category.id}] ${audit.id}: ${audit.title} (${audit.displayValue ?? Math.round(audit.score * 100)})`);
      }
    }
  }
} finally {
  await chrome.kill();
}
