"""Schemathesis over the whole public API of the running app: any 5xx fails the run (`make test-fuzz`).

The real app (tests/support.py) on the backend INKWELL_TEST_BACKEND selects (sqlite, or postgres with
INKWELL_TEST_DATABASE_URL and INKWELL_TEST_REDIS_URL), with a launched project holding items, a lease,
a comment and an escalation, so the ids schemathesis is given name real rows. Schemathesis reads the
app's OpenAPI document (request bodies included) and runs every operation (examples, coverage and
fuzzing phases), first with a contributor's token, then with an ops token (ops can deactivate people
and revoke tokens, so it goes last), each run bounded by FUZZ_SECONDS (default 50) with a fixed seed.
Path ids are mostly real ones or ones no column can hold, ``after`` is often huge and text fields
often hold a NUL (the inputs of issue 11); ``not_a_server_error`` is the only check: the server
must never fail, whatever it is sent.

    python -m tests.fuzz.api_fuzz            # exit status 0 when no operation answered 5xx
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.support import ServerThread, backend, reset_database, test_settings

SECONDS = int(os.environ.get("FUZZ_SECONDS", "50"))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
SEED = os.environ.get("FUZZ_SEED", "20260101")
BIN = Path(sys.executable).parent


async def make_ops_token(database_url: str) -> str:
    """The first ops user, made in the database as `inkwell seed` would (no API user exists yet)."""
    from app.accounts.service import create_user, issue_token
    from app.db import Database

    db = Database(database_url)
    async with db.transaction() as session:
        user = await create_user(session, email="fuzz-ops@test.local", name="Fuzz Ops",
                                 password=secrets.token_urlsafe(24), role="ops")
        token = await issue_token(session, user)
    await db.dispose()
    return token


def populate(base_url: str, ops_token: str) -> tuple[str, dict[str, list[int]]]:
    """A launched project with items, a contributor holding a lease, a comment and an escalation;
    returns the contributor's token and the ids by path parameter name."""
    ops = httpx.Client(base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {ops_token}"}, timeout=30)

    def ok(client: httpx.Client, method: str, path: str, **kwargs) -> dict:
        response = client.request(method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path} -> {response.status_code}: {response.text}"
        return response.json() if response.content else {}

    project = ok(ops, "POST", "/projects", json={
        "name": "Fuzzed", "purpose": "Schemathesis", "guidelines": "# Label it", "overlap": 2,
        "interface": [{"name": "sentiment", "type": "choice", "options": ["pos", "neg"]},
                      {"name": "note", "type": "text", "required": False}],
        "quality": {"benchmark": {"size": 1}, "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]},
        "review": {"stages": [{"name": "Check", "level": 1, "share": 1.0}], "tags": ["wrong"]}})
    pid = project["id"]
    ok(ops, "POST", f"/projects/{pid}/items", params={"batch": "gold"},
       json=[{"data": {"text": "gold"}, "gold": {"sentiment": "pos"}}])
    ok(ops, "POST", f"/projects/{pid}/items", json=[{"text": f"item {i}"} for i in range(20)])
    ok(ops, "POST", f"/projects/{pid}/launch")
    password = secrets.token_urlsafe(18)
    person = ok(ops, "POST", "/users", json={"email": "fuzz-contributor@test.local", "name": "Fuzz Contributor",
                                             "password": password, "role": "contributor"})
    ok(ops, "POST", f"/projects/{pid}/members", json={"user_id": person["id"], "role": "contributor"})
    token = ok(ops, "POST", "/auth/token", json={"email": person["email"], "password": password})["token"]
    contributor = httpx.Client(base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    flagged = ok(contributor, "POST", f"/projects/{pid}/next")["assignment"]
    comment = ok(contributor, "POST", f"/items/{flagged['item']['id']}/comments", json={"body": "Is this sarcasm?"})
    escalation = ok(contributor, "POST", f"/projects/{pid}/escalations",
                    json={"note": "Not in the guidelines", "assignment_id": flagged["id"]})["escalation"]
    held = contributor.post(f"/projects/{pid}/next")  # the lease schemathesis submits to and skips
    lease = held.json()["assignment"] if held.status_code == 200 else flagged
    ops.close()
    contributor.close()
    ids = {"project_id": [pid], "item_id": [lease["item"]["id"], flagged["item"]["id"]],
           "assignment_id": [lease["id"]], "comment_id": [comment["comment"]["id"]], "user_id": [person["id"]],
           "escalation_id": [escalation["id"]], "version": [1]}
    return token, ids


#: Past PostgreSQL's INTEGER, past BIGINT, past any machine integer (strings: TOML integers stop at 2⁶³).
HUGE = ["2147483648", "9223372036854775808", "18446744073709551616"]
#: Text fields a NUL is offered to (TOML cannot spell a lone surrogate; tests/integration covers those).
TEXT_FIELDS = ("email", "password", "name", "purpose", "guidelines", "changelog", "note", "body", "reason",
               "comment", "resolution", "answer.note")


def config_file(ids: dict[str, list[int]]) -> Path:
    """schemathesis.toml: each path id is a real one or one no column can hold most of the time;
    ``after`` is often huge and the text fields often hold a NUL."""
    dictionaries = {name: values + HUGE for name, values in ids.items()} | {"huge": HUGE}
    lines = []
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines += ["[dictionaries.nul]", f"values = {json.dumps(['a' + chr(0) + 'b', chr(0)])}", "", "[parameters]"]
    lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.8 }}' for name in ids]
    lines.append('"query.after" = { dictionary = "huge", probability = 0.3 }')
    lines += [f'"body.{field}" = {{ dictionary = "nul", probability = 0.2 }}' for field in TEXT_FIELDS]
    path = Path(tempfile.mkdtemp(prefix="inkwell-fuzz-")) / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_schemathesis(base_url: str, token: str, who: str, config: Path) -> bool:
    command = [str(BIN / "schemathesis"), "--config-file", str(config), "--no-color", "run",
               f"{base_url}/schema/openapi.json", "--url", base_url,
               "--checks", "not_a_server_error", "--phases", "examples,coverage,fuzzing",
               "--max-examples", str(EXAMPLES), "--max-time", str(SECONDS), "--seed", SEED, "--workers", "1",
               "--request-timeout", "30", "--suppress-health-check", "all", "--warnings", "off",
               "--header", f"Authorization: Bearer {token}"]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    print(f"--- schemathesis as {who} on {backend()}: exit {result.returncode} in {time.monotonic() - started:.0f} s")
    output = result.stdout.strip().splitlines()
    print("\n".join(output if result.returncode else output[-12:]))
    if result.returncode:
        print(result.stderr[-4000:], file=sys.stderr)
    return result.returncode == 0


def main() -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the set-up's requests; the app's errors still show
    settings = test_settings()
    reset_database(settings)
    server = ServerThread(settings).start()
    try:
        ops_token = asyncio.run(make_ops_token(settings.database_url))
        contributor_token, ids = populate(server.url, ops_token)
        config = config_file(ids)
        passed = [run_schemathesis(server.url, contributor_token, "contributor", config),
                  run_schemathesis(server.url, ops_token, "ops", config)]
    finally:
        server.stop()
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())
