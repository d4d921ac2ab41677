"""The event log: every state change, appended once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from app.models_base import BigId, JSONType, utcnow


class Event(SQLModel, table=True):
    """Who did what to which subject, when. The same row is the audit trail,
    the live push (published after commit) and a socket's catch-up."""

    __table_args__ = (Index("ix_event_project", "project_id", "id"),)

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    project_id: int | None = Field(default=None)
    actor_id: int | None = Field(default=None)
    action: str = Field(max_length=80)
    subject_type: str = Field(max_length=40)
    subject_id: int | None = Field(default=None, sa_type=BigId)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
