"""Ending access: revoking API tokens, changing a password, deactivating a person.

Each writes an event in the same transaction; the revoking ones (``token.revoked``,
``password.changed``, ``user.deactivated``) also reach every process's token cache after the
commit (app/accounts/revocation.py), so the next request is refused everywhere.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiToken, User
from app.accounts.passwords import hash_password, password_problem
from app.accounts.sessions import end_all_sessions, start_session
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.events.service import record
from app.models_base import storable_id, utcnow

#: One page of the ops users list.
USERS_PAGE = 100


async def live_tokens(session: AsyncSession, user_id: int) -> list[ApiToken]:
    """The user's unrevoked tokens, newest first (never their secrets: only hashes are stored)."""
    return list((await session.execute(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id.desc()))).scalars())


async def revoke_token(session: AsyncSession, token_id: int, *, actor: User | None, owner_id: int | None = None) -> ApiToken:
    """Revoke one token. ``owner_id``: only that user's token (404 for anyone else's, so ids of other
    people's tokens are not confirmed); without it, ops (or the CLI, ``actor`` None) may revoke any."""
    if actor is not None and owner_id is None and not actor.is_ops:
        raise Forbidden("requires ops")
    token = await session.get(ApiToken, token_id) if storable_id(token_id) else None
    if token is None or (owner_id is not None and token.user_id != owner_id):
        raise NotFound("no such token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        record(session, action="token.revoked", subject_type="token", subject_id=token.id,
               actor_id=actor.id if actor else None, payload={"user_id": token.user_id, "name": token.name})
    return token


async def _revoke_all_tokens(session: AsyncSession, user_id: int, *, keep: int | None = None) -> int:
    query = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if keep is not None:
        query = query.where(ApiToken.id != keep)
    return (await session.execute(query.values(revoked_at=utcnow()))).rowcount or 0


@dataclass(frozen=True)
class PasswordChanged:
    sessions_ended: int
    tokens_revoked: int
    #: The session id for the browser that made the change (pages), else None.
    new_session_id: str | None = None

    def json(self) -> dict[str, int]:
        return {"sessions_ended": self.sessions_ended, "tokens_revoked": self.tokens_revoked}


async def checked_password_hash(user: User, password: object, field: str = "new_password") -> str:
    """The hash of an acceptable new password for ``user``, else 422 at ``field``. Both steps are
    slow (zxcvbn, and argon2 on purpose): off the event loop."""
    problem = await asyncio.to_thread(password_problem, password, is_ops=user.is_ops, personal=(user.email, user.name))
    if problem is not None:
        raise Invalid({field: problem})
    return await asyncio.to_thread(hash_password, password)


async def change_password(session: AsyncSession, user: User, password_hash: str, *, actor_id: int | None,
                          keep_token_id: int | None = None, reissue_session: bool = False) -> PasswordChanged:
    """Set the (checked, hashed) password and end every session and API token of the user: whoever
    knew the old password may have signed in with it. ``keep_token_id``: the token that made the change
    through the API stays; ``reissue_session``: the browser that made it gets a fresh session."""
    target = await session.get(User, user.id)
    if target is None:
        raise NotFound("no such user")
    target.password_hash = password_hash
    session.add(target)
    sessions_ended = await end_all_sessions(session, user.id)
    tokens_revoked = await _revoke_all_tokens(session, user.id, keep=keep_token_id)
    record(session, action="password.changed", subject_type="user", subject_id=user.id, actor_id=actor_id,
           payload={"sessions_ended": sessions_ended, "tokens_revoked": tokens_revoked})
    new_session = await start_session(session, target) if reissue_session else None
    return PasswordChanged(sessions_ended, tokens_revoked, new_session)


async def set_active(session: AsyncSession, user_id: int, active: bool, *, actor: User | None) -> User:
    """Deactivate (sign-in refused; every session and token ended, so reactivating does not bring old
    ones back) or reactivate a person. Ops only; nobody deactivates themselves (no lock-out by mistake)."""
    if actor is not None and not actor.is_ops:
        raise Forbidden("requires ops")
    user = await session.get(User, user_id) if storable_id(user_id) else None
    if user is None:
        raise NotFound("no such user")
    if not active and actor is not None and actor.id == user.id:
        raise Conflict("you cannot deactivate yourself")
    if user.is_active == active:
        return user
    user.is_active = active
    session.add(user)
    payload = {}
    if not active:
        payload = {"sessions_ended": await end_all_sessions(session, user.id),
                   "tokens_revoked": await _revoke_all_tokens(session, user.id)}
    record(session, action="user.deactivated" if not active else "user.reactivated", subject_type="user",
           subject_id=user.id, actor_id=actor.id if actor else None, payload=payload)
    return user


async def users_page(session: AsyncSession, *, after: int = 0, limit: int = USERS_PAGE) -> list[User]:
    """Users by id, a page at a time."""
    return list((await session.execute(select(User).where(User.id > after).order_by(User.id).limit(limit))).scalars())
