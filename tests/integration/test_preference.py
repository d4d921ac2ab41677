"""Pairwise preference end to end on the API: the order shown recorded per assignment, a gold
pairwise item scored, the position-bias figure of the gap report, and the preference export
checked line by line (chosen and rejected texts, the tie policy, the label's confidence, a chat
prompt as messages with a ranking field)."""

from __future__ import annotations

import json

from sqlalchemy import select

from components.base import Interface
from tests.integration.conftest import QUIET_QUALITY

PAIRWISE = [
    {"name": "prompt", "type": "prompt_response", "value": "$prompt", "response": "$reference"},
    {"name": "responses", "type": "responses", "value": "$responses"},
    {"name": "pref", "type": "pairwise", "target": "responses", "strength": "optional"},
]
CHAT_RANKING = [
    {"name": "chat", "type": "chat", "value": "$chat"},
    {"name": "responses", "type": "responses", "value": "$responses", "layout": "stacked"},
    {"name": "rank", "type": "ranking", "target": "responses"},
]


def pair_item(key: str) -> dict:
    return {"external_id": key, "data": {"key": key, "prompt": f"prompt {key}", "reference": "-",
                                         "responses": [{"id": "m1", "content": f"{key} first"},
                                                       {"id": "m2", "content": f"{key} second"}]}}


async def project_with(ops, interface, items, *, gold=None, overlap=3) -> int:
    project = await ops.ok("POST", "/projects", json={
        "name": "Preferences", "purpose": "Pick the better response", "guidelines": "# Prefer the helpful one",
        "overlap": overlap, "interface": interface, "quality": QUIET_QUALITY})
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", status=201, json=items)
    await ops.ok("POST", f"/projects/{pid}/items", status=201, params={"batch": "gold"}, json=[gold or {
        "data": pair_item("g")["data"], "external_id": "g", "gold": {"pref": {"preferred": "m2"}},
        "explanation": "The second answers the question."}])
    await ops.ok("POST", f"/projects/{pid}/launch")
    return pid


async def answer(api, pid: int, choose) -> dict:
    """Lease the next task and answer it with ``choose(item data)``; returns the lease."""
    lease = await api.ok("POST", f"/projects/{pid}/next", status=200)
    data = lease["assignment"]["item"]["data"]
    await api.ok("POST", f"/assignments/{lease['assignment']['id']}/submit", status=201,
                 json={"answer": choose(data)})
    return lease


