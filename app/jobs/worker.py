"""The job worker with Redis: ``inkwell worker`` (the Procfile's worker).

arq runs the periodic jobs (lease reclaim every 5 s, agreement every 10 s), but its Worker ends
on the first Redis connection error in its main loop: after a Redis restart nothing reclaimed
expired leases until someone restarted the worker by hand. ``run`` keeps one database runtime
for the life of the process and runs arq's Worker inside a loop: when Redis goes away it logs
once, waits for Redis with capped backoff, logs the recovery and starts a fresh Worker (whose
reclaim runs at once). Each reclaim is recorded in Redis (``heartbeat``) for /readyz.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker
from redis.asyncio import Redis
from redis.backoff import EqualJitterBackoff

from app.config import Settings
from app.jobs.heartbeat import record_reclaim
from app.jobs.tasks import AGREEMENT_EVERY_SECONDS, RECLAIM_EVERY_SECONDS, refresh_agreement, reclaim_expired_leases
from app.models_base import utcnow
from app.realtime import REDIS_ERRORS
from app.runtime import Runtime, standalone_runtime

log = logging.getLogger(__name__)

#: Waiting for Redis: 100 ms doubling up to 2 s (half of it jittered, so workers spread out).
REDIS_BACKOFF = EqualJitterBackoff(cap=2.0, base=0.1)


async def reclaim_job(ctx: dict) -> int:
    runtime: Runtime = ctx["runtime"]
    reclaimed = await reclaim_expired_leases(runtime.db)
    await record_reclaim(ctx["redis"], runtime.settings.channel_namespace, utcnow())
    return reclaimed


async def agreement_job(ctx: dict) -> int:
    return await refresh_agreement(ctx["runtime"].db)


def make_worker(runtime: Runtime) -> Worker:
    redis_settings = RedisSettings.from_dsn(runtime.settings.redis_url)
    redis_settings.conn_retries = 0  # we wait for Redis ourselves, and log it once
    return Worker(
        functions=[reclaim_job, agreement_job],
        cron_jobs=[cron(reclaim_job, second=set(range(0, 60, RECLAIM_EVERY_SECONDS)), run_at_startup=True),
                   cron(agreement_job, second=set(range(0, 60, AGREEMENT_EVERY_SECONDS)), unique=True, timeout=300)],
        redis_settings=redis_settings, ctx={"runtime": runtime}, handle_signals=False)


class _Outage:
    """Logs a Redis outage once when it begins and once when it ends."""

    def __init__(self) -> None:
        self.began_at: float | None = None

    def began(self, error: BaseException) -> None:
        if self.began_at is None:
            self.began_at = time.monotonic()
            log.warning("worker: lost Redis (%s: %s); jobs paused, reconnecting", type(error).__name__, error)

    def ended(self) -> None:
        if self.began_at is not None:
            log.info("worker: Redis is back after %.1f s; jobs running again", time.monotonic() - self.began_at)
            self.began_at = None


async def _wait_for_redis(probe: Redis, outage: _Outage) -> None:
    failures = 0
    while True:
        try:
            await probe.ping()
            outage.ended()
            return
        except REDIS_ERRORS as error:
            outage.began(error)
        failures += 1
        await asyncio.sleep(REDIS_BACKOFF.compute(failures))


async def _discard(worker: Worker) -> None:
    """A Worker that lost Redis: its jobs are cancelled (each is safe to repeat), its pool closed."""
    for task in worker.tasks.values():
        task.cancel()
    await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    if worker.pool is not None:
        with contextlib.suppress(Exception):
            await worker.pool.aclose(close_connection_pool=True)


async def serve(settings: Settings) -> None:
    """Run the jobs until cancelled, through any number of Redis outages."""
    outage = _Outage()
    probe = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        async with standalone_runtime(settings) as runtime:
            while True:
                await _wait_for_redis(probe, outage)
                worker = make_worker(runtime)
                try:
                    await worker.main()
                except REDIS_ERRORS as error:
                    outage.began(error)
                finally:
                    await _discard(worker)
    finally:
        await probe.aclose()


def run(settings: Settings) -> None:
    """The ``inkwell worker`` command: serve until SIGTERM or Ctrl-C."""

    async def main() -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serve(settings)

    asyncio.run(main())
