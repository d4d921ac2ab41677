"""The event log: every state change appended once, in the transaction that made it.

Checked in the database itself, since that is where the promise is kept.
"""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.events.models import Event
from app.work.models import Annotation, Assignment
from tests.integration.conftest import QUIET_QUALITY


async def events_of(db, project_id: int) -> list[Event]:
    async with db.transaction() as session:
        return list((await session.execute(select(Event).where(Event.project_id == project_id)
                                           .order_by(Event.id))).scalars())


async def test_a_submit_appends_exactly_one_event_with_actor_and_payload(new_project, quick_user, db):
    project = await new_project(items=2, launch=True)
    pid = project["id"]
    alice_user, alice = await quick_user("contributor", pid)
    assignment = (await alice.ok("POST", f"/projects/{pid}/next"))["assignment"]
    url = f"/assignments/{assignment['id']}/submit"
    submitted = await alice.ok("POST", url, status=201, json={"answer": {"sentiment": "pos"}},
                               headers={"Idempotency-Key": "once"})
    annotation_id = submitted["annotation"]["id"]
    # A retry with the same key is the same submission: no second event.
    replay = await alice.ok("POST", url, status=201, json={"answer": {"sentiment": "pos"}},
                            headers={"Idempotency-Key": "once"})
    assert replay["replayed"] is True and replay["annotation"]["id"] == annotation_id

    submits = [e for e in await events_of(db, pid) if e.action == "annotation.submitted"]
    assert len(submits) == 1
    [event] = submits
    assert event.subject_type == "annotation" and event.subject_id == annotation_id
    assert event.actor_id == alice_user["id"]
    assert event.payload["item_id"] == assignment["item"]["id"]
    assert event.payload["assignment_id"] == assignment["id"]
    assert isinstance(event.payload["time_on_task_ms"], int)
    assert event.created_at is not None


async def test_a_rejected_submit_leaves_no_event_and_no_annotation(new_project, quick_user, db):
    project = await new_project(items=1, launch=True)
    pid = project["id"]
    _, alice = await quick_user("contributor", pid)
    assignment = (await alice.ok("POST", f"/projects/{pid}/next"))["assignment"]
    before = await events_of(db, pid)

    response = await alice.post(f"/assignments/{assignment['id']}/submit", json={"answer": {"sentiment": "maybe"}},
                                headers={"Idempotency-Key": "bad"})
    assert response.status_code == 422

    after = await events_of(db, pid)
    assert [e.id for e in after] == [e.id for e in before]
    async with db.transaction() as session:
        annotations = (await session.execute(select(func.count()).select_from(Annotation)
                                             .where(Annotation.item_id == assignment["item"]["id"]))).scalar_one()
        state = (await session.execute(select(Assignment.state).where(Assignment.id == assignment["id"]))).scalar_one()
    assert annotations == 0
    assert state == "leased"


async def test_every_state_change_is_logged_once_in_order(new_project, quick_user, ops, db):
    project = await ops.ok("POST", "/projects", status=201, json={
        "name": "Logged", "purpose": "Audit trail", "guidelines": "# v1", "quality": QUIET_QUALITY,
        "interface": [{"name": "sentiment", "type": "choice", "options": ["pos", "neg"]}]})
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", status=201, params={"batch": "b"},
                 json=[{"text": "one"}, {"text": "two"}, {"data": {"text": "gold"}, "gold": {"sentiment": "pos"}}])
    await ops.ok("POST", f"/projects/{pid}/launch", status=200)
    alice_user, alice = await quick_user("contributor", pid)
    first = (await alice.ok("POST", f"/projects/{pid}/next"))["assignment"]
    await alice.ok("POST", f"/assignments/{first['id']}/skip", status=200)
    second = (await alice.ok("POST", f"/projects/{pid}/next"))["assignment"]
    await alice.ok("POST", f"/assignments/{second['id']}/submit", status=201, json={"answer": {"sentiment": "neg"}})
    await ops.ok("POST", f"/projects/{pid}/pause", status=200)

    # Refusals change nothing, so they log nothing.
    assert (await ops.post(f"/projects/{pid}/pause")).status_code == 409
    assert (await ops.post(f"/projects/{pid}/items", content=b'{"text": "ok"}\nnot json\n',
                           headers={"Content-Type": "application/x-ndjson"})).status_code == 422
    assert (await alice.post(f"/projects/{pid}/next")).status_code == 409

    events = await events_of(db, pid)
    assert [e.action for e in events] == [
        "project.created", "guidelines.published", "items.imported", "project.launched", "member.added",
        "assignment.leased", "assignment.skipped", "assignment.leased", "annotation.submitted", "project.paused",
    ]
    by_action = {e.action: e for e in events}
    assert by_action["items.imported"].payload["created"] == 3 and by_action["items.imported"].payload["batch"] == "b"
    assert by_action["member.added"].subject_id == alice_user["id"]
    assert by_action["project.paused"].payload == {"from": "live", "to": "paused"}
    ops_id = (await ops.ok("GET", "/me"))["id"]
    assert {e.actor_id for e in events if e.action.startswith(("project.", "items.", "guidelines.", "member."))} == {ops_id}
    assert {e.actor_id for e in events if e.action.startswith(("assignment.", "annotation."))} == {alice_user["id"]}
    json.dumps([e.payload for e in events])  # payloads are plain JSON


async def test_a_failed_launch_logs_nothing(new_project, ops, db):
    project = await ops.ok("POST", "/projects", status=201, json={
        "name": "Not ready", "purpose": "Nothing yet", "interface": [{"name": "x", "type": "text"}]})
    before = [e.action for e in await events_of(db, project["id"])]
    assert (await ops.post(f"/projects/{project['id']}/launch")).status_code == 409
    assert [e.action for e in await events_of(db, project["id"])] == before == ["project.created"]
