"""Spans and claims through the public API and the workspace form: answers checked against the
item's text with positions, the gate scoring gold spans, a linter error at a claim, a review edit of
spans, agreement per field, export."""

from __future__ import annotations

import json

from tests.integration.conftest import QUIET_QUALITY, Browser

TEXT = "Ada Lovelace worked with Charles Babbage in London."
RESPONSE = "The Analytical Engine was designed by Babbage. It was built in 1850."

INTERFACE = [
    {"name": "doc", "type": "text", "value": "$text"},
    {"name": "pr", "type": "prompt_response", "value": "$prompt", "response": "$response"},
    {"name": "entities", "type": "spans", "target": "doc", "labels": ["PER", "LOC"]},
    {"name": "claims", "type": "claims", "target": "pr"},
]


def where(text: str, part: str) -> tuple[int, int]:
    return text.index(part), text.index(part) + len(part)


ADA, BABBAGE, LONDON = where(TEXT, "Ada Lovelace"), where(TEXT, "Charles Babbage"), where(TEXT, "London")
DESIGNED = where(RESPONSE, "The Analytical Engine was designed by Babbage.")
BUILT = where(RESPONSE, "It was built in 1850.")
EVIDENCE = [{"url": "https://en.wikipedia.org/wiki/Analytical_engine", "quote": "never completed"}]


def item(n: int) -> dict:
    return {"text": TEXT, "prompt": f"Tell me about the Analytical Engine ({n})", "response": RESPONSE}


def spans(*marked) -> list[dict]:
    return [{"label": label, "start": start, "end": end} for label, (start, end) in marked]


def claims(*marked) -> dict:
    return {"claims": [{"start": start, "end": end, "verdict": verdict, "evidence": evidence}
                       for verdict, (start, end), evidence in marked]}


def answer(entities=None, checked=None) -> dict:
    return {"entities": spans(("PER", ADA), ("PER", BABBAGE), ("LOC", LONDON)) if entities is None else entities,
            "claims": claims(("supported", DESIGNED, EVIDENCE), ("contradicted", BUILT, EVIDENCE))
            if checked is None else checked}


async def make_project(ops, *, items: int = 1, quality=QUIET_QUALITY, gold=None, launch=True, **fields) -> dict:
    project = await ops.ok("POST", "/projects", json={
        "name": "Entities and claims", "purpose": "Mark people and places; check the claims",
        "guidelines": "# Mark them", "interface": INTERFACE, "quality": quality} | fields)
    pid = project["id"]
    if items:
        await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "work"}, json=[item(i) for i in range(items)])
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"}, json=[
        {"data": item(100), "gold": gold or answer(), "explanation": "Two people and a city; 1850 is wrong."}])
    if launch:
        await ops.ok("POST", f"/projects/{pid}/launch")
    return project


async def lease_of(api, pid: int) -> dict:
    return (await api.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]


async def test_answers_are_checked_against_the_text_with_positions(ops, quick_user):
    project = await make_project(ops)
    pid = project["id"]
    _, amy = await quick_user("contributor", pid)
    url = f"/assignments/{(await lease_of(amy, pid))['id']}/submit"
    refused = await amy.post(url, json={"answer": answer(
        entities=spans(("PER", ADA), ("PER", (45, 60))),
        checked=claims(("supported", DESIGNED, []), ("contradicted", (47, 80), EVIDENCE)))})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"entities": "entities[1].end: beyond the text (51 characters)",
                                        "claims": "claims[1].end: beyond the text (68 characters)"}
    overlapping = await amy.post(url, json={"answer": answer(entities=spans(("PER", ADA), ("LOC", (5, 20))))})
    assert overlapping.json()["errors"] == {
        "entities": "entities[1]: overlaps entities[0]; this field does not allow overlapping spans"}
    accepted = await amy.ok("POST", url, json={"answer": answer()})
    stored = accepted["annotation"]["answer"]
    assert [s["text"] for s in stored["entities"]] == ["Ada Lovelace", "Charles Babbage", "London"]
    assert stored["claims"]["claims"][1] == {"start": 47, "end": 68, "text": "It was built in 1850.",
                                             "verdict": "contradicted", "severity": None, "evidence": EVIDENCE}


