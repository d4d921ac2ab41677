"""Projects (programs), their versioned guidelines and their batches."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models_base import JSONType, utcnow


class ProjectStatus(StrEnum):
    draft = "draft"
    live = "live"
    paused = "paused"
    completed = "completed"


class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    purpose: str = Field(description="what this data is for")
    status: str = Field(default=ProjectStatus.draft, max_length=20)
    overlap: int = Field(default=1, ge=1, description="distinct contributors per item")
    lease_seconds: int = Field(default=900)
    interface: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    quality: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    review: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False),
                                   description="review stages after annotation, and the error tags reviewers use")
    guideline_version: int = Field(default=0, description="current version number; 0 = none yet")
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class GuidelineVersion(SQLModel, table=True):
    """An immutable version of a project's guidelines; annotations cite one."""

    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    version: int
    body: str
    changelog: str = Field(default="")
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Batch(SQLModel, table=True):
    """Items imported together. Its counters are kept in the same transactions
    that change items and assignments, so the board never counts a million rows.

    The columns here are the base written by imports; the work queue adds its
    changes to ``BatchCounterShard`` rows, and readers add the two up."""

    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    name: str = Field(max_length=200)
    due_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    items_total: int = 0
    items_queued: int = Field(default=0, description="items with at least one open slot")
    items_completed: int = Field(default=0, description="items with every slot answered")
    leases_active: int = 0
    annotations_submitted: int = 0
    leases_expired: int = 0
    last_activity_at: datetime | None = None


#: Counter shards per batch: concurrent leases and submits update different rows.
BATCH_SHARDS = 64


class BatchCounterShard(SQLModel, table=True):
    """Changes to a batch's counters, spread over BATCH_SHARDS rows by person, so
    the queue's transactions do not all wait on one row's lock (the batch row
    was the hottest lock under load). The board adds them to the batch's base."""

    __table_args__ = (UniqueConstraint("batch_id", "shard", name="uq_batchcountershard"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id")
    shard: int
    items_queued: int = 0
    items_completed: int = 0
    leases_active: int = 0
    annotations_submitted: int = 0
    leases_expired: int = 0
    last_activity_at: datetime | None = None


#: The counters a shard holds, in the order the board reads them.
BATCH_COUNTERS = ("items_queued", "items_completed", "leases_active", "annotations_submitted", "leases_expired")
