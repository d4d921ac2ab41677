"""Revoked access stops at the next request, on every process.

Bearer requests run hundreds of times a second, so each process keeps token -> user in memory
(``TokenCache``) instead of asking the database each time. That is only safe if the process
hears of every revocation: so it caches only where every process shares a channel layer (Redis),
and every transaction that revokes access (``token.revoked``, ``user.deactivated``,
``password.changed`` events) is announced on the ``auth`` channel after its commit, by the web
process, the CLI or a worker alike (``Revocations.after_commit``, wired in app/runtime.py).
Each web process drops the named users' and tokens' entries (``Revocations.listen``). A message
it cannot read, such as the channel layer's notice that it reconnected after an outage (when
announcements may have been lost), empties the cache; entries also expire after ``ttl``.

An announcement reaches the other processes a moment after the revoking request has answered,
so a request there could still be let in by its cache in between. So every revocation also
increments a revision number in Redis before it is announced, and a cached entry is only used
while that number is the one this process last saw (one Redis GET, ~0.1 ms, per cached bearer
request; a changed number empties the cache). If Redis cannot be asked, the database decides.

Without Redis there is one web process and nobody to hear the CLI, so every bearer request looks
its token up (one indexed read, through app/prepared.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any, Iterable

from litestar.channels import ChannelsPlugin
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.accounts.models import User

log = logging.getLogger(__name__)

#: Events whose commit ends access that a cache may still hold, and what they end.
USER_WIDE = frozenset({"user.deactivated", "password.changed"})
ONE_TOKEN = "token.revoked"


class TokenCache:
    """Token hash -> (user, token id) for ``ttl`` seconds."""

    def __init__(self, ttl: float = 30.0, size: int = 10_000):
        self.ttl, self.size = ttl, size
        self._entries: dict[str, tuple[float, User, int]] = {}
        self._revision = 0  # counts revocations heard
        #: The shared revision number the entries were checked against (``Revocations.cached``).
        self.shared_revision: bytes | None = None

    def ticket(self) -> int:
        """Taken before a lookup: a revocation heard while the lookup ran voids its ``put``."""
        return self._revision

    def get(self, token_hash: str) -> tuple[User, int] | None:
        entry = self._entries.get(token_hash)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1], entry[2]

    def put(self, token_hash: str, user: User, token_id: int, *, ticket: int) -> None:
        if ticket != self._revision:
            return
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[token_hash] = (time.monotonic() + self.ttl, user, token_id)

    def forget(self, *, users: Iterable[int] = (), tokens: Iterable[int] = ()) -> None:
        users, tokens = set(users), set(tokens)
        self._revision += 1
        for key in [key for key, (_, user, token_id) in self._entries.items()
                    if user.id in users or token_id in tokens]:
            del self._entries[key]

    def clear(self) -> None:
        self._revision += 1
        self._entries.clear()


class Revocations:
    """Announces committed revocations and applies everyone's to this process's cache.

    ``cache`` is None where revocations cannot be heard from every process (no Redis)."""

    def __init__(self, channels: ChannelsPlugin | None, namespace: str, *, redis_url: str | None = None):
        self.channels = channels
        self.channel = f"{namespace}:auth"
        self.revision_key = f"{namespace}:auth:revision"
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2) if redis_url else None
        self.cache = TokenCache() if self.redis is not None else None
        self._subscriber = None
        self._task: asyncio.Task | None = None

    async def cached(self, token_hash: str) -> tuple[User, int] | None:
        """The cached (user, token id) for a bearer token, if still good by the shared revision."""
        if self.cache is None:
            return None
        found = self.cache.get(token_hash)
        if found is None:
            return None
        try:
            revision = await self.redis.get(self.revision_key)
        except (RedisError, OSError):
            return None  # the database decides
        if revision != self.cache.shared_revision:
            self.cache.clear()  # a revocation somewhere, perhaps not yet heard: start again
            self.cache.shared_revision = revision
            return None
        return found

    async def after_commit(self, events: list[Any]) -> None:
        users = sorted({event.subject_id for event in events if event.action in USER_WIDE})
        tokens = sorted({event.subject_id for event in events if event.action == ONE_TOKEN})
        if not users and not tokens:
            return
        self._apply(users, tokens)
        if self.redis is not None:
            try:
                await self.redis.incr(self.revision_key)
            except (RedisError, OSError):  # committed: the announcement below, or the ttl, ends it elsewhere
                log.exception("could not move the revocation revision on (users %s, tokens %s)", users, tokens)
        if self.channels is not None:
            message = json.dumps({"users": users, "tokens": tokens})
            try:
                await self.channels.wait_published(message, [self.channel])
            except Exception:  # the change is committed; the other caches expire within their ttl
                log.exception("could not announce a revocation (users %s, tokens %s)", users, tokens)

    def _apply(self, users: list[int], tokens: list[int]) -> None:
        if self.cache is not None:
            self.cache.forget(users=users, tokens=tokens)

    def receive(self, message: bytes) -> None:
        try:
            data = json.loads(message)
            users, tokens = [int(u) for u in data["users"]], [int(t) for t in data["tokens"]]
        except (ValueError, TypeError, KeyError):
            if self.cache is not None:
                self.cache.clear()  # a resync after an outage: announcements may have been missed
            return
        self._apply(users, tokens)

    async def start(self) -> None:
        """Apply every process's announcements from now on (only where this process caches)."""
        if self.cache is None or self.channels is None:
            return
        self._subscriber = await self.channels.subscribe([self.channel])
        self._task = asyncio.get_running_loop().create_task(self._consume(self._subscriber))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            await self.channels.unsubscribe(self._subscriber)
            self._task = None
        if self.redis is not None:
            await self.redis.aclose()

    async def _consume(self, subscriber) -> None:
        async for message in subscriber.iter_events():
            self.receive(message)
