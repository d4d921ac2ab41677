"""Boxes: labelled axis-aligned rectangles drawn on a shown image (``[{label, x, y, w, h}]``, pixels).

Checks, matching, F1 and the agreement distance are ``components._shapes``'s (see its docstring);
box IoU is plain arithmetic on the corners, vectorised with numpy.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from components._checks import is_number, show
from components._shapes import SMALLER_THAN, ShapeField, pixel
from components.base import AnswerError


class BBox(ShapeField):
    type = "bbox"
    description = "Labelled boxes drawn on a shown image (mouse or keyboard), in image pixels"
    noun = "box"
    keys = frozenset({"label", "x", "y", "w", "h"})

    @classmethod
    def answer_schema(cls) -> dict[str, Any]:
        number = {"type": "number", "minimum": 0}
        return {"type": "array", "items": {"type": "object", "properties": {
            "label": {"type": "string"}, "x": number, "y": number, "w": number, "h": number},
            "required": ["label", "x", "y", "w", "h"], "additionalProperties": False},
            "description": "pixels of the target image: x, y the top left corner, w, h the size"}

    def check_geometry(self, shape: Mapping[str, Any], where: str,
                       size: tuple[float, float] | None) -> dict[str, Any]:
        for key in ("x", "y", "w", "h"):
            if key not in shape:
                raise AnswerError(f"{where}.{key}: is missing")
        x, y, w, h = (pixel(shape[key], f"{where}.{key}") for key in ("x", "y", "w", "h"))
        if x < 0:
            raise AnswerError(f"{where}.x: must be at least 0")
        if y < 0:
            raise AnswerError(f"{where}.y: must be at least 0")
        self.check_size(w, h, where, ("w", "h"))
        if size is not None:
            width, height = size
            if x + w > width:
                raise AnswerError(f"{where}.w: reaches beyond the image ({show(width)} px wide)")
            if y + h > height:
                raise AnswerError(f"{where}.h: reaches beyond the image ({show(height)} px high)")
        return {"x": x, "y": y, "w": w, "h": h}

    def order_key(self, shape: Mapping[str, Any]) -> tuple[Any, ...]:
        return shape["y"], shape["x"], shape["w"], shape["h"], shape["label"]

    def well_formed(self, value: Any) -> list[dict[str, Any]]:
        return [shape for shape in self.shapes_of(value)
                if all(is_number(shape.get(k)) and math.isfinite(shape[k]) for k in "xywh")
                and shape["w"] > 0 and shape["h"] > 0]

    def ious(self, a: list[dict[str, Any]], b: list[dict[str, Any]]) -> np.ndarray:
        def corners(shapes):
            array = np.array([[s["x"], s["y"], s["w"], s["h"]] for s in shapes], dtype=np.float64)
            return array[:, 0], array[:, 1], array[:, 0] + array[:, 2], array[:, 1] + array[:, 3]

        ax0, ay0, ax1, ay1 = (c[:, None] for c in corners(a))
        bx0, by0, bx1, by1 = (c[None, :] for c in corners(b))
        inter = (np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
                 * np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None))
        union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
        return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)

    def place(self, shape: Mapping[str, Any]) -> str:
        return f"({show(shape['x'])}, {show(shape['y'])}) {show(shape['w'])}×{show(shape['h'])} px"

    def bounds(self, shape: Mapping[str, Any]) -> tuple[float, float]:
        return shape["w"], shape["h"]


BBox.lint_rules = {"boxes_smaller_than": SMALLER_THAN}

COMPONENT = BBox
