"""Standing as people see it: the contributor's own record live, the ops table, overrides."""

from __future__ import annotations

import asyncio
import time

from websockets.asyncio.client import connect

from tests.integration.test_quality_gate import GATE, answer, gated_project


def me_url(server, project_id: int) -> str:
    return server.url.replace("http://", "ws://", 1) + f"/ws/me?project={project_id}"


async def test_the_contributor_sees_recalibration_live_and_why(ops, new_user, server):
    quality = GATE | {"gold": GATE["gold"] | {"remove_below": 0.0}}
    project = await gated_project(ops, gold=5, quality=quality)
    pid = project["id"]
    _, eve = await new_user("contributor", pid, qualified=False)
    async with connect(me_url(server, pid), additional_headers={"Authorization": f"Bearer {eve.token}"}) as socket:
        snapshot = await asyncio.wait_for(socket.recv(), 5)
        assert 'data-state="pending_gate"' in snapshot
        for sentiment in ("pos", "pos", "pos", "neg"):  # gate passed, one check right, one wrong
            await answer(eve, pid, sentiment)
        deadline = time.monotonic() + 2
        message = ""
        while 'data-state="recalibrating"' not in message:
            message = await asyncio.wait_for(socket.recv(), max(deadline - time.monotonic(), 0.01))
        assert "gold accuracy 50% over your last 2 checks is below 75%" in message

    record = await eve.ok("GET", f"/me/projects/{pid}/standing")
    assert record["state"] == "recalibrating" and record["checks"]["accuracy"] == 0.5
    assert [f["kind"] for f in record["feedback"]][:2] == ["standing", "gold_check"]
    gold_check = record["feedback"][1]
    assert gold_check["payload"]["expected"]["sentiment"] == "pos" and gold_check["payload"]["missed"] == ["Sentiment"]
    # What was missed comes first, in words, then the gold item's explanation.
    assert gold_check["body"].startswith("Not as expected: Sentiment.\n\nwhy")
    assert len(record["gate"]["review"]) == 2
    assert all(r["correct_answer"]["sentiment"] == "pos" and r["explanation"] for r in record["gate"]["review"])


async def test_gate_review_stays_hidden_until_the_gate_is_decided(ops, new_user):
    project = await gated_project(ops)
    pid = project["id"]
    _, gus = await new_user("contributor", pid, qualified=False)
    await answer(gus, pid, "pos")
    record = await gus.ok("GET", f"/me/projects/{pid}/standing")
    assert record["state"] == "pending_gate" and record["gate"]["review"] == []
    assert "gold" not in str(record["feedback"]).lower()


async def test_ops_table_shows_every_contributor_and_ops_can_reinstate(ops, new_user):
    project = await gated_project(ops)
    pid = project["id"]
    carol_user, carol = await new_user("contributor", pid, qualified=False)
    await answer(carol, pid, "neg")
    await answer(carol, pid, "neg")  # gate failed, no retry: removed
    table = await ops.ok("GET", f"/projects/{pid}/contributors")
    (row,) = [r for r in table["contributors"] if r["user_id"] == carol_user["id"]]
    assert row["standing"] == "removed" and row["gate_score"] == 0.0 and row["tasks_done"] == 2

    refused = await carol.post(f"/projects/{pid}/contributors/{carol_user['id']}/standing",
                               json={"state": "qualified", "reason": "me"})
    assert refused.status_code == 403
    await ops.ok("POST", f"/projects/{pid}/contributors/{carol_user['id']}/standing",
                 json={"state": "pending_gate", "reason": "guidelines were unclear; try again"})
    lease = await carol.ok("POST", f"/projects/{pid}/next", status=200)
    assert lease["assignment"]["item"]["data"]["text"].startswith("gold"), "a fresh benchmark attempt"
    assert (await carol.get(f"/projects/{pid}/contributors")).status_code == 403


async def test_the_board_names_contributors_for_ops_and_hides_them_from_clients(ops, new_user, server):
    project = await gated_project(ops)
    pid = project["id"]
    carol_user, carol = await new_user("contributor", pid, qualified=False)
    await answer(carol, pid, "pos")
    _, client = await new_user("client", pid)
    board = server.url.replace("http://", "ws://", 1) + f"/ws/projects/{pid}/board"

    async def first_board(api) -> str:
        async with connect(board, additional_headers={"Authorization": f"Bearer {api.token}"}) as socket:
            return await asyncio.wait_for(socket.recv(), 5)

    seen_by_ops, seen_by_client = await first_board(ops), await first_board(client)
    assert carol_user["name"] in seen_by_ops
    assert carol_user["name"] not in seen_by_client and carol_user["email"] not in seen_by_client
    assert f'data-user="{carol_user["id"]}"' not in seen_by_client
    assert "Contributor " in seen_by_client
