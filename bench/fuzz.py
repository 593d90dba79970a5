#!/usr/bin/env python3
"""`make fuzz`: schemathesis against `/api/openapi.json` of a release server (SQLite, demo
company) with a valid token of each kind of caller — employee, manager, batch client —
checking that no answer is a 5xx and every answer matches the document."""

import os
import subprocess
import sys
import tempfile
import urllib.request
import json
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402

ST = os.environ.get("SCHEMATHESIS", "st")
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "50")


def client_token(base):
    status, _, body = run.request(urllib.request.build_opener(), "POST", f"{base}/oauth/token",
                                  form={"grant_type": "client_credentials",
                                        "client_id": run.CLIENT_ID,
                                        "client_secret": run.CLIENT_SECRET})
    assert status == 200, body
    return json.loads(body)["access_token"]


def main():
    workdir = Path(tempfile.mkdtemp(prefix="timesheets-fuzz-"))
    server, base = run.start_server(f"sqlite://{workdir}/fuzz.db", 3921, workdir)
    failed = []
    try:
        callers = []
        for email, password in [("emma@exampleco.test", "emma-demo-pass"),
                                ("maria@exampleco.test", "maria-demo-pass")]:
            run.PASSWORD = password
            callers.append((email, run.sign_in(base, email)))
        callers.append(("batch client", client_token(base)))
        for who, token in callers:
            run.say(f"schemathesis as {who}")
            result = subprocess.run(
                [ST, "run", f"{base}/api/openapi.json", "-H", f"Authorization: Bearer {token}",
                 "--checks", "not_a_server_error,response_schema_conformance",
                 "--max-examples", EXAMPLES, "--workers", "2"],
                capture_output=True, text=True)
            summary = [line for line in result.stdout.splitlines()
                       if "generated" in line or "failure" in line.lower()]
            print(f"{who}: {'; '.join(summary[-2:]) if summary else result.stdout[-300:]}")
            if result.returncode != 0:
                failed.append(who)
                print(result.stdout[-4000:])
    finally:
        server.terminate()
        server.wait(timeout=30)
    errors = [line for line in (workdir / "server-3921.log").read_text().splitlines() if "ERROR" in line]
    print(f"server errors logged: {len(errors)}")
    for line in errors[:5]:
        print("  " + line)
    sys.exit(1 if failed or errors else 0)


if __name__ == "__main__":
    main()
