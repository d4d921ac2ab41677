"""Config and answer checks shared by several components.

Kept in one place so every field type words its errors the same way and
treats the awkward cases (bool is an int, NaN is a float) identically.
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

from components.base import AnswerError, ConfigError

_INT = re.compile(r"[+-]?\d+", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def is_number(value: Any) -> bool:
    """True for int and float; bool is excluded because True is not a 1."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def show(number: int | float) -> str:
    """A number as people write it: 3 rather than 3.0."""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


# -- config -----------------------------------------------------------------
def config_int(
    config: Mapping[str, Any], key: str, default: int | None = None, minimum: int | None = None
) -> int | None:
    """A whole-number config key; JSON writers may send 5.0, which means 5."""
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{key} must be a whole number")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{key} must be at least {minimum}")
    return value


def config_number(
    config: Mapping[str, Any], key: str, default: float | None = None, minimum: float | None = None
) -> int | float | None:
    value = config.get(key)
    if value is None:
        return default
    if not is_number(value) or not math.isfinite(value):
        raise ConfigError(f"{key} must be a number")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{key} must be at least {show(minimum)}")
    return value


def config_bool(config: Mapping[str, Any], key: str, default: bool) -> bool:
    """Strict, so a stray "false" string is not silently read as true."""
    value = config.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false")
    return value


# -- answers ----------------------------------------------------------------
def answer_number(value: Any, integer: bool) -> int | float:
    """A finite number; with ``integer``, an integral float such as 3.0 becomes 3."""
    if not is_number(value):
        raise AnswerError("must be a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AnswerError("must be a finite number")
        if integer:
            if not value.is_integer():
                raise AnswerError("must be a whole number")
            return int(value)
    return value


def check_range(value: int | float, low: int | float | None, high: int | float | None) -> None:
    if low is not None and high is not None and not low <= value <= high:
        raise AnswerError(f"must be between {show(low)} and {show(high)}")
    if low is not None and value < low:
        raise AnswerError(f"must be at least {show(low)}")
    if high is not None and value > high:
        raise AnswerError(f"must be at most {show(high)}")


# -- forms ------------------------------------------------------------------
def first_entered(values: list[str]) -> str | None:
    """The first posted string that is not blank, unchanged, so it can be re-shown."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return value
    return None


def parse_number(values: list[str]) -> int | float | str | None:
    """Numeric form text as int or float; anything else stays a string for validate to reject.

    Stricter than int()/float(), which would accept "nan", "1_000" or Arabic-Indic digits.
    """
    text = first_entered(values)
    if text is None:
        return None
    text = text.strip()
    try:
        if _INT.fullmatch(text):
            return int(text)
        if _FLOAT.fullmatch(text):
            return float(text)
    except ValueError:  # an integer too long to convert
        pass
    return text


def tolerance_score(answer: Any, gold: Any, tolerance: float, span: float | None) -> float:
    """Full credit within ``tolerance``; then falling linearly to 0 across ``span`` (a scale's
    width), or nothing at all when there is no span to measure against."""
    if answer is None or gold is None:
        return 1.0 if answer == gold else 0.0
    distance = abs(answer - gold)
    if distance <= tolerance:
        return 1.0
    if not span:
        return 0.0
    return max(0.0, 1 - (distance - tolerance) / span)
