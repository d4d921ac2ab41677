"""Browser tests: the real app in its own process(es), driven by Chromium through Playwright.

Run them in their own pytest invocation (``make test-e2e``): sync Playwright and
pytest-asyncio do not mix in one process.

- INKWELL_TEST_BACKEND=sqlite (default): one ``inkwell serve`` process on a fresh SQLite file.
- INKWELL_TEST_BACKEND=postgres: two ``inkwell serve`` processes on different ports sharing a
  fresh PostgreSQL database (INKWELL_E2E_DATABASE_URL, default .../inkwell_e2e) and a Redis
  (INKWELL_E2E_REDIS_URL, else a private redis-server on a free port), so a test can watch a push
  cross from one process to the other.

Cookies keep the production default (``Secure``): Chromium treats http://127.0.0.1 as a
secure context and stores and sends Secure cookies there. INKWELL_E2E_SECURE_COOKIES=false
turns them off. Everything the tests need is made through the public API, except the first
ops user, which is made straight in the database (there is no API user yet to make one).

On a failure, a screenshot of every open page goes to /tmp/inkwell-e2e/ and the tail of each
server log is attached to the report.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import ROOT, normalise_database_url
from tests.support import TLS, backend, free_port


BIN = ROOT / ".venv" / "bin"
CHROMIUM = os.environ.get("INKWELL_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("INKWELL_E2E_ARTIFACTS", "/tmp/inkwell-e2e"))
PASSWORD = "quiet-lantern-42"
SECURE_COOKIES = os.environ.get("INKWELL_E2E_SECURE_COOKIES", "true").strip().lower() in {"1", "true", "yes", "on"}

INTERFACE = [
    {"name": "sentiment", "type": "choice", "options": ["pos", "neg", "neu"]},
    {"name": "flags", "type": "multi_choice", "options": ["sarcasm", "spam"], "required": False},
    {"name": "rationale", "type": "text", "required": False, "max_length": 200},
]

#: Quality controls cannot be switched off: the quietest a project can launch with. The benchmark is
#: one gold item (GOLD_ITEM), so a new contributor's first task is that item; answered right, every
#: later task is production work, in import order (embedded gold has no unseen gold item to use).
QUALITY = {"benchmark": {"size": 1, "pass_threshold": 0.5},
           "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]}
GOLD_TEXT = "gold check"
GOLD_ITEM = {"data": {"text": GOLD_TEXT}, "gold": {"sentiment": "pos"}, "explanation": "It is positive."}

_counter = itertools.count(1)


def pytest_addoption(parser, pluginmanager) -> None:
    """With ``-p no:asyncio`` pyproject's pytest-asyncio settings are unknown: declare them, unused,
    rather than warn about them on every run."""
    if not pluginmanager.has_plugin("asyncio"):
        for name in ("asyncio_mode", "asyncio_default_fixture_loop_scope", "asyncio_default_test_loop_scope"):
            parser.addini(name, "pytest-asyncio's setting; unused by the browser tests (run with -p no:asyncio)")


# --------------------------------------------------------------------------- servers

@dataclass
class Server:
    """One ``inkwell serve`` process."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(BIN / "inkwell"), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1, verify=TLS) as probe:  # one client: each new one loads the CA file
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server {self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if probe.get(self.url + "/healthz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"server {self.name} did not answer /healthz in {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class Deployment:
    servers: list[Server]
    database_url: str
    secure_cookies: bool
    ops_token: str

    @property
    def server(self) -> Server:
        return self.servers[0]


def _server_env(database_url: str, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env.update(DATABASE_URL=database_url, SECRET_KEY="e2e-secret-key-for-inkwell-browser-tests",
               SECURE_COOKIES="true" if SECURE_COOKIES else "false", LEASE_SECONDS="900", PYTHONUNBUFFERED="1")
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


async def _make_first_ops(database_url: str) -> str:
    """The first ops user, straight in the database (there is no API user yet to make one); its token."""
    from app.accounts.service import create_user, issue_token
    from app.db import Database

    db = Database(database_url)
    try:
        async with db.transaction() as session:
            user = await create_user(session, email="root-ops@e2e.local", name="Root Ops", password=PASSWORD,
                                     role="ops")
            return await issue_token(session, user)
    finally:
        await db.dispose()


class Boot(threading.Thread):
    """Migrate, start the server process(es), make the first ops user and wait for the servers,
    in the background: the browser starts meanwhile (each takes a few seconds)."""

    def __init__(self, folder: Path):
        super().__init__(daemon=True)
        self.folder = folder
        self.servers: list[Server] = []
        self.redis: subprocess.Popen | None = None
        self.deployment: Deployment | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            if backend() == "postgres":
                from tests.support import _recreate_postgres_database

                database_url = os.environ.get("INKWELL_E2E_DATABASE_URL",
                                              "postgresql://postgres@127.0.0.1:5432/inkwell_e2e")
                redis_url = os.environ.get("INKWELL_E2E_REDIS_URL") or self._private_redis()
                asyncio.run(_recreate_postgres_database(normalise_database_url(database_url).replace("+asyncpg", "")))
                names = ["a", "b"]
            else:
                database_url, redis_url, names = f"sqlite:///{self.folder / 'e2e.db'}", None, ["a"]
            env = _server_env(database_url, redis_url)
            migrate = subprocess.run([str(BIN / "inkwell"), "migrate"], cwd=ROOT, env=env, capture_output=True,
                                     text=True)
            if migrate.returncode != 0:
                raise RuntimeError(f"inkwell migrate failed:\n{migrate.stdout}\n{migrate.stderr}")
            self.servers = [Server(name, env, self.folder / f"server-{name}.log").start() for name in names]
            ops_token = asyncio.run(_make_first_ops(normalise_database_url(database_url)))  # while they start
            for server in self.servers:
                server.wait_ready()
            self.deployment = Deployment(self.servers, normalise_database_url(database_url), SECURE_COOKIES,
                                         ops_token)
        except BaseException as exc:  # reported in the test's thread
            self.error = exc

    def _private_redis(self) -> str:
        """A Redis of our own when redis-server is at hand: pub/sub channels are global to a Redis
        server whatever the database number, so a shared one would show another run's project 1
        on this run's project 1 board."""
        binary = shutil.which("redis-server")
        if binary is None:
            return "redis://127.0.0.1:6379/14"
        port = free_port()
        self.redis = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return f"redis://127.0.0.1:{port}/0"
            except OSError:
                if time.monotonic() > deadline or self.redis.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.join()
        for server in self.servers:
            server.stop()
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=10)

    def result(self) -> Deployment:
        self.join()
        if self.error is not None:
            raise self.error
        return self.deployment


@pytest.fixture(scope="session")
def boot(tmp_path_factory):
    for needed, how in ((ROOT / "static" / "vendor" / "htmx.min.js", "build the front-end first: make assets"),
                        (Path(CHROMIUM), "set INKWELL_E2E_CHROMIUM to a Chromium binary")):
        if not needed.exists():
            pytest.fail(f"{needed} is missing: {how}", pytrace=False)
    boot = Boot(tmp_path_factory.mktemp("inkwell-e2e"))
    boot.start()
    yield boot
    boot.stop()


@pytest.fixture(scope="session")
def deployment(boot, browser) -> Deployment:
    """The app, migrated and answering; asks for the browser first so both start together."""
    return boot.result()


@pytest.fixture(scope="session")
def server(deployment) -> Server:
    return deployment.server


# --------------------------------------------------------------------------- the public API

class Api:
    """A program speaking the public JSON API with a bearer token."""

    def __init__(self, base_url: str, token: str):
        self.http = httpx.Client(base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"},
                                 timeout=30, verify=TLS)

    def ok(self, method: str, path: str, **kwargs) -> Any:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code in (200, 201), f"{method} {path} -> {response.status_code}: {response.text}"
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="session")
def ops(deployment) -> Api:
    """An API client holding the first ops user's token."""
    api = Api(deployment.server.url, deployment.ops_token)
    yield api
    api.close()


@dataclass
class Person:
    id: int
    email: str
    name: str
    password: str = PASSWORD


@pytest.fixture
def new_user(ops):
    """Make a user through the API, optionally a member of a project."""

    def make(role: str = "contributor", project: dict | None = None) -> Person:
        n = next(_counter)
        email = f"{role}-{n}-{uuid.uuid4().hex[:6]}@e2e.local"
        user = ops.ok("POST", "/users", json={"email": email, "name": f"{role.title()} {n}", "password": PASSWORD,
                                             "role": role})
        if project is not None and role != "ops":
            ops.ok("POST", f"/projects/{project['id']}/members", json={"user_id": user["id"], "role": role})
        return Person(user["id"], email, user["name"])

    return make


@pytest.fixture
def api_as(deployment):
    """An API client signed in as ``person`` (their own bearer token)."""
    opened: list[Api] = []

    def make(person: Person) -> Api:
        token = httpx.post(deployment.server.url + "/api/v1/auth/token", timeout=30,
                           json={"email": person.email, "password": person.password}).json()["token"]
        opened.append(Api(deployment.server.url, token))
        return opened[-1]

    yield make
    for api in opened:
        api.close()


@pytest.fixture
def new_project(ops):
    """Make a project through the API; items go into batch ``batch``; launched by default."""

    def make(items: list[dict] | int = 3, *, batch: str = "b1", launch: bool = True, interface=None,
             gold: dict = GOLD_ITEM, **fields) -> dict:
        body = {"name": f"E2E project {next(_counter)}", "purpose": "Check the production loop in a browser",
                "guidelines": "# Sentiment\n\nPick the **overall** sentiment of the text.", "overlap": 1,
                "interface": interface or INTERFACE, "quality": QUALITY} | fields
        project = ops.ok("POST", "/projects", json=body)
        records = [{"text": f"item {i}"} for i in range(items)] if isinstance(items, int) else items
        if records:
            ops.ok("POST", f"/projects/{project['id']}/items", params={"batch": batch}, json=records)
        ops.ok("POST", f"/projects/{project['id']}/items", params={"batch": "gold"}, json=[gold])
        if launch:
            ops.ok("POST", f"/projects/{project['id']}/launch")
        return project

    return make


# --------------------------------------------------------------------------- the browser

@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance, boot):
    from playwright.sync_api import expect

    expect.set_options(timeout=5_000)
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def sign_in(browser, server, request):
    """Sign a person in through the real login form, in a browser context of their own.

    Returns the page, on the projects list. Every page opened this way is closed after the
    test, with a screenshot first if the test failed. Any page of theirs that breaks the
    Content-Security-Policy (an inline script or style, an eval) fails the test."""
    from playwright.sync_api import expect

    contexts = []
    violations: list[str] = []

    def watch_policy(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def do(person: Person, base_url: str | None = None):
        context = browser.new_context(base_url=base_url or server.url, viewport={"width": 1280, "height": 860})
        context.on("console", watch_policy)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(person.email)
        page.get_by_label("Password").fill(person.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Projects")).to_be_visible()
        expect(page.locator(".whoami")).to_contain_text(person.name)
        return page

    yield do
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for n, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for m, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{n}-{m}.png"), full_page=True)
                except Exception:  # a screenshot must not hide the real failure
                    pass
        context.close()
    if violations:
        pytest.fail("the Content-Security-Policy was broken:\n" + "\n".join(violations), pytrace=False)


@pytest.fixture
def at_work(sign_in, new_user, new_project, api_as):
    """A contributor past a one-item benchmark (answered right through the API), on the workspace of
    a project of ``items`` with ``interface``: returns (project, person, their Api, the page)."""

    def make(items: list[dict], interface: list[dict], gold: dict):
        project = new_project(items=items, interface=interface, gold=gold)
        person = new_user("contributor", project)
        api = api_as(person)
        lease = api.ok("POST", f"/projects/{project['id']}/next")["assignment"]
        api.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": gold["gold"]})  # the benchmark
        page = sign_in(person)
        page.goto(f"/projects/{project['id']}/work")
        return project, person, api, page

    return make


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.failed and "deployment" in getattr(item, "funcargs", {}):
        for server in item.funcargs["deployment"].servers:
            report.sections.append((f"server {server.name} log (tail)", server.log_tail()))
    return report


# --------------------------------------------------------------------------- the network

class NetworkCut:
    """A TCP forwarder in front of a server that a test can cut, as a dropped network would.

    ``cut()`` tears down every connection through it (no WebSocket close frame: the browser sees
    1006, abnormal closure, and htmx's ws extension starts reconnecting) and parks new connections
    without answering; ``restore()`` lets the parked ones through to the server."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.up = threading.Event()
        self.up.set()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        self.up.wait()
        if self.closed:
            return self._kill(client)
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            return self._kill(client)
        self._track(upstream)
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream)

    def _track(self, sock: socket.socket) -> None:
        with self.lock:
            self.connections.add(sock)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._kill(source)
        self._kill(sink)

    def _kill(self, sock: socket.socket) -> None:
        with self.lock:
            self.connections.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def cut(self) -> None:
        self.up.clear()
        with self.lock:
            live = list(self.connections)
        for sock in live:
            self._kill(sock)

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.closed = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in the other thread
        except OSError:
            pass
        self.listener.close()
        self.cut()
        self.up.set()


@pytest.fixture
def network_cut(server):
    """A cuttable way to the (first) server: open a page through ``cut.url`` to be able to cut it."""
    cut = NetworkCut(server.port)
    yield cut
    cut.close()


# --------------------------------------------------------------------------- page helpers

def board_counts(page) -> dict[str, int]:
    """The numbers on the board's tiles, by their data-count name."""
    return {k: int(v) for k, v in page.eval_on_selector_all(
        "#board [data-count]", "els => els.map(e => [e.dataset.count, e.textContent.trim()])")}


def batch_row(page, name: str) -> dict[str, str]:
    headers = [h.strip().lower() for h in page.locator("#board table.batches th").all_text_contents()]
    cells = [c.strip() for c in page.locator(f'#board tr[data-batch="{name}"] td').all_text_contents()]
    return dict(zip(headers, cells))


def task_id(page) -> int:
    text = page.locator("#task .task-head").inner_text()
    return int(re.search(r"Task #(\d+)", text).group(1))


@pytest.fixture(scope="session", autouse=True)
def _clean_artifacts() -> None:
    """Screenshots in ARTIFACTS are from this run's failures only."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
