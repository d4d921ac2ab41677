"""Items: the units of data that people answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, text
from sqlmodel import Field, SQLModel

from app.models_base import BigId, JSONType, utcnow


#: Written exactly as the queue index's predicate, so both planners can use the index
#: (``is_gold IS false`` or ``is_gold = 0`` does not prove ``NOT is_gold`` to them).
PRODUCTION = text("NOT item.is_gold")


class Item(SQLModel, table=True):
    __table_args__ = (
        # The work queue: the first open production item of a project.
        Index("ix_item_queue", "project_id", "id", postgresql_where=text("open_slots > 0 AND NOT is_gold"),
              sqlite_where=text("open_slots > 0 AND NOT is_gold")),
        Index("ix_item_project_external", "project_id", "external_id"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    batch_id: int = Field(foreign_key="batch.id", index=True)
    external_id: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    is_gold: bool = False
    gold_answer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    gold_explanation: str | None = None
    open_slots: int = Field(description="overlap minus live leases and answers")
    answers: int = 0
    overlap_extra: int = Field(default=0, description="annotators added beyond the project's overlap because "
                                                      "the first ones disagreed")
    created_at: datetime = Field(default_factory=utcnow)
