"""The claims component: config, validation errors with positions, verdict-matched F1, distance,
the claim_without_evidence rule."""

from __future__ import annotations

import time

import pytest

from app.quality.linters import LintContext, run_linters, validate_rules
from components.base import ConfigError, Interface

RESPONSE = "Paris is the capital of France. It has 80 million people."  # 57 characters


def interface(**settings):
    spec = {"name": "claims", "type": "claims", "target": "pr", **settings}
    return Interface.from_specs([{"name": "pr", "type": "prompt_response", "value": "$prompt", "response": "$response"},
                                 spec])


def check(claims, response=RESPONSE, **settings):
    return interface(**settings).validate_answer({"claims": {"claims": claims}},
                                                 {"prompt": "Tell me about Paris", "response": response})


CAPITAL = {"start": 0, "end": 31, "verdict": "supported", "severity": "minor",
           "evidence": [{"url": "https://en.wikipedia.org/wiki/Paris", "quote": "capital of France"}]}
PEOPLE = {"start": 32, "end": 57, "verdict": "contradicted", "severity": "major",
          "evidence": [{"url": "http://example.org/census"}]}


def test_defaults_and_config_round_trip():
    claims = interface().by_name["claims"]
    assert claims.verdicts.values == ["supported", "contradicted", "unverifiable", "not_a_claim"]
    assert claims.severities == ["minor", "major", "critical"]
    assert Interface.from_specs(interface().to_specs()).to_specs() == interface().to_specs()
    custom = interface(verdicts=["true", "false"], severities=["low", "high"], severity_required=True)
    assert custom.by_name["claims"].config()["verdicts"] == ["true", "false"]


@pytest.mark.parametrize("settings, message", [
    ({"verdicts": []}, "verdicts must be a non-empty list"),
    ({"severities": []}, "severities must be a non-empty list"),
    ({"severities": ["low", "low"]}, "severities: a name appears twice"),
    ({"iou_threshold": 1.5}, "iou_threshold must be a number above 0 and at most 1"),
])
def test_bad_config_is_refused(settings, message):
    with pytest.raises(ConfigError, match=message):
        interface(**settings)


def test_valid_claims_are_sorted_and_quote_the_response():
    clean, errors = check([PEOPLE, CAPITAL])
    assert errors == {}
    assert clean["claims"] == {"claims": [
        {"start": 0, "end": 31, "text": "Paris is the capital of France.", "verdict": "supported",
         "severity": "minor",
         "evidence": [{"url": "https://en.wikipedia.org/wiki/Paris", "quote": "capital of France"}]},
        {"start": 32, "end": 57, "text": "It has 80 million people.", "verdict": "contradicted", "severity": "major",
         "evidence": [{"url": "http://example.org/census"}]}]}


def test_a_bare_list_stands_for_the_object():
    built = interface()
    clean, errors = built.validate_answer({"claims": [CAPITAL]}, {"prompt": "", "response": RESPONSE})
    assert errors == {} and len(clean["claims"]["claims"]) == 1


def test_the_issue_example_error():
    long_text = "x" * 412
    claims = [{"start": 0, "end": 3, "verdict": "supported"}, {"start": 5, "end": 8, "verdict": "supported"},
              {"start": 10, "end": 413, "verdict": "supported"}]
    assert check(claims, long_text)[1] == {"claims": "claims[2].end: beyond the text (412 characters)"}


@pytest.mark.parametrize("claim, message", [
    ({"start": 0, "end": 5}, "claims[0].verdict: is missing"),
    ({"start": 0, "end": 5, "verdict": "true"}, "claims[0].verdict: must be one of: supported, contradicted"),
    ({"start": 0, "end": 5, "verdict": "supported", "severity": "huge"},
     "claims[0].severity: must be one of: minor, major, critical"),
    ({"start": 0, "end": 5, "verdict": "supported", "evidence": [{"url": "ftp://example.org/x"}]},
     "claims[0].evidence[0].url: must be an http or https address"),
    ({"start": 0, "end": 5, "verdict": "supported", "evidence": [{"url": "javascript:alert(1)"}]},
     "claims[0].evidence[0].url: must be an http or https address"),
    ({"start": 0, "end": 5, "verdict": "supported", "evidence": [{"quote": "no link"}]},
     "claims[0].evidence[0].url: is missing"),
    ({"start": 0, "end": 5, "verdict": "supported", "evidence": [{"url": "https://a.org", "page": 3}]},
     "claims[0].evidence[0]: unknown key 'page'"),
    ({"start": 0, "end": 5, "verdict": "supported", "evidence": "https://a.org"},
     "claims[0].evidence: must be a list"),
    ({"start": 0, "end": 5, "verdict": "supported", "text": "Lyon"}, "claims[0].text: is not the text at 0-5"),
])
def test_errors_name_the_claim(claim, message):
    assert message in check([claim])[1]["claims"]


