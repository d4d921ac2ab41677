"""The work queue: lease the next item, take the answer, skip, reclaim expired leases.

Correctness rests on the database: a unique index refuses a second live lease
on a slot and a unique constraint refuses the same person twice on an item.
Speed rests on the queue query: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets
concurrent callers pass each other instead of queueing on the same row; on
SQLite the process's single connection and ``BEGIN IMMEDIATE`` serialise them.

Lock order everywhere: standing, assignment, then item, then the batch's
counter shard (last, just before commit, so it is held for the shortest time;
shards are per person, so concurrent people rarely share one).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, exists, func, insert, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts.models import Membership, Role, User
from app.accounts.service import checked_role
from app.agreement import routing
from app.db import before_commit
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.events.service import record
from app.items.models import Item
from app.models_base import BIG_ID_MAX, epoch_minute, storable_id, utcnow
from app.prepared import Part, Prepared, Together, insert_row
from app.projects.models import BATCH_COUNTERS, BATCH_SHARDS, BatchCounterShard, Project, ProjectStatus
from app.projects.service import interface_of
from app.quality import config as quality_config
from app.quality import gold_supply
from app.quality import service as quality
from app.review import service as review
from app.review.models import ReviewTask
from app.work.models import (ANNOTATE, BENCHMARK, BUCKET_SHARDS, FIX, GOLD, RECALIBRATION, Annotation, Assignment,
                              AssignmentState, ReviewStatus, ThroughputBucket)

WORKER_ROLES = (Role.contributor, Role.ops)
IDEMPOTENCY_KEY_LIMIT = 200  # the column's length


@dataclass(frozen=True)
class LeasedTask:
    """What a lease hands out: enough to show and submit the task, nothing about gold."""

    id: int
    project_id: int
    item_id: int
    stage: str
    expires_at: datetime
    #: for a returned answer: the reviewer's comment, tags, the answer as given and what changed
    returned: dict[str, Any] | None = None


@dataclass(frozen=True)
class Lease:
    assignment: LeasedTask
    item_data: dict[str, Any]
    #: Display parts whose content is ordered per assignment (``Interface.shown_for_assignment``).
    shown: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Submission:
    annotation: "NewAnswer | Annotation"
    replayed: bool


# The hot path's statements are built once, with bind parameters, and run on the transaction's driver
# connection (app/prepared.py says why): 13 round trips a cycle on PostgreSQL, ARCHITECTURE.md lists them.
def _held(project_id) -> tuple:
    """The caller's unexpired leases in a project (``project_id``: a column or a parameter)."""
    return (Assignment.user_id == bindparam("user_id"), Assignment.project_id == project_id,
            Assignment.state == AssignmentState.leased, Assignment.expires_at > bindparam("now"))


#: The caller's lease with its item and, for a fix (its slot names the review decision that returned
#: the answer), that decision: one round trip for the workspace and a held "next".
_CURRENT_LEASE = Prepared(
    select(Assignment.id, Assignment.item_id, Assignment.stage, Assignment.expires_at, Item.data,
           ReviewTask.id.label("decision_id"), ReviewTask.comment, ReviewTask.tags, ReviewTask.answer_before,
           ReviewTask.stage_name, ReviewTask.decided_at)
    .join(Item, Item.id == Assignment.item_id)
    .outerjoin(ReviewTask, (ReviewTask.id == Assignment.slot) & (Assignment.stage == FIX))
    .where(*_held(bindparam("project_id"))).order_by(Assignment.id).limit(1))

