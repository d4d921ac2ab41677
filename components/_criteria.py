"""Criteria scored on an anchored scale, as a rubric and per-turn ratings configure them: an id,
a label, a description and a ``Scale``; the list of them read with every error at its place
(``criteria[2] (accuracy): min must be less than max``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, TypeVar

from components._scales import Scale, unknown_keys
from components.base import ConfigError

CRITERION_ID = re.compile(r"[a-z][a-z0-9_]{0,62}", re.ASCII)
#: The longest label or description (and a rubric's rationale), in characters.
MAX_TEXT = 2000


def criterion_id_schema() -> dict[str, Any]:
    """JSON Schema of a criterion's id (``GET /api/v1/components``)."""
    return {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}


def default_label(criterion_id: str) -> str:
    return criterion_id.replace("_", " ").capitalize()


@dataclass(frozen=True)
class ScaledCriterion:
    """One criterion: what it is called, what it asks, and the scale it is scored on."""

    id: str
    label: str
    description: str
    scale: Scale

    def to_config(self) -> dict[str, Any]:
        """As ops wrote it: the label only when it is not the id's default, the description when given."""
        spec: dict[str, Any] = {"id": self.id}
        if self.label != default_label(self.id):
            spec["label"] = self.label
        if self.description:
            spec["description"] = self.description
        return spec | self.scale.to_config()


def read_criterion_id(spec: Any, allowed: frozenset[str], shape: str) -> str:
    """The id of one criterion spec, once the spec is an object (``shape`` says with what) of
    ``allowed`` keys only."""
    if not isinstance(spec, Mapping):
        raise ConfigError(f"must be an object with {shape}")
    unknown = unknown_keys(spec, allowed)
    if unknown:
        raise ConfigError(unknown)
    criterion_id = spec.get("id")
    if not isinstance(criterion_id, str) or not CRITERION_ID.fullmatch(criterion_id):
        raise ConfigError("id must start with a letter and use only a-z, 0-9 and _")
    return criterion_id


C = TypeVar("C", bound=ScaledCriterion)


def read_criteria(raw: Any, read_one: Callable[[Any], C], *, most: int, shape: str, named: bool) -> list[C]:
    """A non-empty list of at most ``most`` criteria (``shape`` says what each holds), ids unique.
    Each error starts with the criterion's position, and with ``named`` its id too when it has one."""
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"criteria must be a non-empty list of {shape}")
    if len(raw) > most:
        raise ConfigError(f"criteria: at most {most}")
    criteria: list[C] = []
    for position, spec in enumerate(raw, start=1):
        try:
            criterion = read_one(spec)
        except ConfigError as exc:
            name = spec.get("id") if named and isinstance(spec, Mapping) and isinstance(spec.get("id"), str) else None
            raise ConfigError(f"criteria[{position}] ({name}): {exc}" if name is not None
                              else f"criteria[{position}]: {exc}") from None
        if any(c.id == criterion.id for c in criteria):
            raise ConfigError(f"criteria[{position}]: id {criterion.id!r} appears twice")
        criteria.append(criterion)
    return criteria
