"""Comment threads: add, edit, resolve and reopen, read as one person may see them, mentions.

Every change is an event (``comment.added|edited|resolved|reopened`` with the item id in its
payload), which is what pushes the thread to everyone viewing the item.

Who is who, per reader: ops see names. Everyone else sees staff (ops, reviewers, specialists) by
name and role, and contributors by their project pseudonym: a contributor never learns another
contributor's identity, not from an author line and not from an ``@email`` mention written in a
comment (mentions in other people's comments are shown as the person's name or pseudonym, or
"@someone"; a reader's own comments are shown as written).

A mention is ``@`` and an email address. The person is notified (a "mention" in their feedback
inbox) only if they may read that comment; the author is told nothing either way, so a comment
cannot be used to find out whether an address has an account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, Role, User
from app.accounts.pseudonym import pseudonym
from app.errors import DomainError, Forbidden, Invalid, NotFound
from app.events.service import record
from app.models_base import BIG_ID_MAX, iso, storable_id, utcnow
from app.quality.service import add_feedback
from app.threads.access import STAFF_ROLES, ItemAccess, item_access, own_answer_ids
from app.threads.models import Comment
from app.web.markdown import render_markdown
from app.work.models import Annotation

BODY_LIMIT = 10_000
MENTION_LIMIT = 20  # people notified per comment (or per edit)
EXCERPT_LIMIT = 280
#: ``@alice@example.com``: an @ not glued to a word, then an address. Trailing punctuation stays out.
MENTION = re.compile(r"(?<![\w.+@-])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
SOMEONE = "someone"


def mentioned_emails(body: str) -> list[str]:
    """The addresses mentioned, lower-cased, first occurrence first."""
    return list(dict.fromkeys(m.group(1).lower() for m in MENTION.finditer(body)))


def clean_body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise Invalid({"body": "write something"})
    body = body.strip()
    if len(body) > BODY_LIMIT:
        raise Invalid({"body": f"must be at most {BODY_LIMIT:,} characters"})
    return body


# -- people as one reader may see them ---------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str
    role: str | None  # in the comment's project; "ops" for global ops; None for a non-member


async def _people(session: AsyncSession, project_id: int, *, ids: set[int] = frozenset(),
                  emails: set[str] = frozenset()) -> list[Person]:
    if not ids and not emails:
        return []
    condition = User.id.in_(ids) if ids else None
    if emails:
        condition = User.email.in_(emails) if condition is None else condition | User.email.in_(emails)
    users = (await session.execute(select(User.id, User.name, User.email, User.is_ops).where(condition))).all()
    if not users:
        return []
    roles = dict((await session.execute(select(Membership.user_id, Membership.role).where(
        Membership.project_id == project_id, Membership.user_id.in_([u.id for u in users])))).all())
    return [Person(u.id, u.name, u.email, Role.ops if u.is_ops else roles.get(u.id)) for u in users]


@dataclass
class Reader:
    """Renders comments for one person: author lines, mentions, markdown."""

    access: ItemAccess
    secret: str
    people: dict[int, Person]
    by_email: dict[str, Person]

    @classmethod
    async def load(cls, session: AsyncSession, access: ItemAccess, comments: list[Comment], secret: str,
                   also: set[int] = frozenset()) -> "Reader":
        ids = {c.author_id for c in comments} | {access.user_id} | also
        emails = set() if access.sees_names else {e for c in comments for e in mentioned_emails(c.body)}
        found = await _people(session, access.project_id, ids=ids, emails=emails)
        return cls(access, secret, {p.id: p for p in found}, {p.email: p for p in found})

    def display_name(self, person: Person | None, user_id: int) -> str:
        if person is not None and (user_id == self.access.user_id or person.role in STAFF_ROLES
                                   or self.access.sees_names):
            return person.name
        return pseudonym(self.secret, self.access.project_id, user_id)

    def author(self, comment: Comment) -> dict[str, Any]:
        person = self.people.get(comment.author_id)
        return {"name": self.display_name(person, comment.author_id),
                "role": (person.role if person and person.role else "former member"),
                "is_you": comment.author_id == self.access.user_id}

    def body(self, comment: Comment) -> str:
        """The text as this reader may read it: as written for ops and for the author."""
        if self.access.sees_names or comment.author_id == self.access.user_id:
            return comment.body
        return MENTION.sub(self._mention, comment.body)

    def _mention(self, match: re.Match) -> str:
        person = self.by_email.get(match.group(1).lower())
        if person is None or not (person.id == self.access.user_id or person.role in STAFF_ROLES
                                  or person.role == Role.contributor):
            return "@" + SOMEONE
        return "@" + self.display_name(person, person.id)

    def view(self, comment: Comment) -> dict[str, Any]:
        body = self.body(comment)
        return {"id": comment.id, "item_id": comment.item_id, "annotation_id": comment.annotation_id,
                "author": self.author(comment), "body": body, "html": str(render_markdown(body)),
                "created_at": iso(comment.created_at), "edited_at": iso(comment.edited_at),
                "resolved_at": iso(comment.resolved_at)}


# -- reading ------------------------------------------------------------------------------------------

async def thread(session: AsyncSession, access: ItemAccess, *, secret: str) -> list[dict[str, Any]]:
    """The item's comments this person may read, oldest first, shaped for them."""
    comments = list((await session.execute(
        select(Comment).where(access.visible()).order_by(Comment.id))).scalars())
    reader = await Reader.load(session, access, comments, secret)
    return [reader.view(c) for c in comments]


