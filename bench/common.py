"""Shared plumbing for the benchmarks: databases, a real server, people, clients, numbers.

What is here
------------
* ``prepare_target(backend)``: a fresh, migrated database for ``sqlite`` (a new
  temporary file, in-memory channels) or ``postgres`` (database ``inkwell_bench``
  dropped and created again with asyncpg, Redis db 14), migrated with the real
  ``inkwell migrate`` in a subprocess. PostgreSQL runs take a machine-wide file
  lock first, so two benchmarks never recreate ``inkwell_bench`` under each other.
* ``Server``: the real ``inkwell serve --workers N`` as a subprocess on a free
  loopback port (its log goes to a file next to the database), stopped by
  sending SIGTERM to its own process group (then SIGKILL after a timeout).
* ``make_ops`` / ``make_people``: an ops user (one argon2 hash) and many
  members with real API tokens, written straight into the database the way
  ``tests/integration/conftest.py``'s ``crowd`` fixture does (argon2 per person
  is slow on purpose, and is not what is being measured).
* ``RawHttp``: a minimal keep-alive HTTP/1.1 client on asyncio streams (one
  connection, one request at a time). It costs the client far less CPU than
  httpx, which matters on a 2-core machine where client and server share the
  cores; ``HttpxClient`` has the same interface for comparison.
* ``summary`` / ``pct``: percentiles (linear interpolation between ranks).
* ``CpuMeter``: CPU seconds used by the server's process tree, the PostgreSQL
  processes serving ``inkwell_bench``, Redis and this process, over a window.
* ``write_result``: JSON to ``bench/results/<name>-<backend>-<time>.json``
  (gitignored) with the machine description and the load average.

All traffic goes to 127.0.0.1. Every loop in the benchmarks is bounded in time
and count and stops by itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
PG_DATABASE = "inkwell_bench"
PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/14"
SECRET_KEY = "bench-secret-key-not-for-production-000000"
BACKENDS = ("postgres", "sqlite")

INTERFACE = [
    {"name": "sentiment", "type": "choice", "options": ["pos", "neg", "neu"]},
    {"name": "rationale", "type": "text", "required": False, "max_length": 200},
]
ANSWER = {"sentiment": "pos"}
WORDS = ("the quick brown fox jumps over a lazy dog while annotators label sentiment of short product "
         "reviews about coffee makers headphones and garden tools").split()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- numbers ------------------------------------------------------------------
def pct(values: list[float], p: float) -> float | None:
    """The p-th percentile (0-100), linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(seconds: list[float]) -> dict[str, Any]:
    """Latencies given in seconds, summarised in milliseconds."""
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "mean_ms": round(sum(ms) / len(ms), 2), "p50_ms": round(pct(ms, 50), 2),
            "p90_ms": round(pct(ms, 90), 2), "p99_ms": round(pct(ms, 99), 2), "max_ms": round(max(ms), 2),
            "min_ms": round(min(ms), 2)}


# -- the machine --------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"') + f" (kernel {platform.release()})"
    except OSError:
        pass
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "os": os_name, "free_h": free, "python": platform.python_version(),
            "loadavg": os.getloadavg()}


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def app_version() -> str:
    """The commit of the app under test (an --app-root export carries a .bench-commit file)."""
    root = Path(os.environ.get("INKWELL_BENCH_APP_ROOT") or ROOT)
    marker = root / ".bench-commit"
    if marker.exists():
        return "commit " + marker.read_text().strip()
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "diff-index", "--name-only", "HEAD", "--", "app", "components",
                                "templates", "alembic"], capture_output=True, text=True).stdout.split()
    except OSError:
        return "unknown"
    return f"commit {commit}" + (f" + uncommitted changes in {len(dirty)} app files" if dirty else "")