#: Everything "next" must know besides the standing, in one round trip: the project, the caller's
#: membership, whether they already hold a lease, and whether any lease in the project ran out.
_NEXT_CONTEXT = Prepared(select(
    Project.id, Project.status, Project.overlap, Project.lease_seconds, Project.guideline_version, Project.quality,
    Project.interface,
    select(Membership.role).where(Membership.project_id == Project.id, Membership.user_id == bindparam("user_id"))
    .scalar_subquery().label("member_role"),
    select(Assignment.id).where(*_held(Project.id)).order_by(Assignment.id).limit(1).scalar_subquery()
    .label("held_id"),
    exists().where(Assignment.project_id == Project.id, Assignment.state == AssignmentState.leased,
                   Assignment.expires_at <= bindparam("now")).label("expired_waiting"),
).where(Project.id == bindparam("project_id")))

_candidate = aliased(Item, name="candidate")
#: Take a slot of the first open production item this person has not had, skipping rows other
#: transactions hold: one statement (an InitPlan on PostgreSQL, so the pick runs once).
_TAKE_SLOT_STATEMENT = (
    update(Item)
    .where(Item.id == select(_candidate.id).where(
        _candidate.project_id == bindparam("queue_project"), _candidate.open_slots > 0, text("NOT candidate.is_gold"),
        ~exists().where(Assignment.item_id == _candidate.id, Assignment.stage == ANNOTATE,
                        Assignment.user_id == bindparam("queue_user")))
        .order_by(_candidate.id).limit(1).with_for_update(skip_locked=True, of=_candidate).scalar_subquery(),
        Item.open_slots > 0)
    .values(open_slots=Item.open_slots - 1)
    .returning(Item.id, Item.batch_id, Item.data, Item.open_slots))
_TAKE_SLOT = Prepared(_TAKE_SLOT_STATEMENT)


def _take_and_lease():
    """PostgreSQL, one slot per item: take the slot and lease it in one statement (the insert reads
    the taken row, so this is a CTE of its own rather than statements run ``Together``)."""
    taken = _TAKE_SLOT_STATEMENT.cte("taken")
    leased = (insert(Assignment).from_select(
        ["project_id", "batch_id", "item_id", "user_id", "stage", "round", "slot", "state", "leased_at", "expires_at"],
        select(bindparam("project_id", type_=Integer), taken.c.batch_id, taken.c.id, bindparam("user_id", type_=Integer),
               literal(ANNOTATE), literal(0), literal(0), literal(AssignmentState.leased.value),
               bindparam("now", type_=Assignment.leased_at.type), bindparam("expires_at", type_=Assignment.expires_at.type)))
        .returning(Assignment.id, Assignment.item_id).cte("leased"))
    return Prepared(select(leased.c.id, taken.c.id.label("item_id"), taken.c.batch_id, taken.c.data, taken.c.open_slots)
                    .join_from(taken, leased, leased.c.item_id == taken.c.id))


_TAKE_AND_LEASE = _take_and_lease()

_TAKEN_SLOTS = Prepared(select(Assignment.slot).where(
    Assignment.item_id == bindparam("item_id"), Assignment.stage == ANNOTATE,
    or_(Assignment.state == AssignmentState.leased, Assignment.state == AssignmentState.submitted)))

_NEW_ASSIGNMENT = insert_row(Assignment.__table__, returning=(Assignment.id,))

_ASSIGNMENT_COLUMNS = (Assignment.id, Assignment.user_id, Assignment.project_id, Assignment.batch_id,
                       Assignment.item_id, Assignment.stage, Assignment.round, Assignment.slot, Assignment.state,
                       Assignment.leased_at, Assignment.expires_at)
_ASSIGNMENT_PART = Part("AssignmentRow", _ASSIGNMENT_COLUMNS, "a_")
_PROJECT_PART = Part("ProjectRow", list(Project.__table__.c), "p_")
_ITEM_PART = Part("ItemRow", [Item.id, Item.data, Item.is_gold, Item.gold_answer, Item.gold_explanation,
                              Item.overlap_extra], "i_")
_OWN_ASSIGNMENT = Prepared(select(*_ASSIGNMENT_COLUMNS).where(Assignment.id == bindparam("assignment_id"))
                           .with_for_update())
