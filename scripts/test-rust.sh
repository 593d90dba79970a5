#!/usr/bin/env bash
# Rust tests: the shared crate's unit tests, then the server's unit and black-box tests on
# SQLite and again on PostgreSQL (a fresh database per test, all dropped afterwards).
# Per package, never `--workspace`: feature unification would build `app` with `hydrate`
# and `ssr` together.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> app: unit tests"
cargo test -p app --features ssr

# The server's crates together: one build of `app` (ssr) serves all four.
echo "==> server, db, dpop, provider: tests on SQLite"
cargo test -p server -p db -p dpop -p provider

admin_url=$(scripts/postgres.sh)
prefix="ts_test_$(date +%s)_$$"
drop_test_databases() {
  psql "$admin_url" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE '${prefix}_%'" 2>/dev/null |
    while read -r name; do
      psql "$admin_url" -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
}
trap drop_test_databases EXIT

echo "==> server: tests on PostgreSQL ($(sed -E 's#//([^:@/]+):[^@/]*@#//\1:***@#' <<<"$admin_url"))"
TEST_DATABASE_URL="$admin_url" TEST_DB_PREFIX="$prefix" cargo test -p server -p db
