"""Linters: quality rules run on every submission before it is stored.

Rules are data, not code: a project's quality config holds a JSON list of
rule objects, versioned with the project. ``validate_rules`` checks that list
against the project's interface when it is saved and returns it normalised
(defaults filled in, values in the components' canonical form; still plain
JSON). ``run_linters`` applies the normalised rules to a validated answer.

Every rule has a ``type``, a ``severity`` (``error`` blocks the submission
with the message shown at the field; ``warning`` lets it through, flagged)
and an optional ``message`` replacing the default one. Rule types::

    required        field                     the field is not empty
    min_length      field, value              text has >= value characters (stripped)
    max_length      field, value              text has <= value characters (stripped)
    must_match      field, pattern            re.search(pattern, text) finds something
    must_not_match  field, pattern            re.search(pattern, text) finds nothing
    banned_phrases  field, phrases            none of the phrases, case-insensitive, whole words
    conditional     if, then                  when the if-field meets its condition, the
                                              then-field is given / equals / is in values
    too_fast        seconds                   time on task >= seconds
    copied_input    field, source?, threshold the text does not repeat the item's data
    straight_lining count, field?             not the same answer ``count`` times in a row

Shared conventions:

* Rules on one field, other than ``required`` and ``conditional``, pass when
  the field is empty: an optional field left blank is judged by ``required``.
* On a multi_choice field (a list of options) ``equals: x`` means "includes x"
  and ``in: [x, y]`` means "includes x or y", both in ``if`` and ``then``.
* ``too_fast`` passes when no time on task was recorded; ``straight_lining``
  passes until there are ``count - 1`` earlier answers to compare with.
* Patterns and phrases read only the first MAX_SCANNED characters of a text.
  Patterns are case-sensitive unless they say ``(?i)``; phrases never are.
* Messages name fields by their name (the rules do not carry labels).
* Findings come back in rule order, at most one per rule.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field as dataclass_field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, Callable, Mapping

from components._checks import config_int, is_number, plural, show
from components.base import AnswerError, Component, ConfigError, Interface, LintRule

RULE_TYPES = (
    "required",
    "min_length",
    "max_length",
    "must_match",
    "must_not_match",
    "banned_phrases",
    "conditional",
    "too_fast",
    "copied_input",
    "straight_lining",
)
SEVERITIES = ("error", "warning")

#: A minimal guard against catastrophic regexes: Python's ``re`` has no timeout,
#: so bound what the pattern and the text can be. Patterns are written by ops.
MAX_PATTERN_LENGTH = 500
#: Only this many characters of an answer (and of an item's text) are scanned.
MAX_SCANNED = 100_000
MAX_MESSAGE_LENGTH = 300
MAX_PHRASES = 1000
MAX_PHRASE_LENGTH = 200
#: Above this many characters, copied_input's similarity compares words rather than
#: characters. SequenceMatcher is pure Python and roughly quadratic: on two texts of
#: ~1,500 characters the character ratio took ~90 ms against ~1 ms for words, and
#: ~0.5 ms already at 130 characters: too slow for a check run on every submission
#: (the text component's scoring, run far less often, uses 2,000).
CHARACTER_LIMIT = 100
#: Similarity looks at the first this many words of each text (~6,000 characters):
#: word ratios of two 16,000-word texts took ~2 s. Longer copies are still caught by
#: the equality and verbatim-stretch checks, which read the whole (capped) text.
MAX_COMPARED_WORDS = 1000
#: The shortest verbatim stretch copied_input reports, so short stock phrases pass.
MIN_COPIED_RUN = 20
#: Occurrences of one anchor looked at in the source (bounds repetitive texts).
_MAX_ANCHOR_HITS = 100

_COMMON_KEYS = frozenset({"type", "severity", "message"})
_PARAM_KEYS: dict[str, frozenset[str]] = {
    "required": frozenset({"field"}),
    "min_length": frozenset({"field", "value"}),
    "max_length": frozenset({"field", "value"}),
    "must_match": frozenset({"field", "pattern"}),
    "must_not_match": frozenset({"field", "pattern"}),
    "banned_phrases": frozenset({"field", "phrases"}),
    "conditional": frozenset({"if", "then"}),
    "too_fast": frozenset({"seconds"}),
    "copied_input": frozenset({"field", "source", "threshold"}),
    "straight_lining": frozenset({"field", "count"}),
}
_WORD_CHAR = re.compile(r"\w")


@dataclass(frozen=True)
class LintFinding:
    rule: str  # rule type, e.g. "too_fast"
    field: str | None  # the field it concerns; None for whole-answer rules
    severity: str  # "error" | "warning"
    message: str  # user-facing, short

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "field": self.field, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class LintContext:
    item_data: dict[str, Any] = dataclass_field(default_factory=dict)  # untrusted
    time_on_task_ms: int | None = None
    #: This contributor's previous answers in this project, newest first.
    recent_answers: list[dict[str, Any]] = dataclass_field(default_factory=list)


# =============================================================================
# validation
# =============================================================================


class _RuleError(Exception):
    """A problem inside one rule; validate_rules adds the rule's position."""


