"""Read models of standing: the ops contributors table and a contributor's own view.

Ops see identities and every number; a contributor sees only their own record,
and gold answers only for benchmark tasks whose gate is already decided.
"""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, Role, User
from app.items.models import Item
from app.models_base import iso
from app.prepared import Prepared
from app.projects.models import Project
from app.quality.models import Feedback, Standing, StandingState
from app.quality.service import median_time_ms
from app.work.models import BENCHMARK, GOLD, Annotation

OUTLIER_SIGMA = 2.0
FEEDBACK_LIMIT = 50
GOLD_HISTORY_LIMIT = 50


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def contributor_rows(session: AsyncSession, project: Project) -> list[dict[str, Any]]:
    """One row per contributor member, with outliers marked against the project's own spread."""
    rows = await session.execute(
        select(User, Standing).join(Membership, Membership.user_id == User.id)
        .outerjoin(Standing, (Standing.user_id == User.id) & (Standing.project_id == project.id))
        .where(Membership.project_id == project.id, Membership.role == Role.contributor).order_by(User.name))
    table = []
    for user, standing in rows:
        standing = standing or Standing(project_id=project.id, user_id=user.id)
        table.append({
            "user_id": user.id, "name": user.name, "email": user.email, "standing": standing.state,
            "reason": standing.reason, "gate_score": standing.gate_score, "tasks_done": standing.tasks_done,
            "gold_accuracy": standing.gold_accuracy, "gold_answered": standing.gold_answered,
            "warning_rate": _rate(standing.warnings, standing.tasks_done), "median_time_ms": median_time_ms(standing),
            "updated_at": iso(standing.updated_at), "outliers": [],
        })
    _mark_outliers(table)
    return table


def _mark_outliers(table: list[dict[str, Any]]) -> None:
    """Far from the crowd (two standard deviations) on accuracy, speed or warnings."""
    checks = [("gold_accuracy", -1, "gold accuracy far below the others"),
              ("median_time_ms", -1, "much faster than the others"),
              ("warning_rate", +1, "many more linter warnings than the others")]
    for key, direction, label in checks:
        values = [row[key] for row in table if row[key] is not None]
        if len(values) < 4:
            continue
        mean, spread = statistics.fmean(values), statistics.pstdev(values)
        if spread == 0:
            continue
        for row in table:
            value = row[key]
            if value is not None and direction * (value - mean) > OUTLIER_SIGMA * spread:
                row["outliers"].append(label)


async def own_standing(session: AsyncSession, project: Project, user_id: int) -> dict[str, Any]:
    """Everything a contributor may know about their own record in a project."""
    from app.review.metrics import rejections_by_tag  # review builds on quality

    standing = (await session.execute(select(Standing).where(
        Standing.project_id == project.id, Standing.user_id == user_id))).scalar_one_or_none()
    standing = standing or Standing(project_id=project.id, user_id=user_id)
    gold_scores = list((await session.execute(select(Annotation.gold_score).where(
        Annotation.project_id == project.id, Annotation.user_id == user_id, Annotation.stage == GOLD)
        .order_by(Annotation.id.desc()).limit(GOLD_HISTORY_LIMIT))).scalars())[::-1]
    flagged = await session.execute(select(Annotation.id, Annotation.item_id, Annotation.lint, Annotation.created_at)
                                    .where(Annotation.project_id == project.id, Annotation.user_id == user_id)
                                    .order_by(Annotation.id.desc()).limit(200))
    flags = [{"annotation_id": a_id, "task": item_id, "findings": lint, "created_at": iso(created)}
             for a_id, item_id, lint, created in flagged if lint]
    return {
        "project_id": project.id, "state": standing.state, "reason": standing.reason,
        "gate": {"attempt": standing.gate_attempt, "score": standing.gate_score,
                 "decided_at": iso(standing.gate_decided_at), "retry_at": iso(standing.retry_at),
                 "review": await _gate_review(session, project.id, standing)},
        "checks": {"accuracy": standing.gold_accuracy, "answered": standing.gold_answered,
                 "history": _rolling(gold_scores)},
        "tasks_done": standing.tasks_done, "warnings": standing.warnings, "flags": flags[:FEEDBACK_LIMIT],
        "review": {"accepted": standing.accepted, "rejected": standing.rejected,
                   "acceptance_rate": round(standing.accepted / (standing.accepted + standing.rejected), 4)
                   if standing.accepted + standing.rejected else None,
                   "rejections_by_tag": (await rejections_by_tag(session, project.id, user_id)).get(user_id, {})},
        "feedback": await _feedback(session, project.id, user_id),
    }


