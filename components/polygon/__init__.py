"""Polygons: labelled outlines drawn on a shown image (``[{label, points: [[x, y], …]}]``, pixels).

Checks, matching, F1 and the agreement distance are ``components._shapes``'s (see its docstring);
polygon IoU is shapely's (GEOS), on polygons made valid first.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import shapely

from components._checks import show
from components._shapes import SMALLER_THAN, ShapeField, pixel
from components.base import AnswerError

#: Most points one polygon may have (bounds validation and IoU work).
MAX_POINTS = 1000


class Polygon(ShapeField):
    type = "polygon"
    description = "Labelled polygons drawn on a shown image (mouse or keyboard), in image pixels"
    noun = "polygon"
    keys = frozenset({"label", "points"})

    @classmethod
    def answer_schema(cls) -> dict[str, Any]:
        point = {"type": "array", "items": {"type": "number", "minimum": 0}, "minItems": 2, "maxItems": 2}
        return {"type": "array", "items": {"type": "object", "properties": {
            "label": {"type": "string"},
            "points": {"type": "array", "items": point, "minItems": 3, "maxItems": MAX_POINTS}},
            "required": ["label", "points"], "additionalProperties": False},
            "description": "pixels of the target image: each point [x, y], the ring closed implicitly"}

    def check_geometry(self, shape: Mapping[str, Any], where: str,
                       size: tuple[float, float] | None) -> dict[str, Any]:
        raw = shape.get("points")
        if raw is None:
            raise AnswerError(f"{where}.points: is missing")
        if not isinstance(raw, list):
            raise AnswerError(f"{where}.points: must be a list of [x, y] points")
        if len(raw) < 3:
            raise AnswerError(f"{where}.points: needs at least 3 points")
        if len(raw) > MAX_POINTS:
            raise AnswerError(f"{where}.points: at most {MAX_POINTS} points")
        points = []
        for index, point in enumerate(raw):
            at = f"{where}.points[{index}]"
            if not isinstance(point, list) or len(point) != 2:
                raise AnswerError(f"{at}: must be [x, y]")
            x, y = pixel(point[0], f"{at}[0]"), pixel(point[1], f"{at}[1]")
            if x < 0 or y < 0:
                raise AnswerError(f"{at}: outside the image (below 0)")
            if size is not None and (x > size[0] or y > size[1]):
                raise AnswerError(f"{at}: outside the image ({show(size[0])}×{show(size[1])} px)")
            points.append([x, y])
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        self.check_size(max(xs) - min(xs), max(ys) - min(ys), where, ("points", "points"))
        if shapely.make_valid(shapely.Polygon(points)).area <= 0:
            raise AnswerError(f"{where}.points: the outline encloses no area")
        return {"points": points}

    def check_size(self, width: float, height: float, where: str, names: tuple[str, str]) -> None:
        if min(width, height) < self.min_size:
            raise AnswerError(f"{where}.points: {show(width)}×{show(height)} px, below the minimum "
                              f"{self.min_size} px")

    def order_key(self, shape: Mapping[str, Any]) -> tuple[Any, ...]:
        return min(p[1] for p in shape["points"]), min(p[0] for p in shape["points"]), shape["label"], shape["points"]

    def well_formed(self, value: Any) -> list[dict[str, Any]]:
        out = []
        for shape in self.shapes_of(value):
            points = shape.get("points")
            if isinstance(points, list) and len(points) >= 3 and all(
                    isinstance(p, list) and len(p) == 2 and all(isinstance(c, (int, float)) for c in p)
                    for p in points):
                out.append(shape)
        return out

    @staticmethod
    def geometries(shapes: list[dict[str, Any]]) -> np.ndarray:
        return shapely.make_valid(np.array([shapely.Polygon(s["points"]) for s in shapes], dtype=object))

    def ious(self, a: list[dict[str, Any]], b: list[dict[str, Any]]) -> np.ndarray:
        ga, gb = self.geometries(a)[:, None], self.geometries(b)[None, :]
        inter = shapely.area(shapely.intersection(ga, gb))
        union = shapely.area(ga) + shapely.area(gb) - inter
        return np.divide(inter, union, out=np.zeros_like(inter, dtype=np.float64), where=union > 0)

    def place(self, shape: Mapping[str, Any]) -> str:
        x, y = shape["points"][0]
        return f"({show(x)}, {show(y)}), {len(shape['points'])} points"

    def bounds(self, shape: Mapping[str, Any]) -> tuple[float, float]:
        xs, ys = [p[0] for p in shape["points"]], [p[1] for p in shape["points"]]
        return max(xs) - min(xs), max(ys) - min(ys)


Polygon.lint_rules = {"boxes_smaller_than": SMALLER_THAN}

COMPONENT = Polygon
