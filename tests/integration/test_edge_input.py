"""Input checked once at the edge, on every route: no input answers 5xx.

Ids out of the backend's range are 404; query numbers out of range, text a database cannot store
(NUL, lone surrogates) and unknown fields are 422 naming the field; every route that reads a body
describes it in the OpenAPI document. A refused request leaves nothing behind.
"""

from __future__ import annotations

import inspect
import json
import re

import httpx
import pytest
from litestar.routes import HTTPRoute

from tests.integration.conftest import Api

#: 2³¹ is past PostgreSQL's INTEGER ids, 2⁶³ past BIGINT (and SQLite's), 2⁶⁴ past any machine integer.
OUT_OF_RANGE_IDS = (2**31, 2**63, 2**64)
#: How a handler reads its body; a handler whose code does none of these takes no body.
BODY_READERS = ("json_object(", "read_limited(", "spool_upload(", ".body()", ".stream()", ".json()", ".form()")


def raw_json(text: str) -> dict:
    """A JSON body sent byte for byte (httpx cannot encode a lone surrogate itself)."""
    return {"content": text.encode(), "headers": {"content-type": "application/json"}}


def errors_of(response: httpx.Response, status: int = 422) -> dict:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json()["errors"]


async def openapi(server) -> dict:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def api_routes(server) -> list[tuple[str, str, bool]]:
    """(method, OpenAPI path, whether its handler reads a body) of every API route the app serves."""
    found = []
    for route in server.app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method != "OPTIONS" and handler.resolve_include_in_schema():
                source = inspect.getsource(handler.fn)
                found.append((method, re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path),
                              any(reader in source for reader in BODY_READERS)))
    return sorted(found)


# -- ids and query numbers ---------------------------------------------------------------------------

async def test_every_api_route_answers_404_for_an_id_out_of_range(server, ops):
    """Generated from the app's routes: any id a column cannot hold names nothing."""
    routes = [(method, path) for method, path, _ in api_routes(server) if "{" in path]
    assert len(routes) > 20
    for method, path in routes:
        for big in OUT_OF_RANGE_IDS:
            url = re.sub(r"\{\w+\}", str(big), path).removeprefix("/api/v1")
            response = await ops.request(method, url, json={})
            # 2³¹ is a valid BIGINT id: a route may refuse the empty body before it looks the id up.
            refused_body = big == 2**31 and response.status_code == 422
            assert response.status_code == 404 or refused_body, \
                f"{method} {url} -> {response.status_code}: {response.text}"
            assert response.json()["error"]


async def test_a_page_answers_404_for_an_id_out_of_range(browser):
    for path in (f"/projects/{2**31}", f"/projects/{2**63}/board", f"/projects/1/review/{2**63}"):
        response = await browser.get(path)
        assert response.status_code == 404, f"{path} -> {response.status_code}"


async def test_query_numbers_out_of_range_are_422_naming_the_field(new_project, ops):
    project = await new_project()
    base = f"/projects/{project['id']}"
    for path, params, field in [
        ("/users", {"after": str(2**31)}, "after"),
        ("/users", {"limit": "0"}, "limit"),
        (f"{base}/escalations", {"after": str(2**63)}, "after"),
        (f"{base}/escalations", {"after": str(2**64)}, "after"),
        (f"{base}/escalations", {"limit": "ten"}, "limit"),
        (f"{base}/aggregate", {"after": str(2**63)}, "after"),
        (f"{base}/aggregate", {"limit": "-1"}, "limit"),
    ]:
        response = await ops.get(path, params=params)
        assert field in errors_of(response), response.text
    assert errors_of(await ops.get(f"{base}/aggregate", params={"limit": "-1"})) == {
        "limit": "must be a whole number from 1 to 10000"}
    # An ordinary cursor still reads on.
    assert (await ops.ok("GET", f"{base}/escalations", params={"after": "0", "limit": "5"}))["escalations"] == []


