"""What ops configure on per-turn ratings: the criteria each rated turn is scored on (each an
anchored scale, read as a rubric criterion's), the flags a turn may carry, and the roles rated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from components.base import ConfigError
from components.rubric.criteria import CRITERION_ID, MAX_TEXT, Scale, default_label, read_scale

TURN_CRITERION_KEYS = frozenset({"id", "label", "description", "min", "max", "anchors"})
MAX_TURN_CRITERIA = 10
ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class TurnCriterion:
    id: str
    label: str
    description: str
    scale: Scale

    def to_config(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"id": self.id}
        if self.label != default_label(self.id):
            spec["label"] = self.label
        if self.description:
            spec["description"] = self.description
        return spec | self.scale.to_config()


def read_turn_criteria(raw: Any) -> list[TurnCriterion]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("criteria must be a non-empty list of {id, min, max, anchors}")
    if len(raw) > MAX_TURN_CRITERIA:
        raise ConfigError(f"criteria: at most {MAX_TURN_CRITERIA}")
    found: list[TurnCriterion] = []
    for position, spec in enumerate(raw, start=1):
        try:
            criterion = _criterion(spec)
        except ConfigError as exc:
            raise ConfigError(f"criteria[{position}]: {exc}") from None
        if any(c.id == criterion.id for c in found):
            raise ConfigError(f"criteria[{position}]: id {criterion.id!r} appears twice")
        found.append(criterion)
    return found


def _criterion(spec: Any) -> TurnCriterion:
    if not isinstance(spec, Mapping):
        raise ConfigError("must be an object with id, min and max")
    unknown = sorted(str(key) for key in spec if key not in TURN_CRITERION_KEYS)
    if unknown:
        raise ConfigError(f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                          f"(allowed: {', '.join(sorted(TURN_CRITERION_KEYS))})")
    criterion_id = spec.get("id")
    if not isinstance(criterion_id, str) or not CRITERION_ID.fullmatch(criterion_id):
        raise ConfigError("id must start with a letter and use only a-z, 0-9 and _")
    texts = {}
    for key in ("label", "description"):
        value = spec.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
            raise ConfigError(f"{key} must be a string of at most {MAX_TEXT} characters")
        texts[key] = (value or "").strip()
    return TurnCriterion(criterion_id, texts["label"] or default_label(criterion_id), texts["description"],
                         read_scale(spec))


def read_roles(raw: Any) -> tuple[str, ...]:
    """The roles whose turns are rated (default: the assistant's)."""
    if raw is None:
        return ("assistant",)
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"roles must be a non-empty list of {', '.join(ROLES)}")
    for role in raw:
        if role not in ROLES:
            raise ConfigError(f"roles: {role!r} is not one of {', '.join(ROLES)}")
    return tuple(dict.fromkeys(raw))
