"""Streamed JSONL export in constant memory.

Items are read a page at a time by id (keyset pagination), each page in its own
short transaction, so an export of millions never holds a connection or the
whole dataset: memory is one page, whatever the project's size.
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator

from sqlalchemy import select

from app.db import Database
from app.items.models import Item
from app.models_base import iso, json_default
from app.projects.models import Batch, Project
from app.projects.service import interface_of
from app.work.models import Annotation

PAGE = 1000
FORMATS = ("jsonl",)


async def export_jsonl(db: Database, project_id: int, page_size: int = PAGE) -> AsyncIterator[bytes]:
    async with db.transaction() as session:
        project = await session.get(Project, project_id)
        batches = {b.id: b.name for b in (await session.execute(select(Batch).where(Batch.project_id == project_id))).scalars()}
    interface = interface_of(project)
    after = 0
    while True:
        async with db.transaction() as session:
            items = (await session.execute(select(Item).where(Item.project_id == project_id, Item.id > after)
                                           .order_by(Item.id).limit(page_size))).scalars().all()
            if not items:
                return
            annotations: dict[int, list[Annotation]] = {}
            for annotation in (await session.execute(select(Annotation).where(Annotation.item_id.in_([i.id for i in items]))
                                                     .order_by(Annotation.id))).scalars():
                annotations.setdefault(annotation.item_id, []).append(annotation)
        lines = [json.dumps(_line(item, batches, annotations.get(item.id, []), interface),
                            default=json_default, ensure_ascii=False) for item in items]
        yield ("\n".join(lines) + "\n").encode()
        after = items[-1].id


def _export_answer(interface, answer: dict[str, Any]) -> dict[str, Any]:
    return {name: (interface.by_name[name].export(value) if name in interface.by_name else value)
            for name, value in answer.items()}


def _line(item: Item, batches: dict[int, str], annotations: list[Annotation], interface) -> dict[str, Any]:
    line: dict[str, Any] = {"id": item.id, "external_id": item.external_id, "batch": batches.get(item.batch_id),
                            "data": item.data, "gold": item.is_gold}
    if item.is_gold:
        line["gold_answer"] = item.gold_answer
        line["gold_explanation"] = item.gold_explanation
    line["annotations"] = [{
        "id": a.id, "annotator_id": a.user_id, "external_annotator": a.external_annotator, "source": a.source,
        "answer": _export_answer(interface, a.answer), "guideline_version": a.guideline_version,
        "time_on_task_ms": a.time_on_task_ms, "lint": a.lint, "created_at": iso(a.created_at),
        "stage": a.stage, "review_status": a.review_status, "revises_id": a.revises_id,
        "reviewed_answer": _export_answer(interface, a.reviewed_answer) if a.reviewed_answer is not None else None,
    } for a in annotations]
    return line
