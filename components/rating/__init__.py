"""Rating: a whole number on a short labelled scale such as 1-5."""

from __future__ import annotations

from typing import Any, Mapping

from components._checks import answer_number, check_range, config_int, parse_number, tolerance_score
from components._scales import read_scale
from components.base import Component

#: Every point becomes a radio button; wider scales belong to ``number``.
MAX_STEPS = 100


class Rating(Component):
    type = "rating"
    description = "A whole number on a short labelled scale"
    level = "ordinal"

    def configure(self, config: Mapping[str, Any]) -> None:
        # The scale's point labels are "labels" here (kept as written), "anchors" on a rubric's.
        scale = read_scale(config, max_steps=MAX_STEPS, too_wide="; use a number field instead",
                           labels="labels", strip=False)
        self.min, self.max, self.labels = scale.min, scale.max, scale.anchors
        self.tolerance = config_int(config, "tolerance", default=0, minimum=0)

    def categories(self) -> list[Any]:
        return list(range(self.min, self.max + 1))

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
