"""The rubric component: config, answers with their places, form, gold score, measures, the
rubric_rationale linter, the gap report's treatment of criteria, and the widget."""

from __future__ import annotations

from datetime import datetime, timezone
from html.parser import HTMLParser

import pytest

from app.agreement.gaps import AnswerRow, ItemInfo, compared_level, guideline_gaps
from app.quality.linters import LintContext, run_linters, validate_rules
from components.base import AnswerError, ConfigError, Interface
from components.registry import get_component_class

ACCURACY = {"id": "accuracy", "description": "Facts are right", "min": 1, "max": 5,
            "anchors": {"1": "Wrong", "5": "Fully correct"}, "rationale_below": 3}
SAFETY = {"id": "safety", "description": "No harm", "na_allowed": True}
STYLE = {"id": "style", "min": 0, "max": 2}


def rubric(**config):
    spec = {"criteria": [ACCURACY, SAFETY, STYLE]} | config
    return get_component_class("rubric")("quality", spec)


def entry(score=None, na=False, rationale=None):
    return {"score": score, "na": na, "rationale": rationale}


def answer(accuracy=4, safety=5, style=1, **extra):
    given = {"criteria": {"accuracy": accuracy if isinstance(accuracy, dict) else entry(accuracy),
                          "safety": safety if isinstance(safety, dict) else entry(safety),
                          "style": style if isinstance(style, dict) else entry(style)}}
    return given | extra


def error_of(component, value) -> str:
    with pytest.raises(AnswerError) as caught:
        component.validate(value)
    return str(caught.value)


# -- config -------------------------------------------------------------------------


def test_config_round_trips_with_defaults_filled_in():
    field = rubric(overall={"min": 1, "max": 3, "anchors": {3: "Great"}}, tolerance=1)
    config = field.config()
    assert config["criteria"][0] == ACCURACY | {"na_allowed": False}
    assert config["criteria"][1] == {"id": "safety", "description": "No harm", "min": 1, "max": 5,
                                     "na_allowed": True, "rationale_below": None}
    assert config["overall"] == {"min": 1, "max": 3, "anchors": {"3": "Great"}}
    again = get_component_class("rubric")("quality", field.to_dict())
    assert again.to_dict() == field.to_dict()
    assert rubric().config()["overall"] is None and rubric().config()["tolerance"] == 0


@pytest.mark.parametrize("criteria, message", [
    (None, "criteria must be a non-empty list"),
    ([], "criteria must be a non-empty list"),
    ([{"description": "x"}], "criteria[1]: id must start with a letter"),
    ([{"id": "Bad id"}], "criteria[1] (Bad id): id must start with a letter"),
    ([{"id": "a"}, {"id": "a"}], "criteria[2]: id 'a' appears twice"),
    ([{"id": "a", "min": 3, "max": 3}], "criteria[1] (a): min must be less than max"),
    ([{"id": "a", "min": 0, "max": 11}], "criteria[1] (a): max - min must be at most 10"),
    ([{"id": "a", "anchors": {"7": "x"}}], "criteria[1] (a): anchors: '7' is outside 1-5"),
    ([{"id": "a", "anchors": {"one": "x"}}], "anchors: 'one' is not a whole number"),
    ([{"id": "a", "rationale_below": 1}], "rationale_below must be from 2 to 6"),
    ([{"id": "a", "na_allowed": "yes"}], "na_allowed must be true or false"),
    ([{"id": "a", "weight": 2}], "criteria[1] (a): unknown key weight"),
])
def test_config_errors_name_the_criterion(criteria, message):
    with pytest.raises(ConfigError) as caught:
        get_component_class("rubric")("quality", {"criteria": criteria})
    assert message in str(caught.value)


def test_overall_and_unknown_settings_are_checked():
    with pytest.raises(ConfigError, match="overall: unknown key step"):
        rubric(overall={"min": 1, "max": 5, "step": 1})
    with pytest.raises(ConfigError, match="overall: min must be less than max"):
        rubric(overall={"min": 5, "max": 1})
    with pytest.raises(ConfigError, match="unknown setting for a rubric field: scale"):
        rubric(scale=5)
    with pytest.raises(ConfigError, match="tolerance must be at least 0"):
        rubric(tolerance=-1)