def validate_rules(rules: Any, interface: Interface) -> list[dict[str, Any]]:
    """Check and normalise a list of rule dicts; raise ConfigError naming the rule and key.

    None (no linters configured) is an empty list. The result is JSON-serialisable
    and validating it again returns it unchanged.
    """
    if rules is None:
        return []
    if not isinstance(rules, list):
        raise ConfigError("linters must be a list of rules")
    normalised: list[dict[str, Any]] = []
    for position, rule in enumerate(rules, start=1):
        if not isinstance(rule, Mapping):
            raise ConfigError(f"linter {position}: must be an object with a type")
        kind = rule.get("type")
        if kind is None:
            raise ConfigError(f"linter {position}: type is missing")
        own = component_rule(kind, rule.get("field"), interface)
        if own is None and (not isinstance(kind, str) or kind not in RULE_TYPES):
            known = [*RULE_TYPES, *sorted({t for c in interface.components for t in c.lint_rules})]
            raise ConfigError(
                f"linter {position}: unknown type {_quote(kind)}; use one of: {', '.join(known)}"
            )
        try:
            normalised.append(_validate_own_rule(kind, rule, interface, *own) if own
                              else _validate_rule(kind, rule, interface))
        except (_RuleError, ConfigError) as exc:
            raise ConfigError(f"linter {position} ({kind}): {exc}") from None
    return normalised


def component_rule(kind: Any, field: Any, interface: Interface) -> tuple[Component, LintRule] | None:
    """A rule type the named field's component brings (``Component.lint_rules``), if it is one."""
    component = interface.by_name.get(field) if isinstance(field, str) else None
    rule = component.lint_rules.get(kind) if component is not None and isinstance(kind, str) else None
    return (component, rule) if rule is not None else None


def _validate_own_rule(kind: str, rule: Mapping[str, Any], interface: Interface, component: Component,
                       own: LintRule) -> dict[str, Any]:
    """A component's rule: the common keys checked here, its parameters by the component."""
    allowed = _COMMON_KEYS | {"field"} | own.params
    for key in rule:
        if key not in allowed:
            keys = ", ".join(sorted(own.params | {"field"})) + ", severity, message"
            raise _RuleError(f"unknown key {_quote(key)}; this rule takes {keys}")
    out = _common(rule)
    out["field"] = component.name
    out.update(own.check({k: v for k, v in rule.items() if k in own.params}, component))
    return out


def _common(rule: Mapping[str, Any]) -> dict[str, Any]:
    severity = rule.get("severity", "error")
    if severity not in SEVERITIES:
        raise _RuleError('severity must be "error" or "warning"')
    out: dict[str, Any] = {"type": rule["type"], "severity": severity}
    message = rule.get("message")
    if message is not None:
        if not isinstance(message, str) or not message.strip():
            raise _RuleError("message must be a non-empty string")
        if len(message.strip()) > MAX_MESSAGE_LENGTH:
            raise _RuleError(f"message must be at most {MAX_MESSAGE_LENGTH} characters")
        out["message"] = message.strip()
    return out


