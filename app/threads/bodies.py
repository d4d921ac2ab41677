"""Request bodies of the threads API (see ``app.web.bodies``)."""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from app.web.bodies import Body


class NewComment(Body):
    body: str  # markdown; @email mentions notify
    annotation_id: int | None = None


class CommentChange(Body):
    body: str | UnsetType = UNSET
    resolved: bool | UnsetType = UNSET