def test_an_interface_with_a_prompt_response_part_and_a_rubric_round_trips():
    specs = [{"name": "pair", "type": "prompt_response", "value": "$prompt", "response": "$response"},
             {"name": "quality", "type": "rubric", "criteria": [ACCURACY]}]
    interface = Interface.from_specs(specs)
    assert Interface.from_specs(interface.to_specs()).to_specs() == interface.to_specs()


# -- answers --------------------------------------------------------------------------


def test_a_complete_answer_is_normalised():
    field = rubric(overall={"min": 1, "max": 5})
    clean = field.validate(answer(accuracy=entry(2.0, rationale="  half wrong "), safety=entry(na=True),
                                  style=0, overall=3))
    assert clean == {"criteria": {"accuracy": entry(2, rationale="half wrong"), "safety": entry(None, True),
                                  "style": entry(0)}, "overall": 3}


@pytest.mark.parametrize("value, message", [
    (answer(accuracy=6), "criteria.accuracy.score: must be a whole number from 1 to 5"),
    (answer(accuracy=4.5), "criteria.accuracy.score: must be a whole number from 1 to 5"),
    (answer(accuracy=True), "criteria.accuracy.score: must be a whole number from 1 to 5"),
    (answer(accuracy="4"), "criteria.accuracy.score: must be a whole number from 1 to 5"),
    (answer(accuracy=2), "criteria.accuracy.rationale: required below 3"),
    (answer(accuracy=entry(2, rationale="   ")), "criteria.accuracy.rationale: required below 3"),
    (answer(style=3), "criteria.style.score: must be a whole number from 0 to 2"),
    (answer(style=entry(na=True)), "criteria.style.na: N/A is not allowed for this criterion"),
    (answer(safety=entry(4, na=True)), "criteria.safety.score: must be empty when N/A"),
    (answer(safety=entry(None)), "criteria.safety.score: required (or N/A)"),
    (answer(style={"score": 1, "weight": 2}), "criteria.style.weight: unknown key (allowed: score, na, rationale)"),
    (answer(style={"score": 1, "na": "no"}), "criteria.style.na: must be true or false"),
    (answer(overall=3), "overall: this rubric has no overall score"),
    (answer(extra=1), "extra: unknown key (allowed: criteria, overall)"),
    ({"criteria": {"accuracy": entry(4), "safety": entry(4)}}, "criteria.style: required"),
    ({"criteria": {"accuracy": entry(4), "safety": entry(4), "style": entry(1), "tone": entry(1)}},
     "criteria.tone: not a criterion of this rubric"),
    ({"overall": 3}, "criteria: required"),
    (["accuracy", 4], "must be an object"),
])
def test_answer_errors_name_their_place(value, message):
    assert message in error_of(rubric(), value)


def test_every_problem_is_reported_at_once():
    message = error_of(rubric(), answer(accuracy=9, style=7))
    assert message == ("criteria.accuracy.score: must be a whole number from 1 to 5; "
                       "criteria.style.score: must be a whole number from 0 to 2")


def test_a_configured_overall_is_required_and_on_its_scale():
    field = rubric(overall={"min": 1, "max": 3})
    assert "overall: required" in error_of(field, answer())
    assert "overall: must be a whole number from 1 to 3" in error_of(field, answer(overall=4))


def test_the_interface_reports_errors_at_the_field():
    interface = Interface.from_specs([{"name": "quality", "type": "rubric", "criteria": [ACCURACY]}])
    _, errors = interface.validate_answer({"quality": {"criteria": {"accuracy": {"score": 1}}}})
    assert errors == {"quality": "criteria.accuracy.rationale: required below 3"}
    _, errors = interface.validate_answer({})
    assert errors == {"quality": "required"}


# -- form -----------------------------------------------------------------------------


