"""Parse an uploaded import of items (JSON, JSONL, CSV or a Label Studio export) into records.

Pure: no database, no I/O. An import is all-or-nothing: ``parse_items`` either
returns every record or raises ``ImportRejected`` listing every problem found
(up to ``MAX_REPORTED``) with the line it is on.

Each JSON object is either the item's data itself, or a *wrapper*::

    {"data": {...}, "external_id": "a1", "gold": {...}, "explanation": "...",
     "annotations": [{"annotator": "ann-7", "answer": {...}, "created_at": "..."}]}

Any object with a ``data`` key is a wrapper: its ``data`` must be an object and
every other key one of the above. An unknown key (a typo such as
``anotations``, or a field some later feature may define) is a problem on its
line rather than being stored as data, which would lose the id, gold and
annotations without a word. Plain data whose own field is called ``data`` is
imported wrapped: ``{"data": {"data": ...}}``.

A JSON array may also be Label Studio's "JSON" export (format ``labelstudio``,
or detected in a JSON array; see ``_is_labelstudio``). Each task becomes one
record: its ``data``, ``id`` as external_id, and one prior annotation per
annotation that was not cancelled, by ``labelstudio:<user id>``, its
``result`` mapped onto the interface's fields by ``from_name`` (see
``_LS_RESULTS``). Problems are numbered by task (1-based).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from array import array
from dataclasses import dataclass
from datetime import datetime
from hashlib import blake2b
from typing import Any, BinaryIO, Collection, Iterable, Iterator, Protocol

import numpy as np

from app.items.reading import JsonArray, JsonSyntaxError, NotAnArray, detach, line_of_bad_utf8, shared, text_of
from app.web.text import unstorable_text
from components.base import Interface

FORMATS = ("json", "jsonl", "csv", "labelstudio")
MAX_REPORTED = 100

#: The keys of a line that has "data", in the order README lists them; no other key is taken.
WRAPPER_KEY_ORDER = ("data", "external_id", "gold", "explanation", "annotations")
WRAPPER_KEYS = frozenset(WRAPPER_KEY_ORDER)
_WRAPPER_KEYS_LISTED = ", ".join(WRAPPER_KEY_ORDER)
ANNOTATION_KEYS = frozenset({"annotator", "answer", "created_at"})
EXTERNAL_ID_COLUMN = "external_id"
#: external_id and annotator columns hold at most this many characters.
ID_LIMIT = 200

#: A JSON escape of a UTF-16 surrogate: the only way a lone one (not valid Unicode) gets into decoded text.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _NonStandardNumber(ValueError):
    """NaN/Infinity: Python's json accepts them, JSON (and PostgreSQL's jsonb) do not."""


def _reject_constant(name: str) -> Any:
    raise _NonStandardNumber(f"invalid JSON: {name} is not a number JSON allows")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)

_BOM = b"\xef\xbb\xbf"
_NON_SPACE = re.compile(rb"[^ \t\r\n\f\v]")

_EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_CONTENT_TYPES = {
    "application/json": "json",
    "text/json": "json",
    "application/x-ndjson": "jsonl",
    "application/ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonl": "jsonl",
    "application/jsonlines": "jsonl",
    "application/x-jsonlines": "jsonl",
    "text/csv": "csv",
    "application/csv": "csv",
}

_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


# -- results ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PriorAnnotation:
    annotator: str  # external annotator name/id as given
    answer: dict  # validated, normalised answer
    created_at: str | None = None  # ISO 8601 as given, checked to parse


@dataclass(slots=True)
class ItemRecord:
    #: 1-based: JSONL/CSV the physical line (CSV header is line 1, so the first
    #: row is line 2; a multi-line quoted row gets its first line); JSON array:
    #: the array index + 1 ("item N").
    line: int
    data: dict
    external_id: str | None
    gold: dict | None  # validated, normalised gold answer
    explanation: str | None
    annotations: list[PriorAnnotation]


@dataclass(frozen=True, slots=True)
class ImportProblem:
    line: int
    message: str


class ImportRejected(Exception):
    """The import as a whole was refused; ``problems`` says why, line by line."""

    #: How many problems ``str()`` spells out (``problems`` keeps up to MAX_REPORTED).
    SHOWN_IN_STR = 10

    def __init__(self, problems: list[ImportProblem], total: int | None = None, unit: str = "line"):
        self.problems = list(problems[:MAX_REPORTED])
        self.total = len(problems) if total is None else max(total, len(self.problems))
        #: "line" for JSONL/CSV (and JSON syntax errors), "item" for JSON array entries.
        self.unit = unit
        super().__init__(self._summary())

    def _summary(self) -> str:
        noun = "problem" if self.total == 1 else "problems"
        parts = [f"import rejected: {self.total} {noun}"]
        parts += [f"{self.unit} {p.line}: {p.message}" for p in self.problems[: self.SHOWN_IN_STR]]
        rest = self.total - min(len(self.problems), self.SHOWN_IN_STR)
        if rest > 0:
            parts.append(f"and {rest} more")
        return "; ".join(parts)

    def __str__(self) -> str:
        return self._summary()

    def __reduce__(self):
        return (self.__class__, (self.problems, self.total, self.unit))

    def to_dict(self) -> dict:
        return {
            "error": "import rejected",
            "problems": [{"line": p.line, "message": p.message} for p in self.problems],
            "total": self.total,
        }


# -- format -------------------------------------------------------------------
def detect_format(filename: str | None, content_type: str | None, body: bytes) -> str:
    """Extension first, then content type, then a sniff of the first non-space byte."""
    if filename:
        name = filename.strip().lower()
        dot = name.rfind(".")
        if dot != -1 and name[dot:] in _EXTENSIONS:
            return _EXTENSIONS[name[dot:]]
    if content_type:
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime in _CONTENT_TYPES:
            return _CONTENT_TYPES[mime]
    start = len(_BOM) if body.startswith(_BOM) else 0
    match = _NON_SPACE.search(body, start)
    if match is not None:
        first = body[match.start() : match.start() + 1]
        if first == b"[":
            return "json"
        if first == b"{":
            return "jsonl"
    return "csv"


# -- parsing ------------------------------------------------------------------
class RecordSink(Protocol):
    """Where valid records go as they are read: a list (``parse_items``) or a spool on disk."""

    def add(self, record: ItemRecord) -> None: ...

    def external_ids_at(self, lines: Collection[int]) -> dict[int, str]:
        """The external id of the record on each of ``lines`` (only records added, only lines asked)."""
        ...


class RecordList(list):
    """Every record in memory: for small imports made in code (the demo seed, tests)."""

    def add(self, record: ItemRecord) -> None:
        self.append(record)

    def external_ids_at(self, lines: Collection[int]) -> dict[int, str]:
        wanted = set(lines)
        return {r.line: r.external_id for r in self if r.line in wanted and r.external_id is not None}


class _Problems:
    """Collects problems, keeping the first MAX_REPORTED but counting all."""

    __slots__ = ("kept", "total")

    def __init__(self) -> None:
        self.kept: list[ImportProblem] = []
        self.total = 0

    def add(self, line: int, message: str) -> None:
        self.total += 1
        if len(self.kept) < MAX_REPORTED:
            self.kept.append(ImportProblem(line, message))

    def only(self, line: int, message: str) -> None:
        """A problem that makes every other one moot (the text is not JSON at all)."""
        self.kept, self.total = [], 0
        self.add(line, message)

    def merge(self, more: list[ImportProblem]) -> None:
        """Problems found after the pass (repeated ids), kept in line order with the rest."""
        if more:
            self.total += len(more)
            self.kept = sorted(self.kept + more, key=lambda p: p.line)[:MAX_REPORTED]


def parse_items(body: bytes, fmt: str, interface: Interface) -> list[ItemRecord]:
    """All records of an import held in memory, or ImportRejected with every problem found."""
    records = RecordList()
    parse_stream(io.BytesIO(body), fmt, interface, records)
    return records


def parse_stream(source: BinaryIO, fmt: str, interface: Interface, sink: RecordSink) -> int:
    """Read and check every record of ``source`` (a binary file, read from its start), handing each
    valid one to ``sink`` as soon as it is read; return how many. Raises ImportRejected, after reading
    everything, when anything was wrong: the sink's records must then be thrown away.

    Memory stays flat with the upload's size: one piece of text, one decoded value and one record at
    a time, and 24 bytes per external id to find repeats (``_IdLedger``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown import format {fmt!r}; expected one of {', '.join(FORMATS)}")
    problems = _Problems()
    builder = _RecordBuilder(interface, problems, sink)
    unit = "line"
    malformed = False
    try:
        if fmt in ("json", "labelstudio"):
            found = _parse_json(source, builder, problems, labelstudio=fmt == "labelstudio")
            malformed = found is None  # syntax error: reported by physical line
            unit = found or "line"
        elif fmt == "jsonl":
            _parse_jsonl(source, builder, problems)
        else:
            _parse_csv(source, builder, problems)
    except UnicodeDecodeError:
        problems.add(line_of_bad_utf8(source), "not UTF-8 text")
    if not malformed:
        problems.merge(builder.duplicates())
    if problems.total:
        raise ImportRejected(problems.kept, problems.total, unit=unit)
    if not builder.count:
        raise ImportRejected([ImportProblem(1, "no items found")])
    return builder.count


def _type_name(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _needs_text_check(raw: str) -> bool:
    """Whether a value's JSON text could decode to text that cannot be stored (a NUL, raw or
    escaped, or an escaped surrogate): substring scans, so clean values are never walked."""
    return "\x00" in raw or "\\u0000" in raw or _SURROGATE_ESCAPE.search(raw) is not None


def _parse_json(source: BinaryIO, builder: "_RecordBuilder", problems: _Problems,
                labelstudio: bool = False) -> str | None:
    """Build every entry of the array; return the unit problems are numbered by, or None after a
    syntax error (then the only problem, by physical line).

    Whether an array is a Label Studio export depends on all of its entries (``_is_labelstudio``),
    so a JSON array not declared as one is read twice: first to decide, then to build."""
    wanted = "Label Studio tasks" if labelstudio else "items"
    if not labelstudio:
        labelstudio = _labelstudio_stream(source)
    builder.unit = "task" if labelstudio else "item"
    build = builder.build_labelstudio if labelstudio else builder.build
    text = text_of(source, newline="")
    array = JsonArray(text, _DECODER)
    try:
        for index, (value, raw) in enumerate(shared(array.values()), start=1):
            builder.check_text = _needs_text_check(raw)
            build(value, index)
    except JsonSyntaxError as exc:
        problems.only(exc.line, f"invalid JSON: {exc.message} (column {exc.column})")
        return None
    except NotAnArray as exc:
        problems.only(1, f"expected a JSON array of {wanted}, got {_article(_type_name(exc.value))}")
        return None
    except _NonStandardNumber as exc:
        problems.only(array.line_of(array.value_start), str(exc))
        return None
    except RecursionError:
        problems.only(array.line_of(array.value_start), "invalid JSON: nested too deeply")
        return None
    except UnicodeDecodeError:  # a ValueError too, but not the decoder's: parse_stream reports it
        raise
    except ValueError:  # an integer longer than Python converts
        problems.only(array.line_of(_long_number_at(array.buffer, array.value_start)), _LONG_NUMBER_MESSAGE)
        return None
    finally:
        detach(text)
    return builder.unit


def _labelstudio_stream(source: BinaryIO) -> bool:
    """``_is_labelstudio`` over the array's entries as they are read (False if it is not JSON)."""
    text = text_of(source, newline="")
    try:
        return _is_labelstudio(value for value, _ in shared(JsonArray(text, _DECODER).values()))
    except UnicodeDecodeError:
        raise
    except (JsonSyntaxError, NotAnArray, ValueError, RecursionError):  # the building pass reports it
        return False
    finally:
        detach(text)


_LONG_NUMBER_MESSAGE = f"invalid JSON: a number with more than {sys.get_int_max_str_digits()} digits"
_LONG_NUMBER = re.compile(r"\d{%d,}" % (sys.get_int_max_str_digits() + 1))


def _long_number_at(text: str, start: int) -> int:
    found = _LONG_NUMBER.search(text, start)
    return found.start() if found else start


def _parse_jsonl(source: BinaryIO, builder: "_RecordBuilder", problems: _Problems) -> None:
    build = builder.build
    loads = _DECODER.decode  # json.loads minus its per-call type checks
    decode_error = json.JSONDecodeError
    bad_number = _NonStandardNumber
    first_content_line = 0
    # Lines end at "\n" only: U+2028 etc. may legally sit inside JSON strings.
    text = text_of(source, newline="\n")
    try:
        for number, raw in enumerate(shared(text), start=1):
            if raw[-1:] == "\n":  # the line's end is not part of its JSON (an unclosed string ends there)
                raw = raw[:-1]
            if not raw or raw.isspace():
                continue
            if not first_content_line:
                first_content_line = number
            try:
                obj = loads(raw)
            except decode_error as exc:
                message = f"invalid JSON: {exc.msg} (column {exc.colno})"
                if number == first_content_line and raw.lstrip().startswith("["):
                    message += "; this looks like a JSON array, upload it as .json"
                problems.add(number, message)
                continue
            except bad_number as exc:
                problems.add(number, str(exc))
                continue
            except RecursionError:
                problems.add(number, "invalid JSON: nested too deeply")
                continue
            except ValueError:  # an integer longer than Python converts
                problems.add(number, _LONG_NUMBER_MESSAGE)
                continue
            builder.check_text = _needs_text_check(raw)
            build(obj, number)
    finally:
        detach(text)


def _csv_rows(text: io.TextIOBase, problems: _Problems) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of every non-blank CSV row; malformed rows are reported.

    csv.reader rather than DictReader: it yields blank lines as [] so each row
    starts exactly one line after the previous row ended (``line_num``), which
    keeps line numbers right across quoted multi-line cells.
    """
    # strict: an unbalanced quote is an error rather than a cell that silently
    # swallows every following row.
    reader = csv.reader(text, strict=True)
    previous_end = 0
    while True:
        line = previous_end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = str(exc)
            if message == "unexpected end of data":
                message = "a quoted cell starting in this row is never closed"
            problems.add(line, f"invalid CSV: {message}")
            if reader.line_num <= previous_end:  # no progress: give up
                return
            previous_end = reader.line_num
            continue
        previous_end = reader.line_num
        # Skip blank lines and rows of blank cells (spreadsheet padding).
        if row and any(cell and not cell.isspace() for cell in row):
            yield line, row


def _parse_csv(source: BinaryIO, builder: "_RecordBuilder", problems: _Problems) -> None:
    text = text_of(source, newline="")
    try:
        _csv_records(text, builder, problems)
    finally:
        detach(text)


def _csv_records(text: io.TextIOBase, builder: "_RecordBuilder", problems: _Problems) -> None:
    rows = _csv_rows(text, problems)
    first = next(rows, None)
    if first is None:
        return
    header_line, header = first
    columns = [cell.strip() for cell in header]
    seen_columns: set[str] = set()
    for position, column in enumerate(columns, start=1):
        if not column:
            problems.add(header_line, f"column {position} has an empty header")
        elif column in seen_columns:
            problems.add(header_line, f"duplicate column {column!r}")
        seen_columns.add(column)
    id_index = columns.index(EXTERNAL_ID_COLUMN) if EXTERNAL_ID_COLUMN in columns else -1
    data_columns = [(i, c) for i, c in enumerate(columns) if i != id_index]
    width = len(columns)

    for line, row in shared(rows):
        if len(row) > width:
            problems.add(line, f"row has {len(row)} cells but the header has {width} columns")
            continue
        if len(row) < width:  # trailing cells left off: empty
            row = row + [""] * (width - len(row))
        data = {column: row[i] for i, column in data_columns}
        if not any(value and not value.isspace() for value in data.values()):
            problems.add(line, "item data is empty")
            continue
        # Cells decoded from UTF-8 hold no surrogate; only a NUL needs the full check.
        if any("\x00" in cell for cell in row) and (problem := _unstorable(row)):
            problems.add(line, problem)
            continue
        external_id = (row[id_index].strip() or None) if id_index != -1 else None
        if external_id is not None and len(external_id) > ID_LIMIT:
            problems.add(line, f"external_id is longer than {ID_LIMIT} characters")
            continue
        builder.accept(ItemRecord(line, data, external_id, None, None, []))


def _unstorable(value: Any) -> str | None:
    """Why a decoded value cannot be stored (a NUL, which PostgreSQL refuses, or a lone
    surrogate, which no database can encode), or None."""
    problems = unstorable_text(value)
    return f"item {next(iter(problems.values()))}" if problems else None


class _IdLedger:
    """Which external ids of an upload repeat, in 24 bytes an id.

    A dict of a million ids took ~250 MB; this keeps a 128-bit BLAKE2 digest and the line of each
    id, sorted once at the end (numpy). A digest match is confirmed on the ids themselves
    (``RecordSink.external_ids_at``) before it is reported, so a collision refuses nothing."""

    __slots__ = ("digests", "lines")

    def __init__(self) -> None:
        self.digests = bytearray()
        self.lines = array("q")

    def add(self, external_id: str, line: int) -> None:
        self.digests += blake2b(external_id.encode(), digest_size=16).digest()
        self.lines.append(line)

    def repeats(self) -> list[tuple[int, int]]:
        """(line, line of the first use) for every later use of an id seen before."""
        if len(self.lines) < 2:
            return []
        keys = np.frombuffer(self.digests, dtype="<u8").reshape(-1, 2)
        order = np.lexsort((keys[:, 1], keys[:, 0]))  # stable: equal digests stay in line order
        ordered = keys[order]
        same = (ordered[1:] == ordered[:-1]).all(axis=1)
        lines = np.frombuffer(self.lines, dtype=np.int64)[order]
        found: list[tuple[int, int]] = []
        first = 0
        for position in np.flatnonzero(same).tolist():
            if position == 0 or not same[position - 1]:
                first = int(lines[position])
            found.append((int(lines[position + 1]), first))
        return found


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


class _RecordBuilder:
    """Turns one decoded JSON value into an ItemRecord, reporting its problems."""

    __slots__ = ("interface", "problems", "sink", "ledger", "count", "unit", "check_text")

    def __init__(self, interface: Interface, problems: _Problems, sink: RecordSink):
        self.interface = interface
        self.problems = problems
        self.sink = sink
        self.ledger = _IdLedger()
        self.count = 0
        self.unit = "line"
        #: whether the value being built may hold text that cannot be stored (``_needs_text_check``)
        self.check_text = False

    def accept(self, record: ItemRecord) -> None:
        """A valid record: to the sink, its external id to the ledger."""
        self.count += 1
        if record.external_id is not None:
            self.ledger.add(record.external_id, record.line)
        self.sink.add(record)

    def duplicates(self) -> list[ImportProblem]:
        """A problem on every later line that reuses an external id of the upload."""
        repeats = self.ledger.repeats()
        if not repeats:
            return []
        ids = self.sink.external_ids_at({line for pair in repeats for line in pair})
        return [ImportProblem(line, f"duplicate external_id {ids[line]!r} (first on {self.unit} {first})")
                for line, first in repeats if ids.get(line) is not None and ids.get(line) == ids.get(first)]

    def _refused_text(self, obj: Any, line: int) -> bool:
        problem = _unstorable(obj) if self.check_text else None
        if problem is not None:
            self.problems.add(line, problem)
        return problem is not None

    def build(self, obj: Any, line: int) -> None:
        if type(obj) is not dict:
            self.problems.add(line, f"item must be a JSON object, got {_article(_type_name(obj))}")
        elif self._refused_text(obj, line):
            pass
        elif "data" in obj:
            record = self._wrapper(obj, line)
            if record is not None:
                self.accept(record)
        elif not obj:
            self.problems.add(line, "item data is empty")
        else:
            self.accept(ItemRecord(line, obj, None, None, None, []))

    def _wrapper(self, obj: dict, line: int) -> ItemRecord | None:
        """A line with "data" takes only the documented keys: anything else would be lost."""
        add = self.problems.add
        before = self.problems.total
        for key in sorted(obj.keys() - WRAPPER_KEYS):
            add(line, f'unknown key "{key}" (a line with "data" takes only: {_WRAPPER_KEYS_LISTED})')
        data = obj["data"]
        if type(data) is not dict:
            add(line, f'data must be an object, got {_article(_type_name(data))} (an item whose own field is '
                      'called "data" is imported wrapped: {"data": {"data": ...}})')
        elif not data:
            add(line, "item data is empty")

        external_id = self._external_id(obj.get("external_id"), line)

        gold = obj.get("gold")
        if gold is not None:
            gold = self._answer(gold, "gold", line, data=data)

        explanation = obj.get("explanation")
        if explanation is not None and not isinstance(explanation, str):
            add(line, f"explanation must be a string, got {_article(_type_name(explanation))}")


        annotations: list[PriorAnnotation] = []
        raw_annotations = obj.get("annotations")
        if raw_annotations is not None:
            if type(raw_annotations) is not list:
                add(line, f"annotations must be a list, got {_article(_type_name(raw_annotations))}")
            else:
                annotations = self._annotations(raw_annotations, line, data)

        if self.problems.total != before:
            return None
        return ItemRecord(line, data, external_id, gold, explanation, annotations)

    def _external_id(self, value: Any, line: int) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            text = value.strip() or None
        elif isinstance(value, int) and not isinstance(value, bool):
            text = str(value)
        elif isinstance(value, float) and math.isfinite(value):
            text = str(int(value)) if value.is_integer() else repr(value)
        else:
            self.problems.add(line, f"external_id must be a string or number, got {_article(_type_name(value))}")
            return None
        if text is not None and len(text) > ID_LIMIT:
            self.problems.add(line, f"external_id is longer than {ID_LIMIT} characters")
            return None
        return text

    def _answer(self, answer: Any, where: str, line: int, label: str | None = None, *, data: Any = None) -> dict | None:
        """Validate an answer against its item's data; field errors are reported as ``<where>.<field>: <message>``."""
        if type(answer) is not dict:
            self.problems.add(
                line, f"{label or where} must be an object of field: value, got {_article(_type_name(answer))}"
            )
            return None
        clean, errors = self.interface.validate_answer(answer, data if type(data) is dict else None)
        if errors:
            for field, message in errors.items():
                self.problems.add(line, f"{where}.{field}: {message}")
            return None
        return clean

    def _annotations(self, raw: list, line: int, data: Any = None) -> list[PriorAnnotation]:
        add = self.problems.add
        result: list[PriorAnnotation] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(raw):
            where = f"annotations[{index}]"
            if type(entry) is not dict:
                add(line, f"{where} must be an object with annotator and answer, got {_article(_type_name(entry))}")
                continue
            unknown = sorted(entry.keys() - ANNOTATION_KEYS)
            if unknown:
                for key in unknown:
                    add(line, f'{where}: unknown key "{key}" (allowed: annotator, answer, created_at)')
                continue
            annotator = entry.get("annotator")
            if isinstance(annotator, int) and not isinstance(annotator, bool):
                annotator = str(annotator)
            if not isinstance(annotator, str) or not annotator.strip():
                add(line, f"{where}.annotator: must be a non-empty string")
                annotator = None
            elif len(annotator) > ID_LIMIT:
                add(line, f"{where}.annotator: is longer than {ID_LIMIT} characters")
                annotator = None
            elif annotator in seen:
                add(line, f"{where}.annotator: {annotator!r} already annotated this item (annotations[{seen[annotator]}])")
                annotator = None
            else:
                seen[annotator] = index
            created_at = entry.get("created_at")
            if created_at is not None:
                if not isinstance(created_at, str) or not _is_iso_datetime(created_at):
                    add(line, f"{where}.created_at: must be an ISO 8601 date-time string")
                    created_at = None
            if "answer" not in entry or entry["answer"] is None:
                add(line, f"{where}.answer: required")
                continue
            answer = self._answer(entry["answer"], where, line, label=f"{where}.answer", data=data)
            if annotator is not None and answer is not None:
                result.append(PriorAnnotation(annotator, answer, created_at))
        return result


    # -- Label Studio -------------------------------------------------------
    def build_labelstudio(self, obj: Any, line: int) -> None:
        """One task of a Label Studio JSON export; ``line`` is its 1-based index."""
        add = self.problems.add
        if type(obj) is not dict:
            add(line, f"task must be a JSON object, got {_article(_type_name(obj))}")
            return None
        if self._refused_text(obj, line):
            return None
        data = obj.get("data")
        if type(data) is not dict:
            add(line, 'not a Label Studio task: "data" must be an object '
                      "(only Label Studio's JSON export is read, not JSON_MIN or CSV)")
            return None
        before = self.problems.total
        if not data:
            add(line, "item data is empty")

        # An id the data carries (e.g. from an earlier Inkwell export) wins over Label Studio's task id.
        own_id = data.get("external_id")
        external_id = self._external_id(own_id if own_id is not None else obj.get("id"), line)

        annotations: list[PriorAnnotation] = []
        raw = obj.get("annotations")
        if raw is not None and type(raw) is not list:
            add(line, f"annotations must be a list, got {_article(_type_name(raw))}")
        elif raw:
            annotations = self._labelstudio_annotations(raw, line, data)

        if self.problems.total == before:
            self.accept(ItemRecord(line, data, external_id, None, None, annotations))

    def _labelstudio_annotations(self, raw: list, line: int, data: Any = None) -> list[PriorAnnotation]:
        add = self.problems.add
        result: list[PriorAnnotation] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(raw):
            where = f"annotations[{index}]"
            if type(entry) is dict and entry.get("was_cancelled") is True:  # skipped in Label Studio: no answer
                continue
            if type(entry) is not dict or type(entry.get("result")) is not list:
                add(line, f'{where}: not a Label Studio annotation (it needs a "result" list)')
                continue
            annotator = _labelstudio_annotator(entry.get("completed_by"))
            if annotator is None:
                add(line, f"{where}.completed_by: must be a user id or a user object with an id or email")
            elif len(annotator) > ID_LIMIT:
                add(line, f"{where}.completed_by: is longer than {ID_LIMIT} characters")
                annotator = None
            elif annotator in seen:
                add(line, f"{where}: {annotator} already annotated this task (annotations[{seen[annotator]}])")
                annotator = None
            else:
                seen[annotator] = index
            created_at = entry.get("created_at")
            if not (isinstance(created_at, str) and _is_iso_datetime(created_at)):
                created_at = None  # informational only; not worth refusing an import over
            answer = self._labelstudio_answer(entry["result"], where, line)
            if answer is not None:
                answer = self._answer(answer, where, line, data=data)
            if annotator is not None and answer is not None:
                result.append(PriorAnnotation(annotator, answer, created_at))
        return result

    def _labelstudio_answer(self, results: list, where: str, line: int) -> dict | None:
        """{from_name: value} from an annotation's results, or None after reporting why not."""
        add = self.problems.add
        before = self.problems.total
        answer: dict[str, Any] = {}
        for position, entry in enumerate(results):
            at = f"{where}.result[{position}]"
            if type(entry) is not dict:
                add(line, f"{at}: must be an object, got {_article(_type_name(entry))}")
                continue
            kind, name, value = entry.get("type"), entry.get("from_name"), entry.get("value")
            if not isinstance(name, str) or not name:
                add(line, f"{at}: from_name must be a non-empty string")
                continue
            rule = _LS_RESULTS.get(kind) if isinstance(kind, str) else None
            if rule is None:
                add(line, f"{at}: result type {kind!r} (field {name!r}) is not supported; "
                          "Inkwell imports choices, rating, number and textarea results")
                continue
            component = self.interface.by_name.get(name)
            if component is None:
                fields = ", ".join(self.interface.by_name)
                add(line, f"{at}: unknown field {name!r} (from_name); the interface has: {fields}")
                continue
            key, accepts = rule
            if component.type not in accepts:
                add(line, f"{at}: a {kind} result cannot fill the {component.type} field {name!r}")
                continue
            if type(value) is not dict or key not in value:
                add(line, f"{at}: value must be an object with {key!r}")
                continue
            if name in answer:
                add(line, f"{at}: field {name!r} appears twice in this annotation")
                continue
            converted = _labelstudio_value(kind, value[key], component.type)
            if isinstance(converted, _Refused):
                add(line, f"{at}: field {name!r} {converted.message}")
                continue
            answer[name] = converted
        return answer if self.problems.total == before else None

def _is_iso_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


# -- Label Studio ---------------------------------------------------------------
#: result type -> (the key of its value, the Inkwell field types it can fill)
_LS_RESULTS: dict[str, tuple[str, frozenset[str]]] = {
    "choices": ("choices", frozenset({"choice", "multi_choice"})),
    "rating": ("rating", frozenset({"rating", "number"})),
    "number": ("number", frozenset({"number", "rating"})),
    "textarea": ("text", frozenset({"text"})),
}

#: Label Studio task keys besides data and annotations (any one marks a task, see _is_labelstudio).
_LS_TASK_KEYS = frozenset({"id", "predictions", "inner_id", "total_annotations", "cancelled_annotations",
                           "total_predictions", "file_upload", "drafts", "updated_by", "project"})


@dataclass(frozen=True, slots=True)
class _Refused:
    message: str


def _is_labelstudio(document: Iterable[Any]) -> bool:
    """Whether a JSON array is a Label Studio export rather than Inkwell items.

    Yes when an object has a "data" object and an "annotations" list holding an
    entry with a "result" (Inkwell's own annotations have "answer"), or when
    every object has a "data" object, an "annotations" list and Label Studio's
    task keys (an export of tasks nobody annotated yet).
    """
    every_task = None
    for obj in document:
        every_task = True if every_task is None else every_task
        if type(obj) is not dict or type(obj.get("data")) is not dict or type(obj.get("annotations")) is not list:
            every_task = False
            continue
        if any(type(a) is dict and "result" in a for a in obj["annotations"]):
            return True
        if obj.keys().isdisjoint(_LS_TASK_KEYS):
            every_task = False
    return bool(every_task)


def _labelstudio_annotator(completed_by: Any) -> str | None:
    """``labelstudio:<user id>``; the id is used even when an email is given, so that exports
    with completed_by as a number and as a user object name the same person the same way."""
    if type(completed_by) is dict:
        for key in ("id", "email"):
            found = _labelstudio_annotator(completed_by.get(key))
            if found is not None:
                return found
        return None
    if isinstance(completed_by, int) and not isinstance(completed_by, bool):
        return f"labelstudio:{completed_by}"
    if isinstance(completed_by, str) and completed_by.strip():
        return f"labelstudio:{completed_by.strip()}"
    return None


def _labelstudio_value(kind: str, raw: Any, field_type: str) -> Any:
    """The Inkwell value of one result (checked further by the component), or _Refused."""
    if kind == "choices":
        if type(raw) is not list:
            return _Refused("needs choices as a list")
        if field_type == "choice":
            if len(raw) != 1:
                return _Refused(f"takes one option, but the annotation chose {len(raw)}")
            return raw[0]
        return raw
    if kind == "textarea":
        if isinstance(raw, str):
            return raw
        if type(raw) is not list or not all(isinstance(part, str) for part in raw):
            return _Refused("needs text as a list of strings")
        return "\n".join(raw)
    return raw  # rating, number: the component checks the number (a rating must be whole)
