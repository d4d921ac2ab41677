"""Inserting checked rows: the statements, ids, counters and event every import path shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, bindparam, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

from app.errors import Conflict
from app.events.service import record
from app.items.models import Item
from app.items.spool import ItemRow
from app.media.recording import insert_references
from app.prepared import Prepared
from app.projects.models import Batch, Project, ProjectStatus
from app.work.models import ANNOTATE, Annotation, ReviewStatus


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    created: int
    gold: int
    annotations: int


class SerialisedJSON(TypeDecorator):
    """A JSON column bound with text that is already JSON: the spool serialised it once, in the
    checking thread, so the insert does not encode a million values again on the event loop."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def bind_processor(self, dialect):
        return None


_INSERT_ITEM = Prepared(Item.__table__.insert().values(
    id=bindparam("id"), project_id=bindparam("project_id"), batch_id=bindparam("batch_id"),
    external_id=bindparam("external_id"), data=bindparam("data", type_=SerialisedJSON()),
    is_gold=bindparam("is_gold"), gold_answer=bindparam("gold_answer", type_=SerialisedJSON()),
    gold_explanation=bindparam("gold_explanation"), open_slots=bindparam("open_slots"), answers=0, overlap_extra=0,
    created_at=bindparam("created_at")))

#: Every column an imported answer needs; the rest stay NULL (no assignment, person, version or review).
_IMPORTED_ANSWER = dict(source="import", stage=ANNOTATE, round=0, review_status=ReviewStatus.none.value)
_INSERT_ANNOTATION = Prepared(Annotation.__table__.insert().values(
    project_id=bindparam("project_id"), item_id=bindparam("item_id"),
    external_annotator=bindparam("external_annotator"), answer=bindparam("answer", type_=SerialisedJSON()),
    lint=literal_column("'[]'"), review_route=literal_column("'[]'"), created_at=bindparam("created_at"),
    **_IMPORTED_ANSWER))

_SQLITE_LAST_ITEM_ID = Prepared(select(func.coalesce(func.max(Item.id), 0)))
_POSTGRES_ITEM_IDS = Prepared(select(literal_column("nextval(pg_get_serial_sequence('item', 'id'))"))
                              .select_from(func.generate_series(1, bindparam("n"))))


async def new_item_ids(session: AsyncSession, count: int) -> list[int]:
    """Ids for ``count`` new items, known before they are inserted so their annotations can name
    them in the same batch of statements. SQLite: the next ones after the largest (the transaction
    holds the write lock from its BEGIN IMMEDIATE, so no one else takes them); PostgreSQL: the
    column's sequence."""
    if session.bind.dialect.name == "sqlite":
        last = await _SQLITE_LAST_ITEM_ID.scalar(session)
        return list(range(last + 1, last + 1 + count))
    return [row[0] for row in await _POSTGRES_ITEM_IDS.all(session, n=count)]


async def insert_rows(session: AsyncSession, project: Project, batch_id: int, rows: list[ItemRow],
                      now: datetime) -> int:
    """Insert one chunk of checked rows with their prior annotations; return how many are production
    items (gold items are checks, not work, and stay out of the batch's counts)."""
    ids = await new_item_ids(session, len(rows))
    await _INSERT_ITEM.run_many(session, [{
        "id": item_id, "project_id": project.id, "batch_id": batch_id, "external_id": row.external_id,
        "data": row.data, "is_gold": row.is_gold, "gold_answer": row.gold_answer,
        "gold_explanation": row.gold_explanation, "open_slots": project.overlap, "created_at": now,
    } for item_id, row in zip(ids, rows)])
    answers = [{"project_id": project.id, "item_id": item_id, "external_annotator": prior.annotator,
                "answer": prior.answer, "created_at": prior.created_at or now}
               for item_id, row in zip(ids, rows) for prior in row.annotations]
    if answers:
        await _INSERT_ANNOTATION.run_many(session, answers)
    media = [(item_id, field, sha256) for item_id, row in zip(ids, rows) for field, sha256 in row.media]
    if media:
        await insert_references(session, project.id, media)
    return sum(1 for row in rows if not row.is_gold)


async def count_into_batch(session: AsyncSession, batch_id: int, production: int) -> None:
    """New production items are queued: the batch's base counters (the work queue keeps its own
    changes in counter shards, app/work)."""
    if production:
        await session.execute(update(Batch).where(Batch.id == batch_id).values(
            items_total=Batch.items_total + production, items_queued=Batch.items_queued + production))


def record_imported(session: AsyncSession, *, project_id: int, batch: Batch, actor_id: int,
                    result: ImportResult) -> None:
    record(session, action="items.imported", subject_type="batch", subject_id=batch.id, project_id=project_id,
           actor_id=actor_id, payload={"batch": batch.name, "created": result.created, "gold": result.gold,
                                       "annotations": result.annotations})


def ensure_open(project: Project) -> None:
    if project.status == ProjectStatus.completed:
        raise Conflict("the project is completed; it takes no more items")
