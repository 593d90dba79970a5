#!/usr/bin/env python3
"""`make reliability`: no acknowledged write is lost, none is stored twice.

1. Load without loss: writer and reader threads run against a release server (SQLite)
   for a while; every write has a unique client id. Afterwards every write answered 2xx
   is in the database exactly once, and no answer was a 5xx.
2. kill -9 during the same write load, then a restart on the same file: every write
   acknowledged before the kill is there, and `PRAGMA integrity_check` says ok.

Standard library only (sqlite3 reads the database file directly).
"""

import os
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


def setup(workdir, port):
    database_url = f"sqlite://{workdir}/reliability.db"
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
        self.acknowledged, self.server_errors, self.other = [], 0, 0
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
                    json_body={"id": entry_id, "project": "ACME", "date": date,
                               "minutes": 1, "status": "draft"})
            except OSError:
                continue  # the server is gone (kill -9): this write was never acknowledged
            with self.lock:
                if 200 <= status < 300:
                    self.acknowledged.append(entry_id)
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
            if status >= 500:
                with self.lock:
                    self.server_errors += 1

    def start(self):
        self.threads = [threading.Thread(target=self.writer, args=(n,)) for n in range(WRITERS)]
        self.threads += [threading.Thread(target=self.reader, args=(n,)) for n in range(READERS)]
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()


def stored(db_file, ids):
    with sqlite3.connect(db_file) as db:
        db.execute("CREATE TEMP TABLE acked (id TEXT PRIMARY KEY)")
        db.executemany("INSERT INTO acked VALUES (?)", [(i,) for i in ids])
        found = db.execute("SELECT COUNT(*) FROM entries WHERE id IN (SELECT id FROM acked)").fetchone()[0]
        twice = db.execute("SELECT COUNT(*) FROM (SELECT id FROM entries GROUP BY id HAVING COUNT(*) > 1)").fetchone()[0]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    return found, twice, integrity


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
    ok = found == len(load.acknowledged) and twice == 0 and load.server_errors == 0
    failures += not ok
    print(f"load without loss: {len(load.acknowledged)} writes acknowledged in {SECONDS:.0f} s, "
          f"{found} stored, {twice} stored twice, {load.server_errors} 5xx, "
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
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
