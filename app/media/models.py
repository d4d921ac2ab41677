"""Media files and which items reference them.

A file is named by its SHA-256 (the store keeps it once however many items or imports name it);
its row holds what the import measured, so pages and exports never open the file to learn its
size. ``ItemMedia`` is the only thing that makes a file visible to anyone: who may see one of the
referencing items may see the file (``app.media.access``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models_base import BigId, utcnow


class MediaFile(SQLModel, table=True):
    sha256: str = Field(primary_key=True, min_length=64, max_length=64)
    size: int = Field(sa_type=BigId)
    content_type: str = Field(max_length=100)
    original_name: str = Field(max_length=300, description="the name it was first uploaded under")
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    sample_rate: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ItemMedia(SQLModel, table=True):
    """Item ``item_id`` names file ``sha256`` in its data field ``field``."""

    __table_args__ = (Index("ix_itemmedia_sha256_project", "sha256", "project_id"),)

    item_id: int = Field(sa_type=BigId, foreign_key="item.id", primary_key=True)
    field: str = Field(primary_key=True, max_length=200)
    sha256: str = Field(foreign_key="mediafile.sha256", max_length=64)
    project_id: int = Field(foreign_key="project.id", description="the item's, so access needs no join")


class ItemImportMedia(SQLModel, table=True):
    """A staged item's references (SQLite imports, ``app.items.staging``), moved with its row."""

    import_id: int = Field(foreign_key="itemimport.id", primary_key=True)
    seq: int = Field(primary_key=True)
    field: str = Field(primary_key=True, max_length=200)
    sha256: str = Field(max_length=64)
