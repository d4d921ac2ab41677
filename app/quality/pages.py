"""Quality pages: the ops editor for a project's controls, the contributors table, and a
contributor's own record.

The editor posts a plain form and comes back with every value kept when refused; htmx only
adds and redraws linter rule rows (like the interface builder), each of which also works as a
plain form post. Shares (thresholds, rates) are typed as percentages and stored as 0-1.

Linter rule rows are named by a key that never changes while the page is open::

    rule=3  rule-3-type=min_length  rule-3-field=rationale  rule-3-value=20

so rows can be added, removed and reordered in the browser; the order of the ``rule``
values is the order of the rules.

Live: a contributor's record refreshes whenever their ``/ws/me`` socket pushes (their
standing or feedback changed) and every 30 s; the ops contributors table polls its
fragment every 5 s (paused while an override form is open or focused).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.models import Role
from app.board.service import contributors_first
from app.errors import Conflict, Invalid
from app.projects import service as projects
from app.projects.forms import Getter, form_getter
from app.projects.models import Project, ProjectStatus
from app.quality import config as quality_config
from app.quality import standings
from app.quality.api import OVERRIDES
from app.quality.linters import RULE_TYPES, SEVERITIES
from app.quality.service import gold_items_count, override_standing
from app.web.requests import database
from components._checks import show
from components.base import Component, Interface

# =============================================================================
# the settings: every number of benchmark and gold, with what it means
# =============================================================================


@dataclass(frozen=True)
class Setting:
    section: str  # benchmark | gold
    key: str
    label: str
    hint: str
    kind: str  # percent | whole | number
    unit: str = ""

    @property
    def name(self) -> str:
        """The form input's name."""
        return f"{self.section}-{self.key}"

    @property
    def error_key(self) -> str:
        """Where the service reports a problem with it."""
        return f"quality.{self.section}.{self.key}"


BENCHMARK_SETTINGS = (
    Setting("benchmark", "size", "Benchmark size",
            "Gold items every new contributor answers before any production work.", "whole", "items"),
    Setting("benchmark", "pass_threshold", "Pass threshold",
            "Share of benchmark answers that must match the gold answer.", "percent", "%"),
)
COOLDOWN = Setting("benchmark", "cooldown_hours", "Cooldown",
                   "How long a contributor who did not pass waits before a new attempt with new items.",
                   "number", "hours")
GOLD_SETTINGS = (
    Setting("gold", "rate", "Gold rate",
            "Share of a new contributor's production tasks that are hidden gold checks.", "percent", "%"),
    Setting("gold", "min_rate", "Lowest gold rate",
            "The rate halves as a contributor keeps answering checks, but never drops below this.", "percent", "%"),
    Setting("gold", "decay_every", "Halve the rate every",
            "Gold checks answered between two halvings of the rate.", "whole", "checks"),
    Setting("gold", "window", "Accuracy window",
            "Gold accuracy is measured over this many of the contributor's latest checks.", "whole", "checks"),
    Setting("gold", "min_answers", "Judge after",
            "Checks needed in the window before gold accuracy can change a standing.", "whole", "checks"),
    Setting("gold", "recalibrate_below", "Recalibrate below",
            "Below this gold accuracy a contributor is paused and answers a recalibration set.", "percent", "%"),
    Setting("gold", "remove_below", "Remove below",
            "Below this gold accuracy a contributor is removed from the project.", "percent", "%"),
    Setting("gold", "recalibration_size", "Recalibration set size",
            "Gold items in a recalibration set.", "whole", "items"),
    Setting("gold", "recalibration_pass", "Recalibration pass threshold",
            "Share of a recalibration set that must match the gold answers to return to production.",
            "percent", "%"),
)
ALL_SETTINGS = BENCHMARK_SETTINGS + (COOLDOWN,) + GOLD_SETTINGS


@dataclass(frozen=True)
class Toggle:
    """A yes/no policy, shown as a checkbox (an unticked box sends nothing: off)."""

    section: str
    key: str
    label: str
    hint: str

    @property
    def name(self) -> str:
        return f"{self.section}-{self.key}"

    @property
    def error_key(self) -> str:
        return f"quality.{self.section}.{self.key}"


