"""Multiple choice: the annotator picks any subset of a fixed list of options."""

from __future__ import annotations

from typing import Any, Mapping

from components._checks import config_int, plural
from components._options import Options
from components.base import AnswerError, Component, ConfigError


class MultiChoice(Component):
    type = "multi_choice"
    description = "Any number of options from a fixed list"
    level = "set"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.options = Options(config.get("options"))
        self.min_selected = config_int(config, "min_selected", minimum=0)
        self.max_selected = config_int(config, "max_selected", minimum=1)
        if self.min_selected is not None and self.min_selected > len(self.options):
            raise ConfigError("min_selected is more than the number of options")
        if (
            self.min_selected is not None
            and self.max_selected is not None
            and self.min_selected > self.max_selected
        ):
            raise ConfigError("min_selected must not be more than max_selected")

    def config(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"options": self.options.to_config()}
        if self.min_selected is not None:
            spec["min_selected"] = self.min_selected
        if self.max_selected is not None:
            spec["max_selected"] = self.max_selected
        return spec

    def validate(self, value: Any) -> list[str]:
        """Duplicates are dropped and the order made canonical, so equal sets compare equal."""
        if not isinstance(value, (list, tuple)):
            raise AnswerError("must be a list of options")
        selected = self.options.in_order(self.options.check(item) for item in value)
        if self.min_selected is not None and len(selected) < self.min_selected:
            raise AnswerError(f"select at least {plural(self.min_selected, 'option')}")
        if self.max_selected is not None and len(selected) > self.max_selected:
            raise AnswerError(f"select at most {plural(self.max_selected, 'option')}")
        return selected

    def parse_form(self, values: list[str]) -> list[str] | None:
        chosen = [v for v in values if isinstance(v, str) and v != ""]
        return chosen or None

    def score(self, answer: Any, gold: Any) -> float:
        """Jaccard overlap; an empty answer (None) agrees with an empty gold."""
        a, g = set(answer or ()), set(gold or ())
        if not a and not g:
            return 1.0
        return len(a & g) / len(a | g)


COMPONENT = MultiChoice
