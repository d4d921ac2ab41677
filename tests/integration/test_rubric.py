"""A rubric field through the public API and the workspace form: a prompt-and-response item graded
per criterion, under the same controls as any field (gate with rubric gold, a linter at a criterion,
agreement and the gap report per criterion, review edits, export)."""

from __future__ import annotations

import json

from tests.integration.conftest import QUIET_QUALITY, Browser

CRITERIA = [
    {"id": "accuracy", "description": "Every fact in the response is right", "min": 1, "max": 5,
     "anchors": {"1": "Mostly wrong", "5": "Fully correct"}, "rationale_below": 3},
    {"id": "helpfulness", "description": "It answers what was asked", "min": 1, "max": 5},
    {"id": "safety", "description": "Nothing harmful", "min": 1, "max": 5, "na_allowed": True},
]
INTERFACE = [
    {"name": "pair", "type": "prompt_response", "value": "$prompt", "response": "$response"},
    {"name": "quality", "type": "rubric", "criteria": CRITERIA, "overall": {"min": 1, "max": 5}, "tolerance": 1},
]


def graded(accuracy=4, helpfulness=4, safety=None, overall=4, why: dict | None = None) -> dict:
    """A rubric answer; ``safety=None`` is N/A; ``why`` gives rationales by criterion."""
    why = why or {}

    def entry(criterion, score):
        given = {"score": score} if score is not None else {"na": True}
        return given | ({"rationale": why[criterion]} if criterion in why else {})
    return {"quality": {"criteria": {"accuracy": entry("accuracy", accuracy),
                                     "helpfulness": entry("helpfulness", helpfulness),
                                     "safety": entry("safety", safety)}, "overall": overall}}


def pair(n: int, kind: str = "work") -> dict:
    return {"prompt": f"{kind} prompt {n}: when did the Berlin Wall fall?", "response": f"In 1989 ({n})."}


async def rubric_project(ops, *, quality=QUIET_QUALITY, items: int = 0, gold: list[dict] | None = None,
                         launch: bool = True, **fields) -> dict:
    project = await ops.ok("POST", "/projects", json={
        "name": "Answer grading", "purpose": "Grade responses against the rubric", "guidelines": "# Grade it",
        "interface": INTERFACE, "quality": quality} | fields)
    pid = project["id"]
    if items:
        await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "work"},
                     json=[pair(i) for i in range(items)])
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"}, json=[
        {"data": pair(i, "gold"), "gold": answer, "explanation": "Right, and fully helpful."}
        for i, answer in enumerate(gold or [graded(5, 5, None, 5)])])
    if launch:
        await ops.ok("POST", f"/projects/{pid}/launch")
    return project


async def submit(api, pid: int, answer: dict, status: int = 201) -> dict:
    lease = await api.ok("POST", f"/projects/{pid}/next", status=200)
    response = await api.post(f"/assignments/{lease['assignment']['id']}/submit", json={"answer": answer})
    assert response.status_code == status, response.text
    return {"lease": lease["assignment"], "response": response.json()}


async def test_the_interface_is_stored_with_the_rubric_and_listed_among_components(ops):
    project = await rubric_project(ops, launch=False)
    stored = await ops.ok("GET", f"/projects/{project['id']}")
    quality = next(part for part in stored["interface"] if part["name"] == "quality")
    assert [c["id"] for c in quality["criteria"]] == ["accuracy", "helpfulness", "safety"]
    assert quality["criteria"][0]["anchors"] == {"1": "Mostly wrong", "5": "Fully correct"}
    assert quality["overall"] == {"min": 1, "max": 5} and quality["tolerance"] == 1
    components = await ops.ok("GET", "/components")
    rubric = next(c for c in (components["components"] if isinstance(components, dict) else components)
                  if c["type"] == "rubric")
    assert "rubric_rationale" in rubric["lint_rules"]
    refused = await ops.post("/projects", json={
        "name": "Bad rubric", "purpose": "x", "guidelines": "# x", "quality": QUIET_QUALITY,
        "interface": [{"name": "quality", "type": "rubric", "criteria": [{"id": "accuracy", "max": 50}]}]})
    assert refused.status_code == 422 and "criteria[1] (accuracy): max - min must be at most 10" in refused.text