REUSE_FOR_RETRY = Toggle("benchmark", "reuse_seen_gold", "A retry may reuse gold items the contributor has seen",
                         "When the gold items a contributor never had run out, a benchmark retry takes ones from their "
                         "earlier attempts. Off: the contributor waits (they are told, and the board says so) until "
                         "more gold items are imported.")
REUSE_FOR_RECALIBRATION = Toggle("gold", "recalibration_reuse_seen_gold",
                                 "A recalibration set may reuse gold items the contributor has seen",
                                 "When the gold items a contributor never had run out, a recalibration set takes ones "
                                 "they answered before. Off: the contributor waits until more gold items are imported.")
TOGGLES = (REUSE_FOR_RETRY, REUSE_FOR_RECALIBRATION)
RETRY_CHOICES = (("cooldown", "Retry after a cooldown", "A contributor who did not pass may try again with "
                  "new items once the cooldown is over."),
                 ("none", "No retry", "A contributor who did not pass is removed from the project."))

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
#: Where a "missing for launch" problem (``missing_controls``: "area: what to do") is shown in the editor.
_MISSING_AT = {"benchmark": "quality.benchmark.size", "linters": "quality.linters"}
_RELATIONS = {"must not be above rate": "must not be above the gold rate",
              "must not be above recalibrate_below": "must not be above “Recalibrate below”",
              "must not be above window": "must not be above the accuracy window"}


def _typed_number(text: str, whole: bool) -> int | float | str:
    """A typed number, or the text itself so the service words the error."""
    text = text.strip()
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        value = float(text)
        return int(value) if whole and value.is_integer() else value
    return text


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return show(value)
    return str(value)


