"""Live push: the Litestar Channels plugin and the after-commit publisher.

Channels: ``project:{id}`` carries the rendered board. One process renders a
board once per burst of changes and publishes the bytes; every process fans
the same bytes out to its sockets. In-memory backend without REDIS_URL (one
process), Redis pub/sub with it (many processes, the CLI and arq workers).
Each socket has a bounded backlog with the ``backoff`` strategy, and gets a
full snapshot whenever it (re)connects, so a dropped message costs nothing.

When Redis goes away the listener does not die: it logs once, retries with capped
backoff, resubscribes every channel this process watches, and then hands every
subscriber a ``RESYNC`` message, on which sockets send a fresh snapshot (``stream``)
and co-editing rooms say hello again; views that could not be published meanwhile
are rendered again. Requests never wait for any of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from typing import Any, Awaitable, Callable, Hashable, Iterable

from litestar import WebSocket
from litestar.channels import ChannelsPlugin
from litestar.exceptions import WebSocketDisconnect
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.backoff import EqualJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.models_base import utcnow

log = logging.getLogger(__name__)

SOCKET_BACKLOG = 64
COALESCE_SECONDS = 0.15

#: What a lost or refused Redis connection raises.
REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
#: Handed to every subscriber after the listener reconnected: whatever was published meanwhile is
#: lost, so send a fresh snapshot. Framed like a co-edit message (a JSON header line) and unlike
#: any other (they start with a digit), so each reader can tell it from its own messages.
RESYNC = b'{"k":"resync"}\n'
#: Reconnect attempts: 50 ms doubling up to a second (half of it jittered, so processes spread out);
#: a second is also how late, at worst, pushes resume after Redis is back.
RECONNECT_BACKOFF = EqualJitterBackoff(cap=1.0, base=0.05)
#: How long one read of the pub/sub connection waits for a message.
LISTEN_SECONDS = 1.0
#: At most this many views are remembered for a render after an outage (each socket gets a
#: fresh snapshot anyway; this is for the sockets of other processes).
MISSED_VIEWS = 10_000


def make_channels_plugin(redis_url: str | None) -> ChannelsPlugin:
    if redis_url:
        # Bounded waits: a host that does not answer must not hold a publish or a probe forever.
        redis = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5, socket_keepalive=True)
        backend = SerialRedisBackend(redis=redis)
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(
        backend=backend, arbitrary_channels_allowed=True,
        subscriber_max_backlog=SOCKET_BACKLOG, subscriber_backlog_strategy="backoff",
    )


def channels_state(channels: ChannelsPlugin | None) -> str:
    """For /readyz: ``subscribed``, ``reconnecting since <time>`` or ``in-memory``."""
    backend = getattr(channels, "_backend", None)
    return backend.state if isinstance(backend, SerialRedisBackend) else "in-memory"


class SerialRedisBackend(RedisChannelsPubSubBackend):
    """Litestar's Redis pub/sub backend, with (un)subscribes taken one at a time and a listener
    that survives Redis going away.

    Its pub/sub connection opens lazily on the first subscribe, and redis-py's
    ``PubSub.connect`` awaits between checking for a connection and storing one: when many
    sockets subscribed at once on a fresh process (a restart, every browser reconnecting),
    each opened its own connection and only the last was read, so most channels never
    delivered. One lock closes that gap.

    Litestar's listener (``stream_events``, run by the plugin's ``_sub_task``) raised on the first
    connection error and the task ended unobserved: the process went on serving, subscribing new
    sockets on a connection nobody read, and delivered nothing for good. Here the channels this
    process wants are ours (``_wanted``), any failure marks the link down, and the listener
    reconnects with backoff on a fresh pub/sub connection, resubscribes them all, and yields
    ``RESYNC`` on each. Publishes while down are dropped (``on_restored`` lets the publisher
    render them again)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._order = asyncio.Lock()
        self._wanted: set[str] = set()
        self._pubsub: PubSub | None = None
        self._wake = asyncio.Event()  # there is something to listen to, or the link is down
        self.down_since: datetime | None = None
        self._down_at = 0.0
        #: Called once Redis is back and every channel is subscribed again.
        self.on_restored: list[Callable[[], None]] = []
        self._resync_renders: dict[Hashable, asyncio.Future] = {}

    @property
    def redis(self) -> Redis:
        """The client the channels use (the health probe asks it too)."""
        return self._redis

    @property
    def _pub_sub(self) -> PubSub:
        if self._pubsub is None:
            self._pubsub = self._redis.pubsub()
        return self._pubsub

    @property
    def state(self) -> str:
        if self.down_since is None:
            return "subscribed"
        return f"reconnecting since {self.down_since.isoformat(timespec='seconds')}"

    async def subscribe(self, channels: Iterable[str]) -> None:
        channels = set(channels)
        async with self._order:
            self._wanted |= channels
            if self.down_since is not None:
                return  # the reconnect subscribes them
            try:
                await self._pub_sub.subscribe(*channels)
            except REDIS_ERRORS as error:
                self._lost(error)
            self._wake.set()

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        channels = set(channels)
        async with self._order:
            self._wanted -= channels
            if self.down_since is not None:
                return
            try:
                await self._pub_sub.unsubscribe(*channels)
            except REDIS_ERRORS as error:
                self._lost(error)
            else:
                if not self._wanted:
                    self._wake.clear()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        if self.down_since is not None:
            return  # dropped: see on_restored and RESYNC
        try:
            await super().publish(data, channels)
        except REDIS_ERRORS as error:
            self._lost(error)

    async def subscribers(self, channels: list[str]) -> int | None:
        """How many subscriptions (one per watching process) the channels have across Redis;
        None while Redis cannot be asked."""
        if self.down_since is not None:
            return None
        try:
            return sum(count for _, count in await self._redis.pubsub_numsub(*channels))
        except REDIS_ERRORS as error:
            self._lost(error)
            return None

    async def shared_snapshot(self, key: Hashable, render: Callable[[], Awaitable[bytes | None]]) -> bytes | None:
        """One render for every socket asking with the same key at once: after a recovery a thousand
        sockets on one board need the same fresh bytes, and rendering it a thousand times took
        seconds. Every render shared here began after the listener reconnected, so after every socket
        handed RESYNC had subscribed: nothing committed since escapes it."""
        shared = self._resync_renders.get(key)
        if shared is None:
            shared = asyncio.ensure_future(render())
            self._resync_renders[key] = shared
            shared.add_done_callback(lambda _: self._resync_renders.pop(key, None))
        return await asyncio.shield(shared)

    async def stream_events(self):
        """Every message on the channels this process wants, for as long as the plugin runs."""
        while True:
            try:
                async for event in self._listen():
                    yield event
            except REDIS_ERRORS as error:
                self._lost(error)
            await self._reconnect()
            for channel in list(self._wanted):
                yield channel, RESYNC

    async def _listen(self):
        """Messages until the link is found down (here or by a publish or subscribe)."""
        while True:
            await self._wake.wait()
            if self.down_since is not None:
                return
            message = await self._pub_sub.get_message(ignore_subscribe_messages=True, timeout=LISTEN_SECONDS)
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode()
            if channel in self._wanted:  # an unsubscribe takes effect at Redis a moment later
                yield channel, message["data"]

    async def _reconnect(self) -> None:
        """A fresh pub/sub connection with every wanted channel, retried with capped backoff."""
        failures = 0
        while True:
            async with self._order:
                stale, self._pubsub = self._pubsub, None
                if stale is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(stale.aclose(), 2)
                try:
                    if self._wanted:
                        await self._pub_sub.subscribe(*self._wanted)
                    else:
                        await self._redis.ping()
                except REDIS_ERRORS as error:
                    self._lost(error)
                else:
                    self._restored()
                    return
            failures += 1
            await asyncio.sleep(RECONNECT_BACKOFF.compute(failures))

    def _lost(self, error: BaseException) -> None:
        if self.down_since is None:
            self.down_since, self._down_at = utcnow(), time.monotonic()
            log.warning("live channels: lost Redis (%s: %s); pushes paused, reconnecting",
                        type(error).__name__, error)
        self._wake.set()

    def _restored(self) -> None:
        if self.down_since is None:
            return
        log.info("live channels: Redis is back after %.1f s; %d channels subscribed again, fresh snapshots "
                 "going out", time.monotonic() - self._down_at, len(self._wanted))
        self.down_since = None
        if not self._wanted:
            self._wake.clear()
        for callback in self.on_restored:
            try:
                callback()
            except Exception:
                log.exception("live channels: a recovery callback failed")


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
        self._missed: set[tuple[str, Any]] = set()  # not published while Redis was away
        backend = getattr(channels, "_backend", None)
        if isinstance(backend, SerialRedisBackend):
            backend.on_restored.append(self._render_missed)

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
            watched = await self._watched(view, key)
            if watched is None:
                self._miss(view, key)
                return
            if not watched:
                return  # nobody is looking: whoever opens it later gets a full snapshot then
            rendered = await self.renderers[view](key)
            for channel_view, fragment in (rendered or {}).items():
                if self.channels is not None:
                    await self.channels.wait_published(fragment, [self.channel(channel_view, key)])
            if self._redis_away():
                self._miss(view, key)  # it may not have gone out
        except Exception:  # a failed push must never break the write that caused it
            self._scheduled.discard((view, key))
            log.exception("%s push failed for %s", view, key)

    async def _watched(self, view: str, key: Any) -> bool | None:
        """Whether any socket, in any process, is subscribed to the view's channels: a board with a
        million items takes tens of milliseconds to render, for nobody if its page is closed.
        None while Redis cannot be asked."""
        if self.channels is None:
            return False
        channels = [self.channel(audience, key) for audience in AUDIENCES.get(view, (view,))]
        backend = self.channels._backend  # the plugin keeps no public handle on it
        if isinstance(backend, SerialRedisBackend):
            count = await backend.subscribers(channels)
            return None if count is None else count > 0
        return any(self.channels._channels.get(channel) for channel in channels)

    def _redis_away(self) -> bool:
        backend = getattr(self.channels, "_backend", None)
        return isinstance(backend, SerialRedisBackend) and backend.down_since is not None

    def _miss(self, view: str, key: Any) -> None:
        if len(self._missed) < MISSED_VIEWS:
            self._missed.add((view, key))

    def _render_missed(self) -> None:
        """Redis is back: what changed meanwhile goes to every process (this one's sockets also
        get a snapshot each; other processes' sockets may have reconnected before us)."""
        missed, self._missed = self._missed, set()
        for view, key in missed:
            self.changed(view, key)

    async def drain(self) -> None:
        """Wait for scheduled pushes (tests, CLI shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def stream(socket: WebSocket, channels: ChannelsPlugin, channel: str,
                 snapshot: Callable[[], Awaitable[bytes | None]], forward: Callable[[bytes], Awaitable[None]],
                 *, snapshot_key: Hashable) -> None:
    """Serve one socket: subscribe first, then send the full snapshot (so nothing between the two
    is missed), then forward every message until the client goes away; a fresh snapshot again
    whenever the channels come back from a Redis outage (``RESYNC``), rendered once for all the
    sockets whose snapshot has the same ``snapshot_key``."""

    async def deliver(message: bytes) -> None:
        if message == RESYNC:
            try:
                message = await channels._backend.shared_snapshot(snapshot_key, snapshot)
            except Exception:  # the next change pushes again
                log.exception("snapshot after the Redis outage failed for %s", channel)
                return
            if message is None:
                return
        await forward(message)

    async with channels.start_subscription([channel]) as subscriber:
        first = await snapshot()
        if first is not None:
            await forward(first)
        async with subscriber.run_in_background(deliver):
            try:
                while True:
                    await socket.receive_data(mode="text")
            except WebSocketDisconnect:
                pass