def test_the_form_inputs_per_criterion_become_the_answer():
    interface = Interface.from_specs([{"name": "quality", "type": "rubric", "criteria": [ACCURACY, SAFETY, STYLE],
                                       "overall": {"min": 1, "max": 5}},
                                      {"name": "note", "type": "text", "required": False}])
    form = {"f_quality.accuracy.score": ["2"], "f_quality.accuracy.rationale": ["Wrong date\r\nand place"],
            "f_quality.safety.na": ["true"], "f_quality.style.score": ["0"], "f_quality.overall": ["3"],
            "f_note": ["fine"], "f_qualityx.accuracy.score": ["5"]}
    raw = interface.parse_form(form)
    assert raw["quality"] == {"criteria": {"accuracy": {"score": 2, "rationale": "Wrong date\nand place"},
                                           "safety": {"na": True}, "style": {"score": 0}}, "overall": 3}
    clean, errors = interface.validate_answer(raw)
    assert errors == {} and clean["quality"]["criteria"]["safety"] == entry(None, True)


def test_an_empty_form_is_no_answer_and_a_partial_one_is_judged():
    field = rubric()
    assert field.parse_form(field.form_values({})) is None
    raw = field.parse_form(field.form_values({"f_quality.accuracy.score": ["x"], "f_quality.style.score": ["1"]}))
    assert raw == {"criteria": {"accuracy": {"score": "x"}, "style": {"score": 1}}}
    assert error_of(field, raw) == ("criteria.accuracy.score: must be a whole number from 1 to 5; "
                                    "criteria.safety: required")


def test_a_whole_answer_posted_as_json_under_the_field_name_is_read():
    field = rubric()
    posted = '{"criteria": {"accuracy": {"score": 4}}}'
    assert field.parse_form(field.form_values({"f_quality": [posted]})) == {"criteria": {"accuracy": {"score": 4}}}


# -- gold -----------------------------------------------------------------------------


def test_score_is_the_mean_closeness_over_the_criteria_the_gold_gives():
    field = rubric()
    gold = answer(accuracy=entry(2, rationale="x"), safety=entry(na=True), style=2)
    # accuracy 4 vs 2 on a 4-wide scale: 1 - 2/4 = 0.5; safety N/A vs 5: 0; style 2 vs 2: 1
    assert field.score(answer(accuracy=4, safety=5, style=2), gold) == pytest.approx(0.5)
    assert field.score(gold, gold) == 1.0
    assert field.score(answer(accuracy=entry(2, rationale="x"), safety=entry(na=True), style=0), gold) == pytest.approx(2 / 3)
    only_accuracy = {"criteria": {"accuracy": entry(3)}}
    assert field.score(answer(accuracy=4), only_accuracy) == pytest.approx(0.75)
    assert field.score(None, only_accuracy) == 0.0


def test_tolerance_gives_full_credit_nearby_and_overall_counts_as_a_criterion():
    field = rubric(tolerance=1, overall={"min": 1, "max": 5})
    gold = answer(accuracy=4, safety=4, style=1, overall=5)
    # accuracy 5 vs 4 within 1: 1; safety 1 vs 4: 1 - (3-1)/4 = 0.5; style 1: 1; overall 2 vs 5: 1 - 2/4 = 0.5
    assert field.score(answer(accuracy=5, safety=1, style=1, overall=2), gold) == pytest.approx(0.75)
    assert field.missed(answer(accuracy=5, safety=1, style=1, overall=2), gold) == ["Safety"]


# -- agreement ------------------------------------------------------------------------


def test_one_interval_measure_per_criterion_and_overall():
    field = rubric(overall={"min": 1, "max": 3})
    measures = field.measures()
    assert [(m.name, m.field, m.level, m.categories) for m in measures] == [
        ("quality.accuracy", "quality", "interval", [1, 2, 3, 4, 5]),
        ("quality.safety", "quality", "interval", [1, 2, 3, 4, 5]),
        ("quality.style", "quality", "interval", [0, 1, 2]),
        ("quality.overall", "quality", "interval", [1, 2, 3]),
    ]
    stored = {"quality": answer(accuracy=entry(2, rationale="x"), safety=entry(na=True), style=0, overall=3)}
    assert [m.value_in(stored) for m in measures] == [2, None, 0, 3]
    assert [m.value_in({"quality": None}) for m in measures] == [None] * 4
    assert [m.value_in({"quality": {"criteria": "junk"}}) for m in measures] == [None] * 4


