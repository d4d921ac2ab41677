"""The linter rule library: rule validation and every rule passing and failing."""

from __future__ import annotations

import json
import random
import time

import pytest

from app.quality.linters import (
    MAX_SCANNED,
    RULE_TYPES,
    LintContext,
    LintFinding,
    _compiled,
    has_verbatim_run,
    is_copied,
    run_linters,
    validate_rules,
)
from components.base import ConfigError, Interface

SPECS = [
    {"name": "topic", "type": "choice", "options": ["sport", "politics", {"value": "other", "label": "Other"}]},
    {"name": "tags", "type": "multi_choice", "options": ["a", "b", "c"], "required": False, "min_selected": 2},
    {"name": "quality", "type": "rating", "min": 1, "max": 5},
    {"name": "age", "type": "number", "required": False, "min": 0},
    {"name": "rationale", "type": "text", "required": False},
    {"name": "title", "type": "text", "required": False, "multiline": False},
]


@pytest.fixture(scope="module")
def interface() -> Interface:
    return Interface.from_specs(SPECS)


def answer_of(interface: Interface, **values) -> dict:
    """A validated answer, as run_linters receives it."""
    raw = {"topic": "sport", "quality": 3}
    raw.update(values)
    clean, errors = interface.validate_answer(raw)
    assert errors == {}
    return clean


def lint(interface, rules, context=None, **values) -> list[LintFinding]:
    return run_linters(validate_rules(rules, interface), answer_of(interface, **values), context or LintContext())


def messages(findings) -> list[str]:
    return [f.message for f in findings]


# -- findings -------------------------------------------------------------------------


def test_finding_to_dict_is_plain_json():
    finding = LintFinding(rule="too_fast", field=None, severity="warning", message="answered in 1.0 s")
    assert finding.to_dict() == {
        "rule": "too_fast", "field": None, "severity": "warning", "message": "answered in 1.0 s",
    }
    json.dumps(finding.to_dict())


def test_rule_types_are_the_documented_ten():
    assert set(RULE_TYPES) == {
        "required", "min_length", "max_length", "must_match", "must_not_match", "banned_phrases",
        "conditional", "too_fast", "copied_input", "straight_lining",
    }


def test_no_rules_no_findings(interface):
    assert validate_rules(None, interface) == []
    assert validate_rules([], interface) == []
    assert lint(interface, []) == []


# -- required -------------------------------------------------------------------------


def test_required(interface):
    rules = [{"type": "required", "field": "rationale"}]
    assert lint(interface, rules, rationale="because") == []
    [finding] = lint(interface, rules)
    assert finding == LintFinding("required", "rationale", "error", "required")
    assert len(lint(interface, rules, rationale="   ")) == 1


def test_required_on_multi_choice_and_number(interface):
    rules = [{"type": "required", "field": "tags"}, {"type": "required", "field": "age"}]
    assert [f.field for f in lint(interface, rules)] == ["tags", "age"]
    assert lint(interface, rules, tags=["a", "b"], age=0) == []  # 0 is an answer, not empty
    # Raw values too: an empty list is empty.
    found = run_linters(validate_rules(rules, interface), {"tags": [], "age": 1}, LintContext())
    assert [f.field for f in found] == ["tags"]


# -- min_length / max_length ----------------------------------------------------------------


def test_min_length(interface):
    rules = [{"type": "min_length", "field": "rationale", "value": 20}]
    assert lint(interface, rules, rationale="x" * 20) == []
    [finding] = lint(interface, rules, rationale="x" * 19)
    assert (finding.rule, finding.field, finding.message) == ("min_length", "rationale", "at least 20 characters")


def test_min_length_counts_characters_of_the_stripped_text(interface):
    rule = validate_rules([{"type": "min_length", "field": "rationale", "value": 5}], interface)
    assert run_linters(rule, {"rationale": "  abcd \n"}, LintContext())  # 4 once stripped
    assert run_linters(rule, {"rationale": "ééééé"}, LintContext()) == []  # 5 characters, 10 bytes
    assert run_linters(rule, {"rationale": "naïve"}, LintContext()) == []


def test_length_messages_use_the_singular(interface):
    rules = validate_rules([{"type": "max_length", "field": "title", "value": 1}], interface)
    assert messages(run_linters(rules, {"title": "ab"}, LintContext())) == ["at most 1 character"]


def test_length_rules_pass_an_empty_optional_field(interface):
    rules = [
        {"type": "min_length", "field": "rationale", "value": 20},
        {"type": "max_length", "field": "rationale", "value": 5},
    ]
    assert lint(interface, rules) == []


