"""The review pipeline at work: answers enter their route, reviewers lease and decide.

An answer copies the project's stages when it comes in (its route). At each
stage a share of answers is sampled; a sampled answer waits as a queued
``ReviewTask`` until a reviewer of that stage's level leases it (one reviewer
per task, ``SKIP LOCKED`` as in the work queue, expiry puts it back). Approve
or edit moves it to the next sampled stage, or approves it for good; a
rejection goes where the stage says: back to its author as a ``fix`` task, to
any qualified contributor, or to a specialist. A later stage's verdict is
kept on the earlier stage's task (``audit_agrees``): that is how reviewers are
measured. The contributor hears of every rejection, edit and comment at once
(feedback pushed over ``/ws/me``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts.models import Membership, Role, User
from app.accounts.service import require_role
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.events.service import record
from app.items.models import Item
from app.models_base import BIG_ID_MAX, storable_id, utcnow
from app.projects.models import Project
from app.projects.service import interface_of
from app.quality import service as quality
from app.quality.models import Standing
from app.review import config as review_config
from app.review.models import Decision, ReviewState, ReviewTask
from app.threads.models import Comment
from app.work.models import FIX, Annotation, Assignment, AssignmentState, ReviewStatus

REVIEWER_ROLES = (Role.reviewer, Role.specialist, Role.ops)
#: How long a returned answer waits for its author before anyone qualified may take the item.
FIX_WAIT = timedelta(days=7)
COMMENT_LIMIT = 5000

_chance = secrets.SystemRandom()


# ---------------------------------------------------------------- entering review


def route_for(project: Project) -> list[dict[str, Any]]:
    """The stages an answer coming in now will follow."""
    return review_config.stored(project.review)["stages"]


def first_sampled_stage(route: list[dict[str, Any]], after: int = 0) -> int | None:
    """The 1-based index of the next stage, after ``after``, that samples this answer (None: none does)."""
    for index in range(after + 1, len(route) + 1):
        if _chance.random() < route[index - 1]["share"]:
            return index
    return None


def queue_review(session: AsyncSession, *, project_id: int, annotation: Annotation, route: list[dict[str, Any]],
                 stage_index: int, answer: dict[str, Any]) -> ReviewTask:
    """Put an answer in the queue of one stage of its route."""
    stage = route[stage_index - 1]
    task = ReviewTask(project_id=project_id, item_id=annotation.item_id, annotation_id=annotation.id,
                      contributor_id=annotation.user_id, stage_index=stage_index, stage_name=stage["name"],
                      level=stage["level"], answer_before=answer)
    session.add(task)
    record(session, action="review.queued", subject_type="annotation", subject_id=annotation.id,
           project_id=project_id, payload={"item_id": annotation.item_id, "stage": stage_index})
    return task


# ---------------------------------------------------------------- the reviewer's queue


#: The same answer's tasks at other stages (built once: an alias per call cost more than the query).
_EARLIER = aliased(ReviewTask, name="earlier")


@dataclass(frozen=True)
class ReviewLease:
    task: ReviewTask
    item: Item
    annotation: Annotation


async def reviewer_level(session: AsyncSession, project_id: int, user: User) -> int:
    """Ops may work every stage; others the stages up to their membership's level."""
    role = await require_role(session, user, project_id, *REVIEWER_ROLES)
    if role == Role.ops:
        return review_config.MAX_LEVEL
    return (await session.execute(select(Membership.level).where(
        Membership.project_id == project_id, Membership.user_id == user.id))).scalar_one()