#: A submit's assignment (locked), its project and its item in one round trip.
_SUBMITTING = Prepared(
    select(*_ASSIGNMENT_PART.columns, *_PROJECT_PART.columns, *_ITEM_PART.columns)
    .join(Project, Project.id == Assignment.project_id).join(Item, Item.id == Assignment.item_id)
    .where(Assignment.id == bindparam("assignment_id")).with_for_update(of=Assignment))

_NEW_ANNOTATION = insert_row(Annotation.__table__, returning=(Annotation.id,)).statement
_FINISH = (update(Assignment).where(Assignment.id == bindparam("assignment_id"))
           .values(state=bindparam("new_state"), finished_at=bindparam("ended_at")))
_ANSWERED = update(Item).where(Item.id == bindparam("item_id")).values(answers=Item.answers + 1).returning(Item.answers)
#: A submit's writes: the answer stored, the lease finished and (production) the item's answer count.
_STORE_ANSWER = Together(_NEW_ANNOTATION, _FINISH, _ANSWERED)
_STORE_OTHER_ANSWER = Together(_NEW_ANNOTATION, _FINISH)
_REOPEN = Prepared(update(Item).where(Item.id == bindparam("item_id")).values(open_slots=Item.open_slots + 1)
                   .returning(Item.open_slots))


@dataclass(slots=True)
class NewAnswer:
    """An answer as submit stores it: the Annotation row's columns without the ORM object (one
    cost ~140 µs to build, more than the rest of a submit's Python)."""

    project_id: int
    item_id: int
    assignment_id: int
    user_id: int
    answer: dict[str, Any]
    guideline_version: int | None
    time_on_task_ms: int
    idempotency_key: str | None
    lint: list[dict[str, Any]]
    stage: str
    round: int
    gold_score: float | None
    created_at: datetime
    external_annotator: str | None = None
    source: str = "inkwell"
    review_status: str = ReviewStatus.none
    reviewed_answer: dict[str, Any] | None = None
    review_route: list[dict[str, Any]] = field(default_factory=list)
    revises_id: int | None = None
    id: int | None = None

    def row(self) -> dict[str, Any]:
        """The column values to insert (``asdict`` would deep-copy the answer)."""
        return {name: getattr(self, name) for name in _ANSWER_COLUMNS}


_ANSWER_COLUMNS = tuple(column.name for column in fields(NewAnswer) if column.name != "id")


async def current_lease(session: AsyncSession, project_id: int, user_id: int, now: datetime) -> Lease | None:
    """The caller's unexpired lease, so asking for "next" twice never hoards items."""
    row = await _CURRENT_LEASE.first(session, user_id=user_id, project_id=project_id, now=now)
    if row is None:
        return None
    # What the contributor needs to fix a returned answer: the reviewer's comment, tags, the answer as given.
    returned = None if row.decision_id is None else {
        "comment": row.comment, "tags": row.tags, "answer": row.answer_before, "stage": row.stage_name,
        "decided_at": row.decided_at}
    return Lease(LeasedTask(row.id, project_id, row.item_id, row.stage, row.expires_at, returned), row.data)


async def next_lease(session: AsyncSession, project_id: int, user: User, now: datetime | None = None) -> Lease | None:
    """Lease the next open item to ``user``, or None when nothing is left for them.

    A contributor's standing is locked first, so one person's concurrent "next" calls take turns
    and the second sees the lease the first took; then one statement reads the rest."""
    now = now or utcnow()
    if not storable_id(project_id):
        raise NotFound("no such project")
    standing = None if user.is_ops else await quality.locked_standing(session, project_id, user.id)
    project = await _NEXT_CONTEXT.first(session, project_id=project_id, user_id=user.id, now=now)
    if project is None:
        raise NotFound("no such project")
    role = checked_role(Role.ops if user.is_ops else project.member_role, *WORKER_ROLES)
    if project.status != ProjectStatus.live:
        raise Conflict(f"the project is {project.status}, not live")
    if role != Role.contributor:
        standing = None  # ops try tasks without a gate; contributors go through quality
    elif standing is None:  # first contact: the standing comes into being (locked); look again under it
        standing = await quality.standing_for(session, project_id, user.id)
        project = await _NEXT_CONTEXT.first(session, project_id=project_id, user_id=user.id, now=now)
    lease = await _lease_for(session, project, user, standing, now)
    return None if lease is None else with_shown(lease, interface_of(project))


