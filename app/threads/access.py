"""Who may read an item's thread, and which of its comments.

A thread is as private as its item: staff of the project (ops, reviewers, specialists) see every
comment; a contributor only the threads of items they were given (an assignment in any state), and
in those only the comments about the item as a whole or about their own answers. On an item that
is a quality check, a contributor sees only what they wrote themselves: staff may discuss the
expected answer there, and the thread must behave like any other so it cannot tell a check apart.
Clients and strangers see no thread at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.errors import Forbidden, NotFound
from app.items.models import Item
from app.models_base import BIG_ID_MAX, storable_id
from app.threads.models import Comment
from app.work.models import Annotation, Assignment

#: Roles that see a project's whole threads and may resolve comments.
STAFF_ROLES = frozenset({Role.ops, Role.reviewer, Role.specialist})


@dataclass(frozen=True)
class ItemAccess:
    """One person's right to one item's thread."""

    item_id: int
    project_id: int
    user_id: int
    role: str
    on_check_item: bool  # never shown to anyone: only decides what a contributor may read

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def sees_names(self) -> bool:
        """Ops know who is who; everyone else sees contributors by pseudonym (as on the board)."""
        return self.role == Role.ops

    def visible(self) -> ColumnElement[bool]:
        """The condition on Comment rows this person may read (the item's rows only)."""
        on_item = Comment.item_id == self.item_id
        if self.is_staff:
            return on_item
        own_answers = select(Annotation.id).where(Annotation.item_id == self.item_id,
                                                  Annotation.user_id == self.user_id)
        about = or_(Comment.annotation_id.is_(None), Comment.annotation_id.in_(own_answers))
        if self.on_check_item:
            return and_(on_item, about, Comment.author_id == self.user_id)
        return and_(on_item, about)

    def may_read(self, comment: Comment, own_answer_ids: set[int]) -> bool:
        """The same rule as ``visible`` for one comment in hand (who a mention may notify)."""
        if comment.item_id != self.item_id:
            return False
        if self.is_staff:
            return True
        if comment.annotation_id is not None and comment.annotation_id not in own_answer_ids:
            return False
        return not self.on_check_item or comment.author_id == self.user_id


async def item_access(session: AsyncSession, user: User, item_id: int) -> ItemAccess:
    """404 when there is no such item, 403 unless the person may see its thread."""
    row = None
    if storable_id(item_id, BIG_ID_MAX):
        row = (await session.execute(select(Item.project_id, Item.is_gold).where(Item.id == item_id))).first()
    if row is None:
        raise NotFound("no such item")
    project_id, on_check_item = row
    role = await accounts.role_in_project(session, user, project_id)
    if role in STAFF_ROLES:
        return ItemAccess(item_id, project_id, user.id, role, bool(on_check_item))
    if role == Role.contributor:
        given = (await session.execute(select(Assignment.id).where(
            Assignment.item_id == item_id, Assignment.user_id == user.id).limit(1))).first()
        if given is not None:
            return ItemAccess(item_id, project_id, user.id, role, bool(on_check_item))
    raise Forbidden("you do not have access to this item")


async def own_answer_ids(session: AsyncSession, access: ItemAccess) -> set[int]:
    rows = await session.execute(select(Annotation.id).where(Annotation.item_id == access.item_id,
                                                             Annotation.user_id == access.user_id))
    return set(rows.scalars())