def write_result(name: str, backend: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{name}-{backend}-{stamp}.json"
    payload = {"benchmark": name, "backend": backend, "finished_at": datetime.now(timezone.utc).isoformat(),
               "command": " ".join([".venv/bin/python", "-m", f"bench.{name}", *sys.argv[1:]]),
               "machine": machine(), "app_root": os.environ.get("INKWELL_BENCH_APP_ROOT") or str(ROOT),
               "app_version": app_version()} | data
    path.write_text(json.dumps(payload, indent=2, default=str))
    log(f"result written to {path.relative_to(ROOT)}")
    return path


def raise_open_files_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return soft


# -- databases ----------------------------------------------------------------
@dataclass
class Target:
    backend: str
    database_url: str  # as a user would write it (postgresql:// or sqlite:///)
    redis_url: str | None
    folder: Path  # scratch folder: the SQLite file, the server logs

    @property
    def async_url(self) -> str:
        from app.config import normalise_database_url

        return normalise_database_url(self.database_url)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(DATABASE_URL=self.database_url, SECRET_KEY=SECRET_KEY, SECURE_COOKIES="false")
        env.pop("REDIS_URL", None)
        app_root = os.environ.get("INKWELL_BENCH_APP_ROOT")
        if app_root:  # benchmark another checkout's app/ (a candidate fix) with this venv
            env["PYTHONPATH"] = app_root
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


async def _recreate_pg_database() -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    finally:
        await connection.close()


_PG_LOCK = Path(tempfile.gettempdir()) / "inkwell-bench-postgres.lock"
_pg_lock_file = None


def _hold_pg_lock() -> None:
    """One benchmark at a time on ``inkwell_bench`` on this machine: each run drops and recreates the
    database, so a second run would pull it from under the first. Held until this process exits."""
    global _pg_lock_file
    import fcntl

    if _pg_lock_file is not None:
        return
    _pg_lock_file = _PG_LOCK.open("a")
    try:
        fcntl.flock(_pg_lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log(f"another benchmark is using database {PG_DATABASE}; waiting for it to finish ({_PG_LOCK})")
        fcntl.flock(_pg_lock_file, fcntl.LOCK_EX)


def prepare_target(backend: str) -> Target:
    """A fresh database for ``backend``, migrated with ``inkwell migrate``."""
    if backend not in BACKENDS:
        raise SystemExit(f"--backend must be one of {BACKENDS}")
    folder = Path(tempfile.mkdtemp(prefix=f"inkwell-bench-{backend}-"))
    if backend == "postgres":
        _hold_pg_lock()
        asyncio.run(_recreate_pg_database())
        target = Target(backend, PG_URL, REDIS_URL, folder)
    else:
        target = Target(backend, f"sqlite:///{folder / 'bench.db'}", None, folder)
    done = subprocess.run([str(BIN / "inkwell"), "migrate"], env=target.env(), cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"inkwell migrate failed:\n{done.stdout}\n{done.stderr}")
    log(f"{backend}: fresh database migrated ({target.database_url})")
    return target


# -- the server ---------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """``inkwell serve`` in a subprocess (its own process group) on a free loopback port.

    ``access_log=False`` runs the same app with ``uvicorn --no-access-log``
    instead (``inkwell serve`` always logs every request at INFO), to measure
    what the access log costs.
    """

    def __init__(self, target: Target, workers: int = 1, access_log: bool = True):
        if target.backend == "sqlite" and workers != 1:
            raise SystemExit("SQLite runs as one process (inkwell serve refuses --workers > 1 without PostgreSQL)")
        self.target = target
        self.workers = workers
        self.access_log = access_log
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = target.folder / f"server-{self.port}.log"

    def command(self) -> list[str]:
        if self.access_log:
            return [str(BIN / "inkwell"), "serve", "--host", HOST, "--port", str(self.port),
                    "--workers", str(self.workers)]
        return [str(BIN / "python"), "-m", "uvicorn", "app.asgi:create_app", "--factory", "--host", HOST,
                "--port", str(self.port), "--workers", str(self.workers), "--no-access-log", "--proxy-headers"]

    def start(self, timeout: float = 60) -> "Server":
        import urllib.request

        self._log = self.log_path.open("wb")
        # cwd: ``python -m uvicorn`` puts it first on sys.path, ahead of PYTHONPATH (--app-root)
        cwd = os.environ.get("INKWELL_BENCH_APP_ROOT") or ROOT
        self.process = subprocess.Popen(self.command(), env=self.target.env(), cwd=cwd, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited ({self.process.returncode}); log:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"server did not start in {timeout}s; log:\n{self.log_tail()}")
            time.sleep(0.2)
        if self.workers > 1:  # uvicorn answers as soon as one worker is up; give the others a moment
            time.sleep(2)
        log(f"server up (pid {self.process.pid}): {self.command()[0].rsplit('/', 1)[-1]} --workers {self.workers} on {self.url} "
            f"(access log {'on' if self.access_log else 'off'})")
        return self

    def pids(self) -> list[int]:
        """The server's process tree (the uvicorn supervisor and its workers)."""
        if self.process is None:
            return []
        return process_tree(self.process.pid)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def errors_in_log(self) -> dict[str, Any]:
        """Error lines of the server log: the first few, and each distinct exception with its count."""
        import re

        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return {}
        lines = [line for line in text if "Traceback" in line or "ERROR" in line or " 500 " in line or "failed" in line]
        exceptions: dict[str, int] = {}
        for line in text:
            if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout|Refused)\b.*", line):
                key = line[:200]
                exceptions[key] = exceptions.get(key, 0) + 1
        return {"error_lines": len(lines), "first": lines[:8],
                "exceptions": dict(sorted(exceptions.items(), key=lambda kv: -kv[1])[:10])}

    def keep_log(self, name: str, backend: str) -> Path:
        """Copy the server log into bench/results/ (for runs that went wrong)."""
        RESULTS.mkdir(parents=True, exist_ok=True)
        kept = RESULTS / f"{name}-{backend}-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}-server.log"
        shutil.copyfile(self.log_path, kept)
        return kept

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # our own process group: the server we started
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, exc_type, *exc) -> None:
        self.stop()
        if exc_type is not None and exc_type is not KeyboardInterrupt:
            errors = self.errors_in_log()
            if errors.get("error_lines"):
                log(f"the server logged errors: {json.dumps(errors.get('exceptions') or errors.get('first'), indent=1)}")


