"""The cross-cutting API contract: credentials, roles, unknown ids, body limits, users, OpenAPI.

Every refusal must come back with the right status AND a JSON error body, because
the clients of this API are programs that branch on both.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest

from tests.integration.conftest import Api

MIB = 1024 * 1024
UNKNOWN_ID = 987_654_321


def assert_json_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/json"), response.headers["content-type"]
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    return body


# -- credentials: 401 ----------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/projects"),
    ("POST", "/projects"),
    ("GET", "/me"),
    ("POST", "/users"),
    ("POST", "/projects/1/next"),
    ("POST", "/assignments/1/submit"),
    ("GET", "/projects/1/stats"),
    ("GET", "/projects/1/export"),
])
async def test_no_credentials_is_401_with_a_json_error(server, method, path):
    async with Api(server.url) as anonymous:
        response = await anonymous.request(method, path, json={})
    assert_json_error(response, 401)


@pytest.mark.parametrize("header", [
    "Bearer ink_not-a-real-token",
    "Bearer",
    "Basic dXNlcjpwYXNz",
    "ink_missing-the-scheme",
])
async def test_a_wrong_or_malformed_token_is_401(server, header):
    async with httpx.AsyncClient(base_url=server.url + "/api/v1") as client:
        response = await client.get("/projects", headers={"Authorization": header})
    assert_json_error(response, 401)


async def test_token_exchange(server, ops):
    email = f"token-{uuid.uuid4().hex[:8]}@test.local"
    await ops.ok("POST", "/users", status=201,
                 json={"email": email, "name": "Token Person", "password": "correct-horse", "role": "contributor"})
    async with Api(server.url) as anonymous:
        wrong = await anonymous.post("/auth/token", json={"email": email, "password": "wrong-horse"})
        assert_json_error(wrong, 401)
        assert "token" not in wrong.json()
        unknown = await anonymous.post("/auth/token", json={"email": "nobody-" + email, "password": "correct-horse"})
        assert_json_error(unknown, 401)
        empty = await anonymous.post("/auth/token", json={})
        assert_json_error(empty, 401)

        # The email is matched without regard to case or surrounding space, as it was stored.
        issued = await anonymous.post("/auth/token", json={"email": f"  {email.upper()} ", "password": "correct-horse"})
        assert issued.status_code == 200, issued.text
        token = issued.json()["token"]
        assert isinstance(token, str) and len(token) >= 32

    async with Api(server.url, token) as person:
        me = await person.ok("GET", "/me", status=200)
    assert me["email"] == email and me["is_ops"] is False


# -- roles: 403 ----------------------------------------------------------------------------------

async def test_a_contributor_cannot_do_ops_work(new_project, quick_user, ops):
    project = await new_project(items=2, launch=True)
    pid = project["id"]
    _, alice = await quick_user("contributor", pid)
    outsider, outsider_api = await quick_user("contributor")
    sneaky_email = f"sneaky-{uuid.uuid4().hex[:6]}@test.local"

    assert_json_error(await alice.post("/projects", json={
        "name": "Mine", "purpose": "Take over", "interface": [{"name": "x", "type": "text"}]}), 403)
    assert_json_error(await alice.post("/users", json={
        "email": sneaky_email, "name": "Sneaky", "password": "quiet-lantern-42", "role": "ops"}), 403)
    assert_json_error(await alice.post(f"/projects/{pid}/items", json=[{"text": "spam"}]), 403)
    assert_json_error(await alice.get(f"/projects/{pid}/export"), 403)
    assert_json_error(await alice.post(f"/projects/{pid}/pause"), 403)
    assert_json_error(await alice.post(f"/projects/{pid}/members",
                                       json={"user_id": outsider["id"], "role": "ops"}), 403)

    # None of it took effect.
    stats = await ops.ok("GET", f"/projects/{pid}/stats")
    assert stats["status"] == "live"
    assert stats["totals"]["items"] == 2
    projects = await ops.ok("GET", "/projects")
    assert "Mine" not in {p["name"] for p in projects}
    async with Api(ops.base_url) as anonymous:
        assert (await anonymous.post("/auth/token", json={
            "email": sneaky_email, "password": "quiet-lantern-42"})).status_code == 401
    # The outsider did not become a member (they still cannot work here).
    assert_json_error(await outsider_api.post(f"/projects/{pid}/next"), 403)


async def test_stats_of_another_project_are_403(new_project, quick_user):
    mine = await new_project(items=1, launch=True)
    theirs = await new_project(items=1, launch=True)
    _, client = await quick_user("client", mine["id"])
    _, contributor = await quick_user("contributor", mine["id"])

    assert (await client.ok("GET", f"/projects/{mine['id']}/stats"))["project_id"] == mine["id"]
    assert_json_error(await client.get(f"/projects/{theirs['id']}/stats"), 403)
    assert_json_error(await contributor.get(f"/projects/{theirs['id']}/stats"), 403)
    assert_json_error(await client.get(f"/projects/{theirs['id']}"), 403)


async def test_work_needs_membership_and_your_own_assignment(new_project, quick_user):
    project = await new_project(items=2, launch=True)
    _, alice = await quick_user("contributor", project["id"])
    _, bob = await quick_user("contributor", project["id"])
    _, stranger = await quick_user("contributor")
    _, client = await quick_user("client", project["id"])

    assert_json_error(await stranger.post(f"/projects/{project['id']}/next"), 403)
    assert_json_error(await client.post(f"/projects/{project['id']}/next"), 403)

    assignment = (await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
    assert_json_error(await bob.post(f"/assignments/{assignment['id']}/submit",
                                     json={"answer": {"sentiment": "pos"}}), 403)
    assert_json_error(await bob.post(f"/assignments/{assignment['id']}/skip"), 403)
    # Bob's attempts did not use up Alice's lease.
    await alice.ok("POST", f"/assignments/{assignment['id']}/submit", status=201, json={"answer": {"sentiment": "pos"}})


# -- unknown ids: 404 ----------------------------------------------------------------------------

@pytest.mark.parametrize("method,path,body", [
    ("GET", "/projects/{id}", None),
    ("PATCH", "/projects/{id}", {"name": "x"}),
    ("POST", "/projects/{id}/next", None),
    ("POST", "/projects/{id}/launch", None),
    ("POST", "/projects/{id}/pause", None),
    ("POST", "/projects/{id}/members", {"user_id": 1, "role": "contributor"}),
    ("POST", "/projects/{id}/items", [{"text": "orphan"}]),
    ("GET", "/projects/{id}/stats", None),
    ("GET", "/projects/{id}/export", None),
    ("POST", "/assignments/{id}/submit", {"answer": {"sentiment": "pos"}}),
    ("POST", "/assignments/{id}/skip", None),
])
async def test_unknown_ids_are_404_with_a_json_error(ops, method, path, body):
    kwargs = {} if body is None else {"json": body}
    response = await ops.request(method, path.format(id=UNKNOWN_ID), **kwargs)
    assert_json_error(response, 404)


async def test_unknown_user_in_members_is_404(new_project, ops):
    project = await new_project()
    response = await ops.post(f"/projects/{project['id']}/members", json={"user_id": UNKNOWN_ID, "role": "contributor"})
    assert_json_error(response, 404)


async def test_unknown_api_route_is_a_json_404(ops):
    assert_json_error(await ops.get("/no-such-thing"), 404)


# -- body limits: 413 ----------------------------------------------------------------------------

async def test_an_oversized_submit_is_413_and_the_lease_survives(new_project, quick_user, ops):
    project = await new_project(items=1, launch=True)
    _, alice = await quick_user("contributor", project["id"])
    assignment = (await alice.ok("POST", f"/projects/{project['id']}/next"))["assignment"]

    huge = json.dumps({"answer": {"sentiment": "pos", "rationale": "x" * (MIB + 10)}})
    response = await alice.post(f"/assignments/{assignment['id']}/submit", content=huge,
                                headers={"Content-Type": "application/json", "Idempotency-Key": "big"})
    assert_json_error(response, 413)

    stats = await ops.ok("GET", f"/projects/{project['id']}/stats")
    assert stats["totals"]["submitted"] == 0 and stats["totals"]["leased"] == 1
    ok = await alice.post(f"/assignments/{assignment['id']}/submit", json={"answer": {"sentiment": "pos"}},
                          headers={"Idempotency-Key": "big"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["replayed"] is False


async def test_an_oversized_project_body_is_413(ops):
    body = {"name": "Big", "purpose": "x" * (MIB + 10), "interface": [{"name": "x", "type": "text"}]}
    assert_json_error(await ops.post("/projects", json=body), 413)
    assert "Big" not in {p["name"] for p in await ops.ok("GET", "/projects")}


async def _raw_post(server, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, dict, bytes]:
    """A POST over a bare socket, so the declared Content-Length can be larger than what is sent
    (as an upload of a huge file starts), and the response read as soon as the server answers."""
    host, port = "127.0.0.1", server.port
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
        raw_head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        lines = raw_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        response_headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        length = int(response_headers.get("content-length", "0"))
        content = await asyncio.wait_for(reader.readexactly(length), 5)
        return status, response_headers, content
    finally:
        writer.close()


async def test_an_oversized_import_is_413_before_it_is_uploaded(server, settings, admin_token, new_project, ops):
    project = await new_project()
    declared = settings.max_import_bytes + 1
    status, headers, content = await _raw_post(
        server, f"/api/v1/projects/{project['id']}/items",
        {"Authorization": f"Bearer {admin_token}", "Content-Type": "application/x-ndjson",
         "Content-Length": str(declared)},
        b'{"text": "the start of a very big file"}\n')
    assert status == 413
    assert headers["content-type"].startswith("application/json")
    assert json.loads(content)["error"]
    stats = await ops.ok("GET", f"/projects/{project['id']}/stats")
    assert stats["totals"]["items"] == 0 and stats["batches"] == []


# -- users ---------------------------------------------------------------------------------------

async def test_create_user_is_201_and_never_echoes_the_password(ops):
    email = f"New.Person-{uuid.uuid4().hex[:6]}@Test.Local"
    response = await ops.post("/users", json={"email": email, "name": "  New Person ", "password": "quiet-lantern-42",
                                              "role": "reviewer"})
    assert response.status_code == 201, response.text
    user = response.json()
    assert isinstance(user["id"], int)
    assert user["email"] == email.lower()
    assert user["name"] == "New Person"
    assert user["is_ops"] is False and user["role"] == "reviewer"
    assert "quiet-lantern-42" not in response.text and "password" not in json.dumps(list(user))


async def test_create_user_validation_is_422_with_every_field_error(ops):
    response = await ops.post("/users", json={"email": "not-an-email", "name": " ", "password": "short",
                                              "role": "overlord"})
    body = assert_json_error(response, 422)
    assert set(body["errors"]) == {"email", "name", "password", "role"}
    assert all(isinstance(m, str) and m for m in body["errors"].values())
    assert "8" in body["errors"]["password"]

    missing = assert_json_error(await ops.post("/users", json={}), 422)
    assert set(missing["errors"]) == {"email", "name", "password", "role"}

    not_json = assert_json_error(await ops.post("/users", content=b"{nope", headers={"Content-Type": "application/json"}), 422)
    assert "body" in not_json["errors"]
    array = assert_json_error(await ops.post("/users", json=[1, 2]), 422)
    assert "body" in array["errors"]


async def test_duplicate_email_is_409_whatever_its_case(ops):
    email = f"twice-{uuid.uuid4().hex[:6]}@test.local"
    body = {"email": email, "name": "Twice", "password": "quiet-lantern-42", "role": "contributor"}
    await ops.ok("POST", "/users", status=201, json=body)
    again = assert_json_error(await ops.post("/users", json=body | {"email": email.upper()}), 409)
    assert again.get("field") == "email"


# -- projects ------------------------------------------------------------------------------------

async def test_create_project_is_201_with_its_id(ops):
    response = await ops.post("/projects", json={
        "name": "Reviews", "purpose": "Train a sentiment model", "guidelines": "# Be kind", "overlap": 2,
        "interface": [{"name": "sentiment", "type": "choice", "options": ["pos", "neg"]}]})
    assert response.status_code == 201, response.text
    project = response.json()
    assert isinstance(project["id"], int)
    assert project["status"] == "draft" and project["overlap"] == 2 and project["guideline_version"] == 1
    assert [f["name"] for f in project["interface"]] == ["sentiment"]
    shown = await ops.ok("GET", f"/projects/{project['id']}", status=200)
    assert shown["guidelines"] == "# Be kind" and shown["name"] == "Reviews"


async def test_create_project_validation_is_422_with_field_errors(ops):
    body = assert_json_error(await ops.post("/projects", json={
        "name": "", "purpose": "", "overlap": 0, "interface": [{"name": "Bad Name", "type": "choice"}]}), 422)
    assert set(body["errors"]) >= {"name", "purpose", "overlap", "interface"}
    body = assert_json_error(await ops.post("/projects", json={
        "name": "x", "purpose": "y", "interface": [{"name": "f", "type": "hologram"}]}), 422)
    assert "hologram" in body["errors"]["interface"]


# -- OpenAPI -------------------------------------------------------------------------------------

async def test_openapi_document_lists_the_public_api(server):
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    expected = {
        "/api/v1/auth/token": "post",
        "/api/v1/users": "post",
        "/api/v1/projects": "post",
        "/api/v1/projects/{project_id}/members": "post",
        "/api/v1/projects/{project_id}/items": "post",
        "/api/v1/projects/{project_id}/launch": "post",
        "/api/v1/projects/{project_id}/next": "post",
        "/api/v1/assignments/{assignment_id}/submit": "post",
        "/api/v1/assignments/{assignment_id}/skip": "post",
        "/api/v1/projects/{project_id}/stats": "get",
        "/api/v1/projects/{project_id}/export": "get",
    }
    for path, method in expected.items():
        assert method in paths.get(path, {}), f"{method.upper()} {path} missing from the OpenAPI document"
    # Pages and static files are not part of the API.
    assert not any(p.startswith(("/login", "/static")) for p in paths)


# -- input the database cannot hold is refused as input, the same on every backend ---------------

@pytest.mark.parametrize("method,path", [
    ("GET", f"/projects/{2**31}/stats"),
    ("GET", f"/projects/{2**63}/stats"),
    ("GET", f"/projects/{10**30}"),
    ("POST", f"/projects/{2**31}/next"),
    ("GET", f"/projects/{2**31}/export"),
    ("POST", f"/assignments/{2**63}/submit"),
    ("POST", f"/assignments/{10**30}/skip"),
])
async def test_ids_larger_than_any_row_are_404_not_500(ops, method, path):
    response = await ops.request(method, path, json={"answer": {"sentiment": "pos"}} if "submit" in path else None)
    assert_json_error(response, 404)


async def test_a_huge_user_id_in_members_is_404(new_project, ops):
    project = await new_project()
    for user_id in (2**31, 2**63, 10**30):
        response = await ops.post(f"/projects/{project['id']}/members", json={"user_id": user_id, "role": "client"})
        assert_json_error(response, 404)


async def test_create_user_with_wrong_types_is_422_not_500(ops):
    response = await ops.post("/users", json={"email": 5, "name": ["x"], "password": 12345678, "role": ["ops"]})
    body = assert_json_error(response, 422)
    assert set(body["errors"]) == {"email", "name", "password", "role"}


async def test_create_user_with_overlong_fields_is_422(ops):
    response = await ops.post("/users", json={"email": "l" * 320 + "@test.local", "name": "n" * 201,
                                              "password": "quiet-lantern-42", "role": "contributor"})
    body = assert_json_error(response, 422)
    assert set(body["errors"]) == {"email", "name"}
    # The limits themselves are allowed.
    ok = await ops.post("/users", json={"email": f"{uuid.uuid4().hex}@test.local", "name": "n" * 200,
                                        "password": "quiet-lantern-42", "role": "contributor"})
    assert ok.status_code == 201, ok.text


async def test_the_same_email_at_once_makes_one_user_and_409s(ops):
    email = f"race-{uuid.uuid4().hex[:6]}@test.local"
    body = {"email": email, "name": "Race", "password": "quiet-lantern-42", "role": "contributor"}
    responses = await asyncio.gather(*(ops.post("/users", json=body) for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5, [r.text for r in responses]
    for response in responses:
        assert response.headers["content-type"].startswith("application/json")


async def test_an_overlong_token_name_is_422(server, ops):
    email = f"tokname-{uuid.uuid4().hex[:6]}@test.local"
    await ops.ok("POST", "/users", status=201, json={"email": email, "name": "T", "password": "quiet-lantern-42",
                                                     "role": "contributor"})
    async with Api(server.url) as anonymous:
        response = await anonymous.post("/auth/token", json={"email": email, "password": "quiet-lantern-42",
                                                             "name": "n" * 101})
        body = assert_json_error(response, 422)
        assert "name" in body["errors"] and "token" not in body
        named = await anonymous.post("/auth/token", json={"email": email, "password": "quiet-lantern-42", "name": "ci"})
        assert named.status_code == 200 and named.json()["token"]


@pytest.mark.parametrize("fields,field", [
    ({"name": "n" * 201}, "name"),
    ({"lease_seconds": "soon"}, "lease_seconds"),
    ({"lease_seconds": 0}, "lease_seconds"),
    ({"lease_seconds": -5}, "lease_seconds"),
    ({"lease_seconds": 10**12}, "lease_seconds"),
    ({"lease_seconds": 1.5}, "lease_seconds"),
])
async def test_create_project_refuses_what_it_cannot_keep(ops, fields, field):
    body = {"name": "Limits", "purpose": "Check limits", "interface": [{"name": "x", "type": "text"}]} | fields
    response = await ops.post("/projects", json=body)
    errors = assert_json_error(response, 422)["errors"]
    assert set(errors) == {field}, errors


@pytest.mark.parametrize("body,field", [
    ({"user_id": True, "role": "client"}, "user_id"),
    ({"user_id": 1, "role": ["ops"]}, "role"),
    ({"user_id": 1, "role": None}, "role"),
])
async def test_members_refuses_wrong_types_with_422(new_project, ops, body, field):
    project = await new_project()
    response = await ops.post(f"/projects/{project['id']}/members", json=body)
    errors = assert_json_error(response, 422)["errors"]
    assert field in errors


async def test_adding_the_same_member_at_once_is_not_an_error(new_project, quick_user, ops):
    project = await new_project(items=1, launch=True)
    person, api = await quick_user("contributor")
    url = f"/projects/{project['id']}/members"
    responses = await asyncio.gather(*(ops.post(url, json={"user_id": person["id"], "role": "contributor"})
                                       for _ in range(4)))
    assert {r.status_code for r in responses} <= {200, 201}, [r.text for r in responses]
    assert (await api.post(f"/projects/{project['id']}/next")).status_code == 200


async def test_an_overlong_idempotency_key_is_422_and_the_lease_survives(new_project, quick_user, ops):
    project = await new_project(items=1, launch=True)
    _, alice = await quick_user("contributor", project["id"])
    assignment = (await alice.ok("POST", f"/projects/{project['id']}/next"))["assignment"]
    url = f"/assignments/{assignment['id']}/submit"
    response = await alice.post(url, json={"answer": {"sentiment": "pos"}}, headers={"Idempotency-Key": "k" * 201})
    body = assert_json_error(response, 422)
    assert "Idempotency-Key" in body["errors"]
    ok = await alice.post(url, json={"answer": {"sentiment": "pos"}}, headers={"Idempotency-Key": "k" * 200})
    assert ok.status_code == 201, ok.text
    again = await alice.post(url, json={"answer": {"sentiment": "pos"}}, headers={"Idempotency-Key": "k" * 200})
    assert again.status_code == 201 and again.json()["replayed"] is True


async def test_a_number_too_long_to_read_is_422_not_500(new_project, quick_user, ops):
    project = await new_project(items=1, launch=True)
    _, alice = await quick_user("contributor", project["id"])
    assignment = (await alice.ok("POST", f"/projects/{project['id']}/next"))["assignment"]
    body = b'{"answer": {"sentiment": "pos", "rationale": 1' + b"0" * 5000 + b"}}"
    response = await alice.post(f"/assignments/{assignment['id']}/submit", content=body,
                                headers={"Content-Type": "application/json"})
    assert "body" in assert_json_error(response, 422)["errors"]
    ok = await alice.post(f"/assignments/{assignment['id']}/submit", json={"answer": {"sentiment": "pos"}})
    assert ok.status_code == 201


async def test_json_nested_too_deeply_is_422_not_500(ops):
    body = b"[" * 200_000 + b"]" * 200_000
    assert "body" in assert_json_error(await ops.post("/users", content=body,
                                                      headers={"Content-Type": "application/json"}), 422)["errors"]


async def test_others_signing_in_or_being_created_do_not_hold_up_requests(server, ops, quick_user):
    """Password hashing is slow on purpose (~0.1-0.5 s each); it must not stall everyone else.
    A cheap request sent just after a few sign-ins and a user creation is answered before any of them."""
    person, _ = await quick_user("contributor")
    finished: list[str] = []

    async with Api(server.url) as anonymous:
        async def sign_in() -> None:
            response = await anonymous.post("/auth/token", json={"email": person["email"], "password": "quiet-lantern-42"})
            assert response.status_code == 200
            finished.append("sign-in")

        async def create() -> None:
            await ops.ok("POST", "/users", status=201, json={
                "email": f"slow-{uuid.uuid4().hex[:8]}@test.local", "name": "Slow", "password": "quiet-lantern-42",
                "role": "client"})
            finished.append("create")

        async def look() -> None:
            await asyncio.sleep(0.05)  # the slow requests reach the server first
            await ops.ok("GET", "/projects", status=200)
            finished.append("look")

        await asyncio.gather(sign_in(), sign_in(), create(), look())
    assert finished[0] == "look", finished
