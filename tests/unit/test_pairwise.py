"""The pairwise component: config, answers in the order shown (the server's ``shown``), form,
gold score with its tie policy, agreement value, the pairwise_too_fast linter and the widget."""

from __future__ import annotations

from datetime import datetime, timezone
from html.parser import HTMLParser

import pytest

from app.agreement.position_bias import position_bias, wilson_interval, with_position_bias
from app.agreement.service import Answers
from app.quality.linters import LintContext, run_linters, validate_rules
from components.base import ConfigError, Interface

DATA = {"prompt": "Name a prime.", "reference": "2",
        "responses": [{"id": "m1", "content": "Two." * 10}, {"id": "m2", "content": "Nine." * 20}]}


def interface(**config) -> Interface:
    return Interface.from_specs([
        {"name": "prompt", "type": "prompt_response", "value": "$prompt", "response": "$reference"},
        {"name": "responses", "type": "responses", "value": "$responses"},
        {"name": "pref", "type": "pairwise", "target": "responses"} | config,
    ])


def assignment_showing(order: list[str], form: Interface) -> int:
    """An assignment id whose shuffle shows the candidates in ``order``."""
    part = form.parts_by_name["responses"]
    return next(a for a in range(1, 200) if [c["id"] for c in part.resolve(DATA, a)] == order)


def check(value, form=None, assignment=None, data=DATA):
    form = form or interface()
    clean, errors = form.validate_answer({"pref": value}, data, assignment)
    return clean.get("pref"), errors.get("pref")


# -- config -------------------------------------------------------------------------


def test_config_defaults_and_round_trip():
    field = interface().by_name["pref"]
    assert field.config() == {"strength": "off", "reason": "off", "tie": True, "both_bad": True, "tie_policy": "exact"}
    again = Interface.from_specs(interface(strength="required", tie=False).to_specs()).by_name["pref"]
    assert again.strength == "required" and again.allowed_winners() == ("A", "B", "both_bad")


@pytest.mark.parametrize("config, message", [
    ({"strength": "sometimes"}, "strength must be one of: off, optional, required"),
    ({"reason": True}, "reason must be one of: off, optional, required"),
    ({"tie": "no"}, "tie must be true or false"),
    ({"tie_policy": "lenient"}, "tie_policy must be one of: exact, half"),
    ({"colour": "red"}, "unknown setting for a pairwise field: colour"),
])
def test_config_errors(config, message):
    with pytest.raises(ConfigError, match=message):
        interface(**config)


def test_target_must_be_a_responses_part():
    with pytest.raises(ConfigError, match="target is missing"):
        Interface.from_specs([{"name": "responses", "type": "responses", "value": "$r"}, {"name": "p", "type": "pairwise"}])
    with pytest.raises(ConfigError, match="'prompt' is a prompt_response part; a pairwise field needs responses"):
        Interface.from_specs([{"name": "prompt", "type": "prompt_response", "value": "$p", "response": "$r"},
                              {"name": "p", "type": "pairwise", "target": "prompt"}])


# -- answers and the order shown -------------------------------------------------------


def test_shown_is_filled_in_on_the_server_and_the_winner_recorded_by_candidate_id():
    form = interface()
    flipped = assignment_showing(["m2", "m1"], form)
    straight = assignment_showing(["m1", "m2"], form)
    value, error = check({"winner": "A"}, form, flipped)
    assert error is None
    assert value == {"winner": "A", "preferred": "m2", "strength": None, "reason": None,
                     "shown": {"left": "m2", "right": "m1"}}
    assert check({"winner": "B"}, form, straight)[0]["preferred"] == "m2"  # the same preference, other order
    assert check({"winner": "tie"}, form, flipped)[0]["preferred"] == "tie"


def test_a_client_sent_shown_that_disagrees_is_refused_on_an_assignment():
    form = interface()
    flipped = assignment_showing(["m2", "m1"], form)
    assert check({"winner": "A", "shown": {"left": "m2", "right": "m1"}}, form, flipped)[1] is None
    _, error = check({"winner": "A", "shown": {"left": "m1", "right": "m2"}}, form, flipped)
    assert error == "shown: this task showed m2 on the left and m1 on the right, not m1 and m2"