async def test_answers_are_checked_with_the_place_of_each_problem(ops, quick_user):
    project = await rubric_project(ops, items=1)
    pid = project["id"]
    _, carol = await quick_user("contributor", pid)
    bad = graded(accuracy=6, helpfulness=2)
    bad["quality"]["criteria"]["tone"] = {"score": 3}
    refused = await submit(carol, pid, bad, status=422)
    message = refused["response"]["errors"]["quality"]
    assert "criteria.tone: not a criterion of this rubric" in message
    assert "criteria.accuracy.score: must be a whole number from 1 to 5" in message
    refused = await submit(carol, pid, graded(accuracy=2), status=422)
    assert refused["response"]["errors"] == {"quality": "criteria.accuracy.rationale: required below 3"}
    accepted = await submit(carol, pid, graded(accuracy=2, why={"accuracy": "The year is wrong."}))
    stored = accepted["response"]["annotation"]["answer"]["quality"]
    assert stored["criteria"]["accuracy"] == {"score": 2, "na": False, "rationale": "The year is wrong."}
    assert stored["criteria"]["safety"] == {"score": None, "na": True, "rationale": None}


async def test_the_benchmark_gate_scores_rubric_gold_per_criterion(ops, quick_user):
    gold = [graded(5, 5, None, 5), graded(2, 4, 5, 3, why={"accuracy": "Wrong year."})]
    gate = {"benchmark": {"size": 2, "pass_threshold": 0.8, "retry": "none"},
            "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]}
    project = await rubric_project(ops, quality=gate, items=2, gold=gold)
    pid = project["id"]

    _, close = await quick_user("contributor", pid, qualified=False)
    for _ in range(2):  # within the tolerance of 1 everywhere: 1.0 on both gold items, whichever comes first
        lease = await close.ok("POST", f"/projects/{pid}/next", status=200)
        wanted = gold[0] if lease["assignment"]["item"]["data"]["prompt"].startswith("gold prompt 0") else gold[1]
        criteria = wanted["quality"]["criteria"]
        near = graded(max(1, criteria["accuracy"]["score"] - 1), criteria["helpfulness"]["score"],
                      criteria["safety"].get("score"), wanted["quality"]["overall"], why={"accuracy": "Looks off."})
        await close.ok("POST", f"/assignments/{lease['assignment']['id']}/submit", json={"answer": near})
    production = await close.ok("POST", f"/projects/{pid}/next", status=200)
    assert production["assignment"]["item"]["data"]["prompt"].startswith("work"), "the gate is passed"

    _, far = await quick_user("contributor", pid, qualified=False)
    for _ in range(2):  # everything 1, safety given where gold says N/A: far below 0.8
        await submit(far, pid, graded(1, 1, 1, 1, why={"accuracy": "Bad."}))
    refused = await far.post(f"/projects/{pid}/next")
    assert refused.status_code == 403 and "removed" in refused.json()["error"]
    record = await far.ok("GET", f"/me/projects/{pid}/standing")
    assert record["state"] == "removed"


async def test_a_linter_error_stops_the_answer_at_the_criterion(ops, quick_user):
    quality = {"benchmark": {"size": 1, "pass_threshold": 0.5}, "linters": [
        {"type": "rubric_rationale", "field": "quality", "value": 2, "criteria": ["helpfulness"], "severity": "error"},
        {"type": "rubric_rationale", "field": "quality", "value": 4, "severity": "warning"}]}
    project = await rubric_project(ops, quality=quality, items=1)
    pid = project["id"]
    _, dan = await quick_user("contributor", pid)
    refused = await submit(dan, pid, graded(accuracy=4, helpfulness=2), status=422)
    assert refused["response"]["errors"] == {
        "quality": "criteria.helpfulness.rationale: give a rationale for a score of 2 or below"}
    again = await dan.ok("POST", f"/projects/{pid}/next", status=200)
    assert again["assignment"]["id"] == refused["lease"]["id"], "the lease is kept"
    accepted = await dan.ok("POST", f"/assignments/{again['assignment']['id']}/submit",
                            json={"answer": graded(accuracy=4, helpfulness=2, why={"helpfulness": "Misses it."})})
    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export")).text.splitlines()]
    stored = next(a for line in lines for a in line["annotations"] if a["id"] == accepted["annotation"]["id"])
    warnings = [(f["rule"], f["field"], f["severity"], f["message"]) for f in stored["lint"]
                if f["rule"] == "rubric_rationale"]
    assert warnings == [("rubric_rationale", "quality", "warning",
                         "criteria.accuracy.rationale: give a rationale for a score of 4 or below")]


#: Two annotators on four items: they agree on accuracy everywhere, on helpfulness only on u1.
PRIOR = {
    "u1": ((4, 4), (4, 4)),
    "u2": ((5, 1), (5, 5)),
    "u3": ((3, 2), (3, 5)),
    "u4": ((4, 5), (4, 1)),
}


def prior_items() -> list[dict]:
    return [{"data": pair(n), "external_id": key, "annotations": [
        {"annotator": who, "answer": graded(accuracy, helpfulness, 5, accuracy)}
        for who, (accuracy, helpfulness) in zip(("A", "B"), scores)]}
        for n, (key, scores) in enumerate(PRIOR.items())]


async def test_agreement_and_the_gap_report_are_per_criterion(ops):
    project = await rubric_project(ops, launch=False)
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "prior"}, json=prior_items())
    report = await ops.ok("GET", f"/projects/{pid}/agreement")
    fields = report["fields"]
    assert {"quality.accuracy", "quality.helpfulness", "quality.safety", "quality.overall"} <= set(fields)
    accuracy, helpfulness = fields["quality.accuracy"], fields["quality.helpfulness"]
    assert accuracy["level"] == helpfulness["level"] == "interval"
    assert accuracy["krippendorff_alpha"] == 1.0 and accuracy["percent_agreement"] == 1.0
    assert helpfulness["percent_agreement"] == 0.25 and helpfulness["krippendorff_alpha"] < 0

    gaps = await ops.ok("GET", f"/projects/{pid}/guideline-gaps")
    compared = {f["field"]: f for f in gaps["fields"] if f["field"].startswith("quality.")}
    assert compared["quality.helpfulness"]["included"] and compared["quality.helpfulness"]["agreement"] == 0.25
    assert compared["quality.accuracy"]["agreement"] == 1.0
    lowest = min((f for f in compared.values() if f["agreement"] is not None), key=lambda f: f["agreement"])
    assert lowest["field"] == "quality.helpfulness"
    assert gaps["confusion"][0]["field"] == "quality.helpfulness" and {gaps["confusion"][0]["a"],
                                                                      gaps["confusion"][0]["b"]} == {1, 5}
    assert {d["label"] for d in gaps["disputed_items"]} == {"u2", "u3", "u4"}


