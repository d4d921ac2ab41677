"""Gold stays secret from contributors, on every route they can reach.

The issue: "gold answers, explanations (before the contributor has answered), and the fact that an
item is gold never reach a contributor through any page, API response, WebSocket message or export
they can call. A test proves it for every route a contributor can reach." This is that test.

How it works
------------
Every gold item carries marker strings no one would type: its gold answer's text field is
``SECRETANSWER<tag><n>`` and its explanation ``SECRETEXPLANATION<tag><n>`` (not "GOLDSECRET...": the
word "gold" is itself checked for). Gold items look like production items (same data shape and
wording), sit in a batch named "gold" and have external ids ``ext-gold-...``, so a batch name or an
external id reaching a contributor would show too.

A contributor is brought to a moment that matters while holding a lease on a gold item they have not
answered, and then calls every route of the running app (``server.app.routes``: every method of every
HTTP route, OPTIONS included, and every WebSocket route), as a contributor can: JSON API with their
bearer token, pages with their session cookie (CSRF token and all), public routes, sockets. Every
response body and header (and every WebSocket message, including the ones pushed on /ws/me during the
whole scenario) is checked. Public routes (static files, /schema) are the same bytes for everyone: they are
checked to equal what an anonymous visitor gets, then for markers and ``ALWAYS`` only (app.css has an
ops-page class named "gold-count", which says nothing about any task). Routes for ops are called too: the check is that they refuse (status
asserted) and that the refusal says nothing. The enumeration is strict: a route the sweep does not
call fails ``test_every_route_is_covered`` with "route X not covered by the secrecy test", and the
sweep itself fails if any route was not exercised; a covered route that no longer exists fails too.

What is allowed when (decided from the issue's text)
------------------------------------------------------
* Before a contributor has answered an item, nothing about it: not its gold answer, not its
  explanation, not that it is gold. Markers of every gold item the contributor has not answered are
  forbidden everywhere, always.
* The word "gold" (any case, so also keys such as ``is_gold``/``gold``, the batch name, the external
  ids) is forbidden everywhere as long as the contributor has had no embedded check scored: mid-
  benchmark and mid-first-check nothing may even hint that gold exists.
* Benchmark items: their correct answers and explanations appear only in the gate review, once the
  gate is decided (issue: "After the gate, the contributor sees each benchmark item with their
  answer, the correct answer and its explanation"). Mid-benchmark, even the items already answered
  stay secret.
* An embedded check the contributor answered and failed: its feedback may show that the item was a
  check, the expected answer and the explanation ("sees why"; explanations are secret only "before
  the contributor has answered", and an explanation usually states the answer). Only for that item.
  After such feedback the word "gold" may appear (the reason reads "gold accuracy 50% ..."), but
  never the gold keys/ids named in ``ALWAYS``. NOTE for the lead: a strict reading of the issue
  ("gold answers ... never") would also forbid the expected answer of an embedded check; this test
  allows it. After answering, a contributor may also tell that an answered task was a check: the
  issue asks their page to show "gold accuracy over time", which can only move when a check was
  answered. Decided (lead): what is protected is everything *before* the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from litestar.routes import HTTPRoute, WebSocketRoute
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.config import ROOT
from app.models_base import utcnow
from app.quality.models import Standing
from app.work.models import Assignment
from tests.integration.test_access import ROUTES as ACCESS_ROUTES, sweep_access
from tests.integration.test_board_socket import assert_refused
from tests.integration.test_escalations import ROUTES as ESCALATION_ROUTES, sweep_escalations
from tests.integration.test_threads import sweep_threads
from tests.integration.conftest import Browser

PASSWORD = "quiet-lantern-42"  # quick_user's
INTERFACE = [
    {"name": "sentiment", "type": "choice", "options": ["pos", "neg", "neu"]},
    {"name": "rationale", "type": "text", "required": False, "max_length": 200},
]
LINTERS = [{"type": "too_fast", "seconds": 0.001, "severity": "warning"},
           {"type": "max_length", "field": "rationale", "value": 150, "severity": "error"}]
#: Never, in any state: the names of gold's own fields and the gold items' external ids.
ALWAYS = re.compile(r"is_gold|gold_answer|gold_explanation|ext-gold", re.IGNORECASE)
WORD = re.compile(r"gold", re.IGNORECASE)
NOT_A_MEMBER = 987_654_321

# -- the routes and how the sweep calls them ----------------------------------------------------------

#: Every route the sweep knows how to call as a contributor (OPTIONS is called for every HTTP path).
COVERED = frozenset({
    "GET /healthz", "GET /readyz",
    "POST /api/v1/auth/token", "GET /api/v1/me", "POST /api/v1/users",
    "GET /api/v1/projects", "POST /api/v1/projects", "GET /api/v1/components",
    "GET /api/v1/projects/{project_id:int}", "PATCH /api/v1/projects/{project_id:int}",
    "POST /api/v1/projects/{project_id:int}/members", "POST /api/v1/projects/{project_id:int}/launch",
    "POST /api/v1/projects/{project_id:int}/pause", "POST /api/v1/projects/{project_id:int}/complete",
    "POST /api/v1/projects/{project_id:int}/items",
    "POST /api/v1/projects/{project_id:int}/next",
    "POST /api/v1/assignments/{assignment_id:int}/submit", "POST /api/v1/assignments/{assignment_id:int}/skip",
    "GET /api/v1/projects/{project_id:int}/stats", "GET /api/v1/projects/{project_id:int}/export",
    "GET /api/v1/projects/{project_id:int}/contributors",
    "POST /api/v1/projects/{project_id:int}/contributors/{user_id:int}/standing",
    "GET /api/v1/me/projects/{project_id:int}/standing",
    "POST /api/v1/projects/{project_id:int}/reviews/next", "POST /api/v1/reviews/{review_id:int}/decide",
    "GET /api/v1/projects/{project_id:int}/review/metrics",
    "GET /api/v1/projects/{project_id:int}/agreement", "GET /api/v1/projects/{project_id:int}/aggregate",
    "GET /api/v1/projects/{project_id:int}/guideline-gaps",
    "GET /projects/{project_id:int}/agreement", "GET /projects/{project_id:int}/guideline-gaps",
    "GET /projects/{project_id:int}/guideline-gaps.csv",
    "GET /projects/{project_id:int}/review", "POST /projects/{project_id:int}/review/next",
    "GET /projects/{project_id:int}/review/metrics", "GET /projects/{project_id:int}/review/{review_id:int}",
    "POST /projects/{project_id:int}/review/{review_id:int}/decide",
    "GET /projects/{project_id:int}/review/settings", "POST /projects/{project_id:int}/review/settings",
    "GET /projects/{project_id:int}/review/open",
    "WS /ws/me", "WS /ws/projects/{project_id:int}/board", "WS /ws/reviews/{review_id:int}/doc",
    "GET /api/v1/items/{item_id:int}/comments", "POST /api/v1/items/{item_id:int}/comments",
    "PATCH /api/v1/items/{item_id:int}/comments/{comment_id:int}", "WS /ws/items/{item_id:int}",
    "GET /items/{item_id:int}/thread", "POST /items/{item_id:int}/comments",
    "POST /items/{item_id:int}/comments/{comment_id:int}",
    "GET /", "GET /login", "POST /login", "POST /logout",
    "GET /api/v1/media/{sha256:str}", "GET /media/{sha256:str}",
    "GET /projects/new", "POST /projects/new", "GET /projects/field-row", "POST /projects/preview",
    "POST /projects/markdown-preview",
    "GET /projects/{project_id:int}", "POST /projects/{project_id:int}/status",
    "POST /projects/{project_id:int}/members", "POST /projects/{project_id:int}/import",
    "GET /projects/{project_id:int}/export.jsonl", "GET /projects/{project_id:int}/export.preference.jsonl",
    "GET /projects/{project_id:int}/edit", "POST /projects/{project_id:int}/edit",
    "GET /projects/{project_id:int}/guidelines", "POST /projects/{project_id:int}/guidelines",
    "GET /projects/{project_id:int}/guidelines/{version:int}",
    "GET /projects/{project_id:int}/board",
    "GET /projects/{project_id:int}/work", "POST /projects/{project_id:int}/work/next",
    "POST /projects/{project_id:int}/work/{assignment_id:int}/submit",
    "POST /projects/{project_id:int}/work/{assignment_id:int}/skip",
    "GET /projects/{project_id:int}/me", "GET /projects/{project_id:int}/me/record",
    "GET /projects/{project_id:int}/quality", "POST /projects/{project_id:int}/quality",
    "GET /projects/{project_id:int}/quality/rule-row",
    "GET /projects/{project_id:int}/contributors", "GET /projects/{project_id:int}/contributors/table",
    "POST /projects/{project_id:int}/contributors/{user_id:int}/standing",
    *ESCALATION_ROUTES,
    *ACCESS_ROUTES,
    "GET /static/{file_path:path}", "HEAD /static/{file_path:path}",
    "GET /schema", "GET /schema/openapi.json", "GET /schema/openapi.yaml", "GET /schema/openapi.yml",
    "GET /schema/redoc", "GET /schema/swagger", "GET /schema/elements", "GET /schema/rapidoc",
    "GET /schema/oauth2-redirect.html", "GET /schema/{path:str}",
})
#: Covered before they exist (none at the moment): listed here, a route in COVERED that the app does not
#: have is called all the same (expecting 404) instead of failing as stale.
NOT_YET_ROUTES: frozenset[str] = frozenset()


def reachable_routes(app) -> set[str]:
    """``METHOD path`` for every handler of the running app; anything that is neither an HTTP nor a
    WebSocket route (a mounted ASGI app) is listed by its type, so it cannot be skipped silently."""
    keys: set[str] = set()
    for route in app.routes:
        if isinstance(route, WebSocketRoute):
            keys.add(f"WS {route.path}")
        elif isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                keys.update(f"{method} {route.path}" for method in handler.http_methods)
        else:
            keys.add(f"{type(route).__name__} {route.path}")
    return keys


def test_every_route_is_covered(server):
    routes = reachable_routes(server.app)
    missing = sorted(k for k in routes - COVERED if not k.startswith("OPTIONS "))
    assert not missing, "\n".join(f"route {k} not covered by the secrecy test" for k in missing)
    stale = sorted(COVERED - routes - NOT_YET_ROUTES)
    assert not stale, "\n".join(f"covered route {k} no longer exists: remove it from COVERED" for k in stale)


# -- a project whose gold items carry markers -----------------------------------------------------------

@dataclass
class Gold:
    index: int
    text: str
    answer: dict[str, Any]
    explanation: str

    @property
    def markers(self) -> list[str]:
        return [self.answer["rationale"], self.explanation]


@dataclass
class Scene:
    pid: int
    gold: dict[str, Gold]  # by item text
    tag: str

    def of(self, assignment: dict) -> Gold | None:
        return self.gold.get(assignment["item"]["data"]["text"])


async def secret_project(ops, controls: dict, *, gold: int = 8, production: int = 4) -> Scene:
    tag = uuid.uuid4().hex[:8].upper()
    project = await ops.ok("POST", "/projects", json={
        "name": f"Reviews {tag}", "purpose": "Label the tone of delivery reviews",
        "guidelines": "# Tone\n\nPick the tone; say why in a few words.", "interface": INTERFACE,
        "quality": controls})
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "incoming"}, json=[
        {"external_id": f"ext-{tag}-{i}", "data": {"text": f"Review {100 + i}: the parcel came on day {i + 2}."}}
        for i in range(production)])
    items = {}
    for i in range(gold):
        text = f"Review {500 + i}: the parcel came on day {i + 3}."
        items[text] = Gold(i, text, {"sentiment": "neu", "rationale": f"SECRETANSWER{tag}{i:02d}"},
                           f"SECRETEXPLANATION{tag}{i:02d}: a plain statement of fact is neutral.")
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"}, json=[
        {"external_id": f"ext-gold-{tag}-{g.index}", "data": {"text": g.text}, "gold": g.answer,
         "explanation": g.explanation} for g in items.values()])
    await ops.ok("POST", f"/projects/{pid}/launch")
    return Scene(pid, items, tag)


async def next_task(api, pid: int) -> dict:
    return (await api.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]


async def submit(api, assignment: dict, answer: dict) -> dict:
    return await api.ok("POST", f"/assignments/{assignment['id']}/submit", status=201, json={"answer": answer})


# -- checking what a contributor receives ---------------------------------------------------------------

@dataclass
class Rules:
    forbidden: list[str]  # markers that must not appear
    wording: bool  # the word "gold" is forbidden too

    def leaks(self, text: str) -> list[str]:
        found = []
        lowered = text.lower()
        for marker in self.forbidden:
            at = lowered.find(marker.lower())
            if at >= 0:
                found.append(f"marker {marker!r} in …{text[max(0, at - 80):at + 80]!r}…")
        for hit in (WORD if self.wording else ALWAYS).finditer(text):
            found.append(f"{hit.group()!r} in …{text[max(0, hit.start() - 80):hit.end() + 80]!r}…")
        return found


def _headers(response: httpx.Response) -> str:
    # set-cookie is encrypted session data: random bytes, not something a person reads
    return "\n".join(f"{k}: {v}" for k, v in response.headers.items() if k.lower() != "set-cookie")


@dataclass
class Sweep:
    server_url: str
    scene: Scene
    uid: int
    email: str
    token: str
    rules: Rules
    page: Browser
    api: httpx.AsyncClient | None = None  # the contributor's bearer token
    anon: httpx.AsyncClient | None = None  # no credentials
    exercised: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    bodies: dict[str, str] = field(default_factory=dict)  # route -> last body, for positive checks

    def check(self, route: str, what: str, text: str, *, public: bool = False) -> None:
        assert route in COVERED, f"{route} is called but not listed in COVERED"
        self.exercised.add(route)
        self.bodies[route] = text
        rules = Rules(self.rules.forbidden, wording=False) if public else self.rules
        self.problems.extend(f"{what}: {leak}" for leak in rules.leaks(text))

    async def public(self, route: str, url: str, expect: int, method: str = "GET") -> None:
        """A public route (static files, the API's documentation): the same bytes for everyone, checked to
        be what an anonymous visitor gets; so it cannot carry anything about a person or an item, and the
        word "gold" in it (a CSS class of the ops pages) says nothing about any task."""
        mine = await self.page.http.request(method, url)
        theirs = await self.anon.request(method, url)
        expected = (expect,)
        if mine.status_code not in expected:
            self.problems.append(f"{method} {url}: expected {expected}, got {mine.status_code}: {mine.text[:300]}")
        if (theirs.status_code, theirs.content) != (mine.status_code, mine.content):
            self.problems.append(f"{method} {url}: a public route answered a contributor differently from an "
                                 f"anonymous visitor ({mine.status_code} vs {theirs.status_code})")
        self.check(route, f"{method} {url} -> {mine.status_code}", _headers(mine) + "\n\n" + mine.text, public=True)

    async def call(self, route: str, client: httpx.AsyncClient, method: str, url: str,
                   expect: int | tuple[int, ...], **kwargs) -> httpx.Response:
        response = await client.request(method, url, **kwargs)
        return self.saw(route, method, url, expect, response)

    def saw(self, route: str, method: str, url: str, expect, response: httpx.Response) -> httpx.Response:
        expected = expect if isinstance(expect, tuple) else (expect,)
        if response.status_code not in expected:
            self.problems.append(f"{method} {url}: expected {expected}, got {response.status_code}: "
                                 f"{response.text[:300]}")
        self.check(route, f"{method} {url} -> {response.status_code}", _headers(response) + "\n\n" + response.text)
        return response

    async def form(self, route: str, url: str, expect, data: dict | None = None, *, htmx: bool = False,
                   files=None) -> httpx.Response:
        response = await self.page.post(url, data or {}, htmx=htmx, files=files)
        return self.saw(route, "POST", url, expect, response)


class Collector:
    """A /ws/me socket held open through a scenario: every message pushed to the contributor."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.messages: list[str] = []
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> "Collector":
        self.socket = await connect(self.url, additional_headers={"Authorization": f"Bearer {self.token}"},
                                    open_timeout=5)
        self.messages.append(await asyncio.wait_for(self.socket.recv(), 5))  # the snapshot

        async def read() -> None:
            with contextlib.suppress(ConnectionClosed):
                async for message in self.socket:
                    self.messages.append(message)

        self.task = asyncio.create_task(read())
        return self

    async def stop(self) -> None:
        if self.task is not None:
            await asyncio.sleep(0.4)  # pushes are coalesced for 0.15 s after a commit
            await self.socket.close()
            await self.task
            self.task = None

    async def __aexit__(self, *exc) -> None:
        await self.stop()


def ws_base(server) -> str:
    return server.url.replace("http://", "ws://", 1)


async def held_assignment(db, pid: int, uid: int) -> int | None:
    async with db.transaction() as session:
        return (await session.execute(select(Assignment.id).where(
            Assignment.project_id == pid, Assignment.user_id == uid, Assignment.state == "leased"))).scalar()


def task_number(html: str) -> int:
    found = re.search(r"Task #(\d+)", html)
    assert found, f"no task on the page: {html[:500]}"
    return int(found.group(1))


async def run_sweep(s: Sweep, server, db, held: dict) -> None:
    """Call every route as the contributor, read-only calls first, then the ones that move them on."""
    pid, uid, aid = s.scene.pid, s.uid, held["id"]
    held_text = held["item"]["data"]["text"]
    bearer = {"Authorization": f"Bearer {s.token}"}

    # public and personal JSON API
    await s.call("GET /healthz", s.anon, "GET", "/healthz", 200)
    await s.call("GET /readyz", s.anon, "GET", "/readyz", 200)
    token = await s.anon.post("/api/v1/auth/token", json={"email": s.email, "password": PASSWORD})
    token_body = re.sub(r'"token":\s*"[^"]+"', '"token": "…"', token.text)  # random characters
    s.check("POST /api/v1/auth/token", f"POST /api/v1/auth/token -> {token.status_code}", token_body)
    assert token.status_code == 200, token.text
    await s.call("GET /api/v1/me", s.api, "GET", "/api/v1/me", 200)
    await s.call("GET /api/v1/projects", s.api, "GET", "/api/v1/projects", 200)
    await s.call("GET /api/v1/components", s.api, "GET", "/api/v1/components", 200)
    # Media: a file no item of theirs names is simply not there (the same 404 as an unknown hash);
    # files of gold and of other items are served or not by the media tests (test_media_store.py).
    unnamed = hashlib.sha256(held_text.encode()).hexdigest()
    await s.call("GET /api/v1/media/{sha256:str}", s.api, "GET", f"/api/v1/media/{unnamed}", 404)
    await s.call("GET /media/{sha256:str}", s.page.http, "GET", f"/media/{unnamed}", 404)
    await s.call("GET /api/v1/projects/{project_id:int}", s.api, "GET", f"/api/v1/projects/{pid}", 200)
    await s.call("GET /api/v1/me/projects/{project_id:int}/standing", s.api, "GET",
                 f"/api/v1/me/projects/{pid}/standing", 200)
    lease = await s.call("POST /api/v1/projects/{project_id:int}/next", s.api, "POST",
                         f"/api/v1/projects/{pid}/next", 200)
    assert lease.json()["assignment"]["id"] == aid and held_text in lease.text, "next gives the held task back"
    await s.call("POST /api/v1/assignments/{assignment_id:int}/submit", s.api, "POST",
                 f"/api/v1/assignments/{aid}/submit", 422, json={"answer": {"sentiment": "maybe"}})
    await s.call("POST /api/v1/assignments/{assignment_id:int}/submit", s.api, "POST",
                 f"/api/v1/assignments/{aid}/submit", 422,
                 json={"answer": {"sentiment": "neu", "rationale": "x" * 151}})  # a linter error

    # ops' API: refused, and the refusal says nothing
    refused = 403
    await s.call("POST /api/v1/users", s.api, "POST", "/api/v1/users", refused,
                 json={"email": f"x-{uuid.uuid4().hex[:6]}@test.local", "name": "X", "password": PASSWORD,
                       "role": "ops"})
    await s.call("POST /api/v1/projects", s.api, "POST", "/api/v1/projects", refused,
                 json={"name": "Mine", "purpose": "Mine", "interface": INTERFACE})
    await s.call("PATCH /api/v1/projects/{project_id:int}", s.api, "PATCH", f"/api/v1/projects/{pid}", refused,
                 json={"name": "Renamed"})
    await s.call("POST /api/v1/projects/{project_id:int}/members", s.api, "POST", f"/api/v1/projects/{pid}/members",
                 refused, json={"user_id": uid, "role": "ops"})
    for action in ("launch", "pause", "complete"):
        await s.call(f"POST /api/v1/projects/{{project_id:int}}/{action}", s.api, "POST",
                     f"/api/v1/projects/{pid}/{action}", refused)
    await s.call("POST /api/v1/projects/{project_id:int}/items", s.api, "POST", f"/api/v1/projects/{pid}/items",
                 refused, json=[{"text": "more"}])
    await s.call("GET /api/v1/projects/{project_id:int}/stats", s.api, "GET", f"/api/v1/projects/{pid}/stats", refused)
    for params in ({}, {"format": "jsonl"}):
        await s.call("GET /api/v1/projects/{project_id:int}/export", s.api, "GET", f"/api/v1/projects/{pid}/export",
                     refused, params=params)
    await s.call("GET /api/v1/projects/{project_id:int}/contributors", s.api, "GET",
                 f"/api/v1/projects/{pid}/contributors", refused)
    await s.call("POST /api/v1/projects/{project_id:int}/contributors/{user_id:int}/standing", s.api, "POST",
                 f"/api/v1/projects/{pid}/contributors/{uid}/standing", refused,
                 json={"state": "qualified", "reason": "let me in"})

    # reviewers' API: refused
    await s.call("POST /api/v1/projects/{project_id:int}/reviews/next", s.api, "POST",
                 f"/api/v1/projects/{pid}/reviews/next", refused)
    await s.call("POST /api/v1/reviews/{review_id:int}/decide", s.api, "POST", f"/api/v1/reviews/{NOT_A_MEMBER}/decide",
                 (403, 404), json={"decision": "approve"})
    await s.call("GET /api/v1/projects/{project_id:int}/review/metrics", s.api, "GET",
                 f"/api/v1/projects/{pid}/review/metrics", refused)
    for what in ("agreement", "aggregate", "guideline-gaps"):  # analysis is for staff and clients
        await s.call(f"GET /api/v1/projects/{{project_id:int}}/{what}", s.api, "GET", f"/api/v1/projects/{pid}/{what}",
                     refused)

    await sweep_escalations(s, pid, aid)  # flag, the specialist queue, confirming the guidelines

    # sockets
    me = f"{ws_base(server)}/ws/me"
    async with connect(f"{me}?project={pid}", additional_headers=bearer, open_timeout=5) as socket:
        s.check("WS /ws/me", f"WS /ws/me?project={pid}", await asyncio.wait_for(socket.recv(), 5))
    async with connect(me, additional_headers=bearer, open_timeout=5) as socket:  # no project: no snapshot
        with contextlib.suppress(asyncio.TimeoutError):
            s.check("WS /ws/me", "WS /ws/me", await asyncio.wait_for(socket.recv(), 0.2))
    s.exercised.add("WS /ws/me")
    try:
        async with connect(f"{me}?project={NOT_A_MEMBER}", additional_headers=bearer, open_timeout=5) as socket:
            message = await asyncio.wait_for(socket.recv(), 5)
            s.problems.append(f"WS /ws/me?project={NOT_A_MEMBER}: a stranger was sent {message[:200]!r}")
    except ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4403, closed
        s.check("WS /ws/me", "WS /ws/me (not a member) close reason", closed.rcvd.reason)
    except InvalidStatus as exc:
        assert exc.response.status_code == 403
    await assert_refused(f"{ws_base(server)}/ws/projects/{pid}/board", bearer)
    s.exercised.add("WS /ws/projects/{project_id:int}/board")
    await assert_refused(f"{ws_base(server)}/ws/reviews/{NOT_A_MEMBER}/doc", bearer)  # co-editing: reviewers only
    s.exercised.add("WS /ws/reviews/{review_id:int}/doc")

    # pages, with the session cookie
    workspace = await s.call("GET /projects/{project_id:int}/work", s.page.http, "GET", f"/projects/{pid}/work", 200)
    assert held_text in workspace.text, "the workspace shows the held (gold) task"
    await s.call("GET /", s.page.http, "GET", "/", 200)
    await s.call("GET /login", s.page.http, "GET", "/login", 200)
    routes = reachable_routes(server.app)
    for route in ("GET /projects/{project_id:int}/me", "GET /projects/{project_id:int}/me/record"):
        url = route.removeprefix("GET ").replace("{project_id:int}", str(pid))
        await s.call(route, s.page.http, "GET", url, 200 if route in routes else 404)
    fragment = await s.form("POST /projects/{project_id:int}/work/next", f"/projects/{pid}/work/next", 200, htmx=True)
    assert task_number(fragment.text) == aid and held_text in fragment.text
    await s.form("POST /projects/{project_id:int}/work/{assignment_id:int}/submit",
                 f"/projects/{pid}/work/{aid}/submit", 422, {"idempotency_key": "k1", "rationale": "no tone"},
                 htmx=True)
    for route, url in (("GET /projects/new", "/projects/new"), ("GET /projects/field-row", "/projects/field-row"),
                       ("GET /projects/{project_id:int}", f"/projects/{pid}"),
                       ("GET /projects/{project_id:int}/edit", f"/projects/{pid}/edit"),
                       ("GET /projects/{project_id:int}/export.jsonl", f"/projects/{pid}/export.jsonl"),
                       ("GET /projects/{project_id:int}/export.preference.jsonl",
                        f"/projects/{pid}/export.preference.jsonl"),
                       ("GET /projects/{project_id:int}/guidelines", f"/projects/{pid}/guidelines"),
                       ("GET /projects/{project_id:int}/guidelines/{version:int}", f"/projects/{pid}/guidelines/1"),
                       ("GET /projects/{project_id:int}/board", f"/projects/{pid}/board"),
                       ("GET /projects/{project_id:int}/quality", f"/projects/{pid}/quality"),
                       ("GET /projects/{project_id:int}/quality/rule-row", f"/projects/{pid}/quality/rule-row"),
                       ("GET /projects/{project_id:int}/contributors", f"/projects/{pid}/contributors"),
                       ("GET /projects/{project_id:int}/contributors/table", f"/projects/{pid}/contributors/table"),
                       ("GET /projects/{project_id:int}/review", f"/projects/{pid}/review"),
                       ("GET /projects/{project_id:int}/review/metrics", f"/projects/{pid}/review/metrics"),
                       ("GET /projects/{project_id:int}/review/settings", f"/projects/{pid}/review/settings"),
                       ("GET /projects/{project_id:int}/review/open", f"/projects/{pid}/review/open"),
                       ("GET /projects/{project_id:int}/agreement", f"/projects/{pid}/agreement"),
                       ("GET /projects/{project_id:int}/guideline-gaps", f"/projects/{pid}/guideline-gaps"),
                       ("GET /projects/{project_id:int}/guideline-gaps.csv", f"/projects/{pid}/guideline-gaps.csv"),
                       ("GET /projects/{project_id:int}/review/{review_id:int}", f"/projects/{pid}/review/1")):
        await s.call(route, s.page.http, "GET", url, refused)
    await s.form("POST /projects/{project_id:int}/review/next", f"/projects/{pid}/review/next", refused)
    await s.form("POST /projects/{project_id:int}/review/settings", f"/projects/{pid}/review/settings", refused,
                 {"stage-0-name": "Mine", "tags": "x"})
    await s.form("POST /projects/{project_id:int}/review/{review_id:int}/decide",
                 f"/projects/{pid}/review/{NOT_A_MEMBER}/decide", (403, 404), {"decision": "approve"})
    for route, url, data in (
            ("POST /projects/new", "/projects/new", {"name": "Mine", "purpose": "Mine"}),
            ("POST /projects/preview", "/projects/preview", {"field-0-name": "x", "field-0-type": "text"}),
            ("POST /projects/markdown-preview", "/projects/markdown-preview", {"body": "# hi"}),
            ("POST /projects/{project_id:int}/status", f"/projects/{pid}/status", {"to": "completed"}),
            ("POST /projects/{project_id:int}/members", f"/projects/{pid}/members",
             {"email": s.email, "role": "ops"}),
            ("POST /projects/{project_id:int}/edit", f"/projects/{pid}/edit", {"name": "Renamed", "purpose": "x"}),
            ("POST /projects/{project_id:int}/guidelines", f"/projects/{pid}/guidelines", {"body": "# mine"}),
            ("POST /projects/{project_id:int}/quality", f"/projects/{pid}/quality", {"benchmark_size": "1"}),
            ("POST /projects/{project_id:int}/contributors/{user_id:int}/standing",
             f"/projects/{pid}/contributors/{uid}/standing", {"state": "qualified", "reason": "let me in"})):
        await s.form(route, url, refused, data)
    await s.form("POST /projects/{project_id:int}/import", f"/projects/{pid}/import", refused, {"batch": "x"},
                 files={"file": ("more.jsonl", b'{"text": "more"}\n', "application/x-ndjson")})

    await sweep_threads(s, server, db, held)  # the held task's comment thread, and one never given

    # what every page loads, and the API's documentation (public)
    for path in sorted(p for p in (ROOT / "static").rglob("*") if p.is_file()):
        url = "/static/" + path.relative_to(ROOT / "static").as_posix()
        await s.public("GET /static/{file_path:path}", url, 200)
        await s.public("HEAD /static/{file_path:path}", url, 200, method="HEAD")
    for route in sorted(r for r in COVERED if r.startswith("GET /schema")):
        url = route.removeprefix("GET ").replace("{path:str}", "nothing-here")
        await s.public(route, url, 404 if "{path:str}" in route else 200)

    # OPTIONS on every HTTP path
    for route in sorted(reachable_routes(server.app)):
        method, path = route.split(" ", 1)
        if method != "OPTIONS":
            continue
        url = (path.replace("{project_id:int}", str(pid)).replace("{assignment_id:int}", str(aid))
               .replace("{user_id:int}", str(uid)).replace("{file_path:path}", "app.css"))
        url = re.sub(r"\{\w+:\w+\}", "x", re.sub(r"\{\w+:int\}", "1", url))  # any other parameter
        client = s.api if path.startswith("/api/") else s.page.http
        response = await client.request("OPTIONS", url)
        s.exercised.add(route)
        if response.status_code >= 500:
            s.problems.append(f"OPTIONS {url}: {response.status_code}")
        s.problems.extend(f"OPTIONS {url}: {leak}" for leak in s.rules.leaks(_headers(response) + response.text))

    # the calls that move the contributor on: give the held task back, take the next two through the
    # pages, give the second back too
    await s.call("POST /api/v1/assignments/{assignment_id:int}/skip", s.api, "POST",
                 f"/api/v1/assignments/{aid}/skip", 200)
    second = await s.form("POST /projects/{project_id:int}/work/next", f"/projects/{pid}/work/next", 200, htmx=True)
    second_id = task_number(second.text)
    assert second_id != aid and second_id == await held_assignment(db, pid, uid)
    await s.form("POST /projects/{project_id:int}/work/{assignment_id:int}/skip",
                 f"/projects/{pid}/work/{second_id}/skip", 200, htmx=True)
    # signing in again, and out, in a session of its own
    fresh = Browser(s.server_url)
    try:
        await fresh.get("/login")
        signed_in = await fresh.post("/login", {"email": s.email, "password": PASSWORD, "next": "/"})
        s.saw("POST /login", "POST", "/login", 303, signed_in)
        s.saw("POST /logout", "POST", "/logout", 303, await fresh.post("/logout", {}))
    finally:
        await fresh.aclose()
    await sweep_access(s, uid)  # last: it signs the sweep's page session out


async def final_answer(s: Sweep, db) -> None:
    """Answering a gold item looks like answering anything: the submit response says nothing."""
    third_id = await held_assignment(db, s.scene.pid, s.uid)
    assert third_id is not None
    answered = await s.call("POST /api/v1/assignments/{assignment_id:int}/submit", s.api, "POST",
                            f"/api/v1/assignments/{third_id}/submit", 201,
                            json={"answer": {"sentiment": "pos", "rationale": "sounds fine"}})
    assert set(answered.json()["annotation"]) == {"id", "item_id", "answer", "guideline_version", "time_on_task_ms",
                                                  "created_at"}


@pytest.fixture
async def sweep_for(server, db, quick_user):
    """(scene, (user, Api) from quick_user, rules) -> a Sweep for that contributor: their bearer token for the
    API, a browser session signed in through the login form for the pages, and a client without credentials."""
    opened: list[Any] = []

    async def make(scene: Scene, contributor: tuple[dict, Any], rules: Rules) -> Sweep:
        user, api = contributor
        page = await Browser(server.url).login(user["email"], PASSWORD)
        s = Sweep(server.url, scene, user["id"], user["email"], api.token, rules, page,
                  api=httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {api.token}"},
                                        timeout=30),
                  anon=httpx.AsyncClient(base_url=server.url, timeout=30))
        opened.extend([page, s.api, s.anon])
        return s

    yield make
    for client in opened:
        await client.aclose()