def test_max_length(interface):
    rules = [{"type": "max_length", "field": "title", "value": 10}]
    assert lint(interface, rules, title="a" * 10) == []
    [finding] = lint(interface, rules, title="a" * 11)
    assert (finding.rule, finding.field, finding.message) == ("max_length", "title", "at most 10 characters")


# -- must_match / must_not_match ------------------------------------------------------------


def test_must_match_searches_anywhere(interface):
    rules = [{"type": "must_match", "field": "rationale", "pattern": r"\b\d{4}\b"}]
    assert lint(interface, rules, rationale="it happened in 2024, I think") == []
    [finding] = lint(interface, rules, rationale="it happened in 24")
    assert (finding.rule, finding.field, finding.message) == (
        "must_match", "rationale", "is not in the expected format",
    )
    assert lint(interface, rules) == []  # empty optional field


def test_must_not_match(interface):
    rules = [{"type": "must_not_match", "field": "rationale", "pattern": r"https?://"}]
    assert lint(interface, rules, rationale="see the text") == []
    [finding] = lint(interface, rules, rationale="see http://example.com")
    assert (finding.rule, finding.field, finding.message) == (
        "must_not_match", "rationale", "contains text that is not allowed",
    )


def test_patterns_are_case_sensitive_unless_they_say_otherwise(interface):
    assert lint(interface, [{"type": "must_not_match", "field": "rationale", "pattern": "todo"}],
                rationale="TODO") == []
    assert lint(interface, [{"type": "must_not_match", "field": "rationale", "pattern": "(?i)todo"}],
                rationale="TODO")


def test_patterns_scan_only_the_first_100k_characters(interface):
    rules = validate_rules([{"type": "must_not_match", "field": "rationale", "pattern": "needle"}], interface)
    assert run_linters(rules, {"rationale": "x" * (MAX_SCANNED - 6) + "needle"}, LintContext())
    assert run_linters(rules, {"rationale": "x" * MAX_SCANNED + "needle"}, LintContext()) == []


def test_patterns_are_compiled_once(interface):
    rules = validate_rules([{"type": "must_match", "field": "rationale", "pattern": r"compiled-once-\d"}], interface)
    run_linters(rules, {"rationale": "compiled-once-1"}, LintContext())
    misses = _compiled.cache_info().misses
    for _ in range(5):
        run_linters(rules, {"rationale": "nope"}, LintContext())
    assert _compiled.cache_info().misses == misses
    json.dumps(rules)  # no compiled pattern in the rule itself


# -- banned_phrases -------------------------------------------------------------------------


BANNED = [{"type": "banned_phrases", "field": "rationale", "phrases": ["lorem ipsum", "as an AI"]}]


@pytest.mark.parametrize(
    "text",
    ["As an AI, I cannot say.", "as an ai", "I speak AS AN AI.", "as  an\nAI model", "(as an AI)"],
)
def test_banned_phrase_found(interface, text):
    [finding] = lint(interface, BANNED, rationale=text)
    assert (finding.rule, finding.field, finding.message) == (
        "banned_phrases", "rationale", "contains the banned phrase “as an AI”",
    )


@pytest.mark.parametrize(
    "text", ["has an AI", "as an AIM", "as an A.I.", "as anAI", "loremipsum", "a reasonable answer"]
)
def test_banned_phrase_needs_whole_words(interface, text):
    assert lint(interface, BANNED, rationale=text) == []


def test_banned_phrase_message_names_the_first_found(interface):
    text = "As an ai, I find lorem ipsum dull"
    assert messages(lint(interface, BANNED, rationale=text)) == ["contains the banned phrase “as an AI”"]
    text = "Lorem Ipsum, as an AI would say"
    assert messages(lint(interface, BANNED, rationale=text)) == ["contains the banned phrase “lorem ipsum”"]


def test_banned_phrase_with_punctuation_edges(interface):
    rules = [{"type": "banned_phrases", "field": "rationale", "phrases": ["!!!", "c++", "#ad"]}]
    assert messages(lint(interface, rules, rationale="wow!!!")) == ["contains the banned phrase “!!!”"]
    assert messages(lint(interface, rules, rationale="!!!wow")) == ["contains the banned phrase “!!!”"]
    assert messages(lint(interface, rules, rationale="great post #ad")) == ["contains the banned phrase “#ad”"]
    assert lint(interface, rules, rationale="great post #adventure") == []
    assert messages(lint(interface, rules, rationale="written in C++.")) == ["contains the banned phrase “c++”"]
    assert lint(interface, rules, rationale="abc++") == []  # "c" must start a word


