"""Users, memberships and tokens: who someone is and what they may do."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiToken, Membership, Role, User
from app.accounts.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.events.service import record

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = {r.value for r in Role}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(session: AsyncSession, *, email: str, name: str, password: str, role: str,
                      actor_id: int | None = None) -> User:
    """``role`` ``ops`` makes a global ops user; any other role is held per project."""
    errors: dict[str, str] = {}
    email = (email or "").strip().lower()
    if not EMAIL_PATTERN.match(email):
        errors["email"] = "must be an email address"
    if not (name or "").strip():
        errors["name"] = "required"
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if role not in ROLES:
        errors["role"] = f"must be one of: {', '.join(sorted(ROLES))}"
    if errors:
        raise Invalid(errors)
    if (await session.execute(select(User.id).where(User.email == email))).first():
        raise Conflict("a user with this email exists", field="email")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), is_ops=role == Role.ops)
    session.add(user)
    await session.flush()
    record(session, action="user.created", subject_type="user", subject_id=user.id, actor_id=actor_id,
           payload={"role": role})
    return user


async def authenticate(session: AsyncSession, email: str, password: str) -> User | None:
    user = (await session.execute(select(User).where(User.email == (email or "").strip().lower()))).scalar_one_or_none()
    if user is None or not user.is_active:
        verify_password(_DUMMY_HASH, password or "")  # same time whether or not the user exists
        return None
    return user if verify_password(user.password_hash, password or "") else None


_DUMMY_HASH = hash_password("not-a-real-password")


async def issue_token(session: AsyncSession, user: User, name: str = "api") -> str:
    """Returns the token once; only its hash is kept."""
    token = "ink_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token)))
    record(session, action="token.issued", subject_type="user", subject_id=user.id, actor_id=user.id,
           payload={"name": name})
    return token


async def user_for_token(session: AsyncSession, token: str) -> User | None:
    row = (await session.execute(
        select(User).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None), User.is_active)
    )).scalar_one_or_none()
    return row


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_email(session: AsyncSession, email: str) -> User:
    user = (await session.execute(select(User).where(User.email == email.strip().lower()))).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user with email {email}")
    return user


async def add_member(session: AsyncSession, *, project_id: int, user_id: int, role: str,
                     actor_id: int | None) -> Membership:
    if role not in ROLES:
        raise Invalid({"role": f"must be one of: {', '.join(sorted(ROLES))}"})
    if await session.get(User, user_id) is None:
        raise NotFound("no such user", field="user_id")
    membership = (await session.execute(
        select(Membership).where(Membership.project_id == project_id, Membership.user_id == user_id)
    )).scalar_one_or_none()
    if membership is None:
        membership = Membership(project_id=project_id, user_id=user_id, role=role)
        session.add(membership)
    else:
        membership.role = role
    await session.flush()
    record(session, action="member.added", subject_type="user", subject_id=user_id, project_id=project_id,
           actor_id=actor_id, payload={"role": role})
    return membership


async def role_in_project(session: AsyncSession, user: User, project_id: int) -> str | None:
    """The user's role in the project; global ops act as ops everywhere."""
    if user.is_ops:
        return Role.ops
    return (await session.execute(
        select(Membership.role).where(Membership.project_id == project_id, Membership.user_id == user.id)
    )).scalar_one_or_none()


async def require_role(session: AsyncSession, user: User, project_id: int, *roles: str) -> str:
    """403 unless the user holds one of ``roles`` in the project (any role when none given)."""
    role = await role_in_project(session, user, project_id)
    if role is None or (roles and role not in roles):
        raise Forbidden("you do not have access to this" if role is None else f"requires role: {', '.join(roles)}")
    return role


def require_ops(user: User) -> None:
    if not user.is_ops:
        raise Forbidden("requires ops")

