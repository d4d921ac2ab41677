"""Ending access: sign-out and password changes end sessions on the server, tokens can be listed
and revoked, users deactivated, and each takes effect at the next request on every process (the
web process that made the change, another web process, the CLI), sockets included."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from websockets.asyncio.client import connect

from app.events.models import Event
from tests.integration.conftest import Api, Browser
from tests.integration.test_board_socket import assert_refused, first_message
from tests.support import ServerThread, backend

PASSWORD = "quiet-lantern-42"  # quick_user's and quick_user's
NEW_PASSWORD = "amber-walrus-orchestra-9"
NOBODY = 987_654_321

#: The routes of this slice, for test_secrecy's sweep (``sweep_access``).
ROUTES = frozenset({
    "GET /api/v1/me/tokens", "DELETE /api/v1/me/tokens/{token_id:int}", "POST /api/v1/me/password",
    "GET /api/v1/users", "GET /api/v1/users/{user_id:int}/tokens", "DELETE /api/v1/tokens/{token_id:int}",
    "POST /api/v1/users/{user_id:int}/deactivate", "POST /api/v1/users/{user_id:int}/reactivate",
    "GET /account", "POST /account/password", "POST /account/tokens/{token_id:int}/revoke",
    "POST /account/sessions/end",
    "GET /users", "GET /users/{user_id:int}", "POST /users/{user_id:int}/deactivate",
    "POST /users/{user_id:int}/reactivate", "POST /users/{user_id:int}/tokens/{token_id:int}/revoke",
})


async def sweep_access(s, uid: int) -> None:
    """test_secrecy's sweep over these routes as a contributor: their own tokens and account page, a
    password change with a wrong current password (refused, nothing changes), everything for ops refused,
    and last (it ends the sweep's page session) signing out everywhere."""
    me = "/api/v1/me"
    await s.call(f"GET {me}/tokens", s.api, "GET", f"{me}/tokens", 200)
    await s.call(f"DELETE {me}/tokens/{{token_id:int}}", s.api, "DELETE", f"{me}/tokens/{NOBODY}", 404)
    await s.call(f"POST {me}/password", s.api, "POST", f"{me}/password", 422,
                 json={"current_password": "not-mine-at-all", "new_password": NEW_PASSWORD})
    for route, method, url in (("GET /api/v1/users", "GET", "/api/v1/users"),
                               ("GET /api/v1/users/{user_id:int}/tokens", "GET", f"/api/v1/users/{uid}/tokens"),
                               ("DELETE /api/v1/tokens/{token_id:int}", "DELETE", "/api/v1/tokens/1"),
                               ("POST /api/v1/users/{user_id:int}/deactivate", "POST", f"/api/v1/users/{uid}/deactivate"),
                               ("POST /api/v1/users/{user_id:int}/reactivate", "POST", f"/api/v1/users/{uid}/reactivate")):
        await s.call(route, s.api, method, url, 403)
    await s.call("GET /account", s.page.http, "GET", "/account", 200)
    await s.form("POST /account/password", "/account/password", 422,
                 {"current_password": "not-mine-at-all", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    await s.form("POST /account/tokens/{token_id:int}/revoke", f"/account/tokens/{NOBODY}/revoke", 404)
    await s.call("GET /users", s.page.http, "GET", "/users", 403)
    await s.call("GET /users/{user_id:int}", s.page.http, "GET", f"/users/{uid}", 403)
    for route, url in (("POST /users/{user_id:int}/deactivate", f"/users/{uid}/deactivate"),
                       ("POST /users/{user_id:int}/reactivate", f"/users/{uid}/reactivate"),
                       ("POST /users/{user_id:int}/tokens/{token_id:int}/revoke", f"/users/{uid}/tokens/1/revoke")):
        await s.form(route, url, 403)
    await s.form("POST /account/sessions/end", "/account/sessions/end", 303)


def cookie_header(browser: Browser) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in browser.http.cookies.items())}


async def replay(server, browser: Browser, path: str = "/") -> httpx.Response:
    """The browser's cookies as they were, sent by someone else (a copied cookie)."""
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=False) as other:
        return await other.get(path, headers=cookie_header(browser))


def signed_out(response: httpx.Response) -> bool:
    return response.status_code in (302, 303) and response.headers["location"].startswith("/login")


async def events(db, action: str, subject_id: int) -> list[Event]:
    async with db.transaction() as session:
        return list((await session.execute(select(Event).where(Event.action == action, Event.subject_id == subject_id)
                                           .order_by(Event.id))).scalars())