def assert_clean(s: Sweep, server, collector: Collector) -> None:
    for n, message in enumerate(collector.messages):
        s.problems.extend(f"/ws/me push {n}: {leak}" for leak in s.rules.leaks(message))
    missing = sorted(reachable_routes(server.app) - s.exercised)
    if missing:
        pytest.fail("\n".join(f"route {k} not covered by the secrecy test" for k in missing), pytrace=False)
    if s.problems:
        pytest.fail(f"{len(s.problems)} problem(s) seen by a contributor:\n" + "\n".join(s.problems), pytrace=False)


# -- the moments -------------------------------------------------------------------------------------

async def test_mid_benchmark_nothing_tells_a_contributor_about_gold(ops, server, db, quick_user, sweep_for):
    """Two benchmark items answered (one wrong, one right), a third held: the gate is undecided, so
    every gold item is secret, answered or not, and nothing may even say "gold"."""
    scene = await secret_project(ops, {"benchmark": {"size": 5, "pass_threshold": 0.8, "retry": "cooldown"},
                                       "linters": LINTERS})
    user, api = await quick_user("contributor", scene.pid, qualified=False)
    async with Collector(f"{ws_base(server)}/ws/me?project={scene.pid}", api.token) as collector:
        first = await next_task(api, scene.pid)
        await submit(api, first, {"sentiment": "neg"})
        second = await next_task(api, scene.pid)
        await submit(api, second, {"sentiment": "neu", "rationale": "reads neutral"})
        held = await next_task(api, scene.pid)
        assert all(scene.of(a) for a in (first, second, held)), "a new contributor gets benchmark items first"
        rules = Rules([m for g in scene.gold.values() for m in g.markers], wording=True)
        s = await sweep_for(scene, (user, api), rules)
        await run_sweep(s, server, db, held)
        await collector.stop()
        await final_answer(s, db)
    standing = s.bodies["GET /api/v1/me/projects/{project_id:int}/standing"]
    assert '"state":"pending_gate"' in standing.replace(" ", "") and '"review":[]' in standing.replace(" ", "")
    assert_clean(s, server, collector)


