"""Which gold items a benchmark or recalibration round may give a person, and who waits for more.

A round takes gold items the person was never given. With the stage's reuse policy on
(``benchmark.reuse_seen_gold``, ``gold.recalibration_reuse_seen_gold``), items from their earlier
rounds follow once those run out, never one twice in a round. A round is only served when it can
be completed: otherwise ``next`` refuses with 409 ``not_enough_gold`` (a half-served round would
strand the person mid-way), and the standing is marked ``waiting_for_gold_since`` when a round
starts short, so the board can say how many people wait without checking everyone on each render.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.items.models import Item
from app.projects.models import Project
from app.quality import config as quality_config
from app.quality.models import Standing, StandingState
from app.work.models import BENCHMARK, GOLD_STAGES, RECALIBRATION, Assignment

#: The round a standing is in, by state: the stage it is served from and the standing's round counter.
ROUND_STAGES = {StandingState.pending_gate: BENCHMARK, StandingState.recalibrating: RECALIBRATION}
NOT_ENOUGH_GOLD = "not_enough_gold"


def round_size(quality: dict[str, Any], stage: str) -> int:
    return quality["benchmark"]["size"] if stage == BENCHMARK else quality["gold"]["recalibration_size"]


def reuse_allowed(quality: dict[str, Any], stage: str) -> bool:
    if stage == BENCHMARK:
        return bool(quality["benchmark"]["reuse_seen_gold"])
    return bool(quality["gold"]["recalibration_reuse_seen_gold"])


def _had(user_id: int, stage: str | None = None, round_: int | None = None):
    """The person was given this item before (in this stage and round, when they are named)."""
    where = [Assignment.item_id == Item.id, Assignment.user_id == user_id]
    if stage is not None:
        where += [Assignment.stage == stage, Assignment.round == round_]
    return select(Assignment.id).where(*where).exists()


def _gold_of(project_id: int):
    return and_(Item.project_id == project_id, Item.is_gold.is_(True))


async def pick(session: AsyncSession, project_id: int, user_id: int, stage: str, round_: int,
               quality: dict[str, Any]):
    """A gold item for the round's next task (id, batch_id, data): one never given to the person
    first. Raises Conflict ``not_enough_gold`` when the round cannot be completed."""
    in_this_round = _had(user_id, stage, round_)
    eligible = ~in_this_round if reuse_allowed(quality, stage) else ~_had(user_id)
    available = select(func.count()).select_from(Item).where(_gold_of(project_id), eligible).scalar_subquery()
    served = select(func.count()).select_from(Assignment).where(
        Assignment.project_id == project_id, Assignment.user_id == user_id, Assignment.stage == stage,
        Assignment.round == round_).scalar_subquery()
    row = (await session.execute(
        select(Item.id, Item.batch_id, Item.data, available.label("available"), served.label("served"))
        .where(_gold_of(project_id), eligible)
        .order_by(case((_had(user_id), 1), else_=0), func.random()).limit(1))).first()
    if row is None or row.available < round_size(quality, stage) - row.served:
        raise short_of_gold(stage)
    return row


def short_of_gold(stage: str) -> Conflict:
    what = "benchmark retry" if stage == BENCHMARK else "recalibration set"
    return Conflict(f"there are not enough new tasks for your {what} yet; the project's team has been told. "
                    f"Please come back later", reason=NOT_ENOUGH_GOLD, stage=stage)


async def mark_round_start(session: AsyncSession, project: Project, standing: Standing, now: datetime) -> None:
    """A new round begins (a retry, a recalibration set, a re-gate): remember whether it is short."""
    stage = ROUND_STAGES.get(standing.state)
    short = stage is not None and await _short(session, project, standing.user_id, stage,
                                               quality_config.stored(project.quality))
    standing.waiting_for_gold_since = now if short else None


async def _short(session: AsyncSession, project: Project, user_id: int, stage: str, quality: dict[str, Any]) -> bool:
    """Whether a round that has not begun would run short (its items are all ones never given, or
    with reuse on, any gold item)."""
    eligible = [] if reuse_allowed(quality, stage) else [~_had(user_id)]
    available = (await session.execute(select(func.count()).select_from(Item).where(
        _gold_of(project.id), *eligible))).scalar_one()
    return available < round_size(quality, stage)


async def served_again(session: AsyncSession, standing_id: int) -> None:
    """A marked person got a round's task after all (gold was imported, or reuse allowed)."""
    await session.execute(update(Standing).where(Standing.id == standing_id).values(waiting_for_gold_since=None)
                          .execution_options(synchronize_session=False))


async def waiting_for_gold(session: AsyncSession, project: Project) -> dict[str, int]:
    """How many people wait for a round that cannot be completed, by stage. Only marked standings are
    looked at (few), and each is checked again as ``pick`` would, so importing gold or allowing reuse
    clears the count at once."""
    quality = quality_config.stored(project.quality)
    round_stage = case((Standing.state == StandingState.pending_gate, literal(BENCHMARK)), else_=literal(RECALIBRATION))
    round_number = case((Standing.state == StandingState.pending_gate, Standing.gate_attempt),
                        else_=Standing.recalibration_round)
    rows = (await session.execute(
        select(Standing.state, func.count(func.distinct(Assignment.item_id)).label("seen"),
               func.count(case((and_(Assignment.stage == round_stage, Assignment.round == round_number), 1)))
               .label("served"))
        .select_from(Standing)
        .outerjoin(Assignment, and_(Assignment.project_id == Standing.project_id, Assignment.user_id == Standing.user_id,
                                    Assignment.stage.in_(GOLD_STAGES)))
        .where(Standing.project_id == project.id, Standing.waiting_for_gold_since.is_not(None),
               or_(*(Standing.state == state for state in ROUND_STAGES)))
        .group_by(Standing.id, Standing.state))).all()
    if not rows:
        return {}
    gold = (await session.execute(select(func.count()).select_from(Item).where(_gold_of(project.id)))).scalar_one()
    waiting: dict[str, int] = {}
    for state, seen, served in rows:
        stage = ROUND_STAGES[state]
        available = gold - served if reuse_allowed(quality, stage) else gold - seen
        if available < round_size(quality, stage) - served:
            waiting[stage] = waiting.get(stage, 0) + 1
    return waiting


async def waiting_blockers(session: AsyncSession, project: Project) -> list[str]:
    """The board's words for ``waiting_for_gold``: who waits, what is short, and what ops can do."""
    waiting = await waiting_for_gold(session, project)
    quality = quality_config.stored(project.quality)
    blockers = []
    for stage, what in ((BENCHMARK, "a benchmark retry"), (RECALIBRATION, "a recalibration set")):
        count = waiting.get(stage)
        if not count:
            continue
        people = f"{count} contributor{'' if count == 1 else 's'}"
        if reuse_allowed(quality, stage):
            blockers.append(f"{people} waiting for {what}: not enough gold items (import more gold items)")
        else:
            blockers.append(f"{people} waiting for {what}: not enough unseen gold items (import more gold "
                            f"items, or allow reusing gold items they have seen)")
    return blockers