async def test_signing_out_ends_the_session_on_the_server(server, quick_user, new_project, ws_url, browser_for):
    project = await new_project()
    user, _ = await quick_user("client", project["id"])
    browser = await browser_for(user["email"], PASSWORD)
    kept = cookie_header(browser)
    assert (await replay(server, browser)).status_code == 200
    assert (await browser.post("/logout", {})).status_code == 303
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=False) as other:
        assert signed_out(await other.get("/", headers=kept))
    await assert_refused(ws_url(project["id"]), kept)


async def test_signing_out_everywhere_ends_every_browser(server, quick_user, browser_for):
    user, api = await quick_user("contributor")
    first, second = await browser_for(user["email"], PASSWORD), await browser_for(user["email"], PASSWORD)
    page = await first.get("/account")
    assert page.status_code == 200 and "2 browser sessions" in page.text
    assert (await first.post("/account/sessions/end", {})).status_code == 303
    assert signed_out(await replay(server, first)) and signed_out(await replay(server, second))
    assert (await api.get("/me")).status_code == 200  # API tokens are not sessions


async def test_a_password_change_ends_every_session_and_other_token(server, quick_user, browser_for, db):
    user, api = await quick_user("contributor")
    other_token = (await api.ok("POST", "/auth/token", json={"email": user["email"], "password": PASSWORD}))["token"]
    browser = await browser_for(user["email"], PASSWORD)
    changed = await api.ok("POST", "/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed == {"sessions_ended": 1, "tokens_revoked": 1}
    async with Api(server.url, other_token) as other:
        assert (await other.get("/me")).status_code == 401
    assert (await api.get("/me")).status_code == 200  # the token that made the change stays
    assert signed_out(await replay(server, browser))
    assert (await api.post("/auth/token", json={"email": user["email"], "password": PASSWORD})).status_code == 401
    await api.ok("POST", "/auth/token", json={"email": user["email"], "password": NEW_PASSWORD})
    [event] = await events(db, "password.changed", user["id"])
    assert event.actor_id == user["id"] and PASSWORD not in str(event.payload) and NEW_PASSWORD not in str(event.payload)


async def test_a_password_change_needs_the_current_password_and_a_strong_new_one(quick_user):
    user, api = await quick_user("contributor")
    wrong = await api.post("/me/password", json={"current_password": "not-it-at-all", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and wrong.json()["errors"] == {"current_password": "wrong password"}
    weak = await api.post("/me/password", json={"current_password": PASSWORD, "new_password": "password1234"})
    assert weak.status_code == 422 and "too easy to guess" in weak.json()["errors"]["new_password"]
    assert (await api.get("/me")).status_code == 200


async def test_the_account_page_changes_the_password_and_keeps_this_browser(server, quick_user, browser_for):
    user, api = await quick_user("contributor")
    other = await browser_for(user["email"], PASSWORD)
    browser = await browser_for(user["email"], PASSWORD)
    weak = await browser.post("/account/password", {"current_password": PASSWORD, "new_password": "letmein12",
                                                    "confirm_password": "letmein12"})
    assert weak.status_code == 422 and "too easy to guess" in weak.text
    page = await browser.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                    "confirm_password": NEW_PASSWORD})
    assert page.status_code == 200, page.text
    assert "1 other session signed out and 1 API token revoked" in page.text
    assert (await browser.get("/account")).status_code == 200  # this browser got a fresh session
    assert signed_out(await replay(server, other))
    assert (await api.get("/me")).status_code == 401


async def test_weak_passwords_are_refused_when_users_are_made(ops):
    def body(password: str, role: str = "contributor") -> dict:
        return {"email": f"p-{uuid.uuid4().hex[:8]}@test.local", "name": "Pat Doe", "password": password, "role": role}

    common = await ops.post("/users", json=body("password1234"))
    assert common.status_code == 422 and "too easy to guess" in common.json()["errors"]["password"]
    short_ops = await ops.post("/users", json=body("vX9#kq2!Lm", role="ops"))
    assert short_ops.status_code == 422 and "at least 12 characters" in short_ops.json()["errors"]["password"]
    own_name = await ops.post("/users", json=body("PatDoe2024"))  # strong enough for zxcvbn, but for the name
    assert own_name.status_code == 422 and "too easy to guess" in own_name.json()["errors"]["password"]
    await ops.ok("POST", "/users", json=body(NEW_PASSWORD, role="ops"))


async def test_tokens_are_listed_without_secrets_and_revoked(server, quick_user, db):
    user, api = await quick_user("contributor")
    second = (await api.ok("POST", "/auth/token", json={"email": user["email"], "password": PASSWORD,
                                                         "name": "nightly export"}))["token"]
    listed = (await api.ok("GET", "/me/tokens"))["tokens"]
    assert [t["name"] for t in listed] == ["nightly export", "api"]
    assert [t["current"] for t in listed] == [False, True]
    assert set(listed[0]) == {"id", "name", "created_at", "last_used_at", "current"}
    assert listed[1]["last_used_at"] is not None  # this request used it
    assert second not in str(listed)
    async with Api(server.url, second) as other:
        assert (await other.get("/me")).status_code == 200  # in the cache, where there is one
        assert (await api.delete(f"/me/tokens/{listed[0]['id']}")).status_code == 204
        assert (await other.get("/me")).status_code == 401
    assert [t["name"] for t in (await api.ok("GET", "/me/tokens"))["tokens"]] == ["api"]
    [event] = await events(db, "token.revoked", listed[0]["id"])
    assert event.actor_id == user["id"]


async def test_nobody_revokes_another_persons_token_but_ops(quick_user, ops):
    alice, alice_api = await quick_user("contributor")
    _, bob_api = await quick_user("contributor")
    alice_token = (await alice_api.ok("GET", "/me/tokens"))["tokens"][0]
    assert (await bob_api.delete(f"/me/tokens/{alice_token['id']}")).status_code == 404
    assert (await bob_api.delete(f"/tokens/{alice_token['id']}")).status_code == 403
    assert (await bob_api.get(f"/users/{alice['id']}/tokens")).status_code == 403
    assert (await alice_api.get("/me")).status_code == 200
    assert [t["id"] for t in (await ops.ok("GET", f"/users/{alice['id']}/tokens"))["tokens"]] == [alice_token["id"]]
    assert (await ops.delete(f"/tokens/{alice_token['id']}")).status_code == 204
    assert (await alice_api.get("/me")).status_code == 401


async def test_deactivation_ends_everything_at_once_and_reactivation_lets_them_back(
        server, quick_user, ops, new_project, ws_url, browser_for, db):
    project = await new_project()
    user, api = await quick_user("client", project["id"])
    browser = await browser_for(user["email"], PASSWORD)
    async with connect(ws_url(project["id"]), additional_headers={"Authorization": f"Bearer {api.token}"}) as socket:
        await first_message(socket)
    deactivated = await ops.ok("POST", f"/users/{user['id']}/deactivate")
    assert deactivated["is_active"] is False
    assert (await api.get("/me")).status_code == 401
    assert signed_out(await replay(server, browser))
    await assert_refused(ws_url(project["id"]), {"Authorization": f"Bearer {api.token}"})
    refused = await api.post("/auth/token", json={"email": user["email"], "password": PASSWORD})
    assert refused.status_code == 403 and "deactivated" in refused.json()["error"]
    fresh = Browser(server.url)
    try:
        await fresh.get("/login")
        page = await fresh.post("/login", {"email": user["email"], "password": PASSWORD, "next": "/"})
        assert page.status_code == 403 and "This account is deactivated" in page.text
    finally:
        await fresh.aclose()
    [listed] = (await ops.ok("GET", "/users", params={"after": user["id"] - 1, "limit": 1}))["users"]
    assert listed["id"] == user["id"] and listed["is_active"] is False
    await ops.ok("POST", f"/users/{user['id']}/reactivate")
    assert (await api.get("/me")).status_code == 401  # old tokens stay revoked
    await ops.ok("POST", "/auth/token", json={"email": user["email"], "password": PASSWORD})
    assert [e.action for e in await events(db, "user.deactivated", user["id"])] == ["user.deactivated"]
    assert len(await events(db, "user.reactivated", user["id"])) == 1


async def test_ops_cannot_deactivate_themselves_and_others_cannot_deactivate(ops, quick_user):
    me = await ops.ok("GET", "/me")
    assert (await ops.post(f"/users/{me['id']}/deactivate")).status_code == 409
    user, api = await quick_user("contributor")
    assert (await api.post(f"/users/{user['id']}/deactivate")).status_code == 403
    assert (await ops.post(f"/users/{NOBODY}/deactivate")).status_code == 404


async def test_the_ops_users_page_deactivates_and_revokes(server, browser, quick_user):
    user, api = await quick_user("contributor")
    listing = await browser.get("/users")
    assert listing.status_code == 200 and f"/users/{user['id']}" in listing.text
    person = await browser.get(f"/users/{user['id']}")
    assert person.status_code == 200 and "Deactivate" in person.text and ">api<" in person.text
    token_id = (await api.ok("GET", "/me/tokens"))["tokens"][0]["id"]
    assert (await browser.post(f"/users/{user['id']}/tokens/{token_id}/revoke", {})).status_code == 303
    assert (await api.get("/me")).status_code == 401
    assert (await browser.post(f"/users/{user['id']}/deactivate", {})).status_code == 303
    assert "Reactivate" in (await browser.get(f"/users/{user['id']}")).text
    assert (await browser.post(f"/users/{user['id']}/reactivate", {})).status_code == 303


# -- other processes -----------------------------------------------------------------------------------

@pytest.fixture
async def cli(settings, monkeypatch):
    """``inkwell`` commands against the test database, run as an operator would (own runtime, own
    channels: with Redis they announce through it), off the test's event loop."""
    from app.cli import main

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    if settings.redis_url:
        monkeypatch.setenv("REDIS_URL", settings.redis_url)
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)

    async def run(*args: str) -> str:
        result = await asyncio.to_thread(CliRunner().invoke, main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return run


async def test_the_cli_lists_and_revokes_tokens_and_deactivates(cli, quick_user, ops):
    user, api = await quick_user("contributor")
    assert (await api.get("/me")).status_code == 200  # now in the web process's cache, where there is one
    listed = await cli("tokens", "list", "--email", user["email"])
    token_id = int(listed.split("\t", 1)[0])
    assert "\tapi\t" in listed and api.token not in listed
    assert "revoked" in await cli("tokens", "revoke", str(token_id))
    assert (await api.get("/me")).status_code == 401
    second = (await ops.ok("POST", "/auth/token", json={"email": user["email"], "password": PASSWORD}))["token"]
    async with Api(api.base_url, second) as again:
        assert (await again.get("/me")).status_code == 200
        assert "deactivated" in await cli("users", "deactivate", user["email"])
        assert (await again.get("/me")).status_code == 401
    assert "active" in await cli("users", "reactivate", user["email"])
    await ops.ok("POST", "/auth/token", json={"email": user["email"], "password": PASSWORD})


async def test_the_cli_refuses_a_weak_password_and_a_reset_ends_access(cli, quick_user):
    from app.cli import main

    user, api = await quick_user("contributor")
    weak = await asyncio.to_thread(CliRunner().invoke, main, ["users", "set-password", user["email"],
                                                              "--password", "password1234"])
    assert weak.exit_code == 1 and "too easy to guess" in weak.output
    assert (await api.get("/me")).status_code == 200
    assert "1 API tokens revoked" in await cli("users", "set-password", user["email"], "--password", NEW_PASSWORD)
    assert (await api.get("/me")).status_code == 401


@pytest.mark.skipif(backend() != "postgres", reason="several web processes need the scale-out backend")
async def test_a_revocation_on_one_process_is_refused_on_another_at_the_next_request(settings, server, quick_user, ops):
    second = ServerThread(dataclasses.replace(settings)).start()
    try:
        user, api = await quick_user("contributor")
        async with Api(second.url, api.token) as on_second, Api(second.url, ops.token) as ops_on_second:
            assert (await api.get("/me")).status_code == 200 and (await on_second.get("/me")).status_code == 200
            token_id = (await on_second.ok("GET", "/me/tokens"))["tokens"][0]["id"]
            assert (await on_second.delete(f"/me/tokens/{token_id}")).status_code == 204
            assert (await api.get("/me")).status_code == 401  # process 1 had it cached
            token = (await ops.ok("POST", "/auth/token", json={"email": user["email"], "password": PASSWORD}))["token"]
            async with Api(server.url, token) as again:
                assert (await again.get("/me")).status_code == 200
                await ops_on_second.ok("POST", f"/users/{user['id']}/deactivate")
                assert (await again.get("/me")).status_code == 401
    finally:
        second.stop()


async def test_a_hash_made_with_older_parameters_is_brought_up_to_date_at_sign_in(server, quick_user, db):
    from argon2 import PasswordHasher
    from sqlalchemy import select, update

    from app.accounts.models import User

    user, api = await quick_user("contributor")
    older = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)  # argon2-cffi's default
    async with db.transaction() as session:
        await session.execute(update(User).where(User.id == user["id"]).values(password_hash=older))
    await api.ok("POST", "/auth/token", json={"email": user["email"], "password": PASSWORD})
    async with db.transaction() as session:
        stored = (await session.execute(select(User.password_hash).where(User.id == user["id"]))).scalar_one()
    assert stored != older and "m=47104,t=1,p=1" in stored
    await api.ok("POST", "/auth/token", json={"email": user["email"], "password": PASSWORD})  # still theirs
    assert (await api.post("/auth/token", json={"email": user["email"], "password": "wrong-" + PASSWORD})).status_code == 401
