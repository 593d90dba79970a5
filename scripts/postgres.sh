#!/usr/bin/env bash
# Prints the URL of a PostgreSQL server the tests may create databases on.
# Uses TEST_DATABASE_URL when given; otherwise the local server, installed from Debian's
# packages if missing and started if down.
set -euo pipefail

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "$TEST_DATABASE_URL"
  exit 0
fi

trust_url=postgres://postgres@127.0.0.1:5432/postgres
password_url=postgres://postgres:timesheets-tests@127.0.0.1:5432/postgres

reachable() { psql "$1" -Atqc 'SELECT 1' >/dev/null 2>&1; }

if ! command -v pg_ctlcluster >/dev/null; then
  echo "==> installing PostgreSQL from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "==> starting the local PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
fi

if reachable "$trust_url"; then
  echo "$trust_url"
elif reachable "$password_url"; then
  echo "$password_url"
else
  # A stock Debian install asks for a password over TCP: give the test user one.
  su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'timesheets-tests'\"" >/dev/null
  reachable "$password_url" || { echo "error: cannot reach PostgreSQL on 127.0.0.1:5432" >&2; exit 1; }
  echo "$password_url"
fi
