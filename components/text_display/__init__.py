"""A text shown to the contributor: plain or markdown (rendered safely); spans and claims mark it."""

from __future__ import annotations

from typing import Any, Mapping

from components._checks import config_bool
from components._display import as_text
from components.base import DisplayPart


class TextDisplay(DisplayPart):
    type = "text"
    description = "Shows a text from the item, plain or markdown; the text spans and claims are marked on"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.markdown = config_bool(config, "markdown", False)

    def config(self) -> dict[str, Any]:
        return {"markdown": self.markdown} if self.markdown else {}

    def normalise(self, value: Any, assignment_id: int | None) -> str | None:
        return as_text(value)

    def as_prompt(self, item_data: Mapping[str, Any]) -> str | None:
        """The text, for training exports."""
        return self.resolve(item_data)

    def sample_bindings(self) -> list[tuple[Any, Any]]:
        """What the builder's preview shows when the project has no item yet."""
        text = ("A sample text, as an item would bring it.\n\n**Markdown** is rendered." if self.markdown
                else "A sample text, as an item would bring it.")
        return [(self.binding, text)]


COMPONENT = TextDisplay
