"""Agreement, aggregation and the gap report through the public API, on data imported with
its prior annotations: the published worked examples must come out of the running system."""

from __future__ import annotations

import json

import pytest

#: Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", 4 observers x 12 units, missing data.
#: Published: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}
INTERFACE = [
    {"name": "label", "type": "choice", "options": ["1", "2", "3", "4", "5"], "required": False},
    {"name": "grade", "type": "rating", "min": 1, "max": 5, "required": False},
    {"name": "amount", "type": "number", "required": False},
    {"name": "size", "type": "number", "level": "ratio", "required": False},
]


def krippendorff_items() -> list[dict]:
    items = []
    for unit in range(12):
        annotations = []
        for observer, values in KRIPPENDORFF_2011.items():
            value = values[unit]
            if value is not None:
                annotations.append({"annotator": observer, "answer": {
                    "label": str(value), "grade": value, "amount": value, "size": value}})
        items.append({"data": {"text": f"unit {unit + 1}"}, "external_id": f"u{unit + 1}", "annotations": annotations})
    return items


@pytest.fixture
async def analysed(ops):
    project = await ops.ok("POST", "/projects", json={
        "name": "Krippendorff 2011", "purpose": "Check agreement against the published example",
        "interface": INTERFACE})
    await ops.ok("POST", f"/projects/{project['id']}/items", json=krippendorff_items())
    return project


async def test_agreement_matches_krippendorff_2011_at_every_level(analysed, ops):
    report = await ops.ok("GET", f"/projects/{analysed['id']}/agreement")
    fields = report["fields"]
    assert {name: (f["level"], round(f["krippendorff_alpha"], 3)) for name, f in fields.items()} == {
        "label": ("nominal", 0.743), "grade": ("ordinal", 0.815), "amount": ("interval", 0.849),
        "size": ("ratio", 0.797)}
    nominal = fields["label"]
    assert set(nominal) >= {"level", "krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "percent_agreement",
                            "pairwise_cohen_kappa", "items"}
    assert nominal["items"] == 11  # unit 12 has one answer: nothing to agree with
    # The same data through Gwet's irrCAC (its README uses this example): Fleiss 0.761, AC1 0.775, 0.818.
    assert (round(nominal["fleiss_kappa"], 3), round(nominal["gwet_ac1"], 3),
            round(nominal["percent_agreement"], 3)) == (0.761, 0.775, 0.818)
    assert set(nominal["pairwise_cohen_kappa"]) == {"import:A|import:B", "import:A|import:C", "import:A|import:D",
                                                   "import:B|import:C", "import:B|import:D", "import:C|import:D"}


async def test_agreement_is_for_ops_and_specialists_only(analysed, new_user):
    _, client = await new_user("client", analysed["id"])
    assert (await client.get(f"/projects/{analysed['id']}/agreement")).status_code == 403
    _, specialist = await new_user("specialist", analysed["id"])
    assert (await specialist.get(f"/projects/{analysed['id']}/agreement")).status_code == 200


async def test_aggregate_by_majority_and_export_delivers_the_label_with_raw_answers(analysed, ops):
    majority = await ops.ok("GET", f"/projects/{analysed['id']}/aggregate", params={"method": "majority"})
    by_item = {row["item_id"]: row["fields"]["label"] for row in majority["items"]}
    labels = [by_item[item]["label"] for item in sorted(by_item)]
    assert labels[:3] == ["1", "2", "3"]
    unit6 = by_item[sorted(by_item)[5]]  # answers 1, 2, 3, 4: a four-way tie
    assert unit6["confidence"] == 0.25 and unit6["answers"] == 4
    assert (await ops.get(f"/projects/{analysed['id']}/aggregate", params={"method": "vote"})).status_code == 422

    lines = [json.loads(line) for line in (await ops.get(f"/projects/{analysed['id']}/export")).text.splitlines()]
    first = next(line for line in lines if line["external_id"] == "u2")
    assert first["answer"]["label"] == "2" and first["confidence"]["label"] == 0.75
    assert first["aggregation"] == "majority"
    assert sorted(a["answer"]["label"] for a in first["annotations"]) == ["2", "2", "2", "3"]


