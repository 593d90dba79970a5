// Prints one line, "playwright: N passed, N failed", from Playwright's JSON report.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'reports/results.json';
let stats;
try {
  stats = JSON.parse(readFileSync(file, 'utf8')).stats;
} catch (err) {
  console.log(`playwright: 0 passed, 1 failed (no report at ${file}: ${err.message})`);
  process.exit(1);
}
const passed = stats.expected + stats.flaky;
const failed = stats.unexpected;
const skipped = stats.skipped ? `, ${stats.skipped} skipped` : '';
console.log(`playwright: ${passed} passed, ${failed} failed${skipped}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
