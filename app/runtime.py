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


def wire(settings: Settings, channels: ChannelsPlugin | None, templates: TemplateEngineProtocol) -> tuple[Database, Publisher]:
    """The database and the publisher that renders each live view after its commits: the same
    wiring for the web app, the CLI and the worker."""
    publisher = Publisher(channels, settings.channel_namespace, renderers={})
    db = Database(settings.database_url, after_commit=publisher.after_commit, pool_size=settings.database_pool_size)
    publisher.renderers.update(board=BoardRenderer(db, templates, secret=settings.secret_key),
                               person=PersonRenderer(db, templates), item=ItemSignal(db))
    return db, publisher


@asynccontextmanager
async def standalone_runtime(settings: Settings | None = None) -> AsyncIterator[Runtime]:
    settings = settings or get_settings()
    channels = make_channels_plugin(settings.redis_url) if settings.redis_url else None
    db, publisher = wire(settings, channels, standalone_templates())
    try:
        if channels is not None:
            await channels.__aenter__()
        yield Runtime(settings, db, publisher)
        await publisher.drain()
    finally:
        if channels is not None:
            await channels.__aexit__(None, None, None)
        await db.dispose()