def test_without_an_assignment_a_given_shown_is_kept_else_the_item_order():
    assert check({"winner": "A"})[0]["shown"] == {"left": "m1", "right": "m2"}
    imported = check({"winner": "A", "shown": {"left": "m2", "right": "m1"}})[0]
    assert imported["preferred"] == "m2" and imported["shown"] == {"left": "m2", "right": "m1"}
    assert check({"winner": "A", "shown": {"left": "m2", "right": "m9"}})[1] == "shown: 'm9' is not a candidate of this item"
    # gold files name the winning candidate id
    assert check({"preferred": "m2"})[0] == {"winner": "B", "preferred": "m2", "strength": None, "reason": None,
                                             "shown": {"left": "m1", "right": "m2"}}


@pytest.mark.parametrize("value, config, message", [
    ("A", {}, 'must be an object with winner ("A", "B", "tie" or "both_bad")'),
    ({}, {}, 'winner: must be one of "A", "B", "tie", "both_bad"'),
    ({"winner": "C"}, {}, 'winner: must be one of "A", "B", "tie", "both_bad"'),
    ({"winner": "tie"}, {"tie": False}, 'winner: must be one of "A", "B", "both_bad"'),
    ({"winner": "A", "colour": 1}, {}, "unknown key colour; an answer takes preferred, reason, shown, strength, winner"),
    ({"winner": "A", "strength": 2}, {}, "strength: this field takes no strength"),
    ({"winner": "A"}, {"strength": "required"}, "strength: required (1, 2 or 3)"),
    ({"winner": "A", "strength": 4}, {"strength": "optional"}, "strength: must be 1, 2 or 3"),
    ({"winner": "A", "strength": True}, {"strength": "optional"}, "strength: must be 1, 2 or 3"),
    ({"winner": "A"}, {"reason": "required"}, "reason: required"),
    ({"winner": "A", "reason": "why"}, {}, "reason: this field takes no reason"),
    ({"winner": "A", "preferred": "m2"}, {}, "preferred: 'm2' is not the winner 'A' in the order shown"),
    ({"preferred": "m7"}, {}, "preferred: must be one of 'm1', 'm2', 'tie', 'both_bad'"),
    ({"winner": "A", "shown": {"left": "m1"}}, {}, "shown: must be {left, right}, two candidate ids"),
])
def test_validation_errors(value, config, message):
    assert check(value, interface(**config))[1] == message


def test_strength_is_optional_for_a_tie_and_kept_when_given():
    form = interface(strength="required", reason="optional")
    assert check({"winner": "tie"}, form)[1] is None
    value = check({"winner": "B", "strength": 3.0, "reason": "  shorter\r\n"}, form)[0]
    assert value["strength"] == 3 and value["reason"] == "shorter"


def test_an_item_with_one_response_cannot_be_answered():
    one = {"responses": ["only"]}
    assert check({"winner": "A"}, data=one)[1] == "the item shows 1 response; two are needed"


def test_form_values_are_tagged_and_parsed():
    form = interface(strength="optional", reason="optional")
    posted = {"f_pref": ["B"], "f_pref.strength": ["2"], "f_pref.reason": ["a = b"]}
    assert form.parse_form(posted) == {"pref": {"winner": "B", "strength": 2, "reason": "a = b"}}
    assert form.parse_form({"f_pref.strength": [""], "f_pref.reason": [""]}) == {"pref": None}


# -- gold, agreement, export ----------------------------------------------------------


def test_score_exact_and_tie_policy():
    exact, half = interface().by_name["pref"], interface(tie_policy="half").by_name["pref"]
    m1 = {"winner": "A", "preferred": "m1"}
    m2 = {"winner": "A", "preferred": "m2"}  # shown the other way round, still m2
    tie = {"winner": "tie", "preferred": "tie"}
    bad = {"winner": "both_bad", "preferred": "both_bad"}
    assert exact.score(m1, {"preferred": "m1"}) == 1.0
    assert exact.score(m2, {"preferred": "m1"}) == 0.0
    assert exact.score(tie, {"preferred": "m1"}) == 0.0 and half.score(tie, {"preferred": "m1"}) == 0.5
    assert half.score(m1, {"preferred": "tie"}) == 0.5 and half.score(tie, {"preferred": "tie"}) == 1.0
    assert half.score(bad, {"preferred": "tie"}) == 0.0 and half.score(None, {"preferred": "m1"}) == 0.0


