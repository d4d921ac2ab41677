"""Text a database cannot store, found before anything is stored.

PostgreSQL refuses NUL in text and JSON; a lone surrogate (``"\\ud800"`` in JSON) is not valid
Unicode, so no driver can encode it and no response can carry it. Both are refused at the edge,
with the place they were found, so a request that would fail halfway never starts.
"""

from __future__ import annotations

from typing import Any

NUL = "contains a NUL character (\\u0000), which cannot be stored"
SURROGATE = "contains a lone surrogate (\\ud800-\\udfff), which is not valid Unicode"


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None."""
    if "\x00" in text:
        return NUL
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return None


def unstorable_text(value: Any, path: str = "") -> dict[str, str]:
    """Every string (and object key) in parsed JSON that cannot be stored, by its path:
    ``name``, ``review.tags[1]``; a bad key is reported at its object."""
    problems: dict[str, str] = {}
    _walk(value, path, problems)
    return problems


def _walk(value: Any, path: str, problems: dict[str, str]) -> None:
    if isinstance(value, str):
        if problem := text_problem(value):
            problems[path or "body"] = problem
    elif isinstance(value, dict):
        for key, item in value.items():
            if problem := text_problem(key):
                problems[path or "body"] = f"a key {problem}"
                continue
            _walk(item, f"{path}.{key}" if path else key, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]", problems)
