"""The database: one engine per process, short transactions, publish after commit.

SQLite (the embedded default) serialises writers, so the process keeps a
single connection and every transaction starts with ``BEGIN IMMEDIATE``: no
two transactions of this process ever interleave, and another process (the
CLI) waits on ``busy_timeout`` instead of failing. PostgreSQL gets a pool and
row locks (``FOR UPDATE SKIP LOCKED``) where work is handed out.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, AsyncIterator, Awaitable, Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

AfterCommit = Callable[[list[Any]], Awaitable[None]]

PENDING_EVENTS = "pending_events"
BEFORE_COMMIT = "before_commit"


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0,
            pool_timeout=60, connect_args={"timeout": 30},
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver glue
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection):  # pragma: no cover - driver glue
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # A pool per process, sized so several web workers stay within PostgreSQL's default
    # max_connections (100); recycled instead of pinged on every checkout (a round trip each).
    # No overflow: under a burst, requests wait for a pooled connection rather than open and
    # drop new ones (a new backend plus the driver's set-up cost more than the wait; with 200
    # contributors the churn put the work loop's p99 at 115-260 ms instead of 65 ms).
    return create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_recycle=1800)


class Database:
    """Owns the engine and hands out transactions that publish their events after commit."""

    def __init__(self, url: str, after_commit: AfterCommit | None = None, pool_size: int = 10):
        self.url = url
        self.engine = make_engine(url, pool_size)
        self.is_sqlite = url.startswith("sqlite")
        self.sessionmaker = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self.after_commit = after_commit

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: append its events, commit on success, roll back on error, then publish."""
        async with self.sessionmaker() as session:
            async with session.begin():
                yield session
                await _append_events(session)
        await self._publish(session)

    @asynccontextmanager
    async def work_transaction(self) -> AsyncIterator[AsyncSession]:
        """The same unit of work for the work loop's requests, on PostgreSQL without an ORM session
        until the work needs one (app/lean.py says why); on SQLite the ordinary transaction."""
        if self.is_sqlite:
            async with self.transaction() as session:
                yield session
            return
        from app.lean import LeanSession

        session = await LeanSession.begin(self.engine)
        try:
            yield session
            await _append_events(session)
            await session.commit()
        except BaseException:
            await session.rollback()  # also after a failed commit: the connection goes back either way
            raise
        await self._publish(session)

    async def _publish(self, session: AsyncSession) -> None:
        """Hand a committed transaction's events to the publisher (never before the commit)."""
        pending = session.info.pop(PENDING_EVENTS, [])
        if pending and self.after_commit is not None:
            await self.after_commit(pending)

    async def dispose(self) -> None:
        await self.engine.dispose()



def before_commit(session: AsyncSession, statement: Any, params: dict[str, Any]) -> None:
    """Queue a write (a ``Prepared`` statement) for just before the commit, beside the events.
    Counters that every transaction updates are then locked for the shortest time, and on
    PostgreSQL they and the events go to the server as one statement."""
    session.info.setdefault(BEFORE_COMMIT, []).append((statement, params))


async def _append_events(session: AsyncSession) -> None:
    """Run the queued writes and insert the transaction's events, just before the commit: in one
    statement where they can be (one row each, no statement twice), else one by one (a
    unit-of-work flush per event cost more than the work it recorded on the hot path)."""
    from app.prepared import Together

    steps = session.info.pop(BEFORE_COMMIT, [])
    events = session.info.get(PENDING_EVENTS) or []
    if len(events) == 1:
        steps.append((_event_insert(), events[0].row()))
        events = []
    statements = tuple(statement for statement, _ in steps)
    if len(steps) > 1 and len(set(statements)) == len(statements):
        await Together.of(*statements).run(session, *(params for _, params in steps))
    else:
        for statement, params in steps:
            await statement.run(session, **params)
    if events:
        await _event_insert().run_many(session, [event.row() for event in events])


@lru_cache(maxsize=1)
def _event_insert():
    from app.events.models import Event  # the events slice builds on this module
    from app.prepared import insert_row

    return insert_row(Event.__table__)


def dialect_insert(session: AsyncSession):
    """The INSERT with ON CONFLICT clauses for the session's backend (get-or-create and upserts without races)."""
    if session.bind.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert
