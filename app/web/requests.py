"""Small helpers every handler uses: the caller, the database, JSON bodies."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException

from app.accounts.models import User
from app.db import Database
from app.errors import Invalid
from app.web.bodies import declared_body, unknown_fields
from app.web.text import unstorable_text


def current_user(request: Request) -> User:
    return request.user


def database(request: Request) -> Database:
    return request.app.state.db


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object holding only the fields the route declares (``takes``) and only
    text that can be stored; otherwise a 422 naming each field, before anything is changed."""
    body = declared_body(request.route_handler)
    raw = await request.body()
    try:
        data = json.loads(raw or b"null")
        if not isinstance(data, dict):
            raise Invalid({"body": "must be a JSON object"})
        errors = unknown_fields(data, body) | unstorable_text(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid({"body": f"not valid JSON: {exc}"}) from None
    except (ValueError, RecursionError):  # a number too long to convert, or nesting too deep
        raise Invalid({"body": "not valid JSON: a number has too many digits or the nesting is too deep"}) from None
    if errors:
        raise Invalid(errors)
    return data


async def read_limited(request: Request, limit: int) -> bytes:
    """Read the body, refusing with 413 as soon as it passes ``limit``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ClientException(f"body larger than {limit} bytes", status_code=413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ClientException(f"body larger than {limit} bytes", status_code=413)
        chunks.append(chunk)
    return b"".join(chunks)
