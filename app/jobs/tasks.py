"""The jobs themselves, shared by the in-process runner and the arq worker."""

from __future__ import annotations

from app.db import Database
from app.work.service import reclaim_expired

#: How often expired leases are reclaimed (in the web process, or by the arq worker).
RECLAIM_EVERY_SECONDS = 5
#: How often the agreement snapshots are brought up to date when answers arrived.
AGREEMENT_EVERY_SECONDS = 10


async def reclaim_expired_leases(db: Database) -> int:
    """Return expired leases to the queue (next() also does this lazily per project)."""
    total = 0
    while True:
        async with db.transaction() as session:
            reclaimed = await reclaim_expired(session)
        total += reclaimed
        if reclaimed < 500:
            return total


async def refresh_agreement(db: Database) -> int:
    """Bring the agreement snapshot of every live project with new answers up to date (the board
    shows the snapshot; computing it never happens inside a submit or a page render), each no more
    often than its cost allows (``agreement.service.refresh_due``)."""
    from sqlalchemy import select

    from app.agreement import service as agreement
    from app.models_base import utcnow
    from app.projects.models import Project, ProjectStatus

    async with db.transaction() as session:
        live = list((await session.execute(select(Project.id).where(
            Project.status.in_([ProjectStatus.live, ProjectStatus.paused])))).scalars())
    refreshed = 0
    for project_id in live:
        async with db.transaction() as session:
            current = await agreement.snapshot(session, project_id)
            newest = await agreement.newest_answer(session, project_id)
        if agreement.refresh_due(current, newest, utcnow()):
            await agreement.refresh(db, project_id)
            refreshed += 1
    return refreshed
