"""GET /api/v1/components: what outside tools build interfaces from; and an interface of display
parts and answer fields kept as ops gave it."""

from __future__ import annotations

from tests.integration.conftest import Api


async def test_anyone_signed_in_lists_every_part_with_its_schemas(server, quick_user):
    async with Api(server.url) as anonymous:
        assert (await anonymous.get("/components")).status_code == 401
    _, contributor = await quick_user()
    listed = {c["type"] + "/" + c["kind"]: c for c in (await contributor.ok("GET", "/components"))["components"]}
    assert {"text/display", "text/answer", "responses/display", "chat/display", "choice/answer"} <= set(listed)
    choice = listed["choice/answer"]
    assert choice["level"] == "nominal" and choice["description"]
    assert choice["config_schema"]["properties"]["type"] == {"const": "choice"}
    assert "answer_schema" not in listed["chat/display"]


async def test_a_project_keeps_display_parts_in_place_and_refuses_a_dangling_target(ops, new_project):
    interface = [{"name": "conversation", "type": "chat", "value": "$turns"},
                 {"name": "helpful", "type": "choice", "options": ["yes", "no"]}]
    project = await new_project(interface=interface)
    stored = (await ops.ok("GET", f"/projects/{project['id']}"))["interface"]
    assert [(p["name"], p["type"]) for p in stored] == [("conversation", "chat"), ("helpful", "choice")]
    assert stored[0]["value"] == "$turns"
    response = await ops.patch(f"/projects/{project['id']}", json={"interface": [
        {"name": "conversation", "type": "chat", "value": "$turns", "layout": "stacked"}, interface[1]]})
    assert response.status_code == 422
    assert "unknown setting for a chat part: layout" in response.text
