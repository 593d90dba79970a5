#!/usr/bin/env bash
# Starts the release server on a spare port with a throw-away SQLite database (demo company)
# and measures its first page: bytes a first visit downloads (end2end/first-load.mjs), then
# Lighthouse (end2end/lighthouse.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."

port=${LIGHTHOUSE_PORT:-3300}
data=$(mktemp -d)
DEMO=true "$TIMESHEETS_BIN" serve --addr "127.0.0.1:$port" --database-url "sqlite://$data/lighthouse.db" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
cd end2end
node first-load.mjs "http://127.0.0.1:$port"
node lighthouse.mjs "http://127.0.0.1:$port/"
