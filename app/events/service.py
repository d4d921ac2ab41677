"""Append events inside the transaction that makes the change.

``record`` queues the row on the session; ``Database.transaction`` inserts the
queue in one statement just before the commit, and hands it to the publisher
only after the commit succeeded, so nobody is ever told about a change that
was rolled back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import PENDING_EVENTS
from app.events.models import Event


def record(session: AsyncSession, *, action: str, subject_type: str, subject_id: int | None,
           project_id: int | None = None, actor_id: int | None = None,
           payload: dict[str, Any] | None = None) -> Event:
    event = Event(project_id=project_id, actor_id=actor_id, action=action, subject_type=subject_type,
                  subject_id=subject_id, payload=payload or {})
    session.info.setdefault(PENDING_EVENTS, []).append(event)
    return event


def record_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Bulk form for hot paths: rows are Event column dicts, inserted with the flush."""
    for row in rows:
        record(session, **row)
