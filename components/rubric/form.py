"""A rubric's HTML form: one input group per criterion, named ``<form_name>.<criterion>.<part>``
(``f_quality.accuracy.score``, ``.na``, ``.rationale``) and ``<form_name>.overall``; a whole
answer as JSON under ``<form_name>`` itself is read too (components/_scored_form.py).
Parsing never raises: ``Rubric.validate`` judges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components._checks import parse_number
from components._scored_form import answer_with_overall, split_tagged

if TYPE_CHECKING:
    from components.rubric import Rubric

_TRUE = frozenset({"true", "on", "1", "yes"})


def form_answer(values: list[str], rubric: "Rubric") -> Any:
    """The raw answer the inputs describe; None when nothing was entered."""
    whole, overall, inputs = split_tagged(values)
    if whole is not None:
        return whole
    criteria: dict[str, dict[str, Any]] = {}
    for place, text in inputs:
        criterion_id, _, part = place.partition(".")
        entry = criteria.setdefault(criterion_id, {})
        if part == "score":
            if entry.get("score") is None:
                entry["score"] = parse_number([text])
        elif part == "na":
            entry["na"] = entry.get("na", False) or text.strip().lower() in _TRUE
        elif part == "rationale":
            entry["rationale"] = text.replace("\r\n", "\n") if text.strip() else entry.get("rationale")
        else:
            entry[part] = text  # an input the widget never renders: validate names it
    entered = {cid: entry for cid, entry in criteria.items()
               if entry.get("score") is not None or entry.get("na") or entry.get("rationale")
               or set(entry) - {"score", "na", "rationale"}}
    return answer_with_overall("criteria", entered, overall, rubric.overall)
