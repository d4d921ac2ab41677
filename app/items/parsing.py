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
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

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

NUL_MESSAGE = "item contains a NUL character (\\u0000), which cannot be stored"


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


def parse_items(body: bytes, fmt: str, interface: Interface) -> list[ItemRecord]:
    """All records of the import, or ImportRejected with every problem found."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown import format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if body.startswith(_BOM):
        body = body[len(_BOM) :]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRejected([ImportProblem(1, "not UTF-8 text")]) from None

    if not text or text.isspace():
        raise ImportRejected([ImportProblem(1, "no items found")])

    problems = _Problems()
    builder = _RecordBuilder(interface, problems)
    # One fast scan of the whole text; items are only searched when it finds one.
    builder.check_nul = "\x00" in text or "\\u0000" in text
    unit = "line"
    if fmt in ("json", "labelstudio"):
        records = _parse_json(text, builder, problems, labelstudio=fmt == "labelstudio")
        if records is None:  # syntax error: reported by physical line
            records = []
        else:
            unit = builder.unit  # "item", or "task" for a Label Studio export
    elif fmt == "jsonl":
        records = _parse_jsonl(text, builder, problems)
    else:
        records = _parse_csv(text, builder, problems)

    if problems.total:
        raise ImportRejected(problems.kept, problems.total, unit=unit)
    if not records:
        raise ImportRejected([ImportProblem(1, "no items found")])
    return records


def _type_name(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _parse_json(
    text: str, builder: "_RecordBuilder", problems: _Problems, labelstudio: bool = False
) -> list[ItemRecord] | None:
    try:
        document = _DECODER.decode(text)
    except _NonStandardNumber as exc:
        problems.add(1, str(exc))
        return None
    except json.JSONDecodeError as exc:
        problems.add(exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})")
        return None
    except RecursionError:
        problems.add(1, "invalid JSON: nested too deeply")
        return None
    except ValueError:  # an integer longer than Python converts
        problems.add(_line_of_long_number(text), _LONG_NUMBER_MESSAGE)
        return None
    if not isinstance(document, list):
        wanted = "Label Studio tasks" if labelstudio else "items"
        problems.add(1, f"expected a JSON array of {wanted}, got {_article(_type_name(document))}")
        return None
    builder.unit = "item"
    build = builder.build
    if labelstudio or _is_labelstudio(document):
        builder.unit = "task"
        build = builder.build_labelstudio
    records: list[ItemRecord] = []
    for index, obj in enumerate(document):
        record = build(obj, index + 1)
        if record is not None:
            records.append(record)
    return records


_LONG_NUMBER_MESSAGE = f"invalid JSON: a number with more than {sys.get_int_max_str_digits()} digits"


def _line_of_long_number(text: str) -> int:
    found = re.search(r"\d{%d,}" % (sys.get_int_max_str_digits() + 1), text)
    return text.count("\n", 0, found.start()) + 1 if found else 1


def _parse_jsonl(text: str, builder: "_RecordBuilder", problems: _Problems) -> list[ItemRecord]:
    records: list[ItemRecord] = []
    build = builder.build
    loads = _DECODER.decode  # json.loads minus its per-call type checks
    decode_error = json.JSONDecodeError
    bad_number = _NonStandardNumber
    first_content_line = 0
    # split("\n") rather than splitlines(): U+2028 etc. may legally sit inside JSON strings.
    for number, raw in enumerate(text.split("\n"), start=1):
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
        record = build(obj, number)
        if record is not None:
            records.append(record)
    return records


def _csv_rows(text: str, problems: _Problems) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of every non-blank CSV row; malformed rows are reported.

    csv.reader rather than DictReader: it yields blank lines as [] so each row
    starts exactly one line after the previous row ended (``line_num``), which
    keeps line numbers right across quoted multi-line cells.
    """
    # strict: an unbalanced quote is an error rather than a cell that silently
    # swallows every following row.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
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


def _parse_csv(text: str, builder: "_RecordBuilder", problems: _Problems) -> list[ItemRecord]:
    records: list[ItemRecord] = []
    rows = _csv_rows(text, problems)
    first = next(rows, None)
    if first is None:
        return records
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
    seen_ids = builder.seen_ids
    check_nul = builder.check_nul

    for line, row in rows:
        if len(row) > width:
            problems.add(line, f"row has {len(row)} cells but the header has {width} columns")
            continue
        if len(row) < width:  # trailing cells left off: empty
            row = row + [""] * (width - len(row))
        data = {column: row[i] for i, column in data_columns}
        if not any(value and not value.isspace() for value in data.values()):
            problems.add(line, "item data is empty")
            continue
        if check_nul and _has_nul(row):
            problems.add(line, NUL_MESSAGE)
            continue
        external_id = (row[id_index].strip() or None) if id_index != -1 else None
        if external_id is not None and len(external_id) > ID_LIMIT:
            problems.add(line, f"external_id is longer than {ID_LIMIT} characters")
            continue
        if external_id is not None:
            first_line = seen_ids.get(external_id)
            if first_line is not None:
                problems.add(line, f"duplicate external_id {external_id!r} (first on line {first_line})")
                continue
            seen_ids[external_id] = line
        records.append(ItemRecord(line, data, external_id, None, None, []))
    return records


