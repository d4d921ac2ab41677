"""Streamed JSONL export.

Items are read a page at a time by id (keyset pagination), each page in its own
short transaction, so an export of millions never holds a connection or the
whole dataset. Each line carries the item's aggregated label (``answer``, with
``confidence`` per field) and the raw answers alongside; the labels are computed
first over the whole project (majority vote by default, or Dawid-Skene, which
needs every answer at once), so memory grows with the number of answers. With
``aggregate=none`` only one page is ever held, whatever the project's size.
A specialist's adjudication, where there is one, is the item's label.

Fields that aggregate their own answers (``Component.export_label``: a rubric's scores per
criterion, a claims field's verdicts per claim) give their label and confidence themselves, from
the same answers the vote counts, whatever ``aggregate`` names; an adjudication goes through the
same hook, so a field's label has one shape however it was reached.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator

from sqlalchemy import select

from app.agreement import service as agreement
from app.db import Database
from app.export.paging import in_project
from app.items.models import Item
from app.models_base import iso, json_default
from app.projects.models import Batch, Project
from app.projects.service import interface_of
from app.work.models import ADJUDICATE, Annotation

PAGE = 1000
FORMATS = ("jsonl", "preference", "sft")  # preference: app/export/preference.py; sft: app/export/sft.py
AGGREGATES = ("majority", "dawid_skene", "none")


async def export_jsonl(db: Database, project_id: int, page_size: int = PAGE,
                       aggregate: str = "majority") -> AsyncIterator[bytes]:
    async with db.transaction() as session:
        project = await session.get(Project, project_id)
        batches = {b.id: b.name for b in (await session.execute(select(Batch).where(Batch.project_id == project_id))).scalars()}
        answers = await agreement.load_answers(session, project_id, for_labels=True) if aggregate != "none" else None
    interface = interface_of(project)
    labels = await asyncio.to_thread(_labels, interface, answers, aggregate) if answers else {}
    after = 0
    while True:
        async with db.transaction() as session:
            items = (await session.execute(select(Item).where(in_project(db, project_id), Item.id > after)
                                           .order_by(Item.id).limit(page_size))).scalars().all()
            if not items:
                return
            annotations: dict[int, list[Annotation]] = {}
            for annotation in (await session.execute(select(Annotation).where(Annotation.item_id.in_([i.id for i in items]))
                                                     .order_by(Annotation.id))).scalars():
                annotations.setdefault(annotation.item_id, []).append(annotation)
        lines = [json.dumps(_line(item, batches, annotations.get(item.id, []), interface)
                            | _label(item, annotations.get(item.id, []), labels, aggregate, interface),
                            default=json_default, ensure_ascii=False) for item in items]
        yield ("\n".join(lines) + "\n").encode()
        after = items[-1].id


def _labels(interface, answers, method: str) -> dict[int, dict[str, Any]]:
    """The agreement's votes, and the labels of the fields that aggregate their own answers."""
    labels = agreement.aggregate(interface, answers, method)
    by_item: dict[int, list[dict[str, Any]]] = {}
    for item, answer in zip(answers.item_ids, answers.answers):
        by_item.setdefault(item, []).append(answer)
    for item, given in by_item.items():
        for component in interface.components:
            values = [value for answer in given if (value := answer.get(component.name)) is not None]
            own = component.export_label(values) if values else None
            if own is not None:
                label, confidence = own
                labels.setdefault(item, {})[component.name] = {"label": label, "confidence": round(confidence, 4),
                                                              "answers": len(values)}
    return labels


def _label(item: Item, annotations: list[Annotation], labels: dict[int, dict[str, Any]], method: str,
           interface) -> dict[str, Any]:
    """The item's label: a specialist's adjudication if any, else the aggregate of its answers."""
    if method == "none" or item.is_gold:
        return {}
    adjudicated = [a for a in annotations if a.stage == ADJUDICATE]
    if adjudicated:
        answer = adjudicated[-1].answer
        return {"answer": _adjudicated(interface, answer), "confidence": {name: 1.0 for name in answer},
                "aggregation": "adjudicated"}
    fields = labels.get(item.id)
    if not fields:
        return {"answer": None, "confidence": None, "aggregation": method}
    return {"answer": {name: f["label"] for name, f in fields.items()},
            "confidence": {name: f["confidence"] for name, f in fields.items()}, "aggregation": method}


def _adjudicated(interface, answer: dict[str, Any]) -> dict[str, Any]:
    """An adjudication as the label: through a field's own label hook where it has one."""
    label = _export_answer(interface, answer)
    for name, value in answer.items():
        component = interface.by_name.get(name)
        own = component.export_label([value]) if component is not None and value is not None else None
        if own is not None:
            label[name] = own[0]
    return label


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
