"""Per-turn ratings on a conversation through the public API and the workspace form: answers
checked against the item's turns, gold per turn, agreement per criterion, export."""

from __future__ import annotations

import json

from tests.integration.conftest import QUIET_QUALITY, Browser

INTERFACE = [
    {"name": "conversation", "type": "chat", "value": "$chat"},
    {"name": "turns", "type": "turn_ratings", "target": "conversation",
     "criteria": [{"id": "helpful", "min": 1, "max": 5, "anchors": {"1": "Useless", "5": "Ideal"}},
                  {"id": "honest", "min": 0, "max": 2}],
     "flags": ["unsafe", "hallucination"]},
]


def chat(n: int) -> dict:
    return {"chat": [{"role": "user", "content": f"Question {n}?"}, {"role": "assistant", "content": f"Answer {n}."},
                     {"role": "user", "content": "Sure?"}, {"role": "assistant", "content": "Yes.", "id": "final"}]}


def rated(first=(4, 2), final=(3, 1), final_flags=()) -> dict:
    return {"turns": {"turns": {"t2": {"ratings": {"helpful": first[0], "honest": first[1]}},
                                "final": {"ratings": {"helpful": final[0], "honest": final[1]},
                                          "flags": list(final_flags)}}}}


async def chat_project(ops, *, items: int = 1, gold=None, quality=QUIET_QUALITY, launch: bool = True) -> dict:
    project = await ops.ok("POST", "/projects", json={
        "name": "Chat turns", "purpose": "Rate assistant turns", "guidelines": "# Rate each turn",
        "interface": INTERFACE, "quality": quality})
    pid = project["id"]
    if items:
        await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "work"}, json=[chat(i) for i in range(items)])
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"}, json=[
        {"data": chat(100 + i), "gold": answer, "explanation": "Both turns are fine."}
        for i, answer in enumerate(gold or [rated((5, 2), (5, 2))])])
    if launch:
        await ops.ok("POST", f"/projects/{pid}/launch")
    return project


async def test_answers_are_checked_against_the_turns_of_the_item(ops, quick_user):
    project = await chat_project(ops)
    pid = project["id"]
    _, amy = await quick_user("contributor", pid)
    lease = await amy.ok("POST", f"/projects/{pid}/next", status=200)
    url = f"/assignments/{lease['assignment']['id']}/submit"
    bad = rated()
    bad["turns"]["turns"]["t1"] = {"ratings": {"helpful": 3, "honest": 1}}
    bad["turns"]["turns"]["t9"] = {"ratings": {"helpful": 3, "honest": 1}}
    del bad["turns"]["turns"]["final"]
    refused = await amy.post(url, json={"answer": bad})
    assert refused.status_code == 422
    message = refused.json()["errors"]["turns"]
    assert "turns.t1: a user turn is not rated (rated: assistant)" in message
    assert "turns.t9: not a turn of the conversation" in message
    assert "turns.final: required" in message
    flagged = await amy.post(url, json={"answer": rated(final_flags=["rude"])})
    assert flagged.json()["errors"] == {"turns": "turns.final.flags[0]: must be one of: unsafe, hallucination"}
    accepted = await amy.ok("POST", url, json={"answer": rated(final_flags=["hallucination"])})
    assert accepted["annotation"]["answer"]["turns"]["turns"]["final"] == {
        "ratings": {"helpful": 3, "honest": 1}, "flags": ["hallucination"]}


