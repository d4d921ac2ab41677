"""Integration fixtures: the real app served by uvicorn on the backend under test.

INKWELL_TEST_BACKEND=sqlite (default: SQLite file + in-memory channels) or
postgres (PostgreSQL + Redis). Each test makes its own project and people, so
tests never depend on each other's data.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx
import pytest

from tests.support import TLS, ServerThread, reset_database, test_settings

_counter = itertools.count(1)
ROOT_EMAIL, ROOT_PASSWORD = "root-ops@test.local", "root-quiet-lantern-42"


@pytest.fixture(scope="session")
def settings():
    settings = test_settings()
    reset_database(settings)
    return settings


@pytest.fixture(scope="session")
def server(settings):
    server = ServerThread(settings).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def admin_token(settings, server) -> str:
    """A global ops user made directly in the database (there is no API user yet to make one)."""
    import asyncio

    from app.accounts.service import create_user, issue_token
    from app.db import Database

    async def make() -> str:
        db = Database(settings.database_url)
        async with db.transaction() as session:
            user = await create_user(session, email=ROOT_EMAIL, name="Root Ops", password=ROOT_PASSWORD,
                                     role="ops")
            token = await issue_token(session, user)
        await db.dispose()
        return token

    return asyncio.run(make())


class Api:
    """A thin client speaking the public API as an outside program would."""

    def __init__(self, base_url: str, token: str | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=base_url + "/api/v1", headers=headers, timeout=30, verify=TLS)
        self.base_url = base_url
        self.token = token

    async def __aenter__(self) -> "Api":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.aclose()

    def __getattr__(self, method: str):
        return getattr(self.http, method)

    async def ok(self, method: str, path: str, status: int | tuple[int, ...] = (200, 201), **kwargs) -> Any:
        response = await self.http.request(method, path, **kwargs)
        expected = status if isinstance(status, tuple) else (status,)
        assert response.status_code in expected, f"{method} {path} -> {response.status_code}: {response.text}"
        return response.json() if response.content else None


@pytest.fixture
async def ops(server, admin_token):
    async with Api(server.url, admin_token) as api:
        yield api


@pytest.fixture
async def new_user(server, ops, settings):
    """Create a user with a role; returns (user json, Api signed in as them)."""
    opened: list[Api] = []

    async def make(role: str = "contributor", project_id: int | None = None, *,
                   qualified: bool = True) -> tuple[dict, Api]:
        n = next(_counter)
        email = f"{role}-{n}-{uuid.uuid4().hex[:6]}@test.local"
        user = await ops.ok("POST", "/users", json={"email": email, "name": f"{role.title()} {n}",
                                                  "password": "quiet-lantern-42", "role": role})
        token = (await ops.ok("POST", "/auth/token", json={"email": email, "password": "quiet-lantern-42"}))["token"]
        await join(ops, settings.database_url, project_id, user["id"], role, qualified)
        api = Api(server.url, token)
        opened.append(api)
        return user, api

    yield make
    for api in opened:
        await api.http.aclose()


SENTIMENT_INTERFACE = [
    {"name": "sentiment", "type": "choice", "options": ["pos", "neg", "neu"]},
    {"name": "rationale", "type": "text", "required": False, "max_length": 200},
]
#: Quality controls cannot be switched off; these are the quietest ones a test project can launch with.
QUIET_QUALITY = {"benchmark": {"size": 1, "pass_threshold": 0.5},
                 "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]}
GOLD_BATCH = "gold"


@pytest.fixture
def new_project(ops):
    """Create a project (optionally with items, launched). Launching also imports one gold item
    (answer ``gold_answer``, in batch "gold") so the launch gate is satisfied."""

    async def make(*, items: int = 0, overlap: int = 1, launch: bool = False, interface=None,
                   batch: str = "b1", gold_answer: dict | None = None, **fields) -> dict:
        body = {"name": f"Project {next(_counter)}", "purpose": "Test the production loop",
                "guidelines": "# Label the sentiment", "overlap": overlap,
                "interface": interface or SENTIMENT_INTERFACE, "quality": QUIET_QUALITY} | fields
        project = await ops.ok("POST", "/projects", json=body)
        if items:
            await ops.ok("POST", f"/projects/{project['id']}/items", params={"batch": batch},
                         json=[{"text": f"item {i}"} for i in range(items)])
        if launch:
            answer = gold_answer or {"sentiment": "pos"}
            await ops.ok("POST", f"/projects/{project['id']}/items", params={"batch": GOLD_BATCH},
                         json=[{"data": {"text": "gold check"}, "gold": answer, "explanation": "It is positive."}])
            await ops.ok("POST", f"/projects/{project['id']}/launch")
            project["gold_answer"] = answer
        return project

    return make


async def join(ops: "Api", database_url: str, project_id: int | None, user_id: int, role: str, qualified: bool) -> None:
    """Make the person a member through the API; a contributor also passes the gate unless asked not to."""
    if project_id is None or role == "ops":
        return
    await ops.ok("POST", f"/projects/{project_id}/members", json={"user_id": user_id, "role": role})
    if role == "contributor" and qualified:
        await qualify(database_url, project_id, [user_id])


async def qualify(database_url: str, project_id: int, user_ids: list[int]) -> None:
    """Put contributors past the benchmark gate as if they had passed it: qualified, with every gold
    item of the project already seen, so they get production items deterministically. The gate itself
    is tested through the API in test_quality_*.py."""
    from sqlalchemy import select

    from app.db import Database
    from app.items.models import Item
    from app.models_base import utcnow
    from app.projects.models import Project
    from app.quality.models import Standing
    from app.work.models import BENCHMARK, Assignment

    db = Database(database_url)
    async with db.transaction() as session:
        gold = (await session.execute(select(Item.id, Item.batch_id).where(Item.project_id == project_id,
                                                                           Item.is_gold.is_(True)))).all()
        now = utcnow()
        version = (await session.execute(select(Project.guideline_version).where(Project.id == project_id))).scalar_one()
        for user_id in user_ids:
            session.add(Standing(project_id=project_id, user_id=user_id, state="qualified", window_start_at=now,
                                 gate_score=1.0, gate_decided_at=now, guidelines_acknowledged=version))
            for item_id, batch_id in gold:
                session.add(Assignment(project_id=project_id, batch_id=batch_id, item_id=item_id, user_id=user_id,
                                       stage=BENCHMARK, round=1, slot=user_id, state="submitted", leased_at=now,
                                       expires_at=now, finished_at=now))
    await db.dispose()


@pytest.fixture
def crowd(settings, server):
    """Many contributors at once, made straight in the database (argon2 per person would take
    minutes); each gets a real API token and membership, exactly as the API would make them."""

    async def make(project_id: int, count: int) -> list[Api]:
        from app.accounts.models import Membership, User
        from app.accounts.passwords import hash_password
        from app.accounts.service import issue_token
        from app.db import Database

        db = Database(settings.database_url)
        password_hash = hash_password("quiet-lantern-42")
        tokens, ids = [], []
        async with db.transaction() as session:
            for _ in range(count):
                user = User(email=f"crowd-{uuid.uuid4().hex}@test.local", name="Crowd", password_hash=password_hash)
                session.add(user)
                await session.flush()
                session.add(Membership(project_id=project_id, user_id=user.id, role="contributor"))
                tokens.append(await issue_token(session, user))
                ids.append(user.id)
        await db.dispose()
        await qualify(settings.database_url, project_id, ids)
        return [Api(server.url, token) for token in tokens]

    return make


@pytest.fixture
async def db(settings, server):
    """A direct connection to the server's database, for checking what was (not) stored."""
    from app.db import Database

    database = Database(settings.database_url)
    yield database
    await database.dispose()


