"""When the arq worker last reclaimed expired leases, kept in Redis for /readyz: a worker that
stopped (or cannot reach Redis) shows as a time that no longer moves."""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis


def _key(namespace: str) -> str:
    return f"{namespace}:jobs:last_reclaim_at"


async def record_reclaim(redis: Redis, namespace: str, at: datetime) -> None:
    await redis.set(_key(namespace), at.isoformat(timespec="seconds"))


async def last_reclaim(redis: Redis, namespace: str) -> datetime | None:
    value = await redis.get(_key(namespace))
    return datetime.fromisoformat(value.decode()) if value else None
