"""Runs periodic jobs inside the web process when there is no Redis.

With REDIS_URL set, the arq worker (``app.jobs.worker``) runs them instead, so
several web processes do not all repeat the same work.
"""

from __future__ import annotations

import asyncio
import logging

from app.config import Settings
from app.db import Database
from app.jobs.tasks import refresh_agreement, reclaim_expired_leases

log = logging.getLogger(__name__)

RECLAIM_EVERY_SECONDS = 5.0
#: Agreement is refreshed every this many reclaim rounds (so at most every 10 s) when answers arrived.
AGREEMENT_EVERY_ROUNDS = 2


class JobRunner:
    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.in_process = settings.redis_url is None
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self.in_process:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        rounds = 0
        while True:
            await asyncio.sleep(RECLAIM_EVERY_SECONDS)
            rounds += 1
            try:
                await reclaim_expired_leases(self.db)
            except Exception:
                log.exception("reclaiming expired leases failed")
            if rounds % AGREEMENT_EVERY_ROUNDS == 0:
                try:
                    await refresh_agreement(self.db)
                except Exception:
                    log.exception("refreshing agreement failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