def _has_nul(value: Any) -> bool:
    """Whether a decoded JSON value holds U+0000 anywhere (PostgreSQL cannot store it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


class _RecordBuilder:
    """Turns one decoded JSON value into an ItemRecord, reporting its problems."""

    __slots__ = ("interface", "problems", "seen_ids", "unit", "check_nul")

    def __init__(self, interface: Interface, problems: _Problems):
        self.interface = interface
        self.problems = problems
        self.seen_ids: dict[str, int] = {}
        self.unit = "line"
        self.check_nul = False

    def build(self, obj: Any, line: int) -> ItemRecord | None:
        if type(obj) is not dict:
            self.problems.add(line, f"item must be a JSON object, got {_article(_type_name(obj))}")
            return None
        if self.check_nul and _has_nul(obj):
            self.problems.add(line, NUL_MESSAGE)
            return None
        if "data" in obj:
            return self._wrapper(obj, line)
        if not obj:
            self.problems.add(line, "item data is empty")
            return None
        return ItemRecord(line, obj, None, None, None, [])

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
            gold = self._answer(gold, "gold", line)

        explanation = obj.get("explanation")
        if explanation is not None and not isinstance(explanation, str):
            add(line, f"explanation must be a string, got {_article(_type_name(explanation))}")


        annotations: list[PriorAnnotation] = []
        raw_annotations = obj.get("annotations")
        if raw_annotations is not None:
            if type(raw_annotations) is not list:
                add(line, f"annotations must be a list, got {_article(_type_name(raw_annotations))}")
            else:
                annotations = self._annotations(raw_annotations, line)

        self._remember_external_id(external_id, line)
        if self.problems.total != before:
            return None
        return ItemRecord(line, data, external_id, gold, explanation, annotations)

    def _remember_external_id(self, external_id: str | None, line: int) -> None:
        """An external id names one item of the upload: a second use is a problem at its line."""
        if external_id is None:
            return
        first = self.seen_ids.get(external_id)
        if first is not None:
            self.problems.add(line, f"duplicate external_id {external_id!r} (first on {self.unit} {first})")
        else:
            self.seen_ids[external_id] = line

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

    def _answer(self, answer: Any, where: str, line: int, label: str | None = None) -> dict | None:
        """Validate an answer; field errors are reported as ``<where>.<field>: <message>``."""
        if type(answer) is not dict:
            self.problems.add(
                line, f"{label or where} must be an object of field: value, got {_article(_type_name(answer))}"
            )
            return None
        clean, errors = self.interface.validate_answer(answer)
        if errors:
            for field, message in errors.items():
                self.problems.add(line, f"{where}.{field}: {message}")
            return None
        return clean

    def _annotations(self, raw: list, line: int) -> list[PriorAnnotation]:
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
            answer = self._answer(entry["answer"], where, line, label=f"{where}.answer")
            if annotator is not None and answer is not None:
                result.append(PriorAnnotation(annotator, answer, created_at))
        return result


    # -- Label Studio -------------------------------------------------------
    def build_labelstudio(self, obj: Any, line: int) -> ItemRecord | None:
        """One task of a Label Studio JSON export; ``line`` is its 1-based index."""
        add = self.problems.add
        if type(obj) is not dict:
            add(line, f"task must be a JSON object, got {_article(_type_name(obj))}")
            return None
        if self.check_nul and _has_nul(obj):
            add(line, NUL_MESSAGE)
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
            annotations = self._labelstudio_annotations(raw, line)

        self._remember_external_id(external_id, line)
        if self.problems.total != before:
            return None
        return ItemRecord(line, data, external_id, None, None, annotations)

    def _labelstudio_annotations(self, raw: list, line: int) -> list[PriorAnnotation]:
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
                answer = self._answer(answer, where, line)
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


def _is_labelstudio(document: list) -> bool:
    """Whether a JSON array is a Label Studio export rather than Inkwell items.

    Yes when an object has a "data" object and an "annotations" list holding an
    entry with a "result" (Inkwell's own annotations have "answer"), or when
    every object has a "data" object, an "annotations" list and Label Studio's
    task keys (an export of tasks nobody annotated yet).
    """
    every_task = bool(document)
    for obj in document:
        if type(obj) is not dict or type(obj.get("data")) is not dict or type(obj.get("annotations")) is not list:
            every_task = False
            continue
        if any(type(a) is dict and "result" in a for a in obj["annotations"]):
            return True
        if obj.keys().isdisjoint(_LS_TASK_KEYS):
            every_task = False
    return every_task


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