def with_shown(lease: Lease, interface) -> Lease:
    """The lease with what its display parts show in an order fixed for this assignment (the
    responses a pairwise or ranking answer is given on), so an API client answers what its person saw."""
    shown = interface.shown_for_assignment(lease.item_data, lease.assignment.id)
    return replace(lease, shown=shown) if shown else lease


async def _lease_for(session: AsyncSession, project, user: User, standing, now: datetime) -> Lease | None:
    project_id = project.id
    if project.held_id is not None:
        return await current_lease(session, project_id, user.id, now)
    if standing is not None and standing.guidelines_acknowledged < project.guideline_version:
        raise Conflict(f"the guidelines changed (version {project.guideline_version}): read what changed and "
                       f"confirm before your next task", guideline_version=project.guideline_version,
                       reason="acknowledge_guidelines")
    # An expired lease goes back to the queue the moment anyone asks, not only when the periodic
    # job next runs (the context says whether there is one).
    if project.expired_waiting:
        await reclaim_expired(session, now, project_id=project_id)
        if standing is not None and standing.state in gold_supply.ROUND_STAGES:  # an expiry may have ended the round
            standing = await quality.standing_for(session, project_id, user.id)  # read afresh, after the flush
    if standing is not None:
        choice = await quality.route(session, project, standing, now)
        if choice.stage is not None:
            lease = await _lease_gold(session, project, user, standing, choice, now)
            if lease is not None:
                return lease
    return await _lease_production(session, project, user, now)


async def _lease_gold(session: AsyncSession, project: Project, user: User, standing, choice: quality.Route,
                      now: datetime) -> Lease | None:
    """A gold item in the same shape as any task. An embedded check takes one this person never had
    (None when none is left: production instead); a benchmark or recalibration round takes what
    ``gold_supply`` allows, or refuses with 409 ``not_enough_gold``."""
    if choice.stage == GOLD:
        never_had = ~exists().where(Assignment.item_id == Item.id, Assignment.user_id == user.id)
        row = (await session.execute(select(Item.id, Item.batch_id, Item.data).where(
            Item.project_id == project.id, Item.is_gold.is_(True), never_had).order_by(func.random()).limit(1))).first()
        if row is None:
            return None
    else:
        row = await gold_supply.pick(session, project.id, user.id, choice.stage, choice.round,
                                     quality_config.stored(project.quality))
        if standing.waiting_for_gold_since is not None:
            await gold_supply.served_again(session, standing.id)
    return await _new_assignment(session, project, user, row.id, row.batch_id, row.data, now,
                                 stage=choice.stage, round_=choice.round, slot=user.id)


async def _lease_production(session: AsyncSession, project: Project, user: User, now: datetime) -> Lease | None:
    """The first open production item this person has not had, skipping rows others are leasing."""
    if project.overlap == 1 and session.bind.dialect.name == "postgresql":  # one round trip instead of two
        expires_at = _expiry(project, now)
        row = await _TAKE_AND_LEASE.first(session, queue_project=project.id, queue_user=user.id,
                                          project_id=project.id, user_id=user.id, now=now, expires_at=expires_at)
        if row is None:
            return None
        assignment_id, item_id, batch_id, data, open_slots = row
        lease = _leased(session, project, user, assignment_id, item_id, batch_id, data, expires_at, ANNOTATE)
    else:
        row = await _TAKE_SLOT.first(session, queue_project=project.id, queue_user=user.id)
        if row is None:
            return None
        item_id, batch_id, data, open_slots = row
        slot = 0  # with one slot per item, an open item's only slot is free
        if project.overlap > 1:
            taken = {taken.slot for taken in await _TAKEN_SLOTS.all(session, item_id=item_id)}
            slot = next(s for s in range(project.overlap + len(taken)) if s not in taken)
        lease = await _new_assignment(session, project, user, item_id, batch_id, data, now, stage=ANNOTATE,
                                      round_=0, slot=slot)
    _bump_batch(session, batch_id, user.id, now, leases_active=1, items_queued=-1 if open_slots == 0 else 0)
    return lease