def test_claims_never_overlap_and_severity_may_be_required():
    overlapping = [CAPITAL, {"start": 20, "end": 40, "verdict": "unverifiable"}]
    assert check(overlapping)[1] == {"claims": "claims[1]: overlaps claims[0]; "
                                               "this field does not allow overlapping spans"}
    assert check([{"start": 0, "end": 5, "verdict": "supported"}], severity_required=True)[1] == {
        "claims": "claims[0].severity: is missing"}
    assert check([{"start": 0, "end": 5, "verdict": "supported", "severity": ""}])[0]["claims"]["claims"][0][
        "severity"] is None


def test_answer_shape_errors():
    built = interface()
    data = {"prompt": "", "response": RESPONSE}
    assert built.validate_answer({"claims": {"claim": []}}, data)[1] == {
        "claims": "must be an object with a list of claims"}
    assert built.validate_answer({"claims": {"claims": [], "extra": 1}}, data)[1] == {
        "claims": "unknown key 'extra'; the answer holds claims"}
    assert built.validate_answer({"claims": {"claims": []}}, data) == ({"claims": {"claims": []}}, {})


def test_score_needs_the_verdict_to_match():
    claims = interface().by_name["claims"]
    gold = {"claims": [CAPITAL, PEOPLE]}
    right_spans_one_verdict_wrong = {"claims": [{**CAPITAL, "start": 0, "end": 30}, {**PEOPLE, "verdict": "supported"}]}
    assert claims.score(right_spans_one_verdict_wrong, gold) == pytest.approx(0.5)  # 2*1 / (2+2)
    # severity and evidence are not scored
    assert claims.score({"claims": [{**CAPITAL, "severity": "critical", "evidence": []}, PEOPLE]}, gold) == 1.0
    assert claims.score({"claims": []}, gold) == 0.0


def test_distance_hand_worked():
    claims = interface().by_name["claims"]
    a = {"claims": [CAPITAL, PEOPLE]}
    b = {"claims": [{**CAPITAL, "end": 25}]}  # IoU 25/31 with the first, the second missing
    assert claims.distance(a, b) == pytest.approx(1 - 2 * (25 / 31) / 3)
    assert claims.distance(a, {"claims": [CAPITAL, PEOPLE]}) == 0.0
    assert claims.distance({"claims": []}, {"claims": []}) == 0.0
    assert claims.distance(a, {"claims": [{**CAPITAL, "verdict": "contradicted"}]}) == 1.0


def test_claim_without_evidence_rule_names_the_claim():
    built = interface()
    rules = validate_rules([{"type": "claim_without_evidence", "field": "claims"}], built)
    assert rules == [{"type": "claim_without_evidence", "severity": "error", "field": "claims",
                      "verdicts": ["supported", "contradicted"]}]
    answer = {"claims": {"claims": [
        {**CAPITAL, "text": "Paris is the capital of France."},
        {"start": 32, "end": 57, "text": "It has 80 million people.", "verdict": "contradicted", "evidence": []}]}}
    findings = run_linters(rules, answer, LintContext(), built)
    assert [(f.field, f.message) for f in findings] == [
        ("claims", "claims[1] (“It has 80 million people.”): contradicted but no evidence")]
    unverifiable = {"claims": {"claims": [{"start": 0, "end": 5, "verdict": "unverifiable", "evidence": []}]}}
    assert run_linters(rules, unverifiable, LintContext(), built) == []
    only = validate_rules([{"type": "claim_without_evidence", "field": "claims", "verdicts": ["unverifiable"]}], built)
    assert len(run_linters(only, unverifiable, LintContext(), built)) == 1
    with pytest.raises(ConfigError, match="'maybe' is not a verdict of the field"):
        validate_rules([{"type": "claim_without_evidence", "field": "claims", "verdicts": ["maybe"]}], built)


def test_widget_shows_claims_with_their_evidence_escaped():
    from app.web.templating import standalone_templates

    field = interface().by_name["claims"]
    value = {"claims": [{**CAPITAL, "text": "<img src=x>"}]}
    html = standalone_templates().get_template("claims/widget.html").render(field=field, value=value, error=None)
    assert "&lt;img src=x&gt;" in html and "<img src=x>" not in html
    assert "https://en.wikipedia.org/wiki/Paris" in html and 'name="f_claims"' in html
    assert "not a claim" in html


def test_two_hundred_claims_validate_lint_and_score_fast():
    response = "A sentence of the response. " * 800  # 22,400 characters
    claims = [{"start": i * 100, "end": i * 100 + 27, "verdict": "supported", "severity": "minor",
               "evidence": [{"url": f"https://example.org/{i}", "quote": "quoted"}]} for i in range(200)]
    built = interface(max_claims=500)
    rules = validate_rules([{"type": "claim_without_evidence", "field": "claims"}], built)
    component = built.by_name["claims"]
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        clean, errors = built.validate_answer({"claims": {"claims": claims}}, {"prompt": "", "response": response})
        run_linters(rules, clean, LintContext(), built)
        component.score(clean["claims"], clean["claims"])
        best = min(best, time.perf_counter() - began)
    assert errors == {}
    assert best < 0.020, f"{best * 1000:.1f} ms"