#: What the standing banner shows (templates/quality/_live.html), one indexed row.
_BANNER = Prepared(select(Standing.state, Standing.reason, Standing.retry_at, Standing.gold_accuracy).where(
    Standing.project_id == bindparam("project_id"), Standing.user_id == bindparam("user_id")))
#: The inbox, newest first (ix_feedback_user).
_FEEDBACK = Prepared(select(Feedback.id, Feedback.kind, Feedback.title, Feedback.body, Feedback.payload,
                            Feedback.item_id, Feedback.created_at)
                     .where(Feedback.project_id == bindparam("project_id"), Feedback.user_id == bindparam("user_id"))
                     .order_by(Feedback.id.desc()).limit(FEEDBACK_LIMIT))


async def _feedback(session: AsyncSession, project_id: int, user_id: int) -> list[dict[str, Any]]:
    return [{"id": f.id, "kind": f.kind, "title": f.title, "body": f.body, "payload": f.payload,
             "item_id": f.item_id, "created_at": iso(f.created_at)}
            for f in await _FEEDBACK.all(session, project_id=project_id, user_id=user_id)]


async def live_standing(session: AsyncSession, project_id: int, user_id: int) -> dict[str, Any]:
    """The part of ``own_standing`` the live banner and inbox show (the workspace opens with it on
    every task): two indexed reads on the driver instead of own_standing's seven through the ORM."""
    row = await _BANNER.first(session, project_id=project_id, user_id=user_id)
    state, reason, retry_at, accuracy = row if row is not None else (StandingState.pending_gate, "", None, None)
    return {"project_id": project_id, "state": state, "reason": reason, "gate": {"retry_at": iso(retry_at)},
            "checks": {"accuracy": accuracy}, "feedback": await _feedback(session, project_id, user_id)}


def _rolling(scores: list[float | None], size: int = 5) -> list[float]:
    """Accuracy over time: the mean of each answer with the ones before it, five at a time."""
    values = [s or 0.0 for s in scores]
    return [round(statistics.fmean(values[max(0, i - size + 1):i + 1]), 4) for i in range(len(values))]


async def _gate_review(session: AsyncSession, project_id: int, standing: Standing) -> list[dict[str, Any]]:
    """The benchmark tasks of the last decided attempt with the correct answers (only once decided).

    The decided attempt is the one answered by the time of the decision: later attempts (a retry
    under way) and the attempt counter (moved on by a failure with cooldown) do not matter."""
    if standing.gate_decided_at is None:
        return []
    decided_round = (await session.execute(select(func.max(Annotation.round)).where(
        Annotation.project_id == project_id, Annotation.user_id == standing.user_id, Annotation.stage == BENCHMARK,
        Annotation.created_at <= standing.gate_decided_at))).scalar()
    if decided_round is None:
        return []
    rows = await session.execute(
        select(Annotation.answer, Annotation.gold_score, Item.data, Item.gold_answer, Item.gold_explanation)
        .join(Item, Item.id == Annotation.item_id)
        .where(Annotation.project_id == project_id, Annotation.user_id == standing.user_id,
               Annotation.stage == BENCHMARK, Annotation.round == decided_round).order_by(Annotation.id))
    return [{"data": data, "your_answer": answer, "score": score, "correct_answer": gold, "explanation": why}
            for answer, score, data, gold, why in rows]