async def test_holding_an_embedded_check_nothing_tells_it_apart(ops, server, db, quick_user, sweep_for):
    """Gate passed (its review, with those items' answers and explanations, is rightly visible), the
    first embedded check held: that check and every other unanswered gold item stay secret, and
    nothing says "gold"."""
    scene = await secret_project(ops, {
        "benchmark": {"size": 2, "pass_threshold": 0.8},
        "gold": {"rate": 1.0, "min_rate": 1.0, "window": 10, "min_answers": 5}, "linters": LINTERS})
    user, api = await quick_user("contributor", scene.pid, qualified=False)
    async with Collector(f"{ws_base(server)}/ws/me?project={scene.pid}", api.token) as collector:
        benchmark = []
        for _ in range(2):
            assignment = await next_task(api, scene.pid)
            benchmark.append(scene.of(assignment))
            await submit(api, assignment, benchmark[-1].answer)  # exactly right
        held = await next_task(api, scene.pid)
        check = scene.of(held)
        assert check is not None and check not in benchmark, "rate 1.0: the first production slot is a check"
        rules = Rules([m for g in scene.gold.values() if g not in benchmark for m in g.markers], wording=True)
        s = await sweep_for(scene, (user, api), rules)
        await run_sweep(s, server, db, held)
        await collector.stop()
        await final_answer(s, db)
    standing = s.bodies["GET /api/v1/me/projects/{project_id:int}/standing"]
    assert all(m in standing for g in benchmark for m in g.markers), "the decided gate's review is shown"
    assert_clean(s, server, collector)


