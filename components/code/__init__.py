"""Source code, syntax highlighted; the language comes from the config or from the item."""

from __future__ import annotations

from typing import Any, Mapping

from components._display import as_text, binding_of, resolve_binding
from components.base import DisplayPart


class Code(DisplayPart):
    type = "code"
    description = "Shows source code, syntax highlighted (language from the config or the item)"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.language = binding_of(config, "language")

    def config(self) -> dict[str, Any]:
        return {"language": self.language} if self.language is not None else {}

    def resolve(self, item_data: Mapping[str, Any], assignment_id: int | None = None) -> dict[str, str | None]:
        language = resolve_binding(self.language, item_data)
        return {"code": as_text(self.raw(item_data)), "language": language if isinstance(language, str) else None}

    def sample_bindings(self) -> list[tuple[Any, Any]]:
        """What the builder's preview shows when the project has no item yet."""
        samples: list[tuple[Any, Any]] = [(self.binding, "def greet(name):\n    return f\"Hello, {name}!\"\n")]
        if isinstance(self.language, str) and self.language.startswith("$"):
            samples.append((self.language, "python"))
        return samples


COMPONENT = Code
