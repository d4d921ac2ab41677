"""Co-editing the structured answer fields (rubric, pairwise, ranking, spans, claims): each held in
the shared document the way the browser holds it (static/coedit.js) -- a "json" field as nested
maps whose keys merge, a "list" field as a shared list of one map per item with a stable ``_id`` --
and read back through the component's own form parsing, so concurrent edits of different criteria
or different spans merge, and the decision records (and validates) the merged answer."""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re

from pycrdt import Doc, Map
from sqlalchemy import select

from app.coedit import service as coedit
from app.work.models import Annotation
from components.base import Interface
from tests.integration.conftest import QUIET_QUALITY
from tests.integration.test_board_socket import bearer
from tests.integration.test_coedit import DocClient, until

TEXT = "Ada Lovelace worked with Charles Babbage in London."
RESPONSE = "The Analytical Engine was designed by Babbage. It was built in 1850."
INTERFACE = [
    {"name": "doc", "type": "text", "value": "$text"},
    {"name": "pr", "type": "prompt_response", "value": "$prompt", "response": "$response"},
    {"name": "candidates", "type": "responses", "value": "$responses"},
    {"name": "better", "type": "pairwise", "target": "candidates", "strength": "optional", "reason": "optional"},
    {"name": "order", "type": "ranking", "target": "candidates"},
    {"name": "grade", "type": "rubric", "criteria": [
        {"id": "accuracy", "min": 1, "max": 5, "rationale_below": 3},
        {"id": "helpfulness", "min": 1, "max": 5, "rationale_below": 3}]},
    {"name": "entities", "type": "spans", "target": "doc", "labels": ["PER", "LOC"]},
    {"name": "claims", "type": "claims", "target": "pr", "required": False},
]
REVIEW = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}]}


def where(text: str, part: str) -> tuple[int, int]:
    return text.index(part), text.index(part) + len(part)


ADA, BABBAGE, LONDON = where(TEXT, "Ada Lovelace"), where(TEXT, "Charles Babbage"), where(TEXT, "London")
BUILT = where(RESPONSE, "It was built in 1850.")
ITEM = {"text": TEXT, "prompt": "Tell me about the Analytical Engine", "response": RESPONSE,
        "responses": {"r1": "It was a mechanical computer.", "r2": "It was a steam train."}}
ANSWER = {
    "better": {"winner": "A", "strength": 2},
    "order": [{"candidate": "r1", "rank": 1}, {"candidate": "r2", "rank": 2}],
    "grade": {"criteria": {"accuracy": {"score": 4}, "helpfulness": {"score": 5}}},
    "entities": [{"label": "PER", "start": ADA[0], "end": ADA[1]},
                 {"label": "PER", "start": BABBAGE[0], "end": BABBAGE[1]}],
    "claims": {"claims": [{"start": BUILT[0], "end": BUILT[1], "verdict": "contradicted"}]},
}


async def leased_review(ops, quick_user) -> tuple[int, int, tuple, tuple]:
    """A project with every structured field, a contributor's answer to one item and a review of it
    leased to one reviewer; returns (project id, review id, holder, another reviewer)."""
    project = await ops.ok("POST", "/projects", json={
        "name": "Structured co-editing", "purpose": "Edit structured answers together", "guidelines": "# Grade",
        "interface": INTERFACE, "quality": QUIET_QUALITY, "review": REVIEW})
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "work"}, json=[ITEM])
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"}, json=[{"data": ITEM, "gold": ANSWER}])
    await ops.ok("POST", f"/projects/{pid}/launch")
    contributor = await quick_user("contributor", pid)
    lease = await contributor[1].ok("POST", f"/projects/{pid}/next", status=200)
    await contributor[1].ok("POST", f"/assignments/{lease['assignment']['id']}/submit", status=201,
                            json={"answer": ANSWER})
    holder = await quick_user("reviewer", pid)
    other = await quick_user("reviewer", pid)
    review = (await holder[1].ok("POST", f"/projects/{pid}/reviews/next", status=200))["review"]
    return pid, review["id"], holder, other


def socket_url(server, review_id: int) -> str:
    return server.url.replace("http://", "ws://", 1) + f"/ws/reviews/{review_id}/doc"


def index_of(items, item_id: str) -> int:
    return next(i for i, item in enumerate(items) if item["_id"] == item_id)


def test_every_structured_field_round_trips_through_the_document_and_its_own_form_parsing():
    interface = Interface.from_specs(INTERFACE)
    clean, errors = interface.validate_answer(ANSWER, ITEM)
    assert errors == {}
    seed = coedit.seed_update(interface, clean)
    assert seed == coedit.seed_update(interface, clean), "the seed is deterministic"
    doc = Doc()
    doc.apply_update(seed)
    fields = doc.get("fields", type=Map)
    assert isinstance(fields["grade"], Map) and isinstance(fields["grade"]["criteria"]["accuracy"], Map)
    assert [span["_id"] for span in fields["entities"]] == ["seed-0", "seed-1"]
    read = coedit.doc_answer(interface, seed)
    assert read["grade"] == clean["grade"] and read["better"] == clean["better"] and read["order"] == clean["order"]
    assert all("_id" not in span for span in read["entities"])
    assert interface.validate_answer(read, ITEM) == (clean, {})