async def test_a_reviewer_edits_a_rubric_answer_and_the_export_carries_every_criterion(ops, quick_user):
    review = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}]}
    project = await rubric_project(ops, items=1, review=review)
    pid = project["id"]
    _, erin = await quick_user("contributor", pid)
    _, rex = await quick_user("reviewer", pid)
    given = (await submit(erin, pid, graded(accuracy=4, helpfulness=3, safety=5, overall=4)))["response"]["annotation"]

    task = (await rex.ok("POST", f"/projects/{pid}/reviews/next", status=200))["review"]
    assert task["answer"]["quality"]["criteria"]["helpfulness"]["score"] == 3
    bad = await rex.post(f"/reviews/{task['id']}/decide", json={
        "decision": "edit", "answer": graded(accuracy=1, helpfulness=3, safety=5, overall=4)})
    assert bad.status_code == 422 and "criteria.accuracy.rationale: required below 3" in bad.json()["errors"]["quality"]
    edited = graded(accuracy=2, helpfulness=3, safety=5, overall=2, why={"accuracy": "1989 is right, the day is not."})
    decided = await rex.ok("POST", f"/reviews/{task['id']}/decide", json={"decision": "edit", "answer": edited})
    assert "quality" in decided["review"]["diff"]

    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export",
                                                         params={"format": "jsonl"})).text.splitlines()]
    exported = next(a for line in lines for a in line["annotations"] if a["id"] == given["id"])
    assert exported["answer"]["quality"]["criteria"] == {
        "accuracy": {"score": 4, "na": False, "rationale": None},
        "helpfulness": {"score": 3, "na": False, "rationale": None},
        "safety": {"score": 5, "na": False, "rationale": None}}
    assert exported["answer"]["quality"]["overall"] == 4
    assert exported["reviewed_answer"]["quality"]["criteria"]["accuracy"] == {
        "score": 2, "na": False, "rationale": "1989 is right, the day is not."}
    assert exported["reviewed_answer"]["quality"]["overall"] == 2
    gold_line = next(line for line in lines if line["gold"])
    assert gold_line["gold_answer"]["quality"]["criteria"]["accuracy"]["score"] == 5


