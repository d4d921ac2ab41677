"""A rubric's aggregated label in the JSONL export: per criterion (and for the overall score) the
mean and median of the scores the answers gave, whether N/A won, and how far the answers agree.

Shape (``Rubric.export_label``)::

    {"criteria": {"accuracy": {"score": 4.3333, "median": 4, "na": false, "answers": 3,
                               "agreement": 0.6667}, ...},
     "overall": {"score": 4.0, "median": 4, "answers": 3, "agreement": 1.0}}   # null without one

``score`` is the mean of the scores given (N/A answers left out) and ``median`` their median (the
lower middle one for an even number: always a point of the scale), both
null when more answers said N/A than gave a score (then ``na`` is true). ``answers`` counts the
answers that scored the criterion or said N/A. ``agreement`` is the share of them within the
rubric's ``tolerance`` of the median (or saying N/A, when N/A won). The field's confidence is the
lowest agreement over its criteria and the overall score: the label is as sure as its weakest part.
"""

from __future__ import annotations

from statistics import median_low
from typing import Any, Iterable, Mapping

from components._scales import overall_of


def rubric_label(criteria_ids: Iterable[str], has_overall: bool, tolerance: int,
                 values: list[Any]) -> tuple[dict[str, Any], float] | None:
    answers = [value for value in values if isinstance(value, Mapping)]
    if not answers:
        return None
    criteria = {criterion_id: _criterion(criterion_id, answers, tolerance) for criterion_id in criteria_ids}
    overall = None
    if has_overall:
        scores = [score for value in answers if (score := overall_of(value)) is not None]
        if scores:
            overall = _scores(scores, len(scores), tolerance)
    parts = [entry["agreement"] for entry in criteria.values() if entry["answers"]]
    if overall is not None:
        parts.append(overall["agreement"])
    return {"criteria": criteria, "overall": overall}, (min(parts) if parts else 0.0)


def _criterion(criterion_id: str, answers: list[Mapping[str, Any]], tolerance: int) -> dict[str, Any]:
    scores: list[int] = []
    said_na = 0
    for value in answers:
        criteria = value.get("criteria")
        entry = criteria.get(criterion_id) if isinstance(criteria, Mapping) else None
        if not isinstance(entry, Mapping):
            continue
        if entry.get("na"):
            said_na += 1
        elif isinstance(score := entry.get("score"), int) and not isinstance(score, bool):
            scores.append(score)
    given = len(scores) + said_na
    if said_na > len(scores):
        return {"score": None, "median": None, "na": True, "answers": given, "agreement": round(said_na / given, 4)}
    if not scores:
        return {"score": None, "median": None, "na": False, "answers": 0, "agreement": 0.0}
    return {**_scores(scores, given, tolerance), "na": False}


def _scores(scores: list[int], given: int, tolerance: int) -> dict[str, Any]:
    middle = median_low(scores)  # a point of the scale, also for an even number of scores
    close = sum(1 for score in scores if abs(score - middle) <= tolerance)
    return {"score": round(sum(scores) / len(scores), 4), "median": middle, "answers": given,
            "agreement": round(close / given, 4)}
