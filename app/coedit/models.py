"""The shared document of a review task that reviewers edit together (see app/coedit/live.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from app.models_base import BigId, JSONType, utcnow


class CoeditDoc(SQLModel, table=True):
    """The merged Yjs state of one review task's answer (every update since it was seeded, as one
    ``Doc.get_update()``), and the people who changed it. Written debounced while people edit and
    when the last one leaves; read by every joiner and by the decision."""

    review_task_id: int = Field(sa_type=BigId, foreign_key="reviewtask.id", primary_key=True)
    state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    editors: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False),
                               description="ids of the people whose edits are in the document")
    updated_at: datetime = Field(default_factory=utcnow)
