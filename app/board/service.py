"""The numbers on the ops board, from counters kept with every change.

Nothing here counts items: a project with a million items costs the same as
one with ten (batch counters plus a 60-row throughput window).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, Role
from app.agreement.models import AgreementSnapshot
from app.events.models import Event
from app.models_base import epoch_minute, iso, utcnow
from app.projects.models import BATCH_COUNTERS, Batch, BatchCounterShard, Project, ProjectStatus
from app.quality.gold_supply import waiting_blockers
from app.quality.standings import contributor_rows
from app.review.metrics import review_backlog
from app.work.models import Assignment, AssignmentState, ThroughputBucket

WINDOW_MINUTES = 60
IDLE_MINUTES = 10
#: Contributors shown on the board; the full table is on the contributors page.
BOARD_CONTRIBUTORS = 50
#: Who needs a look first: removed, recalibrating, waiting for the gate, then qualified.
STANDING_ORDER = {"removed": 0, "recalibrating": 1, "pending_gate": 2, "qualified": 3}


@dataclass
class Counts:
    items: int = 0
    queued: int = 0
    leased: int = 0
    submitted: int = 0
    completed: int = 0
    expired_leases: int = 0
    answers_last_hour: int = 0
    sparkline: list[int] = field(default_factory=lambda: [0] * WINDOW_MINUTES)


@dataclass
class BatchStats:
    id: int
    name: str
    due_at: str | None
    counts: Counts
    blockers: list[str]

    @property
    def progress(self) -> float:
        return 0.0 if not self.counts.items else self.counts.completed / self.counts.items


@dataclass
class BoardStats:
    project_id: int
    name: str
    status: str
    overlap: int
    version: int
    generated_at: str
    totals: Counts
    batches: list[BatchStats]
    blockers: list[str]
    #: answers waiting and in hand at each review stage
    review: list[dict[str, Any]] = field(default_factory=list)
    #: the latest agreement snapshot, summarised (computed by a job, never here)
    agreement: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for batch in data["batches"]:
            batch["progress"] = round(batch["counts"]["completed"] / batch["counts"]["items"], 4) if batch["counts"]["items"] else 0.0
        return data


async def board_stats(session: AsyncSession, project: Project, now: datetime | None = None) -> BoardStats:
    now = now or utcnow()
    current_minute = epoch_minute(now)
    first_minute = current_minute - WINDOW_MINUTES + 1
    # A batch of gold items only is no production work: it has no row on the board.
    batches = list((await session.execute(select(Batch).where(Batch.project_id == project.id, Batch.items_total > 0)
                                          .order_by(Batch.id))).scalars())
    changes = await _counter_changes(session, [batch.id for batch in batches])
    buckets = await session.execute(select(ThroughputBucket.batch_id, ThroughputBucket.minute, ThroughputBucket.answers)
                                    .where(ThroughputBucket.project_id == project.id, ThroughputBucket.minute >= first_minute))
    spark: dict[int, list[int]] = {b.id: [0] * WINDOW_MINUTES for b in batches}
    for batch_id, minute, answers in buckets:
        if batch_id in spark and minute <= current_minute:
            spark[batch_id][minute - first_minute] += answers
    version = (await session.execute(select(func.max(Event.id)).where(Event.project_id == project.id))).scalar() or 0
    expired_recently = (await session.execute(select(func.count()).select_from(Assignment).where(
        Assignment.project_id == project.id, Assignment.state == AssignmentState.expired,
        Assignment.finished_at >= now - timedelta(minutes=WINDOW_MINUTES)))).scalar_one()
    contributors = (await session.execute(select(func.count()).select_from(Membership).where(
        Membership.project_id == project.id, Membership.role == Role.contributor))).scalar_one()

    totals = Counts()
    rows: list[BatchStats] = []
    last_activity: datetime | None = None
    for batch in batches:
        change = changes.get(batch.id, _NO_CHANGE)
        now_at = {name: getattr(batch, name) + change[name] for name in BATCH_COUNTERS}
        counts = Counts(items=batch.items_total, queued=now_at["items_queued"], leased=now_at["leases_active"],
                        submitted=now_at["annotations_submitted"], completed=now_at["items_completed"],
                        expired_leases=now_at["leases_expired"], sparkline=spark[batch.id])
        counts.answers_last_hour = sum(counts.sparkline)
        for name in ("items", "queued", "leased", "submitted", "completed", "expired_leases", "answers_last_hour"):
            setattr(totals, name, getattr(totals, name) + getattr(counts, name))
        totals.sparkline = [a + b for a, b in zip(totals.sparkline, counts.sparkline)]
        blockers = []
        if batch.due_at and batch.due_at < now and counts.completed < batch.items_total:
            blockers.append(f"behind its due date ({batch.items_total - counts.completed} items not done)")
        rows.append(BatchStats(id=batch.id, name=batch.name, due_at=iso(batch.due_at), counts=counts, blockers=blockers))
        for active_at in (batch.last_activity_at, change["last_activity_at"]):
            if active_at and (last_activity is None or active_at > last_activity):
                last_activity = active_at

    blockers: list[str] = []
    if project.status == ProjectStatus.live and totals.queued:
        if not contributors:
            blockers.append("no contributors are members of this project")
        elif last_activity is None or last_activity < now - timedelta(minutes=IDLE_MINUTES):
            blockers.append(f"no contributor has been active in the last {IDLE_MINUTES} minutes")
    if expired_recently:
        blockers.append(f"{expired_recently} leases expired unanswered in the last hour")
    blockers.extend(await waiting_blockers(session, project))
    for batch_stats in rows:
        blockers.extend(f"batch {batch_stats.name}: {b}" for b in batch_stats.blockers)
    if project.status == ProjectStatus.paused:
        blockers.append("the project is paused")
    review = await review_backlog(session, project)
    return BoardStats(project_id=project.id, name=project.name, status=project.status, overlap=project.overlap,
                      version=version, generated_at=iso(now), totals=totals, batches=rows, blockers=blockers,
                      review=review, agreement=await _agreement_summary(session, project.id))


async def _agreement_summary(session: AsyncSession, project_id: int) -> dict[str, Any] | None:
    """Per field alpha and percent agreement, and where disagreement concentrates; no identities."""
    row = await session.get(AgreementSnapshot, project_id)
    if row is None or not row.report.get("fields"):
        return None
    gaps = row.report.get("gaps") or {}
    summary = gaps.get("summary") or {}
    return {"computed_at": iso(row.computed_at), "answers": row.answers,
            "fields": {name: {"level": f.get("level"), "alpha": f.get("krippendorff_alpha"),
                              "percent": f.get("percent_agreement"), "items": f.get("items")}
                       for name, f in row.report["fields"].items()},
            "confusion": (gaps.get("confusion") or [])[:3],
            "summary": [summary[k] for k in ("overall", "confusion", "groups", "trend") if summary.get(k)]}


_NO_CHANGE: dict[str, Any] = {**{name: 0 for name in BATCH_COUNTERS}, "last_activity_at": None}


async def _counter_changes(session: AsyncSession, batch_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The work queue's changes to each batch's counters, added up over its shards."""
    if not batch_ids:
        return {}
    rows = await session.execute(
        select(BatchCounterShard.batch_id,
               *(func.sum(getattr(BatchCounterShard, name)).label(name) for name in BATCH_COUNTERS),
               func.max(BatchCounterShard.last_activity_at).label("last_activity_at"))
        .where(BatchCounterShard.batch_id.in_(batch_ids)).group_by(BatchCounterShard.batch_id))
    return {row.batch_id: {**{name: int(getattr(row, name) or 0) for name in BATCH_COUNTERS},
                           "last_activity_at": row.last_activity_at} for row in rows}


def contributors_first(row: dict[str, Any]) -> tuple:
    """Outliers first, then anyone not qualified, then by name."""
    return (0 if row["outliers"] else 1, STANDING_ORDER.get(row["standing"], 0), (row["name"] or "").casefold(),
            row["user_id"])


@dataclass
class BoardContributors:
    """The board's contributors section: the rows needing attention first, capped, and the totals."""

    rows: list[dict[str, Any]]
    total: int
    by_state: dict[str, int]
    outliers: int


async def board_contributors(session: AsyncSession, project: Project,
                             limit: int = BOARD_CONTRIBUTORS) -> BoardContributors:
    """One query: every contributor's standing (outliers are judged against all of them)."""
    rows = await contributor_rows(session, project)
    rows.sort(key=contributors_first)
    by_state = {state: 0 for state in STANDING_ORDER}
    for row in rows:
        by_state[row["standing"]] = by_state.get(row["standing"], 0) + 1
    return BoardContributors(rows=rows[:limit], total=len(rows), by_state=by_state,
                             outliers=sum(1 for row in rows if row["outliers"]))