async def export(ops, pid: int, **params) -> list[dict]:
    response = await ops.get(f"/projects/{pid}/export", params={"format": "preference"} | params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


async def test_the_order_shown_is_recorded_and_the_left_win_rate_is_reported(ops, quick_user, db):
    pid = await project_with(ops, PAIRWISE, [pair_item(f"b{i}") for i in range(4)])
    people = [(await quick_user("contributor", pid))[1] for _ in range(3)]
    form = Interface.from_specs(PAIRWISE)

    # A client that claims the other order is refused at the field; the lease survives.
    lease = await people[0].ok("POST", f"/projects/{pid}/next", status=200)
    assignment = lease["assignment"]
    shown = [c["id"] for c in form.parts_by_name["responses"].resolve(assignment["item"]["data"], assignment["id"])]
    wrong = await people[0].post(f"/assignments/{assignment['id']}/submit", json={"answer": {"pref": {
        "winner": "A", "shown": {"left": shown[1], "right": shown[0]}}}})
    assert wrong.status_code == 422
    assert wrong.json()["errors"]["pref"] == (f"shown: this task showed {shown[0]} on the left and {shown[1]} "
                                              f"on the right, not {shown[1]} and {shown[0]}")
    await people[0].ok("POST", f"/assignments/{assignment['id']}/submit", status=201,
                       json={"answer": {"pref": {"winner": "A"}}})

    # Twelve answers by position: 8 left, 2 right, 2 ties.
    plans = [["B", "A", "A"], ["A", "A", "tie", "B"], ["A", "A", "A", "tie"]]
    plans[0].insert(0, "A")  # the answer given above
    for api, plan in zip(people, plans):
        for winner in plan[1:] if api is people[0] else plan:
            await answer(api, pid, lambda data, w=winner: {"pref": {"winner": w}})

    from app.work.models import Annotation

    async with db.transaction() as session:
        rows = (await session.execute(select(Annotation.assignment_id, Annotation.answer, Annotation.item_id)
                                      .where(Annotation.project_id == pid, Annotation.stage == "annotate"))).all()
    assert len(rows) == 12
    orders = set()
    from app.items.models import Item

    async with db.transaction() as session:
        data = {i.id: i.data for i in (await session.execute(select(Item).where(Item.project_id == pid))).scalars()}
    for assignment_id, stored, item_id in rows:
        expected = [c["id"] for c in form.parts_by_name["responses"].resolve(data[item_id], assignment_id)]
        assert stored["pref"]["shown"] == {"left": expected[0], "right": expected[1]}
        preferred = {"A": expected[0], "B": expected[1]}.get(stored["pref"]["winner"], stored["pref"]["winner"])
        assert stored["pref"]["preferred"] == preferred
        orders.add(tuple(expected))
    assert orders == {("m1", "m2"), ("m2", "m1")}, "randomised per assignment (all alike: 1 in 2,048)"

    gaps = await ops.ok("GET", f"/projects/{pid}/guideline-gaps")
    (bias,) = gaps["position_bias"]
    assert {k: bias[k] for k in ("field", "decisive", "left_wins", "right_wins", "left_rate", "biased")} == {
        "field": "pref", "decisive": 10, "left_wins": 8, "right_wins": 2, "left_rate": 0.8, "biased": False}
    assert round(bias["low"], 3) == 0.490 and round(bias["high"], 3) == 0.943  # Wilson, by hand
    assert "the left response won 80% of 10 decisive answers" in gaps["summary"]["position_bias"]

    # The JSONL export keeps the order shown; the gaps page shows the figure.
    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export")).text.splitlines()]
    assert all("shown" in a["answer"]["pref"] for line in lines for a in line["annotations"])
    from tests.integration.conftest import Browser

    lead, _ = await quick_user("ops")
    page = await Browser(ops.base_url).login(lead["email"], "quiet-lantern-42")
    try:
        html = (await page.http.get(f"/projects/{pid}/guideline-gaps")).text
        csv = (await page.http.get(f"/projects/{pid}/guideline-gaps.csv")).text
    finally:
        await page.aclose()
    assert "Position bias: how often the left response wins\nfield,decisive,left_wins,right_wins,left_rate,low,high,biased\n" \
        "pref,10,8,2,0.8,0.4902,0.9433,False\n" in csv
    assert 'id="gap-position-bias"' in html and "80.0%" in html and "49.0–94.3%" in html and "within chance" in html


async def test_a_gold_pairwise_item_scores_by_the_preferred_candidate(ops, quick_user, db):
    pid = await project_with(ops, PAIRWISE, [pair_item("p1")])
    _, right = await quick_user("contributor", pid, qualified=False)
    _, wrong = await quick_user("contributor", pid, qualified=False)
    first = await answer(right, pid, lambda data: {"pref": {"preferred": "m2", "strength": 2}})
    second = await answer(wrong, pid, lambda data: {"pref": {"preferred": "m1"}})
    assert first["assignment"]["item"]["data"]["key"] == second["assignment"]["item"]["data"]["key"] == "g"

    from app.work.models import Annotation

    async with db.transaction() as session:
        scores = dict((await session.execute(select(Annotation.assignment_id, Annotation.gold_score)
                                             .where(Annotation.project_id == pid))).all())
    assert scores == {first["assignment"]["id"]: 1.0, second["assignment"]["id"]: 0.0}


async def test_preference_export_line_by_line(ops, quick_user, db):
    items = [pair_item(k) for k in ("p1", "p2", "p3", "p4")]
    pid = await project_with(ops, PAIRWISE, items)
    people = [(await quick_user("contributor", pid))[1] for _ in range(3)]
    plan = {"p1": ["m2", "m2", "m1"], "p2": ["tie", "tie", "m1"], "p3": ["both_bad", "both_bad", "m1"],
            "p4": ["m1", "m2", "tie"]}
    for index, api in enumerate(people):
        for _ in plan:
            await answer(api, pid, lambda data, i=index: {"pref": {"preferred": plan[data["key"]][i]}})

    lines = await export(ops, pid)  # ties=skip by default; p3 both bad, p4 no majority: no lines
    assert [{k: v for k, v in line.items() if k != "item_id"} for line in lines] == [{
        "prompt": "prompt p1", "chosen": "p1 second", "rejected": "p1 first", "chosen_id": "m2",
        "rejected_id": "m1", "tie": False, "confidence": 0.6667, "answers": 3, "external_id": "p1",
        "field": "pref"}]
    both = await export(ops, pid, ties="both")
    assert [(line["external_id"], line["chosen"], line["rejected"], line["tie"], line["confidence"])
            for line in both] == [("p1", "p1 second", "p1 first", False, 0.6667),
                                  ("p2", "p2 first", "p2 second", True, 0.6667),
                                  ("p2", "p2 second", "p2 first", True, 0.6667)]
    # A reviewer's edit wins over the answer it edits: p4's "m2" edited to "m1" makes m1 the majority.
    from app.work.models import Annotation

    async with db.transaction() as session:
        edited = (await session.execute(select(Annotation).where(Annotation.project_id == pid).order_by(Annotation.id))
                  ).scalars().all()
        (target,) = [a for a in edited if a.answer["pref"]["preferred"] == "m2" and a.answer["pref"]["shown"]
                     and a.item_id == max(a.item_id for a in edited)]
        target.reviewed_answer = {"pref": target.answer["pref"] | {"preferred": "m1", "winner": (
            "A" if target.answer["pref"]["shown"]["left"] == "m1" else "B")}}
        session.add(target)
    after_review = await export(ops, pid)
    assert [(line["external_id"], line["chosen_id"], line["confidence"]) for line in after_review] == [
        ("p1", "m2", 0.6667), ("p4", "m1", 0.6667)]

    refused = await ops.get(f"/projects/{pid}/export", params={"format": "preference", "ties": "half"})
    assert refused.status_code == 422 and refused.json()["errors"]["ties"] == "must be one of: skip, both"
    _, contributor = await quick_user("contributor", pid)
    assert (await contributor.get(f"/projects/{pid}/export", params={"format": "preference"})).status_code == 403
    # the JSONL export is unchanged by all this: one line per item, gold included
    assert len((await ops.get(f"/projects/{pid}/export")).text.splitlines()) == 5


async def test_a_chat_prompt_exports_messages_and_a_ranking_gives_every_pair(ops, quick_user):
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Best fruit?"}]
    responses = [{"id": "m1", "content": "Apple."}, {"id": "m2", "content": "Pear."}, {"id": "m3", "content": "Fig."}]
    gold = {"data": {"chat": chat, "responses": responses}, "external_id": "g",
            "gold": {"rank": [{"candidate": "m1", "rank": 1}, {"candidate": "m2", "rank": 2}, {"candidate": "m3", "rank": 3}]}}
    pid = await project_with(ops, CHAT_RANKING, [{"external_id": "c1", "data": {"chat": chat, "responses": responses}}],
                             gold=gold, overlap=1)
    _, api = await quick_user("contributor", pid)
    bad = await api.ok("POST", f"/projects/{pid}/next", status=200)
    refused = await api.post(f"/assignments/{bad['assignment']['id']}/submit", json={"answer": {"rank": [
        {"candidate": "m3", "rank": 1}, {"candidate": "m1", "rank": 1}, {"candidate": "m2", "rank": 3}]}})
    assert refused.status_code == 422
    assert refused.json()["errors"]["rank"] == "rank[1].rank: 1 is given twice; this ranking allows no ties"
    await api.ok("POST", f"/assignments/{bad['assignment']['id']}/submit", status=201, json={"answer": {"rank": [
        {"candidate": "m3", "rank": 1}, {"candidate": "m1", "rank": 2}, {"candidate": "m2", "rank": 3}]}})

    lines = await export(ops, pid)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Best fruit?"}]
    said = {r["id"]: [{"role": "assistant", "content": r["content"]}] for r in responses}
    assert sorted((line["chosen_id"], line["rejected_id"]) for line in lines) == [("m1", "m2"), ("m3", "m1"), ("m3", "m2")]
    for line in lines:  # 3 over 1, 3 over 2, 1 over 2, each as messages
        assert (line["chosen"], line["rejected"]) == (said[line["chosen_id"]], said[line["rejected_id"]])
        assert line["confidence"] == 1.0 and line["answers"] == 1 and line["tie"] is False and line["field"] == "rank"
    assert all(line["prompt"] == messages and line["external_id"] == "c1" for line in lines)


async def test_the_overview_offers_the_preference_download(ops, quick_user):
    pid = await project_with(ops, PAIRWISE, [pair_item("p1")])
    lead, _ = await quick_user("ops")
    from tests.integration.conftest import Browser

    page = await Browser(ops.base_url).login(lead["email"], "quiet-lantern-42")
    try:
        overview = (await page.http.get(f"/projects/{pid}")).text
        assert f'href="/projects/{pid}/export.preference.jsonl"' in overview
        download = await page.http.get(f"/projects/{pid}/export.preference.jsonl", params={"ties": "both"})
        assert download.status_code == 200 and download.text == ""  # nothing answered yet
    finally:
        await page.aclose()


async def test_the_workspace_form_posts_a_preference_and_a_ranking(ops, quick_user):
    interface = [*PAIRWISE[:2], PAIRWISE[2] | {"reason": "optional"},
                 {"name": "rank", "type": "ranking", "target": "responses"}]
    gold = pair_item("g") | {"gold": {"pref": {"preferred": "m2"}, "rank": [
        {"candidate": "m2", "rank": 1}, {"candidate": "m1", "rank": 2}]}}
    pid = await project_with(ops, interface, [pair_item("w1")], gold=gold)
    person, api = await quick_user("contributor", pid)
    lease = await api.ok("POST", f"/projects/{pid}/next", status=200)
    aid = lease["assignment"]["id"]
    shown = [c["id"] for c in Interface.from_specs(interface).parts_by_name["responses"].resolve(
        lease["assignment"]["item"]["data"], aid)]
    from tests.integration.conftest import Browser

    page = await Browser(ops.base_url).login(person["email"], "quiet-lantern-42")
    try:
        workspace = (await page.get(f"/projects/{pid}/work/")).text
        assert 'name="f_pref" value="A"' in workspace and 'data-hotkey="4"' in workspace
        assert 'name="f_pref.strength"' in workspace and 'name="f_pref.reason"' in workspace
        assert "/static/pairwise.js" in workspace
        # one rank select per candidate, in the order this assignment shows them
        assert workspace.index(f"Response {shown[0]}") < workspace.index(f"Response {shown[1]}")
        form = [("idempotency_key", "w-1"), ("f_pref", "B"), ("f_pref.strength", "3"), ("f_pref.reason", "clearer"),
                ("f_rank", f"{shown[0]}=1"), ("f_rank", f"{shown[1]}=1")]
        refused = await page.post(f"/projects/{pid}/work/{aid}/submit", form, htmx=True)
        assert refused.status_code == 422 and "rank[1].rank: 1 is given twice" in refused.text
        form[-1] = ("f_rank", f"{shown[1]}=2")
        accepted = await page.post(f"/projects/{pid}/work/{aid}/submit", form, htmx=True)
        assert accepted.status_code == 200, accepted.text
    finally:
        await page.aclose()
    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export",
                                                         params={"aggregate": "none"})).text.splitlines()]
    answer = next(a for line in lines for a in line["annotations"])["answer"]
    assert answer["pref"] == {"winner": "B", "preferred": shown[1], "strength": 3, "reason": "clearer",
                              "shown": {"left": shown[0], "right": shown[1]}}
    assert answer["rank"] == [{"candidate": shown[0], "rank": 1}, {"candidate": shown[1], "rank": 2}]


async def test_the_lease_tells_an_api_client_the_order_it_shows(ops, quick_user):
    """API clients answer as the person saw it: the lease carries the responses in this assignment's
    order, and answering "A" prefers the first of them."""
    three = {"external_id": "three", "data": {"prompt": "p", "reference": "-", "responses": [
        {"id": "m1", "content": "one"}, {"id": "m2", "content": "two"}, {"id": "m3", "content": "three"}]}}
    pid = await project_with(ops, PAIRWISE, [three], overlap=6)
    orders = set()
    for _ in range(6):
        _, api = await quick_user("contributor", pid)
        lease = (await api.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]
        shown = [c["id"] for c in lease["shown"]["responses"]]
        assert sorted(shown) == ["m1", "m2", "m3"]
        orders.add(tuple(shown))
        stored = (await api.ok("POST", f"/assignments/{lease['id']}/submit", status=201,
                               json={"answer": {"pref": {"winner": "A"}}}))["annotation"]["answer"]["pref"]
        assert stored["shown"] == {"left": shown[0], "right": shown[1]} and stored["preferred"] == shown[0]
    assert len(orders) > 1
