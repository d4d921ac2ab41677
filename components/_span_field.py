"""What every field of marked spans shares (spans, claims): where it is given, how it is held
while co-edited, how its form posts, and how it is scored and compared, all through
``components._spans``; a field says which key a span must match on and where its spans sit."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Mapping

from components import _spans
from components._checks import first_entered
from components.base import Component, Measure


class SpanField(Component):
    level = "structured"
    targets = ("text", "prompt_response")
    coedit = "list"
    #: What a span must agree on besides its place: "label" (spans) or "verdict" (claims).
    match_key: ClassVar[str]

    @staticmethod
    def marks(value: Any) -> list[Any]:
        """The spans a stored (or possibly invalid) value holds."""
        return value if isinstance(value, list) else []

    def parse_form(self, values: list[str]) -> Any:
        """The widget posts the answer as JSON in one hidden input; text that is not JSON goes on
        to ``validate`` as it is (and is refused there)."""
        raw = first_entered(values)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def score(self, answer: Any, gold: Any) -> float:
        """Matched-span F1: a span counts when its ``match_key`` matches and IoU >= ``iou_threshold``."""
        return _spans.f1(_spans.prepare(self.marks(answer), self.match_key),
                         _spans.prepare(self.marks(gold), self.match_key), self.iou_threshold)

    def distance(self, a: Any, b: Any) -> float:
        """1 − soft F1 of the matched spans (``components._spans``), in [0, 1]."""
        return self.span_distance(a, b)

    @property
    def span_distance(self) -> _spans.SpanDistance:
        return _spans.SpanDistance(self.match_key, self.marks, self.iou_threshold)

    def measures(self) -> list[Measure]:
        """The field at level "structured" with its span distance, which agreement also runs
        vectorised (``SpanDistance.batch``)."""
        return [Measure(self.name, self.level, None, distance=self.span_distance)]

    def spans_of(self, value: Any) -> list[dict[str, Any]]:
        """The spans a (possibly invalid) value holds, for the widget's list."""
        return [s for s in self.marks(value) if isinstance(s, Mapping)]