async def _new_assignment(session: AsyncSession, project: Project, user: User, item_id: int, batch_id: int,
                          data: dict[str, Any], now: datetime, *, stage: str, round_: int, slot: int) -> Lease:
    expires_at = _expiry(project, now)
    assignment_id = await _NEW_ASSIGNMENT.scalar(
        session, project_id=project.id, batch_id=batch_id, item_id=item_id, user_id=user.id, stage=stage,
        round=round_, slot=slot, state=AssignmentState.leased.value, leased_at=now, expires_at=expires_at,
        finished_at=None)
    return _leased(session, project, user, assignment_id, item_id, batch_id, data, expires_at, stage)


def _expiry(project: Project, now: datetime) -> datetime:
    return now + timedelta(seconds=project.lease_seconds)


def _leased(session: AsyncSession, project: Project, user: User, assignment_id: int, item_id: int, batch_id: int,
            data: dict[str, Any], expires_at: datetime, stage: str) -> Lease:
    """The lease as the caller gets it, and its event."""
    record(session, action="assignment.leased", subject_type="assignment", subject_id=assignment_id,
           project_id=project.id, actor_id=user.id,
           payload={"item_id": item_id, "batch_id": batch_id, "stage": stage})
    return Lease(LeasedTask(assignment_id, project.id, item_id, stage, expires_at), data)


def _check_own(assignment, user: User):
    if assignment is None:
        raise NotFound("no such assignment")
    if assignment.user_id != user.id:
        raise Forbidden("this assignment is not yours")
    return assignment


async def _own_assignment(session: AsyncSession, assignment_id: int, user: User):
    """The caller's assignment row, locked for this transaction."""
    if not storable_id(assignment_id, BIG_ID_MAX):
        raise NotFound("no such assignment")
    return _check_own(await _OWN_ASSIGNMENT.first(session, assignment_id=assignment_id), user)


