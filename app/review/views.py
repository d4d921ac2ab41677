"""What a reviewer sees about a task: the answer, its flags, the guideline version, the
contributor's pseudonymous track record and the item's review history. Shared by the
API and the review page so both show the same facts."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.pseudonym import pseudonym
from app.items.models import Item
from app.models_base import iso
from app.prepared import Prepared
from app.quality.models import Standing
from app.review import config as review_config
from app.review.models import ReviewState, ReviewTask
from app.review.service import ReviewLease
from app.work.models import Annotation

#: The contributor's numbers a reviewer sees: one indexed row, only the columns shown.
_TRACK_RECORD = Prepared(select(Standing.state, Standing.tasks_done, Standing.warnings, Standing.gold_accuracy,
                                Standing.accepted, Standing.rejected)
                         .where(Standing.project_id == bindparam("project_id"), Standing.user_id == bindparam("user_id")))
#: Every decision on every answer to the item, oldest first (what ``decision_json`` shows, no more).
_HISTORY = Prepared(select(ReviewTask.id, ReviewTask.stage_index, ReviewTask.stage_name, ReviewTask.level,
                           ReviewTask.decision, ReviewTask.comment, ReviewTask.tags, ReviewTask.diff,
                           ReviewTask.answer_before, ReviewTask.answer_after, ReviewTask.decided_at,
                           ReviewTask.audit_agrees)
                    .where(ReviewTask.item_id == bindparam("item_id"), ReviewTask.state == ReviewState.decided)
                    .order_by(ReviewTask.id))

#: The answer under review with its item, only what ``review_json`` shows: one round trip, not two
#: ORM loads (the item's gold columns and the answer's bookkeeping are not shown).
_SHOWN = Prepared(select(Item.id.label("item_id"), Item.external_id, Item.data, Item.is_gold,
                         Annotation.id, Annotation.assignment_id, Annotation.user_id, Annotation.answer,
                         Annotation.reviewed_answer, Annotation.lint, Annotation.time_on_task_ms,
                         Annotation.guideline_version, Annotation.revises_id)
                  .join(Item, Item.id == Annotation.item_id).where(Annotation.id == bindparam("annotation_id")))
ShownItem = namedtuple("ShownItem", "id external_id data is_gold")
ShownAnswer = namedtuple("ShownAnswer", "id assignment_id user_id answer reviewed_answer lint time_on_task_ms "
                                        "guideline_version revises_id")


async def shown_lease(session: AsyncSession, task: ReviewTask) -> ReviewLease:
    """The task with the item and answer as ``review_json`` shows them (``service.lease_of`` loads
    both rows whole): what the review page reads on every open."""
    row = await _SHOWN.first(session, annotation_id=task.annotation_id)
    return ReviewLease(task, ShownItem(row.item_id, row.external_id, row.data, row.is_gold),
                       ShownAnswer(*row[4:]))


def acceptance_rate(accepted: int, rejected: int) -> float | None:
    return round(accepted / (accepted + rejected), 4) if accepted + rejected else None


async def track_record(session: AsyncSession, project_id: int, user_id: int | None, secret: str) -> dict[str, Any]:
    """The contributor as a reviewer may know them: a stable pseudonym and their numbers."""
    if user_id is None:
        return {"pseudonym": "Imported answer"}
    standing = await _TRACK_RECORD.first(session, project_id=project_id, user_id=user_id)
    record: dict[str, Any] = {"pseudonym": pseudonym(secret, project_id, user_id)}
    if standing is not None:
        record |= {"standing": standing.state, "tasks_done": standing.tasks_done, "warnings": standing.warnings,
                   "gold_accuracy": standing.gold_accuracy, "accepted": standing.accepted,
                   "rejected": standing.rejected, "acceptance_rate": acceptance_rate(standing.accepted, standing.rejected)}
    return record


def decision_json(task: ReviewTask) -> dict[str, Any]:
    """A decision as the API and the history show it (``task``: the row, or a ``_HISTORY`` row)."""
    return {"id": task.id, "stage": {"index": task.stage_index, "name": task.stage_name, "level": task.level},
            "decision": task.decision, "comment": task.comment, "tags": task.tags, "diff": task.diff,
            "answer_before": task.answer_before, "answer_after": task.answer_after,
            "decided_at": iso(task.decided_at), "audit_agrees": task.audit_agrees}


async def review_json(session: AsyncSession, lease: ReviewLease, project, secret: str) -> dict[str, Any]:
    task, item, annotation = lease.task, lease.item, lease.annotation
    history = [decision_json(t) for t in await _HISTORY.all(session, item_id=item.id) if t.id != task.id]
    return {
        "id": task.id, "state": task.state, "expires_at": iso(task.expires_at),
        "stage": {"index": task.stage_index, "name": task.stage_name, "level": task.level},
        "item": {"id": item.id, "external_id": item.external_id, "data": item.data, "is_gold": item.is_gold},
        "annotation_id": annotation.id, "answer": annotation.reviewed_answer or annotation.answer,
        "original_answer": annotation.answer, "lint": annotation.lint, "time_on_task_ms": annotation.time_on_task_ms,
        "guideline_version": annotation.guideline_version, "revises_id": annotation.revises_id,
        "contributor": await track_record(session, project.id, annotation.user_id, secret),
        "history": history, "error_tags": review_config.stored(project.review)["tags"],
    }
