"""Health probes, public (no sign-in) and revealing only states, never addresses or errors.

``/healthz`` is liveness: the process answers, nothing else is asked (a restart policy polls it
often). ``/readyz`` is readiness: the database and Redis answer (503 if either does not, so a load
balancer sends traffic elsewhere), with how the live channels are doing (``subscribed``, or
``reconnecting since …`` during a Redis outage) and when expired leases were last reclaimed (by
the arq worker, or by this process without Redis): a time that stops moving is a stopped worker.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from litestar import Request, Response, get
from sqlalchemy import text

from app.db import Database
from app.jobs.heartbeat import last_reclaim
from app.jobs.tasks import RECLAIM_EVERY_SECONDS
from app.models_base import utcnow
from app.realtime import REDIS_ERRORS, SerialRedisBackend, channels_state

#: A probe that takes longer than this counts as a failure.
PROBE_SECONDS = 3.0
#: The worker is late once this many reclaim periods passed without a reclaim.
LATE_AFTER_PERIODS = 3


@get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", include_in_schema=False, exclude_from_auth=True)
async def readyz(request: Request) -> Response[dict[str, Any]]:
    state = request.app.state
    channels = state.publisher.channels
    backend = getattr(channels, "_backend", None)
    redis = backend if isinstance(backend, SerialRedisBackend) else None
    database_ok, redis_ok = await asyncio.gather(_database_answers(state.db), _redis_answers(redis))
    if redis is None:
        last = state.jobs.last_reclaim_at
    else:
        last = await _last_reclaim(redis, state.settings.channel_namespace) if redis_ok else None
    late = last is None or utcnow() - last > timedelta(seconds=LATE_AFTER_PERIODS * RECLAIM_EVERY_SECONDS)
    ready = database_ok and redis_ok is not False
    body = {
        "status": "ready" if ready else "unavailable",
        "database": "ok" if database_ok else "unreachable",
        "redis": "not configured" if redis_ok is None else "ok" if redis_ok else "unreachable",
        "channels": channels_state(channels),
        "worker": {"last_reclaim_at": last.isoformat(timespec="seconds") if last else None, "late": late},
    }
    return Response(body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})


async def _database_answers(db: Database) -> bool:
    async def ask() -> None:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(ask(), PROBE_SECONDS)
        return True
    except Exception:  # any failure to answer is the answer
        return False


async def _redis_answers(backend: SerialRedisBackend | None) -> bool | None:
    """None without Redis (the embedded default needs none)."""
    if backend is None:
        return None
    try:
        return bool(await asyncio.wait_for(backend.redis.ping(), PROBE_SECONDS))
    except (*REDIS_ERRORS, asyncio.TimeoutError):
        return False


async def _last_reclaim(backend: SerialRedisBackend, namespace: str) -> datetime | None:
    try:
        return await asyncio.wait_for(last_reclaim(backend.redis, namespace), PROBE_SECONDS)
    except (*REDIS_ERRORS, asyncio.TimeoutError):
        return None