async def submit(session: AsyncSession, assignment_id: int, user: User, answer: Any,
                 idempotency_key: str | None = None, now: datetime | None = None) -> Submission:
    """Validate and store an answer. A retry with the same Idempotency-Key returns the first result."""
    now = now or utcnow()
    if idempotency_key is not None and len(idempotency_key) > IDEMPOTENCY_KEY_LIMIT:
        raise Invalid({"Idempotency-Key": f"must be at most {IDEMPOTENCY_KEY_LIMIT} characters"})
    if not storable_id(assignment_id, BIG_ID_MAX):
        raise NotFound("no such assignment")
    row = await _SUBMITTING.first(session, assignment_id=assignment_id)
    assignment, project, item = Part.split(row, _ASSIGNMENT_PART, _PROJECT_PART, _ITEM_PART) if row else (None,) * 3
    _check_own(assignment, user)
    if assignment.state == AssignmentState.submitted:
        existing = (await session.execute(select(Annotation).where(Annotation.assignment_id == assignment.id))).scalar_one()
        if idempotency_key and existing.idempotency_key == idempotency_key:
            return Submission(existing, replayed=True)
        raise Conflict("this task was already submitted")
    if assignment.state not in (AssignmentState.leased, AssignmentState.expired):
        raise Conflict(f"this lease was {assignment.state}; ask for the next task")
    if assignment.state == AssignmentState.expired or assignment.expires_at <= now:
        await _late(session, assignment, user)
    interface = interface_of(project)
    clean, errors = interface.validate_answer(answer, item.data, assignment.id)
    if errors:
        raise Invalid(errors, message="the answer is not valid")
    time_on_task_ms = int((now - assignment.leased_at).total_seconds() * 1000)
    recent = await quality.recent_answers(session, project.id, user.id, quality.recent_answers_needed(project))
    warnings = quality.lint(project, clean, item.data, time_on_task_ms, recent, interface)
    annotation = NewAnswer(project_id=assignment.project_id, item_id=assignment.item_id, assignment_id=assignment.id,
                           user_id=user.id, answer=clean, guideline_version=project.guideline_version or None,
                           time_on_task_ms=time_on_task_ms, idempotency_key=idempotency_key,
                           lint=[w.to_dict() for w in warnings], stage=assignment.stage, round=assignment.round,
                           gold_score=quality.gold_score(interface, clean, item), created_at=now)
    review_stage = await _review_route(session, project, assignment, annotation)
    finish = {"assignment_id": assignment.id, "new_state": AssignmentState.submitted.value, "ended_at": now}
    if assignment.stage == ANNOTATE:  # the item counts the answer in the same round trip
        annotation.id, answers = await _STORE_ANSWER.first(session, annotation.row(), finish,
                                                            {"item_id": assignment.item_id})
    else:
        annotation.id, = await _STORE_OTHER_ANSWER.first(session, annotation.row(), finish)
    if review_stage is not None:
        review.queue_review(session, project_id=project.id, annotation=annotation, route=annotation.review_route,
                            stage_index=review_stage, answer=clean)
    record(session, action="annotation.submitted", subject_type="annotation", subject_id=annotation.id,
           project_id=assignment.project_id, actor_id=user.id,
           payload={"item_id": assignment.item_id, "assignment_id": assignment.id, "stage": assignment.stage,
                    "time_on_task_ms": annotation.time_on_task_ms, "warnings": len(warnings)})
    if not user.is_ops:
        await quality.after_answer(session, project, assignment, annotation, item, warnings, now)
    if assignment.stage == ANNOTATE:
        complete = answers == project.overlap + item.overlap_extra
        reopened = await routing.on_item_answered(session, project, item.id, now) if complete else 0
        _count_answer(session, assignment.project_id, assignment.batch_id, assignment.id, now)
        _bump_batch(session, assignment.batch_id, user.id, now, leases_active=-1, annotations_submitted=1,
                          items_completed=1 if complete and not reopened else 0, items_queued=reopened)
    return Submission(annotation, replayed=False)


#: A lease that ran out and was reclaimed takes its slot back, unless someone else holds it now.
_RETAKE_SLOT = Prepared(
    update(Item).where(Item.id == bindparam("item_id"), Item.open_slots > 0,
                       ~exists().where(Assignment.item_id == Item.id, Assignment.stage == ANNOTATE,
                                       Assignment.round == 0, Assignment.slot == bindparam("slot"),
                                       or_(Assignment.state == AssignmentState.leased,
                                           Assignment.state == AssignmentState.submitted)))
    .values(open_slots=Item.open_slots - 1).returning(Item.open_slots))
#: Tasks whose expiry hands them on by definition: a benchmark or recalibration task counts as
#: unanswered in its round, a returned answer goes to anyone qualified.
HANDED_ON_AT_EXPIRY = (BENCHMARK, RECALIBRATION, FIX)


async def _late(session: AsyncSession, assignment, user: User) -> None:
    """The one rule for a submit after the lease ran out, the same whether or not the reclaim job has
    run: the answer is taken while nobody else was given the task's slot; once someone was, 409
    ``lease_expired``. A production slot that the reclaim reopened is taken back (and the counters
    come out as if the lease had never expired); a gold check's slot is the person's own."""
    if assignment.stage in HANDED_ON_AT_EXPIRY:
        raise _lease_expired()
    if assignment.state != AssignmentState.expired or assignment.stage != ANNOTATE:
        return  # not reclaimed yet (the slot is still this lease's), or a gold check (the slot is the person's)
    open_slots = await _RETAKE_SLOT.scalar(session, item_id=assignment.item_id, slot=assignment.slot)
    if open_slots is None:
        raise _lease_expired()
    _bump_batch(session, assignment.batch_id, user.id, None, leases_active=1, leases_expired=-1,
                items_queued=-1 if open_slots == 0 else 0)


