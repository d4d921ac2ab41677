"""The jobs themselves, shared by the in-process runner and the arq worker."""

from __future__ import annotations

from app.db import Database
from app.work.service import reclaim_expired


async def reclaim_expired_leases(db: Database) -> int:
    """Return expired leases to the queue (next() also does this lazily per project)."""
    total = 0
    while True:
        async with db.transaction() as session:
            reclaimed = await reclaim_expired(session)
        total += reclaimed
        if reclaimed < 500:
            return total