def test_banned_phrases_are_literal_not_regex(interface):
    rules = [{"type": "banned_phrases", "field": "rationale", "phrases": ["a.c"]}]
    assert lint(interface, rules, rationale="abc") == []
    assert lint(interface, rules, rationale="a.c")


def test_many_banned_phrases(interface):
    phrases = [f"word{i}" for i in range(600)]
    rules = [{"type": "banned_phrases", "field": "rationale", "phrases": phrases}]
    assert messages(lint(interface, rules, rationale="x word599 y")) == ["contains the banned phrase “word599”"]
    assert lint(interface, rules, rationale="word6000") == []


# -- conditional ----------------------------------------------------------------------------


def cond(when: dict, then: dict, **extra) -> list[dict]:
    return [{"type": "conditional", "if": when, "then": then, **extra}]


def test_conditional_equals_then_required(interface):
    rules = cond({"field": "topic", "equals": "other"}, {"field": "rationale", "required": True})
    assert lint(interface, rules, topic="sport") == []
    assert lint(interface, rules, topic="other", rationale="it is about cooking") == []
    [finding] = lint(interface, rules, topic="other")
    assert (finding.rule, finding.field, finding.message) == ("conditional", "rationale", "required when topic is other")


def test_conditional_in(interface):
    rules = cond({"field": "quality", "in": [1, 2]}, {"field": "rationale", "required": True})
    assert lint(interface, rules, quality=3) == []
    assert messages(lint(interface, rules, quality=2)) == ["required when quality is one of 1, 2"]


def test_conditional_present(interface):
    given = cond({"field": "age", "present": True}, {"field": "rationale", "required": True})
    assert lint(interface, given) == []
    assert messages(lint(interface, given, age=0)) == ["required when age is given"]
    empty = cond({"field": "age", "present": False}, {"field": "rationale", "required": True})
    assert lint(interface, empty, age=3) == []
    assert messages(lint(interface, empty)) == ["required when age is empty"]


def test_conditional_then_equals_and_in(interface):
    equals = cond({"field": "topic", "equals": "sport"}, {"field": "quality", "equals": 5})
    assert lint(interface, equals, topic="sport", quality=5) == []
    assert messages(lint(interface, equals, topic="sport", quality=4)) == ["must be 5 when topic is sport"]
    within = cond({"field": "topic", "equals": "sport"}, {"field": "quality", "in": [4, 5]})
    assert lint(interface, within, topic="sport", quality=4) == []
    assert lint(interface, within, topic="politics", quality=1) == []
    assert messages(lint(interface, within, topic="sport", quality=3)) == ["must be one of 4, 5 when topic is sport"]


def test_conditional_then_equals_fails_on_an_empty_field(interface):
    rules = cond({"field": "topic", "equals": "sport"}, {"field": "age", "equals": 18})
    assert len(lint(interface, rules, topic="sport")) == 1
    assert lint(interface, rules, topic="sport", age=18.0) == []


def test_conditional_multi_choice_equals_means_contains(interface):
    when = cond({"field": "tags", "equals": "a"}, {"field": "rationale", "required": True})
    assert lint(interface, when, tags=["b", "c"]) == []
    assert lint(interface, when) == []  # no tags
    assert messages(lint(interface, when, tags=["a", "c"])) == ["required when tags includes a"]
    within = cond({"field": "tags", "in": ["a", "b"]}, {"field": "rationale", "required": True})
    assert lint(interface, within, tags=["b", "c"])
    assert lint(interface, within, tags=["c", "a"])
    then = cond({"field": "topic", "equals": "sport"}, {"field": "tags", "equals": "c"})
    assert lint(interface, then, topic="sport", tags=["a", "c"]) == []
    assert messages(lint(interface, then, topic="sport", tags=["a", "b"])) == ["must include c when topic is sport"]
    assert lint(interface, then, topic="sport")  # nothing selected, so c is not included
    then_in = cond({"field": "topic", "equals": "sport"}, {"field": "tags", "in": ["b", "c"]})
    assert lint(interface, then_in, topic="sport", tags=["a", "b"]) == []
    raw = run_linters(validate_rules(then_in, interface), {"topic": "sport", "tags": ["a"]}, LintContext())
    assert messages(raw) == ["must include one of b, c when topic is sport"]


def test_conditional_multi_choice_lone_option_despite_min_selected(interface):
    # tags has min_selected 2, yet "includes a" names one option: that must be accepted.
    [rule] = validate_rules(cond({"field": "tags", "equals": "a"}, {"field": "age", "required": True}), interface)
    assert rule["if"] == {"field": "tags", "equals": "a"}