@pytest.fixture
def ws_url(server):
    """The WebSocket address of a project's live board."""

    def make(project_id: int) -> str:
        return server.url.replace("http://", "ws://", 1) + f"/ws/projects/{project_id}/board"

    return make


@pytest.fixture(scope="session")
def shared_password_hash() -> str:
    from app.accounts.passwords import hash_password

    return hash_password("quiet-lantern-42")


@pytest.fixture
async def quick_user(server, ops, db, shared_password_hash):
    """Like ``new_user`` (same return value, same password), without two argon2 rounds per person:
    the user and token are made in the database (as ``crowd`` does); membership still goes through
    the API. Use ``new_user`` where making the user through the API is what is being tested."""
    from app.accounts.models import User
    from app.accounts.service import issue_token

    opened: list[Api] = []

    async def make(role: str = "contributor", project_id: int | None = None, *,
                   qualified: bool = True) -> tuple[dict, Api]:
        n = next(_counter)
        email = f"{role}-{n}-{uuid.uuid4().hex[:6]}@test.local"
        async with db.transaction() as session:
            user = User(email=email, name=f"{role.title()} {n}", password_hash=shared_password_hash,
                        is_ops=role == "ops")
            session.add(user)
            await session.flush()
            token = await issue_token(session, user)
            made = {"id": user.id, "email": email, "name": user.name, "is_ops": user.is_ops, "role": role}
        await join(ops, db.url, project_id, made["id"], role, qualified)
        api = Api(server.url, token)
        opened.append(api)
        return made, api

    yield make
    for api in opened:
        await api.http.aclose()


class Browser:
    """A signed-in browser session: cookies kept, forms posted with the CSRF token from the cookie."""

    def __init__(self, base_url: str):
        self.http = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=30, verify=TLS)

    async def login(self, email: str, password: str) -> "Browser":
        page = await self.http.get("/login")
        assert page.status_code == 200
        response = await self.http.post("/login", data={"email": email, "password": password, "next": "/",
                                                          "_csrf_token": self.csrf})
        assert response.status_code == 303, response.text
        return self

    @property
    def csrf(self) -> str:
        return self.http.cookies["csrftoken"]

    async def get(self, path: str, **kwargs) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    async def post(self, path: str, data: dict | list | None = None, *, files=None, htmx: bool = False,
                   csrf: bool = True) -> httpx.Response:
        """A form post; ``data`` may be a list of pairs to repeat a name. htmx posts send the header instead."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        headers = {}
        if htmx:
            headers = {"HX-Request": "true", "x-csrftoken": self.csrf} if csrf else {"HX-Request": "true"}
        elif csrf:
            pairs.append(("_csrf_token", self.csrf))
        if files is not None:  # multipart: httpx takes repeated names only as a dict of lists
            fields: dict[str, list[str]] = {}
            for key, value in pairs:
                fields.setdefault(key, []).append(value)
            return await self.http.post(path, data=fields, files=files, headers=headers)
        return await self.http.post(path, content=str(httpx.QueryParams(pairs)).encode(),
                                    headers=headers | {"content-type": "application/x-www-form-urlencoded"})

    async def aclose(self) -> None:
        await self.http.aclose()


@pytest.fixture
async def browser(server, admin_token):
    """Root ops (global ops), signed in through the form."""
    b = await Browser(server.url).login(ROOT_EMAIL, ROOT_PASSWORD)
    yield b
    await b.aclose()


@pytest.fixture
async def browser_for(server):
    opened: list[Browser] = []

    async def make(email: str, password: str = "quiet-lantern-42") -> Browser:
        b = await Browser(server.url).login(email, password)
        opened.append(b)
        return b

    yield make
    for b in opened:
        await b.aclose()
