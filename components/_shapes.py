"""Labelled shapes drawn on a shown image, shared by the ``bbox`` and ``polygon`` components.

Coordinates are absolute pixels of the image file (origin top left, x to the right, y down), as
the image part knows its size from the item's media reference (``width``/``height``): a box is
``{label, x, y, w, h}``, a polygon ``{label, points: [[x, y], …]}``. Values are rounded to
hundredths of a pixel (a whole number stays whole), so the same drawing is the same answer.

Matching (gold score and agreement): two shapes are candidates when their labels are equal and
their intersection over union (IoU, on area) is at least the field's ``iou_threshold``. Matching
is greedy one-to-one by decreasing IoU (ties: earlier shapes first), as for text spans
(``components._spans``). Box IoU is computed with numpy; polygon IoU with shapely (GEOS), each
polygon made valid first (``shapely.make_valid``: a ring that crosses itself counts by the area it
encloses).

* ``f1``: IoU-matched F1 = 2·matches / (|answer| + |gold|); two empty answers agree (1.0).
* ``distance`` (agreement): 1 − soft F1 = 1 − 2·ΣIoU(matched) / (|a| + |b|), the same variant as
  spans: 0 only for identical shape sets, 1 when nothing matches or exactly one side is empty, and
  a near miss (IoU 0.8) costs 0.2 of a shape rather than a whole one.
"""

from __future__ import annotations

import json
import math
from typing import Any, ClassVar, Mapping

import numpy as np

from components import _spans
from components._checks import config_int, first_entered, is_number, plural, show
from components._span_labels import LABEL_SCHEMA, SpanLabels
from components.base import AnswerContext, AnswerError, Component, ConfigError, LintRule, Measure

DEFAULT_MIN_SIZE = 1


def image_size(target: str | None, context: AnswerContext) -> tuple[float, float] | None:
    """(width, height) in pixels of the image the target part shows; None when not known (an
    https reference without a size): then shapes are checked for shape only."""
    shown = context.shown(target) if target else None
    if isinstance(shown, Mapping) and is_number(shown.get("width")) and is_number(shown.get("height")):
        return float(shown["width"]), float(shown["height"])
    return None


def pixel(value: Any, where: str) -> int | float:
    """A finite coordinate, rounded to hundredths (whole numbers stay ints)."""
    if not is_number(value) or not math.isfinite(value):
        raise AnswerError(f"{where}: must be a number of pixels")
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


