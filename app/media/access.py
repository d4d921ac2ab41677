"""Who may be served a media file: whoever may see an item that references it.

Staff of a project (ops, reviewers, specialists) see every item of it; a contributor only the
items they hold a live lease on or have answered, as a member of that project. Global ops see
everything. The rule never asks whether an item is gold, so the answer (and the URL, which is
the file's hash) is the same for a check item as for any other. Everyone else is told the file
does not exist (404): whether a hash is stored is not revealed.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, Role, User
from app.media.models import ItemMedia, MediaFile
from app.models_base import utcnow
from app.work.models import Annotation, Assignment, AssignmentState

STAFF_ROLES = (Role.ops.value, Role.reviewer.value, Role.specialist.value)


def _referenced(sha256: str):
    return ItemMedia.sha256 == sha256


async def visible_file(session: AsyncSession, user: User, sha256: str) -> MediaFile | None:
    """The file's row when ``user`` may see it, else None (also when there is no such file)."""
    if user.is_ops:
        allowed = exists().where(_referenced(sha256))
    else:
        member = and_(Membership.user_id == user.id, Membership.project_id == ItemMedia.project_id)
        staff = exists().where(_referenced(sha256), member, Membership.role.in_(STAFF_ROLES))
        holding = exists().where(
            _referenced(sha256), Assignment.item_id == ItemMedia.item_id, Assignment.user_id == user.id,
            Assignment.state == AssignmentState.leased.value, Assignment.expires_at > utcnow(),
            exists().where(member))
        answered = exists().where(
            _referenced(sha256), Annotation.item_id == ItemMedia.item_id, Annotation.user_id == user.id,
            exists().where(member))
        allowed = or_(staff, holding, answered)
    return (await session.execute(select(MediaFile).where(MediaFile.sha256 == sha256, allowed))).scalar_one_or_none()
