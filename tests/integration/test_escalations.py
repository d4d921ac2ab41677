"""Escalation and guideline clarification, as the people involved notice it: a contributor flags a
task and moves on, a specialist decides it and clarifies the guidelines, contributors confirm the new
version before their next task, a reviewer escalates instead of deciding."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.escalations.models import Escalation
from app.events.models import Event
from app.projects.models import GuidelineVersion
from app.work.models import ADJUDICATE, Annotation

try:
    from app.review import service as review_service
except ImportError:  # the review slice's service is not there yet
    review_service = None

REVIEW_READY = review_service is not None and hasattr(review_service, "escalate_review")
NEW_GUIDELINES = "# Label the sentiment\n\nSarcasm counts as **negative**: read the tone, not the words."
CHANGELOG = "sarcasm counts as negative"


async def events_of(db, project_id: int, action: str) -> list[Event]:
    async with db.transaction() as session:
        return list((await session.execute(select(Event).where(Event.project_id == project_id, Event.action == action)
                                           .order_by(Event.id))).scalars())


async def worker(quick_user, pid: int, role: str = "contributor", **kwargs):
    """A member; a contributor confirms the guidelines in force first, so the test does not depend on
    how the fixtures started their standing."""
    user, api = await quick_user(role, pid, **kwargs)
    if role == "contributor" and kwargs.get("qualified", True):
        version = (await api.ok("GET", f"/projects/{pid}"))["guideline_version"]
        await api.ok("POST", f"/projects/{pid}/guidelines/acknowledge", status=200, json={"version": version})
    return user, api


async def next_task(api, pid: int) -> dict:
    return (await api.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]


async def flag(api, pid: int, assignment: dict, note: str = "Is sarcasm positive or negative?", **extra):
    return await api.post(f"/projects/{pid}/escalations",
                          json={"item_id": assignment["item"]["id"], "assignment_id": assignment["id"], "note": note}
                          | extra)


# -- a contributor flags a task ---------------------------------------------------------------------


async def test_a_contributor_flags_their_task_with_a_note_and_gets_another(new_project, quick_user, db):
    project = await new_project(items=3, launch=True)
    pid = project["id"]
    _, contributor = await worker(quick_user, pid)
    task = await next_task(contributor, pid)

    for note in ("", "   ", None):
        refused = await flag(contributor, pid, task, note=note)
        assert refused.status_code == 422, refused.text
        assert "note" in refused.json()["errors"]
    assert (await next_task(contributor, pid))["id"] == task["id"], "a refused flag keeps the task"

    raised = await flag(contributor, pid, task, note="Sarcasm: the words are nice, the tone is not.")
    assert raised.status_code == 201, raised.text
    escalation = raised.json()["escalation"]
    assert escalation["state"] == "open" and escalation["raised_as"] == "contributor"
    assert escalation["item_id"] == task["item"]["id"] and escalation["item"]["data"] == task["item"]["data"]
    assert escalation["note"] == "Sarcasm: the words are nice, the tone is not."
    assert "raised_by" not in escalation and "answer" not in escalation, "a contributor sees no people, no answers"

    following = await next_task(contributor, pid)
    assert following["id"] != task["id"] and following["item"]["id"] != task["item"]["id"], "they moved on"
    again = await flag(contributor, pid, task)
    assert again.status_code == 409, "the flagged task is no longer theirs to flag"
    raised_events = await events_of(db, pid, "escalation.raised")
    assert [e.payload["item_id"] for e in raised_events] == [task["item"]["id"]]
    assert raised_events[0].payload["escalation_id"] == escalation["id"]
    assert [e.subject_id for e in await events_of(db, pid, "assignment.skipped")] == [task["id"]]


async def test_only_a_held_task_can_be_flagged(new_project, quick_user):
    project = await new_project(items=3, launch=True)
    pid = project["id"]
    _, alice = await worker(quick_user, pid)
    _, bob = await worker(quick_user, pid)
    _, client = await quick_user("client", pid)
    alices = await next_task(alice, pid)
    assert (await flag(bob, pid, alices)).status_code == 403
    assert (await flag(client, pid, alices)).status_code == 403
    wrong_item = await flag(alice, pid, alices | {"item": {"id": alices["item"]["id"] + 1}})
    assert wrong_item.status_code == 422 and "item_id" in wrong_item.json()["errors"]
    missing = await alice.post(f"/projects/{pid}/escalations", json={"note": "unclear"})
    assert missing.status_code == 422 and "assignment_id" in missing.json()["errors"]
    assert (await next_task(alice, pid))["id"] == alices["id"], "nothing refused ended the lease"


async def test_flagging_a_gold_task_looks_like_flagging_any_task(new_project, ops, quick_user):
    """Contributors never learn an item is gold: the flag is taken the same way and says nothing more."""
    project = await new_project(items=3)
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"}, json=[
        {"data": {"text": "item 9"}, "gold": {"sentiment": "neu", "rationale": "MARKERANSWER"},
         "explanation": "MARKEREXPLANATION"}])
    await ops.ok("POST", f"/projects/{pid}/launch")
    _, newcomer = await quick_user("contributor", pid, qualified=False)  # benchmark first: the gold item
    _, regular = await worker(quick_user, pid)
    gold_task, production_task = await next_task(newcomer, pid), await next_task(regular, pid)
    assert gold_task["item"]["data"] == {"text": "item 9"}

    on_gold, on_production = await flag(newcomer, pid, gold_task), await flag(regular, pid, production_task)
    assert on_gold.status_code == on_production.status_code == 201
    assert set(on_gold.json()["escalation"]) == set(on_production.json()["escalation"])
    assert not re.search(r"gold|MARKER", on_gold.text, re.IGNORECASE), on_gold.text
    mine = await newcomer.ok("GET", f"/projects/{pid}/escalations")
    assert not re.search(r"gold|MARKER", str(mine), re.IGNORECASE)


# -- the specialist queue ---------------------------------------------------------------------------


async def test_specialists_see_the_queue_others_only_their_own(new_project, quick_user, browser_for):
    project = await new_project(items=4, launch=True)
    pid = project["id"]
    alice_user, alice = await worker(quick_user, pid)
    _, bob = await worker(quick_user, pid)
    specialist_user, specialist = await quick_user("specialist", pid)
    reviewer_user, reviewer = await quick_user("reviewer", pid)
    first = (await flag(alice, pid, await next_task(alice, pid), note="Alice asks")).json()["escalation"]
    second = (await flag(bob, pid, await next_task(bob, pid), note="Bob asks")).json()["escalation"]

    queue = (await specialist.ok("GET", f"/projects/{pid}/escalations", params={"state": "open"}))["escalations"]
    assert [e["id"] for e in queue] == [first["id"], second["id"]], "oldest first"
    assert queue[0]["raised_by"]["name"] == alice_user["name"] and queue[0]["note"] == "Alice asks"
    own = (await alice.ok("GET", f"/projects/{pid}/escalations"))["escalations"]
    assert [e["id"] for e in own] == [first["id"]], "a contributor sees only their own"
    assert "raised_by" not in own[0]
    assert (await reviewer.ok("GET", f"/projects/{pid}/escalations"))["escalations"] == []
    assert (await alice.get(f"/projects/{pid}/escalations", params={"state": "maybe"})).status_code == 422

    for api in (alice, reviewer):
        refused = await api.post(f"/projects/{pid}/escalations/{first['id']}/resolve", json={"resolution": "mine"})
        assert refused.status_code == 403, refused.text

    page = await (await browser_for(specialist_user["email"])).get(f"/projects/{pid}/escalations")
    assert page.status_code == 200
    assert "Alice asks" in page.text and "Bob asks" in page.text and alice_user["name"] in page.text
    assert page.text.index("Alice asks") < page.text.index("Bob asks")
    assert f'action="/projects/{pid}/escalations/{first["id"]}/resolve"' in page.text
    assert f'name="e{first["id"]}-f_sentiment"' in page.text, "the interface's widgets, one set per form"
    assert "# Label the sentiment" in page.text, "the clarification box starts from the current guidelines"
    for who in (alice_user, reviewer_user):
        other = await browser_for(who["email"])
        assert (await other.get(f"/projects/{pid}/escalations")).status_code == 403


async def test_item_data_and_notes_are_escaped_on_the_queue(new_project, ops, quick_user, browser_for):
    project = await new_project()
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "b1"},
                 json=[{"text": "<script>alert('item')</script>"}])
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"},
                 json=[{"data": {"text": "g"}, "gold": {"sentiment": "pos"}}])
    await ops.ok("POST", f"/projects/{pid}/launch")
    _, contributor = await worker(quick_user, pid)
    specialist_user, _ = await quick_user("specialist", pid)
    await flag(contributor, pid, await next_task(contributor, pid), note="<img src=x onerror=alert('note')>")
    page = await (await browser_for(specialist_user["email"])).get(f"/projects/{pid}/escalations")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(" in page.text and "&lt;img src=x onerror=alert(" in page.text


# -- deciding, clarifying, confirming ---------------------------------------------------------------


async def test_a_specialist_decides_and_clarifies_the_guidelines(new_project, ops, quick_user, db):
    project = await new_project(items=4, launch=True)
    pid = project["id"]
    contributor_user, contributor = await worker(quick_user, pid)
    specialist_user, specialist = await quick_user("specialist", pid)
    answered = await next_task(contributor, pid)
    earlier = await contributor.ok("POST", f"/assignments/{answered['id']}/submit", status=201,
                                   json={"answer": {"sentiment": "pos"}})
    assert earlier["annotation"]["guideline_version"] == 1
    task = await next_task(contributor, pid)
    escalation = (await flag(contributor, pid, task)).json()["escalation"]
    url = f"/projects/{pid}/escalations/{escalation['id']}/resolve"

    for body, field in (({}, "resolution"), ({"resolution": "x", "answer": {"sentiment": "maybe"}}, "sentiment"),
                        ({"resolution": "x", "clarification": {"guidelines": NEW_GUIDELINES}}, "clarification.changelog"),
                        ({"resolution": "x", "clarification": {"guidelines": "# Label the sentiment",
                                                               "changelog": "nothing"}}, "clarification.guidelines")):
        refused = await specialist.post(url, json=body)
        assert refused.status_code == 422 and field in refused.json()["errors"], (body, refused.text)
    assert (await ops.ok("GET", f"/projects/{pid}"))["guideline_version"] == 1, "nothing refused was published"

    resolved = await specialist.ok("POST", url, status=200, json={
        "resolution": "Sarcastic praise is negative.", "answer": {"sentiment": "neg"},
        "clarification": {"guidelines": NEW_GUIDELINES, "changelog": CHANGELOG}})
    decided = resolved["escalation"]
    assert decided["state"] == "resolved" and decided["guideline_version"] == 2 and decided["resolved_at"]
    assert decided["answer"] == {"sentiment": "neg", "rationale": None}
    assert decided["specialist"]["name"] == specialist_user["name"]
    again = await specialist.post(url, json={"resolution": "twice"})
    assert again.status_code == 409

    assert (await ops.ok("GET", f"/projects/{pid}"))["guideline_version"] == 2
    async with db.transaction() as session:
        version = (await session.execute(select(GuidelineVersion).where(
            GuidelineVersion.project_id == pid, GuidelineVersion.version == 2))).scalar_one()
        answers = {a.id: a for a in (await session.execute(
            select(Annotation).where(Annotation.project_id == pid))).scalars()}
    assert version.body == NEW_GUIDELINES and version.changelog == CHANGELOG
    assert answers[earlier["annotation"]["id"]].guideline_version == 1, "earlier answers keep their version"
    [decision] = [a for a in answers.values() if a.stage == ADJUDICATE]
    assert (decision.item_id, decision.user_id, decision.source) == (task["item"]["id"], specialist_user["id"],
                                                                      "specialist")
    assert decision.answer["sentiment"] == "neg" and decision.guideline_version == 2

    record = await contributor.ok("GET", f"/me/projects/{pid}/standing")
    [told] = [f for f in record["feedback"] if f["kind"] == "escalation"]
    assert told["title"] == "A specialist answered your question" and told["body"] == "Sarcastic praise is negative."
    assert "neg" not in str(told["payload"]), "the raiser is told in words, never handed an answer"
    own = (await contributor.ok("GET", f"/projects/{pid}/escalations"))["escalations"]
    assert own[0]["resolution"] == "Sarcastic praise is negative." and own[0]["guideline_version"] == 2
    assert "answer" not in own[0] and "specialist" not in own[0]
    [resolved_event] = await events_of(db, pid, "escalation.resolved")
    assert resolved_event.actor_id == specialist_user["id"] and resolved_event.payload["guideline_version"] == 2
    assert contributor_user["id"] != specialist_user["id"]


async def test_contributors_confirm_a_new_version_before_their_next_task(new_project, quick_user, db, browser_for):
    project = await new_project(items=4, launch=True)
    pid = project["id"]
    contributor_user, contributor = await worker(quick_user, pid)
    _, specialist = await quick_user("specialist", pid)
    escalation = (await flag(contributor, pid, await next_task(contributor, pid))).json()["escalation"]
    await specialist.ok("POST", f"/projects/{pid}/escalations/{escalation['id']}/resolve", status=200, json={
        "resolution": "Clarified.", "clarification": {"guidelines": NEW_GUIDELINES, "changelog": CHANGELOG}})

    blocked = await contributor.post(f"/projects/{pid}/next")
    assert blocked.status_code == 409, "a new version must be confirmed first"
    before = len(await events_of(db, pid, "guidelines.acknowledged"))
    stale = await contributor.post(f"/projects/{pid}/guidelines/acknowledge", json={"version": 1})
    assert stale.status_code == 409 and stale.json()["guideline_version"] == 2
    for body in ({}, {"version": "2"}, {"version": True}):
        assert (await contributor.post(f"/projects/{pid}/guidelines/acknowledge", json=body)).status_code == 422
    confirmed = await contributor.ok("POST", f"/projects/{pid}/guidelines/acknowledge", status=200, json={"version": 2})
    assert confirmed == {"acknowledged": 2}
    assert (await contributor.ok("POST", f"/projects/{pid}/guidelines/acknowledge", status=200,
                                 json={"version": 2})) == {"acknowledged": 2}, "idempotent"
    acknowledged = (await events_of(db, pid, "guidelines.acknowledged"))[before:]
    assert [(e.payload["user_id"], e.payload["version"]) for e in acknowledged] == [(contributor_user["id"], 2)]
    assert (await next_task(contributor, pid))["item"]["id"] != escalation["item_id"]

    # the page form: confirms and sends the browser back to the workspace
    other_user, other = await worker(quick_user, pid)
    second = (await flag(other, pid, await next_task(other, pid))).json()["escalation"]
    await specialist.ok("POST", f"/projects/{pid}/escalations/{second['id']}/resolve", status=200, json={
        "resolution": "Again.", "clarification": {"guidelines": NEW_GUIDELINES + "\n\nIrony too.",
                                                  "changelog": "irony as well"}})
    page = await browser_for(other_user["email"])
    old = await page.post(f"/projects/{pid}/guidelines/acknowledge", {"version": "2"}, htmx=True)
    assert old.status_code == 200 and "changed again" in old.text and "irony as well" in old.text
    assert "I have read version 3" in old.text
    done = await page.post(f"/projects/{pid}/guidelines/acknowledge", {"version": "3"}, htmx=True)
    assert done.status_code == 200 and done.headers["HX-Redirect"] == f"/projects/{pid}/work"
    assert (await other.post(f"/projects/{pid}/next")).status_code == 200


def test_the_acknowledgement_partial_shows_each_changelog_safely():
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from app.web.templating import standalone_templates

    versions = [SimpleNamespace(version=n, changelog=text, body=f"# Version {n}\n\n<b>raw</b>",
                                created_at=datetime(2030, 1, n, tzinfo=UTC))
                for n, text in ((2, "**sarcasm** is negative <script>alert(1)</script>"), (3, "irony too"))]
    template = standalone_templates().get_template("escalations/_acknowledge.html")
    shown = template.render(project=SimpleNamespace(id=7), versions=versions)
    assert "<strong>sarcasm</strong> is negative" in shown and "<script>" not in shown and "<b>raw</b>" not in shown
    assert "irony too" in shown and "I have read version 3" in shown and 'name="version" value="3"' in shown
    assert 'hx-post="/projects/7/guidelines/acknowledge"' in shown
    assert template.render(project=SimpleNamespace(id=7), versions=[]).strip() == ""


# -- the pages ---------------------------------------------------------------------------------------


async def test_flag_and_resolve_through_the_pages(new_project, quick_user, browser_for, db):
    project = await new_project(items=3, launch=True)
    pid = project["id"]
    contributor_user, contributor = await worker(quick_user, pid)
    specialist_user, _ = await quick_user("specialist", pid)
    task = await next_task(contributor, pid)
    page = await browser_for(contributor_user["email"])

    empty = await page.post(f"/projects/{pid}/escalations/flag", {"assignment_id": str(task["id"]), "note": ""},
                            htmx=True)
    assert empty.status_code == 422 and "Flag: not covered by the guidelines" in empty.text
    assert 'aria-invalid="true"' in empty.text and f'name="assignment_id" value="{task["id"]}"' in empty.text
    sent = await page.post(f"/projects/{pid}/escalations/flag",
                           {"assignment_id": str(task["id"]), "note": "Emoji only: which tone?"}, htmx=True)
    assert sent.status_code == 200 and sent.headers["HX-Redirect"] == f"/projects/{pid}/work"
    assert (await next_task(contributor, pid))["id"] != task["id"]

    desk = await browser_for(specialist_user["email"])
    queue = await desk.get(f"/projects/{pid}/escalations")
    assert "Emoji only: which tone?" in queue.text
    async with db.transaction() as session:
        escalation_id = (await session.execute(select(Escalation.id).where(Escalation.project_id == pid))).scalar_one()
    url = f"/projects/{pid}/escalations/{escalation_id}/resolve"
    current = "# Label the sentiment"
    refused = await desk.post(url, {f"e{escalation_id}-f_sentiment": "neu", "resolution": "Emoji carry the tone.",
                                    "guidelines": current + "\r\n\r\nEmoji carry the tone.", "changelog": ""})
    assert refused.status_code == 422 and "one line telling contributors what changed" in refused.text
    assert "Emoji carry the tone." in refused.text, "what was typed is kept"
    done = await desk.post(url, {f"e{escalation_id}-f_sentiment": "neu", "resolution": "Emoji carry the tone.",
                                 "guidelines": current + "\r\n\r\nEmoji carry the tone.", "changelog": "emoji"})
    assert done.status_code == 303 and done.headers["location"] == f"/projects/{pid}/escalations?resolved={escalation_id}"
    after = await desk.get(done.headers["location"])
    assert "is resolved; the guidelines are now version 2" in after.text and "No open escalations" in after.text
    async with db.transaction() as session:
        escalation = await session.get(Escalation, escalation_id)
        version = (await session.execute(select(GuidelineVersion).where(
            GuidelineVersion.project_id == pid, GuidelineVersion.version == 2))).scalar_one()
    assert escalation.answer == {"sentiment": "neu", "rationale": None} and escalation.guideline_version == 2
    assert version.body == current + "\n\nEmoji carry the tone." and version.changelog == "emoji"


async def test_deciding_without_an_answer_or_clarification_on_the_page(new_project, quick_user, browser_for, db):
    project = await new_project(items=2, launch=True)
    pid = project["id"]
    _, contributor = await worker(quick_user, pid)
    specialist_user, _ = await quick_user("specialist", pid)
    escalation = (await flag(contributor, pid, await next_task(contributor, pid))).json()["escalation"]
    desk = await browser_for(specialist_user["email"])
    done = await desk.post(f"/projects/{pid}/escalations/{escalation['id']}/resolve",
                           {"resolution": "Skip items like this.", "guidelines": "# Label the sentiment\n",
                            "changelog": ""})
    assert done.status_code == 303
    async with db.transaction() as session:
        stored = await session.get(Escalation, escalation["id"])
        decisions = (await session.execute(select(Annotation).where(Annotation.project_id == pid,
                                                                    Annotation.stage == ADJUDICATE))).all()
    assert stored.state == "resolved" and stored.answer is None and stored.guideline_version is None
    assert decisions == []


# -- a reviewer escalates instead of deciding ---------------------------------------------------------


@pytest.mark.skipif(not REVIEW_READY, reason="app.review.service.escalate_review is not there yet")
async def test_a_reviewer_escalates_and_the_specialist_settles_the_answer(new_project, quick_user, browser_for, db):
    project = await new_project(items=3, launch=True,
                                review={"stages": [{"name": "Check", "level": 1, "share": 1.0}]})
    pid = project["id"]
    contributor_user, contributor = await worker(quick_user, pid)
    reviewer_user, reviewer = await quick_user("reviewer", pid)
    _, specialist = await quick_user("specialist", pid)
    for _ in range(2):
        task = await next_task(contributor, pid)
        await contributor.ok("POST", f"/assignments/{task['id']}/submit", status=201,
                             json={"answer": {"sentiment": "pos"}})

    review = (await reviewer.ok("POST", f"/projects/{pid}/reviews/next", status=200))["review"]
    refused = await reviewer.post(f"/projects/{pid}/escalations", json={"review_task_id": review["id"], "note": ""})
    assert refused.status_code == 422
    raised = await reviewer.ok("POST", f"/projects/{pid}/escalations", status=201,
                               json={"review_task_id": review["id"], "note": "Not covered: mixed review."})
    assert raised["escalation"]["raised_as"] == "reviewer" and raised["escalation"]["item_id"] == review["item"]["id"]
    [queued] = (await specialist.ok("GET", f"/projects/{pid}/escalations"))["escalations"]
    assert queued["annotation_id"] == review["annotation_id"] and queued["review_task_id"] == review["id"]
    assert queued["escalated_answer"]["sentiment"] == "pos" and queued["raised_by"]["name"] == reviewer_user["name"]

    await specialist.ok("POST", f"/projects/{pid}/escalations/{queued['id']}/resolve", status=200,
                        json={"resolution": "Mixed reviews are neutral.", "answer": {"sentiment": "neu"}})
    async with db.transaction() as session:
        settled = await session.get(Annotation, review["annotation_id"])
    assert settled.review_status == "approved" and settled.reviewed_answer["sentiment"] == "neu"
    assert settled.guideline_version == 1
    reviewer_record = await reviewer.ok("GET", f"/me/projects/{pid}/standing")
    assert any(f["kind"] == "escalation" and f["body"] == "Mixed reviews are neutral."
               for f in reviewer_record["feedback"])
    contributor_record = await contributor.ok("GET", f"/me/projects/{pid}/standing")
    assert any(f["kind"] == "review" for f in contributor_record["feedback"]), "the contributor hears the decision"

    # the review page's flag form sends the reviewer back to the review queue
    second = (await reviewer.ok("POST", f"/projects/{pid}/reviews/next", status=200))["review"]
    page = await browser_for(reviewer_user["email"])
    sent = await page.post(f"/projects/{pid}/escalations/flag",
                           {"review_task_id": str(second["id"]), "note": "Also unclear."}, htmx=True)
    assert sent.status_code == 200 and sent.headers["HX-Redirect"] == f"/projects/{pid}/review"
    assert contributor_user["id"] != reviewer_user["id"]


# -- for the secrecy sweep ------------------------------------------------------------------------------

#: The escalation routes, for test_secrecy's COVERED.
ROUTES = frozenset({
    "GET /api/v1/projects/{project_id:int}/escalations", "POST /api/v1/projects/{project_id:int}/escalations",
    "POST /api/v1/projects/{project_id:int}/escalations/{escalation_id:int}/resolve",
    "POST /api/v1/projects/{project_id:int}/guidelines/acknowledge",
    "GET /projects/{project_id:int}/escalations", "POST /projects/{project_id:int}/escalations/flag",
    "POST /projects/{project_id:int}/escalations/{escalation_id:int}/resolve",
    "POST /projects/{project_id:int}/guidelines/acknowledge",
})


async def sweep_escalations(s, pid: int, aid: int) -> None:
    """test_secrecy's sweep over these routes, as a contributor holding task ``aid`` (gold): their own
    list, a flag without a note (refused, so the task stays theirs: the sweep goes on with it), confirming
    the guidelines in force (version 1), and the specialists' queue and decisions, refused. A flag that goes
    through on a gold task is test_flagging_a_gold_task_looks_like_flagging_any_task."""
    api = "/api/v1/projects/{project_id:int}"
    await s.call(f"GET {api}/escalations", s.api, "GET", f"/api/v1/projects/{pid}/escalations", 200)
    await s.call(f"POST {api}/escalations", s.api, "POST", f"/api/v1/projects/{pid}/escalations", 422,
                 json={"assignment_id": aid, "note": ""})
    await s.call(f"POST {api}/escalations/{{escalation_id:int}}/resolve", s.api, "POST",
                 f"/api/v1/projects/{pid}/escalations/1/resolve", 403, json={"resolution": "mine"})
    await s.call(f"POST {api}/guidelines/acknowledge", s.api, "POST", f"/api/v1/projects/{pid}/guidelines/acknowledge",
                 200, json={"version": 1})
    await s.call("GET /projects/{project_id:int}/escalations", s.page.http, "GET", f"/projects/{pid}/escalations", 403)
    await s.form("POST /projects/{project_id:int}/escalations/flag", f"/projects/{pid}/escalations/flag", 422,
                 {"assignment_id": str(aid), "note": ""}, htmx=True)
    await s.form("POST /projects/{project_id:int}/escalations/{escalation_id:int}/resolve",
                 f"/projects/{pid}/escalations/1/resolve", 403, {"resolution": "mine"})
    await s.form("POST /projects/{project_id:int}/guidelines/acknowledge", f"/projects/{pid}/guidelines/acknowledge",
                 200, {"version": "1"}, htmx=True)
