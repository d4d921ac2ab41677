"""Imports on SQLite: staged in short transactions, committed in a small one, then published.

The process has one SQLite connection, so every transaction holds every other request for its
length; one transaction inserting a million rows held them for tens of seconds. Here each step
is a short transaction:

1. *staging*: the checked rows go into ``itemimportrow``/``itemimportannotation`` a chunk at a
   time. No reader looks there: a staged import is invisible to the work queue, the board,
   exports and reports.
2. *commit*: one small transaction checks the project is still open, finds or makes the batch
   and marks the import ``publishing``. From here on the import is decided.
3. *publishing*: a chunk per transaction moves rows into ``item``/``annotation`` (INSERT ...
   SELECT, ids assigned in order), adds them to the batch's counters and drops them from
   staging; the last one records ``items.imported`` and deletes the import.

If the process stops, ``finish_interrupted_imports`` (at start-up and before every import)
throws away an import that was staging and finishes one that was publishing, as soon as its
process is gone (or it has shown no sign of life for ``STALE``). So a stopped import is
either not there at all or, before the process serves again, all there.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.db import Database
from app.items.inserting import SerialisedJSON, ImportResult, count_into_batch, ensure_open, record_imported
from app.items.models import ImportState, Item, ItemImport, ItemImportAnnotation, ItemImportRow
from app.items.spool import AsyncChunks, ItemRow, RecordSpool
from app.media.models import ItemImportMedia, ItemMedia
from app.models_base import utcnow
from app.prepared import Prepared
from app.projects.models import Batch, Project
from app.projects.service import get_or_create_batch, get_project
from app.work.models import ANNOTATE, Annotation, ReviewStatus

log = logging.getLogger(__name__)

#: Rows per staging transaction, and moved into the project per publishing transaction: each holds
#: the process's one connection, so every request that arrives meanwhile waits for it. 500 rows take
#: ~10 ms to publish on a quiet 2-core machine (2,000 took ~40, and pushed the work loop's p99 past 100 ms).
STAGE_ROWS = 250
PUBLISH_ROWS = 500
#: An import whose process is alive but silent this long is taken over.
STALE = timedelta(seconds=60)

_STAGE_ROW = Prepared(ItemImportRow.__table__.insert().values(
    import_id=bindparam("import_id"), seq=bindparam("seq"), external_id=bindparam("external_id"),
    is_gold=bindparam("is_gold"), data=bindparam("data", type_=SerialisedJSON()),
    gold_answer=bindparam("gold_answer", type_=SerialisedJSON()), gold_explanation=bindparam("gold_explanation")))
_STAGE_MEDIA = Prepared(ItemImportMedia.__table__.insert().values(
    import_id=bindparam("import_id"), seq=bindparam("seq"), field=bindparam("field"), sha256=bindparam("sha256")))
_STAGE_ANNOTATION = Prepared(ItemImportAnnotation.__table__.insert().values(
    import_id=bindparam("import_id"), seq=bindparam("seq"), position=bindparam("position"),
    annotator=bindparam("annotator"), answer=bindparam("answer", type_=SerialisedJSON()),
    created_at=bindparam("created_at")))

#: Imports this process is running (another process, or this one restarted with the same pid, may
#: take over any other), and their publishing tasks, which outlive the request that started them.
_running: set[int] = set()
_publishing: set[asyncio.Task] = set()


async def import_staged(db: Database, project_id: int, spool: RecordSpool, *, batch_name: str,
                        due_at: datetime | None, actor: User) -> ImportResult:
    """The spooled rows into the project's batch, every step a short transaction (see the module)."""
    await finish_interrupted_imports(db)
    import_id = await begin(db, project_id, spool, batch_name=batch_name, due_at=due_at, actor_id=actor.id)
    _running.add(import_id)
    try:
        try:
            await stage(db, import_id, spool)
            await commit(db, import_id)
        except BaseException:
            await _discard(db, import_id)  # if this fails too, the next import or start-up does it
            raise
        # Decided: the rest must happen even if the request goes away, so it runs as its own task.
        task = asyncio.ensure_future(_publish(db, import_id))
        _publishing.add(task)
        task.add_done_callback(_publishing.discard)
        result = await asyncio.shield(task)
    finally:
        _running.discard(import_id)
    assert result is not None  # nobody takes over an import its running process owns
    return result