async def test_in_recalibration_only_the_failed_check_is_explained(ops, server, db, quick_user, sweep_for):
    """A failed embedded check put the contributor in recalibration: its feedback explains that item
    (allowed after answering), while the recalibration item held and every other gold item stay secret."""
    scene = await secret_project(ops, {
        "benchmark": {"size": 1, "pass_threshold": 0.8},
        "gold": {"rate": 1.0, "min_rate": 1.0, "window": 1, "min_answers": 1, "recalibrate_below": 0.9,
                 "remove_below": 0.0, "recalibration_size": 3, "recalibration_pass": 0.8},
        "linters": LINTERS})
    user, api = await quick_user("contributor", scene.pid, qualified=False)
    async with Collector(f"{ws_base(server)}/ws/me?project={scene.pid}", api.token) as collector:
        gate = await next_task(api, scene.pid)
        await submit(api, gate, scene.of(gate).answer)
        failed = await next_task(api, scene.pid)
        await submit(api, failed, {"sentiment": "pos", "rationale": "upbeat"})
        held = await next_task(api, scene.pid)
        answered = [scene.of(gate), scene.of(failed)]
        assert scene.of(held) is not None and scene.of(held) not in answered
        rules = Rules([m for g in scene.gold.values() if g not in answered for m in g.markers], wording=False)
        s = await sweep_for(scene, (user, api), rules)
        await run_sweep(s, server, db, held)
        await collector.stop()
        await final_answer(s, db)
    standing = s.bodies["GET /api/v1/me/projects/{project_id:int}/standing"]
    assert '"state":"recalibrating"' in standing.replace(" ", "")
    assert all(m in standing for m in scene.of(failed).markers), "the failed check is explained (sees why)"
    assert any('data-state="recalibrating"' in m and "below 90%" in m for m in collector.messages), \
        "the reason was pushed live"
    assert_clean(s, server, collector)


