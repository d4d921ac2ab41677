"""Comment threads on items: who may read them, what each reader sees of who wrote what, safe
markdown, mentions that reach the person mentioned, and the live thread over /ws/items/{id}."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect

from app.accounts.pseudonym import pseudonym
from app.events.models import Event
from app.quality.models import Feedback
from app.work.models import Assignment
from tests.integration.test_board_socket import assert_refused, bearer

PUSH_DEADLINE = 1.0


@dataclass
class Scene:
    pid: int
    item_id: int  # leased to both contributors
    a: tuple[dict, object]
    b: tuple[dict, object]


@pytest.fixture
def scene(new_project, quick_user):
    """A live project whose first item is leased to two contributors, A and B (overlap 2)."""

    async def make() -> Scene:
        project = await new_project(items=2, overlap=2, launch=True)
        pid = project["id"]
        a = await quick_user("contributor", pid)
        b = await quick_user("contributor", pid)
        first = (await a[1].ok("POST", f"/projects/{pid}/next", status=200))["assignment"]
        second = (await b[1].ok("POST", f"/projects/{pid}/next", status=200))["assignment"]
        assert first["item"]["id"] == second["item"]["id"], "overlap 2: both get the first item"
        return Scene(pid, first["item"]["id"], a, b)

    return make


def comments_url(item_id: int) -> str:
    return f"/items/{item_id}/comments"


async def post_comment(api, item_id: int, body: str, **extra) -> dict:
    return (await api.ok("POST", comments_url(item_id), status=201, json={"body": body} | extra))["comment"]


async def thread_of(api, item_id: int) -> list[dict]:
    return (await api.ok("GET", comments_url(item_id), status=200))["comments"]


def ws_item_url(server, item_id: int) -> str:
    return server.url.replace("http://", "ws://", 1) + f"/ws/items/{item_id}"


# -- the API ------------------------------------------------------------------------------------------

async def test_add_list_edit_resolve_and_reopen(scene, ops, quick_user, db):
    s = await scene()
    (alice, a_api), (bob, b_api) = s.a, s.b
    reviewer, r_api = await quick_user("reviewer", s.pid)

    made = await post_comment(a_api, s.item_id, "Is *sarcasm* positive or negative here?")
    assert made["author"] == {"name": alice["name"], "role": "contributor", "is_you": True}
    assert made["body"] == "Is *sarcasm* positive or negative here?"
    assert "<em>sarcasm</em>" in made["html"]
    assert made["item_id"] == s.item_id and made["annotation_id"] is None
    assert made["edited_at"] is None and made["resolved_at"] is None and made["created_at"].endswith("Z")

    reply = await post_comment(r_api, s.item_id, "Negative: see section 3.")
    listed = await thread_of(ops, s.item_id)
    assert [c["id"] for c in listed] == [made["id"], reply["id"]], "oldest first"
    assert listed[0]["author"] == {"name": alice["name"], "role": "contributor", "is_you": False}
    assert listed[1]["author"] == {"name": reviewer["name"], "role": "reviewer", "is_you": False}

    edited = (await a_api.ok("PATCH", f"{comments_url(s.item_id)}/{made['id']}", status=200,
                             json={"body": "Is sarcasm negative here?"}))["comment"]
    assert edited["body"] == "Is sarcasm negative here?" and edited["edited_at"] is not None
    # only the author (or ops) edits; only staff resolve
    await b_api.ok("PATCH", f"{comments_url(s.item_id)}/{made['id']}", status=403, json={"body": "mine now"})
    await r_api.ok("PATCH", f"{comments_url(s.item_id)}/{made['id']}", status=403, json={"body": "mine now"})
    await a_api.ok("PATCH", f"{comments_url(s.item_id)}/{made['id']}", status=403, json={"resolved": True})
    by_ops = (await ops.ok("PATCH", f"{comments_url(s.item_id)}/{made['id']}", status=200,
                           json={"body": "Is sarcasm negative here? (typo fixed by ops)"}))["comment"]
    assert by_ops["body"].endswith("(typo fixed by ops)")

    resolved = (await r_api.ok("PATCH", f"{comments_url(s.item_id)}/{made['id']}", status=200,
                               json={"resolved": True}))["comment"]
    assert resolved["resolved_at"] is not None
    assert (await thread_of(b_api, s.item_id))[0]["resolved_at"] == resolved["resolved_at"]
    reopened = (await r_api.ok("PATCH", f"{comments_url(s.item_id)}/{made['id']}", status=200,
                               json={"resolved": False}))["comment"]
    assert reopened["resolved_at"] is None
    await r_api.ok("PATCH", f"{comments_url(s.item_id)}/{made['id']}", status=422, json={"resolved": "yes"})
    await r_api.ok("PATCH", f"{comments_url(s.item_id)}/{made['id']}", status=422, json={})
    await r_api.ok("PATCH", f"{comments_url(s.item_id)}/999999999", status=404, json={"resolved": True})

    async with db.transaction() as session:
        actions = (await session.execute(select(Event.action, Event.payload).where(
            Event.project_id == s.pid, Event.subject_type == "comment").order_by(Event.id))).all()
    assert [a for a, _ in actions] == ["comment.added", "comment.added", "comment.edited", "comment.edited",
                                       "comment.resolved", "comment.reopened"]
    assert all(p["item_id"] == s.item_id for _, p in actions)


async def test_empty_or_oversized_body_is_refused_at_the_field(scene):
    s = await scene()
    _, a_api = s.a
    for body in ("", "   \n ", None, 42, "x" * 10_001):
        response = await a_api.post(comments_url(s.item_id), json={"body": body})
        assert response.status_code == 422, (body, response.text)
        assert "body" in response.json()["errors"]
    made = await post_comment(a_api, s.item_id, "fine")
    response = await a_api.patch(f"{comments_url(s.item_id)}/{made['id']}", json={"body": " "})
    assert response.status_code == 422 and "body" in response.json()["errors"]
    response = await a_api.post(comments_url(s.item_id), json={"body": "about an answer", "annotation_id": 999_999_999})
    assert response.status_code == 422 and "annotation_id" in response.json()["errors"]
    assert [c["body"] for c in await thread_of(a_api, s.item_id)] == ["fine"], "nothing refused was stored"


async def test_only_people_who_may_see_the_item_read_its_thread(scene, quick_user, new_project, ops):
    s = await scene()
    _, a_api = s.a
    await post_comment(a_api, s.item_id, "A question about this item")
    _, idle = await quick_user("contributor", s.pid)  # in the project, never given this item
    _, client = await quick_user("client", s.pid)
    other = await new_project()
    _, stranger = await quick_user("reviewer", other["id"])  # staff, but of another project
    for api in (idle, client, stranger):
        for method, kwargs in (("GET", {}), ("POST", {"json": {"body": "let me in"}})):
            response = await api.request(method, comments_url(s.item_id), **kwargs)
            assert response.status_code == 403, (method, response.text)
            assert "A question about this item" not in response.text
        response = await api.patch(f"{comments_url(s.item_id)}/1", json={"body": "x"})
        assert response.status_code == 403
    await ops.ok("GET", comments_url(987_654_321), status=404)
    await ops.ok("GET", comments_url(2**63), status=404)
    assert len(await thread_of(ops, s.item_id)) == 1, "no refused post was stored"


async def test_contributors_see_each_other_only_by_pseudonym(scene, quick_user, ops, settings):
    s = await scene()
    (alice, a_api), (bob, b_api) = s.a, s.b
    reviewer, r_api = await quick_user("reviewer", s.pid)
    await post_comment(a_api, s.item_id, "I think it is neutral.")
    await post_comment(r_api, s.item_id, f"@{alice['email']} good question, @{bob['email']} agrees?")

    seen_by_bob = await b_api.get(comments_url(s.item_id))
    comments = seen_by_bob.json()["comments"]
    alias = pseudonym(settings.secret_key, s.pid, alice["id"])
    assert comments[0]["author"] == {"name": alias, "role": "contributor", "is_you": False}
    assert comments[1]["author"] == {"name": reviewer["name"], "role": "reviewer", "is_you": False}
    assert comments[1]["body"] == f"@{alias} good question, @{bob['name']} agrees?"
    for secret in (alice["name"], alice["email"], f'"author_id"', f'"user_id"'):
        assert secret not in seen_by_bob.text, f"{secret} reached another contributor"

    # a reviewer, like on the board, sees contributors by pseudonym too; ops see who is who
    seen_by_reviewer = await r_api.get(comments_url(s.item_id))
    assert seen_by_reviewer.json()["comments"][0]["author"]["name"] == alias
    assert alice["email"] not in seen_by_reviewer.json()["comments"][0]["body"]
    seen_by_ops = await thread_of(ops, s.item_id)
    assert seen_by_ops[0]["author"]["name"] == alice["name"]
    assert seen_by_ops[1]["body"] == f"@{alice['email']} good question, @{bob['email']} agrees?"


async def test_markdown_is_rendered_and_html_is_never_passed_through(scene, browser_for):
    s = await scene()
    alice, a_api = s.a
    body = ("**Bold** and a list:\n\n- one\n- two\n\n<script>alert('x')</script> <img src=x onerror=alert(1)>\n\n"
            "[click](javascript:alert(1))")
    made = await post_comment(a_api, s.item_id, body)
    html = made["html"]
    assert "<strong>Bold</strong>" in html and "<li>one</li>" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;" in html
    page = await (await browser_for(alice["email"])).get(f"/items/{s.item_id}/thread")
    assert page.status_code == 200
    assert "<strong>Bold</strong>" in page.text and "alert('x')</script>" not in page.text
    assert "onerror=alert(1)>" not in page.text and 'href="javascript:' not in page.text


async def test_a_mention_reaches_the_person_if_they_may_see_the_comment(scene, quick_user, db, settings):
    s = await scene()
    (alice, a_api), (bob, b_api) = s.a, s.b
    reviewer, r_api = await quick_user("reviewer", s.pid)
    idle, _ = await quick_user("contributor", s.pid)  # never given the item
    client, _ = await quick_user("client", s.pid)
    made = await post_comment(
        a_api, s.item_id, f"@{reviewer['email']} is sarcasm negative? cc @{idle['email']}, "
                          f"@{client['email']} and @nobody-{s.pid}@test.local")
    unknown_only = await post_comment(a_api, s.item_id, f"@ghost-{s.pid}@test.local hello")
    assert set(made) == set(unknown_only), "the author is told nothing about who exists"

    standing = await r_api.ok("GET", f"/me/projects/{s.pid}/standing", status=200)
    mentions = [f for f in standing["feedback"] if f["kind"] == "mention"]
    assert len(mentions) == 1, standing["feedback"]
    alias = pseudonym(settings.secret_key, s.pid, alice["id"])
    assert mentions[0]["title"] == f"{alias} mentioned you"
    assert "is sarcasm negative?" in mentions[0]["body"] and alice["email"] not in str(mentions[0])
    assert mentions[0]["payload"] == {"comment_id": made["id"]}
    async with db.transaction() as session:
        notified = set((await session.execute(select(Feedback.user_id).where(
            Feedback.project_id == s.pid, Feedback.kind == "mention"))).scalars())
    assert notified == {reviewer["id"]}, "nobody who cannot see the item is notified"

    # an edit notifies only the people it adds
    await a_api.ok("PATCH", f"{comments_url(s.item_id)}/{made['id']}", status=200,
                   json={"body": f"@{reviewer['email']} and @{bob['email']}: is sarcasm negative?"})
    async with db.transaction() as session:
        rows = (await session.execute(select(Feedback.user_id, Feedback.title).where(
            Feedback.project_id == s.pid, Feedback.kind == "mention"))).all()
    assert sorted(r.user_id for r in rows) == sorted([reviewer["id"], bob["id"]])
    assert dict(rows)[bob["id"]] == f"{alias} mentioned you", "a contributor is told only a pseudonym"


async def test_a_contributor_reads_only_comments_about_the_item_or_their_own_answers(scene, quick_user, db, settings):
    s = await scene()
    (alice, a_api), (bob, b_api) = s.a, s.b
    _, r_api = await quick_user("reviewer", s.pid)
    async with db.transaction() as session:
        a_assignment = (await session.execute(select(Assignment.id).where(
            Assignment.item_id == s.item_id, Assignment.user_id == alice["id"]))).scalar_one()
    answer = await a_api.ok("POST", f"/assignments/{a_assignment}/submit", status=201,
                            json={"answer": {"sentiment": "neg"}})
    annotation_id = answer["annotation"]["id"]
    about_alice = await post_comment(r_api, s.item_id, "This answer misses the sarcasm.", annotation_id=annotation_id)
    assert about_alice["annotation_id"] == annotation_id
    await a_api.ok("PATCH", f"{comments_url(s.item_id)}/{about_alice['id']}", status=403, json={"body": "x"})
    await r_api.ok("PATCH", f"{comments_url(s.item_id)}/{about_alice['id']}", status=200,
                   json={"body": f"This answer misses the sarcasm. @{alice['email']} @{bob['email']}"})
    async with db.transaction() as session:
        notified = set((await session.execute(select(Feedback.user_id).where(
            Feedback.project_id == s.pid, Feedback.kind == "mention"))).scalars())
    assert notified == {alice["id"]}, "a mention in a comment Bob may not read does not reach him"
    await post_comment(r_api, s.item_id, "General note for everyone.")

    assert [c["body"] for c in await thread_of(a_api, s.item_id)] == [
        f"This answer misses the sarcasm. @{alice['name']} @{pseudonym(settings.secret_key, s.pid, bob['id'])}",
        "General note for everyone."]
    assert [c["body"] for c in await thread_of(b_api, s.item_id)] == ["General note for everyone."]
    # Bob can neither comment on Alice's answer nor edit a comment he cannot read
    response = await b_api.post(comments_url(s.item_id), json={"body": "hm", "annotation_id": annotation_id})
    assert response.status_code == 422 and "annotation_id" in response.json()["errors"]
    response = await b_api.patch(f"{comments_url(s.item_id)}/{about_alice['id']}", json={"body": "x"})
    assert response.status_code == 404
    # an answer to another item is refused even for staff
    other_item = s.item_id + 1
    response = await r_api.post(comments_url(other_item), json={"body": "x", "annotation_id": annotation_id})
    assert response.status_code == 422 and "annotation_id" in response.json()["errors"]


async def test_on_a_check_item_a_contributor_reads_only_their_own_comments(new_project, quick_user, ops, db):
    """Staff may discuss the expected answer of a quality-check item; a contributor who was given it
    reads only what they wrote there, and the thread otherwise answers as any other."""
    project = await new_project(items=1, launch=True)
    pid = project["id"]
    alice, a_api = await quick_user("contributor", pid)  # qualify() gave her the check item, answered
    async with db.transaction() as session:
        check_item = (await session.execute(select(Assignment.item_id).where(
            Assignment.user_id == alice["id"], Assignment.project_id == pid))).scalar_one()
    await post_comment(ops, check_item, "Expected: pos, because of the exclamation mark.")
    mine = await post_comment(a_api, check_item, "Was this one tricky?")
    assert [c["id"] for c in await thread_of(a_api, check_item)] == [mine["id"]]
    assert len(await thread_of(ops, check_item)) == 2


# -- the live thread ----------------------------------------------------------------------------------

async def wait_for(socket, text: str, deadline: float) -> str:
    seen = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no push containing {text!r} in time; saw {[m[:200] for m in seen]}")
        try:
            message = await asyncio.wait_for(socket.recv(), timeout=remaining)
        except asyncio.TimeoutError:
            raise AssertionError(f"no push containing {text!r} in time; saw {[m[:200] for m in seen]}") from None
        seen.append(message)
        if text in message:
            return message


async def test_socket_sends_a_snapshot_then_each_change_within_a_second(scene, server, settings, quick_user):
    s = await scene()
    (alice, a_api), (bob, b_api) = s.a, s.b
    _, r_api = await quick_user("reviewer", s.pid)
    first = await post_comment(a_api, s.item_id, "First question")
    async with connect(ws_item_url(server, s.item_id), additional_headers=bearer(b_api), open_timeout=5) as socket:
        snapshot = await asyncio.wait_for(socket.recv(), timeout=5)
        assert f'id="thread-{s.item_id}-comments"' in snapshot and 'hx-swap-oob="true"' in snapshot
        assert "First question" in snapshot
        assert pseudonym(settings.secret_key, s.pid, alice["id"]) in snapshot and alice["name"] not in snapshot

        await post_comment(r_api, s.item_id, "An answer from review")
        pushed = await wait_for(socket, "An answer from review", time.monotonic() + PUSH_DEADLINE)
        assert "First question" in pushed, "every push is the whole thread"

        await a_api.ok("PATCH", f"{comments_url(s.item_id)}/{first['id']}", status=200,
                       json={"body": "First question, edited"})
        await wait_for(socket, "First question, edited", time.monotonic() + PUSH_DEADLINE)
        await r_api.ok("PATCH", f"{comments_url(s.item_id)}/{first['id']}", status=200, json={"resolved": True})
        await wait_for(socket, 'data-resolved="true"', time.monotonic() + PUSH_DEADLINE)


async def test_socket_refuses_people_who_may_not_see_the_item(scene, server, quick_user):
    s = await scene()
    _, idle = await quick_user("contributor", s.pid)
    _, client = await quick_user("client", s.pid)
    for api in (idle, client):
        await assert_refused(ws_item_url(server, s.item_id), bearer(api))
    _, a_api = s.a
    await assert_refused(ws_item_url(server, 987_654_321), bearer(a_api))


# -- the pages ----------------------------------------------------------------------------------------

async def test_thread_page_and_its_forms(scene, browser_for, quick_user):
    s = await scene()
    alice, _ = s.a
    reviewer, _ = await quick_user("reviewer", s.pid)
    page = await browser_for(alice["email"])
    shown = await page.get(f"/items/{s.item_id}/thread")
    assert shown.status_code == 200
    assert f'ws-connect="/ws/items/{s.item_id}"' in shown.text and "No comments yet." in shown.text
    assert "item 0" in shown.text, "the item itself is shown"
    assert f'name="_csrf_token" value="{page.csrf}"' in shown.text, "the forms carry the CSRF token"

    added = await page.post(f"/items/{s.item_id}/comments", {"body": "Posted *from the page*"}, htmx=True)
    assert added.status_code == 200
    assert f'id="thread-{s.item_id}-form"' in added.text and "<em>from the page</em>" in added.text
    assert 'hx-swap-oob="true"' in added.text, "the list comes out of band with the fresh form"
    refused = await page.post(f"/items/{s.item_id}/comments", {"body": "  "}, htmx=True)
    assert refused.status_code == 422 and "Write something" in refused.text

    plain = await page.post(f"/items/{s.item_id}/comments", {"body": "Without JavaScript"})
    assert plain.status_code == 303 and plain.headers["location"].startswith(f"/items/{s.item_id}/thread#comment-")
    comment_id = int(plain.headers["location"].rsplit("-", 1)[1])
    edited = await page.post(f"/items/{s.item_id}/comments/{comment_id}", {"body": "Without JavaScript, edited"},
                             htmx=True)
    assert edited.status_code == 200 and "Without JavaScript, edited" in edited.text
    assert (await page.post(f"/items/{s.item_id}/comments/{comment_id}", {"resolved": "true"},
                            htmx=True)).status_code == 403, "a contributor does not resolve"
    staff = await browser_for(reviewer["email"])
    resolved = await staff.post(f"/items/{s.item_id}/comments/{comment_id}", {"resolved": "true"}, htmx=True)
    assert resolved.status_code == 200 and 'data-resolved="true"' in resolved.text
    assert (await page.post(f"/items/{s.item_id}/comments", {"body": "no token"}, csrf=False)).status_code == 403


def test_the_partial_renders_from_its_include_contract():
    """Other pages include the thread with just the item id and their CSRF token; the list arrives over the socket."""
    from app.web.templating import standalone_templates

    env = standalone_templates().engine
    html = env.from_string('{% include "threads/_thread.html" %}').render(thread_item_id=7, csrf="page-token",
                                                                          comments=["not the thread's"])
    assert 'hx-ext="ws" ws-connect="/ws/items/7"' in html and 'id="thread-7-comments"' in html
    assert 'name="_csrf_token" value="page-token"' in html and 'hx-post="/items/7/comments"' in html
    assert "not the thread" not in html, "a page's own `comments` are not taken for the thread"


# -- for test_secrecy's sweep -------------------------------------------------------------------------

async def sweep_threads(s, server, db, held: dict) -> None:
    """Every thread route, called by test_secrecy's contributor while they hold ``held`` (a check item
    they have not answered). Ops first discuss its expected answer there and mention the contributor:
    the sweep's checks prove none of it reaches them. An item they were never given is refused."""
    from app.accounts.models import User
    from app.items.models import Item
    from app.threads.access import item_access
    from app.threads.service import add_comment
    from tests.integration.conftest import ROOT_EMAIL

    item, pid, uid = held["item"]["id"], s.scene.pid, s.uid
    gold = s.scene.of(held)
    async with db.transaction() as session:
        root = (await session.execute(select(User).where(User.email == ROOT_EMAIL))).scalar_one()
        access = await item_access(session, root, item)
        secret_note = f"@{s.email} the gold answer is {gold.answer['rationale']}: {gold.explanation}"
        await add_comment(session, access, root, secret_note, secret=server.app.state.settings.secret_key)
        given = select(Assignment.item_id).where(Assignment.user_id == uid)
        not_given = (await session.execute(select(Item.id).where(Item.project_id == pid, Item.id.not_in(given))
                                           .order_by(Item.id).limit(1))).scalar_one()

    api, route = f"/api/v1/items/{item}/comments", "/api/v1/items/{item_id:int}/comments"
    listed = await s.call(f"GET {route}", s.api, "GET", api, 200)
    assert listed.json() == {"comments": []}, "ops' note on the item is not for the contributor"
    made = await s.call(f"POST {route}", s.api, "POST", api, 201, json={"body": "Does the day count matter?"})
    comment_id = made.json()["comment"]["id"]
    await s.call(f"PATCH {route}/{{comment_id:int}}", s.api, "PATCH", f"{api}/{comment_id}", 200,
                 json={"body": "Does the day of delivery matter?"})
    await s.call(f"PATCH {route}/{{comment_id:int}}", s.api, "PATCH", f"{api}/{comment_id}", 403,
                 json={"resolved": True})
    await s.call(f"GET {route}", s.api, "GET", f"/api/v1/items/{not_given}/comments", 403)
    await s.call(f"POST {route}", s.api, "POST", f"/api/v1/items/{not_given}/comments", 403, json={"body": "hi"})
    await s.call("GET /api/v1/me/projects/{project_id:int}/standing", s.api, "GET",
                 f"/api/v1/me/projects/{pid}/standing", 200)  # no mention of them came through

    ws = server.url.replace("http://", "ws://", 1)
    headers = {"Authorization": f"Bearer {s.token}"}
    async with connect(f"{ws}/ws/items/{item}", additional_headers=headers, open_timeout=5) as socket:
        snapshot = await asyncio.wait_for(socket.recv(), 5)
        s.check("WS /ws/items/{item_id:int}", f"WS /ws/items/{item}", snapshot)
        assert "the day of delivery" in snapshot
    await assert_refused(f"{ws}/ws/items/{not_given}", headers)

    await s.call("GET /items/{item_id:int}/thread", s.page.http, "GET", f"/items/{item}/thread", 200)
    await s.call("GET /items/{item_id:int}/thread", s.page.http, "GET", f"/items/{not_given}/thread", 403)
    await s.form("POST /items/{item_id:int}/comments", f"/items/{item}/comments", 200,
                 {"body": "And does the tone matter?"}, htmx=True)
    await s.form("POST /items/{item_id:int}/comments", f"/items/{not_given}/comments", 403, {"body": "x"}, htmx=True)
    await s.form("POST /items/{item_id:int}/comments/{comment_id:int}", f"/items/{item}/comments/{comment_id}", 200,
                 {"body": "Does the delivery day matter?"}, htmx=True)
    await s.form("POST /items/{item_id:int}/comments/{comment_id:int}", f"/items/{item}/comments/{comment_id}", 403,
                 {"resolved": "true"}, htmx=True)