async def next_review(session: AsyncSession, project: Project, reviewer: User, now: datetime | None = None
                      ) -> ReviewLease | None:
    """The reviewer's open review lease, or the oldest queued task their level allows that is not
    their own answer and not one they already decided at an earlier stage."""
    now = now or utcnow()
    level = await reviewer_level(session, project.id, reviewer)
    held = (await session.execute(select(ReviewTask).where(
        ReviewTask.project_id == project.id, ReviewTask.reviewer_id == reviewer.id,
        ReviewTask.state == ReviewState.leased, ReviewTask.expires_at > now).order_by(ReviewTask.id).limit(1)
    )).scalar_one_or_none()
    if held is None:
        await reclaim_expired_reviews(session, now, project_id=project.id)
        earlier = _EARLIER
        held = (await session.execute(
            select(ReviewTask).where(
                ReviewTask.project_id == project.id, ReviewTask.state == ReviewState.queued,
                ReviewTask.level <= level,
                (ReviewTask.contributor_id.is_(None)) | (ReviewTask.contributor_id != reviewer.id),
                ~exists().where(earlier.annotation_id == ReviewTask.annotation_id, earlier.reviewer_id == reviewer.id))
            .order_by(ReviewTask.id).limit(1).with_for_update(skip_locked=True, of=ReviewTask))).scalar_one_or_none()
        if held is None:
            return None
        held.state, held.reviewer_id = ReviewState.leased, reviewer.id
        held.leased_at, held.expires_at = now, now + timedelta(seconds=project.lease_seconds)
        session.add(held)
        record(session, action="review.leased", subject_type="review", subject_id=held.id, project_id=project.id,
               actor_id=reviewer.id, payload={"item_id": held.item_id, "stage": held.stage_index})
    return await lease_of(session, held)


async def review_task(session: AsyncSession, task_id: int) -> ReviewTask | None:
    """A review task by id (None for an id no row can have)."""
    return await session.get(ReviewTask, task_id) if storable_id(task_id, BIG_ID_MAX) else None


async def lease_of(session: AsyncSession, task: ReviewTask) -> ReviewLease:
    """The task with the item and the answer it is about: what every view of a review shows."""
    return ReviewLease(task, await session.get(Item, task.item_id), await session.get(Annotation, task.annotation_id))


async def reclaim_expired_reviews(session: AsyncSession, now: datetime | None = None, *,
                                  project_id: int | None = None) -> int:
    """Put review leases that ran out back in their queue."""
    now = now or utcnow()
    query = (update(ReviewTask).where(ReviewTask.state == ReviewState.leased, ReviewTask.expires_at <= now)
             .values(state=ReviewState.queued, reviewer_id=None, leased_at=None, expires_at=None)
             .execution_options(synchronize_session=False))
    if project_id is not None:
        query = query.where(ReviewTask.project_id == project_id)
    return (await session.execute(query)).rowcount or 0


async def held_review(session: AsyncSession, task_id: int, reviewer: User, now: datetime) -> ReviewTask:
    """The review task ``reviewer`` holds a live lease on, locked for this transaction."""
    if not storable_id(task_id, BIG_ID_MAX):
        raise NotFound("no such review")
    task = (await session.execute(select(ReviewTask).where(ReviewTask.id == task_id).with_for_update())
            ).scalar_one_or_none()
    if task is None:
        raise NotFound("no such review")
    await require_role(session, reviewer, task.project_id, *REVIEWER_ROLES)
    if task.reviewer_id != reviewer.id:
        raise Forbidden("this review is not leased to you")
    if task.state == ReviewState.decided:
        raise Conflict("this review was already decided")
    if task.state != ReviewState.leased or task.expires_at is None or task.expires_at <= now:
        raise Conflict("your lease on this review ran out; ask for the next review")
    return task


# ---------------------------------------------------------------- decisions


