"""The database and live push outside the web server (CLI, arq worker, benchmarks).

With REDIS_URL set, changes made here reach open boards like changes made
through the web; without it there is nobody to tell, and nothing is pushed.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

from litestar.channels import ChannelsPlugin
from litestar.template import TemplateEngineProtocol

from app.accounts.revocation import Revocations
from app.board.live import BoardRenderer
from app.config import Settings, get_settings
from app.db import Database
from app.quality.live import PersonRenderer
from app.realtime import Publisher, make_channels_plugin
from app.threads.live import ItemSignal
from app.web.templating import standalone_templates


@dataclass
class Runtime:
    settings: Settings
    db: Database
    publisher: Publisher


def wire(settings: Settings, channels: ChannelsPlugin | None,
         templates: TemplateEngineProtocol) -> tuple[Database, Publisher, Revocations]:
    """The database, the publisher that renders each live view after its commits, and the
    announcer of revoked access (app/accounts/revocation.py): the same wiring for the web app,
    the CLI and the worker."""
    publisher = Publisher(channels, settings.channel_namespace, renderers={})
    revocations = Revocations(channels, settings.channel_namespace, redis_url=settings.redis_url)

    async def after_commit(events: list) -> None:
        await revocations.after_commit(events)  # first: access ends before anything is pushed
        await publisher.after_commit(events)

    db = Database(settings.database_url, after_commit=after_commit, pool_size=settings.database_pool_size)
    publisher.renderers.update(board=BoardRenderer(db, templates, secret=settings.secret_key),
                               person=PersonRenderer(db, templates), item=ItemSignal(db))
    return db, publisher, revocations


@asynccontextmanager
async def standalone_runtime(settings: Settings | None = None) -> AsyncIterator[Runtime]:
    settings = settings or get_settings()
    channels = make_channels_plugin(settings.redis_url) if settings.redis_url else None
    db, publisher, revocations = wire(settings, channels, standalone_templates())
    try:
        if channels is not None:
            await channels.__aenter__()
        yield Runtime(settings, db, publisher)
        await publisher.drain()
    finally:
        await revocations.stop()
        if channels is not None:
            await channels.__aexit__(None, None, None)
        await db.dispose()