def _validate_rule(kind: str, rule: Mapping[str, Any], interface: Interface) -> dict[str, Any]:
    allowed = _COMMON_KEYS | _PARAM_KEYS[kind]
    for key in rule:
        if key not in allowed:
            keys = ", ".join(sorted(_PARAM_KEYS[kind])) + ", severity, message"
            raise _RuleError(f"unknown key {_quote(key)}; this rule takes {keys}")
    out = _common(rule)
    out.update(_VALIDATORS[kind](rule, interface))
    return out


def _field(rule: Mapping[str, Any], interface: Interface, text: bool = False, where: str = "field") -> str:
    name = rule.get("field")
    if name is None:
        raise _RuleError(f"{where} is missing")
    if not isinstance(name, str) or name not in interface.by_name:
        raise _RuleError(f"{where} {_quote(name)} is not a field of the interface")
    if text and interface.by_name[name].type != "text":
        raise _RuleError(f"{where} {_quote(name)} is not a text field")
    return name


def _required_param(rule: Mapping[str, Any], key: str) -> Any:
    if rule.get(key) is None:
        raise _RuleError(f"{key} is missing")
    return rule[key]


def _v_required(rule: Mapping[str, Any], interface: Interface) -> dict[str, Any]:
    return {"field": _field(rule, interface)}


def _v_length(rule: Mapping[str, Any], interface: Interface) -> dict[str, Any]:
    name = _field(rule, interface, text=True)
    _required_param(rule, "value")
    return {"field": name, "value": config_int(rule, "value", minimum=1)}


def _v_pattern(rule: Mapping[str, Any], interface: Interface) -> dict[str, Any]:
    name = _field(rule, interface, text=True)
    pattern = _required_param(rule, "pattern")
    if not isinstance(pattern, str) or not pattern:
        raise _RuleError("pattern must be a non-empty string")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise _RuleError(f"pattern must be at most {MAX_PATTERN_LENGTH} characters")
    try:
        _compiled(pattern)
    except re.error as exc:
        raise _RuleError(f"pattern is not a valid regular expression: {exc}") from None
    return {"field": name, "pattern": pattern}


def _v_banned(rule: Mapping[str, Any], interface: Interface) -> dict[str, Any]:
    name = _field(rule, interface, text=True)
    raw = _required_param(rule, "phrases")
    if not isinstance(raw, list) or not raw:
        raise _RuleError("phrases must be a non-empty list of strings")
    if len(raw) > MAX_PHRASES:
        raise _RuleError(f"phrases must list at most {MAX_PHRASES}")
    phrases: list[str] = []
    seen: set[str] = set()
    for position, phrase in enumerate(raw, start=1):
        if not isinstance(phrase, str) or not phrase.strip():
            raise _RuleError(f"phrase {position} must be a non-empty string")
        phrase = " ".join(phrase.split())
        if len(phrase) > MAX_PHRASE_LENGTH:
            raise _RuleError(f"phrase {position} must be at most {MAX_PHRASE_LENGTH} characters")
        if phrase.casefold() not in seen:
            seen.add(phrase.casefold())
            phrases.append(phrase)
    return {"field": name, "phrases": phrases}


_IF_TESTS = ("equals", "in", "present")
_THEN_TESTS = ("required", "equals", "in")


def _v_conditional(rule: Mapping[str, Any], interface: Interface) -> dict[str, Any]:
    when = _condition(rule, "if", _IF_TESTS, interface)
    then = _condition(rule, "then", _THEN_TESTS, interface)
    if when["field"] == then["field"]:
        raise _RuleError("if and then must name different fields")
    return {"if": when, "then": then}


