"""The production loop through the public API: next, submit, skip, leases."""

from __future__ import annotations

import asyncio

import pytest


async def test_contributor_answers_and_moves_on(new_project, new_user, ops):
    project = await new_project(items=3, launch=True)
    _, alice = await new_user("contributor", project["id"])

    lease = await alice.ok("POST", f"/projects/{project['id']}/next", status=200)
    assignment = lease["assignment"]
    assert assignment["item"]["data"] == {"text": "item 0"}
    assert set(assignment) == {"id", "expires_at", "project_id", "item"}

    submitted = await alice.ok("POST", f"/assignments/{assignment['id']}/submit", status=201,
                               json={"answer": {"sentiment": "pos"}}, headers={"Idempotency-Key": "one"})
    assert submitted["annotation"]["answer"] == {"sentiment": "pos", "rationale": None}
    assert submitted["annotation"]["guideline_version"] == 1

    second = await alice.ok("POST", f"/projects/{project['id']}/next", status=200)
    assert second["assignment"]["item"]["data"] == {"text": "item 1"}

    stats = await ops.ok("GET", f"/projects/{project['id']}/stats")
    assert stats["totals"] | {"sparkline": None} == stats["totals"] | {
        "items": 3, "queued": 1, "leased": 1, "submitted": 1, "completed": 1, "sparkline": None}
    assert stats["totals"]["answers_last_hour"] == 1


async def test_invalid_answer_is_422_with_field_errors_and_the_lease_survives(new_project, new_user):
    project = await new_project(items=1, launch=True)
    _, alice = await new_user("contributor", project["id"])
    assignment = (await alice.ok("POST", f"/projects/{project['id']}/next"))["assignment"]

    response = await alice.post(f"/assignments/{assignment['id']}/submit", json={"answer": {"sentiment": "maybe", "extra": 1}})
    assert response.status_code == 422
    assert response.json()["errors"] == {"sentiment": "must be one of: pos, neg, neu", "extra": "unknown field"}

    ok = await alice.post(f"/assignments/{assignment['id']}/submit", json={"answer": {"sentiment": "neg"}})
    assert ok.status_code == 201


async def test_submit_retry_with_same_key_is_idempotent(new_project, new_user, ops):
    project = await new_project(items=1, launch=True)
    _, alice = await new_user("contributor", project["id"])
    assignment = (await alice.ok("POST", f"/projects/{project['id']}/next"))["assignment"]
    url, body = f"/assignments/{assignment['id']}/submit", {"answer": {"sentiment": "neu"}}

    first, again = await asyncio.gather(*(alice.post(url, json=body, headers={"Idempotency-Key": "k-1"}) for _ in range(2)))
    assert {first.status_code, again.status_code} == {201}
    assert first.json()["annotation"]["id"] == again.json()["annotation"]["id"]
    other_key = await alice.post(url, json=body, headers={"Idempotency-Key": "k-2"})
    assert other_key.status_code == 409

    stats = await ops.ok("GET", f"/projects/{project['id']}/stats")
    assert stats["totals"]["submitted"] == 1


async def test_overlap_gives_each_item_to_distinct_people_and_never_twice(new_project, new_user):
    project = await new_project(items=2, overlap=2, launch=True)
    people = [await new_user("contributor", project["id"]) for _ in range(3)]
    seen: dict[int, list[int]] = {}
    for user, api in people:
        while True:
            response = await api.post(f"/projects/{project['id']}/next")
            if response.status_code == 204:
                break
            assignment = response.json()["assignment"]
            seen.setdefault(assignment["item"]["id"], []).append(user["id"])
            await api.ok("POST", f"/assignments/{assignment['id']}/submit", json={"answer": {"sentiment": "pos"}})
    assert sorted(len(v) for v in seen.values()) == [2, 2]
    assert all(len(set(v)) == 2 for v in seen.values())
    assert len(seen) == 2


async def test_skip_hands_the_item_to_someone_else(new_project, new_user):
    project = await new_project(items=1, launch=True)
    _, alice = await new_user("contributor", project["id"])
    _, bob = await new_user("contributor", project["id"])
    assignment = (await alice.ok("POST", f"/projects/{project['id']}/next"))["assignment"]
    assert (await bob.post(f"/projects/{project['id']}/next")).status_code == 204

    await alice.ok("POST", f"/assignments/{assignment['id']}/skip", status=200)
    assert (await alice.post(f"/projects/{project['id']}/next")).status_code == 204
    bobs = await bob.ok("POST", f"/projects/{project['id']}/next", status=200)
    assert bobs["assignment"]["item"]["id"] == assignment["item"]["id"]


async def test_an_expired_lease_returns_the_item_to_the_queue(new_project, new_user):
    project = await new_project(items=1, launch=True, lease_seconds=1)
    _, alice = await new_user("contributor", project["id"])
    _, bob = await new_user("contributor", project["id"])
    first = (await alice.ok("POST", f"/projects/{project['id']}/next"))["assignment"]
    assert (await bob.post(f"/projects/{project['id']}/next")).status_code == 204

    await asyncio.sleep(1.2)
    taken = await bob.ok("POST", f"/projects/{project['id']}/next", status=200)
    assert taken["assignment"]["item"]["id"] == first["item"]["id"]
    late = await alice.post(f"/assignments/{first['id']}/submit", json={"answer": {"sentiment": "pos"}})
    assert late.status_code == 409 and "expired" in late.json()["error"]


@pytest.mark.parametrize("people", [200])
async def test_concurrent_next_never_leases_one_slot_twice(new_project, crowd, people):
    project = await new_project(items=150, launch=True)
    apis = await crowd(project["id"], people)
    responses = await asyncio.gather(*(api.post(f"/projects/{project['id']}/next") for api in apis))
    assert {r.status_code for r in responses} <= {200, 204}
    items = [r.json()["assignment"]["item"]["id"] for r in responses if r.status_code == 200]
    assert len(items) == 150, "every item is handed out exactly once"
    assert len(set(items)) == len(items)


async def test_concurrent_next_fills_each_item_up_to_its_overlap_and_no_further(new_project, crowd):
    """Two slots per item: the path that picks a free slot number (one slot per item takes the
    slot and leases it in one statement on PostgreSQL)."""
    project = await new_project(items=60, overlap=2, launch=True)
    apis = await crowd(project["id"], 150)
    responses = await asyncio.gather(*(api.post(f"/projects/{project['id']}/next") for api in apis))
    assert {r.status_code for r in responses} <= {200, 204}
    items = [r.json()["assignment"]["item"]["id"] for r in responses if r.status_code == 200]
    assert len(items) == 120, "every slot of every item is handed out exactly once"
    assert all(items.count(item) == 2 for item in set(items))
