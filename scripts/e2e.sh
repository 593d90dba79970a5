#!/usr/bin/env bash
# Runs the Playwright suite against the release build and prints one summary line
# ("playwright: N passed, N failed") that CI can read.
set -uo pipefail
cd "$(dirname "$0")/../end2end"

# The load-balancer test runs two instances on the local PostgreSQL (bench/scale.py).
BENCH_POSTGRES_URL=$(../scripts/postgres.sh) || exit 1
export BENCH_POSTGRES_URL

rm -rf reports
npx playwright test
status=$?
node summarize.mjs reports/results.json || status=1
exit $status
