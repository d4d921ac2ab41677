"""Append events inside the transaction that makes the change.

``record`` queues the row on the session; ``Database.transaction`` inserts the
queue in one statement just before the commit, and hands it to the publisher
only after the commit succeeded, so nobody is ever told about a change that
was rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import PENDING_EVENTS
from app.models_base import utcnow


@dataclass(slots=True)
class PendingEvent:
    """An event row waiting for its transaction's commit: the ``Event`` table's columns, without
    building an ORM object for each (tens of microseconds apiece on the work loop)."""

    action: str
    subject_type: str
    subject_id: int | None
    project_id: int | None = None
    actor_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)

    def row(self) -> dict[str, Any]:
        """The column values for the bulk insert (``asdict`` would deep-copy the payload)."""
        return {name: getattr(self, name) for name in _EVENT_COLUMNS}


_EVENT_COLUMNS = tuple(column.name for column in fields(PendingEvent))


def record(session: AsyncSession, *, action: str, subject_type: str, subject_id: int | None,
           project_id: int | None = None, actor_id: int | None = None,
           payload: dict[str, Any] | None = None) -> PendingEvent:
    event = PendingEvent(action, subject_type, subject_id, project_id, actor_id, payload or {})
    session.info.setdefault(PENDING_EVENTS, []).append(event)
    return event
