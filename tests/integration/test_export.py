"""The JSONL export: streamed, one line per item, with every annotation as it was validated."""

from __future__ import annotations

import json

INTERFACE = [
    {"name": "sentiment", "type": "choice", "options": ["pos", "neg", "neu"]},
    {"name": "topics", "type": "multi_choice", "options": ["price", "service", "food"], "required": False},
    {"name": "stars", "type": "number", "integer": True, "min": 1, "max": 5, "required": False},
    {"name": "rationale", "type": "text", "required": False},
]


async def answer_next(api, project_id: int, answer: dict) -> dict:
    assignment = (await api.ok("POST", f"/projects/{project_id}/next", status=200))["assignment"]
    submitted = await api.ok("POST", f"/assignments/{assignment['id']}/submit", status=201, json={"answer": answer})
    return submitted["annotation"]


async def test_export_streams_one_line_per_item_with_validated_answers(new_project, quick_user, ops):
    project = await new_project(items=3, overlap=2, launch=True, interface=INTERFACE, batch="first")
    pid = project["id"]
    alice_user, alice = await quick_user("contributor", pid)
    bob_user, bob = await quick_user("contributor", pid)

    # Answers as sent (messy) and as they must be stored and exported (validated, normalised).
    await answer_next(alice, pid, {"sentiment": "pos", "topics": ["food", "price", "food"], "stars": 4,
                                   "rationale": "  tasty\r\nand cheap  "})
    await ops.ok("PATCH", f"/projects/{pid}", json={"guidelines": "# v2: sarcasm is negative", "changelog": "sarcasm"})
    await bob.ok("POST", f"/projects/{pid}/guidelines/acknowledge", json={"version": 2})  # before the next task
    await answer_next(bob, pid, {"sentiment": "neg"})

    response = await ops.get(f"/projects/{pid}/export", params={"format": "jsonl"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in response.headers.get("content-disposition", "")
    assert response.text.endswith("\n")
    every = [json.loads(line) for line in response.text.split("\n") if line]
    assert len(every) == 4, "three production items and the launch gold item"
    (gold,) = [line for line in every if line["gold"]]
    assert gold["gold_answer"]["sentiment"] == project["gold_answer"]["sentiment"] and gold["gold_explanation"]
    lines = [line for line in every if not line["gold"]]
    assert [line["data"] for line in lines] == [{"text": "item 0"}, {"text": "item 1"}, {"text": "item 2"}]
    assert all(line["batch"] == "first" and line["gold"] is False for line in lines)
    assert [len(line["annotations"]) for line in lines] == [2, 0, 0]

    first, second = lines[0]["annotations"]
    assert first["annotator_id"] == alice_user["id"] and second["annotator_id"] == bob_user["id"]
    assert first["answer"] == {"sentiment": "pos", "topics": ["price", "food"], "stars": 4,
                               "rationale": "tasty\nand cheap"}
    assert second["answer"] == {"sentiment": "neg", "topics": None, "stars": None, "rationale": None}
    assert (first["guideline_version"], second["guideline_version"]) == (1, 2)
    assert first["source"] == "inkwell" and isinstance(first["time_on_task_ms"], int)


async def test_export_is_the_default_format_and_streams_large_projects(new_project, ops):
    project = await new_project()
    pid = project["id"]
    count = 2500  # more than one page of the keyset pagination
    body = "\n".join(json.dumps({"data": {"n": i}, "external_id": f"e{i}"}) for i in range(count))
    await ops.ok("POST", f"/projects/{pid}/items", status=201, content=body,
                 headers={"Content-Type": "application/x-ndjson"})

    async with ops.http.stream("GET", f"/projects/{pid}/export") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        assert "content-length" not in response.headers  # streamed, not built whole first
        chunks = [chunk async for chunk in response.aiter_bytes()]
    lines = [json.loads(line) for line in b"".join(chunks).decode().splitlines()]
    assert [line["data"]["n"] for line in lines] == list(range(count))
    assert [line["external_id"] for line in lines] == [f"e{i}" for i in range(count)]
    assert len({line["id"] for line in lines}) == count


async def test_export_of_an_empty_project_is_empty(new_project, ops):
    project = await new_project()
    response = await ops.get(f"/projects/{project['id']}/export")
    assert response.status_code == 200
    assert response.text == ""


async def test_an_unknown_format_is_422_naming_the_field(new_project, ops):
    project = await new_project(items=1)
    response = await ops.get(f"/projects/{project['id']}/export", params={"format": "csv"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] and "jsonl" in body["errors"]["format"]


async def test_export_is_only_for_ops(new_project, quick_user):
    project = await new_project(items=1)
    for role in ("contributor", "client"):
        _, api = await quick_user(role, project["id"])
        response = await api.get(f"/projects/{project['id']}/export")
        assert response.status_code == 403, (role, response.text)
        assert response.json()["error"]