def test_the_gap_report_compares_small_whole_number_scales_and_lists_other_numbers():
    assert compared_level("interval", [1, 2, 3, 4, 5]) == "ordinal"
    assert compared_level("interval", list(range(0, 11))) == "ordinal"
    assert compared_level("interval", list(range(0, 12))) is None
    assert compared_level("interval", None) is None
    assert compared_level("interval", [0.5, 1.0]) is None
    assert compared_level("ratio", [1, 2]) is None
    assert compared_level("nominal", None) == "nominal"
    assert compared_level("distance", None) is None


def test_the_gap_report_shows_which_criterion_agreement_is_lowest_on():
    """Three items, two annotators: they agree on accuracy everywhere and on style only on item 1."""
    when = datetime(2026, 1, 5, tzinfo=timezone.utc)
    scores = {  # item: (annotator a, annotator b) as (accuracy, style)
        1: ((4, 1), (4, 1)), 2: ((5, 0), (5, 2)), 3: ((3, 2), (3, 0))}
    field = rubric()
    rows = {m.name: [] for m in field.measures()}
    for item, pair in scores.items():
        for who, (accuracy, style) in zip("ab", pair):
            stored = {"quality": answer(accuracy=accuracy, safety=entry(na=True), style=style)}
            for measure in field.measures():
                rows[measure.name].append(AnswerRow(item, who, measure.value_in(stored), when))
    fields = {m.name: (compared_level(m.level, m.categories), rows[m.name]) for m in field.measures()}
    report = guideline_gaps(fields, {i: ItemInfo(i, f"item {i}", {}) for i in scores})
    by_field = {f["field"]: f for f in report["fields"]}
    assert by_field["quality.accuracy"]["agreement"] == 1.0
    assert by_field["quality.style"]["agreement"] == pytest.approx(1 / 3)
    assert by_field["quality.safety"]["items"] == 0  # N/A everywhere: nothing to compare
    assert report["confusion"][0] == {"field": "quality.style", "a": 0, "b": 2, "count": 2, "share": 1.0}


# -- linter ---------------------------------------------------------------------------


def linted(rules, value, severity="error"):
    interface = Interface.from_specs([{"name": "quality", "type": "rubric", "criteria": [ACCURACY, SAFETY, STYLE]}])
    normalised = validate_rules(rules, interface)
    clean, errors = interface.validate_answer({"quality": value})
    assert errors == {}
    return normalised, run_linters(normalised, clean, LintContext(), interface)


def test_rubric_rationale_flags_the_first_low_criterion_without_a_rationale():
    rules = [{"type": "rubric_rationale", "field": "quality", "value": 4, "severity": "warning"}]
    normalised, found = linted(rules, answer(accuracy=entry(2, rationale="why"), safety=4, style=1))
    assert normalised == [{"type": "rubric_rationale", "severity": "warning", "field": "quality", "value": 4}]
    assert [(f.field, f.severity, f.message) for f in found] == [
        ("quality", "warning", "criteria.safety.rationale: give a rationale for a score of 4 or below")]
    _, found = linted(rules, answer(accuracy=entry(5), safety=entry(na=True), style=entry(1, rationale="ok")))
    assert found == []


def test_rubric_rationale_can_be_limited_to_some_criteria():
    rules = [{"type": "rubric_rationale", "field": "quality", "value": 1, "criteria": ["style"]}]
    _, found = linted(rules, answer(accuracy=entry(1, rationale="x"), safety=1, style=1))
    assert [f.message for f in found] == ["criteria.style.rationale: give a rationale for a score of 1 or below"]
    assert found[0].severity == "error"


@pytest.mark.parametrize("rule, message", [
    ({"type": "rubric_rationale", "field": "quality"}, "value is missing"),
    ({"type": "rubric_rationale", "field": "quality", "value": "2"}, "value must be a whole number"),
    ({"type": "rubric_rationale", "field": "quality", "value": 2, "criteria": ["tone"]},
     "criteria: 'tone' is not a criterion of quality"),
    ({"type": "rubric_rationale", "field": "quality", "value": 2, "criteria": []}, "criteria must be a non-empty list"),
    ({"type": "rubric_rationale", "field": "quality", "value": 2, "below": 3}, 'unknown key "below"'),
])
def test_rubric_rationale_config_errors(rule, message):
    interface = Interface.from_specs([{"name": "quality", "type": "rubric", "criteria": [ACCURACY, SAFETY, STYLE]}])
    with pytest.raises(ConfigError) as caught:
        validate_rules([rule], interface)
    assert "linter 1 (rubric_rationale)" in str(caught.value) and message in str(caught.value)


