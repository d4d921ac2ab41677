"""Reviewers editing one review task together over /ws/reviews/{id}/doc: who may join, two (and
three) Python clients holding pycrdt documents converging through the server, the state stored,
and the decision recording the merged answer with every co-editor in the event log."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass

import pytest
from pycrdt import Doc, Map, Text
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.coedit import service as coedit
from app.coedit.models import CoeditDoc
from app.events.models import Event
from app.work.models import Annotation
from tests.integration.test_board_socket import assert_refused, bearer
from tests.support import ServerThread, backend

SYNC1, SYNC2, UPDATE, JSON_MSG = 0, 1, 2, 3
ONE_STAGE = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}],
             "tags": ["wrong label"]}
CONVERGE_WITHIN = 3.0


class DocClient:
    """A co-editor as a program: a pycrdt document kept in step with the server's."""

    def __init__(self, url: str, headers: dict[str, str]):
        self.url, self.headers = url, headers
        self.doc = Doc()
        self.fields = self.doc.get("fields", type=Map)
        self.people: list[dict] = []
        self.decided: dict | None = None
        self.synced = asyncio.Event()
        self.closed_code: int | None = None

    def text(self, name: str) -> Text:
        return self.doc.get(f"text:{name}", type=Text)

    async def __aenter__(self) -> "DocClient":
        self.ws = await connect(self.url, additional_headers=self.headers, open_timeout=5)
        await self.ws.send(bytes([SYNC1]) + self.doc.get_state())
        self.reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self.synced.wait(), 5)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()
        self.reader.cancel()

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                kind, payload = message[0], message[1:]
                if kind == SYNC1:
                    await self.ws.send(bytes([SYNC2]) + self.doc.get_update(payload))
                elif kind in (SYNC2, UPDATE):
                    self.doc.apply_update(payload)
                    if kind == SYNC2:
                        self.synced.set()
                elif kind == JSON_MSG:
                    body = json.loads(payload)
                    if body["type"] == "people":
                        self.people = body["people"]
                    elif body["type"] == "decided":
                        self.decided = body
        except ConnectionClosed as closed:
            self.closed_code = closed.rcvd.code if closed.rcvd else None

    async def edit(self, change) -> None:
        """Make a change locally and send it as an update."""
        before = self.doc.get_state()
        with self.doc.transaction():
            change(self)
        await self.ws.send(bytes([UPDATE]) + self.doc.get_update(before))

    async def presence(self, field: str | None) -> None:
        await self.ws.send(bytes([JSON_MSG]) + json.dumps({"type": "presence", "field": field,
                                                           "client": self.doc.client_id}).encode())

    def answer(self) -> dict:
        return {"fields": self.fields.to_py(), "rationale": str(self.text("rationale"))}


async def until(check, what: str, within: float = CONVERGE_WITHIN):
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not in time: {what}")
        await asyncio.sleep(0.02)


def contents(state: bytes) -> dict:
    """What a stored state holds, in DocClient.answer()'s shape."""
    doc = Doc()
    doc.apply_update(state)
    return {"fields": doc.get("fields", type=Map).to_py(), "rationale": str(doc.get("text:rationale", type=Text))}


@dataclass
class Scene:
    pid: int
    review_id: int
    contributor: tuple
    holder: tuple  # the reviewer holding the lease
    other: tuple  # a second reviewer, allowed to co-edit
    third: tuple  # and a third

    def url(self, server, review_id: int | None = None) -> str:
        return server.url.replace("http://", "ws://", 1) + f"/ws/reviews/{review_id or self.review_id}/doc"


