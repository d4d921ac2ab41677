"""Quality controls on the work path: the benchmark gate, embedded gold, linters, standing.

The work queue asks ``route`` what a contributor may get next and calls
``lint`` and ``after_answer`` inside the submit transaction. Gold items go out
in the same lease shape as production items; only this module knows which is
which, and what a contributor learns of it (feedback) comes after they answered.
"""

from __future__ import annotations

import secrets
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import dialect_insert
from app.errors import Conflict, Forbidden, Invalid
from app.events.service import record
from app.items.models import Item
from app.models_base import json_append, utcnow
from app.prepared import Prepared
from app.projects.models import Project
from app.projects.service import interface_of
from app.quality import config as quality_config
from app.quality import gold_supply
from app.quality.linters import LintContext, LintFinding, run_linters
from app.quality.models import Feedback, Standing, StandingState
from app.work.models import BENCHMARK, GOLD, RECALIBRATION, Annotation, Assignment, AssignmentState
from components.base import Interface

RECENT_TIMES = 51
STRAIGHT_LINING_LOOKBACK = 50


@dataclass(frozen=True)
class Route:
    """What the next lease should be: a gold stage (with its round) or production (stage None)."""

    stage: str | None
    round: int = 0


def score_answer(interface: Interface, answer: dict[str, Any], gold: dict[str, Any]) -> float:
    """Mean of the components' own scores over the fields the gold answer gives."""
    scores = [interface.by_name[name].score(answer.get(name), expected)
              for name, expected in gold.items() if name in interface.by_name and expected is not None]
    return sum(scores) / len(scores) if scores else 1.0


async def standing_for(session: AsyncSession, project_id: int, user_id: int) -> Standing:
    """The contributor's standing, created (pending the gate) on first contact; locked for this transaction."""
    query, keys = _STANDING, {"project_id": project_id, "user_id": user_id}
    standing = (await session.execute(query, keys)).scalar_one_or_none()
    if standing is None:
        await session.execute(dialect_insert(session)(Standing)
                              .values(project_id=project_id, user_id=user_id, recent_times=[], recent_checks=[],
                                      updated_at=utcnow(), guidelines_acknowledged=_current_guidelines(project_id))
                              .on_conflict_do_nothing(index_elements=["project_id", "user_id"]))
        standing = (await session.execute(query, keys)).scalar_one()
    return standing


async def locked_standing(session: AsyncSession, project_id: int, user_id: int):
    """What routing needs of the standing, as a row (no ORM object), locked for this transaction; None
    before first contact."""
    return await _STANDING_ROW.first(session, project_id=project_id, user_id=user_id)


def _current_guidelines(project_id: int):
    """A newcomer reads the guidelines in force when they start; only later versions need confirming."""
    return select(Project.guideline_version).where(Project.id == project_id).scalar_subquery()


#: Built once: the standing locked, as an ORM object read afresh (the work loop moves its running
#: numbers with a plain UPDATE; changes pending on a loaded object are flushed before the read).
_STANDING = (select(Standing).where(Standing.project_id == bindparam("project_id"),
                                    Standing.user_id == bindparam("user_id"))
             .with_for_update().execution_options(populate_existing=True))
#: What routing a task needs of the standing (its JSON lists are left unread).
_STANDING_ROW = Prepared(select(
    Standing.id, Standing.state, Standing.reason, Standing.retry_at, Standing.gate_attempt,
    Standing.recalibration_round, Standing.gold_answered, Standing.guidelines_acknowledged,
    Standing.waiting_for_gold_since).where(
    Standing.project_id == bindparam("project_id"), Standing.user_id == bindparam("user_id")).with_for_update())
#: Every answer moves its author's running numbers: one statement, which also locks the row.
_RUNNING_NUMBERS = Prepared(
    update(Standing).where(Standing.project_id == bindparam("project_id"), Standing.user_id == bindparam("user_id"))
    .values(tasks_done=Standing.tasks_done + 1, warnings=Standing.warnings + bindparam("warned"),
            recent_times=json_append(Standing.recent_times, bindparam("time_ms", type_=Integer)),
            updated_at=bindparam("now"))
    .returning(Standing.id, Standing.recent_times))
_TRIM_TIMES = Prepared(update(Standing).where(Standing.id == bindparam("standing_id"))
                       .values(recent_times=bindparam("times")))
