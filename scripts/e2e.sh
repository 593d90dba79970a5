#!/usr/bin/env bash
# Runs the Playwright suite against the release build and prints one summary line
# ("playwright: N passed, N failed") that CI can read.
set -uo pipefail
cd "$(dirname "$0")/../end2end"

rm -rf reports
npx playwright test
status=$?
node summarize.mjs reports/results.json || status=1
exit $status
