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

from litestar import WebSocket
from litestar.channels import ChannelsPlugin
from litestar.exceptions import WebSocketDisconnect
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

log = logging.getLogger(__name__)

SOCKET_BACKLOG = 64
COALESCE_SECONDS = 0.15


def make_channels_plugin(redis_url: str | None) -> ChannelsPlugin:
    if redis_url:
        from redis.asyncio import Redis

        backend = SerialRedisBackend(redis=Redis.from_url(redis_url))
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(
        backend=backend, arbitrary_channels_allowed=True,
        subscriber_max_backlog=SOCKET_BACKLOG, subscriber_backlog_strategy="backoff",
    )


class SerialRedisBackend(RedisChannelsPubSubBackend):
    """Litestar's Redis pub/sub backend with (un)subscribes taken one at a time.

    Its pub/sub connection opens lazily on the first subscribe, and redis-py's
    ``PubSub.connect`` awaits between checking for a connection and storing one: when many
    sockets subscribed at once on a fresh process (a restart, every browser reconnecting),
    each opened its own connection and only the last was read, so most channels never
    delivered. One lock closes that gap."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._order = asyncio.Lock()

    async def subscribe(self, channels) -> None:
        async with self._order:
            await super().subscribe(channels)

    async def unsubscribe(self, channels) -> None:
        async with self._order:
            await super().unsubscribe(channels)

    async def subscribers(self, channels: list[str]) -> int:
        """How many subscriptions (one per watching process) the channels have across Redis."""
        return sum(count for _, count in await self._redis.pubsub_numsub(*channels))


#: Renders a view for a key: the bytes to publish, by the view whose channel they go to
#: (one read can serve several audiences), or None when there is nothing to show.
Renderer = Callable[[Any], Awaitable[dict[str, bytes] | None]]

#: The channels a view's render is published on (one read serves several audiences).
AUDIENCES = {"board": ("board", "board:members")}

#: Events that change what one person sees about themselves (their payload names ``user_id``).
PERSONAL_ACTIONS = frozenset({"standing.changed", "feedback.added"})
#: Events that change an item's comment thread (their payload names ``item_id``).
THREAD_ACTION_PREFIX = "comment."


class Publisher:
    """Turns committed events into pushes: each changed view is rendered once per burst
    (coalesced for COALESCE_SECONDS) and the same bytes go to every subscriber.

    Views: ``board`` keyed by project id (rendered once, published as ``board`` for ops and
    ``board:members`` with pseudonyms), and ``person`` keyed by (user id, project id), published
    on the person's channel. Channel names carry a namespace
    per deployment: Redis pub/sub ignores the database number, so two deployments (or test
    runs) sharing one Redis must not share names."""

    def __init__(self, channels: ChannelsPlugin | None, namespace: str, renderers: dict[str, Renderer]):
        self.channels = channels
        self.namespace = namespace
        self.renderers = renderers
        self._scheduled: set[tuple[str, Any]] = set()
        self._last_render: dict[tuple[str, Any], float] = {}
        self._tasks: set[asyncio.Task] = set()

    async def after_commit(self, events: list[Any]) -> None:
        for event in events:
            if event.project_id is not None:
                self.changed("board", event.project_id)
            if event.action in PERSONAL_ACTIONS and event.payload.get("user_id") is not None:
                self.changed("person", (event.payload["user_id"], event.project_id))
            if event.action.startswith(THREAD_ACTION_PREFIX) and event.payload.get("item_id") is not None:
                self.changed("item", event.payload["item_id"])  # a signal: each thread socket renders for its reader

    def channel(self, view: str, key: Any) -> str:
        if view == "person":
            return f"{self.namespace}:user:{key[0]}"
        return f"{self.namespace}:{view}:{key}"

    def changed(self, view: str, key: Any) -> None:
        if self.channels is None or view not in self.renderers or (view, key) in self._scheduled:
            return
        self._scheduled.add((view, key))
        task = asyncio.get_running_loop().create_task(self._publish(view, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish(self, view: str, key: Any) -> None:
        """Leading-edge throttle: render at once after a quiet spell; during a burst, at most one
        render per COALESCE_SECONDS, which also carries every change made while it waited."""
        loop = asyncio.get_running_loop()
        try:
            wait = self._last_render.get((view, key), 0.0) + COALESCE_SECONDS - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._scheduled.discard((view, key))
            if len(self._last_render) > 10_000:
                self._last_render.clear()
            self._last_render[(view, key)] = loop.time()
            if not await self._watched(view, key):
                return  # nobody is looking: whoever opens it later gets a full snapshot then
            rendered = await self.renderers[view](key)
            for channel_view, fragment in (rendered or {}).items():
                if self.channels is not None:
                    self.channels.publish(fragment, [self.channel(channel_view, key)])
        except Exception:  # a failed push must never break the write that caused it
            self._scheduled.discard((view, key))
            log.exception("%s push failed for %s", view, key)

    async def _watched(self, view: str, key: Any) -> bool:
        """Whether any socket, in any process, is subscribed to the view's channels: a board with a
        million items takes tens of milliseconds to render, for nobody if its page is closed."""
        if self.channels is None:
            return False
        channels = [self.channel(audience, key) for audience in AUDIENCES.get(view, (view,))]
        backend = self.channels._backend  # the plugin keeps no public handle on it
        if hasattr(backend, "subscribers"):
            return await backend.subscribers(channels) > 0
        return any(self.channels._channels.get(channel) for channel in channels)

    async def drain(self) -> None:
        """Wait for scheduled pushes (tests, CLI shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def stream(socket: WebSocket, channels: ChannelsPlugin, channel: str,
                 snapshot: Callable[[], Awaitable[bytes | None]], forward: Callable[[bytes], Awaitable[None]]) -> None:
    """Serve one socket: subscribe first, then send the full snapshot (so nothing between the two
    is missed), then forward every message until the client goes away."""
    async with channels.start_subscription([channel]) as subscriber:
        first = await snapshot()
        if first is not None:
            await forward(first)
        async with subscriber.run_in_background(forward):
            try:
                while True:
                    await socket.receive_data(mode="text")
            except WebSocketDisconnect:
                pass
