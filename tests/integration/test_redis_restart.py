"""Redis dies and comes back (SIGKILL, restarted empty on the same port): two web processes keep
serving, live pushes resume on the sockets that stayed open and on new ones, /readyz tells the
outage, and the arq worker carries on reclaiming expired leases."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update
from websockets.asyncio.client import connect

from app.models_base import utcnow
from app.work.models import Assignment
from tests.integration.conftest import Api
from tests.integration.test_board_socket import bearer, counts, first_message, wait_for_counts
from tests.redis_server import RedisServer
from tests.support import ServerThread, backend

pytestmark = pytest.mark.skipif(backend() != "postgres",
                                reason="a Redis restart needs the scale-out backend (PostgreSQL + Redis pass)")

#: Pushes must resume this soon after Redis accepts connections again.
RESUME_DEADLINE = 5.0
#: The worker's reclaim period (app.jobs.worker) and the slack for arq's poll and our own reads.
RECLAIM_PERIOD, RECLAIM_SLACK = 5.0, 1.5
WORKER = [str(Path(sys.executable).with_name("inkwell")), "worker"]


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def two_processes(settings, redis_server):
    """Two web apps on the private Redis, each with its own Channels plugin and connections."""
    private = dataclasses.replace(settings, redis_url=redis_server.url)
    first, second = ServerThread(private).start(), ServerThread(private).start()
    yield first, second
    first.stop()
    second.stop()


def ws(server: ServerThread, project_id: int) -> str:
    return server.url.replace("http://", "ws://", 1) + f"/ws/projects/{project_id}/board"


async def readyz(server: ServerThread) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(server.url + "/readyz")


async def test_pushes_resume_on_open_and_new_sockets_after_redis_restarts(
        two_processes, redis_server, admin_token, new_project, caplog):
    caplog.set_level(logging.INFO, logger="app.realtime")
    first, second = two_processes
    project = await new_project(items=1)
    pid = project["id"]
    async with Api(second.url, admin_token) as ops_on_second:
        async def add_items(n: int, batch: str) -> None:
            await ops_on_second.ok("POST", f"/projects/{pid}/items", status=201, params={"batch": batch},
                                   json=[{"text": f"{batch} {i}"} for i in range(n)])

        async with connect(ws(first, pid), additional_headers=bearer(ops_on_second)) as old_socket:
            assert counts(await first_message(old_socket))["items"] == 1
            await add_items(1, "before")
            await wait_for_counts(old_socket, time.monotonic() + RESUME_DEADLINE, items=2)

            redis_server.kill()
            await add_items(2, "during")  # writes never wait for live pushes
            down = await readyz(first)
            assert down.status_code == 503, down.text
            assert down.json()["database"] == "ok" and down.json()["redis"] == "unreachable"

            back_at = redis_server.start()
            # The socket that stayed open gets a fresh snapshot: the change made during the outage shows.
            _, arrived = await wait_for_counts(old_socket, back_at + RESUME_DEADLINE, items=4)
            assert arrived - back_at < RESUME_DEADLINE
            await add_items(1, "after")
            await wait_for_counts(old_socket, time.monotonic() + RESUME_DEADLINE, items=5)

            async with connect(ws(first, pid), additional_headers=bearer(ops_on_second)) as new_socket:
                assert counts(await first_message(new_socket))["items"] == 5
                await add_items(1, "later")
                await wait_for_counts(new_socket, time.monotonic() + RESUME_DEADLINE, items=6)
                await wait_for_counts(old_socket, time.monotonic() + RESUME_DEADLINE, items=6)

    ready = await readyz(first)
    assert ready.status_code == 200, ready.text
    assert ready.json() | {"worker": None} == {"status": "ready", "database": "ok", "redis": "ok",
                                               "channels": "subscribed", "worker": None}
    messages = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "app.realtime"]
    assert any(level == logging.WARNING and "lost Redis" in text for level, text in messages), messages
    assert any(level == logging.INFO and "Redis is back" in text for level, text in messages), messages


async def expire_now(db, assignment_id: int) -> None:
    async with db.transaction() as session:
        await session.execute(update(Assignment).where(Assignment.id == assignment_id)
                              .values(expires_at=utcnow()))


async def state_of(db, assignment_id: int) -> str:
    async with db.transaction() as session:
        return (await session.execute(select(Assignment.state).where(Assignment.id == assignment_id))).scalar_one()


async def wait_reclaimed(db, assignment_id: int, deadline: float) -> float:
    while time.monotonic() < deadline:
        if await state_of(db, assignment_id) == "expired":
            return time.monotonic()
        await asyncio.sleep(0.2)
    raise AssertionError(f"lease {assignment_id} still {await state_of(db, assignment_id)!r}: not reclaimed in time")


async def test_the_worker_survives_a_redis_restart_and_reclaims_within_one_period(
        settings, redis_server, new_project, quick_user, db, tmp_path):
    project = await new_project(items=3, launch=True)
    pid = project["id"]
    _, alice = await quick_user("contributor", pid)
    _, bob = await quick_user("contributor", pid)
    env = os.environ | {"DATABASE_URL": settings.database_url, "REDIS_URL": redis_server.url,
                        "SECRET_KEY": settings.secret_key}
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log_file:
        worker = subprocess.Popen(WORKER, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        held = (await alice.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]["id"]
        await expire_now(db, held)
        await wait_reclaimed(db, held, time.monotonic() + RECLAIM_PERIOD + RECLAIM_SLACK + 10)  # worker start-up

        redis_server.kill()
        await asyncio.sleep(1)  # the worker notices (it polls Redis every 0.5 s)
        redis_server.start()
        await asyncio.sleep(1)
        assert worker.poll() is None, f"the worker exited ({worker.returncode}):\n{log_path.read_text()[-3000:]}"

        again = (await bob.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]["id"]
        await expire_now(db, again)
        expired_at = time.monotonic()
        reclaimed_at = await wait_reclaimed(db, again, expired_at + RECLAIM_PERIOD + RECLAIM_SLACK)
        assert reclaimed_at - expired_at <= RECLAIM_PERIOD + RECLAIM_SLACK
        log = log_path.read_text()
        assert "worker: lost Redis" in log and "worker: Redis is back" in log, log[-3000:]
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