# -- CPU accounting -----------------------------------------------------------
_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat:
                children.setdefault(stat[0], []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _pids_matching(predicate) -> list[int]:
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and predicate(_cmdline(int(e)))]


class CpuMeter:
    """CPU seconds per component between ``start()`` and ``stop()``.

    server = the server's process tree (``others``: more servers, each under its
    own name); postgres = backends connected to inkwell_bench plus PostgreSQL's
    shared background processes (WAL writer, checkpointer...; shared with anyone
    else using the cluster); redis = redis-server; client = this process.
    """

    def __init__(self, server: Server | None, others: dict[str, Server] | None = None):
        self.server = server
        self.others = others or {}  # more servers, each its own group (e.g. two processes on one database)

    def _groups(self) -> dict[str, list[int]]:
        groups = {"server": self.server.pids() if self.server else []}
        groups.update({name: other.pids() for name, other in self.others.items()})
        groups["postgres_bench_backends"] = _pids_matching(lambda c: c.startswith("postgres:") and PG_DATABASE in c)
        groups["postgres_background"] = _pids_matching(
            lambda c: c.startswith("postgres:") and any(w in c for w in ("walwriter", "checkpointer", "background writer")))
        groups["redis"] = _pids_matching(lambda c: c.startswith("redis-server") or "/redis-server" in c)
        return groups

    def _sample(self) -> dict[int, float]:
        out = {}
        for pids in self._pids.values():
            for pid in pids:
                stat = _stat(pid)
                if stat:
                    out[pid] = stat[1]
        return out

    def start(self) -> None:
        self._pids = self._groups()
        self._before = self._sample()
        self._self_before = time.process_time()
        self._wall = time.monotonic()
        self._total_before = _total_cpu()

    def stop(self) -> dict[str, Any]:
        # Processes that appeared since (new pool connections) count from zero.
        wall = time.monotonic() - self._wall
        new_groups = self._groups()
        after: dict[int, float] = {}
        for pids in new_groups.values():
            for pid in pids:
                stat = _stat(pid)
                if stat:
                    after[pid] = stat[1]
        result = {}
        for name, pids in new_groups.items():
            result[name] = round(sum(after.get(pid, 0) - self._before.get(pid, 0) for pid in pids), 2)
        result["client"] = round(time.process_time() - self._self_before, 2)
        busy, total = _total_cpu()
        result["machine_busy_fraction"] = round((busy - self._total_before[0]) / max(total - self._total_before[1], 1e-9), 3)
        result["wall_seconds"] = round(wall, 2)
        result["cpu_seconds_available"] = round(wall * (os.cpu_count() or 1), 2)
        return result


def _total_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


# -- people -------------------------------------------------------------------
async def _make_ops(url: str) -> str:
    import app.models  # noqa: F401 - every table, so foreign keys resolve
    from app.accounts.service import create_user, issue_token
    from app.db import Database

    db = Database(url)
    try:
        async with db.transaction() as session:
            user = await create_user(session, email=f"bench-ops-{uuid.uuid4().hex[:8]}@bench.local", name="Bench Ops",
                                     password="bench-quiet-lantern-42", role="ops")
            return await issue_token(session, user, name="bench")
    finally:
        await db.dispose()


def make_ops(target: Target) -> str:
    """A global ops user and a bearer token for it."""
    return asyncio.run(_make_ops(target.async_url))