async def begin(db: Database, project_id: int, spool: RecordSpool, *, batch_name: str, due_at: datetime | None,
                actor_id: int, owner_pid: int | None = None) -> int:
    """Step 0: the import's row, staging (``owner_pid``: this process unless told otherwise)."""
    async with db.transaction() as session:
        started = ItemImport(project_id=project_id, batch_name=batch_name, due_at=due_at, actor_id=actor_id,
                             owner_pid=owner_pid or os.getpid(), rows=spool.rows, gold=spool.gold,
                             annotations=spool.annotations)
        session.add(started)
        await session.flush()
        return started.id


async def commit(db: Database, import_id: int) -> None:
    """Step 2, one small transaction: the project still open, the batch found or made, the import
    decided (``publishing``)."""
    async with db.transaction() as session:
        started = await session.get(ItemImport, import_id)
        project = await get_project(session, started.project_id)
        ensure_open(project)
        batch = await get_or_create_batch(session, project, started.batch_name, started.due_at)
        await _alive(session, import_id, state=ImportState.publishing, batch_id=batch.id)


async def stage(db: Database, import_id: int, spool: RecordSpool) -> None:
    """Step 1: the checked rows into staging, ``STAGE_ROWS`` per transaction."""
    seq = 0
    async for whole in AsyncChunks(spool):
        for start in range(0, len(whole), STAGE_ROWS):
            seq = await _stage_rows(db, import_id, whole[start:start + STAGE_ROWS], seq)


async def _stage_rows(db: Database, import_id: int, chunk: list[ItemRow], seq: int) -> int:
    """One staging transaction; the last sequence number it used."""
    rows, answers, media = [], [], []
    for row in chunk:
        seq += 1
        media.extend({"import_id": import_id, "seq": seq, "field": field, "sha256": sha256}
                     for field, sha256 in row.media)
        rows.append({"import_id": import_id, "seq": seq, "external_id": row.external_id, "is_gold": row.is_gold,
                     "data": row.data, "gold_answer": row.gold_answer, "gold_explanation": row.gold_explanation})
        answers.extend({"import_id": import_id, "seq": seq, "position": position, "annotator": prior.annotator,
                        "answer": prior.answer, "created_at": prior.created_at}
                       for position, prior in enumerate(row.annotations))
    async with db.transaction() as session:
        await _STAGE_ROW.run_many(session, rows)
        if answers:
            await _STAGE_ANNOTATION.run_many(session, answers)
        if media:
            await _STAGE_MEDIA.run_many(session, media)
        await _alive(session, import_id)
    return seq


async def _alive(session: AsyncSession, import_id: int, **changes) -> None:
    await session.execute(update(ItemImport).where(ItemImport.id == import_id).values(heartbeat_at=utcnow(), **changes))


async def _publish(db: Database, import_id: int) -> ImportResult | None:
    """Move the import's rows into the project a chunk per transaction; the result once all are in,
    None if it was not (or no longer) publishing (another process finished it)."""
    while True:
        async with db.transaction() as session:
            result = await publish_chunk(session, import_id)
        if result is not False:
            return result