def test_conditional_values_are_normalised_by_the_component(interface):
    [rule] = validate_rules(cond({"field": "quality", "in": [4.0, 5, 4]}, {"field": "title", "equals": "  Hi "}),
                            interface)
    assert rule["if"] == {"field": "quality", "in": [4, 5]}
    assert type(rule["if"]["in"][0]) is int
    assert rule["then"] == {"field": "title", "equals": "Hi"}


# -- too_fast -------------------------------------------------------------------------------


def test_too_fast(interface):
    rules = [{"type": "too_fast", "seconds": 5}]
    assert lint(interface, rules, LintContext(time_on_task_ms=5000)) == []
    [finding] = lint(interface, rules, LintContext(time_on_task_ms=2100))
    assert finding == LintFinding("too_fast", None, "error", "answered in 2.1 s; the minimum is 5 s")


def test_too_fast_rounds_the_time_down(interface):
    rules = [{"type": "too_fast", "seconds": 2.5}]
    assert messages(lint(interface, rules, LintContext(time_on_task_ms=2499))) == [
        "answered in 2.4 s; the minimum is 2.5 s"
    ]


def test_too_fast_without_a_time_passes(interface):
    assert lint(interface, [{"type": "too_fast", "seconds": 5}], LintContext(time_on_task_ms=None)) == []


# -- copied_input ---------------------------------------------------------------------------


ITEM = {
    "id": "doc-17",
    "views": 120,
    "title": "Local team wins the regional final",
    "body": (
        "The local football team won the regional final on Saturday after a late goal. "
        "Thousands of supporters gathered in the town square to celebrate, and the mayor "
        "promised a reception at the town hall next week."
    ),
}
COPY = [{"type": "copied_input", "field": "rationale"}]


def test_copied_input_exact_copy_ignoring_case_and_spacing(interface):
    [finding] = lint(interface, COPY, LintContext(item_data=ITEM), rationale="LOCAL team  wins the\nregional final")
    assert finding == LintFinding("copied_input", "rationale", "error", "repeats the item's text")


def test_copied_input_near_copy(interface):
    near = ITEM["body"].replace("Saturday", "Sunday").replace("next week", "soon")
    assert lint(interface, COPY, LintContext(item_data=ITEM), rationale=near)


def test_copied_input_verbatim_excerpt_of_a_longer_text(interface):
    excerpt = "Thousands of supporters gathered in the town square to celebrate"
    assert lint(interface, COPY, LintContext(item_data=ITEM), rationale=excerpt)
    # Mostly the excerpt, with a few words of one's own.
    assert lint(interface, COPY, LintContext(item_data=ITEM), rationale="I think: " + excerpt)


def test_copied_input_own_words_pass(interface):
    own = "Sports report about a football victory and the celebrations afterwards."
    assert lint(interface, COPY, LintContext(item_data=ITEM), rationale=own) == []
    # A short quote inside an answer of one's own is fine.
    quote = "The article mentions the town square, but the key fact is who scored and when it happened."
    assert lint(interface, COPY, LintContext(item_data=ITEM), rationale=quote) == []


def test_copied_input_short_excerpt_is_not_flagged(interface):
    # Contained verbatim but under 20 characters.
    assert lint(interface, COPY, LintContext(item_data=ITEM), rationale="the town square") == []


def test_copied_input_source_restricts_the_comparison(interface):
    rules = [{"type": "copied_input", "field": "rationale", "source": "title"}]
    assert lint(interface, rules, LintContext(item_data=ITEM), rationale=ITEM["title"])
    assert lint(interface, rules, LintContext(item_data=ITEM), rationale=ITEM["body"]) == []
    missing = [{"type": "copied_input", "field": "rationale", "source": "summary"}]
    assert lint(interface, missing, LintContext(item_data=ITEM), rationale=ITEM["body"]) == []


def test_copied_input_ignores_non_text_item_data(interface):
    data = {"n": 120, "nested": {"text": "a long enough text to be copied here"}, "list": ["x"]}
    assert lint(interface, COPY, LintContext(item_data=data), rationale="120") == []
    assert lint(interface, COPY, LintContext(item_data=data), rationale="a long enough text to be copied here") == []


def test_copied_input_threshold(interface):
    near = ITEM["title"].replace("wins", "won")
    strict = [{"type": "copied_input", "field": "rationale", "threshold": 1}]
    assert lint(interface, strict, LintContext(item_data=ITEM), rationale=near) == []
    assert lint(interface, strict, LintContext(item_data=ITEM), rationale=ITEM["title"].upper())
    assert lint(interface, COPY, LintContext(item_data=ITEM), rationale=near)


