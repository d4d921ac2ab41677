"""The quality controls as a contributor meets them, through the public API."""

from __future__ import annotations

from tests.integration.conftest import SENTIMENT_INTERFACE

GATE = {"benchmark": {"size": 2, "pass_threshold": 1.0, "retry": "none"},
        "gold": {"rate": 1.0, "min_rate": 1.0, "window": 2, "min_answers": 2, "recalibrate_below": 0.75,
                 "remove_below": 0.25, "recalibration_size": 1, "recalibration_pass": 1.0},
        "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]}


async def gated_project(ops, *, gold: int = 6, production: int = 3, quality=GATE) -> dict:
    project = await ops.ok("POST", "/projects", json={
        "name": "Gated", "purpose": "Prove the gate", "guidelines": "# Sentiment",
        "interface": SENTIMENT_INTERFACE, "quality": quality})
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "work"},
                 json=[{"text": f"work {i}"} for i in range(production)])
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"},
                 json=[{"data": {"text": f"gold {i}"}, "gold": {"sentiment": "pos"}, "explanation": f"why {i}"}
                       for i in range(gold)])
    await ops.ok("POST", f"/projects/{pid}/launch")
    return project


async def answer(api, pid: int, sentiment: str) -> dict:
    lease = await api.ok("POST", f"/projects/{pid}/next", status=200)
    await api.ok("POST", f"/assignments/{lease['assignment']['id']}/submit", json={"answer": {"sentiment": sentiment}})
    return lease["assignment"]


async def test_a_contributor_who_fails_the_gate_never_receives_production(ops, new_user):
    project = await gated_project(ops)
    pid = project["id"]
    _, carol = await new_user("contributor", pid, qualified=False)
    seen = [await answer(carol, pid, "neg") for _ in range(2)]
    assert all(a["item"]["data"]["text"].startswith("gold") for a in seen)
    assert all(set(a) == {"id", "expires_at", "project_id", "item"} for a in seen), "gold looks like any task"

    refused = await carol.post(f"/projects/{pid}/next")
    assert refused.status_code == 403
    assert "removed" in refused.json()["error"] and "0% on the benchmark" in refused.json()["error"]


async def test_passing_the_gate_opens_production_and_gold_checks_move_standing(ops, new_user):
    project = await gated_project(ops, production=5)
    pid = project["id"]
    _, dan = await new_user("contributor", pid, qualified=False)
    for _ in range(2):
        assert (await answer(dan, pid, "pos"))["item"]["data"]["text"].startswith("gold")

    # gold rate 1.0: every production slot is a gold check while unseen gold remains (4 left)
    first = await answer(dan, pid, "neg")
    second = await answer(dan, pid, "neg")
    assert first["item"]["data"]["text"].startswith("gold") and second["item"]["data"]["text"].startswith("gold")
    # two wrong checks: accuracy 0% is below the removal floor? no: 0 < 0.25 -> removed
    refused = await dan.post(f"/projects/{pid}/next")
    assert refused.status_code == 403 and "gold accuracy 0%" in refused.json()["error"]


async def test_recalibration_then_back_to_production(ops, new_user):
    quality = GATE | {"gold": GATE["gold"] | {"remove_below": 0.0}}
    project = await gated_project(ops, gold=5, quality=quality)
    pid = project["id"]
    _, eve = await new_user("contributor", pid, qualified=False)
    await answer(eve, pid, "pos")
    await answer(eve, pid, "pos")          # gate passed (2/2)
    await answer(eve, pid, "pos")          # gold check right
    await answer(eve, pid, "neg")          # gold check wrong: 50% < 75% -> recalibrating
    recalibration = await answer(eve, pid, "pos")
    assert recalibration["item"]["data"]["text"].startswith("gold")
    # back to production: all 5 gold items are used up, so production items come next
    lease = await eve.ok("POST", f"/projects/{pid}/next", status=200)
    assert lease["assignment"]["item"]["data"]["text"].startswith("work")


async def test_linter_errors_block_at_the_field_and_warnings_travel_with_the_answer(ops, new_user):
    quality = {"benchmark": {"size": 1}, "linters": [
        {"type": "banned_phrases", "field": "rationale", "phrases": ["as an ai"], "severity": "error"},
        {"type": "min_length", "field": "rationale", "value": 10, "severity": "warning"}]}
    project = await gated_project(ops, gold=1, quality=quality)
    pid = project["id"]
    _, fay = await new_user("contributor", pid)
    lease = await fay.ok("POST", f"/projects/{pid}/next")
    url = f"/assignments/{lease['assignment']['id']}/submit"
    blocked = await fay.post(url, json={"answer": {"sentiment": "pos", "rationale": "As an AI I think so"}})
    assert blocked.status_code == 422
    assert blocked.json()["errors"] == {"rationale": "contains the banned phrase “as an ai”"}
    await fay.ok("POST", url, json={"answer": {"sentiment": "pos", "rationale": "short"}})
    exported = (await ops.get(f"/projects/{pid}/export")).text
    assert '"rule": "min_length"' in exported and '"severity": "warning"' in exported
