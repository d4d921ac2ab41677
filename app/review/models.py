"""Review tasks: one answer under review at one stage of the project's pipeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models_base import BigId, JSONType, utcnow


class ReviewState(StrEnum):
    queued = "queued"
    leased = "leased"
    decided = "decided"


class Decision(StrEnum):
    approve = "approve"
    edit = "edit"
    reject = "reject"
    escalate = "escalate"


class ReviewTask(SQLModel, table=True):
    """One answer at one review stage. Leased like a task (one reviewer per review slot,
    expiry puts it back); the decision, comment, tags and the edit's diff stay on the row,
    and a later stage's verdict on this decision is kept as ``audit_agrees``."""

    __table_args__ = (
        UniqueConstraint("annotation_id", "stage_index", name="uq_reviewtask_stage"),
        # The review queue: the oldest queued task of a project a reviewer's level allows.
        Index("ix_reviewtask_queue", "project_id", "level", "id",
              postgresql_where=text("state = 'queued'"), sqlite_where=text("state = 'queued'")),
        Index("ix_reviewtask_expiry", "expires_at",
              postgresql_where=text("state = 'leased'"), sqlite_where=text("state = 'leased'")),
        Index("ix_reviewtask_project_state", "project_id", "state", "stage_index"),
        Index("ix_reviewtask_reviewer", "reviewer_id", "project_id", "decided_at"),
        Index("ix_reviewtask_contributor", "contributor_id", "project_id"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    item_id: int = Field(sa_type=BigId, foreign_key="item.id")
    annotation_id: int = Field(sa_type=BigId, foreign_key="annotation.id")
    contributor_id: int | None = Field(default=None, foreign_key="user.id", description="who gave the answer")
    stage_index: int = Field(description="1-based position in the annotation's review route")
    stage_name: str = Field(max_length=100)
    level: int = Field(default=1, description="the reviewer level this stage needs")
    state: str = Field(default=ReviewState.queued, max_length=20)
    reviewer_id: int | None = Field(default=None, foreign_key="user.id")
    leased_at: datetime | None = None
    expires_at: datetime | None = None
    decided_at: datetime | None = None
    decision: str | None = Field(default=None, max_length=20)
    comment: str | None = None
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    answer_before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    answer_after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    diff: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    audit_agrees: bool | None = Field(default=None, description="whether the next stage upheld this decision")
    created_at: datetime = Field(default_factory=utcnow)