def _condition(
    rule: Mapping[str, Any], key: str, tests: tuple[str, ...], interface: Interface
) -> dict[str, Any]:
    spec = _required_param(rule, key)
    shape = f'an object with field and one of {", ".join(tests)}'
    if not isinstance(spec, Mapping):
        raise _RuleError(f"{key} must be {shape}")
    for inner in spec:
        if inner != "field" and inner not in tests:
            raise _RuleError(f"{key}: unknown key {_quote(inner)}")
    given = [test for test in tests if test in spec]
    if len(given) != 1:
        raise _RuleError(f"{key} must be {shape}")
    test = given[0]
    name = _field(spec, interface, where=f"{key}.field")
    component = interface.by_name[name]
    value = spec[test]
    if test == "present":
        if not isinstance(value, bool):
            raise _RuleError(f"{key}.present must be true or false")
    elif test == "required":
        if value is not True:
            raise _RuleError(f"{key}.required must be true")
    elif test == "equals":
        value = _option_value(component, value, f"{key}.equals")
    else:
        if not isinstance(value, list) or not value:
            raise _RuleError(f"{key}.in must be a non-empty list")
        values: list[Any] = []
        for position, item in enumerate(value, start=1):
            checked = _option_value(component, item, f"{key}.in value {position}")
            if checked not in values:
                values.append(checked)
        value = values
    return {"field": name, test: value}


def _option_value(component: Component, value: Any, where: str) -> Any:
    """A value one answer to ``component`` can have (or, for a list-valued field, include).

    The component's own ``validate`` judges and normalises it (rating 4.0 -> 4).
    For list-valued fields (level "set", i.e. multi_choice) the value is one member:
    checked against the options directly, so min_selected cannot reject a lone option.
    """
    try:
        if component.level == "set":
            options = getattr(component, "options", None)
            if options is not None:
                return options.check(value)
            return component.validate([value])[0]
        checked = component.validate(value)
    except AnswerError as exc:
        raise _RuleError(f"{where}: {_quote(value)} {exc}") from None
    if component.is_empty(checked):  # it could never match an answer
        raise _RuleError(f"{where} must not be empty; to test for an empty field use present: false")
    return checked


def _v_too_fast(rule: Mapping[str, Any], interface: Interface) -> dict[str, Any]:
    seconds = _required_param(rule, "seconds")
    if not is_number(seconds) or not math.isfinite(seconds) or seconds <= 0:
        raise _RuleError("seconds must be a number more than 0")
    return {"seconds": seconds}


def _v_copied(rule: Mapping[str, Any], interface: Interface) -> dict[str, Any]:
    out: dict[str, Any] = {"field": _field(rule, interface, text=True)}
    source = rule.get("source")
    if source is not None:
        if not isinstance(source, str) or not source:
            raise _RuleError("source must be the name of a key of the item's data")
        out["source"] = source
    # Below 0.5 "mostly repeats" stops meaning anything, and the verbatim-stretch
    # search would have to look for ever shorter stretches.
    threshold = rule.get("threshold", 0.8)
    if not is_number(threshold) or not 0.5 <= threshold <= 1:
        raise _RuleError("threshold must be a number from 0.5 to 1")
    out["threshold"] = threshold
    return out


def _v_straight(rule: Mapping[str, Any], interface: Interface) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rule.get("field") is not None:
        out["field"] = _field(rule, interface)
    out["count"] = config_int(rule, "count", default=5, minimum=2)
    return out


_VALIDATORS: dict[str, Callable[[Mapping[str, Any], Interface], dict[str, Any]]] = {
    "required": _v_required,
    "min_length": _v_length,
    "max_length": _v_length,
    "must_match": _v_pattern,
    "must_not_match": _v_pattern,
    "banned_phrases": _v_banned,
    "conditional": _v_conditional,
    "too_fast": _v_too_fast,
    "copied_input": _v_copied,
    "straight_lining": _v_straight,
}