def answer_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field by field, what an edit changed."""
    return {name: {"from": before.get(name), "to": after.get(name)}
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)}


async def decide(session: AsyncSession, task_id: int, reviewer: User, decision: Any, *, answer: Any = None,
                 comment: Any = None, tags: Any = None, now: datetime | None = None) -> ReviewTask:
    """Approve, edit and approve, or reject with a comment and tags; the contributor hears at once."""
    now = now or utcnow()
    task = await held_review(session, task_id, reviewer, now)
    project = await session.get(Project, task.project_id)
    annotation = (await session.execute(select(Annotation).where(Annotation.id == task.annotation_id)
                                        .with_for_update())).scalar_one()
    pipeline = review_config.stored(project.review)
    comment = comment.strip() if isinstance(comment, str) else comment
    errors: dict[str, str] = {}
    if decision not in (Decision.approve, Decision.edit, Decision.reject):
        errors["decision"] = "must be one of: approve, edit, reject"
    if comment is not None and not isinstance(comment, str):
        errors["comment"] = "must be text"
    elif comment and len(comment) > COMMENT_LIMIT:
        errors["comment"] = f"must be at most {COMMENT_LIMIT} characters"
    if decision == Decision.reject and not comment:
        errors["comment"] = "required when rejecting: say what to fix"
    tags = [] if tags is None else tags
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        errors["tags"] = "must be a list of error tags"
    elif unknown := [t for t in tags if t not in pipeline["tags"]]:
        errors["tags"] = f"not in this project's error tags: {', '.join(unknown)}"
    current = annotation.reviewed_answer or annotation.answer
    edited: dict[str, Any] | None = None
    if decision == Decision.edit and not errors:
        item = await session.get(Item, annotation.item_id)
        edited, field_errors = interface_of(project).validate_answer(answer, item.data if item else None,
                                                                     annotation.assignment_id)
        if field_errors:
            raise Invalid(field_errors, message="the edited answer is not valid")
    if errors:
        raise Invalid(errors, message="the decision is not valid")
    diff = answer_diff(current, edited) if edited is not None else None
    if decision == Decision.edit and not diff:
        decision, edited, diff = Decision.approve, None, None  # nothing changed: it is an approval
    task.state, task.decision, task.decided_at = ReviewState.decided, str(decision), now
    task.comment, task.tags, task.answer_after, task.diff = comment or None, list(dict.fromkeys(tags)), edited, diff
    session.add(task)
    await _audit_earlier_stage(session, task)
    route = annotation.review_route or pipeline["stages"]
    if decision == Decision.reject:
        await _reject(session, project, task, annotation, route, now)
    else:
        if edited is not None:
            annotation.reviewed_answer = edited
        await _advance(session, project, annotation, route, after=task.stage_index, answer=edited or current)
    session.add(annotation)
    if comment:
        session.add(Comment(project_id=project.id, item_id=task.item_id, annotation_id=annotation.id,
                            author_id=reviewer.id, body=comment, created_at=now))
        record(session, action="comment.added", subject_type="annotation", subject_id=annotation.id,
               project_id=project.id, actor_id=reviewer.id, payload={"item_id": task.item_id, "from_review": True})
    record(session, action="review.decided", subject_type="review", subject_id=task.id, project_id=project.id,
           actor_id=reviewer.id, payload={"item_id": task.item_id, "annotation_id": annotation.id,
                                          "stage": task.stage_index, "decision": task.decision, "tags": task.tags,
                                          "diff": diff, "contributor_id": annotation.user_id})
    _tell_contributor(session, project, task, annotation)
    return task


async def _audit_earlier_stage(session: AsyncSession, task: ReviewTask) -> None:
    """A later stage upholding (approving unchanged) the earlier decision agrees with it."""
    if task.stage_index <= 1:
        return
    earlier = (await session.execute(select(ReviewTask).where(
        ReviewTask.annotation_id == task.annotation_id, ReviewTask.state == ReviewState.decided,
        ReviewTask.stage_index < task.stage_index).order_by(ReviewTask.stage_index.desc()).limit(1))
    ).scalar_one_or_none()
    if earlier is not None and earlier.decision in (Decision.approve, Decision.edit):
        earlier.audit_agrees = task.decision == Decision.approve
        session.add(earlier)


async def _advance(session: AsyncSession, project: Project, annotation: Annotation, route: list[dict[str, Any]],
                   *, after: int, answer: dict[str, Any]) -> None:
    """On to the next stage that samples the answer, or approved for good."""
    await session.flush()
    next_stage = first_sampled_stage(route, after=after)
    if next_stage is not None:
        annotation.review_status = ReviewStatus.in_review
        queue_review(session, project_id=project.id, annotation=annotation, route=route, stage_index=next_stage,
                     answer=answer)
        return
    annotation.review_status = ReviewStatus.approved
    await _count_verdict(session, project.id, annotation.user_id, accepted=1)


def _on_reject(route: list[dict[str, Any]], stage_index: int) -> str:
    """Where a rejection at this stage of the route goes (back to its author if the stage is gone)."""
    return route[stage_index - 1]["on_reject"] if stage_index <= len(route) else "same_contributor"


async def _reject(session: AsyncSession, project: Project, task: ReviewTask, annotation: Annotation,
                  route: list[dict[str, Any]], now: datetime) -> None:
    """Send a rejected answer where its stage says."""
    annotation.review_status = ReviewStatus.rejected
    await _count_verdict(session, project.id, annotation.user_id, rejected=1)
    on_reject = _on_reject(route, task.stage_index)
    if on_reject == "same_contributor" and annotation.user_id is not None:
        await _return_to_author(session, project, task, annotation, now)
    elif on_reject == "escalate":
        from app.escalations.models import Escalation  # escalations build on review

        annotation.review_status = ReviewStatus.escalated
        session.add(Escalation(project_id=project.id, item_id=task.item_id, annotation_id=annotation.id,
                               review_task_id=task.id, raised_by=task.reviewer_id, raised_as="reviewer",
                               note=task.comment or "", created_at=now))
        record(session, action="escalation.raised", subject_type="annotation", subject_id=annotation.id,
               project_id=project.id, actor_id=task.reviewer_id, payload={"item_id": task.item_id})
    else:
        from app.work.service import reopen_for_others  # the work queue owns slots and counters

        await reopen_for_others(session, item_id=task.item_id, person_id=annotation.user_id or 0, now=now,
                                assignment_id=annotation.assignment_id)


async def _return_to_author(session: AsyncSession, project: Project, task: ReviewTask, annotation: Annotation,
                            now: datetime) -> None:
    """The rejected task waits in its author's queue (before anything new) to fix and resubmit.
    The fix lease's slot is the review task's id: it says which decision it answers."""
    previous_fixes = (await session.execute(select(func.count()).select_from(Assignment).where(
        Assignment.item_id == task.item_id, Assignment.user_id == annotation.user_id, Assignment.stage == FIX)
    )).scalar_one()
    batch_id = (await session.execute(select(Item.batch_id).where(Item.id == task.item_id))).scalar_one()
    assignment = Assignment(project_id=project.id, batch_id=batch_id, item_id=task.item_id, user_id=annotation.user_id,
                            stage=FIX, round=previous_fixes + 1, slot=task.id, state=AssignmentState.leased,
                            leased_at=now, expires_at=now + FIX_WAIT)
    session.add(assignment)
    await session.flush()
    record(session, action="assignment.leased", subject_type="assignment", subject_id=assignment.id,
           project_id=project.id, actor_id=annotation.user_id,
           payload={"item_id": task.item_id, "batch_id": batch_id, "stage": FIX})


async def _count_verdict(session: AsyncSession, project_id: int, user_id: int | None, *, accepted: int = 0,
                         rejected: int = 0) -> None:
    if user_id is None:
        return
    await session.execute(update(Standing).where(Standing.project_id == project_id, Standing.user_id == user_id)
                          .values(accepted=Standing.accepted + accepted, rejected=Standing.rejected + rejected)
                          .execution_options(synchronize_session=False))


FEEDBACK_TITLES = {
    Decision.reject: "A reviewer returned your answer",
    Decision.edit: "A reviewer corrected your answer",
    Decision.approve: "A reviewer commented on your answer",
}


def _tell_contributor(session: AsyncSession, project: Project, task: ReviewTask, annotation: Annotation) -> None:
    """Rejections, edits and comments reach the contributor's inbox (and open workspace) at once."""
    if annotation.user_id is None or (task.decision == Decision.approve and not task.comment):
        return
    where = {"same_contributor": "It is waiting for you to fix and resubmit.",
             "any_contributor": "It goes to another contributor.",
             "escalate": "It goes to a specialist."}
    body = task.comment or ""
    if task.decision == Decision.reject:
        on_reject = _on_reject(annotation.review_route or route_for(project), task.stage_index)
        body = f"{body}\n\n{where[on_reject]}".strip()
    quality.add_feedback(session, project.id, annotation.user_id, kind="review",
                         title=FEEDBACK_TITLES[Decision(task.decision)], body=body, item_id=task.item_id,
                         payload={"decision": task.decision, "comment": task.comment, "tags": task.tags,
                                  "diff": task.diff, "review_id": task.id, "stage": task.stage_name,
                                  "annotation_id": annotation.id, "your_answer": task.answer_before})


