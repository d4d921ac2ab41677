"""An anchored whole-number scale (1-5, "1": "Wrong" ... "5": "Fully correct"), as a rating, a
rubric criterion, a per-turn criterion and an optional overall score all use it: reading it from
config, checking an answered point, and how close an answered point is to gold.

Kept in one place so every scale words its errors the same way (the messages name the config key
that holds the point labels: a rating's ``labels``, a rubric's ``anchors``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from typing import Any, Mapping

from components._checks import config_int, is_number, tolerance_score
from components.base import AnswerError, ConfigError, Measure

#: Every point is a radio button with a digit hotkey; wider scales belong to ``number``.
MAX_SCALE_STEPS = 10
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


# -- config -----------------------------------------------------------------
def scale_schema() -> dict[str, Any]:
    """JSON Schema of a scale's settings (``GET /api/v1/components``), a new copy each time."""
    return {"min": {"type": "integer"}, "max": {"type": "integer"},
            "anchors": {"type": "object", "additionalProperties": {"type": "string"}}}


def overall_schema() -> dict[str, Any]:
    """JSON Schema of the optional overall score: null, or a scale."""
    return {"oneOf": [{"type": "null"}, {"type": "object", "additionalProperties": False,
                                         "properties": scale_schema()}]}


def read_scale(raw: Mapping[str, Any], *, max_steps: int = MAX_SCALE_STEPS, too_wide: str = "",
               labels: str = "anchors", strip: bool = True) -> Scale:
    """``min``/``max`` (default 1-5) and the point labels under ``labels`` ({point: label}).
    ``too_wide`` is added to the message for a scale wider than ``max_steps``; ``strip`` trims
    the labels (a rating keeps them as given)."""
    low = config_int(raw, "min", default=1)
    high = config_int(raw, "max", default=5)
    if low >= high:
        raise ConfigError("min must be less than max")
    if high - low > max_steps:
        raise ConfigError(f"max - min must be at most {max_steps}{too_wide}")
    return Scale(low, high, read_point_labels(raw.get(labels), low, high, key=labels, strip=strip))


def read_point_labels(raw: Any, low: int, high: int, *, key: str = "anchors", strip: bool = True) -> dict[str, str]:
    """Keys normalised to str(int), so "01" and 1 both mean point 1; sorted by point. Errors
    start with ``key``, the config key the labels came from."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{key} must be an object mapping scale points to labels")
    found: dict[str, str] = {}
    for given, label in raw.items():
        if isinstance(given, int) and not isinstance(given, bool):
            point = given
        elif isinstance(given, str) and _POINT.fullmatch(given.strip()):
            point = int(given)
        else:
            raise ConfigError(f"{key}: {given!r} is not a whole number")
        if not low <= point <= high:
            raise ConfigError(f"{key}: {given!r} is outside {low}-{high}")
        if str(point) in found:
            raise ConfigError(f"{key}: point {point} appears twice")
        if not isinstance(label, str) or not label.strip():
            raise ConfigError(f"{key}: {given!r} needs a non-empty label")
        found[str(point)] = label.strip() if strip else label
    return dict(sorted(found.items(), key=lambda item: int(item[0])))


def unknown_keys(spec: Mapping[str, Any], allowed: frozenset[str]) -> str | None:
    """The message for keys of ``spec`` outside ``allowed`` ("unknown key weight (allowed: ...)")."""
    unknown = sorted(str(key) for key in spec if key not in allowed)
    if not unknown:
        return None
    return (f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(allowed))})")


def read_overall(raw: Any) -> Scale | None:
    """The optional overall score: absent or null for none, else a scale ``{min, max, anchors}``."""
    if raw is None or raw is False:
        return None
    if raw is True:
        return Scale(1, 5)
    if not isinstance(raw, Mapping):
        raise ConfigError("overall must be a scale {min, max, anchors} or null")
    unknown = unknown_keys(raw, SCALE_KEYS)
    if unknown:
        raise ConfigError(f"overall: {unknown}")
    try:
        return read_scale(raw)
    except ConfigError as exc:
        raise ConfigError(f"overall: {exc}") from None


# -- answers ----------------------------------------------------------------
def point_on(value: Any, scale: Scale) -> int:
    """A whole number on the scale; 4.0 is 4, a bool or "4" is not."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not scale.min <= value <= scale.max:
        raise AnswerError(f"must be a whole number from {scale.min} to {scale.max}")
    return value


def check_overall(value: Mapping[str, Any], scale: Scale | None, answer: dict[str, Any],
                  problems: list[str], absent: str) -> None:
    """The answer's ``overall``: required and on the scale when the field has one (set on
    ``answer``), else refused with ``absent``; problems are added to ``problems``."""
    overall = value.get("overall")
    if scale is not None:
        if overall is None:
            problems.append("overall: required")
        else:
            try:
                answer["overall"] = point_on(overall, scale)
            except AnswerError as exc:
                problems.append(f"overall: {exc}")
    elif overall is not None:
        problems.append(f"overall: {absent}")


def overall_of(value: Any) -> int | None:
    """A stored answer's overall score (None: not given)."""
    overall = value.get("overall") if isinstance(value, Mapping) else None
    return overall if isinstance(overall, int) and not isinstance(overall, bool) else None


def overall_measure(field_name: str, scale: Scale) -> Measure:
    """Agreement on the overall score: ``<field>.overall``, interval level over its points."""
    return Measure(f"{field_name}.overall", "interval", scale.points, extract=overall_of, field=field_name)


# -- gold -------------------------------------------------------------------
def closeness(given: Any, expected: Any, tolerance: int, scale: Scale) -> float:
    """Full credit within ``tolerance``, then falling linearly to 0 across the scale; no number is 0."""
    if not is_number(given):
        return 0.0
    return tolerance_score(given, expected, tolerance, scale.width)


def overall_closeness(answer: Any, gold: Mapping[str, Any], tolerance: int, scale: Scale | None) -> list[float]:
    """The overall score's closeness as one more term of a mean, when the field and the gold have one."""
    if scale is None or gold.get("overall") is None:
        return []
    given = answer.get("overall") if isinstance(answer, Mapping) else None
    return [closeness(given, gold["overall"], tolerance, scale)]
