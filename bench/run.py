#!/usr/bin/env python3
"""`make bench`: measured speed of a release server on loopback.

Starts the release binary (SQLite, then PostgreSQL when a server is reachable) with the
embedded provider and a seeded company — 100 people (10 managers) × 12 weeks of entries,
all but the last week approved — signs everyone in through the real login flow, and runs
wrk (64 connections, fixed duration) against:
  1. GET  /api/timesheets?week=…      (authenticated read; also once more with
                                       READ_CACHE=false, every page from the database,
                                       and with DPoP-bound tokens, a proof per request)
  2. POST /api/timesheets             (authenticated write, unique entries)
     9 week reads : 1 new entry         (mixed.lua: the read paths under writes; also
                                       with READ_CACHE=false)
  3. GET  /api/approvals              (a manager's queue)
  4. GET  /healthz                    (no token, no database: the machine's ceiling)
  5. the seed's own API (bench/seed-api: Node.js, express + express-jwt + jwks-rsa, data
     in memory) verifying the same tokens: GET /api/timesheets, the floor to beat
then a 10,000-row batch upload (`timesheets import`) and the release bundle sizes.
Prints one table per backend with req/s, p50/p99 latency, errors and peak server RSS.

Only the Python standard library, wrk (Debian), Node.js (for the seed API and the DPoP
proofs, bench/dpop.mjs) and the binary are used.
"""