async def test_the_gate_scores_gold_spans_and_claims(ops, quick_user):
    gate = {"benchmark": {"size": 1, "pass_threshold": 0.8, "retry": "none"},
            "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]}
    project = await make_project(ops, quality=gate)
    pid = project["id"]
    _, good = await quick_user("contributor", pid, qualified=False)
    lease = await lease_of(good, pid)
    assert lease["item"]["data"]["prompt"].endswith("(100)")
    # Close enough: Babbage without his first name (IoU 7/15, below 0.5: missed), the claims a little short.
    near = answer(entities=spans(("PER", ADA), ("PER", where(TEXT, "Babbage")), ("LOC", LONDON)),
                  checked=claims(("supported", (4, 46), EVIDENCE), ("contradicted", (47, 67), [])))
    await good.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": near})
    assert (await lease_of(good, pid))["item"]["data"]["prompt"].endswith("(0)")  # production work now

    _, poor = await quick_user("contributor", pid, qualified=False)
    lease = await lease_of(poor, pid)
    wrong = answer(entities=spans(("LOC", ADA), ("LOC", BABBAGE)),
                   checked=claims(("contradicted", DESIGNED, EVIDENCE), ("supported", BUILT, EVIDENCE)))
    await poor.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": wrong})
    refused = await poor.post(f"/projects/{pid}/next")
    assert refused.status_code == 403 and "removed" in refused.json()["error"]


async def test_a_linter_error_at_a_claim(ops, quick_user):
    quality = {**QUIET_QUALITY, "linters": [
        {"type": "too_fast", "seconds": 0.001, "severity": "warning"},
        {"type": "claim_without_evidence", "field": "claims"},
        {"type": "spans_same_label", "field": "entities", "min_count": 2, "severity": "warning"}]}
    project = await make_project(ops, quality=quality)
    pid = project["id"]
    _, amy = await quick_user("contributor", pid)
    url = f"/assignments/{(await lease_of(amy, pid))['id']}/submit"
    no_evidence = answer(entities=spans(("PER", ADA), ("PER", BABBAGE)),
                         checked=claims(("supported", DESIGNED, EVIDENCE), ("contradicted", BUILT, [])))
    refused = await amy.post(url, json={"answer": no_evidence})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == {"claims": "claims[1] (“It was built in 1850.”): contradicted but no evidence"}
    fixed = answer(entities=spans(("PER", ADA), ("PER", BABBAGE)))
    accepted = await amy.ok("POST", url, json={"answer": fixed})
    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export")).text.splitlines()]
    stored = next(a for line in lines for a in line["annotations"] if a["id"] == accepted["annotation"]["id"])
    assert [(w["rule"], w["field"], w["message"]) for w in stored["lint"] if w["rule"] == "spans_same_label"] == [
        ("spans_same_label", "entities", "all 2 spans have the label PER")]


async def test_a_reviewer_edits_the_spans(ops, quick_user):
    review = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}]}
    project = await make_project(ops, review=review)
    pid = project["id"]
    _, erin = await quick_user("contributor", pid)
    _, rex = await quick_user("reviewer", pid)
    given = answer(entities=spans(("PER", ADA), ("LOC", BABBAGE)))
    lease = await lease_of(erin, pid)
    submitted = await erin.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": given})

    task = (await rex.ok("POST", f"/projects/{pid}/reviews/next", status=200))["review"]
    assert [s["label"] for s in task["answer"]["entities"]] == ["PER", "LOC"]
    bad = await rex.post(f"/reviews/{task['id']}/decide", json={
        "decision": "edit", "answer": answer(entities=spans(("PER", ADA), ("PER", (25, 60))))})
    assert bad.status_code == 422 and bad.json()["errors"] == {
        "entities": "entities[1].end: beyond the text (51 characters)"}
    edited = answer()
    decided = await rex.ok("POST", f"/reviews/{task['id']}/decide", json={"decision": "edit", "answer": edited})
    assert "entities" in decided["review"]["diff"]

    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export")).text.splitlines()]
    exported = next(a for line in lines for a in line["annotations"] if a["id"] == submitted["annotation"]["id"])
    assert [(s["label"], s["text"]) for s in exported["answer"]["entities"]] == [
        ("PER", "Ada Lovelace"), ("LOC", "Charles Babbage")]
    assert [(s["label"], s["text"]) for s in exported["reviewed_answer"]["entities"]] == [
        ("PER", "Ada Lovelace"), ("PER", "Charles Babbage"), ("LOC", "London")]