class ShapeField(Component):
    """A list of labelled shapes on an image part; a subclass says what one shape is."""

    level = "structured"
    targets = ("image",)
    coedit = "list"
    #: "box" or "polygon": how errors and feedback name one shape.
    noun: ClassVar[str]
    #: The keys one shape takes.
    keys: ClassVar[frozenset[str]]

    def configure(self, config: Mapping[str, Any]) -> None:
        self.labels = SpanLabels(config.get("labels"))
        self.min_size = config_int(config, "min_size", default=DEFAULT_MIN_SIZE, minimum=0)
        self.min_shapes, self.max_shapes = _spans.config_count_range(config, self.count_setting)
        self.iou_threshold = _spans.config_threshold(config)

    def check_in(self, interface: Any) -> None:
        """Also: one shape field per image part (the drawing layer of an image is one field's)."""
        super().check_in(interface)
        for other in interface.components:
            if other is self:
                return
            if isinstance(other, ShapeField) and other.target == self.target:
                raise ConfigError(f"the {other.type} field {other.name!r} already draws on {self.target!r}; "
                                  "one box or polygon field per image part")

    @property
    def count_setting(self) -> str:
        return "boxes" if self.noun == "box" else f"{self.noun}s"

    def config(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"labels": self.labels.to_config(), "min_size": self.min_size,
                                "iou_threshold": self.iou_threshold}
        if self.min_shapes:
            spec[f"min_{self.count_setting}"] = self.min_shapes
        if self.max_shapes is not None:
            spec[f"max_{self.count_setting}"] = self.max_shapes
        return spec

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        schema = super().config_schema()
        count = "boxes" if cls.noun == "box" else f"{cls.noun}s"
        schema["properties"].update({
            "target": {"type": "string", "description": "the image part the shapes are drawn on"},
            "required": {"type": "boolean"},
            "labels": {"type": "array", "items": LABEL_SCHEMA, "minItems": 1},
            "min_size": {"type": "integer", "minimum": 0, "default": DEFAULT_MIN_SIZE,
                         "description": "smallest width and height in pixels (a polygon: of its bounds)"},
            f"min_{count}": {"type": "integer", "minimum": 0}, f"max_{count}": {"type": "integer", "minimum": 1},
            "iou_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5}})
        schema["required"] = ["name", "type", "target", "labels"]
        return schema

    # -- answers ------------------------------------------------------------
    def is_empty(self, value: Any) -> bool:
        """An empty list is an answer ("nothing to mark"); ``min_boxes`` asks for at least one."""
        return value is None or value == ""

    def validate(self, value: Any) -> list[dict[str, Any]]:
        return self.check(value, None)

    def validate_in(self, value: Any, context: AnswerContext) -> list[dict[str, Any]]:
        return self.check(value, image_size(self.target, context))

    def check(self, value: Any, size: tuple[float, float] | None) -> list[dict[str, Any]]:
        """Each shape checked (errors name it: ``boxes[2].w: below the minimum 4 px``), then sorted."""
        items = _spans.check_list(value, self.name, self.min_shapes, self.max_shapes, self.noun)
        clean = []
        seen: set[str] = set()
        for position, raw in enumerate(items):
            where = f"{self.name}[{position}]"
            shape = _spans.check_unknown(raw, where, self.keys)
            if "label" not in shape:
                raise AnswerError(f"{where}.label: is missing")
            out = {"label": self.labels.check(shape["label"], f"{where}.label"),
                   **self.check_geometry(shape, where, size)}
            text = json.dumps(out, sort_keys=True)
            if text in seen:
                raise AnswerError(f"{where}: the same {self.noun} is drawn twice")
            seen.add(text)
            clean.append(out)
        clean.sort(key=self.order_key)
        return clean

    def check_geometry(self, shape: Mapping[str, Any], where: str,
                       size: tuple[float, float] | None) -> dict[str, Any]:
        """The shape's coordinates, checked against the image ``size`` when known."""
        raise NotImplementedError

    def order_key(self, shape: Mapping[str, Any]) -> tuple[Any, ...]:
        raise NotImplementedError

    def check_size(self, width: float, height: float, where: str, names: tuple[str, str]) -> None:
        if width < self.min_size:
            raise AnswerError(f"{where}.{names[0]}: below the minimum {self.min_size} px")
        if height < self.min_size:
            raise AnswerError(f"{where}.{names[1]}: below the minimum {self.min_size} px")
        if width <= 0 or height <= 0:
            raise AnswerError(f"{where}: has no area")

    def parse_form(self, values: list[str]) -> Any:
        """The widget posts the list as JSON in one hidden input; text that is not JSON goes on to
        ``validate`` as it is (and is refused there)."""
        raw = first_entered(values)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    @staticmethod
    def shapes_of(value: Any) -> list[dict[str, Any]]:
        """The shapes a stored (or possibly invalid) value holds."""
        return [s for s in value if isinstance(s, dict)] if isinstance(value, list) else []

    # -- matching -----------------------------------------------------------
    def ious(self, a: list[dict[str, Any]], b: list[dict[str, Any]]) -> np.ndarray:
        """The |a| x |b| matrix of IoU of every pair of (well-formed) shapes."""
        raise NotImplementedError

    def well_formed(self, value: Any) -> list[dict[str, Any]]:
        """The shapes of a value that can be measured (anything malformed left out)."""
        raise NotImplementedError

    def matches(self, a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[tuple[float, int, int]]:
        """Greedy one-to-one label-matched pairs (IoU, i, j) with IoU >= the threshold."""
        if not a or not b:
            return []
        iou = self.ious(a, b)
        same = np.array([[x["label"] == y["label"] for y in b] for x in a], dtype=bool)
        i_idx, j_idx = np.nonzero(same & (iou >= self.iou_threshold))
        return _spans.best_first([(float(iou[i, j]), int(i), int(j)) for i, j in zip(i_idx, j_idx)])

    def score(self, answer: Any, gold: Any) -> float:
        """IoU-matched F1 (label must match, IoU >= ``iou_threshold``); see the module docstring."""
        a, g = self.well_formed(answer), self.well_formed(gold)
        if not a and not g:
            return 1.0
        return 2 * len(self.matches(a, g)) / (len(a) + len(g))

    def distance(self, a: Any, b: Any) -> float:
        """1 − soft F1 of the matched shapes (each match counts its IoU), in [0, 1]."""
        x, y = self.well_formed(a), self.well_formed(b)
        if not x and not y:
            return 0.0
        if not x or not y:
            return 1.0
        overlap = sum(pair[0] for pair in self.matches(x, y))
        return max(0.0, min(1.0, 1.0 - 2 * overlap / (len(x) + len(y))))

    def measures(self) -> list[Measure]:
        return [Measure(self.name, self.level, None, distance=self.distance)]

    def missed(self, answer: Any, gold: Any) -> list[str]:
        """Each gold shape the answer did not match, by label and place."""
        a, g = self.well_formed(answer), self.well_formed(gold)
        matched = {j for _, _, j in self.matches(a, g)}
        return [f"{self.label}: the {shape['label']} {self.noun} at {self.place(shape)}"
                for j, shape in enumerate(g) if j not in matched]

    def place(self, shape: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def describe(self, shape: Any) -> str:
        """Where a (possibly malformed) shape is, for the widget's list; empty when it cannot say."""
        return self.place(shape) if self.well_formed([shape]) else ""

    def bounds(self, shape: Mapping[str, Any]) -> tuple[float, float]:
        """(width, height) of the shape's bounding box, for the size linter."""
        raise NotImplementedError

    # -- widget -------------------------------------------------------------
    def widget_config(self) -> dict[str, Any]:
        return {"target": self.target, "kind": self.type, "min_size": self.min_size,
                "labels": [{"value": l.value, "label": l.label, "hotkey": l.hotkey} for l in self.labels]}


# -- the linter rule both fields bring ---------------------------------------------------------------
def _check_smaller_than(params: Mapping[str, Any], component: Component) -> dict[str, Any]:
    return {"px": config_int(params, "px", default=8, minimum=1)}


def _run_smaller_than(params: Mapping[str, Any], component: Component, value: Any, context: Any) -> str | None:
    if not isinstance(component, ShapeField):
        return None
    limit = params["px"]
    small = [shape for shape in component.well_formed(value) if min(component.bounds(shape)) < limit]
    if not small:
        return None
    return (f"{plural(len(small), component.noun)} smaller than {show(limit)} px "
            f"(the first at {component.place(small[0])})")


SMALLER_THAN = LintRule(
    params=frozenset({"px"}), check=_check_smaller_than, run=_run_smaller_than,
    description="a shape is narrower or shorter than px pixels (default 8): often a slip of the mouse")