async def test_dawid_skene_is_offered_through_the_api(analysed, ops):
    result = await ops.ok("GET", f"/projects/{analysed['id']}/aggregate", params={"method": "dawid_skene"})
    assert result["method"] == "dawid_skene" and len(result["items"]) == 12
    assert all(0 < row["fields"]["label"]["confidence"] <= 1 for row in result["items"])


async def test_a_label_studio_export_is_analysed_like_answers_made_here(ops):
    """tests/fixtures/labelstudio_sentiment.json: 6 tasks x 3 annotators (plus one cancelled annotation)."""
    from app.config import ROOT

    project = await ops.ok("POST", "/projects", json={
        "name": "From Label Studio", "purpose": "Analyse earlier labelling", "interface": [
            {"name": "sentiment", "type": "choice", "options": ["Positive", "Negative", "Neutral"]},
            {"name": "confidence", "type": "rating", "min": 1, "max": 5}]})
    tasks = json.loads((ROOT / "tests" / "fixtures" / "labelstudio_sentiment.json").read_text())
    imported = await ops.ok("POST", f"/projects/{project['id']}/items", json=tasks)
    assert imported["annotations"] == 18
    sentiment = (await ops.ok("GET", f"/projects/{project['id']}/agreement"))["fields"]["sentiment"]
    assert sentiment["items"] == 6
    assert round(sentiment["percent_agreement"], 3) == 0.667
    assert round(sentiment["krippendorff_alpha"], 3) == 0.523
    assert round(sentiment["fleiss_kappa"], 3) == 0.495
    assert set(sentiment["pairwise_cohen_kappa"]) == {
        "import:labelstudio:3|import:labelstudio:5", "import:labelstudio:3|import:labelstudio:8",
        "import:labelstudio:5|import:labelstudio:8"}


DISAGREE = {"text": "The parcel came late but the lamp is lovely"}


async def answer_as(api, project_id: int, sentiment: str) -> None:
    lease = await api.ok("POST", f"/projects/{project_id}/next", status=200)
    await api.ok("POST", f"/assignments/{lease['assignment']['id']}/submit", json={"answer": {"sentiment": sentiment}})


async def test_disagreement_asks_for_more_annotators_up_to_the_maximum(new_project, new_user, ops):
    project = await new_project(items=1, overlap=2, launch=True, review={
        "disagreement": {"action": "more_annotators", "threshold": 0.6, "max_overlap": 3}})
    people = [(await new_user("contributor", project["id"]))[1] for _ in range(4)]
    await answer_as(people[0], project["id"], "pos")
    await answer_as(people[1], project["id"], "neg")  # 0 of 1 pairs agree: one more annotator
    stats = await ops.ok("GET", f"/projects/{project['id']}/stats")
    assert (stats["totals"]["completed"], stats["totals"]["queued"]) == (0, 1)
    await answer_as(people[2], project["id"], "neu")  # still split, but the maximum (3) is reached
    assert (await people[3].post(f"/projects/{project['id']}/next")).status_code == 204
    stats = await ops.ok("GET", f"/projects/{project['id']}/stats")
    assert (stats["totals"]["completed"], stats["totals"]["queued"]) == (1, 0)


async def test_disagreement_can_go_straight_to_a_specialist(new_project, new_user, ops):
    project = await new_project(items=2, overlap=2, launch=True, review={
        "disagreement": {"action": "adjudicate", "threshold": 0.6}})
    alice, bob = (await new_user("contributor", project["id"]))[1], (await new_user("contributor", project["id"]))[1]
    await answer_as(alice, project["id"], "pos")
    await answer_as(bob, project["id"], "neg")
    await answer_as(alice, project["id"], "pos")
    await answer_as(bob, project["id"], "pos")  # the second item agrees: no escalation
    _, specialist = await new_user("specialist", project["id"])
    queue = (await specialist.ok("GET", f"/projects/{project['id']}/escalations", params={"state": "open"}))["escalations"]
    assert len(queue) == 1 and queue[0]["raised_as"] == "disagreement" and "disagree" in queue[0]["note"]


async def test_a_bad_disagreement_rule_is_refused_at_the_setting(ops):
    response = await ops.post("/projects", json={"name": "P", "purpose": "x", "interface": [
        {"name": "s", "type": "choice", "options": ["a", "b"]}], "review": {"disagreement": {"action": "vote"}}})
    assert response.status_code == 422 and "review.disagreement.action" in response.json()["errors"]
