"""A configured list of span labels (or claim verdicts) with keyboard shortcuts, for the span widgets.

``["PER", {"value": "ORG", "label": "Organisation", "hotkey": "o"}]``: plain strings label
themselves; without a hotkey the first nine get the digits 1-9 by position (unless a digit is
already taken), so every field can be worked from the keyboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from components.base import AnswerError, ConfigError

LABEL_KEYS = frozenset({"value", "label", "hotkey"})
#: One label in a field's config, as JSON Schema (``GET /api/v1/components``).
LABEL_SCHEMA = {"oneOf": [{"type": "string"}, {"type": "object", "properties": {
    "value": {"type": "string"}, "label": {"type": "string"},
    "hotkey": {"type": "string", "minLength": 1, "maxLength": 1}}, "required": ["value"]}]}


@dataclass(frozen=True)
class SpanLabel:
    value: str
    label: str
    hotkey: str | None


class SpanLabels:
    def __init__(self, raw: Any, setting: str = "labels"):
        if not isinstance(raw, list) or not raw:
            raise ConfigError(f"{setting} must be a non-empty list")
        parsed = [_parse(setting, position, item) for position, item in enumerate(raw, start=1)]
        values = [label.value for label in parsed]
        for value in values:
            if values.count(value) > 1:
                raise ConfigError(f"{setting}: {value!r} appears twice")
        taken = [label.hotkey for label in parsed if label.hotkey]
        for key in taken:
            if taken.count(key) > 1:
                raise ConfigError(f"{setting}: hotkey {key!r} is used twice")
        digits = iter(d for d in "123456789" if d not in taken)
        self.explicit = {label.value for label in parsed if label.hotkey}
        self.items: tuple[SpanLabel, ...] = tuple(
            label if label.hotkey or position > 9 else SpanLabel(label.value, label.label, next(digits, None))
            for position, label in enumerate(parsed, start=1))
        self.setting = setting
        self._values = {label.value for label in self.items}
        listed = ", ".join(values)
        self._invalid = f"must be one of: {listed}" if len(listed) <= 60 else f"is not one of the {setting}"

    def __iter__(self) -> Iterator[SpanLabel]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def values(self) -> list[str]:
        return [label.value for label in self.items]

    def check(self, value: Any, where: str) -> str:
        if isinstance(value, str) and value in self._values:
            return value
        raise AnswerError(f"{where}: {self._invalid}")

    def to_config(self) -> list[Any]:
        out: list[Any] = []
        for label in self.items:
            if label.label == label.value and label.value not in self.explicit:
                out.append(label.value)
                continue
            spec: dict[str, str] = {"value": label.value}
            if label.label != label.value:
                spec["label"] = label.label
            if label.value in self.explicit and label.hotkey:
                spec["hotkey"] = label.hotkey
            out.append(spec)
        return out


def _parse(setting: str, position: int, item: Any) -> SpanLabel:
    hotkey = None
    if isinstance(item, str):
        value = label = item
    elif isinstance(item, Mapping):
        unknown = sorted(str(key) for key in item if key not in LABEL_KEYS)
        if unknown:
            raise ConfigError(f"{setting} {position}: unknown setting {', '.join(unknown)}; "
                              "it takes value, label and hotkey")
        value, label, hotkey = item.get("value"), item.get("label", item.get("value")), item.get("hotkey")
    else:
        raise ConfigError(f"{setting} {position} must be a string or an object with value, label and hotkey")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{setting} {position}: value must be a non-empty string")
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(f"{setting} {position}: label must be a non-empty string")
    if hotkey is not None:
        if not isinstance(hotkey, str) or len(hotkey) != 1 or not hotkey.isalnum():
            raise ConfigError(f"{setting} {position}: hotkey must be one letter or digit")
        hotkey = hotkey.lower()
    return SpanLabel(value, label, hotkey)