def test_copied_input_long_texts_compare_words():
    words = [f"w{i % 97}x{i}" for i in range(800)]  # about 7000 characters
    source = " ".join(words)
    edited = " ".join(w if i % 10 else "changed" for i, w in enumerate(words))
    assert len(source) > 2000
    assert is_copied(edited, source, 0.8)
    unrelated = " ".join(f"other{i}" for i in range(800))
    assert not is_copied(unrelated, source, 0.8)


def test_copied_input_similarity_on_short_texts_uses_characters():
    # Word by word these share 1 of 3 words; character by character they are close.
    assert is_copied("local team won", "local teams won", 0.8)
    assert not is_copied("local team won", "regional side lost", 0.8)


def test_copied_input_stays_fast_on_huge_texts():
    rng = random.Random(3)
    vocabulary = [f"w{i}" for i in range(50)]
    answer = " ".join(rng.choice(vocabulary) for _ in range(16_000))
    source = " ".join(rng.choice(vocabulary) for _ in range(16_000))
    started = time.perf_counter()
    assert not is_copied(answer, source, 0.8)
    # Uncapped, SequenceMatcher takes seconds on 16,000 words each.
    assert time.perf_counter() - started < 1.0


def test_copied_input_empty_answer_passes(interface):
    assert lint(interface, COPY, LintContext(item_data=ITEM)) == []


def naive_has_run(answer: str, source: str, length: int) -> bool:
    if length > len(answer):
        return False
    return any(answer[i:i + length] in source for i in range(len(answer) - length + 1))


def test_verbatim_run_matches_brute_force():
    rng = random.Random(7)
    for _ in range(3000):
        alphabet = "ab" if rng.random() < 0.5 else "abcd "
        answer = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        source = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        length = rng.randint(1, 30)
        assert has_verbatim_run(answer, source, length) == naive_has_run(answer, source, length), (
            answer, source, length,
        )


# -- straight_lining ------------------------------------------------------------------------


def test_straight_lining_whole_answer(interface):
    rules = [{"type": "straight_lining", "count": 3}]
    same = answer_of(interface, topic="politics", quality=4)
    other = answer_of(interface, topic="sport", quality=4)
    hit = lint(interface, rules, LintContext(recent_answers=[same, same, other]), topic="politics", quality=4)
    assert hit == [LintFinding("straight_lining", None, "error", "same answer 3 times in a row")]
    # Only count - 1 previous answers are needed, newest first.
    assert lint(interface, rules, LintContext(recent_answers=[same, other, same]), topic="politics", quality=4) == []
    assert lint(interface, rules, LintContext(recent_answers=[same]), topic="politics", quality=4) == []


def test_straight_lining_default_count_is_5(interface):
    rules = [{"type": "straight_lining"}]
    same = answer_of(interface)
    assert lint(interface, rules, LintContext(recent_answers=[same] * 3)) == []
    assert messages(lint(interface, rules, LintContext(recent_answers=[same] * 4))) == ["same answer 5 times in a row"]


def test_straight_lining_on_one_field(interface):
    rules = [{"type": "straight_lining", "field": "quality", "count": 2, "severity": "warning"}]
    previous = answer_of(interface, topic="politics", quality=4)
    [finding] = lint(interface, rules, LintContext(recent_answers=[previous]), topic="sport", quality=4)
    assert (finding.field, finding.severity) == ("quality", "warning")
    assert lint(interface, rules, LintContext(recent_answers=[previous]), quality=5) == []


def test_straight_lining_ignores_an_empty_field_and_stale_keys(interface):
    blank = [{"type": "straight_lining", "field": "rationale", "count": 2}]
    previous = answer_of(interface)
    assert lint(interface, blank, LintContext(recent_answers=[previous])) == []
    whole = [{"type": "straight_lining", "count": 2}]
    stale = {**answer_of(interface), "removed_field": "x"}
    assert lint(interface, whole, LintContext(recent_answers=[stale]))
    assert lint(interface, whole, LintContext(recent_answers=["not an answer"])) == []


# -- severity, messages, order --------------------------------------------------------------


def test_warning_severity_and_custom_message_carry_through(interface):
    rules = [
        {"type": "min_length", "field": "rationale", "value": 30, "severity": "warning",
         "message": "  Please explain in a full sentence.  "},
        {"type": "required", "field": "age"},
    ]
    found = lint(interface, rules, rationale="short")
    assert found == [
        LintFinding("min_length", "rationale", "warning", "Please explain in a full sentence."),
        LintFinding("required", "age", "error", "required"),
    ]