async def comment_view(session: AsyncSession, access: ItemAccess, comment: Comment, *, secret: str) -> dict[str, Any]:
    reader = await Reader.load(session, access, [comment], secret)
    return reader.view(comment)


async def _visible_comment(session: AsyncSession, access: ItemAccess, comment_id: Any, *,
                           for_update: bool = False) -> Comment:
    comment = None
    if storable_id(comment_id, BIG_ID_MAX):
        statement = select(Comment).where(Comment.id == comment_id, access.visible())
        if for_update:
            statement = statement.with_for_update()
        comment = (await session.execute(statement)).scalar_one_or_none()
    if comment is None:
        raise NotFound("no such comment")
    return comment


# -- changing -----------------------------------------------------------------------------------------

async def add_comment(session: AsyncSession, access: ItemAccess, author: User, body: Any,
                      annotation_id: Any = None, *, secret: str) -> Comment:
    errors: dict[str, str] = {}
    try:
        body = clean_body(body)
    except Invalid as exc:
        errors.update(exc.errors)
    if annotation_id is not None and not await _answer_on_item(session, access, annotation_id):
        errors["annotation_id"] = "is not an answer to this item that you can see"
    if errors:
        raise Invalid(errors)
    comment = Comment(project_id=access.project_id, item_id=access.item_id, annotation_id=annotation_id,
                      author_id=author.id, body=body)
    session.add(comment)
    await session.flush()
    _record(session, "comment.added", comment, author)
    await _notify_mentions(session, access, comment, author, mentioned_emails(body), secret=secret)
    return comment


async def edit_comment(session: AsyncSession, access: ItemAccess, editor: User, comment_id: Any, body: Any, *,
                       secret: str) -> Comment:
    """The author may edit their comment, and ops any comment."""
    comment = await _visible_comment(session, access, comment_id, for_update=True)
    if comment.author_id != editor.id and access.role != Role.ops:
        raise Forbidden("only its author (or ops) may edit a comment")
    body = clean_body(body)
    if body == comment.body:
        return comment
    before = set(mentioned_emails(comment.body))
    comment.body, comment.edited_at = body, utcnow()
    _record(session, "comment.edited", comment, editor)
    await _notify_mentions(session, access, comment, editor,
                           [e for e in mentioned_emails(body) if e not in before], secret=secret)
    return comment


async def set_resolved(session: AsyncSession, access: ItemAccess, user: User, comment_id: Any,
                       resolved: Any) -> Comment:
    """Resolve or reopen (ops, reviewers, specialists); asking for the state it is in changes nothing."""
    if not isinstance(resolved, bool):
        raise Invalid({"resolved": "must be true or false"})
    comment = await _visible_comment(session, access, comment_id, for_update=True)
    if not access.is_staff:
        raise Forbidden("only ops, reviewers and specialists may resolve or reopen comments")
    if resolved == (comment.resolved_at is not None):
        return comment
    if resolved:
        comment.resolved_at, comment.resolved_by = utcnow(), user.id
    else:
        comment.resolved_at, comment.resolved_by = None, None
    _record(session, "comment.resolved" if resolved else "comment.reopened", comment, user)
    return comment


async def _answer_on_item(session: AsyncSession, access: ItemAccess, annotation_id: Any) -> bool:
    """Whether the annotation answers this item (and, for a contributor, is theirs)."""
    if not storable_id(annotation_id, BIG_ID_MAX):
        return False
    statement = select(Annotation.id).where(Annotation.id == annotation_id, Annotation.item_id == access.item_id)
    if not access.is_staff:
        statement = statement.where(Annotation.user_id == access.user_id)
    return (await session.execute(statement)).first() is not None


def _record(session: AsyncSession, action: str, comment: Comment, actor: User) -> None:
    record(session, action=action, subject_type="comment", subject_id=comment.id, project_id=comment.project_id,
           actor_id=actor.id, payload={"item_id": comment.item_id, "comment_id": comment.id,
                                       "annotation_id": comment.annotation_id})


async def _notify_mentions(session: AsyncSession, access: ItemAccess, comment: Comment, actor: User,
                           emails: list[str], *, secret: str) -> None:
    """A "mention" in the inbox of each person named who may read the comment; nobody else is told."""
    emails = [e for e in emails if e != actor.email.lower()][:MENTION_LIMIT]
    if not emails:
        return
    users = (await session.execute(select(User).where(User.email.in_(emails), User.is_active))).scalars()
    for user in users:
        try:
            theirs = await item_access(session, user, access.item_id)
        except DomainError:
            continue
        if not theirs.may_read(comment, await own_answer_ids(session, theirs)):
            continue
        reader = await Reader.load(session, theirs, [comment], secret, also={actor.id})
        who = reader.display_name(reader.people.get(actor.id), actor.id)
        add_feedback(session, access.project_id, user.id, kind="mention", title=f"{who} mentioned you",
                     body=_excerpt(reader.body(comment)), item_id=access.item_id, payload={"comment_id": comment.id})


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LIMIT else text[:EXCERPT_LIMIT - 1].rstrip() + "…"
