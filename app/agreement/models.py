"""The latest agreement analysis of a project, kept so pages and the board never compute it inline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.models_base import BigId, JSONType, utcnow


class AgreementSnapshot(SQLModel, table=True):
    """Agreement, aggregation confidence and the guideline-gap report as of ``watermark``
    (the newest answer they include). A job refreshes it when answers arrive; the API
    refreshes it on demand when it is behind."""

    project_id: int = Field(foreign_key="project.id", primary_key=True)
    watermark: int = Field(default=0, sa_type=BigId, description="the newest annotation id included")
    answers: int = 0
    report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    duration_ms: int = 0
    computed_at: datetime = Field(default_factory=utcnow)