@pytest.mark.parametrize(
    "rule, values, context",
    [
        ({"type": "required", "field": "age"}, {}, None),
        ({"type": "max_length", "field": "title", "value": 1}, {"title": "ab"}, None),
        ({"type": "must_match", "field": "title", "pattern": "z"}, {"title": "ab"}, None),
        ({"type": "must_not_match", "field": "title", "pattern": "a"}, {"title": "ab"}, None),
        ({"type": "banned_phrases", "field": "title", "phrases": ["ab"]}, {"title": "ab"}, None),
        ({"type": "conditional", "if": {"field": "topic", "equals": "sport"},
          "then": {"field": "age", "required": True}}, {}, None),
        ({"type": "too_fast", "seconds": 1}, {}, LintContext(time_on_task_ms=10)),
        ({"type": "copied_input", "field": "title"}, {"title": "ab"}, LintContext(item_data={"t": "ab"})),
        ({"type": "straight_lining", "count": 2}, {}, "same"),
    ],
)
def test_every_rule_carries_severity_and_custom_message(interface, rule, values, context):
    if context == "same":
        context = LintContext(recent_answers=[answer_of(interface, **values)])
    for severity in ("error", "warning"):
        [finding] = lint(interface, [{**rule, "severity": severity, "message": "Custom."}], context, **values)
        assert (finding.rule, finding.severity, finding.message) == (rule["type"], severity, "Custom.")
    [default] = lint(interface, [rule], context, **values)
    assert default.severity == "error"
    assert default.message != "Custom."


def test_unknown_rule_type_at_run_time_is_a_bug():
    with pytest.raises(ValueError, match="validate_rules"):
        run_linters([{"type": "nonsense", "severity": "error"}], {}, LintContext())


# -- validation -----------------------------------------------------------------------------


def test_validation_normalises_and_fills_defaults(interface):
    rules = validate_rules(
        [
            {"type": "required", "field": "age"},
            {"type": "banned_phrases", "field": "rationale", "phrases": [" as  an AI ", "AS AN ai", "lorem"]},
            {"type": "copied_input", "field": "rationale"},
            {"type": "straight_lining"},
            {"type": "too_fast", "seconds": 2.5, "severity": "warning"},
            {"type": "min_length", "field": "rationale", "value": 20.0},
        ],
        interface,
    )
    assert rules == [
        {"type": "required", "severity": "error", "field": "age"},
        {"type": "banned_phrases", "severity": "error", "field": "rationale", "phrases": ["as an AI", "lorem"]},
        {"type": "copied_input", "severity": "error", "field": "rationale", "threshold": 0.8},
        {"type": "straight_lining", "severity": "error", "count": 5},
        {"type": "too_fast", "severity": "warning", "seconds": 2.5},
        {"type": "min_length", "severity": "error", "field": "rationale", "value": 20},
    ]
    assert type(rules[-1]["value"]) is int


def test_validation_is_json_safe_and_idempotent(interface):
    rules = [
        {"type": "must_match", "field": "rationale", "pattern": r"\d+", "message": "needs a number"},
        {"type": "conditional", "if": {"field": "tags", "in": ["a", "b"]}, "then": {"field": "topic", "equals": "other"}},
        {"type": "copied_input", "field": "title", "source": "title", "threshold": 0.9},
        {"type": "straight_lining", "field": "quality", "count": 3},
    ]
    once = validate_rules(rules, interface)
    stored = json.loads(json.dumps(once))
    assert stored == once
    assert validate_rules(stored, interface) == once


