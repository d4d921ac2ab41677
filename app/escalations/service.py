"""Escalation: an item the guidelines do not cover goes to a specialist, who decides it and may
clarify the guidelines; contributors then confirm the new version before their next task.

Who raises one, and how:

* a contributor, from the task they hold: the lease ends as skipped (the slot goes back to the
  queue, they are not offered the item again), so they move on at once. It works the same on
  every task, gold or not: nothing in the answer tells them apart.
* a reviewer (or specialist, ops) instead of deciding a review: the review service marks the
  review decided ("escalate") and the answer waits, as ``escalated``, for the specialist.

A specialist's decision settles a review escalation through the review service (approved, with
their answer as the reviewed one when given); for a contributor's flag their answer is stored as an
``adjudicate`` annotation. A clarification publishes a new guideline version with a changelog;
answers already given keep the version they cite. The raiser hears back through their feedback
(pushed live to their workspace).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.accounts.service import require_role
from app.errors import Conflict, Invalid, NotFound
from app.escalations.models import Escalation, EscalationState
from app.events.service import record
from app.items.models import Item
from app.models_base import BIG_ID_MAX, iso, storable_id, utcnow
from app.projects.models import GuidelineVersion, Project
from app.projects.service import current_guidelines, interface_of, publish_guidelines
from app.quality.models import Standing
from app.quality.service import add_feedback, standing_for
from app.work.models import ADJUDICATE, Annotation

#: Who decides escalations and sees every one of them, with names.
STAFF = (Role.specialist, Role.ops)
NOTE_LIMIT = 5000
RESOLUTION_LIMIT = 5000
CHANGELOG_LIMIT = 500
LIST_LIMIT = 200
STATES = tuple(s.value for s in EscalationState)
ANSWERED_TITLE = "A specialist answered your question"


def _text(value: Any, field: str, limit: int, missing: str, errors: dict[str, str]) -> str:
    """A required free text, trimmed; a problem goes into ``errors`` under ``field``."""
    if not isinstance(value, str) or not value.strip():
        errors[field] = missing
        return ""
    if len(value.strip()) > limit:
        errors[field] = f"must be at most {limit} characters"
    return value.strip()


def _review():
    """The review slice's service, imported late: review builds on escalations' models and vice versa."""
    from app.review import service as review

    return review


# ---------------------------------------------------------------- raising


async def raise_escalation(session: AsyncSession, project: Project, user: User, *, item_id: Any = None, note: Any,
                           assignment_id: Any = None, review_task_id: Any = None,
                           now: datetime | None = None) -> Escalation:
    """Flag the item of the task (or review) the caller holds as not covered by the guidelines."""
    now = now or utcnow()
    errors: dict[str, str] = {}
    note = _text(note, "note", NOTE_LIMIT, "required: say what the guidelines do not cover", errors)
    if assignment_id is not None and review_task_id is not None:
        errors["review_task_id"] = "give either assignment_id (a task) or review_task_id (a review), not both"
    elif assignment_id is None and review_task_id is None:
        errors["assignment_id"] = "required: the task you are working on (review_task_id for a review)"
    for name, value in (("assignment_id", assignment_id), ("review_task_id", review_task_id), ("item_id", item_id)):
        if value is not None and (type(value) is not int or value <= 0):
            errors[name] = "must be a positive whole number"
    if errors:
        raise Invalid(errors)
    await require_role(session, user, project.id)
    escalation = Escalation(project_id=project.id, item_id=0, raised_by=user.id, raised_as="contributor",
                            note=note, created_at=now)
    if assignment_id is not None:
        from app.work.service import skip  # the work queue owns leases, slots and counters

        # skip() locks the lease and checks it is the caller's and still live; what it returns is fresh.
        if not storable_id(assignment_id, BIG_ID_MAX):
            raise NotFound("no such assignment")
        assignment = await skip(session, assignment_id, user, now)
        if assignment.project_id != project.id:
            raise NotFound("no such assignment in this project")  # rolls the skip back
        if assignment.expires_at <= now:
            raise Conflict("your time on this task ran out; ask for the next task")
        escalation.item_id = assignment.item_id
    else:
        task = await _review().escalate_review(session, review_task_id, user, note, now=now)
        if task.project_id != project.id:
            raise NotFound("no such review in this project")
        escalation.item_id, escalation.annotation_id = task.item_id, task.annotation_id
        escalation.review_task_id, escalation.raised_as = task.id, "reviewer"
    if item_id is not None and item_id != escalation.item_id:
        raise Invalid({"item_id": "is not the item of this task"})
    session.add(escalation)
    await session.flush()
    record(session, action="escalation.raised", subject_type="escalation", subject_id=escalation.id,
           project_id=project.id, actor_id=user.id,
           payload={"item_id": escalation.item_id, "escalation_id": escalation.id, "raised_as": escalation.raised_as})
    return escalation


# ---------------------------------------------------------------- reading


async def is_staff(session: AsyncSession, project: Project, user: User) -> bool:
    """Specialists and ops see every escalation with names; anyone else only what they raised."""
    return await require_role(session, user, project.id) in STAFF


async def list_escalations(session: AsyncSession, project: Project, user: User, state: Any = None, *,
                           after: int | None = None, limit: int = LIST_LIMIT) -> list[Escalation]:
    """Oldest first (the queue's order); ``after`` an id, to read on past the last one seen."""
    if state is not None and state not in STATES:
        raise Invalid({"state": f"must be one of: {', '.join(STATES)}"})
    query = select(Escalation).where(Escalation.project_id == project.id)
    if not await is_staff(session, project, user):
        query = query.where(Escalation.raised_by == user.id)
    if state is not None:
        query = query.where(Escalation.state == state)
    if after is not None:
        query = query.where(Escalation.id > after)
    query = query.order_by(Escalation.id).limit(max(1, min(limit, 1000)))
    return list((await session.execute(query)).scalars())


async def get_escalation(session: AsyncSession, project: Project, escalation_id: int, *,
                         for_update: bool = False) -> Escalation:
    if not storable_id(escalation_id, BIG_ID_MAX):
        raise NotFound("no such escalation")
    query = select(Escalation).where(Escalation.id == escalation_id, Escalation.project_id == project.id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    escalation = (await session.execute(query)).scalar_one_or_none()
    if escalation is None:
        raise NotFound("no such escalation")
    return escalation


async def views(session: AsyncSession, escalations: list[Escalation], *, staff: bool) -> list[dict[str, Any]]:
    """Escalations as people may see them. Staff get the whole context: the answer under review, who
    raised and decided it, the decision, and (for a gold item) its gold answer. A raiser looking at
    their own gets their note and the outcome in words: no other person, no answer (the item may be
    gold, and the specialist's answer would be its gold answer)."""
    if not escalations:
        return []
    item_ids = {e.item_id for e in escalations}
    items = {row.id: row for row in await session.execute(
        select(Item.id, Item.data, Item.is_gold, Item.gold_answer, Item.gold_explanation).where(Item.id.in_(item_ids)))}
    rows = []
    for e in escalations:
        item = items.get(e.item_id)
        rows.append({"id": e.id, "item_id": e.item_id, "item": {"id": e.item_id, "data": item.data if item else None},
                     "raised_as": e.raised_as, "note": e.note, "state": e.state, "resolution": e.resolution,
                     "guideline_version": e.guideline_version, "created_at": iso(e.created_at),
                     "resolved_at": iso(e.resolved_at)})
    if not staff:
        return rows
    annotation_ids = {e.annotation_id for e in escalations if e.annotation_id is not None}
    answers = {row.id: row.reviewed_answer or row.answer for row in await session.execute(
        select(Annotation.id, Annotation.answer, Annotation.reviewed_answer).where(Annotation.id.in_(annotation_ids)))
    } if annotation_ids else {}
    names = await _names(session, {e.raised_by for e in escalations} | {e.specialist_id for e in escalations})
    for row, e in zip(rows, escalations):
        item = items.get(e.item_id)
        row.update({
            "annotation_id": e.annotation_id, "review_task_id": e.review_task_id,
            "escalated_answer": answers.get(e.annotation_id) if e.annotation_id else None,
            "raised_by": {"id": e.raised_by, "name": names.get(e.raised_by)} if e.raised_by is not None else None,
            "specialist": {"id": e.specialist_id, "name": names.get(e.specialist_id)} if e.specialist_id else None,
            "answer": e.answer,
            "gold": {"answer": item.gold_answer, "explanation": item.gold_explanation}
            if item is not None and item.is_gold else None})
    return rows


async def _names(session: AsyncSession, user_ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict((await session.execute(select(User.id, User.name).where(User.id.in_(ids)))).all())


# ---------------------------------------------------------------- deciding


def check_clarification(clarification: Any, current_body: str | None, errors: dict[str, str]) -> tuple[str, str] | None:
    """``{"guidelines": full new markdown, "changelog": what changed}``, or None for no clarification."""
    if clarification is None:
        return None
    if not isinstance(clarification, dict):
        errors["clarification"] = "must be an object with guidelines (the full new text) and changelog"
        return None
    body = clarification.get("guidelines")
    if not isinstance(body, str) or not body.strip():
        errors["clarification.guidelines"] = "required: the full text of the new version, in Markdown"
    elif current_body is not None and body.strip() == current_body.strip():
        errors["clarification.guidelines"] = "is the same as the current version: write the clarification into it"
    changelog = _text(clarification.get("changelog"), "clarification.changelog", CHANGELOG_LIMIT,
                      "required: one line telling contributors what changed", errors)
    return (body, changelog) if isinstance(body, str) else None


async def resolve_escalation(session: AsyncSession, project: Project, escalation_id: int, specialist: User, *,
                             resolution: Any, answer: Any = None, clarification: Any = None,
                             now: datetime | None = None) -> Escalation:
    """Decide an escalated item: in words, optionally with an answer and a guideline clarification."""
    now = now or utcnow()
    await require_role(session, specialist, project.id, *STAFF)
    escalation = await get_escalation(session, project, escalation_id, for_update=True)
    if escalation.state != EscalationState.open:
        raise Conflict("this escalation was already resolved")
    errors: dict[str, str] = {}
    resolution = _text(resolution, "resolution", RESOLUTION_LIMIT,
                       "required: say how the item is decided; the person who raised it reads this", errors)
    clean = None
    if answer is not None:
        item = await session.get(Item, escalation.item_id)
        clean, problems = interface_of(project).validate_answer(answer, item.data if item else None)
        errors.update(problems)
    current = await current_guidelines(session, project) if clarification is not None else None
    clarified = check_clarification(clarification, current.body if current else None, errors)
    if errors:
        raise Invalid(errors)
    if clarified is not None:
        # Locked and re-read: two clarifications at once must not both become version N + 1.
        project = (await session.execute(select(Project).where(Project.id == project.id).with_for_update()
                                         .execution_options(populate_existing=True))).scalar_one()
        version = await publish_guidelines(session, project, clarified[0], actor=specialist, changelog=clarified[1])
        escalation.guideline_version = version.version
    if escalation.annotation_id is not None:
        await _review().settle_escalated(session, escalation.annotation_id, clean, specialist)
    elif clean is not None:
        # Decided under the guidelines as they now stand (with the clarification, when there is one).
        session.add(Annotation(project_id=project.id, item_id=escalation.item_id, user_id=specialist.id, answer=clean,
                               guideline_version=project.guideline_version or None, source="specialist",
                               stage=ADJUDICATE, created_at=now))
    escalation.state, escalation.specialist_id = EscalationState.resolved, specialist.id
    escalation.resolution, escalation.answer, escalation.resolved_at = resolution, clean, now
    session.add(escalation)
    if escalation.raised_by is not None:  # nobody to tell when Inkwell raised it (e.g. low agreement)
        add_feedback(session, project.id, escalation.raised_by, kind="escalation", title=ANSWERED_TITLE,
                     body=resolution, item_id=escalation.item_id,
                     payload={"escalation_id": escalation.id, "guideline_version": escalation.guideline_version})
    record(session, action="escalation.resolved", subject_type="escalation", subject_id=escalation.id,
           project_id=project.id, actor_id=specialist.id,
           payload={"item_id": escalation.item_id, "escalation_id": escalation.id, "answered": clean is not None,
                    "guideline_version": escalation.guideline_version})
    return escalation


# ---------------------------------------------------------------- confirming new guidelines


async def acknowledge_guidelines(session: AsyncSession, project: Project, user: User, version: Any) -> int:
    """A contributor confirms they read guideline version ``version`` (the current one). Idempotent:
    confirming again changes nothing and records nothing."""
    if type(version) is not int or version < 1:
        raise Invalid({"version": "must be the number of the guideline version you read"})
    await require_role(session, user, project.id, Role.contributor)
    if version != project.guideline_version:
        raise Conflict(f"version {version} is not the current guidelines: read version {project.guideline_version}",
                       guideline_version=project.guideline_version)
    standing = await standing_for(session, project.id, user.id)
    if standing.guidelines_acknowledged >= version:
        return standing.guidelines_acknowledged
    standing.guidelines_acknowledged = version
    session.add(standing)
    record(session, action="guidelines.acknowledged", subject_type="standing", subject_id=standing.id,
           project_id=project.id, actor_id=user.id, payload={"user_id": user.id, "version": version})
    return version


async def guidelines_to_acknowledge(session: AsyncSession, project: Project, user: User) -> list[GuidelineVersion]:
    """The versions published since the person last confirmed, oldest first, for their changelogs.
    Empty for anyone with no standing yet: a newcomer starts on the current version."""
    acknowledged = (await session.execute(select(Standing.guidelines_acknowledged).where(
        Standing.project_id == project.id, Standing.user_id == user.id))).scalar_one_or_none()
    if acknowledged is None or acknowledged >= project.guideline_version:
        return []
    return list((await session.execute(select(GuidelineVersion).where(
        GuidelineVersion.project_id == project.id, GuidelineVersion.version > acknowledged,
        GuidelineVersion.version <= project.guideline_version).order_by(GuidelineVersion.version))).scalars())
