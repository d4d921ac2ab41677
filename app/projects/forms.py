"""The set-up forms: the interface builder's rows and the project form, as pages post them.

Pure: no database, no requests. Turns posted strings into what ``app.projects.service``
takes, and stored specs back into rows, so a project's interface survives a round trip
through the builder unchanged (config keys the builder does not show ride along in a
hidden ``extra`` field).

Builder rows are named by a key that never changes while the page is open::

    row=3  field-3-type=choice  field-3-name=topics  field-3-options=billing\\nshipping

so rows can be added, removed and reordered in the browser without renumbering:
the order of the ``row`` values is the order of the fields.

A row is an answer field or a display part (what the contributor is shown: ``value: "$field"``).
The type select names display parts ``show:<type>`` (``text`` is both an answer field and a shown
text), so one select offers both, answer fields first and the display parts as a "Show" group.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from components.base import DISPLAY
from components.registry import all_component_classes, display_part_classes, part_class_for

#: Spec keys every row edits itself; everything else is type-specific config.
COMMON_KEYS = ("name", "type", "label", "required", "help")

TYPE_LABELS = {"choice": "Single choice", "multi_choice": "Multiple choice", "rating": "Rating",
               "number": "Number", "text": "Text"}
DISPLAY_LABELS = {"text": "Text", "prompt_response": "Prompt and response", "responses": "Responses to compare",
                  "chat": "Chat", "code": "Code", "metadata": "Item details"}
#: How the type select names a display part (its value), so it never collides with an answer type.
SHOW = "show:"

_KEY = re.compile(r"^\d{1,6}$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_FIELD_POSITION = re.compile(r"^field (\d+)\b")

MAX_LEASE_MINUTES = 24 * 60


@dataclass(frozen=True)
class ConfigInput:
    """One type-specific input of a builder row."""

    key: str  # the spec key it sets
    label: str
    kind: str  # lines | int | number | bool | labels | json | binding | select | names
    hint: str = ""
    default: str | bool = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) of a select

    @property
    def wide(self) -> bool:
        return self.kind in {"lines", "labels", "json", "names"}


_OPTIONS = ConfigInput("options", "Options", "lines", "One per line. Write value | Label to show a different label.")
CONFIG_INPUTS: dict[str, tuple[ConfigInput, ...]] = {
    "choice": (_OPTIONS,),
    "multi_choice": (_OPTIONS, ConfigInput("min_selected", "At least", "int", "options to pick"),
                     ConfigInput("max_selected", "At most", "int", "options to pick")),
    "rating": (ConfigInput("min", "Lowest", "int", default="1"), ConfigInput("max", "Highest", "int", default="5"),
               ConfigInput("labels", "Point labels", "labels", "Optional, one per line: 1 = poor")),
    "number": (ConfigInput("min", "Minimum", "number"), ConfigInput("max", "Maximum", "number"),
               ConfigInput("integer", "Whole numbers only", "bool", default=False)),
    "text": (ConfigInput("min_length", "Min length", "int", "characters"),
             ConfigInput("max_length", "Max length", "int", "characters"),
             ConfigInput("multiline", "Several lines", "bool", default=True)),
}
#: Types registered after this builder was written get their config as a JSON object.
_JSON_CONFIG = (ConfigInput("config", "Settings (JSON object)", "json",
                            'Type-specific settings, e.g. {"max": 10}', default="{}"),)


_BINDING_HINT = 'the item field, as $field ($a.b for a nested one); anything else is shown as written'


def _binding(label: str, default: str, key: str = "value") -> ConfigInput:
    return ConfigInput(key, label, "binding", _BINDING_HINT, default=default)


_MARKDOWN = ConfigInput("markdown", "Markdown", "bool", default=True)
DISPLAY_INPUTS: dict[str, tuple[ConfigInput, ...]] = {
    "text": (_binding("Shows", "$text"), ConfigInput("markdown", "Markdown", "bool", default=False)),
    "prompt_response": (_binding("Prompt", "$prompt"), _binding("Response", "$response", "response")),
    "responses": (_binding("Responses", "$responses"),
                  ConfigInput("layout", "Layout", "select", default="side_by_side",
                              choices=(("side_by_side", "Side by side"), ("stacked", "Stacked"))),
                  ConfigInput("randomise", "Random order per assignment", "bool", default=True), _MARKDOWN),
    "chat": (_binding("Conversation", "$messages"), _MARKDOWN),
    "code": (_binding("Code", "$code"),
             ConfigInput("language", "Language", "binding", 'e.g. python, or "$field" for the item\'s own')),
    "metadata": (_binding("Fields of", "$"),
                 ConfigInput("fields", "Fields", "names", "One item field per line (empty: all of them)")),
}
#: Display parts registered after this builder was written: the binding, and the rest as JSON.
_DISPLAY_JSON = (_binding("Shows", "$text"), *_JSON_CONFIG)


def component_types() -> list[tuple[str, str]]:
    """(type, label) of every registered component, the builder's own types first."""
    known = all_component_classes()
    ordered = [t for t in TYPE_LABELS if t in known] + sorted(t for t in known if t not in TYPE_LABELS)
    return [(t, TYPE_LABELS.get(t) or t.replace("_", " ").capitalize()) for t in ordered]


