"""Escalations: an item flagged as ambiguous or not covered by the guidelines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from app.models_base import BigId, JSONType, utcnow


class EscalationState(StrEnum):
    open = "open"
    resolved = "resolved"


class Escalation(SQLModel, table=True):
    """Raised by a contributor (while working) or a reviewer (instead of deciding); a
    specialist decides the item and may clarify the guidelines with a new version."""

    __table_args__ = (Index("ix_escalation_project_state", "project_id", "state", "id"),)

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    item_id: int = Field(sa_type=BigId, foreign_key="item.id")
    annotation_id: int | None = Field(default=None, sa_type=BigId, foreign_key="annotation.id")
    review_task_id: int | None = Field(default=None, sa_type=BigId, foreign_key="reviewtask.id")
    raised_by: int | None = Field(default=None, foreign_key="user.id", description="empty when Inkwell raised it")
    raised_as: str = Field(max_length=20, description="the raiser's role: contributor or reviewer, or disagreement")
    note: str
    state: str = Field(default=EscalationState.open, max_length=20)
    specialist_id: int | None = Field(default=None, foreign_key="user.id")
    resolution: str | None = None
    answer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    guideline_version: int | None = Field(default=None, description="the clarification it produced, if any")
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
