"""Position bias: how often the candidate shown first wins, against the 1 in N chance.

Candidates are shown in an order fixed per assignment and randomised across assignments
(``components.responses``), so without bias the candidate shown first wins about 1 in N of the
*decisive* answers, N the candidates the answer was given on: the left response of a pair about
half the time, the first of three responses ranked top about a third. For every field whose
component measures it (``Component.position_bias``) the component says where the winning
candidate was shown (``chosen_position``: 0 = first/left; None when the answer chose none, such
as a tie or "both bad", which are left out) and how many were shown (``positions_shown``; two
when a component does not say, a pair), so no field type is named here.

Each row gives the first-shown win rate, its 95% Wilson score interval (Wilson 1927, "Probable
inference, the law of succession, and statistical inference", JASA 22(158) 209-212), which stays
inside [0, 1] and is sensible for small counts, the chance rate (the mean of 1/N over the
decisive answers: exactly 1/N when every item shows N) and whether the chance rate lies outside
the interval. When N differs between items the first-shown wins are a sum of Bernoulli trials
with different chances, whose variance is below the binomial one at their mean, so the interval
is, if anything, conservative.

Rows of fields whose decisive answers were all given on two candidates also carry the
left/right figures (``left_wins``, ``right_wins``, ``left_rate``) the report has always had;
elsewhere those are null.
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
    biased, first_wins, first_rate, chance_rate, most_shown}`` over the given answers
    (``agreement.service.Answers``: counted answers); ``most_shown`` is the most candidates a
    decisive answer was given on (None without decisive answers)."""
    rows = []
    for component in interface.components:
        if not component.position_bias:
            continue
        first = second = decisive = 0
        chance, most_shown = 0.0, 0
        for answer in answers.answers:
            value = answer.get(component.name)
            if value is None:
                continue
            position = component.chosen_position(value)
            shown = component.positions_shown(value) if position is not None else None
            if shown is None or shown < 2 or not 0 <= position < shown:
                continue
            decisive += 1
            chance += 1 / shown
            most_shown = max(most_shown, shown)
            first += position == 0
            second += position == 1
        interval = wilson_interval(first, decisive)
        chance_rate = chance / decisive if decisive else None
        pairs = most_shown <= 2
        rows.append({"field": component.name, "decisive": decisive,
                     "left_wins": first if pairs else None, "right_wins": second if pairs else None,
                     "left_rate": first / decisive if decisive and pairs else None,
                     "low": interval[0] if interval else None, "high": interval[1] if interval else None,
                     "biased": bool(interval and not interval[0] <= chance_rate <= interval[1]),
                     "first_wins": first, "first_rate": first / decisive if decisive else None,
                     "chance_rate": chance_rate, "most_shown": most_shown or None})
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
        if row["left_rate"] is not None:
            verdict = "above 50% beyond chance" if row["biased"] and row["left_rate"] > 0.5 else (
                "below 50% beyond chance" if row["biased"] else "within chance of 50%")
            parts.append(f"{row['field']}: the left response won {row['left_rate']:.0%} of {row['decisive']:,} "
                         f"decisive answers ({verdict})")
            continue
        chance = row["chance_rate"]
        verdict = (f"above {chance:.0%} beyond chance" if row["biased"] and row["first_rate"] > chance else
                   f"below {chance:.0%} beyond chance" if row["biased"] else f"within chance of {chance:.0%}")
        parts.append(f"{row['field']}: the candidate shown first came top in {row['first_rate']:.0%} of "
                     f"{row['decisive']:,} decisive answers ({verdict})")
    return "Position bias: " + "; ".join(parts) + "."


def with_position_bias(report: dict[str, Any], interface, answers) -> dict[str, Any]:
    """The gap report with ``position_bias`` (rows) and its summary sentence added."""
    rows = position_bias(interface, answers)
    report["position_bias"] = rows
    if (sentence := position_bias_summary(rows)) is not None:
        report.setdefault("summary", {})["position_bias"] = sentence
    return report
