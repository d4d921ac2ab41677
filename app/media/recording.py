"""Writing what an import stored: its files' rows, then which items reference them.

File rows go in first, in their own transaction, before any item: a file row no item references
is as harmless as an orphan file (nobody is served it). References go in with their items, in
the same transaction (PostgreSQL) or the same publishing step (SQLite, ``app.items.staging``),
so an item is never visible without them.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.media.models import ItemMedia, MediaFile

_FILE_COLUMNS = ("sha256", "size", "content_type", "original_name", "width", "height", "duration_s", "sample_rate",
                 "created_at")
ROWS_PER_STATEMENT = 500


def _insert(session: AsyncSession, table):
    return (postgres_insert if session.bind.dialect.name == "postgresql" else sqlite_insert)(table)


async def record_files(db: Database, files: Iterable[MediaFile]) -> None:
    """Rows for files the database does not know yet (a file already known keeps its first row)."""
    rows = [{column: getattr(file, column) for column in _FILE_COLUMNS} for file in files]
    if not rows:
        return
    async with db.transaction() as session:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            statement = _insert(session, MediaFile.__table__).on_conflict_do_nothing(index_elements=["sha256"])
            await session.execute(statement, rows[start:start + ROWS_PER_STATEMENT])


async def insert_references(session: AsyncSession, project_id: int,
                            references: list[tuple[int, str, str]]) -> None:
    """(item id, data field, SHA-256) of newly inserted items."""
    rows = [{"item_id": item_id, "field": field, "sha256": sha256, "project_id": project_id}
            for item_id, field, sha256 in references]
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        await session.execute(ItemMedia.__table__.insert(), rows[start:start + ROWS_PER_STATEMENT])
