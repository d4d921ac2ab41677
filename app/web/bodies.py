"""A route's request body, declared once: the OpenAPI document describes it, and ``json_object``
refuses any field it does not name.

Bodies are msgspec Structs with ``forbid_unknown_fields`` (msgspec ships with Litestar and writes
JSON Schema with ``additionalProperties: false``). A handler declares its body with
``operation_class=takes(Body)``; it is not a typed ``data`` parameter because Litestar would then
judge the values itself, with its own messages (400) in place of the services' (422 at the field).
Here the edge checks only keys and text; the services keep judging the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Mapping

import msgspec
from litestar.handlers import BaseRouteHandler
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, RequestBody

INVALID = OpenAPIResponse(description='Invalid input: {"error": "...", "errors": {field: message}}. A field the '
                                      'body does not declare is refused ("unknown field"), as is text holding NUL or a '
                                      'lone surrogate; values are checked as each field describes. An import '
                                      'answers {"problems": [{line, message}]} instead.')


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The base of every request body (subclasses inherit the options): unknown fields are refused."""


def takes(body: Any, *, description: str | None = None,
          other_media: Mapping[str, dict[str, Any]] | None = None) -> type[Operation]:
    """An ``operation_class`` for a handler that reads ``body`` as JSON; ``other_media`` describes
    the other content types it accepts (``{"text/csv": {"type": "string"}}``)."""
    content = {"application/json": json_schema(body)} | dict(other_media or {})

    @dataclass
    class Takes(Operation):
        declared_body: ClassVar[Any] = body

        def __post_init__(self) -> None:
            self.request_body = RequestBody(required=True, description=description, content={
                media: OpenAPIMediaType(schema=schema) for media, schema in content.items()})  # type: ignore[arg-type]
            self.responses = {**(self.responses or {}), "422": INVALID}

    Takes.__name__ = Takes.__qualname__ = f"Takes{getattr(body, '__name__', 'Body')}"
    return Takes


def declared_body(handler: BaseRouteHandler) -> Any:
    """The body a handler declared with ``takes``; reading one without declaring it is a bug."""
    body = getattr(getattr(handler, "operation_class", None), "declared_body", None)
    if body is None:
        raise TypeError(f"{handler.handler_name} reads a JSON body without declaring it: "
                        "add operation_class=takes(TheBody) to its route")
    return body


def unknown_fields(data: Any, body: Any, path: str = "") -> dict[str, str]:
    """Keys of ``data`` (and of the objects nested in it that the body declares) that the body does
    not name, by path: ``{"overlapp": "unknown field", "clarification.chnagelog": "unknown field"}``."""
    return _unknown(data, _type_info(body), path)


@lru_cache(maxsize=None)
def _type_info(body: Any) -> msgspec.inspect.Type:
    return msgspec.inspect.type_info(body)


def _unknown(data: Any, info: msgspec.inspect.Type, path: str) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(info, msgspec.inspect.UnionType):
        for member in info.types:
            if isinstance(member, msgspec.inspect.StructType):
                return _unknown(data, member, path)
        return found
    if not isinstance(info, msgspec.inspect.StructType) or not isinstance(data, dict):
        return found
    fields = {field.encode_name: field for field in info.fields}
    for key, value in data.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in fields:
            found[where] = "unknown field"
        else:
            found |= _unknown(value, fields[key].type, where)
    return found


@lru_cache(maxsize=None)
def json_schema(body: Any) -> dict[str, Any]:
    """The body's JSON Schema with every ``$ref`` written out, so each operation is self-contained."""
    schema = msgspec.json.schema(body)
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {key: inline(value) for key, value in node.items() if not (key == "required" and not value)}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return inline(schema)