async def test_agreement_for_spans_and_claims(ops):
    project = await make_project(ops, items=0, launch=False)
    pid = project["id"]
    # Items 0 and 1: both annotators mark the same; item 2: B calls Babbage a place and misses London.
    agreed = [answer(entities=spans(("PER", ADA)), checked=claims(("supported", DESIGNED, EVIDENCE))),
              answer(entities=spans(("PER", BABBAGE), ("LOC", LONDON)), checked=claims(("contradicted", BUILT, [])))]
    other = answer(entities=spans(("PER", ADA), ("LOC", BABBAGE)),
                   checked=claims(("supported", DESIGNED, EVIDENCE), ("supported", BUILT, EVIDENCE)))
    pairs = [(agreed[0], agreed[0]), (agreed[1], agreed[1]), (answer(), other)]
    rows = [{"data": item(n), "external_id": f"s{n}", "annotations": [
        {"annotator": "A", "answer": a}, {"annotator": "B", "answer": b}]} for n, (a, b) in enumerate(pairs)]
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "prior"}, json=rows)
    fields = (await ops.ok("GET", f"/projects/{pid}/agreement"))["fields"]
    for name in ("entities", "claims"):
        report = fields[name]
        assert report["level"] == "structured" and report["items"] == 3 and report["answers"] == 6
        assert abs(report["percent_agreement"] - 2 / 3) < 1e-9
        assert report["krippendorff_alpha"] is not None and -1 <= report["krippendorff_alpha"] < 1
    # Item 2's entity distance: one match (Ada, IoU 1) among 3 + 2 spans: 1 - 2/5 = 0.6; claims: 1 - 2/4 = 0.5;
    # answers of different items share little, so chance disagreement is higher and alpha positive.
    assert fields["entities"]["krippendorff_alpha"] > 0 and fields["claims"]["krippendorff_alpha"] > 0


async def test_the_workspace_shows_the_text_and_takes_the_posted_json(ops, quick_user, server):
    project = await make_project(ops)
    pid = project["id"]
    person, api = await quick_user("contributor", pid)
    aid = (await lease_of(api, pid))["id"]
    page = await Browser(server.url).login(person["email"], "quiet-lantern-42")
    try:
        workspace = await page.get(f"/projects/{pid}/work/")
        assert 'data-text-part="doc"' in workspace.text and 'data-text-source="pr"' in workspace.text
        assert workspace.text.count("data-span-widget") == 2 and "/static/spans.js" in workspace.text
        form = {"idempotency_key": "spans-1", "f_entities": json.dumps(spans(("PER", (0, 99)))),
                "f_claims": json.dumps(answer()["claims"])}
        refused = await page.post(f"/projects/{pid}/work/{aid}/submit", form, htmx=True)
        assert refused.status_code == 422 and "entities[0].end: beyond the text (51 characters)" in refused.text
        assert "spans-1" in refused.text or "f_entities" in refused.text  # the form comes back with its inputs
        form["f_entities"] = json.dumps(spans(("PER", ADA)))
        accepted = await page.post(f"/projects/{pid}/work/{aid}/submit", form, htmx=True)
        assert accepted.status_code == 200, accepted.text
    finally:
        await page.aclose()
    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export",
                                                         params={"aggregate": "none"})).text.splitlines()]
    stored = next(a for line in lines for a in line["annotations"])["answer"]
    assert stored["entities"] == [{"label": "PER", "start": 0, "end": 12, "text": "Ada Lovelace"}]
