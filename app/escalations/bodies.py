"""Request bodies of the escalations API (see ``app.web.bodies``)."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType

from app.web.bodies import Body


class NewEscalation(Body):
    """The task or review being held, and what the guidelines do not cover."""

    note: str
    assignment_id: int | None = None
    review_task_id: int | None = None
    item_id: int | None = None


class Clarification(Body):
    guidelines: str  # the full new text, in Markdown
    changelog: str | UnsetType = UNSET


class Resolution(Body):
    resolution: str
    answer: dict[str, Any] | None = None
    clarification: Clarification | None = None


class Acknowledgement(Body):
    version: int