async def make_people(target: Target, project_id: int, count: int, role: str = "contributor") -> list[str]:
    """``count`` members of ``role`` in the project, each with a real API token (returned)."""
    from sqlalchemy import insert

    import app.models  # noqa: F401 - every table, so foreign keys resolve
    from app.accounts.models import ApiToken, Membership, User
    from app.accounts.passwords import hash_password
    from app.accounts.service import _token_hash
    from app.db import Database
    from app.models_base import utcnow

    db = Database(target.async_url)
    password_hash = hash_password("bench-quiet-lantern-42")
    tokens = ["ink_" + uuid.uuid4().hex + uuid.uuid4().hex for _ in range(count)]
    now = utcnow()
    try:
        for start in range(0, count, 500):
            chunk = tokens[start:start + 500]
            async with db.transaction() as session:
                rows = [{"email": f"{role}-{uuid.uuid4().hex}@bench.local", "name": f"Bench {role}",
                         "password_hash": password_hash, "is_ops": False, "is_active": True, "created_at": now}
                        for _ in chunk]
                ids = (await session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), rows)).scalars().all()
                await session.execute(insert(Membership), [
                    {"project_id": project_id, "user_id": uid, "role": role, "created_at": now} for uid in ids])
                await session.execute(insert(ApiToken), [
                    {"user_id": uid, "name": "bench", "token_hash": _token_hash(tok), "created_at": now}
                    for uid, tok in zip(ids, chunk)])
    finally:
        await db.dispose()
    return tokens


# -- data ---------------------------------------------------------------------
def jsonl_items(count: int, start: int = 0) -> bytes:
    """``count`` plain items, ~190 bytes each: a short review text plus a few fields."""
    n_words = len(WORDS)
    lines = []
    for i in range(start, start + count):
        text = " ".join(WORDS[(i * 7 + k * 3) % n_words] for k in range(18))
        lines.append(json.dumps({"text": f"Review {i}: {text}", "product_id": f"P{i % 9973:05d}",
                                 "stars": i % 5 + 1, "lang": "en"}))
    return ("\n".join(lines) + "\n").encode()


# -- clients ------------------------------------------------------------------
class HttpError(Exception):
    pass


class RawHttp:
    """One keep-alive HTTP/1.1 connection to the server; one request at a time.

    Enough HTTP for this API: Content-Length and chunked bodies, 204s,
    reconnects when the server closes the connection. Far cheaper per request
    than httpx, so the client steals less CPU from the server it measures.
    """

    def __init__(self, base_url: str, token: str | None = None):
        host_port = base_url.split("://", 1)[1].rstrip("/")
        self.host, port = host_port.split(":")
        self.port = int(port)
        self.auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, json_body: Any = None, body: bytes | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = {"Content-Type": "application/json"} | (headers or {})
        body = body or b""
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.auth}{extra}"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        for attempt in (1, 2):
            if self.writer is None:
                await self._connect()
            try:
                self.writer.write(head + body if len(body) < 65536 else head)
                if len(body) >= 65536:
                    self.writer.write(body)
                await self.writer.drain()
                return await self._response(method)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _response(self, method: str) -> tuple[int, bytes]:
        reader = self.reader
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = None, False, False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await reader.readline()).split(b";")[0].strip(), 16)
                if size == 0:
                    await reader.readline()
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            data = b"".join(parts)
        elif length is not None:
            data = await reader.readexactly(length) if length else b""
        elif status in (204, 304) or method == "HEAD":
            data = b""
        else:
            data = await reader.read()
            close = True
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except Exception:
                pass
        self.reader = self.writer = None


class HttpxClient:
    """The same interface over a shared httpx.AsyncClient (pool sized by the caller)."""

    def __init__(self, shared, token: str):
        self.http = shared
        self.headers = {"Authorization": f"Bearer {token}"}

    async def request(self, method: str, path: str, json_body: Any = None, body: bytes | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        response = await self.http.request(method, path, json=json_body, content=body,
                                           headers=self.headers | (headers or {}))
        return response.status_code, response.content

    async def close(self) -> None:
        pass


def shared_httpx(base_url: str, connections: int):
    import httpx

    return httpx.AsyncClient(base_url=base_url, timeout=120,
                             limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))


async def api(client: RawHttp, method: str, path: str, expect: tuple[int, ...] = (200, 201), **kwargs) -> Any:
    status, data = await client.request(method, "/api/v1" + path, **kwargs)
    if status not in expect:
        raise HttpError(f"{method} {path} -> {status}: {data[:500]!r}")
    return json.loads(data) if data else None


