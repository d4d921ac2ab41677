"""Browser sessions kept on the server: the cookie names a ``UserSession`` row, and only a live
row of an active user signs the browser in, so sign-out, "sign out everywhere", a password
change and deactivation end sessions for good (a copied cookie stops working too)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User, UserSession
from app.events.service import record
from app.models_base import utcnow
from app.prepared import Prepared

#: As long as the cookie lives; an older session is refused even if its cookie was kept.
SESSION_DAYS = 14
#: The session cookie's key for the row id.
SESSION_KEY = "session_id"


async def start_session(session: AsyncSession, user: User) -> str:
    """A new session row for the user; its id goes into the (encrypted) cookie."""
    session_id = secrets.token_urlsafe(32)
    session.add(UserSession(id=session_id, user_id=user.id))
    record(session, action="session.started", subject_type="user", subject_id=user.id, actor_id=user.id)
    return session_id


async def end_session(session: AsyncSession, session_id: str, user_id: int) -> None:
    """Sign-out: this browser's session ends."""
    await session.execute(update(UserSession).where(UserSession.id == session_id, UserSession.user_id == user_id,
                                                    UserSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    record(session, action="session.ended", subject_type="user", subject_id=user_id, actor_id=user_id)


async def end_all_sessions(session: AsyncSession, user_id: int) -> int:
    """Every live session of the user ends; how many did."""
    result = await session.execute(update(UserSession).where(UserSession.user_id == user_id,
                                                             UserSession.revoked_at.is_(None))
                                   .values(revoked_at=utcnow()))
    return result.rowcount or 0


async def live_session_count(session: AsyncSession, user_id: int) -> int:
    return (await session.execute(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
        UserSession.created_at > utcnow() - timedelta(days=SESSION_DAYS)))).scalar_one()


_USER_COLUMNS = tuple(User.__table__.columns)

#: Every page and socket request asks it: built once, run on the driver.
_SESSION_USER = Prepared(
    select(*_USER_COLUMNS).join_from(UserSession, User, UserSession.user_id == User.id)
    .where(UserSession.id == bindparam("session_id"), UserSession.revoked_at.is_(None),
           UserSession.created_at > bindparam("since"), User.is_active.is_(True)))


async def user_for_session(session: AsyncSession, session_id: str) -> User | None:
    """The active user whose live session this is, or None."""
    if not isinstance(session_id, str) or len(session_id) > 64:
        return None
    row = await _SESSION_USER.first(session, session_id=session_id, since=utcnow() - timedelta(days=SESSION_DAYS))
    return None if row is None else User(**row._asdict())