# ---------------------------------------------------------------- fixes come back


async def fix_context(session: AsyncSession, fix_slot: int) -> ReviewTask | None:
    """The decision a fix task answers (its slot is that review task's id)."""
    return await session.get(ReviewTask, fix_slot)


async def fix_abandoned(session: AsyncSession, fix_slot: int, now: datetime) -> None:
    """Its author skipped a returned answer or let it wait too long: anyone qualified may take the item."""
    rejected_by = await session.get(ReviewTask, fix_slot)
    if rejected_by is None:
        return
    rejected = await session.get(Annotation, rejected_by.annotation_id)
    from app.work.service import reopen_for_others  # the work queue owns slots and counters

    await reopen_for_others(session, item_id=rejected.item_id, person_id=rejected.user_id or 0, now=now,
                            assignment_id=rejected.assignment_id)


# ---------------------------------------------------------------- escalation hooks


async def escalate_review(session: AsyncSession, task_id: int, reviewer: User, note: str,
                          now: datetime | None = None) -> ReviewTask:
    """The reviewer cannot decide: the guidelines do not cover it. The answer waits for a specialist."""
    now = now or utcnow()
    task = await held_review(session, task_id, reviewer, now)
    task.state, task.decision, task.decided_at, task.comment = ReviewState.decided, Decision.escalate, now, note
    session.add(task)
    annotation = await session.get(Annotation, task.annotation_id)
    annotation.review_status = ReviewStatus.escalated
    session.add(annotation)
    record(session, action="review.decided", subject_type="review", subject_id=task.id, project_id=task.project_id,
           actor_id=reviewer.id, payload={"item_id": task.item_id, "annotation_id": annotation.id,
                                          "stage": task.stage_index, "decision": Decision.escalate, "tags": [],
                                          "diff": None, "contributor_id": annotation.user_id})
    return task