async def test_concurrent_span_and_criterion_edits_merge_and_the_decision_records_them(
        ops, quick_user, server, db, browser_for):
    pid, review_id, holder, other = await leased_review(ops, quick_user)
    url = socket_url(server, review_id)
    async with DocClient(url, bearer(holder[1])) as a, DocClient(url, bearer(other[1])) as b:
        # Both change their own copy before either hears of the other's change, as two browsers may.
        before_a, before_b = a.doc.get_state(), b.doc.get_state()
        with a.doc.transaction():
            a.fields["entities"].append(Map({"_id": "a-1", "label": "LOC", "start": LONDON[0], "end": LONDON[1]}))
            a.fields["grade"]["criteria"]["accuracy"]["score"] = 2
            a.fields["grade"]["criteria"]["accuracy"]["rationale"] = "The engine was never built."
        with b.doc.transaction():
            spans = b.fields["entities"]
            del spans[index_of(spans.to_py(), "seed-0")]  # Ada is not the one meant
            b.fields["grade"]["criteria"]["helpfulness"]["score"] = 3
        await asyncio.gather(a.ws.send(bytes([2]) + a.doc.get_update(before_a)),
                             b.ws.send(bytes([2]) + b.doc.get_update(before_b)))
        await until(lambda: a.fields.to_py() == b.fields.to_py() and len(a.fields["entities"]) == 2, "in step")
        interface = Interface.from_specs(INTERFACE)
        merged = coedit.doc_answer(interface, a.doc.get_update())
        assert sorted((s["label"], s["start"]) for s in merged["entities"]) == [("LOC", LONDON[0]), ("PER", BABBAGE[0])]
        assert merged["grade"]["criteria"]["accuracy"]["score"] == 2
        assert merged["grade"]["criteria"]["helpfulness"]["score"] == 3

        page = await browser_for(holder[0]["email"])
        shown = await page.get(f"/projects/{pid}/review/{review_id}")
        fields = json.loads(html.unescape(re.search(r'data-fields="([^"]*)"', shown.text).group(1)))
        assert {f["name"]: (f["coedit"], f["list_key"]) for f in fields} == {
            "better": ("json", None), "order": ("json", None), "grade": ("json", None),
            "entities": ("list", None), "claims": ("list", "claims")}, "what static/coedit.js is told"
        # The posted form is stale (it says nothing of the rubric): the shared document decides, the
        # decider's own copy posted with it as the browser does.
        decided = await page.post(f"/projects/{pid}/review/{review_id}/decide", {
            "decision": "edit", "coedit_state": base64.b64encode(a.doc.get_update()).decode()})
        assert decided.status_code == 303, decided.text[:2000]

    async with db.transaction() as session:
        annotation = (await session.execute(select(Annotation).where(Annotation.project_id == pid,
                                                                     Annotation.user_id != None)  # noqa: E711
                                            .where(Annotation.reviewed_answer != None))).scalar_one()  # noqa: E711
    reviewed = annotation.reviewed_answer
    assert [(s["label"], s["text"]) for s in reviewed["entities"]] == [("PER", "Charles Babbage"), ("LOC", "London")]
    assert reviewed["grade"]["criteria"]["accuracy"] == {"score": 2, "na": False,
                                                         "rationale": "The engine was never built."}
    assert reviewed["grade"]["criteria"]["helpfulness"]["score"] == 3
    # Nobody touched the preference: the contributor's stands ("A" on the order their assignment showed).
    assert reviewed["better"]["preferred"] == annotation.answer["better"]["preferred"]
    assert reviewed["order"] == annotation.answer["order"]
    assert [c["verdict"] for c in reviewed["claims"]["claims"]] == ["contradicted"]


async def test_a_merged_answer_that_breaks_a_rule_is_refused_at_its_place(ops, quick_user, server, browser_for):
    pid, review_id, holder, other = await leased_review(ops, quick_user)
    async with DocClient(socket_url(server, review_id), bearer(other[1])) as b:
        await b.edit(lambda c: c.fields["grade"]["criteria"]["accuracy"].__setitem__("score", 1))
        await b.edit(lambda c: c.fields["entities"].append(Map({"_id": "b-1", "label": "LOC", "start": 40,
                                                                 "end": 99})))
        page = await browser_for(holder[0]["email"])
        await until(lambda: len(b.fields["entities"]) == 3, "the span is in")
        response = await page.post(f"/projects/{pid}/review/{review_id}/decide", {
            "decision": "edit", "coedit_state": base64.b64encode(b.doc.get_update()).decode()})
        assert response.status_code == 422 and "beyond the text" in response.text, \
            "the merged spans are checked against the item's text"
        assert "required below 3" in response.text, "and the rubric's rule at its criterion"
        assert ">required<" not in response.text


def test_turn_ratings_round_trip_and_two_turns_rated_at_once_merge():
    interface = Interface.from_specs([
        {"name": "conversation", "type": "chat", "value": "$chat"},
        {"name": "turns", "type": "turn_ratings", "target": "conversation",
         "criteria": [{"id": "helpful", "min": 1, "max": 5}], "flags": ["unsafe"]}])
    item = {"chat": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."},
                     {"role": "user", "content": "Sure?"}, {"role": "assistant", "content": "Yes.", "id": "final"}]}
    given = {"turns": {"turns": {"t2": {"ratings": {"helpful": 4}}, "final": {"ratings": {"helpful": 3}}}}}
    clean, errors = interface.validate_answer(given, item)
    assert errors == {}
    seed = coedit.seed_update(interface, clean)
    assert interface.validate_answer(coedit.doc_answer(interface, seed), item) == (clean, {})
    one, two = Doc(), Doc()
    one.apply_update(seed)
    two.apply_update(seed)
    one.get("fields", type=Map)["turns"]["turns"]["t2"]["ratings"]["helpful"] = 1
    two.get("fields", type=Map)["turns"]["turns"]["final"]["flags"] = ["unsafe"]
    merged, errors = interface.validate_answer(coedit.doc_answer(interface, one.get_update(), two.get_update()), item)
    assert errors == {}
    assert merged["turns"]["turns"]["t2"]["ratings"] == {"helpful": 1}
    assert merged["turns"]["turns"]["final"]["flags"] == ["unsafe"]
