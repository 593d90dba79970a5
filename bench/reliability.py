#!/usr/bin/env python3
"""`make reliability`: no acknowledged write is lost, none is stored twice.

1. Load without loss: writer and reader threads run against a release server (SQLite)
   for a while; every write has a unique client id. Afterwards every write answered 2xx
   is in the database exactly once, and no answer was a 5xx.
2. kill -9 during the same write load, then a restart on the same file: every write
   acknowledged before the kill is there, and `PRAGMA integrity_check` says ok.
3. PostgreSQL stopped for a few seconds during the same load (when a local cluster can be
   restarted with pg_ctlcluster): `/readyz` reports the outage, calls get a 503 (never a
   500), the server recovers by itself once PostgreSQL is back (no restart), and every
   acknowledged write is stored exactly once.

Standard library only (sqlite3 reads the database file directly; psql the PostgreSQL one).
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the bench's server, CLI and sign-in helpers)

PEOPLE = 10
WRITERS = int(os.environ.get("RELIABILITY_WRITERS", "16"))
READERS = 4
SECONDS = float(os.environ.get("RELIABILITY_SECONDS", "10"))


def setup(workdir, port, database_url=None):
    database_url = database_url or f"sqlite://{workdir}/reliability.db"
    server, base = run.start_server(database_url, port, workdir)
    emails = [f"load{n}@exampleco.test" for n in range(PEOPLE)]
    for email in emails:
        run.cli(["users", "add", "--database-url", database_url, "--email", email,
                 "--name", email, "--role", "employee"], {"TIMESHEETS_PASSWORD": run.PASSWORD})
    tokens = [run.sign_in(base, email) for email in emails]
    return server, base, database_url, tokens


class Load:
    """Writers post unique entries, readers read weeks, until stopped."""

    def __init__(self, base, tokens):
        self.base, self.tokens = base, tokens
        self.acknowledged, self.server_errors, self.unavailable, self.other = [], 0, 0, 0
        self.last_ack = 0.0
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def writer(self, n):
        opener = urllib.request.build_opener()
        count = 0
        while not self.stop.is_set():
            entry_id = str(uuid.uuid4())
            day = (n * 7919 + count) % 3000
            date = time.strftime("%Y-%m-%d", time.gmtime(946684800 + day * 86400))
            token = self.tokens[(n + count) % len(self.tokens)]
            count += 1
            try:
                status, _, _ = run.request(
                    opener, "POST", f"{self.base}/api/timesheets",
                    headers={"Authorization": f"Bearer {token}"},
                    # The id again as the note: a write stored twice under two ids shows.
                    json_body={"id": entry_id, "project": "ACME", "date": date,
                               "minutes": 1, "note": entry_id, "status": "draft"})
            except OSError:
                continue  # the server is gone (kill -9): this write was never acknowledged
            with self.lock:
                if 200 <= status < 300:
                    self.acknowledged.append(entry_id)
                    self.last_ack = time.monotonic()
                elif status == 503:
                    self.unavailable += 1
                elif status >= 500:
                    self.server_errors += 1
                else:
                    self.other += 1

    def reader(self, n):
        opener = urllib.request.build_opener()
        while not self.stop.is_set():
            try:
                status, _, _ = run.request(
                    opener, "GET", f"{self.base}/api/timesheets?limit=50",
                    headers={"Authorization": f"Bearer {self.tokens[n % len(self.tokens)]}"})
            except OSError:
                continue
            with self.lock:
                if status == 503:
                    self.unavailable += 1
                elif status >= 500:
                    self.server_errors += 1

    def start(self, writers=WRITERS, readers=READERS, *others):
        self.threads = [threading.Thread(target=self.writer, args=(n,)) for n in range(writers)]
        self.threads += [threading.Thread(target=self.reader, args=(n,)) for n in range(readers)]
        self.threads += [threading.Thread(target=other) for other in others]
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()


# Acknowledged writes stored more than once. Not by id — the primary key cannot repeat —
# but by the note, which each write sets to its own id.
TWICE = ("SELECT COUNT(*) FROM (SELECT note FROM entries WHERE note IN (SELECT id FROM acked)"
         " GROUP BY note HAVING COUNT(*) > 1) AS repeated")


def stored_in_postgres(database_url, ids):
    """(found, stored twice) of the acknowledged ids in a PostgreSQL database."""
    # The ids go in over stdin (too many for a command line).
    script = ("CREATE TEMP TABLE acked (id TEXT PRIMARY KEY);\nCOPY acked FROM STDIN;\n"
              + "".join(f"{i}\n" for i in ids) + "\\.\n"
              "SELECT (SELECT COUNT(*) FROM entries WHERE id IN (SELECT id FROM acked)),"
              f" ({TWICE});\n")
    counts = subprocess.run(["psql", database_url, "-Atq"], input=script, capture_output=True,
                            text=True, check=True).stdout.strip().splitlines()[-1].split("|")
    return int(counts[0]), int(counts[1])


def stored(db_file, ids):
    with sqlite3.connect(db_file) as db:
        db.execute("CREATE TEMP TABLE acked (id TEXT PRIMARY KEY)")
        db.executemany("INSERT INTO acked VALUES (?)", [(i,) for i in ids])
        found = db.execute("SELECT COUNT(*) FROM entries WHERE id IN (SELECT id FROM acked)").fetchone()[0]
        twice = db.execute(TWICE).fetchone()[0]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    return found, twice, integrity


class Readiness:
    """Polls /readyz every 100 ms and remembers (time, status)."""

    def __init__(self, base):
        self.base, self.seen = base, []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.poll)
        self.thread.start()

    def poll(self):
        opener = urllib.request.build_opener()
        while not self.stop.is_set():
            try:
                status = run.request(opener, "GET", f"{self.base}/readyz")[0]
            except OSError:
                status = 0
            self.seen.append((time.monotonic(), status))
            time.sleep(0.1)

    def finish(self):
        self.stop.set()
        self.thread.join()


def postgres_cluster():
    """(version, admin URL) of a local cluster this script may restart, else None."""
    if not shutil.which("pg_ctlcluster") or os.environ.get("RELIABILITY_POSTGRES") == "off":
        return None
    admin = run.postgres_admin_url()
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(x) for x in v.split(".")])
    return (versions[-1], admin) if admin and versions else None


def postgres_restart(failures):
    cluster = postgres_cluster()
    if cluster is None:
        print("postgresql restart under load: skipped (no local cluster to restart)")
        return failures
    version, admin = cluster
    name = f"ts_reliability_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    database_url = admin.rsplit("/", 1)[0] + f"/{name}"
    workdir = Path(tempfile.mkdtemp(prefix="timesheets-reliability-pg-"))
    server = None
    try:
        server, base, _, tokens = setup(workdir, 3914, database_url)
        load = Load(base, tokens)
        readiness = Readiness(base)
        load.start()
        time.sleep(SECONDS / 3)
        ctl = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
        stopped_at = time.monotonic()
        subprocess.run(ctl + ["stop", "-m", "fast"], check=True)
        time.sleep(3)
        subprocess.run(ctl + ["start"], check=True)
        started_at = time.monotonic()
        time.sleep(SECONDS / 2)
        load.finish()
        readiness.finish()
        server_alive = server.poll() is None
        # Recovery: the first ready answer, and the first acknowledged write, after the start.
        ready_again = next((t for t, status in readiness.seen if t > started_at and status == 200), None)
        outage_seen = any(status == 503 for t, status in readiness.seen if stopped_at < t < started_at)
        found, twice = stored_in_postgres(database_url, load.acknowledged)
        recovery = None if ready_again is None else ready_again - started_at
        writes_back = load.last_ack > started_at
        ok = (server_alive and outage_seen and recovery is not None and recovery < 10 and writes_back
              and found == len(load.acknowledged) and twice == 0 and load.server_errors == 0)
        recovery_text = "never" if recovery is None else f"{recovery:.2f} s"
        print(f"postgresql restart under load: stopped 3 s; /readyz 503 during the outage: {outage_seen}; "
              f"ready again {recovery_text} after PostgreSQL started, without a server restart "
              f"(writes acknowledged again: {writes_back}); {load.unavailable} answers 503, "
              f"{load.server_errors} other 5xx; {len(load.acknowledged)} writes acknowledged, {found} stored, "
              f"{twice} stored twice — {'OK' if ok else 'FAILED'}")
        return failures + (not ok)
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


def main():
    workdir = Path(tempfile.mkdtemp(prefix="timesheets-reliability-"))
    db_file = workdir / "reliability.db"
    failures = 0

    server, base, database_url, tokens = setup(workdir, 3911)
    load = Load(base, tokens)
    load.start()
    time.sleep(SECONDS)
    load.finish()
    server.terminate()
    server.wait(timeout=30)
    found, twice, integrity = stored(db_file, load.acknowledged)
    ok = found == len(load.acknowledged) and twice == 0 and load.server_errors + load.unavailable == 0
    failures += not ok
    print(f"load without loss: {len(load.acknowledged)} writes acknowledged in {SECONDS:.0f} s, "
          f"{found} stored, {twice} stored twice, {load.server_errors + load.unavailable} 5xx, "
          f"{load.other} other non-2xx — {'OK' if ok else 'FAILED'}")

    server, base = run.start_server(database_url, 3912, workdir)
    load = Load(base, [run.sign_in(base, f"load{n}@exampleco.test") for n in range(PEOPLE)])
    load.start()
    time.sleep(SECONDS / 2)
    server.kill()  # SIGKILL: no shutdown, no flush
    server.wait()
    load.finish()
    server, base = run.start_server(database_url, 3913, workdir)
    ready = run.request(urllib.request.build_opener(), "GET", f"{base}/readyz")[0]
    server.terminate()
    server.wait(timeout=30)
    found, twice, integrity = stored(db_file, load.acknowledged)
    ok = found == len(load.acknowledged) and twice == 0 and integrity == "ok" and ready == 200
    failures += not ok
    print(f"kill -9 under write load: {len(load.acknowledged)} writes acknowledged before the kill, "
          f"{found} present after the restart, integrity_check {integrity}, "
          f"ready again: {ready == 200} — {'OK' if ok else 'FAILED'}")

    failures = postgres_restart(failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
