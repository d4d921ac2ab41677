"""Rating: a whole number on a short labelled scale such as 1-5."""

from __future__ import annotations

import re
from typing import Any, Mapping

from components._checks import answer_number, check_range, config_int, parse_number, tolerance_score
from components.base import Component, ConfigError

#: Every point becomes a radio button; wider scales belong to ``number``.
MAX_STEPS = 100
_POINT = re.compile(r"[+-]?\d+", re.ASCII)


class Rating(Component):
    type = "rating"
    description = "A whole number on a short labelled scale"
    level = "ordinal"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.min = config_int(config, "min", default=1)
        self.max = config_int(config, "max", default=5)
        if self.min >= self.max:
            raise ConfigError("min must be less than max")
        if self.max - self.min > MAX_STEPS:
            raise ConfigError(f"max - min must be at most {MAX_STEPS}; use a number field instead")
        self.labels = self._parse_labels(config.get("labels"))
        self.tolerance = config_int(config, "tolerance", default=0, minimum=0)

    def categories(self) -> list[Any]:
        return list(range(self.min, self.max + 1))

    def _parse_labels(self, raw: Any) -> dict[str, str]:
        """Keys normalised to str(int), so "01" and 1 both mean point 1."""
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise ConfigError("labels must be an object mapping scale points to labels")
        labels: dict[str, str] = {}
        for key, label in raw.items():
            if isinstance(key, int) and not isinstance(key, bool):
                point = key
            elif isinstance(key, str) and _POINT.fullmatch(key.strip()):
                point = int(key)
            else:
                raise ConfigError(f"labels: {key!r} is not a whole number")
            if not self.min <= point <= self.max:
                raise ConfigError(f"labels: {key!r} is outside {self.min}-{self.max}")
            if str(point) in labels:
                raise ConfigError(f"labels: point {point} appears twice")
            if not isinstance(label, str) or not label.strip():
                raise ConfigError(f"labels: {key!r} needs a non-empty label")
            labels[str(point)] = label
        return dict(sorted(labels.items(), key=lambda item: int(item[0])))

    def config(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"min": self.min, "max": self.max, "tolerance": self.tolerance}
        if self.labels:
            spec["labels"] = dict(self.labels)
        return spec

    def validate(self, value: Any) -> int:
        point = answer_number(value, integer=True)
        check_range(point, self.min, self.max)
        return point

    def parse_form(self, values: list[str]) -> int | float | str | None:
        return parse_number(values)

    def score(self, answer: Any, gold: Any) -> float:
        """Full credit within ``tolerance``, then falling linearly to 0 across the scale."""
        return tolerance_score(answer, gold, self.tolerance, self.max - self.min)


COMPONENT = Rating