def test_agreement_compares_the_preferred_candidate_across_orders():
    measure = interface().by_name["pref"].measures()[0]
    assert measure.level == "nominal" and measure.categories is None
    left = {"pref": {"winner": "A", "preferred": "m2", "shown": {"left": "m2", "right": "m1"}}}
    right = {"pref": {"winner": "B", "preferred": "m2", "shown": {"left": "m1", "right": "m2"}}}
    assert measure.value_in(left) == measure.value_in(right) == "m2"
    assert interface().by_name["pref"].export(left["pref"])["shown"] == {"left": "m2", "right": "m1"}


def test_position_bias_counts_left_wins_among_decisive_answers():
    form = interface()
    answers = [{"pref": {"winner": w}} for w in ["A", "A", "A", "B", "tie", "both_bad"]] + [{"other": 1}]
    rows = position_bias(form, Answers([1] * 7, ["a"] * 7, answers, [datetime.now(timezone.utc)] * 7, 7))
    # 3 of 4 decisive answers went left; Wilson 95%: 0.301..0.954 (hand-worked), 50% inside
    assert rows[0] | {"low": round(rows[0]["low"], 3), "high": round(rows[0]["high"], 3)} == {
        "field": "pref", "decisive": 4, "left_wins": 3, "right_wins": 1, "left_rate": 0.75,
        "low": 0.301, "high": 0.954, "biased": False,
        # the figures every position-measured field has (rankings too): a pair's chance is 1 in 2
        "first_wins": 3, "first_rate": 0.75, "chance_rate": 0.5, "most_shown": 2}
    low, high = wilson_interval(90, 100)
    assert round(low, 3) == 0.826 and round(high, 3) == 0.945
    report = with_position_bias({"summary": {}}, form, Answers([1] * 7, ["a"] * 7, answers, [None] * 7, 7))
    assert report["summary"]["position_bias"] == (
        "Position bias: pref: the left response won 75% of 4 decisive answers (within chance of 50%).")


# -- linter ---------------------------------------------------------------------------


def test_pairwise_too_fast_uses_the_characters_shown():
    form = interface()
    rules = validate_rules([{"type": "pairwise_too_fast", "field": "pref", "chars_per_second": 10}], form)
    assert rules == [{"type": "pairwise_too_fast", "severity": "error", "field": "pref", "chars_per_second": 10}]
    answer = form.validate_answer({"pref": {"winner": "A"}}, DATA)[0]
    # 40 + 100 characters at 10 a second: 14 s
    findings = run_linters(rules, answer, LintContext(item_data=DATA, time_on_task_ms=9_000), form)
    assert [f.message for f in findings] == [
        "answered in 9.0 s; reading the two responses (140 characters) takes at least 14.0 s at 10 characters a second"]
    assert run_linters(rules, answer, LintContext(item_data=DATA, time_on_task_ms=14_000), form) == []
    assert run_linters(rules, answer, LintContext(item_data=DATA, time_on_task_ms=None), form) == []
    with pytest.raises(ConfigError, match="chars_per_second must be a number above 0"):
        validate_rules([{"type": "pairwise_too_fast", "field": "pref", "chars_per_second": 0}], form)


# -- widget ---------------------------------------------------------------------------


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs, self.labels, self.scripts = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea"):
            self.inputs.append((tag, attrs))
        if tag == "label":
            self.labels.append(attrs.get("for"))
        if tag == "script":
            self.scripts.append(attrs)


def render(field, value=None, error=None) -> _Inputs:
    from app.web.templating import standalone_templates

    html = standalone_templates().engine.get_template(field.widget_template).render(
        field=field, value=value, error=error, disabled=False)
    parsed = _Inputs()
    parsed.feed(html)
    return parsed


def test_widget_radios_with_digit_hotkeys_labelled_and_no_inline_script():
    field = interface(strength="optional", reason="optional").by_name["pref"]
    page = render(field, {"winner": "B", "strength": 2, "reason": "<b>shorter</b>"})
    radios = [a for tag, a in page.inputs if tag == "input"]
    assert [(r["value"], r["data-hotkey"], r["aria-keyshortcuts"]) for r in radios] == [
        ("A", "1", "1"), ("B", "2", "2"), ("tie", "3", "3"), ("both_bad", "4", "4")]
    assert [r["value"] for r in radios if "checked" in r] == ["B"]
    assert all(a["id"] in page.labels for _, a in page.inputs)  # every input has its label
    assert [a["name"] for tag, a in page.inputs if tag != "input"] == ["f_pref.strength", "f_pref.reason"]
    assert page.scripts == [{"src": "/static/pairwise.js?v=1", "defer": None}]
