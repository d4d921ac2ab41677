"""A multipart/form-data upload streamed to temporary files, a part per file, each with its own limit.

Litestar's form parsing reads the whole body first; an import with a zip of media may be
gigabytes, so the body is parsed as it arrives (``multipart``'s push parser) and each part
written to disk. A part past its limit is refused with 413 at once.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from litestar import Request
from litestar.exceptions import ClientException
from multipart import MultipartError, MultipartSegment, ParserLimitReached, PushMultipartParser, parse_options_header

from app.errors import Invalid


@dataclass
class SpooledPart:
    file: BinaryIO
    filename: str | None
    content_type: str | None


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == "multipart/form-data"


async def spool_form(request: Request, limits: dict[str, int]) -> dict[str, SpooledPart]:
    """The parts named in ``limits`` (name → most bytes), each in a temporary file at its start.
    Invalid for a part of another name or a malformed body; 413 for a part over its limit."""
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get("boundary")
    if not boundary:
        raise Invalid({"content-type": "multipart/form-data needs a boundary"})
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > sum(limits.values()) + 64 * 1024:
        raise ClientException(f"body larger than {sum(limits.values())} bytes", status_code=413)
    parts: dict[str, SpooledPart] = {}
    current: SpooledPart | None = None
    name, size = "", 0
    try:
        with PushMultipartParser(boundary, max_segment_size=max(limits.values()) + 1) as parser:
            async for chunk in request.stream():
                if not chunk:
                    continue  # the end is told below, once
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        name, size = event.name, 0
                        if name not in limits:
                            raise Invalid({name: f"unknown part; send {' and '.join(limits)}"})
                        if name in parts:
                            raise Invalid({name: "sent twice"})
                        current = parts[name] = SpooledPart(tempfile.TemporaryFile(prefix="inkwell-upload-"),
                                                            event.filename, event.content_type)
                    elif event and current is not None:
                        size += len(event)
                        if size > limits[name]:
                            raise ClientException(f"{name} larger than {limits[name]} bytes", status_code=413)
                        current.file.write(event)
                    elif event is None:
                        current = None
            for _ in parser.parse(b""):
                pass
    except MultipartError as exc:
        _close(parts)
        if isinstance(exc, ParserLimitReached):
            raise ClientException(f"a part is larger than allowed: {exc}", status_code=413) from None
        raise Invalid({"body": f"not a readable multipart/form-data body: {exc}"}) from None
    except BaseException:
        _close(parts)
        raise
    for part in parts.values():
        part.file.seek(0)
    return parts


def _close(parts: dict[str, SpooledPart]) -> None:
    for part in parts.values():
        part.file.close()