def _lease_expired() -> Conflict:
    return Conflict("this task's lease expired and the task was handed on, so the answer was not saved; "
                    "ask for the next task", reason="lease_expired")


async def _review_route(session: AsyncSession, project: Project, assignment, annotation: NewAnswer) -> int | None:
    """Set the answer's review route and status; the stage it is queued at first (None: not reviewed).
    A fixed answer follows the route of the one it fixes, back to the stage that rejected it."""
    if assignment.stage == ANNOTATE:
        annotation.review_route = review.route_for(project)
        first = review.first_sampled_stage(annotation.review_route)
    elif assignment.stage == FIX:
        rejected_by = await review.fix_context(session, assignment.slot)
        previous = await session.get(Annotation, rejected_by.annotation_id) if rejected_by else None
        if previous is None:
            return None
        previous.review_status = ReviewStatus.revised
        session.add(previous)
        annotation.revises_id = previous.id
        annotation.review_route = previous.review_route or review.route_for(project)
        first = min(rejected_by.stage_index, len(annotation.review_route)) or None
    else:
        return None
    annotation.review_status = ReviewStatus.in_review if first else ReviewStatus.none
    return first


async def reopen_for_others(session: AsyncSession, *, item_id: int, person_id: int, now: datetime,
                            assignment_id: int | None) -> None:
    """A rejected answer no longer fills its slot: the slot opens for anyone qualified (not its author)."""
    if assignment_id is not None:
        await session.execute(update(Assignment).where(Assignment.id == assignment_id)
                              .values(state=AssignmentState.rejected).execution_options(synchronize_session=False))
    open_slots, answers, batch_id, overlap = (await session.execute(
        update(Item).where(Item.id == item_id)
        .values(open_slots=Item.open_slots + 1, answers=Item.answers - 1)
        .returning(Item.open_slots, Item.answers, Item.batch_id,
                   select(Project.overlap).where(Project.id == Item.project_id).scalar_subquery() + Item.overlap_extra)
    )).one()
    _bump_batch(session, batch_id, person_id, now, items_queued=1 if open_slots == 1 else 0,
                      items_completed=-1 if answers + 1 == overlap else 0, annotations_submitted=-1)


async def skip(session: AsyncSession, assignment_id: int, user: User, now: datetime | None = None) -> Assignment:
    """Give the item back; the same person is not offered it again."""
    now = now or utcnow()
    await _own_assignment(session, assignment_id, user)
    assignment = await session.get(Assignment, assignment_id)
    if assignment.state != AssignmentState.leased:
        raise Conflict(f"this task is already {assignment.state}")
    assignment.state, assignment.finished_at = AssignmentState.skipped, now
    session.add(assignment)
    record(session, action="assignment.skipped", subject_type="assignment", subject_id=assignment.id,
           project_id=assignment.project_id, actor_id=user.id, payload={"item_id": assignment.item_id})
    await _end_unanswered(session, assignment, now, leases_expired=0)
    return assignment


async def reclaim_expired(session: AsyncSession, now: datetime | None = None, *, project_id: int | None = None) -> int:
    """Return expired leases' slots to the queue. Safe to run from many places at once."""
    now = now or utcnow()
    query = (select(Assignment).where(Assignment.state == AssignmentState.leased, Assignment.expires_at <= now)
             .order_by(Assignment.id).limit(500).with_for_update(skip_locked=True))
    if project_id is not None:
        query = query.where(Assignment.project_id == project_id)
    expired = list((await session.execute(query)).scalars())
    for assignment in expired:
        assignment.state, assignment.finished_at = AssignmentState.expired, now
        session.add(assignment)
        record(session, action="assignment.expired", subject_type="assignment", subject_id=assignment.id,
               project_id=assignment.project_id, payload={"item_id": assignment.item_id})
        await _end_unanswered(session, assignment, now, leases_expired=1)
    return len(expired)


