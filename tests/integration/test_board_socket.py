"""The live board over a WebSocket: a full snapshot on connect, pushes within a second of a change,
and nothing at all for people who may not see it."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

PUSH_DEADLINE = 1.0


def counts(html: str) -> dict[str, int]:
    found = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    return {name: int(value) for name, value in found.items()}


def bearer(api) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token}"}


async def first_message(socket) -> str:
    return await asyncio.wait_for(socket.recv(), timeout=5)


async def wait_for_counts(socket, deadline: float, **expected: int) -> tuple[str, float]:
    """Messages until one shows ``expected`` counts; fails if none does before ``deadline`` (monotonic)."""
    seen = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no push showing {expected} in time; saw {seen}")
        try:
            message = await asyncio.wait_for(socket.recv(), timeout=remaining)
        except asyncio.TimeoutError:
            raise AssertionError(f"no push showing {expected} in time; saw {seen}") from None
        now = counts(message)
        seen.append(now)
        if all(now.get(k) == v for k, v in expected.items()):
            return message, time.monotonic()


async def assert_refused(url: str, headers: dict[str, str]) -> None:
    """The handshake is rejected, or the socket is closed with a 44xx code before any board is sent."""
    try:
        async with connect(url, additional_headers=headers, open_timeout=5) as socket:
            try:
                message = await asyncio.wait_for(socket.recv(), timeout=5)
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
                assert code is not None and 4400 <= code < 4500, f"closed with {code}"
                return
            raise AssertionError(f"a refused socket was sent: {message[:200]}")
    except InvalidStatus as exc:
        assert exc.response.status_code in (401, 403, 404), exc.response.status_code


async def test_snapshot_then_a_push_within_a_second_of_a_submit(new_project, quick_user, ws_url, ops):
    project = await new_project(items=3, launch=True, batch="live-batch")
    pid = project["id"]
    _, alice = await quick_user("contributor", pid)

    async with connect(ws_url(pid), additional_headers=bearer(ops)) as socket:
        snapshot = await first_message(socket)
        assert 'id="board"' in snapshot and "live-batch" in snapshot
        assert counts(snapshot) | {"answers_last_hour": 0} == {
            "items": 3, "queued": 3, "leased": 0, "submitted": 0, "completed": 0, "answers_last_hour": 0}

        assignment = (await alice.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]
        await wait_for_counts(socket, time.monotonic() + PUSH_DEADLINE, leased=1, queued=2)

        await alice.ok("POST", f"/assignments/{assignment['id']}/submit", status=201,
                       json={"answer": {"sentiment": "pos"}})
        submitted_at = time.monotonic()
        message, arrived_at = await wait_for_counts(socket, submitted_at + PUSH_DEADLINE, submitted=1)
        assert arrived_at - submitted_at < PUSH_DEADLINE
        assert counts(message) == {"items": 3, "queued": 2, "leased": 0, "submitted": 1, "completed": 1,
                                   "answers_last_hour": 1}


async def test_ops_changes_are_pushed_too(new_project, ws_url, ops):
    project = await new_project(items=1)
    pid = project["id"]
    async with connect(ws_url(pid), additional_headers=bearer(ops)) as socket:
        assert counts(await first_message(socket))["items"] == 1
        await ops.ok("POST", f"/projects/{pid}/items", status=201, params={"batch": "more"},
                     json=[{"text": "x"}, {"text": "y"}, {"data": {"text": "g"}, "gold": {"sentiment": "pos"}}])
        message, _ = await wait_for_counts(socket, time.monotonic() + PUSH_DEADLINE, items=3)
        assert "more" in message

        await ops.ok("POST", f"/projects/{pid}/launch", status=200)
        await ops.ok("POST", f"/projects/{pid}/pause", status=200)
        deadline = time.monotonic() + PUSH_DEADLINE
        while "the project is paused" not in message:
            message = await asyncio.wait_for(socket.recv(), timeout=max(deadline - time.monotonic(), 0.001))


async def test_reconnect_gets_a_fresh_full_snapshot(new_project, quick_user, ws_url, ops):
    project = await new_project(items=2, launch=True)
    pid = project["id"]
    _, alice = await quick_user("contributor", pid)
    async with connect(ws_url(pid), additional_headers=bearer(ops)) as socket:
        assert counts(await first_message(socket))["submitted"] == 0

    # Changes while nobody is watching...
    for _ in range(2):
        assignment = (await alice.ok("POST", f"/projects/{pid}/next"))["assignment"]
        await alice.ok("POST", f"/assignments/{assignment['id']}/submit", status=201,
                       json={"answer": {"sentiment": "neg"}})

    # ...are all in the first message after reconnecting, without waiting for another change.
    async with connect(ws_url(pid), additional_headers=bearer(ops)) as socket:
        snapshot = await first_message(socket)
        assert 'id="board"' in snapshot
        assert counts(snapshot) == {"items": 2, "queued": 0, "leased": 0, "submitted": 2, "completed": 2,
                                    "answers_last_hour": 2}


async def test_a_client_member_may_watch(new_project, quick_user, ws_url):
    project = await new_project(items=4, launch=True)
    _, client = await quick_user("client", project["id"])
    async with connect(ws_url(project["id"]), additional_headers=bearer(client)) as socket:
        assert counts(await first_message(socket))["items"] == 4


async def test_a_contributor_is_refused(new_project, quick_user, ws_url):
    project = await new_project(items=1, launch=True)
    _, alice = await quick_user("contributor", project["id"])
    await assert_refused(ws_url(project["id"]), bearer(alice))


async def test_a_client_of_another_project_is_refused(new_project, quick_user, ws_url):
    mine = await new_project(items=1)
    theirs = await new_project(items=1)
    _, client = await quick_user("client", mine["id"])
    await assert_refused(ws_url(theirs["id"]), bearer(client))


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer ink_wrong"}, {"Cookie": "inkwell_session=forged"}])
async def test_no_or_wrong_credentials_are_refused(new_project, ws_url, headers):
    project = await new_project(items=1)
    await assert_refused(ws_url(project["id"]), headers)


@pytest.mark.parametrize("project_id", [987_654_321, 2**31, 2**63])
async def test_an_unknown_project_is_refused(ws_url, ops, project_id):
    await assert_refused(ws_url(project_id), bearer(ops))


async def test_the_browser_session_cookie_is_enough(server, new_project, ws_url):
    """Browsers cannot set headers on a WebSocket: the session cookie from signing in must do."""
    project = await new_project(items=5)
    async with httpx.AsyncClient(base_url=server.url) as browser:
        form = await browser.get("/login")
        assert form.status_code == 200
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        assert csrf, "the sign-in form carries a CSRF token"
        signed_in = await browser.post("/login", data={"email": "root-ops@test.local", "password": "root-quiet-lantern-42",
                                                       "next": "/", "_csrf_token": csrf.group(1)})
        assert signed_in.status_code == 303, signed_in.text
        session = browser.cookies.get("inkwell_session")
        assert session
    cookie = {"Cookie": f"inkwell_session={session}"}
    async with connect(ws_url(project["id"]), additional_headers=cookie) as socket:
        assert counts(await first_message(socket))["items"] == 5

