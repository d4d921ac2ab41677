"""Contributor standing per project, and the feedback addressed to a person."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models_base import BigId, JSONType, utcnow


class StandingState(StrEnum):
    pending_gate = "pending_gate"
    qualified = "qualified"
    recalibrating = "recalibrating"
    removed = "removed"


class Standing(SQLModel, table=True):
    """Where one contributor stands in one project, with the running numbers
    the contributors table shows (kept per person, so no hot shared row)."""

    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    state: str = Field(default=StandingState.pending_gate, max_length=20)
    reason: str = Field(default="")
    gate_attempt: int = Field(default=1, description="the benchmark attempt under way or last decided")
    gate_score: float | None = None
    gate_decided_at: datetime | None = None
    retry_at: datetime | None = Field(default=None, description="when a failed gate may be retried")
    recalibration_round: int = 0
    waiting_for_gold_since: datetime | None = Field(
        default=None, description="when this person's next benchmark or recalibration round was found short of "
                                  "gold items they may get (the board's blocker); cleared once one is served")
    window_start_at: datetime | None = Field(default=None, description="gold answers before this do not count")
    gold_answered: int = 0
    gold_accuracy: float | None = None
    recent_checks: list[float] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False),
                                       description="scores of the latest gold checks since window_start_at")
    tasks_done: int = 0
    warnings: int = 0
    recent_times: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    guidelines_acknowledged: int = Field(default=0, description="the guideline version this person last confirmed reading")
    accepted: int = Field(default=0, description="answers approved in review")
    rejected: int = Field(default=0, description="answers rejected in review")
    updated_at: datetime = Field(default_factory=utcnow)


class Feedback(SQLModel, table=True):
    """Something said to one person: a gate result, a failed check, a standing change, later reviews."""

    __table_args__ = (Index("ix_feedback_user", "user_id", "project_id", "id"),)

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=30)
    title: str = Field(max_length=300)
    body: str = Field(default="")
    item_id: int | None = Field(default=None, sa_type=BigId)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