_RECENT_ANSWERS = Prepared(select(Annotation.answer).where(
    Annotation.project_id == bindparam("project_id"), Annotation.user_id == bindparam("user_id"))
    .order_by(Annotation.id.desc()).limit(bindparam("limit")))


_chance = secrets.SystemRandom()


def _gold_due(standing: Standing, quality: dict[str, Any]) -> bool:
    """Whether this production slot is a gold check, at the configured rate halving every
    ``decay_every`` checks down to ``min_rate``. Drawn from the OS's random source: nothing a
    contributor can see (ids, counts, timing) predicts it."""
    gold = quality["gold"]
    rate = max(gold["min_rate"], gold["rate"] * 0.5 ** (standing.gold_answered // gold["decay_every"]))
    return _chance.random() < rate


async def _scores_in_round(session: AsyncSession, project_id: int, user_id: int, stage: str, round_: int) -> list[float]:
    """Every task of a benchmark or recalibration round that is over: answers with their score,
    and tasks skipped or left to expire as 0, so a round always comes to a verdict."""
    answered = await session.execute(select(Annotation.gold_score).where(
        Annotation.project_id == project_id, Annotation.user_id == user_id, Annotation.stage == stage,
        Annotation.round == round_))
    unanswered = (await session.execute(select(func.count()).select_from(Assignment).where(
        Assignment.project_id == project_id, Assignment.user_id == user_id, Assignment.stage == stage,
        Assignment.round == round_, Assignment.state.in_([AssignmentState.skipped, AssignmentState.expired])))).scalar_one()
    return [score or 0.0 for score in answered.scalars()] + [0.0] * unanswered


async def route(session: AsyncSession, project: Project, standing: Standing, now: datetime) -> Route:
    """Decide what kind of task comes next for this contributor, or refuse with the reason."""
    quality = quality_config.stored(project.quality)
    if standing.state == StandingState.removed:
        raise Forbidden(f"you were removed from this project: {standing.reason}", standing=standing.state)
    if standing.state == StandingState.pending_gate:
        if standing.retry_at and now < standing.retry_at:
            raise Conflict(f"you did not pass the benchmark; you may try again after "
                           f"{standing.retry_at:%Y-%m-%d %H:%M} UTC", standing=standing.state)
        return Route(BENCHMARK, standing.gate_attempt)
    if standing.state == StandingState.recalibrating:
        return Route(RECALIBRATION, standing.recalibration_round)
    return Route(GOLD) if _gold_due(standing, quality) else Route(None)


def gold_score(interface: Interface, answer: dict[str, Any], item: Item) -> float | None:
    """The answer's score against the item's gold answer; None for production items."""
    if not item.is_gold or not item.gold_answer:
        return None
    return round(score_answer(interface, answer, item.gold_answer), 4)


def lint(project: Project, answer: dict[str, Any], item_data: dict[str, Any], time_on_task_ms: int | None,
         recent_answers: list[dict[str, Any]], interface: Interface) -> list[LintFinding]:
    """Run the project's rules; errors become a 422 at the field, warnings travel with the answer."""
    rules = quality_config.stored(project.quality)["linters"]
    findings = run_linters(rules, answer, LintContext(item_data=item_data, time_on_task_ms=time_on_task_ms,
                                                      recent_answers=recent_answers), interface)
    errors = {(f.field or "answer"): f.message for f in findings if f.severity == "error"}
    if errors:
        raise Invalid(errors, message="the answer did not pass the project's checks")
    return [f for f in findings if f.severity != "error"]


def recent_answers_needed(project: Project) -> int:
    """How many of a person's previous answers the straight-lining rules look at (0: none)."""
    counts = [rule.get("count", 5) - 1 for rule in quality_config.stored(project.quality)["linters"]
              if rule["type"] == "straight_lining"]
    return min(max(counts, default=0), STRAIGHT_LINING_LOOKBACK)


async def recent_answers(session: AsyncSession, project_id: int, user_id: int, limit: int) -> list[dict[str, Any]]:
    if limit <= 0:
        return []
    return [row.answer for row in await _RECENT_ANSWERS.all(session, project_id=project_id, user_id=user_id,
                                                             limit=limit)]


async def after_answer(session: AsyncSession, project: Project, assignment: Assignment, annotation: Annotation,
                       item: Item, warnings: list[LintFinding], now: datetime) -> None:
    """Keep the running numbers, and move the standing when a gold set is complete or the
    rolling accuracy crosses a threshold (the annotation carries its ``gold_score``)."""
    if annotation.user_id is None:
        return
    await _keep_running_numbers(session, project.id, annotation.user_id, annotation.time_on_task_ms, bool(warnings),
                                now)
    if annotation.gold_score is None:
        return
    standing = await standing_for(session, project.id, annotation.user_id)
    quality = quality_config.stored(project.quality)
    if assignment.stage == BENCHMARK:
        await _judge_round(session, project, standing, quality, BENCHMARK, now)
    elif assignment.stage == RECALIBRATION:
        await _judge_round(session, project, standing, quality, RECALIBRATION, now)
    elif assignment.stage == GOLD:
        await _gold_check(session, project, standing, quality, annotation, item, now)
    session.add(standing)


async def _keep_running_numbers(session: AsyncSession, project_id: int, user_id: int, time_on_task_ms: int | None,
                                warned: bool, now: datetime) -> None:
    """Tasks done, warnings and recent times, in one statement on every answer; the times are cut
    back to the last RECENT_TIMES once they hold twice that (readers take the last RECENT_TIMES)."""
    numbers = {"project_id": project_id, "user_id": user_id, "warned": 1 if warned else 0,
               "time_ms": time_on_task_ms or 0, "now": now}
    row = await _RUNNING_NUMBERS.first(session, **numbers)
    if row is None:  # an ops member trying tasks: the row comes into being now
        await standing_for(session, project_id, user_id)
        row = await _RUNNING_NUMBERS.first(session, **numbers)
    if len(row.recent_times) > 2 * RECENT_TIMES:
        await _TRIM_TIMES.run(session, standing_id=row.id, times=row.recent_times[-RECENT_TIMES:])


async def after_unanswered(session: AsyncSession, project: Project, assignment: Assignment, now: datetime) -> None:
    """A benchmark or recalibration task skipped or expired counts against its round (as a wrong
    answer, to the contributor it looked like any task), so nobody is stuck mid-gate."""
    if assignment.stage not in (BENCHMARK, RECALIBRATION):
        return
    standing = await standing_for(session, project.id, assignment.user_id)
    expected_round = standing.gate_attempt if assignment.stage == BENCHMARK else standing.recalibration_round
    in_that_state = StandingState.pending_gate if assignment.stage == BENCHMARK else StandingState.recalibrating
    if standing.state == in_that_state and assignment.round == expected_round:
        await _judge_round(session, project, standing, quality_config.stored(project.quality), assignment.stage, now)


async def _judge_round(session: AsyncSession, project: Project, standing: Standing, quality: dict[str, Any],
                       stage: str, now: datetime) -> None:
    """When a benchmark or recalibration set is complete, pass or fail it."""
    if stage == BENCHMARK:
        size, needed, round_ = quality["benchmark"]["size"], quality["benchmark"]["pass_threshold"], standing.gate_attempt
    else:
        size, needed, round_ = (quality["gold"]["recalibration_size"], quality["gold"]["recalibration_pass"],
                                standing.recalibration_round)
    scores = await _scores_in_round(session, project.id, standing.user_id, stage, round_)
    if len(scores) < size:
        return
    score = sum(scores) / len(scores)
    label = "benchmark" if stage == BENCHMARK else "recalibration set"
    verdict = f"{score:.0%} on the {label}; {needed:.0%} needed"
    if stage == BENCHMARK:
        standing.gate_score, standing.gate_decided_at = round(score, 4), now
    if score >= needed:
        await change_standing(session, project, standing, StandingState.qualified, f"passed: {verdict}", now,
                              kind="gate" if stage == BENCHMARK else "standing")
    elif stage == BENCHMARK and quality["benchmark"]["retry"] == "cooldown":
        standing.retry_at = now + timedelta(hours=quality["benchmark"]["cooldown_hours"])
        standing.gate_attempt += 1
        await change_standing(session, project, standing, StandingState.pending_gate,
                              f"not passed: {verdict}. You may try again with new tasks after "
                              f"{standing.retry_at:%Y-%m-%d %H:%M} UTC", now, kind="gate")
    else:
        await change_standing(session, project, standing, StandingState.removed, f"not passed: {verdict}", now,
                              kind="gate" if stage == BENCHMARK else "standing")


async def _gold_check(session: AsyncSession, project: Project, standing: Standing, quality: dict[str, Any],
                      annotation: Annotation, item: Item, now: datetime) -> None:
    gold = quality["gold"]
    standing.gold_answered += 1
    window = (list(standing.recent_checks) + [annotation.gold_score or 0.0])[-gold["window"]:]
    standing.recent_checks = window
    accuracy = sum(window) / len(window)
    standing.gold_accuracy = round(accuracy, 4)
    if annotation.gold_score is not None and annotation.gold_score < 1.0:
        missed = interface_of(project).missed(annotation.answer, item.gold_answer or {})
        said = f"Not as expected: {', '.join(missed)}." if missed else ""
        add_feedback(session, project.id, standing.user_id, kind="gold_check", item_id=item.id,
                     title="A quality check did not match the expected answer",
                     body="\n\n".join(part for part in (said, item.gold_explanation or "") if part),
                     payload={"your_answer": annotation.answer, "expected": item.gold_answer, "missed": missed,
                              "score": annotation.gold_score, "assignment_id": annotation.assignment_id})
    if len(window) < gold["min_answers"]:
        return
    summary = f"gold accuracy {accuracy:.0%} over your last {len(window)} checks"
    if accuracy < gold["remove_below"]:
        await change_standing(session, project, standing, StandingState.removed,
                              f"{summary} is below the removal floor of {gold['remove_below']:.0%}", now)
    elif accuracy < gold["recalibrate_below"]:
        standing.recalibration_round += 1
        await change_standing(session, project, standing, StandingState.recalibrating,
                              f"{summary} is below {gold['recalibrate_below']:.0%}: answer a short recalibration "
                              f"set to return to production", now)


async def change_standing(session: AsyncSession, project: Project, standing: Standing, state: str, reason: str,
                          now: datetime, *, kind: str = "standing", actor_id: int | None = None) -> None:
    """Move the standing and tell the person; a new benchmark or recalibration round notes whether
    its gold items run short (the board's blocker)."""
    previous = standing.state
    standing.state, standing.reason, standing.updated_at = state, reason, now
    if state == StandingState.qualified:  # a fresh start: earlier checks no longer count
        standing.retry_at, standing.window_start_at, standing.recent_checks = None, now, []
    await gold_supply.mark_round_start(session, project, standing, now)
    session.add(standing)
    add_feedback(session, project.id, standing.user_id, kind=kind, title=STANDING_TITLES[state], body=reason,
                 payload={"from": previous, "to": state})
    record(session, action="standing.changed", subject_type="standing", subject_id=standing.id,
           project_id=project.id, actor_id=actor_id,
           payload={"user_id": standing.user_id, "from": previous, "to": state, "reason": reason})


async def override_standing(session: AsyncSession, project: Project, user_id: int, state: str, reason: str,
                            actor_id: int) -> None:
    """Ops set a contributor's standing by hand (reinstate, remove, or a fresh benchmark attempt)."""
    standing = await standing_for(session, project.id, user_id)
    if state == StandingState.pending_gate:
        standing.gate_attempt += 1
        standing.retry_at = None
    await change_standing(session, project, standing, state, f"set by ops: {reason.strip()}", utcnow(),
                          actor_id=actor_id)


STANDING_TITLES = {
    StandingState.pending_gate: "Benchmark not passed yet",
    StandingState.qualified: "You are qualified for production",
    StandingState.recalibrating: "Paused for recalibration",
    StandingState.removed: "Removed from this project",
}


def add_feedback(session: AsyncSession, project_id: int, user_id: int, *, kind: str, title: str, body: str = "",
                 item_id: int | None = None, payload: dict[str, Any] | None = None) -> Feedback:
    feedback = Feedback(project_id=project_id, user_id=user_id, kind=kind, title=title, body=body, item_id=item_id,
                        payload=payload or {})
    session.add(feedback)
    record(session, action="feedback.added", subject_type="feedback", subject_id=None, project_id=project_id,
           payload={"user_id": user_id, "kind": kind})
    return feedback


def median_time_ms(standing: Standing) -> int | None:
    recent = standing.recent_times[-RECENT_TIMES:]
    return int(statistics.median(recent)) if recent else None


async def gold_items_count(session: AsyncSession, project_id: int) -> int:
    return (await session.execute(select(func.count()).select_from(Item).where(
        Item.project_id == project_id, Item.is_gold.is_(True)))).scalar_one()
