"""Finds part classes by their type name: one folder per answer component or display part.

An answer component and a display part may share a type name (``text`` is both a free-text
answer and a shown text): a spec with ``value`` is the display part, one without the answer.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from components.base import ANSWER, DISPLAY, Component, DisplayPart, Part


@lru_cache(maxsize=1)
def _all_parts() -> dict[tuple[str, str], type[Part]]:
    """Every ``components/<name>/`` package that exports ``COMPONENT``, by (kind, type)."""
    found: dict[tuple[str, str], type[Part]] = {}
    root = Path(__file__).parent
    for module in pkgutil.iter_modules([str(root)]):
        if not module.ispkg:
            continue
        package = importlib.import_module(f"components.{module.name}")
        part_class = getattr(package, "COMPONENT", None)
        if part_class is not None:
            found[(part_class.kind, part_class.type)] = part_class
    return found


def all_component_classes() -> dict[str, type[Component]]:
    """The answer components, by type."""
    return {kind: cls for (which, kind), cls in _all_parts().items() if which == ANSWER}  # type: ignore[misc]


def display_part_classes() -> dict[str, type[DisplayPart]]:
    """The display parts, by type."""
    return {kind: cls for (which, kind), cls in _all_parts().items() if which == DISPLAY}  # type: ignore[misc]


def all_part_classes() -> list[type[Part]]:
    return list(_all_parts().values())


def part_class_for(spec: Mapping[str, Any]) -> type[Part] | None:
    """The class of an interface part spec: a display part when it binds a ``value``."""
    kind = spec.get("type")
    if not isinstance(kind, str):
        return None
    if "value" in spec and (display := display_part_classes().get(kind)) is not None:
        return display
    return all_component_classes().get(kind) or display_part_classes().get(kind)


def get_component_class(kind: object) -> type[Part] | None:
    """An answer component by type (else a display part of that type)."""
    if not isinstance(kind, str):
        return None
    return all_component_classes().get(kind) or display_part_classes().get(kind)