@pytest.fixture
def scene(new_project, quick_user):
    async def make(rationale: str = "too dark") -> Scene:
        project = await new_project(items=2, launch=True, review=ONE_STAGE)
        pid = project["id"]
        contributor = await quick_user("contributor", pid)
        lease = await contributor[1].ok("POST", f"/projects/{pid}/next", status=200)
        await contributor[1].ok("POST", f"/assignments/{lease['assignment']['id']}/submit", status=201,
                                json={"answer": {"sentiment": "neg", "rationale": rationale}})
        holder = await quick_user("reviewer", pid)
        other = await quick_user("reviewer", pid)
        third = await quick_user("specialist", pid)
        review = (await holder[1].ok("POST", f"/projects/{pid}/reviews/next", status=200))["review"]
        return Scene(pid, review["id"], contributor, holder, other, third)

    return make


async def events_of(db, project_id: int, action: str) -> list[Event]:
    async with db.transaction() as session:
        return list((await session.execute(select(Event).where(Event.project_id == project_id, Event.action == action)
                                           .order_by(Event.id))).scalars())


async def stored(db, review_id: int) -> CoeditDoc | None:
    async with db.transaction() as session:
        return await session.get(CoeditDoc, review_id)


async def stored_as(db, review_id: int, expected: dict, editors: list[int], within: float = 3.0) -> CoeditDoc:
    deadline = time.monotonic() + within
    while True:
        row = await stored(db, review_id)
        if row is not None and contents(row.state) == expected and sorted(row.editors) == sorted(editors):
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"not stored in time: {row and (contents(row.state), row.editors)}")
        await asyncio.sleep(0.1)


# -- who may join ----------------------------------------------------------------------------------

async def test_only_people_allowed_to_review_the_item_join(scene, server, quick_user, new_project):
    s = await scene()
    _, client = await quick_user("client", s.pid)
    _, idle = await quick_user("contributor", s.pid)
    _, stranger = await quick_user("reviewer", None)
    elsewhere_project = await new_project(items=1)
    _, elsewhere = await quick_user("reviewer", elsewhere_project["id"])
    for api in (s.contributor[1], idle, client, stranger, elsewhere):
        await assert_refused(s.url(server), bearer(api))
    # A contributor (here the one who gave the answer) is refused with 4403.
    with pytest.raises(ConnectionClosed) as closed:
        async with connect(s.url(server), additional_headers=bearer(s.contributor[1]), open_timeout=5) as socket:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd.code == 4403
    await assert_refused(s.url(server, 987_654_321), bearer(s.holder[1]))
    # The leaseholder, another reviewer and a specialist of the project join.
    async with DocClient(s.url(server), bearer(s.holder[1])) as a, DocClient(s.url(server), bearer(s.other[1])) as b, \
            DocClient(s.url(server), bearer(s.third[1])) as c:
        for client_ in (a, b, c):
            assert client_.answer() == {"fields": {"sentiment": "neg"}, "rationale": "too dark"}


async def test_a_stage_above_your_level_or_a_decided_task_is_not_open(scene, server, quick_user, ops, db):
    from app.review.models import ReviewTask

    s = await scene()
    async with db.transaction() as session:  # make it a level-2 stage
        task = await session.get(ReviewTask, s.review_id)
        task.level = 2
        session.add(task)
    await assert_refused(s.url(server), bearer(s.other[1]))
    senior, senior_api = await quick_user("reviewer", None)
    await ops.ok("POST", f"/projects/{s.pid}/members", json={"user_id": senior["id"], "role": "reviewer", "level": 2})
    async with DocClient(s.url(server), bearer(senior_api)) as c:
        assert c.fields.to_py()["sentiment"] == "neg"
        await s.holder[1].ok("POST", f"/reviews/{s.review_id}/decide", json={"decision": "approve"})
    with pytest.raises(ConnectionClosed) as closed:
        async with connect(s.url(server), additional_headers=bearer(senior_api), open_timeout=5) as socket:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd.code == 4409, "a decided review is closed for editing"


# -- editing together --------------------------------------------------------------------------------

