"""Who may call what: every route of the running app, as every kind of person, against a rule table.

The routes come from the app itself (``server.app.routes``: every method of every HTTP route and every
WebSocket route; OPTIONS is Litestar's own and left to the secrecy sweep). A route with no row in
``RULES`` fails ``test_every_route_has_an_access_rule`` with "route X has no access rule", so a new
route cannot ship without someone deciding who may call it; a row for a route that is gone fails too.

The people (``PEOPLE``), made once for the module: anonymous; a contributor of project A (holding a
task there, with a comment on it and an earlier answer in review); a contributor of project B only
(the outsider); a reviewer of A (holding the review of that answer); a specialist, a client and an
ops member of A (ops of that project only); global ops. Each route is called with real ids from A:
the project, the held assignment, its item, the comment, the held review, an escalation, the
contributor's user id. JSON routes get the bearer token, pages the session cookie and CSRF token,
sockets the bearer header.

What counts:
* allowed: the request got past the access check: under 500, not 401/403/404, not a redirect to
  /login (a call that would change something is sent with an empty body, so it stops at validation
  (422) or at the state (409), and the world stays as it is for the next call);
* refused, anonymous: 401 for the API, a redirect to /login for a page GET, 401/403 for a page POST
  (no session, or no CSRF token), a refused handshake or a 44xx close for a socket;
* refused, signed in: 403 or 404 (404 where the thing's existence is not theirs to know), or a
  refused socket.

Then the same routes once more with the ids of project B's things under project A's path (or bare,
for routes that take only the thing's id), as the people of A who may call the route: every such call
must be refused; a route that checks the project but not that the thing belongs to it would let
people of A act on B's things. And every page anyone receives keeps to the Content-Security-Policy
(no inline script, style or event handler, no htmx expression that needs eval).

Adding a route: one line in ``RULES`` (who may call it; ``late`` if calling it changes the world for
the calls after it; a ``body`` when the empty one is not the harmless one).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from litestar.routes import HTTPRoute, WebSocketRoute
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from tests import support
from tests.integration.conftest import Browser, qualify

PASSWORD = "quiet-lantern-42"
INTERFACE = [{"name": "sentiment", "type": "choice", "options": ["pos", "neg", "neu"]}]

# -- who --------------------------------------------------------------------------------------------

ANON, CONTRIBUTOR, OUTSIDER, REVIEWER, SPECIALIST, CLIENT, PROJECT_OPS, OPS = PEOPLE = (
    "anonymous", "contributor", "contributor of another project", "reviewer", "specialist", "client",
    "ops of the project", "global ops")
EVERYONE = frozenset(PEOPLE)
SIGNED_IN = EVERYONE - {ANON}
MEMBERS = SIGNED_IN - {OUTSIDER}  # of project A (global ops act as ops everywhere)
ADMINS = frozenset({PROJECT_OPS, OPS})  # ops of A
BOARD = frozenset({REVIEWER, SPECIALIST, CLIENT}) | ADMINS
REVIEWERS = frozenset({REVIEWER, SPECIALIST}) | ADMINS
ANALYSTS = frozenset({SPECIALIST}) | ADMINS
WORKERS = frozenset({CONTRIBUTOR}) | ADMINS
ITEM_READERS = REVIEWERS | {CONTRIBUTOR}  # staff of A, and the contributor given the item
SOME_OPS = ADMINS  # the project builder's helpers: ops of any project


@dataclass(frozen=True)
class Rule:
    who: frozenset[str]
    #: A valid request body (JSON for the API, form fields for pages), ``{name}`` filled from the ids:
    #: sent by those who may not call the route, so only the access check can stop them. Those who may
    #: send an empty one, which stops at validation and leaves the world as it is.
    body: Any = None
    also_ok: tuple[int, ...] = ()  # statuses that are this route's own answer to an allowed caller
    late: int = 0  # > 0: calling it changes the world for what follows; called after the others, in this order
    foreign_as: tuple[int, ...] = (403, 404)  # what those who may get for another project's thing
    #: Who is called. Routes open to everyone, and signing out, mean the same to every role: called as
    #: one person signed in and as nobody (each costs a password check, deliberately slow).
    callers: frozenset[str] = EVERYONE

    def __post_init__(self) -> None:
        if self.who == EVERYONE:
            object.__setattr__(self, "callers", frozenset({ANON, CONTRIBUTOR}))


def rule(who, callers=EVERYONE, **options) -> Rule:
    return Rule(frozenset(who), callers=frozenset(callers), **options)


SUBMIT = {"answer": {"sentiment": "pos"}}
#: route -> who may call it. One line per route.
RULES: dict[str, Rule] = {
    # public
    "GET /healthz": rule(EVERYONE),
    "GET /readyz": rule(EVERYONE),
    "GET /login": rule(EVERYONE),
    "POST /login": rule(EVERYONE, also_ok=(401,)),  # the empty form is a failed sign-in
    "POST /api/v1/auth/token": rule(EVERYONE, also_ok=(401,)),
    "GET /static/{file_path:path}": rule(EVERYONE),
    "HEAD /static/{file_path:path}": rule(EVERYONE),
    **{f"GET /schema{tail}": rule(EVERYONE) for tail in (
        "", "/openapi.json", "/openapi.yaml", "/openapi.yml", "/redoc", "/swagger", "/elements", "/rapidoc",
        "/oauth2-redirect.html")},
    "GET /schema/{path:str}": rule(EVERYONE, also_ok=(404,)),  # no such page, for anyone
    # anyone signed in
    "GET /": rule(SIGNED_IN),
    "POST /logout": rule(SIGNED_IN, also_ok=(303,), callers={ANON, CONTRIBUTOR}),  # in a session of its own
    "GET /api/v1/me": rule(SIGNED_IN),
    "GET /api/v1/projects": rule(SIGNED_IN),
    "WS /ws/me": rule(MEMBERS),  # called with ?project=A
    # accounts and projects
    "POST /api/v1/users": rule({OPS}, body={"email": "new-{user_id}@test.local", "name": "New", "role": "ops",
                                            "password": "a long and unusual passphrase 42"}),
    "POST /api/v1/projects": rule({OPS}, body={"name": "Mine", "purpose": "Mine", "guidelines": "# Mine",
                                               "interface": INTERFACE}),
    "GET /projects/new": rule({OPS}),
    "POST /projects/new": rule({OPS}, body={"name": "Mine", "purpose": "Mine"}),
    "GET /projects/field-row": rule(SOME_OPS),
    "POST /projects/preview": rule(SOME_OPS, body={"field-0-name": "x", "field-0-type": "text"}),
    "POST /projects/markdown-preview": rule(SOME_OPS, body={"body": "# hi"}),
    "GET /api/v1/projects/{project_id:int}": rule(MEMBERS),
    "PATCH /api/v1/projects/{project_id:int}": rule(ADMINS, body={"name": "Renamed"}),
    "POST /api/v1/projects/{project_id:int}/members": rule(ADMINS, body={"user_id": "{user_id}", "role": "ops"}),
    "POST /api/v1/projects/{project_id:int}/launch": rule(ADMINS, late=2),
    "POST /api/v1/projects/{project_id:int}/pause": rule(ADMINS, late=3),
    "POST /api/v1/projects/{project_id:int}/complete": rule(ADMINS, late=4),
    "POST /api/v1/projects/{project_id:int}/items": rule(ADMINS, body=[{"text": "more"}]),
    "GET /api/v1/projects/{project_id:int}/export": rule(ADMINS),
    "GET /projects/{project_id:int}": rule(ADMINS),
    "GET /projects/{project_id:int}/edit": rule(ADMINS),
    "POST /projects/{project_id:int}/edit": rule(ADMINS, body={"name": "Renamed", "purpose": "Mine"}),
    "POST /projects/{project_id:int}/status": rule(ADMINS, body={"to": "completed"}),
    "POST /projects/{project_id:int}/members": rule(ADMINS, body={"email": "{email}", "role": "ops"}),
    "POST /projects/{project_id:int}/import": rule(ADMINS, body={"batch": "more"}),
    "GET /projects/{project_id:int}/export.jsonl": rule(ADMINS),
    "GET /projects/{project_id:int}/export.preference.jsonl": rule(ADMINS),
    "GET /projects/{project_id:int}/guidelines": rule(ADMINS),
    "POST /projects/{project_id:int}/guidelines": rule(ADMINS, body={"body": "# Mine"}),
    "GET /projects/{project_id:int}/guidelines/{version:int}": rule(ADMINS),
    # work
    "POST /api/v1/projects/{project_id:int}/next": rule(WORKERS),
    "POST /api/v1/assignments/{assignment_id:int}/submit": rule({CONTRIBUTOR}, body=SUBMIT),
    "POST /api/v1/assignments/{assignment_id:int}/skip": rule({CONTRIBUTOR}, late=1),
    "GET /projects/{project_id:int}/work": rule(WORKERS),
    "POST /projects/{project_id:int}/work/next": rule(WORKERS),
    "POST /projects/{project_id:int}/work/{assignment_id:int}/submit": rule({CONTRIBUTOR}, body={"sentiment": "pos"}),
    "POST /projects/{project_id:int}/work/{assignment_id:int}/skip": rule({CONTRIBUTOR}, late=1),
    # board
    "GET /api/v1/projects/{project_id:int}/stats": rule(BOARD),
    "GET /projects/{project_id:int}/board": rule(BOARD),
    "WS /ws/projects/{project_id:int}/board": rule(BOARD),
    # quality
    "GET /api/v1/me/projects/{project_id:int}/standing": rule(MEMBERS),
    "GET /api/v1/projects/{project_id:int}/contributors": rule(ADMINS),
    "POST /api/v1/projects/{project_id:int}/contributors/{user_id:int}/standing": rule(
        ADMINS, body={"state": "removed", "reason": "Out"}, foreign_as=(422,)),  # "user_id: not a contributor here"
    "GET /projects/{project_id:int}/me": rule(MEMBERS),
    "GET /projects/{project_id:int}/me/record": rule(MEMBERS),
    "GET /projects/{project_id:int}/quality": rule(ADMINS),
    "POST /projects/{project_id:int}/quality": rule(ADMINS, body={"benchmark_size": "1"}),
    "GET /projects/{project_id:int}/quality/rule-row": rule(ADMINS),
    "GET /projects/{project_id:int}/contributors": rule(ADMINS),
    "GET /projects/{project_id:int}/contributors/table": rule(ADMINS),
    "POST /projects/{project_id:int}/contributors/{user_id:int}/standing": rule(
        ADMINS, body={"state": "removed", "reason": "Out"}, foreign_as=(422,)),
    # review
    "POST /api/v1/projects/{project_id:int}/reviews/next": rule(REVIEWERS),
    "POST /api/v1/reviews/{review_id:int}/decide": rule({REVIEWER}, body={"decision": "approve"}),
    "GET /api/v1/projects/{project_id:int}/review/metrics": rule(ADMINS),
    "GET /projects/{project_id:int}/review": rule(REVIEWERS),
    "POST /projects/{project_id:int}/review/next": rule(REVIEWERS),
    "GET /projects/{project_id:int}/review/metrics": rule(ADMINS),
    "GET /projects/{project_id:int}/review/settings": rule(ADMINS),
    "POST /projects/{project_id:int}/review/settings": rule(ADMINS, body={"stage-0-name": "Mine", "tags": "x"}),
    "GET /projects/{project_id:int}/review/open": rule(REVIEWERS),
    "GET /projects/{project_id:int}/review/{review_id:int}": rule(REVIEWERS),
    "POST /projects/{project_id:int}/review/{review_id:int}/decide": rule({REVIEWER}, body={"decision": "approve"}),
    "WS /ws/reviews/{review_id:int}/doc": rule(REVIEWERS),
    # agreement
    "GET /api/v1/projects/{project_id:int}/agreement": rule(ANALYSTS),
    "GET /api/v1/projects/{project_id:int}/aggregate": rule(ANALYSTS),
    "GET /api/v1/projects/{project_id:int}/guideline-gaps": rule(BOARD),
    "GET /projects/{project_id:int}/agreement": rule(ANALYSTS),
    "GET /projects/{project_id:int}/guideline-gaps": rule(BOARD),
    "GET /projects/{project_id:int}/guideline-gaps.csv": rule(BOARD),
    # threads
    "GET /api/v1/items/{item_id:int}/comments": rule(ITEM_READERS),
    "POST /api/v1/items/{item_id:int}/comments": rule(ITEM_READERS, body={"body": "Mine"}),
    "PATCH /api/v1/items/{item_id:int}/comments/{comment_id:int}": rule(ITEM_READERS, body={"body": "Edited"}),
    "GET /items/{item_id:int}/thread": rule(ITEM_READERS),
    "POST /items/{item_id:int}/comments": rule(ITEM_READERS, body={"body": "Mine"}),
    "POST /items/{item_id:int}/comments/{comment_id:int}": rule(ITEM_READERS, body={"body": "Edited"}),
    "WS /ws/items/{item_id:int}": rule(ITEM_READERS),
    # escalations
    "GET /api/v1/projects/{project_id:int}/escalations": rule(MEMBERS),
    "POST /api/v1/projects/{project_id:int}/escalations": rule(
        MEMBERS, body={"note": "Not covered", "assignment_id": "{assignment_id}"}),
    "POST /api/v1/projects/{project_id:int}/escalations/{escalation_id:int}/resolve": rule(
        ANALYSTS, body={"resolution": "Settled"}),
    "POST /api/v1/projects/{project_id:int}/guidelines/acknowledge": rule(MEMBERS, body={"version": 1}),
    "GET /projects/{project_id:int}/escalations": rule(ANALYSTS),
    "POST /projects/{project_id:int}/escalations/flag": rule(
        MEMBERS, body={"note": "Not covered", "assignment_id": "{assignment_id}"}),
    "POST /projects/{project_id:int}/escalations/{escalation_id:int}/resolve": rule(
        ANALYSTS, body={"resolution": "Settled"}),
    "POST /projects/{project_id:int}/guidelines/acknowledge": rule(MEMBERS, body={"version": "1"}),
    # ending access (tokens: one nobody has; the user: A's contributor, deactivated and reactivated last)
    "GET /api/v1/components": rule(SIGNED_IN),
    "GET /api/v1/me/tokens": rule(SIGNED_IN),
    "DELETE /api/v1/me/tokens/{token_id:int}": rule(SIGNED_IN, also_ok=(404,)),
    "POST /api/v1/me/password": rule(SIGNED_IN),  # the empty body: 422 at current_password
    "GET /api/v1/users": rule({OPS}),
    "GET /api/v1/users/{user_id:int}/tokens": rule({OPS}),
    "DELETE /api/v1/tokens/{token_id:int}": rule({OPS}, also_ok=(404,)),
    "GET /account": rule(SIGNED_IN),
    "POST /account/password": rule(SIGNED_IN),
    "POST /account/tokens/{token_id:int}/revoke": rule(SIGNED_IN, also_ok=(404,)),
    "GET /users": rule({OPS}),
    "GET /users/{user_id:int}": rule({OPS}),
    "POST /users/{user_id:int}/tokens/{token_id:int}/revoke": rule({OPS}, also_ok=(404,)),
    "POST /api/v1/users/{user_id:int}/deactivate": rule({OPS}, late=7),
    # the contributor is deactivated from here on (refused with 401, not 403): the others are asked
    "POST /users/{user_id:int}/deactivate": rule({OPS}, EVERYONE - {CONTRIBUTOR}, late=7),
    "POST /api/v1/users/{user_id:int}/reactivate": rule({OPS}, EVERYONE - {CONTRIBUTOR}, late=8),
    "POST /users/{user_id:int}/reactivate": rule({OPS}, EVERYONE - {CONTRIBUTOR}, late=8),
    "POST /account/sessions/end": rule(SIGNED_IN, also_ok=(303,), callers={ANON, CONTRIBUTOR}, late=9),
    # A file no item of the world names: refused to everyone, with the 404 of a file that is not there
    # (who is served a named file: test_media_store.py).
    "GET /api/v1/media/{sha256:str}": rule(set()),
    "GET /media/{sha256:str}": rule(set()),
}


def app_routes(app) -> set[str]:
    """``METHOD path`` for every handler (OPTIONS left out); a mounted app is listed by its type."""
    keys: set[str] = set()
    for route in app.routes:
        if isinstance(route, WebSocketRoute):
            keys.add(f"WS {route.path}")
        elif isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                keys.update(f"{method} {route.path}" for method in handler.http_methods if method != "OPTIONS")
        else:
            keys.add(f"{type(route).__name__} {route.path}")
    return keys


def test_every_route_has_an_access_rule(server):
    routes = app_routes(server.app)
    missing = sorted(routes - set(RULES))
    stale = sorted(set(RULES) - routes)
    assert not missing and not stale, "\n".join(
        [f"route {k} has no access rule" for k in missing] + [f"rule for {k}: no such route any more" for k in stale])


# -- the world -----------------------------------------------------------------------------------------

@dataclass
class Person:
    who: str
    email: str = ""
    token: str | None = None
    api: httpx.AsyncClient | None = None
    page: Browser | None = None


@dataclass
class World:
    """Real ids: ``a`` for project A's things, ``b`` for project B's, by path parameter name."""

    a: dict[str, Any]
    b: dict[str, Any]
    people: dict[str, Person]
    clients: list[Any] = field(default_factory=list)


REVIEW = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}], "tags": []}


async def make_project(ops: httpx.AsyncClient, items: int) -> int:
    async def ok(method: str, path: str, **kwargs) -> Any:
        response = await ops.request(method, path, **kwargs)
        assert response.status_code in (200, 201), f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    project = await ok("POST", "/api/v1/projects", json={
        "name": f"Access {uuid.uuid4().hex[:6]}", "purpose": "Who may call what", "guidelines": "# Tone",
        "interface": INTERFACE, "review": REVIEW,
        "quality": {"benchmark": {"size": 1, "pass_threshold": 0.5},
                    "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]}})
    pid = project["id"]
    await ok("POST", f"/api/v1/projects/{pid}/items", params={"batch": "b1"},
             json=[{"text": f"item {i}"} for i in range(items)])
    await ok("POST", f"/api/v1/projects/{pid}/items", params={"batch": "gold"},
             json=[{"data": {"text": "gold check"}, "gold": {"sentiment": "pos"}, "explanation": "Positive."}])
    await ok("POST", f"/api/v1/projects/{pid}/launch")
    return pid


async def make_person(server, settings, ops, who: str, project_id: int | None, role: str | None,
                      password_hash: str) -> tuple[Person, int]:
    from app.accounts.models import User
    from app.accounts.service import issue_token
    from app.db import Database

    email = f"matrix-{uuid.uuid4().hex[:8]}@test.local"
    db = Database(settings.database_url)
    async with db.transaction() as session:
        user = User(email=email, name=who.title(), password_hash=password_hash, is_ops=who == OPS)
        session.add(user)
        await session.flush()
        token = await issue_token(session, user)
        uid = user.id
    await db.dispose()
    if project_id is not None and role is not None:
        response = await ops.post(f"/api/v1/projects/{project_id}/members", json={"user_id": uid, "role": role})
        assert response.status_code in (200, 201), response.text
        if role == "contributor":
            await qualify(settings.database_url, project_id, [uid])
    person = Person(who, email, token, httpx.AsyncClient(base_url=server.url, timeout=30, verify=support.TLS,
                                                  headers={"Authorization": f"Bearer {token}"}),
                    await Browser(server.url).login(email, PASSWORD))
    return person, uid


async def work(person: Person, pid: int, *, answer: bool) -> int:
    response = await person.api.post(f"/api/v1/projects/{pid}/next")
    assert response.status_code == 200, response.text
    aid = response.json()["assignment"]["id"]
    if answer:
        submitted = await person.api.post(f"/api/v1/assignments/{aid}/submit", json={"answer": {"sentiment": "neg"}},
                                          headers={"Idempotency-Key": uuid.uuid4().hex})
        assert submitted.status_code == 201, submitted.text
    return aid


async def things(contributor: Person, reviewer: Person, pid: int) -> dict[str, int]:
    """In project ``pid``: an answer in review (held by ``reviewer``), an escalation, a held task with a comment."""
    answered = await work(contributor, pid, answer=True)
    flagged = await work(contributor, pid, answer=False)
    raised = await contributor.api.post(f"/api/v1/projects/{pid}/escalations",
                                        json={"note": "Not covered", "assignment_id": flagged})
    assert raised.status_code == 201, raised.text
    held = await contributor.api.post(f"/api/v1/projects/{pid}/next")
    assert held.status_code == 200, held.text
    assignment = held.json()["assignment"]
    comment = await contributor.api.post(f"/api/v1/items/{assignment['item']['id']}/comments",
                                         json={"body": "Is this sarcasm?"})
    assert comment.status_code in (200, 201), comment.text
    review = await reviewer.api.post(f"/api/v1/projects/{pid}/reviews/next")
    assert review.status_code == 200, review.text
    assert answered != assignment["id"]
    return {"project_id": pid, "assignment_id": assignment["id"], "item_id": assignment["item"]["id"],
            "comment_id": comment.json()["comments"][-1]["id"] if "comments" in comment.json()
            else comment.json()["comment"]["id"],
            "review_id": review.json()["review"]["id"], "escalation_id": raised.json()["escalation"]["id"],
            "version": 1}


@pytest.fixture(scope="module")
async def world(server, settings):
    from app.accounts.passwords import hash_password

    password_hash = hash_password(PASSWORD)
    people: dict[str, Person] = {ANON: Person(ANON, api=httpx.AsyncClient(base_url=server.url, timeout=30),
                                              page=await _anonymous(server))}
    ids: dict[str, int] = {}
    people[OPS], ids[OPS] = await make_person(server, settings, None, OPS, None, None, password_hash)
    root = people[OPS].api
    a, b = await make_project(root, items=8), await make_project(root, items=4)
    for who, project, role in ((CONTRIBUTOR, a, "contributor"), (OUTSIDER, b, "contributor"),
                               (REVIEWER, a, "reviewer"), (SPECIALIST, a, "specialist"), (CLIENT, a, "client"),
                               (PROJECT_OPS, a, "ops")):
        people[who], ids[who] = await make_person(server, settings, root, who, project, role, password_hash)
    b_reviewer, _ = await make_person(server, settings, root, "reviewer of B", b, "reviewer", password_hash)
    world = World(await things(people[CONTRIBUTOR], people[REVIEWER], a)
                  | {"user_id": ids[CONTRIBUTOR], "email": people[CONTRIBUTOR].email},
                  await things(people[OUTSIDER], b_reviewer, b)
                  | {"user_id": ids[OUTSIDER], "email": people[OUTSIDER].email}, people)
    world.clients = [b_reviewer.api, b_reviewer.page, *(p.api for p in people.values()),
                     *(p.page for p in people.values())]
    yield world
    for client in world.clients:
        await client.aclose()


# -- calling a route ---------------------------------------------------------------------------------

PARAMETER = re.compile(r"\{(\w+):(\w+)\}")
FIXED = {"file_path": "app.css", "path": "nothing-here", "token_id": "987654321", "sha256": "0" * 64}
INLINE = [(re.compile(p, re.IGNORECASE), what) for p, what in (
    (r"<script(?![^>]*\bsrc=)[^>]*>", "an inline <script>"),
    (r"<[a-z][^>]*\sstyle\s*=", "a style= attribute"),
    (r"<[a-z][^>]*\son[a-z]+\s*=", "an inline event handler"),
    (r"<style[\s>]", "a <style> block"),
    (r"\shx-on[:-]", "an hx-on attribute"),
    (r"\shx-(?:vals|vars)\s*=\s*['\"]\s*(?:js|javascript):", "an htmx value computed by eval"),
    (r"\shx-trigger\s*=\s*['\"][^'\"]*\[", "an htmx trigger filter (eval)"),
)]


def url_for(route: str, ids: dict[str, int]) -> str:
    path = route.split(" ", 1)[1]
    url = PARAMETER.sub(lambda m: str(FIXED.get(m.group(1), ids.get(m.group(1), m.group(0)))), path)
    assert "{" not in url, f"{route}: no id for {url}"
    return url + ("?project=%d" % ids["project_id"] if route == "WS /ws/me" else "")


@dataclass
class Outcome:
    status: int | str  # an HTTP status, or for sockets "open" / "closed 44xx" / "handshake 403"
    location: str = ""
    body: str = ""
    content_type: str = ""

    @property
    def to_login(self) -> bool:
        return self.status in (302, 303) and self.location.startswith("/login")


def filled(body: Any, ids: dict[str, Any]) -> Any:
    """``body`` with every "{name}" replaced by that id ("{name}" alone keeps the id's type)."""
    if isinstance(body, dict):
        return {k: filled(v, ids) for k, v in body.items()}
    if isinstance(body, list):
        return [filled(v, ids) for v in body]
    if isinstance(body, str):
        whole = re.fullmatch(r"\{(\w+)\}", body)
        return ids[whole.group(1)] if whole else re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), body)
    return body


