"""Putting parsed items into a project's batch, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.errors import Conflict, NotFound
from app.events.service import record
from app.items.models import Item
from app.items.parsing import ItemRecord
from app.models_base import utcnow
from app.projects.models import Batch, Project, ProjectStatus
from app.projects.service import get_or_create_batch
from app.work.models import Annotation

CHUNK = 5000


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    created: int
    gold: int
    annotations: int


async def import_records(session: AsyncSession, project: Project, records: list[ItemRecord], *,
                         batch_name: str | None, actor: User, due_at: datetime | None = None) -> ImportResult:
    """Insert every record in one transaction: a failure leaves nothing behind."""
    if project.status == ProjectStatus.completed:
        raise Conflict("the project is completed; it takes no more items")
    batch = await get_or_create_batch(session, project, batch_name, due_at)
    now = utcnow()
    rows = [{
        "project_id": project.id, "batch_id": batch.id, "external_id": r.external_id, "data": r.data,
        "is_gold": r.gold is not None, "gold_answer": r.gold, "gold_explanation": r.explanation,
        "open_slots": project.overlap, "answers": 0, "overlap_extra": 0, "created_at": now,
    } for r in records]
    with_annotations = any(r.annotations for r in records)
    annotation_rows: list[dict] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        if with_annotations:
            ids = (await session.execute(insert(Item).returning(Item.id, sort_by_parameter_order=True), chunk)).scalars().all()
            for item_id, rec in zip(ids, records[start:start + CHUNK]):
                annotation_rows.extend({
                    "project_id": project.id, "item_id": item_id, "external_annotator": a.annotator,
                    "answer": a.answer, "source": "import", "lint": [], "created_at": now,
                } for a in rec.annotations)
        else:
            await session.execute(insert(Item), chunk)
    for start in range(0, len(annotation_rows), CHUNK):
        await session.execute(insert(Annotation), annotation_rows[start:start + CHUNK])
    gold = sum(1 for r in records if r.gold is not None)
    production = len(records) - gold
    batch.items_total += production
    batch.items_queued += production
    session.add(batch)
    record(session, action="items.imported", subject_type="batch", subject_id=batch.id, project_id=project.id,
           actor_id=actor.id, payload={"batch": batch.name, "created": len(records), "gold": gold,
                                       "annotations": len(annotation_rows)})
    return ImportResult(batch_id=batch.id, created=len(records), gold=gold, annotations=len(annotation_rows))


async def get_item(session: AsyncSession, item_id: int) -> Item:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound("no such item")
    return item


async def batch_named(session: AsyncSession, project_id: int, name: str) -> Batch | None:
    return (await session.execute(select(Batch).where(Batch.project_id == project_id, Batch.name == name))).scalar_one_or_none()
