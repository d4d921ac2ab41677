"""Items: the units of data that people answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
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


class ImportState(StrEnum):
    staging = "staging"  # rows being copied in: thrown away if the import stops
    publishing = "publishing"  # committed: its rows move into the project until none is left


class ItemImport(SQLModel, table=True):
    """An import on SQLite on its way in (on PostgreSQL one transaction does it; none is written).

    SQLite has one connection per process: one transaction inserting a million items would hold
    every other request for its length. So the rows are staged in short transactions
    (``ItemImportRow``), invisible to every reader, and the import commits in one small
    transaction that marks it ``publishing``; its rows then move into ``item`` a chunk per short
    transaction. One that stopped while staging is thrown away, one that stopped while publishing
    is finished, at start-up or by the next import (``app.items.staging``)."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    batch_name: str = Field(max_length=200)
    due_at: datetime | None = None
    actor_id: int = Field(foreign_key="user.id")
    state: str = Field(default=ImportState.staging, max_length=20)
    batch_id: int | None = Field(default=None, foreign_key="batch.id")
    rows: int = 0
    gold: int = 0
    annotations: int = 0
    published: int = Field(default=0, description="rows (by seq) already moved into the project")
    owner_pid: int = Field(description="the importing process: when it is gone, the import is finished or "
                                        "thrown away at once (SQLite is one machine's file, so a pid names it)")
    heartbeat_at: datetime = Field(default_factory=utcnow, description="the importer's last sign of life")
    created_at: datetime = Field(default_factory=utcnow)


class ItemImportRow(SQLModel, table=True):
    """A checked item of an import, numbered 1.. in upload order (``seq``)."""

    import_id: int = Field(foreign_key="itemimport.id", primary_key=True)
    seq: int = Field(primary_key=True)
    external_id: str | None = Field(default=None, max_length=200)
    is_gold: bool = False
    data: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    gold_answer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    gold_explanation: str | None = None


class ItemImportAnnotation(SQLModel, table=True):
    """A prior annotation of a staged item (``seq``), in upload order (``position``)."""

    import_id: int = Field(foreign_key="itemimport.id", primary_key=True)
    seq: int = Field(primary_key=True)
    position: int = Field(primary_key=True)
    annotator: str = Field(max_length=200)
    answer: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    created_at: datetime | None = None