async def call(server, person: Person, route: str, url: str, body: Any) -> Outcome:
    """One request as ``person``; ``body`` is JSON for the API, form fields for a page post."""
    method = route.split(" ", 1)[0]
    if method == "WS":
        return await open_socket(server, person, url)
    if url.startswith("/api/"):
        kwargs: dict[str, Any] = {}
        if method in ("POST", "PATCH"):
            kwargs["json"] = body if body is not None else {}
        response = await person.api.request(method, url, **kwargs)
    elif route in ("POST /logout", "POST /account/sessions/end"):  # in a session of its own: the person's stays signed in
        fresh = await (Browser(server.url).login(person.email, PASSWORD) if person.email else _anonymous(server))
        try:
            response = await fresh.post(url, {})
        finally:
            await fresh.aclose()
    elif method == "POST":
        response = await person.page.post(url, {k: str(v) for k, v in (body or {}).items()})
    else:
        response = await person.page.http.request(method, url)
    return Outcome(response.status_code, response.headers.get("location", ""), response.text,
                   response.headers.get("content-type", ""))


async def _anonymous(server) -> Browser:
    browser = Browser(server.url)
    await browser.get("/login")  # a CSRF cookie, so its posts reach the access check
    return browser


async def open_socket(server, person: Person, url: str) -> Outcome:
    headers = {"Authorization": f"Bearer {person.token}"} if person.token else {}
    try:
        async with connect(server.url.replace("http://", "ws://", 1) + url, additional_headers=headers,
                           open_timeout=5) as socket:
            try:
                await asyncio.wait_for(socket.recv(), timeout=1)
            except ConnectionClosed as closed:
                return Outcome(f"closed {closed.rcvd.code if closed.rcvd else None}")
            except asyncio.TimeoutError:
                pass
            return Outcome("open")
    except InvalidStatus as exc:
        return Outcome(f"handshake {exc.response.status_code}")
    except InvalidHandshake as exc:
        return Outcome(f"handshake failed: {exc}")


