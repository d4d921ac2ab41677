"""N candidate responses, side by side or stacked, in an order fixed per assignment and recorded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components._checks import config_bool
from components._display import MAX_SHOWN, as_text, choice_setting
from components.base import DisplayPart, shuffled

LAYOUTS = ("side_by_side", "stacked")
_LETTERS = [chr(ord("A") + position) for position in range(26)]


class Responses(DisplayPart):
    type = "responses"
    description = ("Shows candidate responses side by side or stacked, each with an id, in an order "
                   "randomised per assignment (recorded on the answer)")

    def configure(self, config: Mapping[str, Any]) -> None:
        self.layout = choice_setting(config, "layout", LAYOUTS, "side_by_side")
        self.randomise = config_bool(config, "randomise", True)
        self.markdown = config_bool(config, "markdown", True)
        #: The binding's path, split once (an export reads it for every item): None for a literal.
        self.path = tuple(self.binding[1:].split(".")) if isinstance(self.binding, str) and \
            self.binding.startswith("$") else None

    def config(self) -> dict[str, Any]:
        return {"layout": self.layout, "randomise": self.randomise, "markdown": self.markdown}

    def raw(self, item_data: Mapping[str, Any]) -> Any:
        """The bound value (as ``DisplayPart.raw``), by the path split at configuration."""
        if self.path is None:
            return self.binding
        value: Any = item_data
        for key in self.path:
            if not (type(value) is dict or isinstance(value, Mapping)) or key not in value:
                return None
            value = value[key]
        return value

    def candidates(self, item_data: Mapping[str, Any]) -> list[dict[str, str]]:
        """``[{id, content}]`` in the item's order: a list of texts gets ids A, B, C…; a list of
        objects keeps its ``id`` (else the letter) and reads ``content`` (or ``text``/``response``);
        an object maps ids to texts. (Plain dicts, as decoded JSON gives, skip the ABC check: an
        export reads this for every item.)"""
        raw = self.raw(item_data)
        if type(raw) is not list:
            if isinstance(raw, Mapping):
                raw = [{"id": str(key), "content": value} for key, value in raw.items()]
            elif not isinstance(raw, list):
                return []
        found: list[dict[str, str]] = []
        for position, entry in enumerate(raw[:26]):
            if type(entry) is dict or isinstance(entry, Mapping):
                ident = entry.get("id")
                content = _content(entry)
                found.append({"id": ident if type(ident) is str and ident else
                              str(ident) if ident not in (None, "") else _LETTERS[position],
                              "content": content if type(content) is str and len(content) <= MAX_SHOWN
                              else as_text(content) or ""})
            else:
                found.append({"id": _LETTERS[position], "content": as_text(entry) or ""})
        return found

    @property
    def varies_by_assignment(self) -> bool:
        return self.randomise

    def resolve(self, item_data: Mapping[str, Any], assignment_id: int | None = None) -> list[dict[str, str]]:
        """The candidates in the order this assignment shows them."""
        found = self.candidates(item_data)
        return shuffled(found, assignment_id, self.name) if self.randomise else found

    def sample_bindings(self) -> list[tuple[Any, Any]]:
        """What the builder's preview shows when the project has no item yet."""
        return [(self.binding, ["A first sample response.", "A second sample response."])]


def _content(entry: Mapping[str, Any]) -> Any:
    """A candidate object's text: ``content``, else ``text``, else ``response``."""
    if "content" in entry:
        return entry["content"]
    if "text" in entry:
        return entry["text"]
    return entry.get("response")


COMPONENT = Responses