# -- the choice of a check ---------------------------------------------------------------------------

async def test_a_contributor_cannot_work_out_which_task_will_be_a_check(ops, quick_user, db):
    """Whether a slot is a check must not be computable by the contributor. Inkwell is open source, so
    the rule that picks checks is public; what it reads must then include something only the server
    knows. Here a contributor applies the rule (app/quality/service.py ``_gold_due``) to what they know:
    the project id (in every URL), their own id (GET /me), how many tasks they have answered (they
    count), and the rate (constant here: rate == min_rate, so no decay to follow). With a secret in the
    rule they are right about half the time; 24 right out of 24 has a chance of 6 in 100 million."""
    scene = await secret_project(ops, {"benchmark": {"size": 1, "pass_threshold": 0.5},
                                       "gold": {"rate": 0.5, "min_rate": 0.5, "window": 100, "min_answers": 100},
                                       "linters": LINTERS}, gold=30, production=30)
    user, api = await quick_user("contributor", scene.pid, qualified=False)
    async with db.transaction() as session:  # past the gate without using up a gold item
        session.add(Standing(project_id=scene.pid, user_id=user["id"], state="qualified", window_start_at=utcnow(),
                             guidelines_acknowledged=1))
    me = await api.ok("GET", "/me")
    right = 0
    for answered in range(24):
        digest = hashlib.sha256(f"{scene.pid}:{me['id']}:{answered}".encode()).digest()
        predicted = int.from_bytes(digest[:4], "big") / 2**32 < 0.5
        assignment = await next_task(api, scene.pid)
        right += predicted == (scene.of(assignment) is not None)
        await submit(api, assignment, {"sentiment": "neu", "rationale": "plain"})
    assert right < 24, ("a contributor predicted every one of 24 tasks (check or not) from public facts: "
                        "_gold_due hashes project id, user id and tasks done without a secret key")
