"""Single choice: the annotator picks exactly one of a fixed list of options."""

from __future__ import annotations

from typing import Any, Mapping

from components._checks import first_entered
from components._options import Options
from components.base import Component


class Choice(Component):
    type = "choice"
    description = "One option from a fixed list"
    level = "nominal"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.options = Options(config.get("options"))

    def config(self) -> dict[str, Any]:
        return {"options": self.options.to_config()}

    def validate(self, value: Any) -> str:
        return self.options.check(value)

    def parse_form(self, values: list[str]) -> str | None:
        return first_entered(values)

    def score(self, answer: Any, gold: Any) -> float:
        return 1.0 if answer == gold else 0.0

    def categories(self) -> list[Any]:
        return [option.value for option in self.options]


COMPONENT = Choice
