"""Chosen item fields as a small table (``value: "$meta"`` an object, or ``fields`` paths of the item)."""

from __future__ import annotations

from typing import Any, Mapping

from components._display import as_text, resolve_binding
from components.base import ConfigError, DisplayPart

MAX_ROWS = 50


class Metadata(DisplayPart):
    type = "metadata"
    description = "Shows chosen item fields as a small table"

    def configure(self, config: Mapping[str, Any]) -> None:
        fields = config.get("fields")
        if fields is not None and (not isinstance(fields, list) or not fields
                                   or not all(isinstance(f, str) and f for f in fields)):
            raise ConfigError("fields must be a non-empty list of item field names (dotted paths allowed)")
        self.fields: list[str] | None = fields

    def config(self) -> dict[str, Any]:
        return {"fields": self.fields} if self.fields else {}

    def resolve(self, item_data: Mapping[str, Any], assignment_id: int | None = None) -> list[tuple[str, str]]:
        """``[(name, text)]``: the listed fields of the bound object (the item itself for ``"$"``)."""
        source = item_data if self.binding in ("$", "$.") else self.raw(item_data)
        if not isinstance(source, Mapping):
            return []
        names = self.fields or list(source)[:MAX_ROWS]
        rows = []
        for name in names[:MAX_ROWS]:
            value = resolve_binding("$" + name, source)
            if value is not None:
                rows.append((name, as_text(value) or ""))
        return rows

    def sample_bindings(self) -> list[tuple[Any, Any]]:
        """What the builder's preview shows when the project has no item yet."""
        names = self.fields or ["source", "language"]
        if self.binding in ("$", "$."):
            return [("$" + name, "sample") for name in names]
        return [(self.binding, {name: "sample" for name in names})]


COMPONENT = Metadata
