"""The interface's parts: display parts bound to item data, answer fields aimed at them, and what
agreement and linters take from a component instead of from its type."""

from __future__ import annotations

from typing import Any, Mapping

import pytest

from app.agreement.routing import compared_measures, item_agreement
from app.agreement.statistics import field_agreement
from app.quality.linters import LintContext, run_linters, validate_rules
from components.base import AnswerError, Component, ConfigError, Interface, LintRule, Measure
from components.registry import part_class_for

SHOWN = [{"name": "prompt", "type": "prompt_response", "value": "$q", "response": "$a"},
         {"name": "candidates", "type": "responses", "value": "$options"},
         {"name": "verdict", "type": "choice", "options": ["good", "bad"]}]
ITEM = {"q": "What is 2 + 2?", "a": "4", "options": ["four", "five", "IV"], "meta": {"lang": "en"}}


def test_display_parts_and_answer_fields_keep_their_order_and_round_trip():
    interface = Interface.from_specs(SHOWN)
    assert [p.name for p in interface.parts] == ["prompt", "candidates", "verdict"]
    assert [c.name for c in interface.components] == ["verdict"]  # what the work and review code iterate
    assert Interface.from_specs(interface.to_specs()).to_specs() == interface.to_specs()


def test_a_text_with_a_value_is_shown_and_one_without_is_answered():
    assert part_class_for({"type": "text", "value": "$body"}).kind == "display"
    assert part_class_for({"type": "text"}).kind == "answer"


def test_a_display_part_shows_the_bound_field_and_dotted_paths():
    interface = Interface.from_specs([{"name": "lang", "type": "text", "value": "$meta.lang"},
                                      {"name": "missing", "type": "text", "value": "$nope.deeper"}, SHOWN[2]])
    assert [shown for _, shown in interface.shown(ITEM)] == ["en", None]


def test_responses_are_shown_in_an_order_fixed_per_assignment():
    interface = Interface.from_specs(SHOWN)
    orders = {tuple(c["id"] for c in dict((p.name, s) for p, s in interface.shown(ITEM, n))["candidates"])
              for n in range(1, 30)}
    assert len(orders) > 1  # differs between assignments
    again = [interface.shown(ITEM, 7)[1][1] for _ in range(3)]
    assert again[0] == again[1] == again[2]  # the same on every render
    assert sorted(c["content"] for c in again[0]) == ["IV", "five", "four"]


def test_an_interface_needs_an_answer_field_and_display_settings_are_checked():
    with pytest.raises(ConfigError, match="at least one answer field"):
        Interface.from_specs(SHOWN[:2])
    with pytest.raises(ConfigError, match="value is missing"):
        Interface.from_specs([{"name": "t", "type": "responses"}, SHOWN[2]])
    with pytest.raises(ConfigError, match=r"field 1 \(c\): unknown setting for a responses part: layuot"):
        Interface.from_specs([{"name": "c", "type": "responses", "value": "$x", "layuot": "stacked"}, SHOWN[2]])


class Pick(Component):
    """An answer aimed at the responses part: the id of one shown candidate."""

    type = "pick_for_test"
    level = "structured"
    targets = ("responses",)
    lint_rules = {"pick_not": LintRule(
        params=frozenset({"value"}), check=lambda params, component: {"value": str(params["value"])},
        run=lambda rule, component, value, context: f"not {rule['value']}" if value == rule["value"] else None)}

    def configure(self, config: Mapping[str, Any]) -> None:
        pass

    def config(self) -> dict[str, Any]:
        return {}

    def validate(self, value: Any) -> Any:
        return value

    def validate_in(self, value: Any, context) -> Any:
        ids = [c["id"] for c in context.shown(self.target)]
        if value not in ids:
            raise AnswerError(f"must be one of the candidates shown: {', '.join(ids)}")
        return value

    def parse_form(self, values: list[str]) -> Any:
        return values[0] if values else None

    def score(self, answer: Any, gold: Any) -> float:
        return float(answer == gold)

    def distance(self, a: Any, b: Any) -> float:
        return 0.0 if a == b else 0.5


@pytest.fixture
def picking(monkeypatch):
    from components import registry

    real = registry.all_component_classes()
    monkeypatch.setattr(registry, "all_component_classes", lambda: {**real, "pick_for_test": Pick})
    return Interface.from_specs([*SHOWN[:2], {"name": "best", "type": "pick_for_test", "target": "candidates"}])


def test_an_answer_is_judged_against_what_its_target_shows(picking):
    assert picking.validate_answer({"best": "B"}, ITEM, 3) == ({"best": "B"}, {})
    assert picking.validate_answer({"best": "Z"}, ITEM, 3)[1] == {
        "best": "must be one of the candidates shown: " + ", ".join(
            c["id"] for c in picking.shown(ITEM, 3)[1][1])}


def test_a_target_must_be_a_display_part_of_a_type_the_field_takes(picking):
    with pytest.raises(ConfigError, match="target 'verdict' is not a display part"):
        Interface.from_specs([*SHOWN, {"name": "best", "type": "pick_for_test", "target": "verdict"}])
    with pytest.raises(ConfigError, match="is a prompt_response part; a pick_for_test field needs responses"):
        Interface.from_specs([*SHOWN, {"name": "best", "type": "pick_for_test", "target": "prompt"}])
    with pytest.raises(ConfigError, match="target is missing"):
        Interface.from_specs([*SHOWN, {"name": "best", "type": "pick_for_test"}])


def test_structured_agreement_uses_the_components_own_distance(picking):
    (component, measure), = picking.measures()
    triples = [(1, "x", "A"), (1, "y", "B"), (2, "x", "A"), (2, "y", "A"), (3, "x", "C"), (3, "y", "C")]
    report = field_agreement(triples, measure.level, distance=measure.distance)
    # Observed: one disagreeing pair of three at distance 0.5 -> D_o = 2 * 0.5 / 6 = 1/6. Expected over
    # the 6 pairable values (A x3, B, C x2): 2 * (3*1 + 3*2 + 1*2) * 0.5 / (6*5) = 11/30. alpha = 1 - 5/11.
    assert report["krippendorff_alpha"] == pytest.approx(1 - (1 / 6) / (11 / 30), abs=1e-4)
    # Routing: 1 - distance per pair.
    assert item_agreement([{"best": "A"}, {"best": "B"}], compared_measures(picking)) == 0.5


def test_a_facet_measure_reads_its_field_and_extracts():
    measure = Measure("rubric.accuracy", "interval", field="rubric",
                      extract=lambda value: value["criteria"]["accuracy"]["score"])
    assert measure.value_in({"rubric": {"criteria": {"accuracy": {"score": 4}}}}) == 4
    assert measure.value_in({"rubric": None}) is None


def test_a_component_brings_its_own_linter_rules(picking):
    rules = validate_rules([{"type": "pick_not", "field": "best", "value": "A", "severity": "warning"}], picking)
    assert rules == [{"type": "pick_not", "severity": "warning", "field": "best", "value": "A"}]
    findings = run_linters(rules, {"best": "A"}, LintContext(), picking)
    assert [(f.rule, f.field, f.message) for f in findings] == [("pick_not", "best", "not A")]
    assert run_linters(rules, {"best": "B"}, LintContext(), picking) == []
    with pytest.raises(ConfigError, match='unknown key "valeu"'):
        validate_rules([{"type": "pick_not", "field": "best", "valeu": "A"}], picking)
    with pytest.raises(ConfigError, match='unknown type "pick_not"'):  # not a rule of that field's type
        validate_rules([{"type": "pick_not", "field": "verdict", "value": "A"}], Interface.from_specs(SHOWN))
