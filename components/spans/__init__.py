"""Spans: labelled character ranges marked on a shown text (``[{label, start, end, text}]``).

Offsets, matching, F1 and the agreement distance are ``components._spans``'s (see its docstring).
An empty list is an answer ("nothing to mark"), so ``min_spans`` rather than ``required`` asks
for at least one span.
"""

from __future__ import annotations

from typing import Any, Mapping

from components import _spans
from components._checks import config_bool, config_int, plural
from components._span_labels import LABEL_SCHEMA, SpanLabels
from components._span_field import SpanField
from components.base import AnswerContext, AnswerError, Component, LintRule


class Spans(SpanField):
    type = "spans"
    description = "Labelled character ranges marked on a shown text (mouse or keyboard)"
    match_key = "label"
    noun = "span"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.labels = SpanLabels(config.get("labels"))
        self.overlapping = config_bool(config, "overlapping", False)
        self.min_spans, self.max_spans = _spans.config_count_range(config, "spans")
        self.iou_threshold = _spans.config_threshold(config)

    def config(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"labels": self.labels.to_config(), "overlapping": self.overlapping,
                                "iou_threshold": self.iou_threshold}
        if self.min_spans:
            spec["min_spans"] = self.min_spans
        if self.max_spans is not None:
            spec["max_spans"] = self.max_spans
        return spec

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        schema = super().config_schema()
        schema["properties"].update({
            "target": {"type": "string", "description": "the text or prompt_response part spans are marked on"},
            "required": {"type": "boolean"},
            "labels": {"type": "array", "items": LABEL_SCHEMA, "minItems": 1},
            "overlapping": {"type": "boolean", "default": False},
            "min_spans": {"type": "integer", "minimum": 0}, "max_spans": {"type": "integer", "minimum": 1},
            "iou_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5}})
        schema["required"] = ["name", "type", "target", "labels"]
        return schema

    @classmethod
    def answer_schema(cls) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "object", "properties": {
            "label": {"type": "string"}, "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer"}, "text": {"type": "string", "description": "filled in from the offsets"}},
            "required": ["label", "start", "end"], "additionalProperties": False},
            "description": "character offsets (code points) into the target's text; end exclusive"}

    # -- answers ------------------------------------------------------------
    def is_empty(self, value: Any) -> bool:
        return value is None or value == ""

    def validate(self, value: Any) -> list[dict[str, Any]]:
        return self.check(value, None)

    def validate_in(self, value: Any, context: AnswerContext) -> list[dict[str, Any]]:
        return self.check(value, _spans.target_text(self.target, context))

    def check(self, value: Any, text: str | None) -> list[dict[str, Any]]:
        """Each span checked (errors name it, ``spans[2].end: ...``), sorted, texts filled in."""
        items = _spans.check_list(value, self.name, self.min_spans, self.max_spans, self.noun)
        clean: list[dict[str, Any]] = []
        positions: list[tuple[int, int, int]] = []
        for position, raw in enumerate(items):
            where = f"{self.name}[{position}]"
            span = _spans.check_unknown(raw, where, _spans.SPAN_KEYS)
            if "label" not in span:
                raise AnswerError(f"{where}.label: is missing")
            label = self.labels.check(span["label"], f"{where}.label")
            start, end = _spans.check_offsets(span, where, text)
            quote = _spans.check_quote(span, where, text, start, end)
            out = {"label": label, "start": start, "end": end}
            if quote is not None:
                out["text"] = quote
            clean.append(out)
            positions.append((start, end, position))
        if not self.overlapping:
            positions.sort()
            _spans.check_no_overlap(positions, self.name)
        seen: set[tuple[int, int, str]] = set()
        for position, span in enumerate(clean):
            key = _spans.order_key(span)
            if key in seen:
                raise AnswerError(f"{self.name}[{position}]: the same span is marked twice")
            seen.add(key)
        clean.sort(key=_spans.order_key)
        return clean

    # -- widget -------------------------------------------------------------
    def widget_config(self) -> dict[str, Any]:
        return {"target": self.target, "overlapping": self.overlapping, "kind": "spans",
                "labels": [{"value": l.value, "label": l.label, "hotkey": l.hotkey} for l in self.labels]}


def _check_same_label(params: Mapping[str, Any], component: Component) -> dict[str, Any]:
    return {"min_count": config_int(params, "min_count", default=3, minimum=2)}


def _run_same_label(params: Mapping[str, Any], component: Component, value: Any, context: Any) -> str | None:
    if not isinstance(value, list) or len(value) < params["min_count"]:
        return None
    labels = {span.get("label") for span in value if isinstance(span, Mapping)}
    if len(labels) == 1:
        return f"all {plural(len(value), 'span')} have the label {next(iter(labels))}"
    return None


Spans.lint_rules = {
    "spans_same_label": LintRule(
        params=frozenset({"min_count"}), check=_check_same_label, run=_run_same_label,
        description="every span has the same label (when there are at least min_count spans, default 3)"),
}

COMPONENT = Spans
