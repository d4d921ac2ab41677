"""A transaction for the work loop: a pooled PostgreSQL connection without an ORM session, until
something asks for one.

Why: a transaction through an ORM session (session, begin, connection, commit, close) costs
~320 µs of CPU here on top of the ~170 µs the same transaction costs on the driver; a
next+submit cycle is two transactions and has ~6 ms of CPU in all (BENCHMARKS.md §8). The work
loop's common path runs only ``Prepared`` statements, so it needs no session; its rare paths
(gold, fixes, review queueing, disagreement routing) use the ORM, and get a real
``AsyncSession`` over the very same connection and transaction the moment they touch one.

PostgreSQL (asyncpg) only: SQLite keeps the ordinary session transaction, which issues its
``BEGIN IMMEDIATE`` itself (see app/db.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession


class LeanSession:
    """Stands in for an ``AsyncSession`` in one transaction. ``info`` and ``bind`` are its own;
    any other attribute (``execute``, ``get``, ``add``, ``flush``…) is the ORM session's, made
    on first use over this transaction's connection."""

    def __init__(self, engine: AsyncEngine, raw):
        self.bind = engine
        self.info: dict[str, Any] = {}
        self._raw = raw  # the pool's connection, checked out for this transaction
        self._adapted = raw.dbapi_connection  # SQLAlchemy's asyncpg adapter
        self.driver_connection = raw.driver_connection  # asyncpg's own connection
        self._orm: AsyncSession | None = None
        self._orm_connection: AsyncConnection | None = None

    @classmethod
    async def begin(cls, engine: AsyncEngine) -> "LeanSession":
        raw = await engine.raw_connection()
        session = cls(engine, raw)
        try:
            await session._adapted._start_transaction()  # the adapter's own BEGIN, so it knows of it
        except BaseException:
            raw.invalidate()
            raise
        return session

    def __getattr__(self, name: str) -> Any:
        return getattr(self.orm, name)

    @property
    def orm(self) -> AsyncSession:
        """The ORM session over this transaction (made once, on first use)."""
        if self._orm is None:
            sync_connection = Connection(self.bind.sync_engine, connection=self._raw)
            self._orm_connection = AsyncConnection(self.bind, sync_connection)
            self._orm = AsyncSession(bind=self._orm_connection, expire_on_commit=False)
        return self._orm

    async def commit(self) -> None:
        if self._orm is not None:
            await self._orm.commit()  # flushes, then commits the adapter's transaction
            await self._close_orm()
        else:
            await self._adapted._call_and_discard(self._adapted._transaction.commit)
            self._raw.close()

    async def rollback(self) -> None:
        try:
            if self._orm is not None:
                await self._orm.rollback()
                await self._close_orm()
            elif self._adapted._transaction is not None:
                await self._adapted._call_and_discard(self._adapted._transaction.rollback)
                self._raw.close()
            else:
                self._raw.close()
        except Exception:  # a connection that cannot roll back is not given to anyone else
            self._raw.invalidate()
            raise

    async def _close_orm(self) -> None:
        await self._orm.close()
        await self._orm_connection.close()  # returns the pool's connection
