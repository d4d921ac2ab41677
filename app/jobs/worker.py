"""arq worker settings: ``arq app.jobs.worker.WorkerSettings`` (the Procfile's worker)."""

from __future__ import annotations

from arq import cron
from arq.connections import RedisSettings

from app.config import get_settings
from app.jobs.tasks import refresh_agreement, reclaim_expired_leases
from app.runtime import standalone_runtime

settings = get_settings()


async def startup(ctx: dict) -> None:
    ctx["runtime_cm"] = standalone_runtime(settings)
    ctx["runtime"] = await ctx["runtime_cm"].__aenter__()


async def shutdown(ctx: dict) -> None:
    await ctx["runtime_cm"].__aexit__(None, None, None)


async def reclaim_job(ctx: dict) -> int:
    return await reclaim_expired_leases(ctx["runtime"].db)


async def agreement_job(ctx: dict) -> int:
    return await refresh_agreement(ctx["runtime"].db)


class WorkerSettings:
    functions = [reclaim_job, agreement_job]
    cron_jobs = [cron(reclaim_job, second=set(range(0, 60, 5)), run_at_startup=True),
                 cron(agreement_job, second=set(range(0, 60, 10)), unique=True, timeout=300)]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(settings.redis_url or "redis://127.0.0.1:6379")
