"""A rubric's criteria and scales as ops configure them: read once, checked, and written back
unchanged by ``to_config`` (the rubric is stored, and so versioned, with the interface). The
scale and the parts every scored criterion has are components/_scales.py and _criteria.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from components._checks import config_bool, config_int
from components._criteria import MAX_TEXT, ScaledCriterion, default_label, read_criterion_id
from components._criteria import read_criteria as _read_criteria
from components._scales import read_scale
from components.base import ConfigError

MAX_CRITERIA = 50
CRITERION_KEYS = frozenset({"id", "label", "description", "min", "max", "anchors", "na_allowed", "rationale_below"})


@dataclass(frozen=True)
class Criterion(ScaledCriterion):
    na_allowed: bool
    #: A score below this needs a rationale (None: never).
    rationale_below: int | None

    def to_config(self) -> dict[str, Any]:
        return super().to_config() | {"na_allowed": self.na_allowed, "rationale_below": self.rationale_below}


def read_criteria(raw: Any) -> list[Criterion]:
    return _read_criteria(raw, _criterion, most=MAX_CRITERIA, shape="{id, description, min, max, ...}", named=True)


def _criterion(spec: Any) -> Criterion:
    criterion_id = read_criterion_id(spec, CRITERION_KEYS, "id and description")
    label = _text(spec, "label") or default_label(criterion_id)
    scale = read_scale(spec)
    below = config_int(spec, "rationale_below")
    if below is not None and not scale.min < below <= scale.max + 1:
        raise ConfigError(f"rationale_below must be from {scale.min + 1} to {scale.max + 1} "
                          f"(a score below it needs a rationale)")
    return Criterion(criterion_id, label, _text(spec, "description"), scale,
                     config_bool(spec, "na_allowed", False), below)


def _text(spec: Mapping[str, Any], key: str) -> str:
    value = spec.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string")
    if len(value) > MAX_TEXT:
        raise ConfigError(f"{key} must be at most {MAX_TEXT} characters")
    return value.strip()