def test_every_whole_number_query_parameter_declares_its_range(server):
    """Generated from the app's routes: a number that reaches a query has a declared range, so an
    out-of-range one is a 422 before any SQL (unbounded, ``?after=2**63`` was a 500)."""
    checked = 0
    for route in server.app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            for name, field in handler.parsed_fn_signature.parameters.items():
                whole = field.annotation is int or (field.is_optional and any(t.annotation is int
                                                                              for t in field.inner_types))
                if not whole or name in route.path_parameters:
                    continue
                checked += 1
                assert getattr(field.kwarg_definition, "le", None) is not None, \
                    f"{method} {route.path}: ?{name} needs Parameter(ge=..., le=...)"
    assert checked >= 5


# -- text a database cannot store -------------------------------------------------------------------

async def test_sign_in_with_a_nul_or_a_lone_surrogate_is_422_at_the_field(server):
    async with Api(server.url) as anonymous:
        nul = await anonymous.post("/auth/token", json={"email": "a\u0000b", "password": "x"})
        assert "NUL" in errors_of(nul)["email"]
        surrogate = await anonymous.post("/auth/token", **raw_json('{"email": "a", "password": "\\ud800"}'))
        assert "surrogate" in errors_of(surrogate)["password"]


async def test_bad_text_anywhere_in_a_body_is_422_with_its_path(new_project, ops):
    made = await ops.post("/projects", **raw_json(
        '{"name": "P", "purpose": "x", "overlap": 1, "interface": [{"name": "a", "type": "choice", '
        '"options": ["x", "y\\ud800"]}]}'))
    assert set(errors_of(made)) == {"interface[0].options[1]"}

    project = await new_project()
    before = await ops.ok("GET", f"/projects/{project['id']}")
    for body, field in [({"purpose": "a\u0000b"}, "purpose"),
                        ({"quality": {"benchmark": {"retry": "\u0000"}}}, "quality.benchmark.retry"),
                        ({"review": {"tags": ["ok", "bad\u0000"]}}, "review.tags[1]"),
                        ({"review": {"a\u0000": 1}}, "review")]:
        response = await ops.patch(f"/projects/{project['id']}", json=body)
        assert field in errors_of(response), (body, response.text)
    assert await ops.ok("GET", f"/projects/{project['id']}") == before


async def test_a_refused_submit_leaves_the_lease_open_for_a_corrected_retry(new_project, quick_user, db):
    project = await new_project(items=1, launch=True)
    _, alice = await quick_user("contributor", project["id"])
    assignment = (await alice.ok("POST", f"/projects/{project['id']}/next"))["assignment"]
    url = f"/assignments/{assignment['id']}/submit"

    for text in ('{"answer": {"sentiment": "pos", "rationale": "so \\ud800"}}',
                 '{"answer": {"sentiment": "pos", "rationale": "so \\u0000"}}'):
        refused = await alice.post(url, content=text.encode(),
                                   headers={"content-type": "application/json", "Idempotency-Key": "k"})
        assert set(errors_of(refused)) == {"answer.rationale"}

    corrected = await alice.post(url, json={"answer": {"sentiment": "pos", "rationale": "so"}},
                                 headers={"Idempotency-Key": "k"})
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["replayed"] is False


async def test_comments_and_escalations_refuse_bad_text(new_project, ops):
    project = await new_project(items=1)
    response = await ops.post(f"/projects/{project['id']}/escalations", json={"note": "x\u0000", "assignment_id": 1})
    assert "note" in errors_of(response)
    response = await ops.post("/items/1/comments", **raw_json('{"body": "\\udfff"}'))
    assert "body" in errors_of(response)


async def test_bad_text_in_a_query_string_is_422_naming_the_parameter(new_project, ops):
    project = await new_project()
    response = await ops.get(f"/projects/{project['id']}/escalations", params={"state": "open\u0000"})
    assert "state" in errors_of(response)
    response = await ops.post(f"/projects/{project['id']}/items", params={"batch": "b\u0000"}, json=[{"text": "x"}])
    assert "batch" in errors_of(response)
    stats = await ops.ok("GET", f"/projects/{project['id']}/stats")
    assert stats["totals"]["items"] == 0


