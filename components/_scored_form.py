"""The HTML form of a field with many inputs (a rubric, per-turn ratings): each input is named
under the field's form name (``f_quality.accuracy.score``, ``f_turns.t3.helpful``), the optional
overall score is ``<form_name>.overall``, and a whole answer may be posted as JSON under
``<form_name>`` itself (as a co-editing document or a script sends it).

``tagged_values`` is what the field's ``form_values`` hands ``parse_form``: each input as
``"<rest of its name>=<text>"``, the whole-answer JSON as ``"=<text>"``. Parsing never raises:
the component's ``validate`` judges."""

from __future__ import annotations

import json
from typing import Any, Mapping

from components._checks import parse_number
from components._scales import Scale


def tagged_values(form_name: str, form: Mapping[str, list[str]]) -> list[str]:
    prefix = form_name + "."
    picked: list[str] = []
    for key, values in form.items():
        if key == form_name:
            picked += [f"={value}" for value in values]
        elif isinstance(key, str) and key.startswith(prefix):
            picked += [f"{key[len(prefix):]}={value}" for value in values]
    return picked


def split_tagged(values: list[str]) -> tuple[dict[str, Any] | None, Any, list[tuple[str, str]]]:
    """(the first whole answer posted as a JSON object, else None; the first overall score
    entered, else None; every other input as (place, text), in the order posted)."""
    whole: dict[str, Any] | None = None
    overall: Any = None
    inputs: list[tuple[str, str]] = []
    for posted in values:
        if not isinstance(posted, str):
            continue
        place, _, text = posted.partition("=")
        if place == "":
            if whole is None:
                whole = _json_object(text)
        elif place == "overall":
            if overall is None:
                overall = parse_number([text])
        else:
            inputs.append((place, text))
    return whole, overall, inputs


def answer_with_overall(key: str, entered: dict[str, Any], overall: Any, scale: Scale | None) -> dict[str, Any] | None:
    """``{key: entered, "overall": overall}``; None when nothing was entered. ``overall`` is
    there whenever it was entered or the field has an overall score (so validate can ask for it)."""
    if not entered and overall is None:
        return None
    answer: dict[str, Any] = {key: entered}
    if overall is not None or scale is not None:
        answer["overall"] = overall
    return answer


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