def allowed(outcome: Outcome, rule: Rule) -> bool:
    if isinstance(outcome.status, str):
        return outcome.status == "open"
    if outcome.status in rule.also_ok:
        return True
    return outcome.status < 500 and outcome.status not in (401, 403, 404) and not outcome.to_login


def refused(outcome: Outcome, person: Person, route: str) -> bool:
    if isinstance(outcome.status, str):
        return outcome.status.startswith(("closed 44", "handshake 401", "handshake 403", "handshake 404"))
    path = route.split(" ", 1)[1]
    if person.who != ANON:
        return outcome.status in (403, 404)
    if path.startswith("/api/"):
        return outcome.status == 401
    return outcome.to_login if route.startswith("GET ") else outcome.status in (401, 403)


def inline_markup(outcome: Outcome, url: str) -> list[str]:
    if not outcome.content_type.startswith("text/html") or url.startswith("/schema"):
        return []
    return [f"{what}: …{outcome.body[max(0, m.start() - 60):m.end() + 60]!r}…"
            for pattern, what in INLINE for m in [pattern.search(outcome.body)] if m]


def in_order(routes: set[str]) -> list[str]:
    return sorted(routes, key=lambda r: (RULES[r].late, r))


#: Path parameters that name a thing of a project (not the project itself, a version or a file).
THINGS = ("assignment_id", "item_id", "comment_id", "review_id", "escalation_id", "user_id")


