"""``GET /api/v1/components``: every installed interface part, so outside tools can build interfaces."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from components.base import ANSWER, Component
from components.registry import all_part_classes


def component_json(kind: type) -> dict[str, Any]:
    data = {"type": kind.type, "kind": kind.kind, "description": kind.description,
            "config_schema": kind.config_schema()}
    if kind.kind == ANSWER and issubclass(kind, Component):
        data |= {"answer_schema": kind.answer_schema(), "level": kind.level, "targets": list(kind.targets),
                 "lint_rules": {name: rule.description for name, rule in kind.lint_rules.items()},
                 "exports": list(kind.exports)}
    return data


class ComponentsApi(Controller):
    path = "/api/v1/components"
    tags = ["projects"]

    @get("/", summary="Every installed interface part: display parts and answer fields, with their config "
                      "and answer schemas (anyone signed in)")
    async def components(self, request: Request) -> dict[str, Any]:
        kinds = sorted(all_part_classes(), key=lambda kind: (kind.kind != "display", kind.type))
        return {"components": [component_json(kind) for kind in kinds]}
