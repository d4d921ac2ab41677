"""Request bodies of the projects API (see ``app.web.bodies``). ``quality`` and ``review`` are
checked key by key by their own slices (``app.quality.config``, ``app.review.config``)."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType

from app.accounts.models import Role
from app.web.bodies import Body


class NewProject(Body):
    name: str
    purpose: str
    interface: list[dict[str, Any]]  # the fields: [{name, type, ...the type's settings}]
    guidelines: str | UnsetType = UNSET
    overlap: int | UnsetType = UNSET
    lease_seconds: int | None = None
    quality: dict[str, Any] | None = None
    review: dict[str, Any] | None = None


class ProjectChanges(Body):
    """A partial edit: only the fields sent change (``quality`` as a JSON Merge Patch)."""

    name: str | UnsetType = UNSET
    purpose: str | UnsetType = UNSET
    overlap: int | UnsetType = UNSET
    interface: list[dict[str, Any]] | UnsetType = UNSET
    guidelines: str | UnsetType = UNSET
    changelog: str | None = None
    quality: dict[str, Any] | None = None
    review: dict[str, Any] | None = None


class NewMember(Body):
    user_id: int
    role: Role
    level: int | UnsetType = UNSET  # the review stages a reviewer may work, 1-5
