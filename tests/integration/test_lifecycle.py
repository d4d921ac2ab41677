"""A project's life through the public API: draft, launch (or what is missing), pause, members,
and what a contributor is (never) shown."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import SENTIMENT_INTERFACE


async def draft(ops, **fields) -> dict:
    body = {"name": "Lifecycle", "purpose": "Prove the lifecycle", "interface": SENTIMENT_INTERFACE} | fields
    return await ops.ok("POST", "/projects", status=201, json=body)


async def test_launch_names_what_is_missing_then_succeeds(ops):
    project = await draft(ops)
    pid = project["id"]

    refused = await ops.post(f"/projects/{pid}/launch")
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["error"]
    missing = body["missing"]
    assert [m.split(":")[0] for m in missing] == ["guidelines", "items", "benchmark", "linters"]
    assert "at least 5 gold items" in missing[2]

    await ops.ok("PATCH", f"/projects/{pid}", status=200, json={"guidelines": "# How to label"})
    refused = await ops.post(f"/projects/{pid}/launch")
    assert refused.status_code == 409
    assert [m.split(":")[0] for m in refused.json()["missing"]] == ["items", "benchmark", "linters"]

    # Gold items alone are not work, and the controls still lack a linter: not ready.
    await ops.ok("POST", f"/projects/{pid}/items", status=201, params={"batch": "gold"},
                 json=[{"data": {"text": f"check {i}"}, "gold": {"sentiment": "pos"}} for i in range(5)])
    refused = await ops.post(f"/projects/{pid}/launch")
    assert refused.status_code == 409
    assert [m.split(":")[0] for m in refused.json()["missing"]] == ["items", "linters"]
    assert (await ops.ok("GET", f"/projects/{pid}"))["status"] == "draft"
    await ops.ok("PATCH", f"/projects/{pid}", status=200,
                 json={"quality": {"linters": [{"type": "too_fast", "seconds": 2, "severity": "warning"}]}})

    await ops.ok("POST", f"/projects/{pid}/items", status=201, json=[{"text": "work"}])
    launched = await ops.post(f"/projects/{pid}/launch")
    assert launched.status_code == 200, launched.text
    assert launched.json()["status"] == "live" and launched.json()["id"] == pid
    assert (await ops.ok("GET", f"/projects/{pid}/stats"))["status"] == "live"

    # Launching a live project again is a conflict, not a silent success.
    again = await ops.post(f"/projects/{pid}/launch")
    assert again.status_code == 409 and again.json()["error"]


async def test_next_on_a_draft_project_is_409(new_project, quick_user):
    project = await new_project(items=2)
    _, alice = await quick_user("contributor", project["id"])
    response = await alice.post(f"/projects/{project['id']}/next")
    assert response.status_code == 409, response.text
    assert "draft" in response.json()["error"]


async def test_pause_stops_next_and_relaunch_resumes(new_project, quick_user, ops):
    project = await new_project(items=3, launch=True)
    pid = project["id"]
    _, alice = await quick_user("contributor", pid)
    first = (await alice.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]
    await alice.ok("POST", f"/assignments/{first['id']}/submit", status=201, json={"answer": {"sentiment": "pos"}})

    paused = await ops.ok("POST", f"/projects/{pid}/pause", status=200)
    assert paused["status"] == "paused"
    response = await alice.post(f"/projects/{pid}/next")
    assert response.status_code == 409 and "paused" in response.json()["error"]
    stats = await ops.ok("GET", f"/projects/{pid}/stats")
    assert stats["status"] == "paused" and "the project is paused" in stats["blockers"]
    assert stats["totals"]["leased"] == 0

    # Pausing a paused project is a conflict.
    assert (await ops.post(f"/projects/{pid}/pause")).status_code == 409

    await ops.ok("POST", f"/projects/{pid}/launch", status=200)
    resumed = await alice.ok("POST", f"/projects/{pid}/next", status=200)
    assert resumed["assignment"]["item"]["data"] == {"text": "item 1"}


async def test_members_endpoint(new_project, new_user, ops):
    project = await new_project(items=1, launch=True)
    pid = project["id"]
    bob, bob_api = await new_user("contributor")  # made through the API, not yet a member

    assert (await bob_api.post(f"/projects/{pid}/next")).status_code == 403
    assert pid not in {p["id"] for p in await bob_api.ok("GET", "/projects")}

    added = await ops.post(f"/projects/{pid}/members", json={"user_id": bob["id"], "role": "contributor"})
    assert added.status_code in (200, 201), added.text
    assert added.json() == {"project_id": pid, "user_id": bob["id"], "role": "contributor", "level": 1}

    listed = {p["id"]: p for p in await bob_api.ok("GET", "/projects")}
    assert listed[pid]["role"] == "contributor"
    assert (await bob_api.post(f"/projects/{pid}/next")).status_code == 200

    # Changing the role replaces it: a client watches, but does not work.
    await ops.ok("POST", f"/projects/{pid}/members", json={"user_id": bob["id"], "role": "client"})
    assert (await bob_api.post(f"/projects/{pid}/next")).status_code == 403
    assert (await bob_api.get(f"/projects/{pid}/stats")).status_code == 200

    bad_role = await ops.post(f"/projects/{pid}/members", json={"user_id": bob["id"], "role": "emperor"})
    assert bad_role.status_code == 422 and "role" in bad_role.json()["errors"]
    no_user = await ops.post(f"/projects/{pid}/members", json={"role": "contributor"})
    assert no_user.status_code == 422 and "user_id" in no_user.json()["errors"]
    text_id = await ops.post(f"/projects/{pid}/members", json={"user_id": str(bob["id"]), "role": "contributor"})
    assert text_id.status_code == 422 and "user_id" in text_id.json()["errors"]
    assert (await bob_api.post(f"/projects/{pid}/next")).status_code == 403, "a refused change changes nothing"


def _keys_and_strings(value, keys: set[str], strings: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            keys.add(k)
            _keys_and_strings(v, keys, strings)
    elif isinstance(value, list):
        for v in value:
            _keys_and_strings(v, keys, strings)
    elif isinstance(value, str):
        strings.add(value)


async def test_a_contributor_is_never_served_gold_and_never_told_about_it(new_project, quick_user, ops):
    project = await new_project(launch=False)
    pid = project["id"]
    body = "\n".join(json.dumps(line) for line in [
        {"data": {"text": "gold A"}, "gold": {"sentiment": "neg"}, "explanation": "SECRET-EXPLANATION-A"},
        {"data": {"text": "real 1"}, "external_id": "r1"},
        {"data": {"text": "gold B"}, "gold": {"sentiment": "pos"}, "explanation": "SECRET-EXPLANATION-B"},
        {"data": {"text": "real 2"}, "external_id": "r2"},
    ])
    imported = await ops.ok("POST", f"/projects/{pid}/items", status=201, content=body,
                            headers={"Content-Type": "application/x-ndjson"})
    assert imported["created"] == 4
    await ops.ok("POST", f"/projects/{pid}/launch", status=200)
    _, alice = await quick_user("contributor", pid)

    served = []
    while True:
        response = await alice.post(f"/projects/{pid}/next")
        if response.status_code == 204:
            assert response.content == b""
            break
        assert response.status_code == 200, response.text
        lease = response.json()
        keys: set[str] = set()
        strings: set[str] = set()
        _keys_and_strings(lease, keys, strings)
        assert not {k for k in keys if "gold" in k.lower() or "explanation" in k.lower()}, keys
        assert not any("SECRET" in s for s in strings)
        assignment = lease["assignment"]
        assert set(assignment) >= {"id", "expires_at", "item"} and set(assignment["item"]) == {"id", "data"}
        served.append(assignment["item"]["data"]["text"])
        await alice.ok("POST", f"/assignments/{assignment['id']}/submit", status=201,
                       json={"answer": {"sentiment": "neu"}})
    assert served == ["real 1", "real 2"]


async def test_next_returns_the_same_lease_until_it_is_answered(new_project, quick_user):
    project = await new_project(items=2, launch=True)
    _, alice = await quick_user("contributor", project["id"])
    first = (await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
    again = (await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
    assert again["id"] == first["id"] and again["item"] == first["item"]
    assert first["expires_at"].endswith("Z") or "+" in first["expires_at"]


async def test_skip(new_project, quick_user, ops):
    project = await new_project(items=2, launch=True)
    _, alice = await quick_user("contributor", project["id"])
    first = (await alice.ok("POST", f"/projects/{project['id']}/next"))["assignment"]
    skipped = await alice.post(f"/assignments/{first['id']}/skip")
    assert skipped.status_code == 200, skipped.text
    assert skipped.json()["assignment"] == {"id": first["id"], "state": "skipped"}

    # A skipped task can be neither skipped again nor answered.
    assert (await alice.post(f"/assignments/{first['id']}/skip")).status_code == 409
    late = await alice.post(f"/assignments/{first['id']}/submit", json={"answer": {"sentiment": "pos"}})
    assert late.status_code == 409

    second = (await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
    assert second["item"]["id"] != first["item"]["id"]
    stats = await ops.ok("GET", f"/projects/{project['id']}/stats")
    assert stats["totals"]["queued"] == 1 and stats["totals"]["leased"] == 1 and stats["totals"]["submitted"] == 0


@pytest.mark.parametrize("answer,errors", [
    ({}, {"sentiment": "required"}),
    ({"sentiment": "pos", "rationale": "x" * 201}, {"rationale": "must be at most 200 characters"}),
    ({"sentiment": 3}, None),
    ("pos", {"answer": "must be an object of field: value"}),
])
async def test_submit_422_names_each_field(new_project, quick_user, ops, answer, errors):
    project = await new_project(items=1, launch=True)
    _, alice = await quick_user("contributor", project["id"])
    assignment = (await alice.ok("POST", f"/projects/{project['id']}/next"))["assignment"]
    response = await alice.post(f"/assignments/{assignment['id']}/submit", json={"answer": answer},
                                headers={"Idempotency-Key": "try"})
    assert response.status_code == 422, response.text
    body = response.json()
    if errors is None:
        assert set(body["errors"]) == {"sentiment"}
    else:
        assert body["errors"] == errors
    stats = await ops.ok("GET", f"/projects/{project['id']}/stats")
    assert stats["totals"]["submitted"] == 0 and stats["totals"]["leased"] == 1


async def test_stats_report_counts_throughput_and_blockers(new_project, quick_user, ops):
    project = await new_project(items=3, launch=True, batch="alpha")
    pid = project["id"]
    stats = await ops.ok("GET", f"/projects/{pid}/stats")
    assert stats["totals"]["items"] == 3 and stats["totals"]["answers_last_hour"] == 0
    assert "no contributors are members of this project" in stats["blockers"]

    _, alice = await quick_user("contributor", pid)
    for _ in range(2):
        a = (await alice.ok("POST", f"/projects/{pid}/next"))["assignment"]
        await alice.ok("POST", f"/assignments/{a['id']}/submit", status=201, json={"answer": {"sentiment": "pos"}})
    stats = await ops.ok("GET", f"/projects/{pid}/stats")
    totals = stats["totals"]
    assert (totals["items"], totals["queued"], totals["leased"], totals["submitted"], totals["completed"]) == (3, 1, 0, 2, 2)
    assert totals["answers_last_hour"] == 2 and sum(totals["sparkline"]) == 2 and len(totals["sparkline"]) == 60
    assert stats["blockers"] == []
    [batch] = stats["batches"]
    assert batch["name"] == "alpha" and batch["progress"] == pytest.approx(2 / 3, abs=1e-3)