async def test_the_things_of_another_project_are_refused(server, world):
    """Project B's assignment, item, comment, review, escalation or contributor, reached through
    project A (or directly, by the thing's id), by everyone of A who may call the route on A's own,
    with a valid body: only the check that the thing is theirs can stop them."""
    problems: list[str] = []
    mixed = world.b | {"project_id": world.a["project_id"]}
    for route in in_order({r for r in app_routes(server.app) & set(RULES) if any(f"{{{n}:" in r for n in THINGS)}):
        rule = RULES[route]
        url = url_for(route, mixed)
        bare = "{project_id:int}" not in route  # /items/{id}, /reviews/{id}: global ops may reach B's
        for who in sorted(rule.who - {ANON, OUTSIDER} - ({OPS} if bare else set())):
            outcome = await call(server, world.people[who], route, url, filled(rule.body, mixed))
            if outcome.status not in rule.foreign_as and not refused(outcome, world.people[who], route):
                problems.append(f"{route} as {who} with project B's ids ({url}): got {outcome.status} "
                                f"{outcome.body[:200]!r}")
    if problems:
        pytest.fail(f"{len(problems)} cross-project problem(s):\n" + "\n".join(problems), pytrace=False)


async def test_every_route_as_every_person(server, world):
    problems: list[str] = []
    for route in in_order(app_routes(server.app) & set(RULES)):
        rule = RULES[route]
        url = url_for(route, world.a)
        # those who may not first (with a valid body), then those who may (with an empty one), so a call
        # that changes the world (a skip, a pause) comes after everyone was refused it
        for who in sorted(rule.callers, key=lambda w: (w in rule.who, PEOPLE.index(w))):
            person, may = world.people[who], who in rule.who
            outcome = await call(server, person, route, url, None if may else filled(rule.body, world.a))
            if may and not allowed(outcome, rule):
                problems.append(f"{route} as {who}: should be allowed, got {outcome.status} "
                                f"{outcome.location} {outcome.body[:200]!r}")
            elif not may and not refused(outcome, person, route):
                problems.append(f"{route} as {who}: should be refused, got {outcome.status} "
                                f"{outcome.location} {outcome.body[:200]!r}")
            problems.extend(f"{route} as {who}: the page has {found}" for found in inline_markup(outcome, url))
    if problems:
        pytest.fail(f"{len(problems)} access problem(s):\n" + "\n".join(problems), pytrace=False)
