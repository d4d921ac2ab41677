"""HTTP Range requests (RFC 9110 §14): one byte range, so players can seek in audio and video."""

from __future__ import annotations

import re

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class Unsatisfiable(ValueError):
    """A range that selects no byte of the file: 416."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (start, end exclusive) a Range header asks of a file of ``size`` bytes; None for the whole
    file (no header, or one this server ignores, as it may: several ranges, another unit, bad syntax).
    Unsatisfiable when the range starts past the end or asks for an empty suffix."""
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable()
        return max(0, size - suffix), size
    start = int(first)
    end = size if not last else min(int(last) + 1, size)
    if last and int(last) < start:
        return None  # invalid: ignored
    if start >= size:
        raise Unsatisfiable()
    return start, end
