"""A project's quality controls: benchmark gate, embedded gold, linters.

Controls are always on. Ops tune every number, but a config that would turn a
control off (a rate of 0, a threshold of 0, no linter) is refused, and launch
waits until the gold items and linters exist (``missing_for_launch``).

``reuse_seen_gold`` (benchmark) and ``recalibration_reuse_seen_gold`` (gold) say whether a
benchmark retry or a recalibration round may give a person gold items they had before, once the
ones they never had run out; off by default, so a retry measures the person on items they cannot
remember (app/quality/gold_supply.py).
"""

from __future__ import annotations

from typing import Any, Mapping

from app.errors import Invalid
from app.quality.linters import validate_rules
from components.base import ConfigError, Interface

RETRY_POLICIES = ("none", "cooldown")

DEFAULTS: dict[str, Any] = {
    "benchmark": {"size": 5, "pass_threshold": 0.8, "retry": "cooldown", "cooldown_hours": 24.0,
                  "reuse_seen_gold": False},
    "gold": {"rate": 0.1, "min_rate": 0.02, "decay_every": 50, "window": 10, "min_answers": 3,
             "recalibrate_below": 0.7, "remove_below": 0.4, "recalibration_size": 3, "recalibration_pass": 0.8,
             "recalibration_reuse_seen_gold": False},
    "linters": [],
}

RECOMMENDED_LINTERS = [
    {"type": "too_fast", "seconds": 3, "severity": "warning"},
    {"type": "straight_lining", "count": 8, "severity": "warning"},
]


def defaults() -> dict[str, Any]:
    """A fresh copy: every section is a flat dict of numbers and words, so two levels suffice
    (this runs on every submit; a deepcopy cost more than the linters)."""
    return {section: dict(values) if isinstance(values, dict) else list(values) for section, values in DEFAULTS.items()}


def _number(section: Mapping, key: str, errors: dict, where: str, *, low: float, high: float,
            integer: bool = False, low_open: bool = False) -> Any:
    value = section.get(key)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (not integer or float(value).is_integer())
    if ok:
        ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        kind = "a whole number" if integer else "a number"
        bound = f"above {low}" if low_open else f"from {low}"
        errors[f"{where}.{key}"] = f"must be {kind} {bound} to {high}"
        return None
    return int(value) if integer else float(value)


def _flag(section: Mapping, key: str, errors: dict, where: str) -> Any:
    value = section.get(key)
    if not isinstance(value, bool):
        errors[f"{where}.{key}"] = "must be true or false"
        return None
    return value


def normalise(quality: Any, interface: Interface) -> dict[str, Any]:
    """Fill defaults, check every number and rule; raise Invalid naming the bad keys."""
    if quality is None:
        quality = {}
    if not isinstance(quality, Mapping):
        raise Invalid({"quality": "must be an object with benchmark, gold and linters"})
    unknown = set(quality) - set(DEFAULTS)
    errors: dict[str, str] = {f"quality.{k}": "unknown section" for k in sorted(unknown)}
    result = defaults()
    for section in ("benchmark", "gold"):
        given = quality.get(section) or {}
        if not isinstance(given, Mapping):
            errors[f"quality.{section}"] = "must be an object"
            continue
        for key in set(given) - set(DEFAULTS[section]):
            errors[f"quality.{section}.{key}"] = "unknown setting"
        result[section].update({k: v for k, v in given.items() if k in DEFAULTS[section]})

    bench, gold = result["benchmark"], result["gold"]
    where = "quality.benchmark"
    bench["size"] = _number(bench, "size", errors, where, low=1, high=500, integer=True)
    bench["pass_threshold"] = _number(bench, "pass_threshold", errors, where, low=0, high=1, low_open=True)
    if bench["retry"] not in RETRY_POLICIES:
        errors[f"{where}.retry"] = f"must be one of: {', '.join(RETRY_POLICIES)}"
    bench["cooldown_hours"] = _number(bench, "cooldown_hours", errors, where, low=0, high=24 * 365)
    bench["reuse_seen_gold"] = _flag(bench, "reuse_seen_gold", errors, where)

    where = "quality.gold"
    gold["rate"] = _number(gold, "rate", errors, where, low=0, high=1, low_open=True)
    gold["min_rate"] = _number(gold, "min_rate", errors, where, low=0, high=1, low_open=True)
    gold["decay_every"] = _number(gold, "decay_every", errors, where, low=1, high=100_000, integer=True)
    gold["window"] = _number(gold, "window", errors, where, low=1, high=1000, integer=True)
    gold["min_answers"] = _number(gold, "min_answers", errors, where, low=1, high=1000, integer=True)
    gold["recalibrate_below"] = _number(gold, "recalibrate_below", errors, where, low=0, high=1, low_open=True)
    gold["remove_below"] = _number(gold, "remove_below", errors, where, low=0, high=1)
    gold["recalibration_size"] = _number(gold, "recalibration_size", errors, where, low=1, high=500, integer=True)
    gold["recalibration_pass"] = _number(gold, "recalibration_pass", errors, where, low=0, high=1, low_open=True)
    gold["recalibration_reuse_seen_gold"] = _flag(gold, "recalibration_reuse_seen_gold", errors, where)
    if not errors:
        if gold["min_rate"] > gold["rate"]:
            errors[f"{where}.min_rate"] = "must not be above rate"
        if gold["remove_below"] > gold["recalibrate_below"]:
            errors[f"{where}.remove_below"] = "must not be above recalibrate_below"
        if gold["min_answers"] > gold["window"]:
            errors[f"{where}.min_answers"] = "must not be above window"
    try:
        result["linters"] = validate_rules(quality.get("linters"), interface)
    except ConfigError as exc:
        errors["quality.linters"] = str(exc)
    if errors:
        raise Invalid(errors, message="the quality controls are not valid")
    return result


def merge_patch(base: Any, patch: Any) -> Any:
    """JSON Merge Patch (RFC 7396): objects merge key by key, anything else replaces; a null removes
    the key (so the default applies again). How PATCH changes a project's quality."""
    if not isinstance(patch, Mapping) or not isinstance(base, Mapping):
        return patch
    merged = dict(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(base.get(key), value)
    return merged


def stored(project_quality: Mapping[str, Any] | None) -> dict[str, Any]:
    """The project's saved config with defaults for anything older configs lack."""
    result = defaults()
    for section in ("benchmark", "gold"):
        result[section].update((project_quality or {}).get(section) or {})
    result["linters"] = list((project_quality or {}).get("linters") or [])
    return result


def missing_controls(quality: Mapping[str, Any], gold_items: int) -> list[str]:
    """What the quality controls still lack before launch, in words ops can act on."""
    missing = []
    size = quality["benchmark"]["size"]
    if gold_items < size:
        missing.append(f"benchmark: import at least {size} gold items (items with a gold answer); "
                       f"{gold_items} so far")
    if not quality["linters"]:
        missing.append("linters: add at least one linter rule")
    return missing
