"""Review numbers: the backlog per stage (the live board shows it), each contributor's
acceptance and rejections by tag, and each reviewer's throughput and how often the next
stage upheld their decisions."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.models_base import utcnow
from app.projects.models import Project
from app.quality.models import Standing
from app.review.models import Decision, ReviewState, ReviewTask
from app.review.views import acceptance_rate


async def review_backlog(session: AsyncSession, project: Project) -> list[dict[str, Any]]:
    """Answers waiting (queued) and in hand (leased) at each stage; every configured stage is listed."""
    counts = await session.execute(
        select(ReviewTask.stage_index, ReviewTask.state, func.count())
        .where(ReviewTask.project_id == project.id, ReviewTask.state.in_([ReviewState.queued, ReviewState.leased]))
        .group_by(ReviewTask.stage_index, ReviewTask.state))
    by_stage: dict[int, dict[str, int]] = defaultdict(lambda: {"queued": 0, "leased": 0})
    for stage_index, state, count in counts:
        by_stage[stage_index][state] = count
    stages = (project.review or {}).get("stages") or []
    indexes = sorted(set(range(1, len(stages) + 1)) | set(by_stage))
    return [{"index": i, "name": stages[i - 1]["name"] if i <= len(stages) else f"Stage {i} (removed)",
             **by_stage[i]} for i in indexes]


async def rejections_by_tag(session: AsyncSession, project_id: int,
                            contributor_id: int | None = None) -> dict[int, dict[str, int]]:
    """Per contributor (everyone, or one), what reviewers rejected their answers for, most frequent first."""
    query = select(ReviewTask.contributor_id, ReviewTask.tags).where(
        ReviewTask.project_id == project_id, ReviewTask.decision == Decision.reject)
    if contributor_id is not None:
        query = query.where(ReviewTask.contributor_id == contributor_id)
    counts: dict[int, Counter] = defaultdict(Counter)
    for who, tags in await session.execute(query):
        counts[who].update(tags or ["(no tag)"])
    return {who: dict(counter.most_common()) for who, counter in counts.items()}


async def review_metrics(session: AsyncSession, project: Project, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    names = {}
    contributors = []
    standings = await session.execute(select(Standing.user_id, Standing.accepted, Standing.rejected, User.name)
                                      .join(User, User.id == Standing.user_id)
                                      .where(Standing.project_id == project.id))
    tags_by_person = await rejections_by_tag(session, project.id)
    for user_id, accepted, rejected, name in standings:
        names[user_id] = name
        contributors.append({"user_id": user_id, "name": name, "accepted": accepted, "rejected": rejected,
                             "acceptance_rate": acceptance_rate(accepted, rejected),
                             "rejections_by_tag": tags_by_person.get(user_id, {})})
    hour_ago = now - timedelta(hours=1)
    reviewer_rows = await session.execute(
        select(ReviewTask.reviewer_id, User.name, func.count(),
               func.sum(case((ReviewTask.decided_at >= hour_ago, 1), else_=0)),
               func.count(ReviewTask.audit_agrees),
               func.sum(case((ReviewTask.audit_agrees.is_(True), 1), else_=0)),
               *(func.sum(case((ReviewTask.decision == d, 1), else_=0)) for d in Decision))
        .join(User, User.id == ReviewTask.reviewer_id)
        .where(ReviewTask.project_id == project.id, ReviewTask.state == ReviewState.decided)
        .group_by(ReviewTask.reviewer_id, User.name))
    reviewers = []
    for reviewer_id, name, decided, last_hour, audited, upheld, *by_decision in reviewer_rows:
        reviewers.append({"user_id": reviewer_id, "name": name, "decisions": decided,
                          "decisions_last_hour": int(last_hour or 0),
                          "by_decision": {d.value: int(n or 0) for d, n in zip(Decision, by_decision)},
                          "audited": audited, "upheld": int(upheld or 0),
                          "agreement_with_next_stage": round(int(upheld or 0) / audited, 4) if audited else None})
    contributors.sort(key=lambda row: (row["acceptance_rate"] is None, row["acceptance_rate"] or 0, row["name"]))
    reviewers.sort(key=lambda row: -row["decisions"])
    return {"backlog": await review_backlog(session, project), "contributors": contributors, "reviewers": reviewers}