async def _end_unanswered(session: AsyncSession, assignment: Assignment, now: datetime, *, leases_expired: int) -> None:
    """A lease ended without an answer: a production slot goes back to the queue; a gold task counts
    for its round (see quality.after_unanswered)."""
    await session.flush()  # the lease's end is written before its slot reopens (the queue reads the table)
    if assignment.stage == ANNOTATE:
        reopened = await _reopen_slot(session, assignment.item_id)
        _bump_batch(session, assignment.batch_id, assignment.user_id, now if not leases_expired else None,
                          leases_active=-1, items_queued=reopened, leases_expired=leases_expired)
    elif assignment.stage == FIX:
        await review.fix_abandoned(session, assignment.slot, now)
    else:
        await quality.after_unanswered(session, await session.get(Project, assignment.project_id), assignment, now)


async def _reopen_slot(session: AsyncSession, item_id: int) -> int:
    """Give a slot back; 1 when the item became queued again (it had none open)."""
    open_slots = await _REOPEN.scalar(session, item_id=item_id)
    return 1 if open_slots == 1 else 0


def _bump_batch(session: AsyncSession, batch_id: int, person_id: int, activity_at: datetime | None,
               **deltas: int) -> None:
    """Add to the batch's counters, in the shard of the person whose work changed them (just before
    the commit: every transaction of the batch's workers updates these rows)."""
    before_commit(session, _upserts(session.bind.dialect.name).bump_batch, {
        "batch_id": batch_id, "shard": person_id % BATCH_SHARDS, "last_activity_at": activity_at,
        **{name: deltas.get(name, 0) for name in BATCH_COUNTERS}})


def _count_answer(session: AsyncSession, project_id: int, batch_id: int, shard_of: int, now: datetime) -> None:
    before_commit(session, _upserts(session.bind.dialect.name).count_answer, {
        "project_id": project_id, "batch_id": batch_id, "minute": epoch_minute(now),
        "shard": shard_of % BUCKET_SHARDS, "answers": 1})


@dataclass(frozen=True)
class _Upserts:
    bump_batch: Prepared
    count_answer: Prepared


@lru_cache(maxsize=2)
def _upserts(dialect: str) -> _Upserts:
    """The hot path's upserts, built once per backend (ON CONFLICT is dialect-specific)."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert
    else:
        from sqlalchemy.dialects.postgresql import insert as upsert
    shard = upsert(BatchCounterShard).values(
        batch_id=bindparam("batch_id"), shard=bindparam("shard"), last_activity_at=bindparam("last_activity_at"),
        **{name: bindparam(name) for name in BATCH_COUNTERS})
    bump = shard.on_conflict_do_update(
        index_elements=["batch_id", "shard"],
        set_={**{name: getattr(BatchCounterShard, name) + getattr(shard.excluded, name) for name in BATCH_COUNTERS},
              "last_activity_at": func.coalesce(shard.excluded.last_activity_at, BatchCounterShard.last_activity_at)})
    bucket = upsert(ThroughputBucket).values(project_id=bindparam("project_id"), batch_id=bindparam("batch_id"),
                                             minute=bindparam("minute"), shard=bindparam("shard"),
                                             answers=bindparam("answers"))
    count = bucket.on_conflict_do_update(index_elements=["batch_id", "minute", "shard"],
                                         set_={"answers": ThroughputBucket.answers + bucket.excluded.answers})
    return _Upserts(bump_batch=Prepared(bump), count_answer=Prepared(count))
