"""Runs periodic jobs inside the web process when there is no Redis.

With REDIS_URL set, the arq worker (``inkwell worker``, ``app.jobs.worker``) runs them instead, so
several web processes do not all repeat the same work.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from app.config import Settings
from app.db import Database
from app.jobs.tasks import AGREEMENT_EVERY_SECONDS, RECLAIM_EVERY_SECONDS, refresh_agreement, reclaim_expired_leases
from app.models_base import utcnow

log = logging.getLogger(__name__)

#: Agreement is refreshed every this many reclaim rounds when answers arrived.
AGREEMENT_EVERY_ROUNDS = AGREEMENT_EVERY_SECONDS // RECLAIM_EVERY_SECONDS


class JobRunner:
    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.in_process = settings.redis_url is None
        self._task: asyncio.Task | None = None
        #: When the in-process reclaim last ran (/readyz); the arq worker records its own in Redis.
        self.last_reclaim_at: datetime | None = None

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
                self.last_reclaim_at = utcnow()
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