import base64
import datetime
import hashlib
import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = os.environ.get("TIMESHEETS_BIN", "timesheets")
SITE = Path(os.environ.get("LEPTOS_SITE_ROOT", "target/site"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
PEOPLE = 100
WEEKS = 12
PASSWORD = "bench-password-1"
SCOPE = "openid email profile read:timesheets create:timesheets delete:timesheets approve:timesheets"
CLIENT_ID, CLIENT_SECRET = "exampleco-payroll", "exampleco-payroll-demo-secret"


def say(text):
    print(f"==> {text}", file=sys.stderr, flush=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(opener, method, url, form=None, headers=None, json_body=None):
    data = None
    headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with opener.open(req, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_in(base, email):
    """The PWA's flow: authorize (login form), code, token with PKCE."""
    return sign_in_tokens(base, email)["access_token"]


def sign_in_tokens(base, email, extra_scope="", observe=None, dpop=None):
    """The token response of the PWA's sign-in; `observe` sees each response's headers;
    `dpop`: a proof for the token request (the tokens are then bound to its key)."""
    opener = urllib.request.build_opener(
        NoRedirect, urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def call(*args):
        status, headers, body = request(opener, *args)
        if observe:
            observe(headers)
        return status, headers, body

    verifier = b64url(secrets.token_bytes(32))
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    redirect_uri = f"{base}/auth/callback"
    query = urllib.parse.urlencode({
        "client_id": "timesheets-pwa", "redirect_uri": redirect_uri, "response_type": "code",
        "scope": f"{SCOPE} {extra_scope}".strip(), "state": "bench", "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    status, _, page = call("GET", f"{base}/oauth/authorize?{query}")
    assert status == 200, f"login page: {status}"
    fields = dict(re.findall(r'name="(request|csrf)" value="([^"]*)"', page.decode()))
    status, headers, _ = call("POST", f"{base}/oauth/authorize",
                              {**fields, "email": email, "password": PASSWORD})
    assert status in (302, 303), f"login of {email}: {status}"
    code = urllib.parse.parse_qs(urllib.parse.urlparse(headers["Location"]).query)["code"][0]
    status, _, body = call("POST", f"{base}/oauth/token", {
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": "timesheets-pwa", "code_verifier": verifier,
    }, {"DPoP": dpop} if dpop else None)
    assert status == 200, f"token for {email}: {status} {body}"
    return json.loads(body)


def rss_peak_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def start_server(database_url, port, workdir, extra_env=None):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LEPTOS_SITE_ADDR": f"127.0.0.1:{port}",
        "LEPTOS_SITE_ROOT": str(SITE),
        "DEMO": "true",
        "PROVIDER_ACCESS_TOKEN_SECS": "3600",
        "RUST_LOG": "warn",
        **(extra_env or {}),
    }
    env.pop("OIDC_ISSUER", None)
    log = open(workdir / f"server-{port}.log", "w")
    server = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        # Another server left on the port would answer /readyz for this one.
        if server.poll() is not None:
            raise SystemExit(f"the server exited; see {workdir}/server-{port}.log")
        try:
            status, _, _ = request(urllib.request.build_opener(), "GET", f"{base}/readyz")
            if status == 200:
                return server, base
        except OSError:
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit(f"the server did not start; see {workdir}/server-{port}.log")


def cli(args, env=None):
    result = subprocess.run([BIN, *args], env={**os.environ, **(env or {})},
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"timesheets {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def monday_weeks_ago(weeks):
    today = datetime.date.today()
    return today - datetime.timedelta(days=today.weekday() + 7 * weeks)


def seed(base, database_url, workdir):
    say(f"adding {PEOPLE} people")
    emails = [f"bench{n}@exampleco.test" for n in range(PEOPLE)]
    for n, email in enumerate(emails):
        role = "manager" if n % 10 == 0 else "employee"
        cli(["users", "add", "--database-url", database_url, "--email", email,
             "--name", f"Bench {n}", "--role", role], {"TIMESHEETS_PASSWORD": PASSWORD})
    say("signing everyone in through the login page")
    tokens = [sign_in(base, email) for email in emails]
    opener = urllib.request.build_opener()
    auth = lambda token: {"Authorization": f"Bearer {token}"}
    # One entry each makes everyone known to the API (people sign in once before uploads).
    for token in tokens:
        status, _, body = request(opener, "POST", f"{base}/api/timesheets", headers=auth(token),
                                  json_body={"project": "ACME", "date": "2020-01-01",
                                             "minutes": 1, "status": "draft"})
        assert status == 201, body
    say(f"uploading {WEEKS} weeks of entries for everyone")
    rows = ["external_id,user_email,date,project,duration,note"]
    for week in range(WEEKS):
        monday = monday_weeks_ago(week)
        for n, email in enumerate(emails):
            for day in range(5):
                date = monday + datetime.timedelta(days=day)
                rows.append(f"seed-{n}-{date},{email},{date},ACME,7:30,seeded")
    seed_file = workdir / "seed.csv"
    seed_file.write_text("\n".join(rows) + "\n")
    cli(["import", str(seed_file), "--api-url", base, "--client-id", CLIENT_ID],
        {"TIMESHEETS_CLIENT_SECRET": CLIENT_SECRET})
    say("managers approve all but the last week")
    subjects = [json.loads(request(opener, "GET", f"{base}/api/me", headers=auth(token))[2])["subject"]
                for token in tokens]
    for week in range(1, WEEKS):
        iso = monday_weeks_ago(week).isocalendar()
        week_name = f"{iso[0]}-W{iso[1]:02d}"
        for n, subject in enumerate(subjects):
            manager = tokens[10 if n == 0 else 0]
            status, _, body = request(opener, "POST", f"{base}/api/approvals/weeks/{week_name}",
                                      headers=auth(manager), json_body={"user_id": subject})
            assert status == 200, body
    return tokens


def cpu_seconds(pid):
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(base, path, script, tokens_file, server, env=None):
    """wrk's summary, plus the server's CPU time per request: req/s swing with whatever
    else the 2 cores do (wrk itself takes most of one), CPU per request much less."""
    cpu_before = cpu_seconds(server.pid)
    result = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--timeout", "10s",
         "-s", str(HERE / script), f"{base}{path}"],
        env={**os.environ, "BENCH_TOKENS": str(tokens_file), **(env or {})},
        capture_output=True, text=True)
    match = re.search(r"^BENCH (\{.*\})$", result.stdout, re.M)
    if result.returncode != 0 or not match:
        raise SystemExit(f"wrk failed: {result.stdout}{result.stderr}")
    summary = json.loads(match.group(1))
    summary["cpu_us"] = 1e6 * (cpu_seconds(server.pid) - cpu_before) / max(summary["requests"], 1)
    summary["rss_mb"] = rss_peak_kb(server.pid) / 1024
    return summary


def dpop_node(*args):
    return subprocess.run(["node", str(HERE / "dpop.mjs"), *map(str, args)],
                          check=True, capture_output=True, text=True).stdout


def dpop_read(base, path, server, workdir, bearer_rps):
    """The same read with DPoP-bound tokens (RFC 9449): everyone signs in again with a
    proof (one key for the run), and each request carries a proof of its own, made
    beforehand by bench/dpop.mjs — enough for the Bearer read's rate, half again."""
    key = workdir / "dpop-key.pem"
    proofs = dpop_node("proofs", key, "POST", f"{base}/oauth/token", PEOPLE).split()
    tokens = []
    for n, proof in enumerate(proofs):
        answer = sign_in_tokens(base, f"bench{n}@exampleco.test", dpop=proof)
        assert answer["token_type"] == "DPoP", answer
        tokens.append(answer["access_token"])
    tokens_file = workdir / "dpop-tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    match = re.fullmatch(r"(\d+)([sm]?)", DURATION)
    if not match:
        raise SystemExit(f"BENCH_DURATION={DURATION}: use seconds (10s) or minutes (1m)")
    seconds = int(match.group(1)) * (60 if match.group(2) == "m" else 1)
    if seconds > 100:
        # The proofs are made before the run, and a proof is accepted for 120 s.
        raise SystemExit("the DPoP scenario needs BENCH_DURATION of at most 100s")
    count = int(bearer_rps * seconds * 1.5) + 1000
    calls = workdir / "dpop-calls"
    dpop_node("calls", key, "GET", f"{base}{path}", tokens_file, count, calls, 2)
    try:
        return wrk(base, path, "dpop.lua", tokens_file, server,
                   {"BENCH_NO_TOKEN": "1", "BENCH_CALLS": str(calls)})
    finally:
        for part in (1, 2):
            Path(f"{calls}.{part}").unlink(missing_ok=True)


def seed_api(base, tokens, tokens_file, workdir):
    """The seed's Node.js API on the same tokens (our provider's JWKS), with one week of
    entries per person in its memory: wrk's summary of its authenticated read."""
    port = 3990
    log = open(workdir / "seed-api.log", "w")
    node = subprocess.Popen(
        ["node", str(HERE / "seed-api" / "server.js")],
        env={**os.environ, "SEED_ISSUER": base, "SEED_JWKS_URI": f"{base}/oauth/jwks",
             "SEED_AUDIENCE": "timesheets-api", "PORT": str(port)},
        stdout=log, stderr=log)
    seed_base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if node.poll() is not None:
                raise SystemExit(f"the seed API exited; see {workdir}/seed-api.log")
            try:
                if request(urllib.request.build_opener(), "GET", f"{seed_base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        opener = urllib.request.build_opener()
        for token in tokens:
            for day in range(5):
                status, _, body = request(opener, "POST", f"{seed_base}/api/timesheets",
                                          headers={"Authorization": f"Bearer {token}"},
                                          json_body={"project": "ACME", "hours": 7.5,
                                                     "date": f"2026-11-{23 + day}"})
                assert status == 201, f"the seed API refused a write: {status} {body}"
        return wrk(seed_base, "/api/timesheets", "get.lua", tokens_file, node)
    finally:
        node.terminate()
        node.wait(timeout=30)


def run_backend(name, database_url, port, workdir):
    server, base = start_server(database_url, port, workdir)
    try:
        tokens = seed(base, database_url, workdir)
    except BaseException:
        server.terminate()
        raise
    tokens_file = workdir / f"tokens-{port}.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    managers_file = workdir / f"managers-{port}.txt"
    managers_file.write_text("\n".join(tokens[::10]) + "\n")
    iso = monday_weeks_ago(1).isocalendar()
    week = f"{iso[0]}-W{iso[1]:02d}"
    read_path = f"/api/timesheets?week={week}"
    # The same read with every page from the database, on the same data: what the
    # page cache takes off a read.
    server.terminate()
    server.wait(timeout=30)
    say(f"{name}: the week read without the page cache (READ_CACHE=false)")
    server, base = start_server(database_url, port, workdir, {"READ_CACHE": "false"})
    try:
        uncached = wrk(base, read_path, "get.lua", tokens_file, server)
        uncached_mixed = wrk(base, read_path, "mixed.lua", tokens_file, server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    server, base = start_server(database_url, port, workdir)
    try:
        say(f"{name}: wrk, {CONNECTIONS} connections, {DURATION} each")
        results = [("GET /api/timesheets?week (token)", wrk(base, read_path, "get.lua", tokens_file, server))]
        say(f"{name}: the week read with DPoP-bound tokens, a proof per request")
        dpop = dpop_read(base, read_path, server, workdir, results[0][1]["rps"])
        results.append(("GET /api/timesheets?week (DPoP token + proof)", dpop))
        if uncached:
            results.append(("GET /api/timesheets?week (token, READ_CACHE=false)", uncached))
        results.append(("POST /api/timesheets (token)", wrk(base, "/api/timesheets", "post.lua", tokens_file, server)))
        results.append(("9 week reads : 1 new entry (token)", wrk(base, read_path, "mixed.lua", tokens_file, server)))
        if uncached_mixed:
            results.append(("9 week reads : 1 new entry (token, READ_CACHE=false)", uncached_mixed))
        results.append(("GET /api/approvals (manager)", wrk(base, "/api/approvals", "get.lua", managers_file, server)))
        results.append(("GET /healthz (no token, no DB)", wrk(base, "/healthz", "get.lua", tokens_file, server, {"BENCH_NO_TOKEN": "1"})))
        say(f"{name}: the seed's Node.js API on the same tokens")
        seed_read = seed_api(base, tokens, tokens_file, workdir)
        say(f"{name}: 10,000-row batch upload")
        rows = ["external_id,user_email,date,project,duration,note"]
        for n in range(10_000):
            day = datetime.date(2019, 1, 1) + datetime.timedelta(days=n // 100)
            rows.append(f"upload-{n},bench{n % PEOPLE}@exampleco.test,{day},ACME,5m,upload")
        upload_file = workdir / f"upload-{port}.csv"
        upload_file.write_text("\n".join(rows) + "\n")
        started = time.monotonic()
        summary = cli(["import", str(upload_file), "--api-url", base, "--client-id", CLIENT_ID,
                       "--chunk-size", "10000"], {"TIMESHEETS_CLIENT_SECRET": CLIENT_SECRET})
        upload_ms = (time.monotonic() - started) * 1000
        # Whichever server peaked (the READ_CACHE=false one included).
        rss_mb = max([rss_peak_kb(server.pid) / 1024] + [r["rss_mb"] for _, r in results])
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\n### {name} ({datetime.date.today()}, {os.cpu_count()} cores)\n")
    print("| scenario | req/s | p50 | p99 | server CPU / request | errors (non-2xx + socket) "
          "| server peak RSS so far |")
    print("|---|---|---|---|---|---|---|")
    ceiling = results[-1][1]["rps"]
    for label, r in results:
        print(f"| {label} | {r['rps']:.0f} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms "
              f"| {r['cpu_us']:.0f} µs | {r['errors']} | {r['rss_mb']:.0f} MB |")
    print(f"| seed API (Node.js, express-jwt): GET /api/timesheets (token) | {seed_read['rps']:.0f} "
          f"| {seed_read['p50_ms']:.2f} ms | {seed_read['p99_ms']:.2f} ms | {seed_read['cpu_us']:.0f} µs "
          f"| {seed_read['errors']} | {seed_read['rss_mb']:.0f} MB (node) |")
    read = results[0][1]["rps"]
    print(f"\nauthenticated read = {100 * read / ceiling:.0f} % of the bare endpoint's req/s")
    print(f"authenticated read = {read / seed_read['rps']:.1f}× the seed API's")
    print(f"with DPoP = {100 * dpop['rps'] / read:.0f} % of the Bearer read's req/s "
          f"(server CPU {dpop['cpu_us']:.0f} µs vs {results[0][1]['cpu_us']:.0f} µs per request)")
    if uncached:
        print(f"without the page cache = {100 * uncached['rps'] / ceiling:.0f} %")
    print(f"server CPU per authenticated read = {results[0][1]['cpu_us'] / results[-1][1]['cpu_us']:.1f}× "
          "the bare endpoint's")
    print(f"10,000-row upload (timesheets import, one request): {upload_ms:.0f} ms — {summary.strip()}")
    print(f"peak server RSS: {rss_mb:.0f} MB")


def bundle_sizes():
    """Every page loads the bundle (and, when split, the chunk loader); the other chunks
    load when their code first runs. end2end/first-load.mjs measures what Chromium fetches."""
    print("\n### release bundle\n")
    print("| file | raw | brotli |")
    print("|---|---|---|")
    first, chunks = 0, 0
    for pattern in ("timesheets.*.wasm", "timesheets.*.js", "timesheets.*.css", "__wasm_split.*.js"):
        for path in sorted((SITE / "pkg").glob(pattern)):
            size_br = brotli_size(path)
            first += size_br
            print(f"| {path.name} | {path.stat().st_size:,} B | {size_br:,} B |")
    for path in sorted((SITE / "pkg").glob("*.wasm")):
        if not path.name.startswith("timesheets."):
            chunks += brotli_size(path)
    print(f"\nbundle (JS + WASM + CSS, without the page), brotli: {first:,} B; "
          f"code chunks loaded on demand: {chunks:,} B")


def brotli_size(path):
    br = path.with_name(path.name + ".br")
    return br.stat().st_size if br.exists() else 0


def postgres_admin_url():
    url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    probe = subprocess.run(["psql", url, "-Atqc", "SELECT 1"], capture_output=True, text=True)
    return url if probe.returncode == 0 else None


def main():
    workdir = Path(tempfile.mkdtemp(prefix="timesheets-bench-"))
    run_backend("SQLite", f"sqlite://{workdir}/bench.db", 3901, workdir)
    admin = postgres_admin_url()
    if admin:
        name = f"ts_bench_{os.getpid()}"
        subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
        try:
            run_backend("PostgreSQL", admin.rsplit("/", 1)[0] + f"/{name}", 3902, workdir)
        finally:
            subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])
    else:
        say("no PostgreSQL reachable: skipped (set BENCH_POSTGRES_URL)")
    bundle_sizes()


if __name__ == "__main__":
    main()
