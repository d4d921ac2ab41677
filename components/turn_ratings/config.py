"""What ops configure on per-turn ratings: the criteria each rated turn is scored on (each an
anchored scale, components/_criteria.py), the flags a turn may carry, and the roles rated."""

from __future__ import annotations

from typing import Any

from components._criteria import MAX_TEXT, ScaledCriterion, default_label, read_criteria, read_criterion_id
from components._scales import read_scale
from components.base import ConfigError

TURN_CRITERION_KEYS = frozenset({"id", "label", "description", "min", "max", "anchors"})
MAX_TURN_CRITERIA = 10
ROLES = ("system", "user", "assistant", "tool")

#: A per-turn criterion is just a scaled one (no N/A, no rationale).
TurnCriterion = ScaledCriterion


def read_turn_criteria(raw: Any) -> list[TurnCriterion]:
    return read_criteria(raw, _criterion, most=MAX_TURN_CRITERIA, shape="{id, min, max, anchors}", named=False)


def _criterion(spec: Any) -> TurnCriterion:
    criterion_id = read_criterion_id(spec, TURN_CRITERION_KEYS, "id, min and max")
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
