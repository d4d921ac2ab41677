"""Test plumbing shared by the integration and browser suites: a real server on a real database."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import tempfile
from pathlib import Path

from app.config import ROOT, Settings

#: One TLS context for every test client: httpx builds one per client otherwise, loading the
#: system's CA file each time (~0.1 s; 20 s for a crowd of 200), though test servers speak plain HTTP.
TLS = ssl.create_default_context()


def backend() -> str:
    return os.environ.get("INKWELL_TEST_BACKEND", "sqlite")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_settings(**overrides) -> Settings:
    """Settings for the chosen backend: a fresh SQLite file, or the PostgreSQL test database + Redis."""
    if backend() == "postgres":
        database_url = os.environ.get("INKWELL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/inkwell_test")
        redis_url = os.environ.get("INKWELL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    else:
        folder = Path(tempfile.mkdtemp(prefix="inkwell-test-"))
        database_url, redis_url = f"sqlite+aiosqlite:///{folder / 'test.db'}", None
    from app.config import normalise_database_url

    # The suite signs in wrongly from one address on purpose, often: only the sign-in tests
    # (test_sign_in_limits.py) run a server with the real limits.
    values = dict(database_url=normalise_database_url(database_url), redis_url=redis_url,
                  secret_key="test-secret-key-for-inkwell-tests", secure_cookies=False, lease_seconds=900,
                  sign_in_limit_account="1000/minute", sign_in_limit_address="10000/minute",
                  media_dir=tempfile.mkdtemp(prefix="inkwell-test-media-"))  # never the checkout's ./media
    values.update(overrides)
    return Settings(**values)


def reset_database(settings: Settings) -> None:
    """An empty schema, then every migration: the tests also prove the migrations."""
    from alembic import command
    from alembic.config import Config

    if not settings.is_sqlite:
        asyncio.run(_recreate_postgres_database(settings.database_url.replace("+asyncpg", "")))
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["database_url"] = settings.database_url
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")


async def _recreate_postgres_database(url: str) -> None:
    import asyncpg

    base, name = url.rsplit("/", 1)
    connection = await asyncpg.connect(base + "/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


class ServerThread:
    """The real ASGI app under uvicorn, in its own thread and event loop, on a free port."""

    def __init__(self, settings: Settings):
        import threading

        import uvicorn

        from app.asgi import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", ws="websockets-sansio")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def start(self) -> "ServerThread":
        import time

        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