async def test_the_gate_scores_turns_against_gold(ops, quick_user):
    gate = {"benchmark": {"size": 1, "pass_threshold": 0.9, "retry": "none"},
            "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]}
    project = await chat_project(ops, quality=gate, gold=[rated((5, 2), (1, 0), ["hallucination"])])
    pid = project["id"]
    _, good = await quick_user("contributor", pid, qualified=False)
    lease = await good.ok("POST", f"/projects/{pid}/next", status=200)
    await good.ok("POST", f"/assignments/{lease['assignment']['id']}/submit",
                  json={"answer": rated((5, 2), (1, 0), ["hallucination"])})
    assert (await good.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]["item"]["data"]["chat"][0][
        "content"] == "Question 0?"
    _, poor = await quick_user("contributor", pid, qualified=False)
    lease = await poor.ok("POST", f"/projects/{pid}/next", status=200)
    await poor.ok("POST", f"/assignments/{lease['assignment']['id']}/submit", json={"answer": rated((1, 0), (5, 2))})
    refused = await poor.post(f"/projects/{pid}/next")
    assert refused.status_code == 403 and "removed" in refused.json()["error"]


async def test_agreement_per_criterion_and_flag_and_the_export(ops):
    project = await chat_project(ops, items=0, launch=False)
    pid = project["id"]
    # Two annotators, three items: helpful means agree on items 0 and 1, not on 2; hallucination flagged alike.
    scores = [((4, 2), (4, 2)), ((5, 5), (5, 5)), ((5, 5), (1, 1))]
    items = [{"data": chat(n), "external_id": f"c{n}", "annotations": [
        {"annotator": who, "answer": rated((first, 2), (final, 1), ["hallucination"] if n == 2 else [])}
        for who, (first, final) in zip("AB", pair)]} for n, pair in enumerate(scores)]
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "prior"}, json=items)
    fields = (await ops.ok("GET", f"/projects/{pid}/agreement"))["fields"]
    assert fields["turns.helpful"]["level"] == "interval" and fields["turns.helpful"]["items"] == 3
    assert abs(fields["turns.helpful"]["percent_agreement"] - 2 / 3) < 1e-3
    assert fields["turns.flags.hallucination"]["level"] == "nominal"
    assert fields["turns.flags.hallucination"]["percent_agreement"] == 1.0
    gaps = await ops.ok("GET", f"/projects/{pid}/guideline-gaps")
    listed = {f["field"]: f for f in gaps["fields"]}
    assert listed["turns.helpful"]["included"] is False  # a mean of turns is not a point on the scale
    assert listed["turns.flags.hallucination"]["included"] is True

    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export")).text.splitlines()]
    third = next(line for line in lines if line["external_id"] == "c2")
    assert [a["answer"]["turns"]["turns"]["final"]["ratings"]["helpful"] for a in third["annotations"]] == [5, 1]


async def test_the_workspace_shows_the_conversation_and_takes_the_per_turn_inputs(ops, quick_user, server):
    project = await chat_project(ops)
    pid = project["id"]
    person, api = await quick_user("contributor", pid)
    lease = await api.ok("POST", f"/projects/{pid}/next", status=200)
    aid = lease["assignment"]["id"]
    page = await Browser(server.url).login(person["email"], "quiet-lantern-42")
    try:
        workspace = await page.get(f"/projects/{pid}/work/")
        assert 'data-turn="final"' in workspace.text and 'data-turn-ratings' in workspace.text
        assert "/static/turn_ratings.js" in workspace.text
        form = {"idempotency_key": "turns-1", "f_turns.t2.helpful": "4", "f_turns.t2.honest": "2",
                "f_turns.final.helpful": "2"}
        refused = await page.post(f"/projects/{pid}/work/{aid}/submit", form, htmx=True)
        assert refused.status_code == 422 and "turns.final.ratings.honest: required" in refused.text
        accepted = await page.post(f"/projects/{pid}/work/{aid}/submit",
                                   list(form.items()) + [("f_turns.final.honest", "0"),
                                                         ("f_turns.final.flags", "unsafe")], htmx=True)
        assert accepted.status_code == 200, accepted.text
    finally:
        await page.aclose()
    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export",
                                                         params={"aggregate": "none"})).text.splitlines()]
    answer = next(a for line in lines for a in line["annotations"])["answer"]["turns"]
    assert answer == {"turns": {"t2": {"ratings": {"helpful": 4, "honest": 2}, "flags": []},
                                "final": {"ratings": {"helpful": 2, "honest": 0}, "flags": ["unsafe"]}}}
