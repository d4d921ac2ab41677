"""Number: a free numeric answer, optionally bounded or whole."""

from __future__ import annotations

from typing import Any, Mapping

from components._checks import (
    tolerance_score,
    answer_number,
    check_range,
    config_bool,
    config_number,
    parse_number,
)
from components.base import Component, ConfigError

LEVELS = ("interval", "ratio")


class Number(Component):
    type = "number"
    description = "A number, optionally bounded"
    level = "interval"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.min = config_number(config, "min")
        self.max = config_number(config, "max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ConfigError("min must not be more than max")
        self.integer = config_bool(config, "integer", False)
        if self.integer:
            # The widget's step counts from min, so a fractional min would forbid whole numbers.
            for key in ("min", "max"):
                bound = getattr(self, key)
                if bound is not None and bound != int(bound):
                    raise ConfigError(f"{key} must be a whole number when integer is true")
        self.tolerance = config_number(config, "tolerance", default=0, minimum=0)
        level = config.get("level")
        if level is not None:
            if level not in LEVELS:
                raise ConfigError("level must be interval or ratio")
            # Ratio means a true zero (counts, durations); agreement statistics treat it differently.
            self.level = level

    def config(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "integer": self.integer,
            "tolerance": self.tolerance,
            "level": self.level,
        }
        if self.min is not None:
            spec["min"] = self.min
        if self.max is not None:
            spec["max"] = self.max
        return spec

    def validate(self, value: Any) -> int | float:
        number = answer_number(value, integer=self.integer)
        check_range(number, self.min, self.max)
        return number

    def parse_form(self, values: list[str]) -> int | float | str | None:
        return parse_number(values)

    def score(self, answer: Any, gold: Any) -> float:
        """All-or-nothing within ``tolerance``; with both bounds, partial credit across the range."""
        span = None if self.min is None or self.max is None else self.max - self.min
        return tolerance_score(answer, gold, self.tolerance, span)


COMPONENT = Number
