"""What display parts share: reading a bound value as text, and the checks of their settings."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Mapping

from components.base import ConfigError

#: Longest text a display part shows (longer data is cut, with a note): 1 MB of characters.
MAX_SHOWN = 1_000_000


def as_text(value: Any) -> str | None:
    """A bound value as the text it shows: strings as they are, numbers and booleans written out,
    objects and lists as JSON; None stays None (the item has no such field)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value[:MAX_SHOWN]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, indent=2)[:MAX_SHOWN]


def binding_of(config: Mapping[str, Any], key: str, *, required: bool = False) -> Any:
    """A second binding a part takes besides ``value`` (prompt_response's ``response``)."""
    value = config.get(key)
    if value is None and required:
        raise ConfigError(f'{key} is missing: name the item field as "${key}"')
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise ConfigError(f'{key} must be "$field" or a literal text')
    return value


def resolve_binding(binding: Any, item_data: Mapping[str, Any]) -> Any:
    """``$a.b`` walks the item's objects; anything else is the literal."""
    if not (isinstance(binding, str) and binding.startswith("$")):
        return binding
    value: Any = item_data
    for key in _path(binding):
        # JSON objects are dicts: the exact check first (training exports resolve every item).
        if not (type(value) is dict or isinstance(value, Mapping)) or key not in value:
            return None
        value = value[key]
    return value


@lru_cache(maxsize=1024)
def _path(binding: str) -> tuple[str, ...]:
    return tuple(binding[1:].split("."))


def choice_setting(config: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = config.get(key, default)
    if value not in allowed:
        raise ConfigError(f"{key} must be one of: {', '.join(allowed)}")
    return value
