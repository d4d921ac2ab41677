"""Position bias of pairwise fields: how often the response shown on the left wins.

Each candidate pair is shown in an order fixed per assignment and randomised across
assignments (``components.responses``), so without bias the left response wins about half of
the *decisive* answers (ties and "both bad" name no side and are left out). For every field
whose component measures it (``Component.position_bias``; the component says where the chosen
candidate was shown, ``chosen_position``, so no field type is named here) the report gives the
left-win rate, its 95% Wilson score interval (Wilson 1927, "Probable inference, the law of
succession, and statistical inference", JASA 22(158) 209-212), which stays inside [0, 1] and is
sensible for small counts, and whether 50% lies outside it.
"""

from __future__ import annotations

import math
from typing import Any

#: z for a two-sided 95% interval.
Z95 = 1.959963984540054


def wilson_interval(wins: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion ``wins / total``; None without answers."""
    if total <= 0:
        return None
    p = wins / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def position_bias(interface, answers) -> list[dict[str, Any]]:
    """Per position-measured field: ``{field, decisive, left_wins, right_wins, left_rate, low, high,
    biased}`` over the given answers (``agreement.service.Answers``: counted answers)."""
    rows = []
    for component in interface.components:
        if not component.position_bias:
            continue
        left = right = 0
        for answer in answers.answers:
            value = answer.get(component.name)
            position = component.chosen_position(value) if value is not None else None
            if position == 0:
                left += 1
            elif position == 1:
                right += 1
        decisive = left + right
        interval = wilson_interval(left, decisive)
        rows.append({"field": component.name, "decisive": decisive, "left_wins": left, "right_wins": right,
                     "left_rate": left / decisive if decisive else None,
                     "low": interval[0] if interval else None, "high": interval[1] if interval else None,
                     "biased": bool(interval and not interval[0] <= 0.5 <= interval[1])})
    return rows


def position_bias_summary(rows: list[dict[str, Any]]) -> str | None:
    """One sentence for the report's summary; None when no field measures position."""
    if not rows:
        return None
    parts = []
    for row in rows:
        if not row["decisive"]:
            parts.append(f"{row['field']}: no decisive answers yet")
            continue
        verdict = "above 50% beyond chance" if row["biased"] and row["left_rate"] > 0.5 else (
            "below 50% beyond chance" if row["biased"] else "within chance of 50%")
        parts.append(f"{row['field']}: the left response won {row['left_rate']:.0%} of {row['decisive']:,} "
                     f"decisive answers ({verdict})")
    return "Position bias: " + "; ".join(parts) + "."


def with_position_bias(report: dict[str, Any], interface, answers) -> dict[str, Any]:
    """The gap report with ``position_bias`` (rows) and its summary sentence added."""
    rows = position_bias(interface, answers)
    report["position_bias"] = rows
    if (sentence := position_bias_summary(rows)) is not None:
        report.setdefault("summary", {})["position_bias"] = sentence
    return report
