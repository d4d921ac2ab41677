"""kill -9 the web process while 20 contributors submit: no accepted answer is lost or doubled.

The real server runs as its own process (``inkwell serve``) on a database of its own (a fresh SQLite
file; on PostgreSQL the test database's name + ``_fault``, with Redis). Twenty clients each loop
next -> submit, every submit with an Idempotency-Key of its own, and retry that same submit with the
same key after any connection error or 5xx until it gets 201 (accepted) or 409 (refused). Part-way
through, the process is killed with SIGKILL (no shutdown, transactions cut wherever they are) and
started again on the same port; the clients carry on. A kill seldom lands between a commit and its
response, so the client also loses the first response of every third submit (as if the connection
dropped after the server answered): the answer is stored, and the retry must be told 201 (replayed),
not 409. Then the export must hold exactly the answers the clients saw accepted: each once, with the
answer they sent, and nothing else.

A 409 to a retry whose first attempt was in fact stored would show here as an exported answer that no
client saw accepted: the retry must say 201 (replayed) for it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from app.config import ROOT
from tests.integration.conftest import qualify
from tests import support

CLIENTS = 20
#: A process start imports the whole app (a few seconds; ten times that on a machine busy with other runs).
STARTUP_SECONDS = 90
ITEMS = 3000
RUN_BEFORE_KILL = 2.0  # seconds of work before the kill (counted from the first accepted answer)
RUN_AFTER_RESTART = 2.0
INTERFACE = [{"name": "sentiment", "type": "choice", "options": ["pos", "neg", "neu"]},
             {"name": "note", "type": "text", "required": False, "max_length": 100}]


@dataclass
class Process:
    """``inkwell serve`` in a process of its own, to be killed."""

    env: dict[str, str]
    log: Path
    port: int = field(default_factory=support.free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Process":
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "inkwell"), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        with httpx.Client(timeout=1, verify=support.TLS) as probe:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, f"the server exited:\n{self.tail()}"
                try:
                    if probe.get(self.url + "/healthz").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        raise AssertionError(f"the server did not answer /healthz in {STARTUP_SECONDS} s:\n{self.tail()}")

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def fault_settings():
    """A database of the test's own: a killed server must not touch the suite's."""
    if support.backend() != "postgres":
        return support.test_settings()
    return support.test_settings(database_url=support.test_settings().database_url + "_fault")


async def people(database_url: str, count: int) -> tuple[str, list[str], list[int]]:
    """An ops token, and ``count`` contributors (tokens, ids), made in the database as the API would."""
    from app.accounts.models import User
    from app.accounts.passwords import hash_password
    from app.accounts.service import issue_token
    from app.db import Database

    db = Database(database_url)
    password_hash = hash_password(uuid.uuid4().hex)
    async with db.transaction() as session:
        ops = User(email=f"ops-{uuid.uuid4().hex[:6]}@test.local", name="Ops", password_hash=password_hash, is_ops=True)
        session.add(ops)
        await session.flush()
        ops_token = await issue_token(session, ops)
        tokens, ids = [], []
        for n in range(count):
            user = User(email=f"fault-{n}-{uuid.uuid4().hex[:6]}@test.local", name=f"Contributor {n}",
                        password_hash=password_hash)
            session.add(user)
            await session.flush()
            tokens.append(await issue_token(session, user))
            ids.append(user.id)
    await db.dispose()
    return ops_token, tokens, ids


async def members(database_url: str, project_id: int, ids: list[int]) -> None:
    from app.accounts.models import Membership
    from app.db import Database

    db = Database(database_url)
    async with db.transaction() as session:
        for user_id in ids:
            session.add(Membership(project_id=project_id, user_id=user_id, role="contributor"))
    await db.dispose()
    await qualify(database_url, project_id, ids)


@dataclass
class Tally:
    accepted: dict[int, tuple[int, dict]] = field(default_factory=dict)  # annotation id -> (item id, answer)
    accepted_at: list[float] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # 409s, with what was sent
    retries: int = 0
    replayed: int = 0  # 201s that returned an answer stored by an earlier attempt


async def contributor(n: int, url: str, token: str, project_id: int, stop: asyncio.Event, tally: Tally) -> None:
    """next -> submit until told to stop; a submit is retried with its key until it gets an answer."""
    async with httpx.AsyncClient(base_url=url + "/api/v1", headers={"Authorization": f"Bearer {token}"},
                                 timeout=5, verify=support.TLS) as http:

        async def until_answered(path: str, lose_first: bool = False, **kwargs) -> httpx.Response:
            while True:
                try:
                    response = await http.post(path, **kwargs)
                except httpx.TransportError:
                    response = None
                if lose_first:  # as if the connection dropped after the server answered
                    response, lose_first = None, False
                if response is not None and response.status_code < 500:
                    return response
                tally.retries += 1
                await asyncio.sleep(0.1)

        done = 0
        while not stop.is_set():
            lease = await until_answered(f"/projects/{project_id}/next")
            if lease.status_code == 204:
                return
            assert lease.status_code == 200, f"next: {lease.status_code} {lease.text}"
            assignment = lease.json()["assignment"]
            answer = {"sentiment": ("pos", "neg", "neu")[done % 3], "note": f"client {n} answer {done}"}
            submitted = await until_answered(f"/assignments/{assignment['id']}/submit", lose_first=done % 3 == 0,
                                             json={"answer": answer}, headers={"Idempotency-Key": uuid.uuid4().hex})
            if submitted.status_code == 201:
                annotation = submitted.json()["annotation"]
                tally.replayed += submitted.json()["replayed"]
                assert annotation["answer"]["note"] == answer["note"], submitted.text
                tally.accepted[annotation["id"]] = (assignment["item"]["id"], answer)
                tally.accepted_at.append(time.monotonic())
            elif submitted.status_code == 409:
                tally.refused.append(f"{answer['note']} on assignment {assignment['id']}: {submitted.text}")
            else:
                raise AssertionError(f"submit: {submitted.status_code} {submitted.text}")
            done += 1


async def test_accepted_answers_survive_a_kill_9(tmp_path):
    settings = fault_settings()
    await asyncio.to_thread(support.reset_database, settings)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env.update(DATABASE_URL=settings.database_url, SECRET_KEY="fault-test-secret-key", SECURE_COOKIES="false",
               PYTHONUNBUFFERED="1", **({"REDIS_URL": settings.redis_url} if settings.redis_url else {}))
    server = Process(env, tmp_path / "server.log")
    ops_token, tokens, ids = await people(settings.database_url, CLIENTS)
    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.url + "/api/v1", timeout=60,
                                     headers={"Authorization": f"Bearer {ops_token}"}) as ops:
            project = (await ops.post("/projects", json={
                "name": "Kill -9", "purpose": "Nothing accepted is lost", "guidelines": "# Tone", "overlap": 1,
                "interface": INTERFACE, "quality": {"benchmark": {"size": 1, "pass_threshold": 0.5},
                                                    "linters": [{"type": "too_fast", "seconds": 0.001,
                                                                 "severity": "warning"}]}})).json()
            pid = project["id"]
            for batch, rows in (("work", [{"text": f"item {i}"} for i in range(ITEMS)]),
                                ("gold", [{"data": {"text": "gold"}, "gold": {"sentiment": "pos"},
                                           "explanation": "Positive."}])):
                imported = await ops.post(f"/projects/{pid}/items", params={"batch": batch}, json=rows)
                assert imported.status_code == 201, imported.text
            assert (await ops.post(f"/projects/{pid}/launch")).status_code == 200
        await members(settings.database_url, pid, ids)

        tally, stop = Tally(), asyncio.Event()
        clients = [asyncio.create_task(contributor(n, server.url, token, pid, stop, tally))
                   for n, token in enumerate(tokens)]
        deadline = time.monotonic() + 30
        while not tally.accepted_at and time.monotonic() < deadline and not any(c.done() for c in clients):
            await asyncio.sleep(0.05)  # until the clients are under way
        await asyncio.sleep(RUN_BEFORE_KILL)
        server.kill9()
        killed_at = time.monotonic()
        await asyncio.to_thread(server.start)  # same port; the clients are retrying meanwhile
        restarted_at = time.monotonic()
        await asyncio.sleep(RUN_AFTER_RESTART)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*clients), timeout=60)

        async with httpx.AsyncClient(base_url=server.url + "/api/v1", timeout=60,
                                     headers={"Authorization": f"Bearer {ops_token}"}) as ops:
            export = await ops.get(f"/projects/{pid}/export", params={"format": "jsonl"})
        assert export.status_code == 200, export.text
    except BaseException:
        print(f"server log (tail):\n{server.tail()}")
        raise
    finally:
        server.stop()

    exported: dict[int, tuple[int, dict]] = {}
    seen: list[int] = []
    for line in export.text.splitlines():
        record = json.loads(line)
        for annotation in record["annotations"]:
            seen.append(annotation["id"])
            exported[annotation["id"]] = (record["id"], annotation["answer"])
        assert len(record["annotations"]) <= 1, f"item {record['id']} (overlap 1) has {record['annotations']}"
    before = sum(at < killed_at for at in tally.accepted_at)
    print(f"accepted {len(tally.accepted)} ({before} before the kill, {tally.replayed} replayed), refused "
          f"{len(tally.refused)}, retried {tally.retries} requests; down for {restarted_at - killed_at:.1f} s")
    assert before > 0 and len(tally.accepted) > before, "answers were accepted both before and after the kill"
    assert tally.retries > 0, "no client noticed the kill"
    assert tally.replayed > 0, "no retry found its answer already stored: the lost-response path went untested"
    assert len(seen) == len(set(seen)), "an answer is exported twice"
    lost = sorted(set(tally.accepted) - set(exported))
    assert not lost, f"{len(lost)} accepted answer(s) missing from the export: {lost[:10]}"
    unseen = {k: v for k, v in exported.items() if k not in tally.accepted}
    assert not unseen, (f"{len(unseen)} exported answer(s) no client saw accepted (refused: {tally.refused[:5]}): "
                        f"{list(unseen.items())[:5]}")
    assert exported == tally.accepted
    assert len(exported) == len(tally.accepted)
