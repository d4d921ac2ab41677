"""A test module's own server, on settings of its own (a media store, a database of its own), with
an ops account made in its database: for modules that must not touch the shared test server."""

from __future__ import annotations

import asyncio
from typing import Iterator

from app.config import Settings
from tests.support import ServerThread


def own_server(settings: Settings) -> Iterator[ServerThread]:
    """For a module-scoped fixture: ``yield from own_server(settings)``."""
    server = ServerThread(settings).start()
    yield server
    server.stop()


def root_token(settings: Settings, email: str) -> str:
    """An API token of a new global ops account (password "root-quiet-lantern-42")."""
    from app.accounts.service import create_user, issue_token
    from app.db import Database

    async def make() -> str:
        db = Database(settings.database_url)
        async with db.transaction() as session:
            user = await create_user(session, email=email, name="Root", password="root-quiet-lantern-42", role="ops")
            token = await issue_token(session, user)
        await db.dispose()
        return token

    return asyncio.run(make())
