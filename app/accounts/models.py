"""People, their roles in projects, their browser sessions and their API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models_base import utcnow


class Role(StrEnum):
    """A role held in one project. ``ops`` is also a global flag on the user."""

    ops = "ops"
    reviewer = "reviewer"
    contributor = "contributor"
    specialist = "specialist"
    client = "client"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=320)
    name: str = Field(max_length=200)
    password_hash: str
    is_ops: bool = Field(default=False, description="global ops: may create projects and users")
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    """A user's role in one project."""

    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: str = Field(max_length=20)
    level: int = Field(default=1, ge=1, description="reviewer level: which review stages this person may work")
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """A bearer token for programs; only its SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="api", max_length=100)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = Field(default=None, description="to the hour: kept without a write per request")
    revoked_at: datetime | None = None


class UserSession(SQLModel, table=True):
    """A signed-in browser. The (encrypted) cookie carries only this row's random id, so signing
    out, a password change or deactivation ends the session on the server, not just in the browser."""

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
