"""Request bodies of the review API (see ``app.web.bodies``)."""

from __future__ import annotations

from typing import Any, Literal

from app.web.bodies import Body


class Decision(Body):
    decision: Literal["approve", "edit", "reject"]
    answer: dict[str, Any] | None = None  # the edited answer, for edit
    comment: str | None = None  # required to reject
    tags: list[str] | None = None  # from the project's error tags