def display_types() -> list[tuple[str, str]]:
    """(select value, label) of every display part: the builder's "Show" group."""
    known = display_part_classes()
    ordered = [t for t in DISPLAY_LABELS if t in known] + sorted(t for t in known if t not in DISPLAY_LABELS)
    return [(SHOW + t, DISPLAY_LABELS.get(t) or t.replace("_", " ").capitalize()) for t in ordered]


def split_choice(choice: str) -> tuple[bool, str]:
    """(is a display part, type) of a type select value."""
    return (True, choice[len(SHOW):]) if choice.startswith(SHOW) else (False, choice)


def inputs_for(kind: str) -> tuple[ConfigInput, ...]:
    """The inputs of a type select value (``show:<type>`` for a display part)."""
    display, bare = split_choice(kind)
    if display:
        return DISPLAY_INPUTS.get(bare, _DISPLAY_JSON)
    return CONFIG_INPUTS.get(bare, _JSON_CONFIG)


def _known_choice(choice: str) -> bool:
    display, bare = split_choice(choice)
    return bare in (display_part_classes() if display else all_component_classes())


def default_type() -> str:
    types = component_types()
    return types[0][0] if types else "choice"


# -- rows ---------------------------------------------------------------------
@dataclass
class FieldRow:
    """One field of the builder as the page shows it: every value a string the user typed."""

    key: int
    type: str  # the part's type; ``display`` says which kind (text is both)
    name: str = ""
    label: str = ""
    help: str = ""
    required: bool = True
    values: dict[str, str | bool] = field(default_factory=dict)  # by ConfigInput.key
    extra: dict[str, Any] = field(default_factory=dict)  # spec keys the builder does not show
    error: str | None = None
    display: bool = False  # a display part (shows item data) rather than an answer field

    @property
    def prefix(self) -> str:
        return f"field-{self.key}"

    @property
    def choice(self) -> str:
        """The type select's value for this row."""
        return SHOW + self.type if self.display else self.type

    @property
    def inputs(self) -> tuple[ConfigInput, ...]:
        return inputs_for(self.choice)

    @property
    def known_type(self) -> bool:
        return _known_choice(self.choice)

    def value(self, item: ConfigInput) -> str | bool:
        return self.values.get(item.key, item.default)


def new_row(key: int, kind: str | None = None) -> FieldRow:
    """A fresh row of a type select value (``show:<type>`` for a display part)."""
    kind = kind if kind and _known_choice(kind) else default_type()
    display, bare = split_choice(kind)
    return FieldRow(key=key, type=bare, display=display)


def change_type(row: FieldRow, kind: str) -> FieldRow:
    """The same row as another type: what both types share is kept, the rest starts afresh."""
    if kind == row.choice:
        return row
    values = {k: v for k, v in row.values.items() if _compatible(_kind_of(row.choice, k), _kind_of(kind, k))}
    display, bare = split_choice(kind)
    return FieldRow(key=row.key, type=bare, name=row.name, label=row.label, help=row.help,
                    required=row.required or row.display, values=values, display=display)


def _kind_of(kind: str, key: str) -> str | None:
    return next((i.kind for i in inputs_for(kind) if i.key == key), None)


def _compatible(old: str | None, new: str | None) -> bool:
    """Whether a value typed for one input makes sense in another (rating's 1-5 as a number's bounds)."""
    if old is None or new is None:
        return False
    return old == new or {old, new} <= {"int", "number"}


Getter = Callable[[str], list[str]]


