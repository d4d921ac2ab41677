"""Password guessing is throttled: per account and per client address, 429 with Retry-After before
any password is checked, every refused password an ``auth.failed`` event, and the real person on a
browser that signed in before is not locked out by someone hammering their account.

A server of its own with low limits (the rest of the suite runs with limits it never reaches);
its counters are emptied before each test, since every request here comes from 127.0.0.1."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from sqlalchemy import select

from app.accounts.throttle import SignInThrottle
from app.events.models import Event
from tests.integration.conftest import Browser
from tests.support import ServerThread

PASSWORD = "quiet-lantern-42"  # quick_user's
ACCOUNT_LIMIT, ADDRESS_LIMIT = 3, 6


@pytest.fixture(scope="module")
def limited(settings, server):
    """The same database (and Redis) as the suite's server, with the limits low enough to reach."""
    own = ServerThread(dataclasses.replace(settings, sign_in_limit_account=f"{ACCOUNT_LIMIT}/minute;20/hour",
                                           sign_in_limit_address=f"{ADDRESS_LIMIT}/minute")).start()
    yield own
    own.stop()


@pytest.fixture
async def anonymous(limited):
    throttle = limited.app.state.sign_in_throttle
    if limited.app.state.settings.redis_url:  # the server's Redis client belongs to its own event loop
        throttle = SignInThrottle(limited.app.state.settings)
    await throttle.limiter.storage.reset()
    async with httpx.AsyncClient(base_url=limited.url + "/api/v1", timeout=30) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/auth/token", json={"email": email, "password": password})


async def failures(db, email: str) -> list[Event]:
    async with db.transaction() as session:
        rows = (await session.execute(select(Event).where(Event.action == "auth.failed").order_by(Event.id))).scalars()
        return [event for event in rows if event.payload.get("email") == email]


async def test_wrong_passwords_for_one_account_are_throttled_with_retry_after(anonymous, quick_user, db):
    user, _ = await quick_user("contributor")
    other, _ = await quick_user("contributor")
    for n in range(ACCOUNT_LIMIT):
        assert (await sign_in(anonymous, user["email"], f"guess-{n}")).status_code == 401
    throttled = await sign_in(anonymous, user["email"], PASSWORD)  # even the right one, now
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["retry-after"]) <= 60
    assert f"try again in {throttled.headers['retry-after']} seconds" in throttled.json()["error"]
    assert (await sign_in(anonymous, f"  {user['email'].upper()} ", PASSWORD)).status_code == 429  # one account
    assert (await sign_in(anonymous, other["email"], PASSWORD)).status_code == 200  # others are not affected
    recorded = await failures(db, user["email"])
    assert len(recorded) == ACCOUNT_LIMIT  # the throttled attempts cost no event
    assert all(e.subject_id == user["id"] and e.payload == {"email": user["email"], "address": "127.0.0.1"}
               for e in recorded)


async def test_an_unknown_email_is_recorded_and_throttled_alike(anonymous, db):
    email = "nobody-here@test.local"
    for n in range(ACCOUNT_LIMIT):
        assert (await sign_in(anonymous, email, f"guess-{n}")).status_code == 401
    assert (await sign_in(anonymous, email, "guess")).status_code == 429
    recorded = await failures(db, email)
    assert recorded and recorded[-1].subject_id is None


async def test_one_address_guessing_many_accounts_is_throttled(anonymous, quick_user):
    for n in range(ADDRESS_LIMIT):
        assert (await sign_in(anonymous, f"spray-{n}@test.local", "Summer2026!")).status_code == 401
    user, _ = await quick_user("contributor")
    refused = await sign_in(anonymous, user["email"], PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


async def test_signing_in_right_is_never_counted(anonymous, quick_user):
    user, _ = await quick_user("contributor")
    for _ in range(ACCOUNT_LIMIT + 2):
        assert (await sign_in(anonymous, user["email"], PASSWORD)).status_code == 200


async def test_the_sign_in_page_says_when_to_try_again(anonymous, limited, quick_user):
    user, _ = await quick_user("contributor")
    page = Browser(limited.url)
    try:
        await page.get("/login")
        for n in range(ACCOUNT_LIMIT):
            wrong = await page.post("/login", {"email": user["email"], "password": f"guess-{n}", "next": "/"})
            assert wrong.status_code == 401 and "Wrong email or password." in wrong.text
        throttled = await page.post("/login", {"email": user["email"], "password": PASSWORD, "next": "/"})
        assert throttled.status_code == 429
        assert f"Try again in {throttled.headers['retry-after']} seconds." in throttled.text
        assert user["email"] in throttled.text  # what was typed is kept
    finally:
        await page.aclose()


async def test_a_browser_that_signed_in_before_is_not_locked_out_by_someone_else(anonymous, limited, quick_user):
    user, _ = await quick_user("contributor")
    own = await Browser(limited.url).login(user["email"], PASSWORD)
    try:
        assert (await own.post("/logout", {})).status_code == 303
        for n in range(ADDRESS_LIMIT):  # someone hammers the account (from the same address, even)
            await sign_in(anonymous, user["email"], f"guess-{n}")
        assert (await sign_in(anonymous, user["email"], PASSWORD)).status_code == 429
        await own.get("/login")
        again = await own.post("/login", {"email": user["email"], "password": PASSWORD, "next": "/"})
        assert again.status_code == 303, again.text
    finally:
        await own.aclose()
