"""A rubric's HTML form: one input group per criterion, named ``<form_name>.<criterion>.<part>``
(``f_quality.accuracy.score``, ``.na``, ``.rationale``) and ``<form_name>.overall``.

``Interface.parse_form`` hands a component only what ``form_values`` picks from the posted form;
for a rubric that is every ``<form_name>.*`` input as ``"<criterion>.<part>=<text>"``, and what
was posted under ``<form_name>`` itself as ``"=<text>"`` (a whole answer as JSON, as a co-editing
document or a script may send it). Parsing never raises: ``Rubric.validate`` judges.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping

from components._checks import parse_number

if TYPE_CHECKING:
    from components.rubric import Rubric

_TRUE = frozenset({"true", "on", "1", "yes"})


def form_values(form_name: str, form: Mapping[str, list[str]]) -> list[str]:
    prefix = form_name + "."
    picked: list[str] = []
    for key, values in form.items():
        if key == form_name:
            picked += [f"={value}" for value in values]
        elif isinstance(key, str) and key.startswith(prefix):
            picked += [f"{key[len(prefix):]}={value}" for value in values]
    return picked


def form_answer(values: list[str], rubric: "Rubric") -> Any:
    """The raw answer the inputs describe; None when nothing was entered."""
    criteria: dict[str, dict[str, Any]] = {}
    overall: Any = None
    for posted in values:
        if not isinstance(posted, str):
            continue
        place, _, text = posted.partition("=")
        if place == "":
            whole = _json_object(text)
            if whole is not None:
                return whole
            continue
        if place == "overall":
            overall = _number(text) if overall is None else overall
            continue
        criterion_id, _, part = place.partition(".")
        entry = criteria.setdefault(criterion_id, {})
        if part == "score":
            if entry.get("score") is None:
                entry["score"] = _number(text)
        elif part == "na":
            entry["na"] = entry.get("na", False) or text.strip().lower() in _TRUE
        elif part == "rationale":
            entry["rationale"] = text.replace("\r\n", "\n") if text.strip() else entry.get("rationale")
        else:
            entry[part] = text  # an input the widget never renders: validate names it
    entered = {cid: entry for cid, entry in criteria.items()
               if entry.get("score") is not None or entry.get("na") or entry.get("rationale")
               or set(entry) - {"score", "na", "rationale"}}
    if not entered and overall is None:
        return None
    answer: dict[str, Any] = {"criteria": entered}
    if overall is not None or rubric.overall is not None:
        answer["overall"] = overall
    return answer


def _number(text: str) -> Any:
    return parse_number([text])


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
