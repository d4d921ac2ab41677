"""Users, memberships and tokens: who someone is and what they may do."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from typing import TYPE_CHECKING, Any

from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiToken, Membership, Role, User
from app.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from app.db import dialect_insert
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.events.service import record
from app.models_base import storable_id, utcnow
from app.prepared import Prepared

if TYPE_CHECKING:
    from app.db import Database

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = {r.value for r in Role}
EMAIL_LIMIT, NAME_LIMIT, TOKEN_NAME_LIMIT = 320, 200, 100  # the columns' lengths


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(session: AsyncSession, *, email: str, name: str, password: str, role: str,
                      actor_id: int | None = None) -> User:
    """``role`` ``ops`` makes a global ops user; any other role is held per project."""
    errors: dict[str, str] = {}
    email = email.strip().lower() if isinstance(email, str) else ""
    if not EMAIL_PATTERN.match(email):
        errors["email"] = "must be an email address"
    elif len(email) > EMAIL_LIMIT:
        errors["email"] = f"must be at most {EMAIL_LIMIT} characters"
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = "required"
    elif len(name) > NAME_LIMIT:
        errors["name"] = f"must be at most {NAME_LIMIT} characters"
    if not isinstance(role, str) or role not in ROLES:
        errors["role"] = f"must be one of: {', '.join(sorted(ROLES))}"
    # The strength estimate and the hash are slow: off the event loop, before this transaction touches the database.
    problem = await asyncio.to_thread(password_problem, password, is_ops=role == Role.ops, personal=(email, name))
    if problem is not None:
        errors["password"] = problem
    if errors:
        raise Invalid(errors)
    password_hash = await asyncio.to_thread(hash_password, password)
    if (await session.execute(select(User.id).where(User.email == email))).first():
        raise Conflict("a user with this email exists", field="email")
    user = User(email=email, name=name, password_hash=password_hash, is_ops=role == Role.ops)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:  # the same email created at the same moment by another request
        raise Conflict("a user with this email exists", field="email") from None
    record(session, action="user.created", subject_type="user", subject_id=user.id, actor_id=actor_id,
           payload={"role": role})
    return user


async def check_credentials(db: "Database", email: str, password: str) -> User | None:
    """The user if the password is theirs, else None; 403 for the right password of a deactivated
    account (only someone who knows the password learns that). The database connection is given
    back before the (slow) hash check."""
    async with db.sessionmaker() as session:
        user = (await session.execute(select(User).where(User.email == normalised_email(email)))).scalar_one_or_none()
    user = await _check_password(user, password)
    if user is not None and needs_rehash(user.password_hash):  # made with older parameters: bring it up to date
        user.password_hash = await asyncio.to_thread(hash_password, password)
        async with db.transaction() as session:
            await session.execute(update(User).where(User.id == user.id).values(password_hash=user.password_hash))
    if user is not None and not user.is_active:
        raise Forbidden("this account is deactivated; ask an ops person to reactivate it")
    return user


def normalised_email(email: object) -> str:
    return email.strip().lower() if isinstance(email, str) else ""


async def _check_password(user: User | None, password: str) -> User | None:
    """Verified off the event loop, and in the same time whether or not the user exists."""
    ok = await asyncio.to_thread(verify_password, user.password_hash if user else _DUMMY_HASH, password or "")
    return user if user is not None and ok else None


_DUMMY_HASH = hash_password("not-a-real-password")


async def issue_token(session: AsyncSession, user: User, name: str = "api") -> str:
    """Returns the token once; only its hash is kept."""
    if not isinstance(name, str) or len(name) > TOKEN_NAME_LIMIT:
        raise Invalid({"name": f"must be text of at most {TOKEN_NAME_LIMIT} characters"})
    token = "ink_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token)))
    record(session, action="token.issued", subject_type="user", subject_id=user.id, actor_id=user.id,
           payload={"name": name})
    return token


def token_hash(token: str) -> str:
    return _token_hash(token)


#: Every bearer request the cache cannot answer asks it: built once, run on the driver.
_TOKEN_USER = Prepared(
    select(*User.__table__.columns, ApiToken.id.label("token_id"), ApiToken.last_used_at.label("token_used_at"))
    .join_from(ApiToken, User, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.is_active.is_(True)))
_TOUCH_TOKEN = Prepared(update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(last_used_at=bindparam("now")))
#: ``last_used_at`` is kept to this precision, so using a token writes at most once per period.
TOKEN_USE_PRECISION = timedelta(hours=1)


async def user_for_token(session: AsyncSession, token_hash: str) -> tuple[User, int] | None:
    """The active user of a live token and the token's id; records the use (to the hour)."""
    row = await _TOKEN_USER.first(session, token_hash=token_hash)
    if row is None:
        return None
    now = utcnow()
    if row.token_used_at is None or row.token_used_at < now - TOKEN_USE_PRECISION:
        await _TOUCH_TOKEN.run(session, token_id=row.token_id, now=now)
        await session.commit()
    fields = row._asdict()
    del fields["token_id"], fields["token_used_at"]
    return User(**fields), row.token_id


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id) if storable_id(user_id) else None