async def publish_chunk(session: AsyncSession, import_id: int) -> ImportResult | None | bool:
    """Step 3, once per chunk: the ImportResult after the last, None if there is nothing to publish,
    else False."""
    started = (await session.execute(select(ItemImport).where(
        ItemImport.id == import_id, ItemImport.state == ImportState.publishing))).scalar_one_or_none()
    if started is None:
        return None
    low = started.published + 1
    high = min(started.published + PUBLISH_ROWS, started.rows)
    overlap = (await session.execute(select(Project.overlap).where(Project.id == started.project_id))).scalar_one()
    now = utcnow()
    last_id = (await session.execute(select(func.coalesce(func.max(Item.id), 0)))).scalar_one()
    staged = and_(ItemImportRow.import_id == import_id, ItemImportRow.seq.between(low, high))
    # Ids in upload order: the next ones after the largest (BEGIN IMMEDIATE: nobody else inserts now).
    await session.execute(insert(Item).from_select(
        ["id", "project_id", "batch_id", "external_id", "data", "is_gold", "gold_answer", "gold_explanation",
         "open_slots", "answers", "overlap_extra", "created_at"],
        select(ItemImportRow.seq + (last_id - low + 1), literal(started.project_id), literal(started.batch_id),
               ItemImportRow.external_id, ItemImportRow.data, ItemImportRow.is_gold, ItemImportRow.gold_answer,
               ItemImportRow.gold_explanation, literal(overlap), literal(0), literal(0), literal(now, Item.created_at.type))
        .where(staged).order_by(ItemImportRow.seq)))
    staged_answers = and_(ItemImportAnnotation.import_id == import_id, ItemImportAnnotation.seq.between(low, high))
    await session.execute(insert(Annotation).from_select(
        ["project_id", "item_id", "external_annotator", "answer", "source", "stage", "round", "review_status", "lint",
         "review_route", "created_at"],
        select(literal(started.project_id), ItemImportAnnotation.seq + (last_id - low + 1),
               ItemImportAnnotation.annotator, ItemImportAnnotation.answer, literal("import"), literal(ANNOTATE),
               literal(0), literal(ReviewStatus.none.value), literal("[]"), literal("[]"),
               func.coalesce(ItemImportAnnotation.created_at, literal(now, Annotation.created_at.type)))
        .where(staged_answers).order_by(ItemImportAnnotation.seq, ItemImportAnnotation.position)))
    staged_media = and_(ItemImportMedia.import_id == import_id, ItemImportMedia.seq.between(low, high))
    await session.execute(insert(ItemMedia).from_select(
        ["item_id", "field", "sha256", "project_id"],
        select(ItemImportMedia.seq + (last_id - low + 1), ItemImportMedia.field, ItemImportMedia.sha256,
               literal(started.project_id)).where(staged_media)))
    await session.execute(delete(ItemImportMedia).where(staged_media))
    production = (await session.execute(select(func.count()).where(staged, ~ItemImportRow.is_gold))).scalar_one()
    await count_into_batch(session, started.batch_id, production)
    await session.execute(delete(ItemImportAnnotation).where(staged_answers))
    await session.execute(delete(ItemImportRow).where(staged))
    if high < started.rows:
        await _alive(session, import_id, published=high)
        return False
    batch = await session.get(Batch, started.batch_id)
    result = ImportResult(batch_id=started.batch_id, created=started.rows, gold=started.gold,
                          annotations=started.annotations)
    record_imported(session, project_id=started.project_id, batch=batch, actor_id=started.actor_id, result=result)
    await session.execute(delete(ItemImport).where(ItemImport.id == import_id))
    return result


async def _discard(db: Database, import_id: int) -> None:
    """Throw a staged import away, a chunk of rows per transaction."""
    while True:
        async with db.transaction() as session:
            seqs = select(ItemImportRow.seq).where(ItemImportRow.import_id == import_id).order_by(
                ItemImportRow.seq).limit(PUBLISH_ROWS)
            high = (await session.execute(select(func.max(seqs.subquery().c.seq)))).scalar_one()
            if high is None:
                await session.execute(delete(ItemImportAnnotation).where(ItemImportAnnotation.import_id == import_id))
                await session.execute(delete(ItemImportMedia).where(ItemImportMedia.import_id == import_id))
                await session.execute(delete(ItemImport).where(ItemImport.id == import_id))
                return
            await session.execute(delete(ItemImportAnnotation).where(
                ItemImportAnnotation.import_id == import_id, ItemImportAnnotation.seq <= high))
            await session.execute(delete(ItemImportRow).where(
                ItemImportRow.import_id == import_id, ItemImportRow.seq <= high))


def _gone(pid: int) -> bool:
    """Whether the process that ran an import has ended."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


async def finish_interrupted_imports(db: Database) -> None:
    """Throw away the imports a stopped process left staging and finish the ones it left publishing.
    An import whose process still runs is left to it unless it has been silent for ``STALE``."""
    if not db.is_sqlite:
        return  # PostgreSQL imports are one transaction: nothing can be left half done
    async with db.transaction() as session:
        found = (await session.execute(select(ItemImport.id, ItemImport.state, ItemImport.owner_pid,
                                              ItemImport.heartbeat_at))).all()
    silent_since = utcnow() - STALE
    for import_id, state, pid, heartbeat_at in found:
        if import_id in _running or not (pid == os.getpid() or _gone(pid) or heartbeat_at < silent_since):
            continue
        if state == ImportState.publishing:
            log.warning("finishing import %s, left publishing by process %s", import_id, pid)
            await _publish(db, import_id)
        else:
            log.warning("throwing away import %s, left staging by process %s", import_id, pid)
            await _discard(db, import_id)
