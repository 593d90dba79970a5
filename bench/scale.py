#!/usr/bin/env python3
"""`make scale`: two release servers behind nginx on one PostgreSQL.

The topology a company moves to when one machine is not enough: nginx (Debian's) balances
round robin over two `timesheets serve` instances that share one PostgreSQL database and
sign people in with the embedded provider (its issuer is the balancer's URL). nginx adds
`X-Upstream` (the instance that answered) to every response, so a client can see where
each request landed.

    bench/scale.py            the checks below; exits non-zero if one fails
    bench/scale.py serve      only the topology, until SIGTERM (the Playwright suite's
                              load-balancer test starts it as a web server)

The checks:
1. Sign-ins through the balancer: each person's authorize page, login form and code
   exchange land on different instances and still succeed (sessions, codes and PKCE
   verifiers are in the database).
2. Writes, reads and renewals (refresh-token rotation) spread over both instances.
   A third of the way in, one instance is killed with `kill -9` and started again a few
   seconds later.
   A request in flight at the kill gets a 502 from nginx; the client retries it as
   documented (same entry id, so the retry cannot store it twice). Every acknowledged
   write is stored exactly once, no answer is another 5xx, and everyone's refresh token
   keeps renewing through whichever instance is up (a renewal cut off by the kill is sent
   again; if it had rotated the token already, the person signs in again).
3. `timesheets keys rotate` while both instances run: a token signed with the new key by
   one instance is accepted by the other, and a token signed before the rotation still
   works on both.

Standard library only; nginx and psql from Debian.
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the bench's server, CLI and sign-in helpers)
import reliability  # noqa: E402  (its load and the count of stored writes)

PEOPLE = 8
WRITERS = int(os.environ.get("SCALE_WRITERS", "8"))
SECONDS = float(os.environ.get("SCALE_SECONDS", "12"))
# A client retries a request cut off by a crash (502 from the balancer) this often.
RETRIES = 5

NGINX_CONF = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
daemon off;
user root;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/nginx-body;
  proxy_temp_path {dir}/nginx-proxy;
  fastcgi_temp_path {dir}/nginx-fastcgi;
  uwsgi_temp_path {dir}/nginx-uwsgi;
  scgi_temp_path {dir}/nginx-scgi;
  upstream timesheets {{
    server 127.0.0.1:{a} max_fails=1 fail_timeout=2s;
    server 127.0.0.1:{b} max_fails=1 fail_timeout=2s;
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{lb};
    client_max_body_size 64m;
    location / {{
      proxy_pass http://timesheets;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # A refused connection goes to the other instance (nginx does so for POST too:
      # nothing was sent). A request cut off after it was sent is answered 502, never
      # replayed by nginx: only the client knows whether that is safe.
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""


def say(text):
    run.say(f"scale: {text}")


class Topology:
    """nginx on `port`, instances on `port + 1` and `port + 2`, a fresh database."""

    def __init__(self, port, workdir):
        self.workdir = workdir
        self.lb_port, self.ports = port, (port + 1, port + 2)
        self.base = f"http://127.0.0.1:{port}"
        self.admin = run.postgres_admin_url()
        if not self.admin:
            raise SystemExit("scale: no PostgreSQL reachable (start it, or set BENCH_POSTGRES_URL)")
        self.name = f"ts_scale_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        subprocess.run(["psql", self.admin, "-qc", f'CREATE DATABASE "{self.name}"'], check=True)
        self.database_url = self.admin.rsplit("/", 1)[0] + f"/{self.name}"
        self.servers = {}
        self.nginx = None

    def start_instance(self, port):
        # The issuer, the PWA's redirect URI and the login cookie are the balancer's. DPoP
        # nonces are on: both instances must hand out and accept the same ones.
        server, _ = run.start_server(self.database_url, port, self.workdir, {
            "PUBLIC_URL": self.base,
            "PROVIDER_ACCESS_TOKEN_SECS": os.environ.get("PROVIDER_ACCESS_TOKEN_SECS", "300"),
            "PROVIDER_DPOP_NONCE": "true",
        })
        self.servers[port] = server

    def start(self):
        # One after the other: the first migrates and seeds the demo company.
        for port in self.ports:
            self.start_instance(port)
        conf = self.workdir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=self.workdir, lb=self.lb_port, a=self.ports[0],
                                          b=self.ports[1]))
        log = open(self.workdir / "nginx.log", "w")
        self.nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-p", str(self.workdir)],
                                      stdout=log, stderr=log)
        for _ in range(100):
            if self.nginx.poll() is not None:
                raise SystemExit(f"scale: nginx exited; see {self.workdir}/nginx-error.log")
            try:
                if run.request(urllib.request.build_opener(), "GET", f"{self.base}/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit("scale: the balancer did not answer")

    def kill(self, port):
        server = self.servers.pop(port)
        server.kill()  # SIGKILL: no shutdown, no flush
        server.wait()

    def stop(self):
        if self.nginx and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(timeout=30)
        for server in self.servers.values():
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=30)
        self.servers = {}
        subprocess.run(["psql", self.admin, "-qc", f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'],
                       capture_output=True)


def upstream(headers):
    """The instance nginx sent a request to last (after a retry it names both)."""
    return (headers.get("X-Upstream") or "").split(",")[-1].strip()


class Person:
    """Someone signed in through the balancer, renewing when asked."""

    def __init__(self, topology, email, observe=None):
        self.topology, self.email = topology, email
        self.lock = threading.Lock()
        self.sign_in(observe)

    def sign_in(self, observe=None):
        tokens = run.sign_in_tokens(self.topology.base, self.email, "offline_access", observe)
        self.access, self.refresh = tokens["access_token"], tokens["refresh_token"]

    def renew(self):
        """One refresh through the balancer: (status, instance)."""
        with self.lock:
            try:
                status, headers, body = run.request(
                    urllib.request.build_opener(), "POST", f"{self.topology.base}/oauth/token",
                    {"grant_type": "refresh_token", "refresh_token": self.refresh,
                     "client_id": "timesheets-pwa"})
            except OSError:
                return 502, ""
            if status == 200:
                tokens = json.loads(body)
                self.access, self.refresh = tokens["access_token"], tokens["refresh_token"]
            return status, upstream(headers)


class Load(reliability.Load):
    """Writers (unique ids, retried on 502), readers and renewals through the balancer."""

    def __init__(self, topology, people):
        super().__init__(topology.base, [])
        self.topology, self.people = topology, people
        self.retried, self.renewals, self.renewal_failures = 0, 0, 0
        self.renewals_cut_off, self.signed_in_again = 0, 0
        self.by_instance = {}

    def landed(self, instance):
        with self.lock:
            self.by_instance[instance] = self.by_instance.get(instance, 0) + 1

    def call(self, method, path, person, body=None):
        """A request with the documented client retry: a 502 (cut off by a crash) is sent
        again, the same request, at most RETRIES times."""
        opener = urllib.request.build_opener()
        for attempt in range(RETRIES + 1):
            try:
                status, headers, _ = run.request(
                    opener, method, f"{self.topology.base}{path}",
                    headers={"Authorization": f"Bearer {person.access}"}, json_body=body)
                self.landed(upstream(headers))
            except OSError:
                status = 502  # the balancer's connection broke: the same as its 502
            if status != 502 or attempt == RETRIES:
                return status
            with self.lock:
                self.retried += 1
            time.sleep(0.05)
        return status

    def count(self, status):
        with self.lock:
            if status >= 500:
                self.server_errors += 1
            elif not 200 <= status < 300:
                self.other += 1

    def writer(self, n):
        count = 0
        while not self.stop.is_set():
            person = self.people[(n + count) % len(self.people)]
            entry_id = str(uuid.uuid4())
            day = (n * 7919 + count) % 3000
            date = time.strftime("%Y-%m-%d", time.gmtime(946684800 + day * 86400))
            count += 1
            status = self.call("POST", "/api/timesheets", person, {
                "id": entry_id, "project": "ACME", "date": date, "minutes": 1,
                "note": entry_id, "status": "draft"})
            if 200 <= status < 300:
                with self.lock:
                    self.acknowledged.append(entry_id)
            self.count(status)

    def reader(self, n):
        while not self.stop.is_set():
            self.count(self.call("GET", "/api/timesheets?limit=50", self.people[n % len(self.people)]))

    def renewer(self):
        while not self.stop.is_set():
            for person in self.people:
                status, instance = person.renew()
                self.landed(instance)
                if status == 502:
                    # Cut off by the kill. The documented client: send it again; if the
                    # cut-off renewal had rotated the token already, that is reuse, the
                    # family is revoked (400), and the person signs in again.
                    status, instance = person.renew()
                    with self.lock:
                        self.renewals_cut_off += 1
                    if status == 400:
                        person.sign_in()
                        status = 200
                        with self.lock:
                            self.signed_in_again += 1
                with self.lock:
                    self.renewals += 1
                    self.renewal_failures += status != 200
            time.sleep(0.2)


def kid_of(token):
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def check_sign_ins(topology):
    say(f"signing {PEOPLE} people in through the balancer")
    for n in range(PEOPLE):
        run.cli(["users", "add", "--database-url", topology.database_url, "--email",
                 f"scale{n}@exampleco.test", "--name", f"Scale {n}", "--role", "employee"],
                {"TIMESHEETS_PASSWORD": run.PASSWORD})
    seen = set()
    people = [Person(topology, f"scale{n}@exampleco.test", lambda h: seen.add(upstream(h)))
              for n in range(PEOPLE)]
    seen.discard("")
    ok = seen == {f"127.0.0.1:{port}" for port in topology.ports}
    print(f"sign-ins through the balancer: {PEOPLE} people signed in, their requests answered by "
          f"{', '.join(sorted(seen))} — {'OK' if ok else 'FAILED'}")
    return people, not ok


def check_load_and_kill(topology, people):
    victim = topology.ports[0]
    say(f"{WRITERS} writers, 2 readers and renewals for {SECONDS:.0f} s; kill -9 of :{victim} halfway")
    load = Load(topology, people)
    load.start(WRITERS, 2, load.renewer)
    time.sleep(SECONDS / 3)
    topology.kill(victim)
    killed_at = time.monotonic()
    time.sleep(SECONDS / 3)
    acked_while_down = len(load.acknowledged)
    topology.start_instance(victim)
    restarted_after = time.monotonic() - killed_at
    # nginx waits fail_timeout before it tries the restarted instance again.
    time.sleep(SECONDS / 3)
    load.finish()
    # Everyone renews once more, through each instance in turn, after the storm.
    renew_after = [person.renew() for person in people for _ in range(2)]
    renewed_on = {instance for status, instance in renew_after if status == 200}
    found, twice = reliability.stored_in_postgres(topology.database_url, load.acknowledged)
    total = sum(load.by_instance.values())
    spread = ", ".join(f"{instance or 'none'} {100 * count / max(total, 1):.0f} %"
                       for instance, count in sorted(load.by_instance.items()))
    ok = (found == len(load.acknowledged) and twice == 0 and load.server_errors == 0
          and load.renewal_failures == 0 and all(s == 200 for s, _ in renew_after)
          and len(renewed_on) == 2 and len([i for i in load.by_instance if i]) == 2)
    print(f"kill -9 of one instance under load: {len(load.acknowledged)} writes acknowledged "
          f"({acked_while_down} by the end of the outage), {found} stored, {twice} stored twice; "
          f"{load.retried} requests cut off by the kill and retried (502), {load.server_errors} "
          f"other 5xx, {load.other} other non-2xx; {load.renewals} renewals, "
          f"{load.renewals_cut_off} cut off and sent again ({load.signed_in_again} of them signed in "
          f"again), {load.renewal_failures} refused; instance back after {restarted_after:.1f} s; "
          f"requests by instance: {spread}; everyone renewed afterwards through "
          f"{len(renewed_on)} instances — {'OK' if ok else 'FAILED'}")
    return not ok


def check_key_rotation(topology, people):
    say("timesheets keys rotate while both instances run")
    person = people[0]
    old_token, old_kid = person.access, kid_of(person.access)
    rotated = run.cli(["keys", "rotate", "--database-url", topology.database_url])
    new_kid = rotated.split("new signing key ", 1)[1].split(";", 1)[0]
    answers = {}
    for _ in range(4):  # renewals alternate between the instances
        status, instance = person.renew()
        if status == 200:
            answers[instance] = kid_of(person.access)
    opener = urllib.request.build_opener()
    on_each = []
    for port in topology.ports:
        for token in (old_token, person.access):
            status = run.request(opener, "GET", f"http://127.0.0.1:{port}/api/me",
                                 headers={"Authorization": f"Bearer {token}"})[0]
            on_each.append(status)
    ok = (len(answers) == 2 and set(answers.values()) == {new_kid} and old_kid != new_kid
          and on_each == [200] * 4)
    print(f"key rotation seen by both: tokens signed by {len(answers)} instances after the rotation "
          f"carry the new key ({new_kid[:8]}…), the old and the new token are accepted by each "
          f"instance ({on_each}) — {'OK' if ok else 'FAILED'}")
    return not ok


def serve(port):
    workdir = Path(tempfile.mkdtemp(prefix="timesheets-scale-"))
    topology = Topology(port, workdir)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        topology.start()
        print(f"balancer on {topology.base}, instances on {topology.ports}, database {topology.name}",
              flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        topology.stop()


def main():
    port = int(os.environ.get("SCALE_PORT", "3920"))
    if sys.argv[1:] == ["serve"]:
        return serve(port)
    workdir = Path(tempfile.mkdtemp(prefix="timesheets-scale-"))
    topology = Topology(port, workdir)
    failures = 0
    try:
        topology.start()
        people, failed = check_sign_ins(topology)
        failures += failed
        failures += check_load_and_kill(topology, people)
        failures += check_key_rotation(topology, people)
    finally:
        topology.stop()
    print(f"scale: {3 - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