async def get_user_by_email(session: AsyncSession, email: str) -> User:
    user = (await session.execute(select(User).where(User.email == email.strip().lower()))).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user with email {email}")
    return user


#: Reviewer levels: level N may work review stages that need level N or lower.
MAX_REVIEWER_LEVEL = 5


async def add_member(session: AsyncSession, *, project_id: int, user_id: int, role: str,
                     actor_id: int | None, level: Any = 1) -> Membership:
    """Give a role (and, for review work, a reviewer level: which review stages they may work)."""
    if not isinstance(role, str) or role not in ROLES:
        raise Invalid({"role": f"must be one of: {', '.join(sorted(ROLES))}"})
    if type(level) is not int or not 1 <= level <= MAX_REVIEWER_LEVEL:
        raise Invalid({"level": f"must be a whole number from 1 to {MAX_REVIEWER_LEVEL}"})
    if await get_user(session, user_id) is None:
        raise NotFound("no such user", field="user_id")
    # An upsert, so the same person added twice at once is one membership, not an error.
    await session.execute(dialect_insert(session)(Membership)
                          .values(project_id=project_id, user_id=user_id, role=role, level=level, created_at=utcnow())
                          .on_conflict_do_update(index_elements=["project_id", "user_id"],
                                                 set_={"role": role, "level": level}))
    membership = (await session.execute(
        select(Membership).where(Membership.project_id == project_id, Membership.user_id == user_id)
        .execution_options(populate_existing=True)
    )).scalar_one()
    record(session, action="member.added", subject_type="user", subject_id=user_id, project_id=project_id,
           actor_id=actor_id, payload={"role": role, "level": level})
    return membership


async def role_in_project(session: AsyncSession, user: User, project_id: int) -> str | None:
    """The user's role in the project; global ops act as ops everywhere."""
    if user.is_ops:
        return Role.ops
    return await membership_role(session, project_id, user.id)


async def membership_role(session: AsyncSession, project_id: int, user_id: int) -> str | None:
    """The role a membership grants, ignoring the global ops flag."""
    connection = await session.connection()
    return (await connection.execute(_MEMBERSHIP_ROLE, {"project_id": project_id, "user_id": user_id})).scalar_one_or_none()


#: Built once: every task request asks it.
_MEMBERSHIP_ROLE = select(Membership.role).where(Membership.project_id == bindparam("project_id"),
                                                 Membership.user_id == bindparam("user_id"))


async def require_role(session: AsyncSession, user: User, project_id: int, *roles: str) -> str:
    """403 unless the user holds one of ``roles`` in the project (any role when none given)."""
    return checked_role(await role_in_project(session, user, project_id), *roles)


def checked_role(role: str | None, *roles: str) -> str:
    """``role`` when it is one of ``roles`` (any role when none given), else 403."""
    if role is None or (roles and role not in roles):
        raise Forbidden("you do not have access to this" if role is None else f"requires role: {', '.join(roles)}")
    return role


def require_ops(user: User) -> None:
    if not user.is_ops:
        raise Forbidden("requires ops")

