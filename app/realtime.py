"""Live push: the Litestar Channels plugin and the after-commit publisher.

Channels: ``project:{id}`` carries the rendered board. One process renders a
board once per burst of changes and publishes the bytes; every process fans
the same bytes out to its sockets. In-memory backend without REDIS_URL (one
process), Redis pub/sub with it (many processes, the CLI and arq workers).
Each socket has a bounded backlog with the ``backoff`` strategy, and gets a
full snapshot whenever it (re)connects, so a dropped message costs nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

log = logging.getLogger(__name__)

SOCKET_BACKLOG = 64
COALESCE_SECONDS = 0.15


def project_channel(namespace: str, project_id: int) -> str:
    """Namespaced per deployment: Redis pub/sub channels ignore the database number, so two
    deployments (or test runs) sharing one Redis must not share channel names."""
    return f"{namespace}:project:{project_id}"


def make_channels_plugin(redis_url: str | None) -> ChannelsPlugin:
    if redis_url:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from redis.asyncio import Redis

        backend = RedisChannelsPubSubBackend(redis=Redis.from_url(redis_url))
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(
        backend=backend, arbitrary_channels_allowed=True,
        subscriber_max_backlog=SOCKET_BACKLOG, subscriber_backlog_strategy="backoff",
    )


Renderer = Callable[[int], Awaitable[bytes | None]]


class Publisher:
    """Turns committed events into pushes, coalescing bursts per project."""

    def __init__(self, channels: ChannelsPlugin | None, render_board: Renderer, namespace: str):
        self.channels = channels
        self.namespace = namespace
        self.render_board = render_board
        self._scheduled: set[int] = set()
        self._tasks: set[asyncio.Task] = set()

    async def after_commit(self, events: list[Any]) -> None:
        for project_id in {e.project_id for e in events if e.project_id is not None}:
            self.board_changed(project_id)

    def board_changed(self, project_id: int) -> None:
        if self.channels is None or project_id in self._scheduled:
            return
        self._scheduled.add(project_id)
        task = asyncio.get_running_loop().create_task(self._publish_board(project_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish_board(self, project_id: int) -> None:
        try:
            await asyncio.sleep(COALESCE_SECONDS)
            self._scheduled.discard(project_id)
            fragment = await self.render_board(project_id)
            if fragment is not None and self.channels is not None:
                self.channels.publish(fragment, [project_channel(self.namespace, project_id)])
        except Exception:  # a failed push must never break the write that caused it
            self._scheduled.discard(project_id)
            log.exception("board push failed for project %s", project_id)

    async def drain(self) -> None:
        """Wait for scheduled pushes (tests, CLI shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