async def test_two_clients_converge_the_state_is_stored_and_a_third_joiner_gets_it(scene, server, db):
    s = await scene()
    async with DocClient(s.url(server), bearer(s.holder[1])) as a, DocClient(s.url(server), bearer(s.other[1])) as b:
        # Concurrent typing in the same text, at the same place, before either sees the other's.
        await asyncio.gather(a.edit(lambda c: c.text("rationale").insert(0, "Alpha ")),
                             b.edit(lambda c: c.text("rationale").insert(0, "Bravo ")))
        await until(lambda: str(a.text("rationale")) == str(b.text("rationale")) and "Alpha" in str(a.text("rationale"))
                    and "Bravo" in str(b.text("rationale")), "both texts hold both edits")
        merged = str(a.text("rationale"))
        assert merged.endswith("too dark") and sorted([merged[:6], merged[6:12]]) == ["Alpha ", "Bravo "]

        # A structured field: a change shows on the other side; two at once end the same everywhere.
        await a.edit(lambda c: c.fields.__setitem__("sentiment", "pos"))
        await until(lambda: b.fields.get("sentiment") == "pos", "b sees a's choice")
        await asyncio.gather(a.edit(lambda c: c.fields.__setitem__("sentiment", "neu")),
                             b.edit(lambda c: c.fields.__setitem__("sentiment", "neg")))
        await until(lambda: a.fields.get("sentiment") == b.fields.get("sentiment") in ("neu", "neg")
                    and a.answer() == b.answer(), f"one winner everywhere: {a.answer()} / {b.answer()}")

        # Presence: b says where it is; a sees it, with the name the server knows (not one b chose).
        await b.presence("rationale")
        await until(lambda: any(p["user_id"] == s.other[0]["id"] and p["field"] == "rationale" for p in a.people),
                    "a sees b in the rationale field", within=1.0)
        entry = next(p for p in a.people if p["user_id"] == s.other[0]["id"])
        assert entry["name"] == s.other[0]["name"] and entry["initials"] and entry["colour"].startswith("hsl(")

        # Stored (debounced), with both as editors.
        final = a.answer()
        await stored_as(db, s.review_id, final, [s.holder[0]["id"], s.other[0]["id"]])

        # A third person joining gets exactly the current state; when they leave, the others see it.
        async with DocClient(s.url(server), bearer(s.third[1])) as c:
            assert c.answer() == final
            await c.presence(None)
            await until(lambda: any(p["user_id"] == s.third[0]["id"] for p in a.people), "a sees c", within=1.0)
        await until(lambda: all(p["user_id"] != s.third[0]["id"] for p in a.people), "c is gone", within=1.0)

    # Everyone left: the document is stored as it was, and the next session starts from it.
    async with DocClient(s.url(server), bearer(s.holder[1])) as again:
        assert again.answer() == final


@pytest.mark.skipif(backend() != "postgres", reason="two processes share edits through Redis (PostgreSQL + Redis pass)")
async def test_two_server_processes_edit_together_through_redis(scene, server, settings, db):
    """A second app (its own rooms, Channels plugin and Redis connections, as another process has),
    on the same database and Redis: edits, presence and leaving cross between the two."""
    second = ServerThread(settings).start()
    try:
        s = await scene()
        async with DocClient(s.url(server), bearer(s.holder[1])) as a:
            await a.edit(lambda c: c.text("rationale").insert(0, "First. "))  # before b's process has the room
            async with DocClient(s.url(second), bearer(s.other[1])) as b:
                await until(lambda: str(b.text("rationale")).startswith("First. "), "the new room catches up")
                await asyncio.gather(a.edit(lambda c: c.text("rationale").insert(len(str(c.text("rationale"))), " A")),
                                     b.edit(lambda c: c.text("rationale").insert(0, "B ")))
                await until(lambda: a.answer() == b.answer() and " A" in str(a.text("rationale"))
                            and str(a.text("rationale")).startswith("B "), "both processes hold both edits")
                await b.edit(lambda c: c.fields.__setitem__("sentiment", "pos"))
                await until(lambda: a.fields.get("sentiment") == "pos", "a choice crosses processes", within=1.0)
                await b.presence("sentiment")
                await until(lambda: any(p["user_id"] == s.other[0]["id"] and p["field"] == "sentiment"
                                        for p in a.people), "presence crosses processes", within=1.0)
            await until(lambda: all(p["user_id"] != s.other[0]["id"] for p in a.people), "so does leaving",
                        within=1.0)
            final = a.answer()
        await stored_as(db, s.review_id, final, [s.holder[0]["id"], s.other[0]["id"]])
    finally:
        second.stop()