# -- widget ---------------------------------------------------------------------------


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs: list[dict] = []
        self.labels: set[str] = set()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag in ("input", "textarea"):
            self.inputs.append(attributes)
        if tag == "label":
            self.labels.add(attributes.get("for"))


def render(field, value=None, error=None) -> str:
    from app.web.templating import standalone_templates

    template = standalone_templates().engine.get_template(field.widget_template)
    return template.render(field=field, value=value, error=error, disabled=False)


def test_the_widget_names_inputs_as_the_form_reads_them_and_labels_every_one():
    field = rubric(overall={"min": 1, "max": 3})
    html = render(field, answer(accuracy=entry(2, rationale="<b>why</b>"), safety=entry(na=True), style=1, overall=3),
                  error="criteria.accuracy.rationale: required below 3")
    parsed = _Inputs()
    parsed.feed(html)
    names = {i["name"] for i in parsed.inputs}
    assert names == {"f_quality.accuracy.score", "f_quality.accuracy.rationale", "f_quality.safety.score",
                     "f_quality.safety.na", "f_quality.safety.rationale", "f_quality.style.score",
                     "f_quality.style.rationale", "f_quality.overall"}
    assert all(i["id"] in parsed.labels for i in parsed.inputs), "every input has a label"
    checked = {(i["name"], i["value"]) for i in parsed.inputs if "checked" in i}
    assert checked == {("f_quality.accuracy.score", "2"), ("f_quality.safety.na", "true"),
                       ("f_quality.style.score", "1"), ("f_quality.overall", "3")}
    assert "&lt;b&gt;why&lt;/b&gt;" in html and "<b>why" not in html
    assert "Fully correct" in html and "Wrong" in html
    invalid = {i["name"] for i in parsed.inputs if i.get("aria-invalid") == "true"}
    assert invalid == {"f_quality.accuracy.score", "f_quality.accuracy.rationale"}
    assert 'src="/static/rubric.js' in html and "style=" not in html


def test_the_widget_renders_a_raw_answer_after_a_failed_submit():
    field = rubric()
    html = render(field, {"criteria": {"accuracy": {"score": "4"}, "style": "junk"}}, error="criteria.safety: required")
    assert 'value="4" data-hotkey="4" checked' in html


def test_disagreement_routing_compares_criteria_exactly():
    from app.agreement.routing import compared_measures, item_agreement

    interface = Interface.from_specs([{"name": "quality", "type": "rubric", "criteria": [ACCURACY, SAFETY, STYLE]},
                                      {"name": "amount", "type": "number", "required": False}])
    measures = compared_measures(interface)
    assert [m.name for m in measures] == ["quality.accuracy", "quality.safety", "quality.style"]
    first = {"quality": answer(accuracy=4, safety=entry(na=True), style=1)}
    second = {"quality": answer(accuracy=4, safety=5, style=2)}
    # accuracy agrees, style does not, safety has one score (N/A is no answer): 1 of 2 pairs
    assert item_agreement([first, second], measures) == 0.5


def test_the_schemas_name_every_setting_and_answer_key():
    field = rubric(overall={"min": 1, "max": 3})
    schema = type(field).config_schema()
    assert set(field.to_dict()) <= set(schema["properties"]) and "criteria" in schema["required"]
    criterion_keys = set(schema["properties"]["criteria"]["items"]["properties"])
    assert all(set(c) <= criterion_keys for c in field.config()["criteria"])
    answers = type(field).answer_schema()
    assert set(answers["properties"]) == {"criteria", "overall"}
    assert set(answers["properties"]["criteria"]["additionalProperties"]["properties"]) == {"score", "na", "rationale"}