def _first(get: Getter, name: str) -> str:
    values = get(name)
    return values[0] if values and isinstance(values[0], str) else ""


def read_row(get: Getter, key: int, kind: str | None = None) -> FieldRow:
    """A row as posted. ``get(name)`` returns every value posted under ``name``."""
    prefix = f"field-{key}"
    posted_type = _first(get, f"{prefix}-type") or default_type()
    display, bare = split_choice(posted_type)
    row = FieldRow(key=key, type=bare, name=_first(get, f"{prefix}-name"),
                   label=_first(get, f"{prefix}-label"), help=_first(get, f"{prefix}-help"),
                   required=bool(get(f"{prefix}-required")), display=display)
    # The inputs on the page are those of the type the row was drawn with.
    drawn = _first(get, f"{prefix}-drawn") or row.choice
    for item in inputs_for(drawn):
        if item.kind == "bool":
            row.values[item.key] = bool(get(f"{prefix}-{item.key}"))
        else:
            row.values[item.key] = _first(get, f"{prefix}-{item.key}")
    extra = _first(get, f"{prefix}-extra")
    if extra:
        try:
            loaded = json.loads(extra)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict):
            row.extra = {k: v for k, v in loaded.items() if k not in COMMON_KEYS}
    if drawn != row.choice:
        drawn_display, drawn_type = split_choice(drawn)
        row = change_type(FieldRow(key=key, type=drawn_type, name=row.name, label=row.label, help=row.help,
                                   required=row.required, values=row.values, display=drawn_display), row.choice)
    if kind is not None and kind != row.choice:
        row = change_type(row, kind)
    return row


def read_rows(get: Getter) -> list[FieldRow]:
    """Every builder row of a posted form, in page order."""
    rows, seen = [], set()
    for raw in get("row"):
        if not isinstance(raw, str) or not _KEY.match(raw) or raw in seen:
            continue
        seen.add(raw)
        rows.append(read_row(get, int(raw)))
    return rows


def row_from_spec(key: int, spec: Mapping[str, Any]) -> FieldRow:
    kind = str(spec.get("type") or default_type())
    part_class = part_class_for(spec)
    display = part_class is not None and part_class.kind == DISPLAY
    row = FieldRow(key=key, type=kind, name=str(spec.get("name") or ""), label=str(spec.get("label") or ""),
                   help=str(spec.get("help") or ""), required=bool(spec.get("required", True)), display=display)
    drawn = {i.key for i in row.inputs}
    for item in row.inputs:
        if item.kind == "json":
            config = {k: v for k, v in spec.items() if k not in COMMON_KEYS and k not in drawn}
            row.values[item.key] = json.dumps(config, ensure_ascii=False)
            continue
        value = spec.get(item.key)
        if item.kind in ("binding", "select"):
            row.values[item.key] = "" if value is None else (value if isinstance(value, str) else json.dumps(value))
        elif item.kind == "names":
            row.values[item.key] = "\n".join(str(v) for v in value) if isinstance(value, list) else str(value or "")
        elif item.kind == "bool":
            row.values[item.key] = bool(value) if value is not None else bool(item.default)
        elif value is None:
            row.values[item.key] = ""
        elif item.kind == "lines":
            row.values[item.key] = "\n".join(_option_line(o) for o in value) if isinstance(value, list) else str(value)
        elif item.kind == "labels":
            row.values[item.key] = ("\n".join(f"{k} = {v}" for k, v in value.items())
                                    if isinstance(value, Mapping) else str(value))
        else:
            row.values[item.key] = _show_number(value)
    if not any(i.kind == "json" for i in row.inputs):
        row.extra = {k: v for k, v in spec.items() if k not in COMMON_KEYS and k not in drawn}
    return row


def rows_from_specs(specs: Any) -> list[FieldRow]:
    if not isinstance(specs, list):
        return []
    return [row_from_spec(i, s) for i, s in enumerate(specs) if isinstance(s, Mapping)]


def _option_line(option: Any) -> str:
    if isinstance(option, Mapping):
        value, label = str(option.get("value", "")), str(option.get("label", ""))
        return value if not label or label == value else f"{value} | {label}"
    return str(option)