def _percent_text(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return show(round(value * 100, 6))
    return _shown(value)


# =============================================================================
# linter rule rows
# =============================================================================

RULE_LABELS = {
    "required": "Required field",
    "min_length": "Minimum length",
    "max_length": "Maximum length",
    "must_match": "Must match a pattern",
    "must_not_match": "Must not match a pattern",
    "banned_phrases": "Banned phrases",
    "conditional": "If … then …",
    "too_fast": "Too fast",
    "copied_input": "Copied from the item",
    "straight_lining": "Same answer again and again",
}
RULE_HELP = {
    "required": "The field must be filled in.",
    "min_length": "A text must have at least this many characters.",
    "max_length": "A text must have at most this many characters.",
    "must_match": "A text must contain a match of the regular expression.",
    "must_not_match": "A text must not contain a match of the regular expression.",
    "banned_phrases": "A text must not contain any of the phrases (whole words, any case).",
    "conditional": "When one field meets a condition, another field must be given or have a value.",
    "too_fast": "The answer must take at least this long.",
    "copied_input": "A text must not mostly repeat the item's own data.",
    "straight_lining": "A contributor must not give the same answer many times in a row.",
}
#: The inputs each rule type shows, beyond type, severity and message.
RULE_INPUTS: dict[str, tuple[str, ...]] = {
    "required": ("field",),
    "min_length": ("field", "value"),
    "max_length": ("field", "value"),
    "must_match": ("field", "pattern"),
    "must_not_match": ("field", "pattern"),
    "banned_phrases": ("field", "phrases"),
    "conditional": ("if", "then"),
    "too_fast": ("seconds",),
    "copied_input": ("field", "source", "threshold"),
    "straight_lining": ("field", "count"),
}
TEXT_ONLY = frozenset({"min_length", "max_length", "must_match", "must_not_match", "banned_phrases", "copied_input"})
OPTIONAL_FIELD = frozenset({"straight_lining"})
#: Every value a row can post, as ``rule-{key}-{param}``.
ROW_PARAMS = ("severity", "message", "field", "value", "pattern", "phrases", "seconds", "threshold", "count", "source",
              "if_field", "if_test", "if_value", "then_field", "then_test", "then_value")
ROW_DEFAULTS = {"severity": "error", "seconds": "3", "count": "5", "threshold": "0.8", "if_test": "equals",
                "then_test": "required"}
WARNING_FIRST = frozenset({"too_fast", "copied_input", "straight_lining"})
IF_TESTS = (("equals", "is"), ("in", "is one of"), ("present", "is given"), ("absent", "is empty"))
THEN_TESTS = (("required", "must be given"), ("equals", "must be"), ("in", "must be one of"))
_KEY = re.compile(r"^\d{1,6}$")
_LINTER_POSITION = re.compile(r"^linter (\d+)(?: \([^)]*\))?: (.*)$", re.DOTALL)
MAX_ROWS = 200


@dataclass
class RuleRow:
    """One linter rule as the editor shows it: every value a string the user typed."""

    key: int
    type: str
    values: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def prefix(self) -> str:
        return f"rule-{self.key}"

    @property
    def inputs(self) -> tuple[str, ...]:
        return RULE_INPUTS.get(self.type, ())

    @property
    def label(self) -> str:
        return RULE_LABELS.get(self.type, self.type)

    @property
    def help(self) -> str:
        return RULE_HELP.get(self.type, "")

    def value(self, param: str) -> str:
        return self.values.get(param) or ROW_DEFAULTS.get(param, "")


def new_rule_row(key: int, kind: str | None = None) -> RuleRow:
    kind = kind if kind in RULE_TYPES else RULE_TYPES[0]
    return RuleRow(key=key, type=kind, values={"severity": "warning" if kind in WARNING_FIRST else "error"})


def _first(get: Getter, name: str) -> str:
    values = get(name)
    return values[0] if values else ""


def read_rule_row(get: Getter, key: int, kind: str | None = None) -> RuleRow:
    prefix = f"rule-{key}"
    posted = _first(get, f"{prefix}-type")
    row = RuleRow(key=key, type=posted if posted in RULE_TYPES else (posted or RULE_TYPES[0]))
    for param in ROW_PARAMS:
        value = get(f"{prefix}-{param}")
        if value:
            row.values[param] = value[0]
    if kind in RULE_TYPES:
        row.type = kind
    return row


def read_rule_rows(get: Getter) -> list[RuleRow]:
    rows, seen = [], set()
    for raw in get("rule"):
        if not _KEY.match(raw) or raw in seen or len(rows) >= MAX_ROWS:
            continue
        seen.add(raw)
        rows.append(read_rule_row(get, int(raw)))
    return rows


def _condition_value(interface: Interface | None, name: str, text: str) -> Any:
    """A typed condition value, read the way the field's own form input is read (rating "5" -> 5)."""
    component = interface.by_name.get(name) if interface else None
    text = text.strip()
    if component is None:
        return text
    parsed = component.parse_form([text])
    if component.level == "set" and isinstance(parsed, list):
        parsed = parsed[0] if parsed else None
    return text if parsed is None else parsed


def _condition(row: RuleRow, which: str, interface: Interface | None) -> dict[str, Any]:
    name = row.values.get(f"{which}_field", "").strip()
    test = row.value(f"{which}_test")
    text = row.values.get(f"{which}_value", "")
    spec: dict[str, Any] = {"field": name} if name else {}
    if test == "present":
        spec["present"] = True
    elif test == "absent":
        spec["present"] = False
    elif test == "required":
        spec["required"] = True
    elif test == "in":
        spec["in"] = [_condition_value(interface, name, line) for line in text.splitlines() if line.strip()]
    else:
        spec["equals"] = _condition_value(interface, name, text)
    return spec


def rule_from_row(row: RuleRow, interface: Interface | None) -> dict[str, Any]:
    """The rule dict the service validates; what cannot be read is passed on for it to word."""
    rule: dict[str, Any] = {"type": row.type, "severity": row.value("severity")}
    message = row.values.get("message", "").strip()
    if message:
        rule["message"] = message
    for param in row.inputs:
        text = row.values.get(param, "")
        if param in ("if", "then"):
            rule[param] = _condition(row, param, interface)
        elif param == "phrases":
            phrases = [line.strip() for line in text.splitlines() if line.strip()]
            if phrases:
                rule["phrases"] = phrases
        elif param == "pattern":
            if text:
                rule["pattern"] = text
        elif text.strip():
            if param in ("value", "count"):
                rule[param] = _typed_number(text, whole=True)
            elif param in ("seconds", "threshold"):
                rule[param] = _typed_number(text, whole=False)
            else:  # field, source
                rule[param] = text.strip()
    return rule


def row_from_rule(key: int, rule: Mapping[str, Any]) -> RuleRow:
    row = RuleRow(key=key, type=str(rule.get("type") or RULE_TYPES[0]))
    row.values["severity"] = str(rule.get("severity") or "error")
    if rule.get("message"):
        row.values["message"] = str(rule["message"])
    for param in ("field", "value", "pattern", "seconds", "threshold", "count", "source"):
        if rule.get(param) is not None:
            row.values[param] = _shown(rule[param])
    if isinstance(rule.get("phrases"), list):
        row.values["phrases"] = "\n".join(str(p) for p in rule["phrases"])
    for which in ("if", "then"):
        spec = rule.get(which)
        if not isinstance(spec, Mapping):
            continue
        row.values[f"{which}_field"] = str(spec.get("field") or "")
        if "present" in spec:
            row.values[f"{which}_test"] = "present" if spec["present"] else "absent"
        elif "required" in spec:
            row.values[f"{which}_test"] = "required"
        elif "in" in spec:
            row.values[f"{which}_test"] = "in"
            row.values[f"{which}_value"] = "\n".join(_shown(v) for v in spec["in"] or [])
        elif "equals" in spec:
            row.values[f"{which}_test"] = "equals"
            row.values[f"{which}_value"] = _shown(spec["equals"])
    return row


def next_rule_key(rows: list[RuleRow]) -> int:
    return max((r.key for r in rows), default=-1) + 1


def recommended_rows(rows: list[RuleRow], start: int) -> list[RuleRow]:
    """The recommended rules whose type is not in the list yet."""
    present = {r.type for r in rows}
    added = []
    for rule in quality_config.RECOMMENDED_LINTERS:
        if rule["type"] not in present:
            added.append(row_from_rule(start + len(added), rule))
    return added


def mark_rule_row(rows: list[RuleRow], message: str) -> None:
    """Show a linters error at the row it names ("linter 2 (min_length): ...")."""
    match = _LINTER_POSITION.match(message)
    if match and 1 <= int(match.group(1)) <= len(rows):
        rows[int(match.group(1)) - 1].error = match.group(2)


# =============================================================================
# the whole form
# =============================================================================


@dataclass
class QualityForm:
    """The editor as typed, so a refused form comes back exactly as it was sent."""

    values: dict[str, str] = field(default_factory=dict)  # by Setting.name, plus "benchmark-retry"
    rows: list[RuleRow] = field(default_factory=list)

    @classmethod
    def from_quality(cls, quality: Mapping[str, Any]) -> "QualityForm":
        form = cls()
        for setting in ALL_SETTINGS:
            value = quality[setting.section].get(setting.key)
            form.values[setting.name] = _percent_text(value) if setting.kind == "percent" else _shown(value)
        form.values["benchmark-retry"] = str(quality["benchmark"].get("retry") or "cooldown")
        for toggle in TOGGLES:
            form.values[toggle.name] = "on" if quality[toggle.section].get(toggle.key) else ""
        form.rows = [row_from_rule(i, r) for i, r in enumerate(quality.get("linters") or []) if isinstance(r, Mapping)]
        return form

    @classmethod
    def read(cls, get: Getter) -> "QualityForm":
        form = cls()
        for setting in ALL_SETTINGS:
            form.values[setting.name] = _first(get, setting.name)
        form.values["benchmark-retry"] = _first(get, "benchmark-retry")
        for toggle in TOGGLES:
            form.values[toggle.name] = _first(get, toggle.name)
        form.rows = read_rule_rows(get)
        return form

    def value(self, setting: Setting) -> str:
        return self.values.get(setting.name, "")

    def to_quality(self, interface: Interface | None) -> dict[str, Any]:
        quality: dict[str, Any] = {"benchmark": {}, "gold": {}}
        for setting in ALL_SETTINGS:
            text = self.values.get(setting.name, "")
            value: Any = _typed_number(text, whole=setting.kind == "whole")
            if setting.kind == "percent" and isinstance(value, (int, float)):
                value = value / 100
            quality[setting.section][setting.key] = value
        quality["benchmark"]["retry"] = self.values.get("benchmark-retry", "")
        for toggle in TOGGLES:
            quality[toggle.section][toggle.key] = bool(self.values.get(toggle.name))
        quality["linters"] = [rule_from_row(row, interface) for row in self.rows]
        return quality


def form_errors(errors: Mapping[str, str], form: QualityForm) -> dict[str, str]:
    """The service's errors, worded for the form (percentages, labels) and placed at their rows."""
    shown: dict[str, str] = {}
    percent = {s.error_key for s in ALL_SETTINGS if s.kind == "percent"}
    errors = dict(errors)
    if isinstance(errors.get("quality"), str):  # "what launch requires" problems: put each at its control
        rest = []
        for part in re.split(r"; (?=[a-z_]+: )", errors.pop("quality")):
            area, _, todo = part.partition(": ")
            key = _MISSING_AT.get(area)
            if key and todo and key not in errors:
                errors[key] = todo
            elif not key or not todo:
                rest.append(part)
        if rest:
            errors["quality"] = "; ".join(rest)
    for key, message in errors.items():
        if key in percent and message.startswith("must be a number"):
            message = message.replace("a number", "a percentage", 1).replace(" to 1", " to 100")
        shown[key] = _RELATIONS.get(message, message)
    if "quality.linters" in shown:
        mark_rule_row(form.rows, shown["quality.linters"])
    return shown


# =============================================================================
# plain words for the overview
# =============================================================================


def _field_name(name: Any, interface: Interface | None) -> str:
    component = interface.by_name.get(name) if interface and isinstance(name, str) else None
    return f"“{component.label if component else name}”"


def _values(value: Any) -> str:
    if isinstance(value, list):
        return " or ".join(_shown(v) for v in value)
    return _shown(value)


def _when(spec: Mapping[str, Any], interface: Interface | None) -> str:
    name = _field_name(spec.get("field"), interface)
    if "present" in spec:
        return f"{name} is {'given' if spec['present'] else 'empty'}"
    if "in" in spec:
        return f"{name} is {_values(spec['in'])}"
    return f"{name} is {_shown(spec.get('equals'))}"


def _then(spec: Mapping[str, Any], interface: Interface | None) -> str:
    name = _field_name(spec.get("field"), interface)
    if "required" in spec:
        return f"{name} must be given"
    if "in" in spec:
        return f"{name} must be {_values(spec['in'])}"
    return f"{name} must be {_shown(spec.get('equals'))}"


def describe_rule(rule: Mapping[str, Any], interface: Interface | None = None) -> str:
    """A stored (normalised) rule in plain words, e.g. "“Rationale” has at least 20 characters"."""
    kind = rule.get("type")
    name = _field_name(rule.get("field"), interface)
    if kind == "required":
        return f"{name} must be filled in"
    if kind == "min_length":
        return f"{name} has at least {_shown(rule.get('value'))} characters"
    if kind == "max_length":
        return f"{name} has at most {_shown(rule.get('value'))} characters"
    if kind == "must_match":
        return f"{name} must match the pattern {rule.get('pattern')}"
    if kind == "must_not_match":
        return f"{name} must not match the pattern {rule.get('pattern')}"
    if kind == "banned_phrases":
        phrases = [str(p) for p in rule.get("phrases") or []]
        listed = ", ".join(f"“{p}”" for p in phrases[:5])
        more = f" and {len(phrases) - 5} more" if len(phrases) > 5 else ""
        return f"{name} must not contain {listed}{more}"
    if kind == "conditional":
        return f"when {_when(rule.get('if') or {}, interface)}, {_then(rule.get('then') or {}, interface)}"
    if kind == "too_fast":
        return f"time on task is at least {_shown(rule.get('seconds'))} s"
    if kind == "copied_input":
        source = f"the item's “{rule['source']}”" if rule.get("source") else "the item's data"
        threshold = rule.get("threshold", 0.8)
        return f"{name} does not repeat {source} (similarity under {_percent_text(threshold)}%)"
    if kind == "straight_lining":
        what = f"the same {name}" if rule.get("field") else "the same answer"
        return f"not {what} {_shown(rule.get('count', 5))} times in a row"
    return str(kind)


def quality_summary(project: Project, interface: Interface | None) -> dict[str, Any]:
    """What the overview's card shows: the stored numbers and each rule in words."""
    quality = quality_config.stored(project.quality)
    rules = [{"severity": r.get("severity", "error"), "text": describe_rule(r, interface), "message": r.get("message"),
              "type": r.get("type")} for r in quality["linters"]]
    return {"quality": quality, "rules": rules}


# =============================================================================
# charts and ordering
# =============================================================================

CHART_WIDTH, CHART_HEIGHT = 240, 48


def accuracy_points(values: list[float], width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> str:
    """An SVG polyline for accuracies on a fixed 0-1 scale (unlike the board's, which scales to the peak)."""
    if not values:
        return ""
    values = [min(max(float(v), 0.0), 1.0) for v in values]
    if len(values) == 1:
        values = values * 2
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - v * (height - 4) - 2:.1f}" for i, v in enumerate(values))


def accuracy_y(value: float, height: int = CHART_HEIGHT) -> str:
    return f"{height - min(max(value, 0.0), 1.0) * (height - 4) - 2:.1f}"


# =============================================================================
# the pages
# =============================================================================


async def _project_for_ops(session: AsyncSession, request: Request, project_id: int, *,
                           for_update: bool = False) -> Project:
    project = await projects.get_project(session, project_id, for_update=for_update)
    await accounts.require_role(session, request.user, project_id, Role.ops)
    return project


def _interface(project: Project) -> Interface | None:
    try:
        return projects.interface_of(project)
    except Exception:  # a draft may hold an interface that no longer builds; the editor still opens
        return None


def _fields(interface: Interface | None) -> list[Component]:
    return list(interface.components) if interface else []


def _value_hint(component: Component | None) -> str:
    """What a condition value on this field can be."""
    if component is None:
        return ""
    options = getattr(component, "options", None)
    if options is not None:
        listed = [o.value for o in options]
        return "One of: " + ", ".join(listed[:12]) + (" …" if len(listed) > 12 else "")
    if component.type == "rating":
        return f"A whole number from {component.min} to {component.max}"  # type: ignore[attr-defined]
    if component.type == "number":
        return "A number"
    return ""


def _row_context(project: Project, interface: Interface | None) -> dict[str, Any]:
    fields = _fields(interface)
    return {"project": project, "fields": fields, "text_fields": [f for f in fields if f.type == "text"],
            "by_name": {f.name: f for f in fields}, "rule_types": [(t, RULE_LABELS.get(t, t)) for t in RULE_TYPES],
            "severities": SEVERITIES, "if_tests": IF_TESTS, "then_tests": THEN_TESTS, "value_hint": _value_hint,
            "text_only": TEXT_ONLY, "optional_field": OPTIONAL_FIELD,
            "recommended": "; ".join(f"{describe_rule(r, interface)} ({r['severity']})"
                                     for r in quality_config.RECOMMENDED_LINTERS)}


STANDING_LABELS = {"pending_gate": "pending gate", "qualified": "qualified", "recalibrating": "recalibrating",
                   "removed": "removed"}
OVERRIDE_LABELS = {"qualified": "Qualified (reinstate)", "removed": "Removed", "pending_gate": "Benchmark again"}
REASON_LIMIT = 1000


class QualityPages(Controller):
    path = "/projects/{project_id:int}"
    include_in_schema = False

    # -- the editor ----------------------------------------------------------------------
    async def _editor(self, request: Request, project_id: int, form: QualityForm | None = None, *,
                      errors: dict[str, str] | None = None, status_code: int = 200, saved: bool = False,
                      notice: str | None = None) -> Template:
        async with database(request).transaction() as session:
            project = await _project_for_ops(session, request, project_id)
            gold_items = await gold_items_count(session, project_id)
        interface = _interface(project)
        form = form or QualityForm.from_quality(quality_config.stored(project.quality))
        context = _row_context(project, interface) | {
            "user": request.user, "form": form, "rows": form.rows, "next_index": next_rule_key(form.rows),
            "errors": errors or {}, "saved": saved, "notice": notice, "gold_items": gold_items,
            "benchmark_settings": BENCHMARK_SETTINGS, "cooldown": COOLDOWN, "gold_settings": GOLD_SETTINGS,
            "retry_choices": RETRY_CHOICES, "reuse_for_retry": REUSE_FOR_RETRY,
            "reuse_for_recalibration": REUSE_FOR_RECALIBRATION, "focus_key": None, "interface_error": None if interface else
            "the interface does not build, so rules cannot name its fields: fix it under Edit set-up"}
        return Template("quality/edit.html", context=context, status_code=status_code)

    @get("/quality")
    async def edit_form(self, request: Request, project_id: int, saved: bool = False) -> Template:
        return await self._editor(request, project_id, saved=saved)

    @post("/quality", status_code=200)
    async def save(self, request: Request, project_id: int) -> Template | Redirect:
        get_ = form_getter(await request.form())
        form = QualityForm.read(get_)
        action = _first(get_, "action")
        db = database(request)
        if action in ("add-rule", "add-recommended"):  # the buttons without JavaScript: nothing is saved
            async with db.transaction() as session:
                await _project_for_ops(session, request, project_id)
            start = next_rule_key(form.rows)
            added = ([new_rule_row(start, _first(get_, "new_rule_type"))] if action == "add-rule"
                     else recommended_rows(form.rows, start))
            form.rows.extend(added)
            notice = None if added else "The recommended rules are already in the list."
            return await self._editor(request, project_id, form, notice=notice)
        try:
            async with db.transaction() as session:
                project = await _project_for_ops(session, request, project_id, for_update=True)
                quality = form.to_quality(_interface(project))
                checks: dict[str, str] = {}
                if not form.rows and project.status != ProjectStatus.draft:
                    checks["quality.linters"] = "keep at least one rule: linters cannot be switched off"
                found: dict[str, str] = {}
                try:
                    await projects.update_project(session, project, actor=request.user, changes={"quality": quality})
                except Invalid as exc:
                    found = dict(exc.errors)
                if found or checks:
                    raise Invalid(found | checks)  # rolls the transaction back
        except Invalid as exc:
            return await self._editor(request, project_id, form, errors=form_errors(exc.errors, form),
                                      status_code=422)
        except Conflict as exc:  # refused for the project's state (e.g. below what a live project needs)
            missing = [str(m) for m in exc.extra.get("missing") or []]
            message = exc.message + (": " + "; ".join(missing) if missing else "")
            return await self._editor(request, project_id, form, errors=form_errors({"quality": message}, form),
                                      status_code=409)
        return Redirect(f"/projects/{project_id}/quality?saved=true", status_code=303)

    @get("/quality/rule-row")
    async def rule_row(self, request: Request, project_id: int, index: int = 0, add: bool = False,
                       recommended: bool = False, new_rule_type: str | None = None) -> Template:
        """A rule row for the editor (htmx): a new one, the recommended ones, or one redrawn for a new type."""
        async with database(request).transaction() as session:
            project = await _project_for_ops(session, request, project_id)
        get_ = form_getter(request.query_params)
        index = max(0, min(index, 999_999))
        notice = None
        if recommended:
            present = read_rule_rows(get_)
            start = max(index, next_rule_key(present))
            rows = recommended_rows(present, start)
            if not rows:
                notice = "The recommended rules are already in the list."
            add = True
        elif add:
            rows = [new_rule_row(index, new_rule_type)]
        else:
            rows = [read_rule_row(get_, index)]
        focus = rows[0].key if add and rows else None
        next_index = max([index + 1] + [r.key + 1 for r in rows])
        context = _row_context(project, _interface(project)) | {
            "rows": rows, "add": add, "next_index": next_index, "focus_key": focus, "notice": notice}
        return Template("quality/_rule_row_response.html", context=context)

    # -- the contributors table --------------------------------------------------------------
    async def _contributors(self, request: Request, project_id: int, template: str = "quality/contributors.html", *,
                            status_code: int = 200, changed: int | None = None,
                            override: dict[str, Any] | None = None) -> Template:
        async with database(request).transaction() as session:
            project = await _project_for_ops(session, request, project_id)
            rows = await standings.contributor_rows(session, project)
        rows.sort(key=contributors_first)
        changed_row = next((r for r in rows if r["user_id"] == changed), None) if changed else None
        return Template(template, status_code=status_code, context={
            "user": request.user, "project": project, "rows": rows, "changed": changed_row,
            "override": override or {}, "overrides": [(s, OVERRIDE_LABELS[s]) for s in OVERRIDES],
            "standing_labels": STANDING_LABELS})

    @get("/contributors")
    async def contributors(self, request: Request, project_id: int, changed: int | None = None) -> Template:
        return await self._contributors(request, project_id, changed=changed)

    @get("/contributors/table")
    async def contributors_table(self, request: Request, project_id: int) -> Template:
        return await self._contributors(request, project_id, "quality/_contributors_table.html")

    @post("/contributors/{user_id:int}/standing", status_code=200)
    async def override(self, request: Request, project_id: int, user_id: int) -> Template | Redirect:
        posted = await request.form()
        state = str(posted.get("state") or "")
        reason = str(posted.get("reason") or "")
        try:
            async with database(request).transaction() as session:
                project = await _project_for_ops(session, request, project_id)
                errors: dict[str, str] = {}
                if state not in OVERRIDES:
                    errors["state"] = f"choose one of: {', '.join(OVERRIDE_LABELS[s].lower() for s in OVERRIDES)}"
                if not reason.strip():
                    errors["reason"] = "required: say why, the contributor will read it"
                elif len(reason.strip()) > REASON_LIMIT:
                    errors["reason"] = f"must be at most {REASON_LIMIT} characters"
                if not errors and await accounts.membership_role(session, project_id, user_id) != Role.contributor:
                    errors["user_id"] = "is not a contributor in this project"
                if errors:
                    raise Invalid(errors)
                await override_standing(session, project, user_id, state, reason, request.user.id)
        except Invalid as exc:
            return await self._contributors(request, project_id, status_code=422, override={
                "user_id": user_id, "state": state, "reason": reason, "errors": exc.errors})
        return Redirect(f"/projects/{project_id}/contributors?changed={user_id}", status_code=303)

    # -- a contributor's own record ---------------------------------------------------------
    async def _record(self, request: Request, project_id: int) -> dict[str, Any]:
        async with database(request).transaction() as session:
            project = await projects.get_project(session, project_id)
            role = await accounts.require_role(session, request.user, project_id)
            me = await standings.own_standing(session, project, request.user.id)
        quality = quality_config.stored(project.quality)
        interface = _interface(project)
        return {"user": request.user, "project": project, "me": me, "role": role, "quality": quality,
                "labels": {c.name: c.label for c in _fields(interface)}, "points": accuracy_points,
                "accuracy_y": accuracy_y, "chart": {"width": CHART_WIDTH, "height": CHART_HEIGHT},
                "standing_labels": STANDING_LABELS}

    @get("/me")
    async def me(self, request: Request, project_id: int) -> Template:
        return Template("quality/me.html", context=await self._record(request, project_id))

    @get("/me/record")
    async def me_record(self, request: Request, project_id: int) -> Template:
        return Template("quality/_record_response.html", context=await self._record(request, project_id))
