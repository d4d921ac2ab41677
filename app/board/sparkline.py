"""An SVG polyline for a list of per-minute counts."""

from __future__ import annotations

WIDTH, HEIGHT = 120, 24


def sparkline_points(values: list[int], width: int = WIDTH, height: int = HEIGHT) -> str:
    if not values:
        return ""
    top = max(values) or 1
    step = width / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{height - (v / top) * (height - 2) - 1:.1f}" for i, v in enumerate(values))
