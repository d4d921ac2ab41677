"""`make run`'s demo (inkwell seed): both programs live, and a newcomer can work the grading one at once."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest

from app.db import Database
from app.seed import seed_demo
from tests import support
from tests.support import ServerThread, reset_database


@pytest.fixture(scope="module")
def seeded():
    folder = Path(tempfile.mkdtemp(prefix="inkwell-seed-"))
    settings = support.test_settings(database_url=f"sqlite+aiosqlite:///{folder / 'demo.db'}", redis_url=None)
    reset_database(settings)
    return settings


async def test_the_demo_seeds_two_live_programs_and_the_grading_one_can_be_worked(seeded):
    db = Database(seeded.database_url)
    created = await seed_demo(db)
    await db.dispose()
    passwords = {email: password for email, _, password in created}
    server = ServerThread(seeded).start()
    try:
        async with httpx.AsyncClient(base_url=server.url + "/api/v1", timeout=30) as client:
            token = (await client.post("/auth/token", json={"email": "alice@inkwell.local",
                                                           "password": passwords["alice@inkwell.local"]})).json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            projects = {p["name"]: p for p in (await client.get("/projects")).json()}
            assert {"Support-ticket triage", "Assistant answer grading"} <= set(projects)
            grading = projects["Assistant answer grading"]
            assert grading["status"] == "live"
            kinds = [(part["name"], part["type"]) for part in grading["interface"]]
            assert kinds == [("graded", "prompt_response"), ("candidates", "responses"), ("better", "pairwise"),
                             ("grade", "rubric"), ("claims", "claims")]
            # The benchmark gate hands a gold item like any other: prompt and two responses, no gold.
            lease = (await client.post(f"/projects/{grading['id']}/next")).json()["assignment"]
            data = lease["item"]["data"]
            assert data["prompt"] and set(data["responses"]) == {"r1", "r2"}
            assert "gold" not in str(lease).lower()
    finally:
        server.stop()
