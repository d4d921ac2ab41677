"""Importing items: JSON, JSONL and CSV, named batches, wrapper lines, and all-or-nothing rejection."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest


def jsonl(*objects) -> bytes:
    return ("\n".join(o if isinstance(o, str) else json.dumps(o) for o in objects) + "\n").encode()


async def export_lines(ops, project_id: int) -> list[dict]:
    response = await ops.get(f"/projects/{project_id}/export", params={"format": "jsonl"})
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line]


async def stats_of(ops, project_id: int) -> dict:
    return await ops.ok("GET", f"/projects/{project_id}/stats", status=200)


async def test_json_array(new_project, ops):
    project = await new_project()
    response = await ops.post(f"/projects/{project['id']}/items",
                              json=[{"text": "first"}, {"text": "second", "lang": "en"}])
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["created"] == 2 and isinstance(result["batch_id"], int)

    lines = await export_lines(ops, project["id"])
    assert [line["data"] for line in lines] == [{"text": "first"}, {"text": "second", "lang": "en"}]
    stats = await stats_of(ops, project["id"])
    assert stats["totals"]["items"] == 2 and stats["totals"]["queued"] == 2


async def test_jsonl_with_its_content_type(new_project, ops):
    project = await new_project()
    body = jsonl({"text": "one"}, {"text": "two"}, "", {"text": "three"})
    response = await ops.post(f"/projects/{project['id']}/items", content=body,
                              headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 3
    assert [line["data"]["text"] for line in await export_lines(ops, project["id"])] == ["one", "two", "three"]


async def test_the_content_type_decides_the_format(new_project, ops):
    """A JSON array declared as JSONL is read as JSONL (and refused with a hint), not guessed at."""
    project = await new_project()
    response = await ops.post(f"/projects/{project['id']}/items", content=b'[{"text": "a"},\n{"text": "b"}]',
                              headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert problems[0]["line"] == 1 and "JSON array" in problems[0]["message"]
    assert (await stats_of(ops, project["id"]))["totals"]["items"] == 0


async def test_csv(new_project, ops):
    project = await new_project()
    body = 'external_id,text,lang\nr1,"Hello, world",en\nr2,"Two\nlines",fr\n'.encode()
    response = await ops.post(f"/projects/{project['id']}/items", content=body, headers={"Content-Type": "text/csv"})
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 2
    lines = await export_lines(ops, project["id"])
    assert [(line["external_id"], line["data"]) for line in lines] == [
        ("r1", {"text": "Hello, world", "lang": "en"}),
        ("r2", {"text": "Two\nlines", "lang": "fr"}),
    ]


async def test_batch_names_the_batch_and_imports_to_it_add_up(new_project, ops):
    project = await new_project()
    pid = project["id"]
    first = await ops.ok("POST", f"/projects/{pid}/items", status=201, params={"batch": "week-1"},
                         json=[{"text": f"a{i}"} for i in range(2)])
    second = await ops.ok("POST", f"/projects/{pid}/items", status=201, params={"batch": "week-1"},
                          json=[{"text": f"b{i}"} for i in range(3)])
    other = await ops.ok("POST", f"/projects/{pid}/items", status=201, params={"batch": "week-2"},
                         json=[{"text": "c"}])
    assert first["batch_id"] == second["batch_id"] != other["batch_id"]

    stats = await stats_of(ops, pid)
    batches = {b["name"]: b for b in stats["batches"]}
    assert set(batches) == {"week-1", "week-2"}
    assert batches["week-1"]["id"] == first["batch_id"]
    assert batches["week-1"]["counts"]["items"] == 5 and batches["week-1"]["counts"]["queued"] == 5
    assert batches["week-2"]["counts"]["items"] == 1
    assert stats["totals"]["items"] == 6
    assert {line["batch"] for line in await export_lines(ops, pid)} == {"week-1", "week-2"}


async def test_an_import_without_a_batch_goes_to_one_default_batch(new_project, ops):
    project = await new_project()
    a = await ops.ok("POST", f"/projects/{project['id']}/items", status=201, json=[{"text": "a"}])
    b = await ops.ok("POST", f"/projects/{project['id']}/items", status=201, json=[{"text": "b"}])
    assert a["batch_id"] == b["batch_id"]
    assert [x["counts"]["items"] for x in (await stats_of(ops, project["id"]))["batches"]] == [2]


async def test_wrapper_lines_store_gold_explanation_and_prior_annotations(new_project, ops):
    project = await new_project()
    body = jsonl(
        {"data": {"text": "plain wrapped"}, "external_id": "w1"},
        {"data": {"text": "a gold one"}, "external_id": "w2", "gold": {"sentiment": "neg"},
         "explanation": "Sarcasm counts as negative."},
        {"data": {"text": "labelled elsewhere"}, "external_id": 3,
         "annotations": [{"annotator": "vendor-7", "answer": {"sentiment": "pos", "rationale": "  upbeat  "}},
                         {"annotator": "vendor-9", "answer": {"sentiment": "neu"}}]},
        {"text": "no data key: plain data"},
    )
    response = await ops.post(f"/projects/{project['id']}/items", content=body, params={"batch": "wrapped"},
                              headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 4

    lines = {line["external_id"]: line for line in await export_lines(ops, project["id"])}
    assert set(lines) == {"w1", "w2", "3", None}
    assert lines["w1"]["data"] == {"text": "plain wrapped"} and lines["w1"]["gold"] is False
    assert lines["w1"]["annotations"] == []

    gold = lines["w2"]
    assert gold["gold"] is True
    assert gold["gold_answer"] == {"sentiment": "neg", "rationale": None}
    assert gold["gold_explanation"] == "Sarcasm counts as negative."

    prior = lines["3"]["annotations"]
    assert [(a["external_annotator"], a["source"], a["answer"]) for a in prior] == [
        ("vendor-7", "import", {"sentiment": "pos", "rationale": "upbeat"}),
        ("vendor-9", "import", {"sentiment": "neu", "rationale": None}),
    ]
    assert all(a["annotator_id"] is None for a in prior)
    assert lines[None]["data"] == {"text": "no data key: plain data"}

    # Gold items are checks, not work: the production counts leave them out.
    stats = await stats_of(ops, project["id"])
    assert stats["totals"]["items"] == 3 and stats["totals"]["queued"] == 3


@pytest.mark.parametrize("as_array", [False, True], ids=["jsonl", "json-array"])
async def test_a_line_with_data_takes_only_the_documented_keys(new_project, ops, as_array):
    """Issue 18: an unknown key beside "data" (or a typo of a documented one) was stored with the whole
    line as the item's data, and the line's id, gold and annotations were lost, with a 201."""
    project = await new_project(items=1)
    lines = [
        {"data": {"text": "fine"}, "external_id": "ok-1"},
        {"data": {"text": "crawled"}, "external_id": "p-2", "provenance": {"source": "crawl"}},
        {"data": {"text": "typo"}, "anotations": [{"annotator": "v1", "answer": {"sentiment": "pos"}}]},
        {"data": {"text": "extra in an answer"},
         "annotations": [{"annotator": "v1", "answer": {"sentiment": "pos"}, "confidence": 0.9}]},
        {"data": "a string, not an object", "external_id": "p-5"},
    ]
    url = f"/projects/{project['id']}/items"
    if as_array:
        response = await ops.post(url, json=lines, params={"batch": "keys"})
    else:
        response = await ops.post(url, content=jsonl(*lines), params={"batch": "keys"},
                                  headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 422, response.text
    assert [(p["line"], p["message"]) for p in response.json()["problems"]] == [
        (2, 'unknown key "provenance" (a line with "data" takes only: data, external_id, gold, explanation, '
            'annotations)'),
        (3, 'unknown key "anotations" (a line with "data" takes only: data, external_id, gold, explanation, '
            'annotations)'),
        (4, 'annotations[0]: unknown key "confidence" (allowed: annotator, answer, created_at)'),
        (5, 'data must be an object, got a string (an item whose own field is called "data" is imported '
            'wrapped: {"data": {"data": ...}})'),
    ]
    stats = await stats_of(ops, project["id"])
    assert stats["totals"]["items"] == 1 and "keys" not in {b["name"] for b in stats["batches"]}


async def test_a_malformed_jsonl_is_rejected_whole_with_every_line_and_reason(new_project, ops):
    project = await new_project(items=2)  # some items already there
    before = await stats_of(ops, project["id"])
    body = jsonl(
        {"text": "fine 1"},
        '{"text": "broken',
        {"text": "fine 3"},
        {"text": "fine 4"},
        "[1, 2]",
        {"text": "fine 6"},
    )
    response = await ops.post(f"/projects/{project['id']}/items", content=body, params={"batch": "bad"},
                              headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/json")
    result = response.json()
    assert result["error"]
    assert [p["line"] for p in result["problems"]] == [2, 5]
    assert "invalid JSON" in result["problems"][0]["message"]
    assert "object" in result["problems"][1]["message"]
    assert result["total"] == 2

    after = await stats_of(ops, project["id"])
    assert after["totals"]["items"] == before["totals"]["items"] == 2
    assert "bad" not in {b["name"] for b in after["batches"]}
    assert len(await export_lines(ops, project["id"])) == 2


async def test_a_gold_answer_that_does_not_validate_is_reported_with_its_field(new_project, ops):
    project = await new_project()
    body = jsonl(
        {"data": {"text": "ok"}, "gold": {"sentiment": "pos"}},
        {"data": {"text": "bad gold"}, "gold": {"sentiment": "ecstatic"}},
        {"data": {"text": "bad prior"}, "annotations": [{"annotator": "v1", "answer": {"mood": "pos"}}]},
    )
    response = await ops.post(f"/projects/{project['id']}/items", content=body,
                              headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    by_line: dict[int, list[str]] = {}
    for p in problems:
        by_line.setdefault(p["line"], []).append(p["message"])
    assert set(by_line) == {2, 3}
    assert any("gold.sentiment" in m and "pos, neg, neu" in m for m in by_line[2])
    assert any("mood" in m for m in by_line[3]) and any("sentiment" in m and "required" in m for m in by_line[3])
    assert (await stats_of(ops, project["id"]))["totals"]["items"] == 0
    assert await export_lines(ops, project["id"]) == []


@pytest.mark.parametrize("body,content_type", [
    (b"", "application/json"),
    (b"   \n", "application/x-ndjson"),
    (b"[]", "application/json"),
    (b'{"text": "an object, not an array"}', "application/json"),
    (b"text\n", "text/csv"),
])
async def test_empty_or_shapeless_imports_are_422(new_project, ops, body, content_type):
    project = await new_project()
    response = await ops.post(f"/projects/{project['id']}/items", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 422, response.text
    assert response.json()["problems"][0]["line"] == 1
    assert (await stats_of(ops, project["id"]))["totals"]["items"] == 0


async def test_duplicate_external_ids_in_one_import_are_refused(new_project, ops):
    project = await new_project()
    body = jsonl({"data": {"text": "a"}, "external_id": "x"}, {"data": {"text": "b"}, "external_id": "y"},
                 {"data": {"text": "c"}, "external_id": "x"})
    response = await ops.post(f"/projects/{project['id']}/items", content=body,
                              headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 422
    assert [(p["line"], "duplicate" in p["message"]) for p in response.json()["problems"]] == [(3, True)]


async def test_an_import_may_be_bigger_than_the_request_limit(new_project, ops, settings):
    """Imports have their own (much larger) limit than other requests."""
    project = await new_project()
    count = 3000
    padding = "x" * ((settings.max_body_bytes // count) + 10)
    body = jsonl(*({"text": f"item {i}", "pad": padding} for i in range(count)))
    assert len(body) > settings.max_body_bytes
    response = await ops.post(f"/projects/{project['id']}/items", content=body,
                              headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 201, response.text[:500]
    assert response.json()["created"] == count
    assert (await stats_of(ops, project["id"]))["totals"]["items"] == count


async def test_a_completed_project_takes_no_more_items(new_project, ops):
    project = await new_project(items=1, launch=True)
    await ops.ok("POST", f"/projects/{project['id']}/complete", status=200)
    response = await ops.post(f"/projects/{project['id']}/items", json=[{"text": "late"}])
    assert response.status_code == 409, response.text
    assert response.json()["error"]
    assert (await stats_of(ops, project["id"]))["totals"]["items"] == 1


async def test_imports_into_one_new_batch_at_once_all_land(new_project, ops):
    project = await new_project()
    pid = project["id"]
    responses = await asyncio.gather(*(
        ops.post(f"/projects/{pid}/items", params={"batch": "parallel"}, json=[{"text": f"{n}-{i}"} for i in range(3)])
        for n in range(5)))
    assert [r.status_code for r in responses] == [201] * 5, [r.text for r in responses]
    assert len({r.json()["batch_id"] for r in responses}) == 1
    stats = await stats_of(ops, pid)
    assert [(b["name"], b["counts"]["items"], b["counts"]["queued"]) for b in stats["batches"]] == [("parallel", 15, 15)]


@pytest.mark.parametrize("line,needle", [
    ({"data": {"text": "x"}, "external_id": "e" * 201}, "external_id"),
    ({"data": {"text": "x"}, "annotations": [{"annotator": "a" * 201, "answer": {"sentiment": "pos"}}]}, "annotator"),
])
async def test_values_too_long_to_store_are_reported_on_their_line(new_project, ops, line, needle):
    project = await new_project()
    body = jsonl({"text": "fine"}, line)
    response = await ops.post(f"/projects/{project['id']}/items", content=body,
                              headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert [p["line"] for p in problems] == [2] and needle in problems[0]["message"]
    assert (await stats_of(ops, project["id"]))["totals"]["items"] == 0


async def test_an_overlong_batch_name_is_422(new_project, ops):
    project = await new_project()
    response = await ops.post(f"/projects/{project['id']}/items", params={"batch": "b" * 201}, json=[{"text": "x"}])
    assert response.status_code == 422, response.text
    assert "batch" in response.json()["errors"]
    assert (await stats_of(ops, project["id"]))["totals"]["items"] == 0


@pytest.mark.parametrize("content_type", ["application/x-ndjson", "application/json"])
async def test_a_number_too_long_to_read_is_reported_not_a_crash(new_project, ops, content_type):
    project = await new_project()
    huge = "1" + "0" * 5000
    if content_type == "application/json":
        body = f'[{{"text": "fine"}},\n{{"n": {huge}}}]'.encode()
    else:
        body = f'{{"text": "fine"}}\n{{"n": {huge}}}\n'.encode()
    response = await ops.post(f"/projects/{project['id']}/items", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert len(problems) == 1 and problems[0]["line"] == 2 and "digits" in problems[0]["message"]
    assert (await stats_of(ops, project["id"]))["totals"]["items"] == 0


LABEL_STUDIO_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "labelstudio_sentiment.json"
LABEL_STUDIO_INTERFACE = [
    {"name": "sentiment", "type": "choice", "options": ["Positive", "Negative", "Neutral"]},
    {"name": "confidence", "type": "rating", "min": 1, "max": 5},
]


async def test_a_label_studio_export_lands_with_its_annotations(new_project, ops):
    project = await new_project(interface=LABEL_STUDIO_INTERFACE)
    response = await ops.post(f"/projects/{project['id']}/items", content=LABEL_STUDIO_FIXTURE.read_bytes(),
                              params={"batch": "from-ls"}, headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    result = response.json()
    # six tasks by three annotators; the one cancelled annotation is not imported
    assert (result["created"], result["gold"], result["annotations"]) == (6, 0, 18)

    lines = await export_lines(ops, project["id"])
    assert [line["external_id"] for line in lines] == ["101", "102", "103", "104", "105", "106"]
    assert lines[0]["data"] == {"text": "The battery lasts all day and charges fast."}
    assert all(line["gold"] is False for line in lines)
    prior = lines[3]["annotations"]
    assert [(a["external_annotator"], a["source"], a["annotator_id"], a["answer"]) for a in prior] == [
        ("labelstudio:3", "import", None, {"sentiment": "Neutral", "confidence": 2}),
        ("labelstudio:5", "import", None, {"sentiment": "Negative", "confidence": 3}),
        ("labelstudio:8", "import", None, {"sentiment": "Neutral", "confidence": 3}),
    ]
    assert {a["external_annotator"] for line in lines for a in line["annotations"]} == {
        "labelstudio:3", "labelstudio:5", "labelstudio:8"}


async def test_format_labelstudio_overrides_the_content_type_and_problems_are_numbered_by_task(new_project, ops):
    project = await new_project(interface=LABEL_STUDIO_INTERFACE)
    task = {"id": 1, "data": {"text": "fine"}, "annotations": [
        {"id": 10, "completed_by": 3, "was_cancelled": False, "result": [
            {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}},
            {"from_name": "confidence", "to_name": "text", "type": "rating", "value": {"rating": 4}}]}]}
    bad = {"id": 2, "data": {"text": "boxed"}, "annotations": [
        {"id": 11, "completed_by": {"id": 5, "email": "b@example.org"}, "was_cancelled": False, "result": [
            {"from_name": "box", "to_name": "image", "type": "rectanglelabels", "value": {"x": 1}}]}]}
    url = f"/projects/{project['id']}/items"

    response = await ops.post(url, content=json.dumps([task, bad]).encode(), params={"format": "labelstudio"},
                              headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 422, response.text
    assert [(p["line"], "rectanglelabels" in p["message"]) for p in response.json()["problems"]] == [(2, True)]
    assert (await stats_of(ops, project["id"]))["totals"]["items"] == 0

    response = await ops.post(url, content=json.dumps([task]).encode(), params={"format": "labelstudio"},
                              headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 201, response.text
    assert (response.json()["created"], response.json()["annotations"], response.json()["format"]) == (1, 1, "labelstudio")

    response = await ops.post(url, json=[task], params={"format": "xml"})
    assert response.status_code == 422, response.text
    assert "labelstudio" in response.json()["errors"]["format"]
