"""Per-turn ratings' HTML form: per rated turn one input per criterion, named
``<form_name>.<turn id>.<criterion>``, flag checkboxes ``<form_name>.<turn id>.flags`` and
``<form_name>.overall``; a whole answer as JSON under ``<form_name>`` itself is read too
(components/_scored_form.py).

Turn ids may hold dots; criterion ids and "flags" never do, so the part is what follows the last
dot. Never raises: validate judges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components._checks import parse_number
from components._scored_form import answer_with_overall, split_tagged

if TYPE_CHECKING:
    from components.turn_ratings import TurnRatings


def form_answer(values: list[str], field: "TurnRatings") -> Any:
    whole, overall, inputs = split_tagged(values)
    if whole is not None:
        return whole
    turns: dict[str, dict[str, Any]] = {}
    for place, text in inputs:
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
    return answer_with_overall("turns", entered, overall, field.overall)
