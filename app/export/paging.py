"""What every export pages through: a project's items by id, a page at a time (keyset)."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from app.db import Database
from app.items.models import Item


def in_project(db: Database, project_id: int) -> ColumnElement[bool]:
    """``Item.project_id == project_id``, written so SQLite pages by rowid: its planner would take
    the (project_id, external_id) index and sort every item of the project for each page
    (quadratic: 1.2k lines/s at 100k items); ``+ 0`` keeps the rowid range scan."""
    return (Item.project_id + 0 if db.is_sqlite else Item.project_id) == project_id