# =============================================================================
# compiled patterns, cached by their source so the rule dicts stay plain JSON
# =============================================================================


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@lru_cache(maxsize=256)
def _banned_regex(phrases: tuple[str, ...]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """One regex for all the phrases, and the phrase each capturing group stands for.

    Whitespace inside a phrase matches any run of whitespace. The whole-word
    guard applies only at an end of the phrase that is a word character, so
    "as an AI" does not match "as an AIM" while "!!!" still matches "wow!!!".
    Phrases are grouped by which ends are guarded so that each group's guard
    comes first: a failing lookbehind then rejects a position at once, rather
    than after trying every alternative (about 8x faster on a 20-phrase list).
    """
    classes: dict[tuple[bool, bool], list[str]] = {}
    for phrase in phrases:
        edges = (bool(_WORD_CHAR.match(phrase[0])), bool(_WORD_CHAR.match(phrase[-1])))
        classes.setdefault(edges, []).append(phrase)
    parts: list[str] = []
    order: list[str] = []
    for (start_word, end_word), members in classes.items():
        bodies = "|".join("(" + r"\s+".join(re.escape(w) for w in p.split()) + ")" for p in members)
        before = r"(?<!\w)" if start_word else ""
        after = r"(?!\w)" if end_word else ""
        parts.append(f"{before}(?:{bodies}){after}")
        order.extend(members)
    return re.compile("|".join(parts), re.IGNORECASE), tuple(order)


# =============================================================================
# running
# =============================================================================


def run_linters(
    rules: list[dict[str, Any]], answer: dict[str, Any], context: LintContext, interface: Interface | None = None
) -> list[LintFinding]:
    """Apply normalised rules to a validated answer (field -> value; absent optional fields are None).
    Rules a component brings need the ``interface``; an empty field passes them."""
    findings: list[LintFinding] = []
    for rule in rules:
        kind = rule["type"]
        own = component_rule(kind, rule.get("field"), interface) if interface is not None else None
        if own is not None:
            value = answer.get(rule["field"])
            message = None if _is_empty(value) else own[1].run(rule, own[0], value, context)
        elif (check := _RUNNERS.get(kind)) is None:
            raise ValueError(f"unknown linter type {kind!r}; rules must come from validate_rules")
        else:
            message = check(rule, answer, context)
        if message is not None:
            findings.append(
                LintFinding(
                    rule=kind,
                    field=_finding_field(rule),
                    severity=rule.get("severity", "error"),
                    message=rule.get("message") or message,
                )
            )
    return findings


def _finding_field(rule: dict[str, Any]) -> str | None:
    if rule["type"] == "conditional":
        return rule["then"]["field"]
    return rule.get("field")


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _r_required(rule: dict, answer: dict, context: LintContext) -> str | None:
    return "required" if _is_empty(answer.get(rule["field"])) else None


def _text(rule: dict, answer: dict) -> str | None:
    """The field's text, or None when empty or not text (rules on it then pass)."""
    value = answer.get(rule["field"])
    if not isinstance(value, str) or not value.strip():
        return None
    return value


def _r_min_length(rule: dict, answer: dict, context: LintContext) -> str | None:
    text = _text(rule, answer)
    if text is not None and len(text.strip()) < rule["value"]:
        return f"at least {plural(rule['value'], 'character')}"
    return None


def _r_max_length(rule: dict, answer: dict, context: LintContext) -> str | None:
    text = _text(rule, answer)
    if text is not None and len(text.strip()) > rule["value"]:
        return f"at most {plural(rule['value'], 'character')}"
    return None


def _r_must_match(rule: dict, answer: dict, context: LintContext) -> str | None:
    text = _text(rule, answer)
    if text is not None and _compiled(rule["pattern"]).search(text[:MAX_SCANNED]) is None:
        return "is not in the expected format"
    return None


def _r_must_not_match(rule: dict, answer: dict, context: LintContext) -> str | None:
    text = _text(rule, answer)
    if text is not None and _compiled(rule["pattern"]).search(text[:MAX_SCANNED]) is not None:
        return "contains text that is not allowed"
    return None


def _r_banned(rule: dict, answer: dict, context: LintContext) -> str | None:
    text = _text(rule, answer)
    if text is None:
        return None
    regex, phrases = _banned_regex(tuple(rule["phrases"]))
    found = regex.search(text[:MAX_SCANNED])
    if found is None:
        return None
    return f"contains the banned phrase “{phrases[found.lastindex - 1]}”"


def _r_conditional(rule: dict, answer: dict, context: LintContext) -> str | None:
    when, then = rule["if"], rule["then"]
    if not _holds(when, answer.get(when["field"])):
        return None
    value = answer.get(then["field"])
    if _holds(then, value):
        return None
    condition = _describe(when, answer.get(when["field"]))
    if "required" in then:
        return f"required when {condition}"
    includes = isinstance(value, list)
    if "equals" in then:
        return f"{'must include' if includes else 'must be'} {_show(then['equals'])} when {condition}"
    listed = ", ".join(_show(v) for v in then["in"])
    return f"{'must include one of' if includes else 'must be one of'} {listed} when {condition}"


def _holds(test: dict, value: Any) -> bool:
    if "present" in test:
        return _is_empty(value) != test["present"]
    if "required" in test:
        return not _is_empty(value)
    if _is_empty(value):
        return False
    wanted = [test["equals"]] if "equals" in test else test["in"]
    if isinstance(value, list):  # multi_choice: includes any of the wanted values
        return any(w in value for w in wanted)
    return value in wanted


def _describe(test: dict, value: Any) -> str:
    name = test["field"]
    if "present" in test:
        return f"{name} is {'given' if test['present'] else 'empty'}"
    verb = "includes" if isinstance(value, list) else "is"
    if "equals" in test:
        return f"{name} {verb} {_show(test['equals'])}"
    return f"{name} {verb} one of {', '.join(_show(v) for v in test['in'])}"


def _r_too_fast(rule: dict, answer: dict, context: LintContext) -> str | None:
    taken = context.time_on_task_ms
    if taken is None or not is_number(taken) or taken >= rule["seconds"] * 1000:
        return None
    # Rounded down, so 4.96 s against a 5 s minimum reads 4.9 rather than 5.0.
    shown = math.floor(max(taken, 0) / 100) / 10
    return f"answered in {shown:.1f} s; the minimum is {show(rule['seconds'])} s"


def _r_copied(rule: dict, answer: dict, context: LintContext) -> str | None:
    text = _text(rule, answer)
    if text is None:
        return None
    data = context.item_data if isinstance(context.item_data, Mapping) else {}
    if "source" in rule:
        sources = [data.get(rule["source"])]
    else:
        sources = list(data.values())
    mine = _normalise(text)
    for source in sources:
        if isinstance(source, str) and source.strip():
            if is_copied(mine, _normalise(source), rule["threshold"]):
                return "repeats the item's text"
    return None


def _r_straight(rule: dict, answer: dict, context: LintContext) -> str | None:
    earlier = context.recent_answers[: rule["count"] - 1]
    if len(earlier) < rule["count"] - 1:
        return None
    name = rule.get("field")
    if name is not None:
        value = answer.get(name)
        if _is_empty(value):
            return None
        same = all(isinstance(past, Mapping) and past.get(name) == value for past in earlier)
    else:
        same = all(
            isinstance(past, Mapping) and all(past.get(key) == value for key, value in answer.items())
            for past in earlier
        )
    return f"same answer {rule['count']} times in a row" if same else None


_RUNNERS: dict[str, Callable[[dict, dict, LintContext], str | None]] = {
    "required": _r_required,
    "min_length": _r_min_length,
    "max_length": _r_max_length,
    "must_match": _r_must_match,
    "must_not_match": _r_must_not_match,
    "banned_phrases": _r_banned,
    "conditional": _r_conditional,
    "too_fast": _r_too_fast,
    "copied_input": _r_copied,
    "straight_lining": _r_straight,
}


# =============================================================================
# copied_input
# =============================================================================


def _normalise(text: str) -> str:
    """Casefolded, whitespace collapsed, and cut to MAX_SCANNED characters."""
    return " ".join(text[:MAX_SCANNED].casefold().split())


def is_copied(answer: str, source: str, threshold: float) -> bool:
    """Whether a (normalised) answer repeats a (normalised) source text.

    True when any of:

    1. they are equal;
    2. ``SequenceMatcher(None, a, b, autojunk=False).ratio()`` is at least
       ``threshold`` -- on characters, or on words (the first MAX_COMPARED_WORDS)
       when either text is over CHARACTER_LIMIT characters. The cheap upper bounds
       (``real_quick_ratio``, ``quick_ratio``) are tried first, so texts of very
       different lengths cost next to nothing;
    3. a stretch of the answer that is at least MIN_COPIED_RUN characters long and
       at least ``threshold`` of the answer's length appears verbatim in the source
       (this covers an answer that is, or mostly is, a passage lifted from a longer
       text, which the ratio misses because the source is much longer).
    """
    if not answer or not source:
        return False
    if answer == source:
        return True
    if _similarity(answer, source, threshold) >= threshold:
        return True
    return has_verbatim_run(answer, source, max(MIN_COPIED_RUN, math.ceil(threshold * len(answer))))


def _similarity(a: str, b: str, threshold: float) -> float:
    """SequenceMatcher's ratio, or an upper bound of it when that is already below threshold."""
    if max(len(a), len(b)) > CHARACTER_LIMIT:
        x: str | list[str] = a.split(maxsplit=MAX_COMPARED_WORDS)[:MAX_COMPARED_WORDS]
        y: str | list[str] = b.split(maxsplit=MAX_COMPARED_WORDS)[:MAX_COMPARED_WORDS]
    else:
        x, y = a, b
    # real_quick_ratio() without building the matcher, whose index of b costs
    # tens of microseconds: texts of very different lengths cannot be similar.
    bound = 2 * min(len(x), len(y)) / (len(x) + len(y))
    if bound < threshold:
        return bound
    matcher = SequenceMatcher(None, x, y, autojunk=False)
    bound = matcher.quick_ratio()
    if bound < threshold:
        return bound
    return matcher.ratio()


def has_verbatim_run(answer: str, source: str, length: int) -> bool:
    """Whether some ``length`` consecutive characters of ``answer`` occur in ``source``.

    Any such stretch contains one of the answer's anchors, the blocks of
    ``length // 2`` characters starting at multiples of ``length // 2``; so only
    those few anchors are searched for (in C, by ``str.find``), and each hit is
    widened to see how long the shared stretch around it really is.
    """
    if length <= 0:
        return True
    if length > len(answer) or length > len(source):
        return False
    if length == len(answer):
        return answer in source
    step = max(1, length // 2)
    for start in range(0, len(answer) - step + 1, step):
        anchor = answer[start : start + step]
        at = source.find(anchor)
        hits = 0
        while at != -1 and hits < _MAX_ANCHOR_HITS:
            hits += 1
            left = _shared_before(answer, start, source, at)
            right = _shared_after(answer, start + step, source, at + step)
            if left + step + right >= length:
                return True
            at = source.find(anchor, at + 1)
    return False


def _shared_after(a: str, i: int, b: str, j: int) -> int:
    """Length of the common prefix of a[i:] and b[j:], by binary search on slices."""
    low, high = 0, min(len(a) - i, len(b) - j)
    while low < high:
        middle = (low + high + 1) // 2
        if a[i : i + middle] == b[j : j + middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _shared_before(a: str, i: int, b: str, j: int) -> int:
    """Length of the common suffix of a[:i] and b[:j]."""
    low, high = 0, min(i, j)
    while low < high:
        middle = (low + high + 1) // 2
        if a[i - middle : i] == b[j - middle : j]:
            low = middle
        else:
            high = middle - 1
    return low


# =============================================================================
# helpers
# =============================================================================


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _show(value: Any) -> str:
    return show(value) if is_number(value) else str(value)