async def create_project(ops: RawHttp, name: str, overlap: int = 1) -> int:
    project = await api(ops, "POST", "/projects", json_body={
        "name": name, "purpose": "Benchmark the production loop", "guidelines": "# Label the sentiment",
        "overlap": overlap, "interface": INTERFACE})
    return project["id"]


async def import_jsonl(ops: RawHttp, project_id: int, body: bytes, batch: str = "default") -> dict[str, Any]:
    return await api(ops, "POST", f"/projects/{project_id}/items?batch={batch}", body=body,
                     headers={"Content-Type": "application/x-ndjson"})


#: For apps whose launch gate wants quality controls (after commit 1ef6d54): the lightest settings that are
#: still on. One benchmark gold item per contributor, 2 % embedded gold, the two recommended linters as
#: warnings; the gold answer is the one every benchmark contributor gives, so everyone qualifies.
BENCH_QUALITY = {"benchmark": {"size": 1}, "gold": {"rate": 0.02, "min_rate": 0.02},
                 "linters": [{"type": "too_fast", "seconds": 3, "severity": "warning"},
                             {"type": "straight_lining", "count": 8, "severity": "warning"}]}
BENCH_GOLD_ITEMS = 5


def gold_jsonl(count: int) -> bytes:
    return ("\n".join(json.dumps({"data": {"text": f"Gold review {i}: great coffee maker", "product_id": "G0000",
                                           "stars": 5, "lang": "en"}, "gold": ANSWER}) for i in range(count))
            + "\n").encode()


async def launch(ops: RawHttp, project_id: int) -> None:
    """Launch; where the app's launch gate asks for quality controls, set BENCH_QUALITY and gold items first."""
    status, data = await ops.request("POST", f"/api/v1/projects/{project_id}/launch")
    if status == 409 and (b"benchmark:" in data or b"linters:" in data):
        await api(ops, "PATCH", f"/projects/{project_id}", json_body={"quality": BENCH_QUALITY}, expect=(200,))
        await import_jsonl(ops, project_id, gold_jsonl(BENCH_GOLD_ITEMS), batch="gold")
        status, data = await ops.request("POST", f"/api/v1/projects/{project_id}/launch")
    if status != 200:
        raise HttpError(f"launch refused ({status}): {data[:400]!r}. If the app's launch gate has grown, extend "
                        "bench.common.launch, or measure an export of an older commit with --app-root.")


@dataclass
class Timer:
    started: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def add_common_args(parser, workers_default: int = 2) -> None:
    parser.add_argument("--backend", choices=BACKENDS, required=True)
    parser.add_argument("--workers", type=int, default=None,
                        help=f"server processes (PostgreSQL only; default {workers_default}; SQLite is always 1)")
    parser.add_argument("--no-access-log", action="store_true",
                        help="serve with uvicorn --no-access-log instead of inkwell serve (which logs every request)")
    parser.add_argument("--app-root", default=None,
                        help="serve the app from another checkout (put first on PYTHONPATH), e.g. to measure a fix")


def workers_for(args, default: int = 2) -> int:
    """Server processes for the backend; also applies --app-root for everything started afterwards."""
    if getattr(args, "app_root", None):
        root = Path(args.app_root).resolve()
        if not (root / "app" / "asgi.py").exists():
            raise SystemExit(f"--app-root {root}: no app/asgi.py there")
        os.environ["INKWELL_BENCH_APP_ROOT"] = str(root)
        sys.path.insert(0, str(root))  # this process (people, in-process renders) uses the same app code
        log(f"serving the app from {root} ({app_version()})")
    if args.backend == "sqlite":
        return 1
    return args.workers or default


def measure_with_server(name: str, args, run, *, workers: int, keep_log=lambda result: False) -> dict[str, Any]:
    """The frame every server benchmark shares: a fresh database, an ops token, the real server,
    ``run(server, target, token)`` (a coroutine returning a dict), then the server's logged errors
    and the load around the run; the scratch folder goes whatever happens. When
    ``keep_log(result)`` is true the server log is kept and its path recorded."""
    target = prepare_target(args.backend)
    load_before = load_average()
    try:
        token = make_ops(target)
        with Server(target, workers=workers, access_log=not args.no_access_log) as server:
            result = asyncio.run(run(server, target, token))
            result["server_errors"] = server.errors_in_log()
            if keep_log(result):
                result["server_log"] = str(server.keep_log(name, args.backend))
        return result | {"workers": workers, "load_before": load_before, "load_after": load_average(),
                         "access_log": not args.no_access_log}
    finally:
        target.cleanup()
