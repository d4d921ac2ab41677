"""Agreement, aggregation and the gap report through the public API, on data imported with
its prior annotations: the published worked examples must come out of the running system."""

from __future__ import annotations

import asyncio
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
    per_item = {row["item_id"]: row["agreement"] for row in majority["items"]}
    assert per_item[sorted(per_item)[0]] == 1.0  # unit 1: 1, 1, 1 in every field
    assert per_item[sorted(per_item)[5]] == 0.0  # unit 6: 1, 2, 3, 4 in every field
    assert per_item[sorted(per_item)[11]] is None  # unit 12: one answer, nothing to agree with
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


async def crowd_with_a_gap(new_project, new_user, ops) -> tuple[dict, list[dict]]:
    """Three contributors, six items in two categories; they agree on "shipping" and split on "returns"."""
    project = await new_project(overlap=3, launch=False)
    await ops.ok("POST", f"/projects/{project['id']}/items", json=[
        {"text": f"review {i}", "category": "shipping" if i < 3 else "returns"} for i in range(6)])
    await ops.ok("POST", f"/projects/{project['id']}/items", params={"batch": "gold"},
                 json=[{"data": {"text": "gold check"}, "gold": {"sentiment": "pos"}}])
    await ops.ok("POST", f"/projects/{project['id']}/launch")
    people = [await new_user("contributor", project["id"]) for _ in range(3)]
    plans = [["pos", "pos", "pos", "neg", "neu", "neg"],
             ["pos", "pos", "pos", "neu", "neg", "neu"],
             ["pos", "pos", "pos", "neg", "neg", "neu"]]
    for (_, api), plan in zip(people, plans):
        for sentiment in plan:
            await answer_as(api, project["id"], sentiment)
    return project, [user for user, _ in people]


async def test_the_gap_report_names_the_confused_labels_and_the_weak_category(new_project, new_user, ops):
    project, people = await crowd_with_a_gap(new_project, new_user, ops)
    gaps = await ops.ok("GET", f"/projects/{project['id']}/guideline-gaps")
    top = gaps["confusion"][0]
    assert (top["field"], {top["a"], top["b"]}) == ("sentiment", {"neg", "neu"})
    assert top["count"] == 6  # each returns item has answers like (neg, neu, neg): 2 of its 3 pairs are neg|neu
    weakest = gaps["groups"][0]
    assert (weakest["key"], weakest["value"], weakest["items"]) == ("category", "returns", 3)
    assert sorted(d["label"] for d in gaps["disputed_items"]) == ["review 3", "review 4", "review 5"]
    ops_names = {c["annotator"] for c in gaps["contributors"]}
    assert ops_names <= {p["name"] for p in people}


async def test_clients_get_a_printable_gap_report_and_csv_without_identities(new_project, new_user, ops):
    project, people = await crowd_with_a_gap(new_project, new_user, ops)
    client_user, client = await new_user("client", project["id"])
    from tests.integration.conftest import Browser

    page = await Browser(ops.base_url).login(client_user["email"], "quiet-lantern-42")
    try:
        printable = await page.http.get(f"/projects/{project['id']}/guideline-gaps")
        assert printable.status_code == 200
        assert "returns" in printable.text and "neg" in printable.text
        csv = await page.http.get(f"/projects/{project['id']}/guideline-gaps.csv")
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert "Confused label pairs" in csv.text or "confus" in csv.text.lower()
        for person in people:
            for leak in (person["name"], person["email"]):
                assert leak not in printable.text and leak not in csv.text
        assert (await page.http.get(f"/projects/{project['id']}/agreement")).status_code == 403
    finally:
        await page.aclose()
    api_view = await client.ok("GET", f"/projects/{project['id']}/guideline-gaps")
    assert all(c["annotator"].startswith("Contributor ") for c in api_view["contributors"])


async def test_the_board_shows_the_latest_agreement_snapshot(new_project, new_user, ops, ws_url):
    project, _ = await crowd_with_a_gap(new_project, new_user, ops)
    await ops.ok("GET", f"/projects/{project['id']}/agreement")  # brings the snapshot up to date
    stats = await ops.ok("GET", f"/projects/{project['id']}/stats")
    sentiment = stats["agreement"]["fields"]["sentiment"]
    assert sentiment["level"] == "nominal" and sentiment["items"] == 6
    assert any("neg" in line and "neu" in line for line in stats["agreement"]["summary"])
    from websockets.asyncio.client import connect

    async with connect(ws_url(project["id"]), additional_headers={"Authorization": f"Bearer {ops.token}"}) as socket:
        snapshot = await asyncio.wait_for(socket.recv(), 5)
    start = snapshot.index('id="board-agreement"')
    section = snapshot[start:snapshot.index("</section>", start)]
    assert 'data-agreement-field="sentiment"' in section and '<td class="num">6</td>' in section


# -- items whose data is nested -----------------------------------------------------------------

CHAT_INTERFACE = [{"name": "label", "type": "choice", "options": ["a", "b"]}]


def chat_item(n: int, labels: tuple[str, str], lang: str) -> dict:
    """A conversation as a list of turns, its metadata as an object, the shape frontier programs import;
    beside it an id per item, a long note, a list of tags and a null (none of them a category)."""
    meta = {"lang": lang, "source": None, "about": {"uid": f"chat-{n}", "note": "text " * 40}}
    return {"data": {"chat": [{"role": "user", "content": f"hi {n}"}], "tags": [n, n + 1], "reviewed": None,
                     "meta": meta},
            "annotations": [{"annotator": "x", "answer": {"label": labels[0]}},
                            {"annotator": "y", "answer": {"label": labels[1]}}]}


async def test_nested_item_data_groups_by_dotted_path_in_agreement_and_the_gap_report(ops, browser):
    """Issue 18: one item with an object or a list in its data made every quality report a 500."""
    project = await ops.ok("POST", "/projects", json={"name": "Chats", "purpose": "Nested data",
                                                      "interface": CHAT_INTERFACE})
    items = [chat_item(n, ("a", "b"), "en") for n in range(4)] + [chat_item(n, ("a", "a"), "fr") for n in range(4, 8)]
    await ops.ok("POST", f"/projects/{project['id']}/items", json=items)
    fields = (await ops.ok("GET", f"/projects/{project['id']}/agreement"))["fields"]
    assert fields["label"]["items"] == 8 and fields["label"]["percent_agreement"] == 0.5
    gaps = await ops.ok("GET", f"/projects/{project['id']}/guideline-gaps")
    assert gaps["groups"] == [{"key": "meta.lang", "value": "en", "items": 4, "agreement": 0.0},
                              {"key": "meta.lang", "value": "fr", "items": 4, "agreement": 1.0}]
    disputed = gaps["disputed_items"][0]
    assert disputed["values"] == {"label": {"a": 1, "b": 1}}
    assert disputed["label"] == "en"  # the first text in the data, breadth first (meta.lang), never empty
    for page in ("agreement", "guideline-gaps", "guideline-gaps.csv", "board"):
        response = await browser.get(f"/projects/{project['id']}/{page}")
        assert response.status_code == 200, page
