"""Column types and helpers shared by every slice's models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

#: JSON everywhere, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")
#: 64-bit ids on PostgreSQL; SQLite needs INTEGER for its rowid alias to autoincrement.
BigId = BigInteger().with_variant(Integer(), "sqlite")


#: The largest id an Integer / BigId column can hold; a larger id names no row on any backend.
INT_ID_MAX = 2**31 - 1
BIG_ID_MAX = 2**63 - 1


def storable_id(value: Any, maximum: int = INT_ID_MAX) -> bool:
    """Whether ``value`` could be a row id: a positive int the column can hold (never a bool)."""
    return type(value) is int and 0 < value <= maximum


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime stores it on both backends and gives UTC back."""
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, the form every API field and export uses."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def epoch_minute(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class json_append(FunctionElement):
    """``array + [value]`` for a JSON array column, in SQL, on both backends: the work loop adds a
    person's latest time on task without reading the array first. ``value`` is an integer."""

    type = JSONType
    inherit_cache = True
    name = "json_append"


@compiles(json_append, "postgresql")
def _json_append_postgresql(element, compiler, **kw):
    array, value = element.clauses
    return f"({compiler.process(array, **kw)} || jsonb_build_array(CAST({compiler.process(value, **kw)} AS INTEGER)))"


@compiles(json_append, "sqlite")
def _json_append_sqlite(element, compiler, **kw):
    array, value = element.clauses
    return f"json_insert({compiler.process(array, **kw)}, '$[#]', {compiler.process(value, **kw)})"
