"""The option list shared by the choice and multi_choice components."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from components.base import AnswerError, ConfigError

#: Longer option lists are not spelled out in error messages.
_MAX_LISTED = 6
_MAX_LISTED_CHARS = 60
OPTION_KEYS = frozenset({"value", "label"})


@dataclass(frozen=True)
class Option:
    value: str
    label: str


class Options:
    """An ordered list of options with unique values, parsed from config."""

    def __init__(self, raw: Any):
        if not isinstance(raw, list) or not raw:
            raise ConfigError("options must be a non-empty list")
        self.items: tuple[Option, ...] = tuple(
            _parse_option(position, item) for position, item in enumerate(raw, start=1)
        )
        self._positions: dict[str, int] = {}
        for position, option in enumerate(self.items):
            if option.value in self._positions:
                raise ConfigError(f"options: value {option.value!r} appears twice")
            self._positions[option.value] = position
        listed = ", ".join(self._positions)
        if len(self.items) <= _MAX_LISTED and len(listed) <= _MAX_LISTED_CHARS:
            self._invalid = f"must be one of: {listed}"
        else:
            self._invalid = "is not one of the options"

    def __iter__(self) -> Iterator[Option]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_config(self) -> list[str | dict[str, str]]:
        """Plain strings where the label is the value, so stored specs stay short."""
        return [
            o.value if o.label == o.value else {"value": o.value, "label": o.label}
            for o in self.items
        ]

    def check(self, value: Any) -> str:
        """The value if it is an option's value; raise AnswerError otherwise."""
        if isinstance(value, str) and value in self._positions:
            return value
        raise AnswerError(self._invalid)

    def in_order(self, values: Iterable[str]) -> list[str]:
        """Known values, deduplicated, in the order the options are listed."""
        return sorted(set(values), key=self._positions.__getitem__)


def _parse_option(position: int, item: Any) -> Option:
    if isinstance(item, str):
        value = label = item
    elif isinstance(item, Mapping):
        unknown = sorted(str(key) for key in item if key not in OPTION_KEYS)
        if unknown:
            raise ConfigError(f"option {position}: unknown setting {', '.join(unknown)}; an option takes value and label")
        value = item.get("value")
        label = item.get("label")
        if label is None:
            label = value
    else:
        raise ConfigError(f"option {position} must be a string or an object with value and label")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"option {position}: value must be a non-empty string")
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(f"option {position}: label must be a non-empty string")
    return Option(value, label)