async def test_bad_text_in_a_page_form_is_refused_not_500(browser, new_project):
    from tests.integration.test_project_pages import choice_row, project_form

    response = await browser.post("/projects/new", project_form("Name\u0000", choice_row(0, "a", "x\ny")))
    assert response.status_code == 422, response.text
    assert "name" in response.text
    project = await new_project()
    response = await browser.post(f"/projects/{project['id']}/guidelines", {"body": "# x\u0000"})
    assert response.status_code == 422


# -- unknown fields -----------------------------------------------------------------------------------

async def test_unknown_fields_in_project_settings_are_422_naming_them(new_project, ops):
    project = await new_project()
    before = await ops.ok("GET", f"/projects/{project['id']}")
    part = {"name": "extra", "type": "choice", "options": ["a", "b"]}
    for body, field in [
        ({"overlapp": 3}, "overlapp"),
        ({"quality": {"benchmark": {"sise": 3}}}, "quality.benchmark.sise"),
        ({"review": {"stages": [{"name": "L1", "levle": 2}]}}, "review.stages[0]"),
        ({"interface": before["interface"] + [part | {"optons": ["c"]}]}, "interface"),
        ({"interface": before["interface"] + [part | {"options": ["a", {"value": "b", "lable": "B"}]}]}, "interface"),
    ]:
        response = await ops.patch(f"/projects/{project['id']}", json=body)
        errors = errors_of(response)
        assert field in errors, (body, errors)
        assert re.search(r"optons|lable|unknown", errors[field]), errors
    assert errors_of(await ops.patch(f"/projects/{project['id']}", json={"overlapp": 3})) == {"overlapp": "unknown field"}
    assert await ops.ok("GET", f"/projects/{project['id']}") == before


async def test_every_route_with_a_json_object_body_refuses_unknown_fields(server, ops):
    """Generated from the OpenAPI document: a misspelt field never passes silently."""
    doc = await openapi(server)
    checked = 0
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if not schema or schema.get("type") != "object":
                continue
            url = re.sub(r"\{\w+\}", "1", path).removeprefix("/api/v1")
            response = await ops.request(method.upper(), url, json={"zz_unknown": 1})
            assert errors_of(response).get("zz_unknown") == "unknown field", f"{method} {path}: {response.text}"
            checked += 1
    assert checked >= 12


# -- the OpenAPI document -----------------------------------------------------------------------------

async def test_every_route_that_reads_a_body_describes_it_in_the_openapi_document(server):
    doc = await openapi(server)
    readers = [(method, path) for method, path, reads_body in api_routes(server) if reads_body]
    assert len(readers) >= 13
    for method, path in readers:
        operation = doc["paths"][path][method.lower()]
        content = operation.get("requestBody", {}).get("content")
        assert content, f"{method} {path} reads a body but the OpenAPI document does not describe it"
        schema = content.get("application/json", {}).get("schema", {})
        if schema.get("type") == "object":
            assert schema["additionalProperties"] is False, f"{method} {path}"
            properties = schema["properties"]
            assert properties and all("type" in p or "anyOf" in p or "enum" in p for p in properties.values()), \
                f"{method} {path}: every field has a type"
            assert not json.dumps(schema).count('"$ref"'), f"{method} {path}: inline schemas only"


async def test_the_import_route_describes_each_format(server):
    doc = await openapi(server)
    content = doc["paths"]["/api/v1/projects/{project_id}/items"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-ndjson", "text/csv"} <= set(content)
    assert content["application/json"]["schema"]["type"] == "array"


async def test_routes_that_read_no_body_describe_none(server):
    doc = await openapi(server)
    bodyless = [(method, path) for method, path, reads_body in api_routes(server) if not reads_body]
    assert ("POST", "/api/v1/projects/{project_id}/launch") in bodyless
    for method, path in bodyless:
        assert "requestBody" not in doc["paths"][path][method.lower()], f"{method} {path}"


@pytest.mark.parametrize("text", ["[]", '"x"', "{", "null"])
async def test_a_body_that_is_not_an_object_is_422(ops, text):
    response = await ops.patch("/projects/1", **raw_json(text))
    assert "body" in errors_of(response)