async def test_edits_made_while_disconnected_merge_on_return(scene, server, db):
    s = await scene()
    a = DocClient(s.url(server), bearer(s.holder[1]))
    async with a, DocClient(s.url(server), bearer(s.other[1])) as b:
        await a.ws.close()  # a goes offline, keeps its document and goes on typing
        await a.reader
        with a.doc.transaction():
            a.text("rationale").insert(len(str(a.text("rationale"))), " (offline)")
            a.fields["sentiment"] = "neu"
        await b.edit(lambda c: c.text("rationale").insert(0, "Online: "))
        # a comes back with the same document: state vectors are exchanged, both sides send what is missing.
        a.ws = await connect(a.url, additional_headers=a.headers, open_timeout=5)
        a.synced.clear()
        await a.ws.send(bytes([SYNC1]) + a.doc.get_state())
        a.reader = asyncio.create_task(a._read())
        await until(lambda: a.answer() == b.answer(), "both hold everything")
        assert a.answer() == {"fields": {"sentiment": "neu"}, "rationale": "Online: too dark (offline)"}
    await stored_as(db, s.review_id, a.answer(), [s.holder[0]["id"], s.other[0]["id"]])


# -- the decision ----------------------------------------------------------------------------------

async def test_the_decision_records_the_merged_answer_validated_with_every_co_editor(scene, server, db, browser_for):
    s = await scene()
    holder_page = await browser_for(s.holder[0]["email"])
    other_page = await browser_for(s.other[0]["email"])
    contributor_page = await browser_for(s.contributor[0]["email"])
    page = await other_page.get(f"/projects/{s.pid}/review/{s.review_id}")
    assert page.status_code == 200, "a co-editor opens the task someone else holds"
    assert f'data-socket="/ws/reviews/{s.review_id}/doc"' in page.text and "/static/vendor/coedit.js" in page.text
    assert 'value="edit"' not in page.text, "only the leaseholder decides"
    assert (await contributor_page.get(f"/projects/{s.pid}/review/{s.review_id}")).status_code == 403
    mine = await holder_page.get(f"/projects/{s.pid}/review/{s.review_id}")
    assert 'value="edit"' in mine.text and "data-coedit" in mine.text

    async with DocClient(s.url(server), bearer(s.holder[1])) as a, DocClient(s.url(server), bearer(s.other[1])) as b:
        await b.edit(lambda c: c.text("rationale").insert(0, "x" * 300))  # too long for the field (200)
        await a.edit(lambda c: c.fields.__setitem__("sentiment", "pos"))
        await until(lambda: a.answer() == b.answer() and len(str(a.text("rationale"))) > 300, "in step")
        await stored_as(db, s.review_id, a.answer(), [s.holder[0]["id"], s.other[0]["id"]])
        # The form says "neg" (a stale page): the stored, merged document wins, and is validated.
        refused = await holder_page.post(f"/projects/{s.pid}/review/{s.review_id}/decide",
                                         {"decision": "edit", "f_sentiment": "neg", "f_rationale": "short"})
        assert refused.status_code == 422 and "at most 200" in refused.text
        await b.edit(lambda c: c.text("rationale").__delitem__(slice(0, 300)))
        # The decider's own copy, posted with the form, carries an edit the server has not seen yet.
        own = Doc()
        own.apply_update(a.doc.get_update())
        with own.transaction():
            own.get("text:rationale", type=Text).insert(0, "Mostly ")
        await stored_as(db, s.review_id, b.answer(), [s.holder[0]["id"], s.other[0]["id"]])
        decided = await holder_page.post(f"/projects/{s.pid}/review/{s.review_id}/decide", {
            "decision": "edit", "f_sentiment": "neg", "f_rationale": "stale",
            "coedit_state": base64.b64encode(own.get_update()).decode()})
        assert decided.status_code == 303, decided.text
        await until(lambda: b.decided is not None, "co-editors are told", within=2.0)
        assert b.decided["by"] == s.holder[0]["name"]
        await until(lambda: b.closed_code == 4409, "and their copy closes", within=2.0)

    async with db.transaction() as session:
        annotation = (await session.execute(select(Annotation).where(Annotation.project_id == s.pid,
                                                                     Annotation.user_id == s.contributor[0]["id"])
                                            )).scalar_one()
    assert annotation.reviewed_answer == {"sentiment": "pos", "rationale": "Mostly too dark"}
    [event] = await events_of(db, s.pid, "review.coedited")
    assert event.subject_id == s.review_id and event.actor_id == s.holder[0]["id"]
    assert sorted(event.payload["editors"]) == sorted([s.holder[0]["id"], s.other[0]["id"]])
    [decision] = await events_of(db, s.pid, "review.decided")
    assert decision.payload["diff"] == {"sentiment": {"from": "neg", "to": "pos"},
                                        "rationale": {"from": "too dark", "to": "Mostly too dark"}}


