"""Leases of items to people, and the answers they give."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models_base import BigId, JSONType, utcnow

ANNOTATE = "annotate"
BENCHMARK = "benchmark"
GOLD = "gold"
RECALIBRATION = "recalibration"
#: Stages that serve gold items: every answer is scored, nobody shares a slot.
GOLD_STAGES = (BENCHMARK, GOLD, RECALIBRATION)
#: A rejected answer handed back to the person who gave it, to fix and resubmit.
FIX = "fix"
#: A specialist's decision on an escalated item.
ADJUDICATE = "adjudicate"


class ReviewStatus(StrEnum):
    """Where an answer stands in review: ``none`` when the project has no review stages
    or the answer was never sampled; ``revised`` once a fix replaced it."""

    none = "none"
    in_review = "in_review"
    approved = "approved"
    rejected = "rejected"
    escalated = "escalated"
    revised = "revised"


class AssignmentState(StrEnum):
    leased = "leased"
    submitted = "submitted"
    skipped = "skipped"
    expired = "expired"
    #: answered, but review rejected the answer and gave the item's slot to someone else
    rejected = "rejected"


class Assignment(SQLModel, table=True):
    """One item leased to one person for one slot of one stage.

    The database itself refuses the two mistakes that matter: the same person
    twice on an item in a stage (and round), and two live leases on the same
    slot of a round. Gold stages use the person's id as the slot (gold has no overlap), so a
    benchmark retry or recalibration round may give a person an item of an earlier round again."""

    __table_args__ = (
        UniqueConstraint("item_id", "stage", "round", "user_id", name="uq_assignment_person"),
        Index("uq_assignment_slot", "item_id", "stage", "round", "slot", unique=True,
              postgresql_where=text("state IN ('leased', 'submitted')"),
              sqlite_where=text("state IN ('leased', 'submitted')")),
        Index("ix_assignment_expiry", "expires_at",
              postgresql_where=text("state = 'leased'"), sqlite_where=text("state = 'leased'")),
        Index("ix_assignment_user_open", "user_id", "project_id", "state"),
        Index("ix_assignment_project_state", "project_id", "state", "finished_at"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    batch_id: int = Field(foreign_key="batch.id")
    item_id: int = Field(sa_type=BigId, foreign_key="item.id")
    user_id: int = Field(foreign_key="user.id")
    stage: str = Field(default=ANNOTATE, max_length=40)
    round: int = Field(default=0, description="benchmark attempt or recalibration round; 0 otherwise")
    slot: int = 0
    state: str = Field(default=AssignmentState.leased, max_length=20)
    leased_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    finished_at: datetime | None = None


class Annotation(SQLModel, table=True):
    """A submitted answer, or one imported with the item (``assignment_id`` empty)."""

    __table_args__ = (Index("ix_annotation_item", "item_id"),
                      Index("ix_annotation_user_stage", "user_id", "project_id", "stage", "id"))

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    item_id: int = Field(sa_type=BigId, foreign_key="item.id")
    assignment_id: int | None = Field(default=None, sa_type=BigId, foreign_key="assignment.id", unique=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    external_annotator: str | None = Field(default=None, max_length=200)
    answer: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    guideline_version: int | None = None
    time_on_task_ms: int | None = None
    lint: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    idempotency_key: str | None = Field(default=None, max_length=200)
    source: str = Field(default="inkwell", max_length=20)
    stage: str = Field(default=ANNOTATE, max_length=40)
    round: int = 0
    gold_score: float | None = Field(default=None, description="0..1 against the gold answer, for gold items")
    review_status: str = Field(default=ReviewStatus.none, max_length=20)
    reviewed_answer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType),
                                                   description="the answer as reviewers left it, when they edited it")
    review_route: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False),
                                               description="the review stages as they were when the answer came in")
    revises_id: int | None = Field(default=None, sa_type=BigId, description="the rejected answer this one fixes")
    created_at: datetime = Field(default_factory=utcnow)


class ThroughputBucket(SQLModel, table=True):
    """Answers per batch per minute: the board's throughput and sparkline.

    Each minute is split over BUCKET_SHARDS rows, so concurrent submits do not queue on one
    row's lock; the board adds the shards up."""

    __table_args__ = (UniqueConstraint("batch_id", "minute", "shard", name="uq_throughputbucket_shard"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    batch_id: int = Field(foreign_key="batch.id")
    minute: int = Field(description="minutes since the epoch, UTC")
    shard: int = 0
    answers: int = 0


BUCKET_SHARDS = 64
