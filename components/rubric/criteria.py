"""A rubric's criteria and scales as ops configure them: read once, checked, and written back
unchanged by ``to_config`` (the rubric is stored, and so versioned, with the interface)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from typing import Any, Mapping

from components._checks import config_bool, config_int
from components.base import ConfigError

#: Every point is a radio button with a digit hotkey; wider scales belong to ``number``.
MAX_SCALE_STEPS = 10
MAX_CRITERIA = 50
MAX_TEXT = 2000
CRITERION_ID = re.compile(r"[a-z][a-z0-9_]{0,62}", re.ASCII)
CRITERION_KEYS = frozenset({"id", "label", "description", "min", "max", "anchors", "na_allowed", "rationale_below"})
SCALE_KEYS = frozenset({"min", "max", "anchors"})
_POINT = re.compile(r"[+-]?\d+", re.ASCII)


@dataclass(frozen=True)
class Scale:
    """Whole numbers from ``min`` to ``max``, some points named by an anchor label."""

    min: int
    max: int
    anchors: dict[str, str] = dataclass_field(default_factory=dict)

    @property
    def points(self) -> list[int]:
        return list(range(self.min, self.max + 1))

    @property
    def width(self) -> int:
        return self.max - self.min

    def anchor(self, point: int) -> str | None:
        return self.anchors.get(str(point))

    def to_config(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"min": self.min, "max": self.max}
        if self.anchors:
            spec["anchors"] = dict(self.anchors)
        return spec


@dataclass(frozen=True)
class Criterion:
    id: str
    label: str
    description: str
    scale: Scale
    na_allowed: bool
    #: A score below this needs a rationale (None: never).
    rationale_below: int | None

    def to_config(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"id": self.id}
        if self.label != default_label(self.id):
            spec["label"] = self.label
        if self.description:
            spec["description"] = self.description
        spec.update(self.scale.to_config())
        spec["na_allowed"] = self.na_allowed
        spec["rationale_below"] = self.rationale_below
        return spec


def default_label(criterion_id: str) -> str:
    return criterion_id.replace("_", " ").capitalize()


def read_scale(raw: Mapping[str, Any]) -> Scale:
    """``min``/``max`` (default 1-5) and ``anchors`` ({point: label})."""
    low = config_int(raw, "min", default=1)
    high = config_int(raw, "max", default=5)
    if low >= high:
        raise ConfigError("min must be less than max")
    if high - low > MAX_SCALE_STEPS:
        raise ConfigError(f"max - min must be at most {MAX_SCALE_STEPS}")
    return Scale(low, high, _anchors(raw.get("anchors"), low, high))


def _anchors(raw: Any, low: int, high: int) -> dict[str, str]:
    """Keys normalised to str(int), so "01" and 1 both mean point 1."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError("anchors must be an object mapping scale points to labels")
    anchors: dict[str, str] = {}
    for key, label in raw.items():
        if isinstance(key, int) and not isinstance(key, bool):
            point = key
        elif isinstance(key, str) and _POINT.fullmatch(key.strip()):
            point = int(key)
        else:
            raise ConfigError(f"anchors: {key!r} is not a whole number")
        if not low <= point <= high:
            raise ConfigError(f"anchors: {key!r} is outside {low}-{high}")
        if str(point) in anchors:
            raise ConfigError(f"anchors: point {point} appears twice")
        if not isinstance(label, str) or not label.strip():
            raise ConfigError(f"anchors: {key!r} needs a non-empty label")
        anchors[str(point)] = label.strip()
    return dict(sorted(anchors.items(), key=lambda item: int(item[0])))


def read_criteria(raw: Any) -> list[Criterion]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("criteria must be a non-empty list of {id, description, min, max, ...}")
    if len(raw) > MAX_CRITERIA:
        raise ConfigError(f"criteria: at most {MAX_CRITERIA}")
    criteria: list[Criterion] = []
    for position, spec in enumerate(raw, start=1):
        try:
            criterion = _criterion(spec)
        except ConfigError as exc:
            name = spec.get("id") if isinstance(spec, Mapping) and isinstance(spec.get("id"), str) else position
            raise ConfigError(f"criteria[{position}] ({name}): {exc}" if name != position
                              else f"criteria[{position}]: {exc}") from None
        if any(c.id == criterion.id for c in criteria):
            raise ConfigError(f"criteria[{position}]: id {criterion.id!r} appears twice")
        criteria.append(criterion)
    return criteria


def _criterion(spec: Any) -> Criterion:
    if not isinstance(spec, Mapping):
        raise ConfigError("must be an object with id and description")
    unknown = sorted(str(key) for key in spec if key not in CRITERION_KEYS)
    if unknown:
        raise ConfigError(f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                          f"(allowed: {', '.join(sorted(CRITERION_KEYS))})")
    criterion_id = spec.get("id")
    if not isinstance(criterion_id, str) or not CRITERION_ID.fullmatch(criterion_id):
        raise ConfigError("id must start with a letter and use only a-z, 0-9 and _")
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


def read_overall(raw: Any) -> Scale | None:
    """The optional overall score: absent or null for none, else a scale ``{min, max, anchors}``."""
    if raw is None or raw is False:
        return None
    if raw is True:
        return Scale(1, 5)
    if not isinstance(raw, Mapping):
        raise ConfigError("overall must be a scale {min, max, anchors} or null")
    unknown = sorted(str(key) for key in raw if key not in SCALE_KEYS)
    if unknown:
        raise ConfigError(f"overall: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                          f"(allowed: anchors, max, min)")
    try:
        return read_scale(raw)
    except ConfigError as exc:
        raise ConfigError(f"overall: {exc}") from None