async def test_the_review_queue_offers_to_join_a_review_in_progress(scene, browser_for, quick_user):
    s = await scene()
    other_page = await browser_for(s.other[0]["email"])
    queue = await other_page.get(f"/projects/{s.pid}/review")
    assert queue.status_code == 200 and f'hx-get="/projects/{s.pid}/review/open"' in queue.text
    listed = await other_page.get(f"/projects/{s.pid}/review/open")
    assert listed.status_code == 200 and f'href="/projects/{s.pid}/review/{s.review_id}"' in listed.text
    assert "Join editing" in listed.text and s.holder[0]["name"] in listed.text
    mine = await (await browser_for(s.holder[0]["email"])).get(f"/projects/{s.pid}/review/open")
    assert "Join editing" not in mine.text, "not your own lease"
    contributor_page = await browser_for(s.contributor[0]["email"])
    assert (await contributor_page.get(f"/projects/{s.pid}/review/open")).status_code == 403


async def test_without_a_shared_document_the_form_decides_as_before(scene, browser_for, db):
    s = await scene()
    holder_page = await browser_for(s.holder[0]["email"])
    decided = await holder_page.post(f"/projects/{s.pid}/review/{s.review_id}/decide",
                                     {"decision": "edit", "f_sentiment": "pos", "f_rationale": "too dark"})
    assert decided.status_code == 303
    assert await stored(db, s.review_id) is None
    assert await events_of(db, s.pid, "review.coedited") == []


def test_the_seed_is_the_same_bytes_wherever_it_is_made_and_reads_back_as_the_answer():
    from components.base import Interface

    interface = Interface.from_specs([
        {"name": "sentiment", "type": "choice", "options": ["pos", "neg"]},
        {"name": "flags", "type": "multi_choice", "options": ["a", "b"], "required": False},
        {"name": "stars", "type": "rating", "min": 1, "max": 5},
        {"name": "count", "type": "number", "integer": True},
        {"name": "rationale", "type": "text", "required": False}])
    answer = {"sentiment": "pos", "flags": ["a", "b"], "stars": 3, "count": 12, "rationale": "because"}
    seed = coedit.seed_update(interface, answer)
    assert seed == coedit.seed_update(interface, answer)
    assert coedit.merge(seed, coedit.seed_update(interface, answer)) == coedit.merge(seed), "two seeds are one"
    assert interface.validate_answer(coedit.doc_answer(interface, seed)) == (answer, {})
    assert coedit.decode_posted_state("not base64!") is None
    assert coedit.decode_posted_state(base64.b64encode(b"garbage").decode()) is None