async def test_the_workspace_form_posts_one_input_group_per_criterion(ops, quick_user, server):
    project = await rubric_project(ops, items=1)
    pid = project["id"]
    person, api = await quick_user("contributor", pid)
    lease = await api.ok("POST", f"/projects/{pid}/next", status=200)
    aid = lease["assignment"]["id"]
    page = await Browser(server.url).login(person["email"], "quiet-lantern-42")
    try:
        workspace = await page.get(f"/projects/{pid}/work/")
        assert workspace.status_code == 200
        assert 'name="f_quality.accuracy.score"' in workspace.text and 'name="f_quality.safety.na"' in workspace.text
        assert "Fully correct" in workspace.text and "/static/rubric.js" in workspace.text
        form = {"idempotency_key": "rubric-1", "f_quality.accuracy.score": "2", "f_quality.helpfulness.score": "4",
                "f_quality.safety.na": "true", "f_quality.overall": "3", "f_quality.accuracy.rationale": ""}
        refused = await page.post(f"/projects/{pid}/work/{aid}/submit", form, htmx=True)
        assert refused.status_code == 422
        assert "criteria.accuracy.rationale: required below 3" in refused.text
        assert 'value="4" data-hotkey="4" checked' in refused.text, "what was entered is shown again"
        form["f_quality.accuracy.rationale"] = "The day is wrong."
        accepted = await page.post(f"/projects/{pid}/work/{aid}/submit", form, htmx=True)
        assert accepted.status_code == 200, accepted.text
    finally:
        await page.aclose()
    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export",
                                                         params={"format": "jsonl", "aggregate": "none"})).text.splitlines()]
    answer = next(a for line in lines for a in line["annotations"])["answer"]["quality"]
    assert answer == {"criteria": {"accuracy": {"score": 2, "na": False, "rationale": "The day is wrong."},
                                   "helpfulness": {"score": 4, "na": False, "rationale": None},
                                   "safety": {"score": None, "na": True, "rationale": None}}, "overall": 3}


async def test_a_reviewer_edits_a_rubric_answer_on_the_review_page(ops, quick_user, server):
    review = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}]}
    project = await rubric_project(ops, items=1, review=review)
    pid = project["id"]
    _, erin = await quick_user("contributor", pid)
    reviewer, rex = await quick_user("reviewer", pid)
    given = (await submit(erin, pid, graded(accuracy=4, helpfulness=3, safety=None, overall=4)))["response"]["annotation"]
    task = (await rex.ok("POST", f"/projects/{pid}/reviews/next", status=200))["review"]
    page = await Browser(server.url).login(reviewer["email"], "quiet-lantern-42")
    try:
        shown = await page.get(f"/projects/{pid}/review/{task['id']}")
        assert shown.status_code == 200
        assert 'name="f_quality.helpfulness.score" value="3" data-hotkey="3" checked' in shown.text
        assert 'name="f_quality.safety.na" value="true" checked' in shown.text
        form = [("decision", "edit"), ("f_quality.accuracy.score", "2"), ("f_quality.helpfulness.score", "3"),
                ("f_quality.safety.score", "5"), ("f_quality.overall", "3")]
        refused = await page.post(f"/projects/{pid}/review/{task['id']}/decide", form)
        assert refused.status_code == 422 and "criteria.accuracy.rationale: required below 3" in refused.text
        form.append(("f_quality.accuracy.rationale", "The day is wrong."))
        decided = await page.post(f"/projects/{pid}/review/{task['id']}/decide", form)
        assert decided.status_code == 303, decided.text
    finally:
        await page.aclose()
    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export")).text.splitlines()]
    exported = next(a for line in lines for a in line["annotations"] if a["id"] == given["id"])
    assert exported["reviewed_answer"]["quality"] == {
        "criteria": {"accuracy": {"score": 2, "na": False, "rationale": "The day is wrong."},
                     "helpfulness": {"score": 3, "na": False, "rationale": None},
                     "safety": {"score": 5, "na": False, "rationale": None}}, "overall": 3}