BAD = [
    ("not a list", {"type": "required"}, "linters must be a list"),
    ("rule not an object", ["required"], "linter 1: must be an object with a type"),
    ("type missing", [{"field": "age"}], "linter 1: type is missing"),
    ("unknown type", [{"type": "spellcheck"}], 'linter 1: unknown type "spellcheck"'),
    ("type not a string", [{"type": ["required"]}], "linter 1: unknown type ['required']"),
    ("unknown key", [{"type": "min_length", "field": "rationale", "value": 3, "min": 3}],
     'linter 1 (min_length): unknown key "min"; this rule takes field, value, severity, message'),
    ("field on a whole-answer rule", [{"type": "too_fast", "seconds": 3, "field": "age"}],
     'linter 1 (too_fast): unknown key "field"'),
    ("bad severity", [{"type": "required", "field": "age", "severity": "fatal"}],
     'linter 1 (required): severity must be "error" or "warning"'),
    ("severity case", [{"type": "required", "field": "age", "severity": "Error"}], "severity must be"),
    ("empty message", [{"type": "required", "field": "age", "message": "  "}], "message must be a non-empty string"),
    ("message not text", [{"type": "required", "field": "age", "message": 3}], "message must be a non-empty string"),
    ("message too long", [{"type": "required", "field": "age", "message": "x" * 301}], "message must be at most 300"),
    ("field missing", [{"type": "required"}], "linter 1 (required): field is missing"),
    ("unknown field", [{"type": "required", "field": "nope"}],
     'linter 1 (required): field "nope" is not a field of the interface'),
    ("field not a string", [{"type": "required", "field": 3}], "field 3 is not a field of the interface"),
    ("min_length on a choice", [{"type": "min_length", "field": "topic", "value": 3}],
     'linter 1 (min_length): field "topic" is not a text field'),
    ("max_length on a number", [{"type": "max_length", "field": "age", "value": 3}], 'field "age" is not a text field'),
    ("must_match on a rating", [{"type": "must_match", "field": "quality", "pattern": "1"}],
     'field "quality" is not a text field'),
    ("must_not_match on tags", [{"type": "must_not_match", "field": "tags", "pattern": "a"}],
     'field "tags" is not a text field'),
    ("banned on a choice", [{"type": "banned_phrases", "field": "topic", "phrases": ["x"]}],
     'field "topic" is not a text field'),
    ("copied on a number", [{"type": "copied_input", "field": "age"}], 'field "age" is not a text field'),
    ("value missing", [{"type": "min_length", "field": "rationale"}], "linter 1 (min_length): value is missing"),
    ("value not whole", [{"type": "min_length", "field": "rationale", "value": 2.5}], "value must be a whole number"),
    ("value text", [{"type": "max_length", "field": "rationale", "value": "20"}], "value must be a whole number"),
    ("value bool", [{"type": "max_length", "field": "rationale", "value": True}], "value must be a whole number"),
    ("value zero", [{"type": "min_length", "field": "rationale", "value": 0}], "value must be at least 1"),
    ("pattern missing", [{"type": "must_match", "field": "rationale"}], "linter 1 (must_match): pattern is missing"),
    ("bad regex", [{"type": "must_match", "field": "rationale", "pattern": "(unclosed"}],
     "linter 1 (must_match): pattern is not a valid regular expression: missing )"),
    ("bad regex 2", [{"type": "must_not_match", "field": "rationale", "pattern": "*x"}],
     "pattern is not a valid regular expression: nothing to repeat"),
    ("empty pattern", [{"type": "must_match", "field": "rationale", "pattern": ""}], "pattern must be a non-empty string"),
    ("pattern not text", [{"type": "must_match", "field": "rationale", "pattern": 5}], "pattern must be a non-empty"),
    ("pattern too long", [{"type": "must_match", "field": "rationale", "pattern": "a" * 501}],
     "pattern must be at most 500 characters"),
    ("phrases missing", [{"type": "banned_phrases", "field": "rationale"}], "phrases is missing"),
    ("phrases empty", [{"type": "banned_phrases", "field": "rationale", "phrases": []}], "phrases must be a non-empty list"),
    ("phrases a string", [{"type": "banned_phrases", "field": "rationale", "phrases": "x"}], "phrases must be a non-empty"),
    ("phrase blank", [{"type": "banned_phrases", "field": "rationale", "phrases": ["x", " "]}],
     "phrase 2 must be a non-empty string"),
    ("phrase not text", [{"type": "banned_phrases", "field": "rationale", "phrases": [1]}], "phrase 1 must be"),
    ("if missing", [{"type": "conditional", "then": {"field": "age", "required": True}}],
     "linter 1 (conditional): if is missing"),
    ("then missing", [{"type": "conditional", "if": {"field": "age", "present": True}}], "then is missing"),
    ("if not an object", [{"type": "conditional", "if": "age", "then": {"field": "age", "required": True}}],
     "if must be an object"),
    ("if with no test", [{"type": "conditional", "if": {"field": "topic"}, "then": {"field": "age", "required": True}}],
     "if must be an object with field and one of equals, in, present"),
    ("if with two tests", [{"type": "conditional", "if": {"field": "topic", "equals": "sport", "in": ["sport"]},
                            "then": {"field": "age", "required": True}}], "if must be an object"),
    ("if unknown key", [{"type": "conditional", "if": {"field": "topic", "is": "sport"},
                         "then": {"field": "age", "required": True}}], 'if: unknown key "is"'),
    ("then present", [{"type": "conditional", "if": {"field": "topic", "equals": "sport"},
                       "then": {"field": "age", "present": True}}], 'then: unknown key "present"'),
    ("if field unknown", [{"type": "conditional", "if": {"field": "nope", "present": True},
                           "then": {"field": "age", "required": True}}],
     'if.field "nope" is not a field of the interface'),
    ("if field missing", [{"type": "conditional", "if": {"present": True},
                           "then": {"field": "age", "required": True}}], "if.field is missing"),
    ("then field unknown", [{"type": "conditional", "if": {"field": "age", "present": True},
                             "then": {"field": "nope", "required": True}}], 'then.field "nope" is not a field'),
    ("if equals not an option", [{"type": "conditional", "if": {"field": "topic", "equals": "Other"},
                                  "then": {"field": "age", "required": True}}],
     'linter 1 (conditional): if.equals: "Other" must be one of: sport, politics, other'),
    ("multi_choice equals a list", [{"type": "conditional", "if": {"field": "tags", "equals": ["a"]},
                                     "then": {"field": "age", "required": True}}], "if.equals: ['a'] must be one of"),
    ("multi_choice in not an option", [{"type": "conditional", "if": {"field": "tags", "in": ["a", "z"]},
                                        "then": {"field": "age", "required": True}}], 'if.in value 2: "z" must be one of'),
    ("rating out of range", [{"type": "conditional", "if": {"field": "topic", "equals": "sport"},
                              "then": {"field": "quality", "in": [5, 6]}}], "then.in value 2: 6 must be between 1 and 5"),
    ("number below min", [{"type": "conditional", "if": {"field": "age", "equals": -1},
                           "then": {"field": "rationale", "required": True}}], "if.equals: -1 must be at least 0"),
    ("equals null", [{"type": "conditional", "if": {"field": "topic", "equals": None},
                      "then": {"field": "age", "required": True}}], "if.equals: None must be one of"),
    ("text equals blank", [{"type": "conditional", "if": {"field": "rationale", "equals": "  "},
                            "then": {"field": "age", "required": True}}], "if.equals must not be empty"),
    ("in empty", [{"type": "conditional", "if": {"field": "topic", "in": []},
                   "then": {"field": "age", "required": True}}], "if.in must be a non-empty list"),
    ("present not bool", [{"type": "conditional", "if": {"field": "age", "present": "yes"},
                           "then": {"field": "rationale", "required": True}}], "if.present must be true or false"),
    ("required false", [{"type": "conditional", "if": {"field": "age", "present": True},
                         "then": {"field": "rationale", "required": False}}], "then.required must be true"),
    ("same field", [{"type": "conditional", "if": {"field": "age", "present": True},
                     "then": {"field": "age", "required": True}}], "if and then must name different fields"),
    ("seconds missing", [{"type": "too_fast"}], "linter 1 (too_fast): seconds is missing"),
    ("seconds zero", [{"type": "too_fast", "seconds": 0}], "seconds must be a number more than 0"),
    ("seconds negative", [{"type": "too_fast", "seconds": -2}], "seconds must be a number more than 0"),
    ("seconds text", [{"type": "too_fast", "seconds": "5"}], "seconds must be a number more than 0"),
    ("seconds bool", [{"type": "too_fast", "seconds": True}], "seconds must be a number more than 0"),
    ("seconds infinite", [{"type": "too_fast", "seconds": float("inf")}], "seconds must be a number more than 0"),
    ("copied field missing", [{"type": "copied_input"}], "linter 1 (copied_input): field is missing"),
    ("threshold zero", [{"type": "copied_input", "field": "rationale", "threshold": 0}],
     "threshold must be a number from 0.5 to 1"),
    ("threshold low", [{"type": "copied_input", "field": "rationale", "threshold": 0.3}], "threshold must be"),
    ("threshold over 1", [{"type": "copied_input", "field": "rationale", "threshold": 1.5}], "threshold must be"),
    ("threshold text", [{"type": "copied_input", "field": "rationale", "threshold": "0.8"}], "threshold must be"),
    ("source not text", [{"type": "copied_input", "field": "rationale", "source": 1}], "source must be the name"),
    ("count one", [{"type": "straight_lining", "count": 1}], "linter 1 (straight_lining): count must be at least 2"),
    ("count text", [{"type": "straight_lining", "count": "5"}], "count must be a whole number"),
    ("straight unknown field", [{"type": "straight_lining", "field": "nope"}], 'field "nope" is not a field'),
]


@pytest.mark.parametrize("rules, message", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_config_is_refused_with_a_clear_message(interface, rules, message):
    with pytest.raises(ConfigError) as caught:
        validate_rules(rules, interface)
    assert message in str(caught.value)


def test_validation_error_names_the_rules_position(interface):
    rules = [
        {"type": "required", "field": "age"},
        {"type": "min_length", "field": "quality", "value": 20},
    ]
    with pytest.raises(ConfigError, match=r'^linter 2 \(min_length\): field "quality" is not a text field$'):
        validate_rules(rules, interface)
