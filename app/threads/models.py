"""Comments: a thread per item, each comment optionally about one annotation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models_base import BigId, utcnow


class Comment(SQLModel, table=True):
    """Markdown written by a person about an item (and maybe one answer to it)."""

    __table_args__ = (Index("ix_comment_item", "item_id", "id"),)

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    item_id: int = Field(sa_type=BigId, foreign_key="item.id")
    annotation_id: int | None = Field(default=None, sa_type=BigId, foreign_key="annotation.id")
    author_id: int = Field(foreign_key="user.id")
    body: str
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: int | None = Field(default=None, foreign_key="user.id")
