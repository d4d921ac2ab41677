"""The SFT export (format=sft): a conversation plus an approved, possibly reviewer-edited, reply."""

from __future__ import annotations

import json

from tests.integration.conftest import QUIET_QUALITY

INTERFACE = [
    {"name": "conversation", "type": "chat", "value": "$chat"},
    {"name": "reply", "type": "text", "label": "Write the assistant's reply", "target": "conversation"},
    {"name": "note", "type": "text", "required": False},  # no target: not a training response
]
CHAT = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]


async def project(ops, *, review: bool) -> int:
    body = {"name": "Replies", "purpose": "Write replies for SFT", "guidelines": "# Reply briefly", "overlap": 1,
            "interface": INTERFACE, "quality": QUIET_QUALITY}
    if review:
        body["review"] = {"stages": [{"name": "Check", "level": 1, "share": 1.0}], "tags": ["wrong"]}
    pid = (await ops.ok("POST", "/projects", json=body))["id"]
    await ops.ok("POST", f"/projects/{pid}/items", status=201, json=[
        {"external_id": f"c{n}", "data": {"chat": CHAT + [{"role": "user", "content": f"and number {n}?"}]}}
        for n in (1, 2)])
    await ops.ok("POST", f"/projects/{pid}/items", status=201, params={"batch": "gold"}, json=[
        {"data": {"chat": CHAT}, "gold": {"reply": "Paris."}}])
    await ops.ok("POST", f"/projects/{pid}/launch")
    return pid


async def write_replies(contributor, pid: int) -> None:
    for _ in range(2):
        lease = (await contributor.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]
        last = lease["item"]["data"]["chat"][-1]["content"]
        await contributor.ok("POST", f"/assignments/{lease['id']}/submit", status=201,
                             json={"answer": {"reply": f"reply to {last}", "note": "easy"}})


async def sft(ops, pid: int) -> list[dict]:
    response = await ops.get(f"/projects/{pid}/export", params={"format": "sft"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


async def test_only_approved_replies_are_exported_as_the_reviewer_left_them(ops, quick_user):
    pid = await project(ops, review=True)
    _, contributor = await quick_user("contributor", pid)
    _, reviewer = await quick_user("reviewer", pid)
    await write_replies(contributor, pid)
    assert await sft(ops, pid) == []  # nothing approved yet
    for decision in ("edit", "reject"):
        review = (await reviewer.ok("POST", f"/projects/{pid}/reviews/next", status=200))["review"]
        body = {"decision": decision, "comment": "too long" if decision == "reject" else None}
        if decision == "edit":
            body["answer"] = {"reply": "Edited: " + review["answer"]["reply"], "note": None}
            edited_external_id = review["item"]["external_id"] if "external_id" in review["item"] else None
        await reviewer.ok("POST", f"/reviews/{review['id']}/decide", json={k: v for k, v in body.items() if v})
    lines = await sft(ops, pid)
    assert len(lines) == 1
    line = lines[0]
    assert line["messages"][:2] == CHAT
    assert line["messages"][2]["role"] == "user"
    assert line["messages"][3] == {"role": "assistant",
                                   "content": "Edited: reply to " + line["messages"][2]["content"]}
    assert line["field"] == "reply" and line["edited_by_reviewer"] is True
    if edited_external_id:
        assert line["external_id"] == edited_external_id


async def test_without_review_every_reply_is_a_training_example(ops, quick_user):
    pid = await project(ops, review=False)
    _, contributor = await quick_user("contributor", pid)
    await write_replies(contributor, pid)
    lines = await sft(ops, pid)
    assert sorted(line["external_id"] for line in lines) == ["c1", "c2"]
    for line in lines:
        assert [m["role"] for m in line["messages"]] == ["system", "user", "user", "assistant"]
        assert line["messages"][-1]["content"] == "reply to " + line["messages"][-2]["content"]
        assert line["edited_by_reviewer"] is False


async def test_a_project_without_a_reply_field_exports_nothing_and_a_bad_format_is_422(ops, new_project):
    project = await new_project()
    assert (await sft(ops, project["id"])) == []
    response = await ops.get(f"/projects/{project['id']}/export", params={"format": "sfx"})
    assert response.status_code == 422 and "format" in response.json()["errors"]