async def settle_escalated(session: AsyncSession, annotation_id: int, answer: dict[str, Any] | None,
                           specialist: User, now: datetime | None = None) -> None:
    """A specialist decided an escalated answer: approved, as the specialist's answer when given."""
    now = now or utcnow()
    annotation = await session.get(Annotation, annotation_id)
    if annotation is None:
        raise NotFound("no such answer")
    current = annotation.reviewed_answer or annotation.answer
    diff = answer_diff(current, answer) if answer is not None else None
    if diff:
        annotation.reviewed_answer = answer
    annotation.review_status = ReviewStatus.approved
    session.add(annotation)
    record(session, action="review.settled", subject_type="annotation", subject_id=annotation.id,
           project_id=annotation.project_id, actor_id=specialist.id,
           payload={"item_id": annotation.item_id, "diff": diff or None, "contributor_id": annotation.user_id})
    if annotation.user_id is not None and diff:
        quality.add_feedback(session, annotation.project_id, annotation.user_id, kind="review",
                             title="A specialist decided an answer you gave", item_id=annotation.item_id,
                             payload={"decision": Decision.edit, "diff": diff, "annotation_id": annotation.id,
                                      "your_answer": annotation.answer})


async def review_history(session: AsyncSession, item_id: int) -> list[ReviewTask]:
    """Every decision on every answer to an item, oldest first: the review page's history."""
    return list((await session.execute(select(ReviewTask).where(
        ReviewTask.item_id == item_id, ReviewTask.state == ReviewState.decided).order_by(ReviewTask.id))).scalars())

