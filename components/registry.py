"""Finds component classes by their type name: one folder per component."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from pathlib import Path

from components.base import Component


@lru_cache(maxsize=1)
def all_component_classes() -> dict[str, type[Component]]:
    """Every ``components/<name>/`` package that exports ``COMPONENT``."""
    found: dict[str, type[Component]] = {}
    root = Path(__file__).parent
    for module in pkgutil.iter_modules([str(root)]):
        if not module.ispkg:
            continue
        package = importlib.import_module(f"components.{module.name}")
        component_class = getattr(package, "COMPONENT", None)
        if component_class is not None:
            found[component_class.type] = component_class
    return found


def get_component_class(kind: object) -> type[Component] | None:
    if not isinstance(kind, str):
        return None
    return all_component_classes().get(kind)