def _show_number(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


# -- rows to specs ------------------------------------------------------------
def _number(text: str, whole: bool) -> int | float | str:
    """A typed number; anything else is passed on as text so the component words the error."""
    text = text.strip()
    if _INT.match(text):
        return int(text)
    if not whole and _FLOAT.match(text):
        return float(text)
    return text


def _options(text: str) -> list[str | dict[str, str]]:
    options: list[str | dict[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        value, bar, label = line.partition("|")
        value, label = value.strip(), label.strip()
        options.append({"value": value, "label": label} if bar and label and label != value else value)
    return options


def _labels(text: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            point, _, label = line.partition("=")
            labels[point.strip()] = label.strip()
    return labels


def row_spec(row: FieldRow) -> tuple[dict[str, Any], str | None]:
    """The spec the service takes, or a problem the builder found before the service could."""
    spec: dict[str, Any] = dict(row.extra)
    spec.update(name=row.name.strip(), type=row.type)
    if not row.display:  # a display part has nothing to require
        spec["required"] = row.required
    if row.label.strip():
        spec["label"] = row.label.strip()
    if row.help.strip():
        spec["help"] = row.help.strip()
    problem = None
    for item in row.inputs:
        raw = row.value(item)
        if item.kind == "bool":
            spec[item.key] = bool(raw)
            continue
        text = raw if isinstance(raw, str) else ""
        if item.kind in ("binding", "select"):
            if text.strip():
                spec[item.key] = text.strip()
        elif item.kind == "names":
            names = [line.strip() for line in text.splitlines() if line.strip()]
            if names:
                spec[item.key] = names
        elif item.kind == "lines":
            spec[item.key] = _options(text)
        elif item.kind == "labels":
            if text.strip():
                spec[item.key] = _labels(text)
        elif item.kind == "json":
            try:
                config = json.loads(text or "{}")
            except ValueError:
                config = None
            if not isinstance(config, dict):
                problem = "settings must be a JSON object"
            else:
                spec.update({k: v for k, v in config.items() if k not in COMMON_KEYS and k != "value"})
        elif text.strip():
            spec[item.key] = _number(text, whole=item.kind == "int")
    return spec, problem


def interface_specs(rows: list[FieldRow]) -> tuple[list[dict[str, Any]], str | None]:
    """The interface spec list, or the first problem found in a row (worded like the service's)."""
    specs = []
    for position, row in enumerate(rows, start=1):
        spec, problem = row_spec(row)
        if problem:
            return specs, f"field {position} ({row.name.strip()}): {problem}"
        specs.append(spec)
    return specs, None


def mark_row(rows: list[FieldRow], message: str) -> None:
    """Show an interface error at the row it names (messages start "field N ...")."""
    match = _FIELD_POSITION.match(message)
    if match and 1 <= int(match.group(1)) <= len(rows):
        # "field 2 (topics): options must be ..." -> "options must be ..." (the row says which field it is)
        rest = message[match.end():]
        rest = re.sub(r"^ \([^)]*\)", "", rest).lstrip(":").strip()
        rows[int(match.group(1)) - 1].error = rest or message


def next_key(rows: list[FieldRow]) -> int:
    return max((r.key for r in rows), default=-1) + 1


# -- the project form ----------------------------------------------------------
@dataclass
class ProjectForm:
    """The set-up form as typed, so a refused form comes back exactly as it was sent."""

    name: str = ""
    purpose: str = ""
    guidelines: str = ""
    overlap: str = "1"
    lease_minutes: str = "15"
    rows: list[FieldRow] = field(default_factory=list)

    @classmethod
    def read(cls, get: Getter) -> "ProjectForm":
        return cls(name=_first(get, "name"), purpose=_first(get, "purpose"), guidelines=_first(get, "guidelines"),
                   overlap=_first(get, "overlap"), lease_minutes=_first(get, "lease_minutes"), rows=read_rows(get))

    def overlap_value(self) -> int | str:
        text = self.overlap.strip()
        return int(text) if _INT.match(text) else text

    def lease_seconds(self) -> tuple[int | None, str | None]:
        text = self.lease_minutes.strip()
        if not _INT.match(text) or not 1 <= int(text) <= MAX_LEASE_MINUTES:
            return None, f"must be a whole number of minutes from 1 to {MAX_LEASE_MINUTES}"
        return int(text) * 60, None


def form_getter(form: Any) -> Getter:
    """``get(name)`` over a Litestar form or query MultiDict."""
    return lambda name: [v for v in form.getall(name, []) if isinstance(v, str)]
