// `make lighthouse`: a Lighthouse mobile run (Lighthouse's default: a mid-range phone on
// a throttled 4G connection, simulated) in Debian's Chromium against the release server
// the Makefile started. Prints the category scores and keeps the full report in
// reports/lighthouse.html. Never downloads a browser.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
const chromiumLaunch = JSON.parse(readFileSync(new URL('./chromium.json', import.meta.url), 'utf8'));

const url = process.argv[2] ?? 'http://127.0.0.1:3300/';
// Scores move between runs (simulated throttling on a shared 2-core machine): Lighthouse's
// own advice is the median of several runs.
const runs = Number(process.env.LIGHTHOUSE_RUNS ?? 5);

async function once() {
  const chrome = await chromeLauncher.launch({
    chromePath: chromiumLaunch.executablePath,
    chromeFlags: ['--headless=new', ...chromiumLaunch.args],
  });
  try {
    return await lighthouse(url, {
      port: chrome.port,
      output: 'html',
      logLevel: 'error',
      onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
    });
  } finally {
    await chrome.kill();
  }
}

const results = [];
for (let run = 1; run <= runs; run++) {
  const result = await once();
  results.push(result);
  const scores = Object.values(result.lhr.categories).map((c) => `${c.id} ${Math.round(c.score * 100)}`);
  console.log(`run ${run}: ${scores.join(', ')}`);
}
// The median run by performance score.
results.sort((a, b) => a.lhr.categories.performance.score - b.lhr.categories.performance.score);
const median = results[Math.floor(results.length / 2)];
mkdirSync('reports', { recursive: true });
writeFileSync('reports/lighthouse.html', median.report);
const { categories, audits } = median.lhr;
console.log(`median of ${runs} runs (report: end2end/reports/lighthouse.html):`);
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
