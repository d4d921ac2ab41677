"""Putting checked items into a project's batch, all or nothing.

An upload is spooled to disk, checked line by line off the event loop (``app.items.checking``), and only
then inserted, a chunk of rows per statement batch. On PostgreSQL the insert is one
transaction (other transactions go on around it: row locks, no table locks). On SQLite, whose
process has one connection, it is staged and published in short transactions
(``app.items.staging``), so requests keep being served while a million rows go in.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Awaitable, BinaryIO, Callable, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.db import Database
from app.errors import Invalid, NotFound
from app.items.checking import check_off_the_loop
from app.items.inserting import ImportResult, count_into_batch, ensure_open, insert_rows, record_imported
from app.items.models import Item
from app.items.parsing import ItemRecord, detect_format
from app.items.reading import first_bytes
from app.items.spool import CHUNK_ROWS, AsyncChunks, RecordSpool, item_row
from app.items.staging import import_staged
from app.models_base import utcnow
from app.projects.models import Batch, Project
from app.projects.service import get_or_create_batch, get_project, interface_of

log = logging.getLogger(__name__)

#: A batch name is at most this long (``Batch.name``).
BATCH_NAME_LIMIT = 200


def batch_name_of(name: str | None) -> str:
    """The batch an import goes to (default: "default"), checked before the upload is read."""
    name = (name or "").strip() or "default"
    if len(name) > BATCH_NAME_LIMIT:
        raise Invalid({"batch": f"at most {BATCH_NAME_LIMIT} characters"})
    return name


async def import_records(session: AsyncSession, project: Project, records: Iterable[ItemRecord], *,
                         batch_name: str | None, actor: User, due_at: datetime | None = None) -> ImportResult:
    """Records already in memory (the demo seed, the project page's upload) into the project, inside
    the caller's transaction: a failure leaves nothing behind."""
    ensure_open(project)
    batch = await get_or_create_batch(session, project, batch_name, due_at)
    rows = [item_row(r) for r in records]
    now = utcnow()
    production = 0
    for start in range(0, len(rows), CHUNK_ROWS):
        production += await insert_rows(session, project, batch.id, rows[start:start + CHUNK_ROWS], now)
    await count_into_batch(session, batch.id, production)
    result = ImportResult(batch_id=batch.id, created=len(rows), gold=len(rows) - production,
                          annotations=sum(len(row.annotations) for row in rows))
    record_imported(session, project_id=project.id, batch=batch, actor_id=actor.id, result=result)
    return result


async def import_upload(db: Database, project_id: int, source: BinaryIO, *, actor: User, fmt: str | None,
                        filename: str | None = None, content_type: str | None = None, batch_name: str | None = None,
                        due_at: datetime | None = None,
                        then: Callable[[RecordSpool], Awaitable[RecordSpool]] | None = None) -> tuple[ImportResult, str]:
    """An upload (a binary file, e.g. the spooled request body) into the project, all or nothing, with
    the format it was read as. Raises ImportRejected (every problem with its line), Conflict (the
    project is completed), Invalid (the batch name), NotFound. ``then`` turns the checked rows into
    the rows inserted (e.g. media named by the items stored, ``app.media.importing``)."""
    name = batch_name_of(batch_name)
    async with db.transaction() as session:
        project = await get_project(session, project_id)
        ensure_open(project)
        interface, interface_specs = interface_of(project), project.interface
    fmt = fmt or detect_format(filename, content_type, first_bytes(source))
    started = time.perf_counter()
    spool = await check_off_the_loop(source, fmt, interface_specs, interface)
    if then is not None:
        checked_rows = spool
        try:
            spool = await then(checked_rows)
        finally:
            checked_rows.close()
    checked = time.perf_counter()
    try:
        if db.is_sqlite:
            result = await import_staged(db, project_id, spool, batch_name=name, due_at=due_at, actor=actor)
        else:
            result = await _import_in_one_transaction(db, project_id, spool, batch_name=name, due_at=due_at,
                                                      actor=actor)
    finally:
        spool.close()
    log.info("import into project %s: %d %s lines checked in %.1f s, inserted in %.1f s", project_id,
             result.created, fmt, checked - started, time.perf_counter() - checked)
    return result, fmt


async def _import_in_one_transaction(db: Database, project_id: int, spool: RecordSpool, *, batch_name: str,
                                     due_at: datetime | None, actor: User) -> ImportResult:
    """PostgreSQL: every chunk in one transaction, which the database itself makes all or nothing
    (a process that dies mid-import leaves nothing); others' transactions are not held by it."""
    async with db.transaction() as session:
        project = await get_project(session, project_id)
        ensure_open(project)
        batch = await get_or_create_batch(session, project, batch_name, due_at)
        now = utcnow()
        production = 0
        async for chunk in AsyncChunks(spool):
            production += await insert_rows(session, project, batch.id, chunk, now)
        await count_into_batch(session, batch.id, production)
        result = ImportResult(batch_id=batch.id, created=spool.rows, gold=spool.gold, annotations=spool.annotations)
        record_imported(session, project_id=project.id, batch=batch, actor_id=actor.id, result=result)
    return result


async def get_item(session: AsyncSession, item_id: int) -> Item:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound("no such item")
    return item


async def batch_named(session: AsyncSession, project_id: int, name: str) -> Batch | None:
    return (await session.execute(select(Batch).where(Batch.project_id == project_id, Batch.name == name))).scalar_one_or_none()
