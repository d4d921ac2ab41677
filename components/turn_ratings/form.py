"""Per-turn ratings' HTML form: per rated turn one input per criterion, named
``<form_name>.<turn id>.<criterion>``, flag checkboxes ``<form_name>.<turn id>.flags`` and
``<form_name>.overall``; a whole answer as JSON under ``<form_name>`` itself is read too.

``form_values`` tags each as ``"<turn id>.<part>=<text>"`` (turn ids may hold dots; criterion ids
and "flags" never do, so the part is what follows the last dot). Never raises: validate judges.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping

from components._checks import parse_number
from components.rubric.form import form_values as _tagged

if TYPE_CHECKING:
    from components.turn_ratings import TurnRatings


def form_values(form_name: str, form: Mapping[str, list[str]]) -> list[str]:
    return _tagged(form_name, form)


def form_answer(values: list[str], field: "TurnRatings") -> Any:
    turns: dict[str, dict[str, Any]] = {}
    overall: Any = None
    for posted in values:
        if not isinstance(posted, str):
            continue
        place, _, text = posted.partition("=")
        if place == "":
            try:
                whole = json.loads(text)
            except (ValueError, RecursionError):
                continue
            if isinstance(whole, dict):
                return whole
            continue
        if place == "overall":
            if overall is None:
                overall = parse_number([text])
            continue
        turn_id, dot, part = place.rpartition(".")
        if not dot or not turn_id:
            continue
        entry = turns.setdefault(turn_id, {})
        if part == "flags":
            if text.strip():
                entry.setdefault("flags", []).append(text.strip())
        elif text.strip():
            entry.setdefault("ratings", {}).setdefault(part, parse_number([text]))
    entered = {turn_id: {"ratings": entry.get("ratings", {})} | ({"flags": entry["flags"]} if "flags" in entry else {})
               for turn_id, entry in turns.items() if entry}
    if not entered and overall is None:
        return None
    answer: dict[str, Any] = {"turns": entered}
    if overall is not None or field.overall is not None:
        answer["overall"] = overall
    return answer
