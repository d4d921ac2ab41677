"""Per-turn ratings on a chat part: config, answers checked against the chat's turns (with their
places), form, gold score, measures (per-item means per criterion) and the widget's frame."""

from __future__ import annotations

import pytest

from app.agreement.statistics import field_agreement
from components.base import ConfigError, Interface

CHAT = {"chat": [{"role": "system", "content": "Be brief."},
                 {"role": "user", "content": "Capital of France?"},
                 {"role": "assistant", "content": "Paris."},
                 {"role": "user", "content": "And of Spain?"},
                 {"role": "assistant", "content": "Lisbon.", "id": "last"}]}
FIELD = {"name": "turns", "type": "turn_ratings", "target": "conversation",
         "criteria": [{"id": "helpful", "anchors": {"1": "Useless", "5": "Ideal"}}, {"id": "honest", "min": 0, "max": 2}],
         "flags": ["unsafe", {"value": "hallucination", "label": "Made up"}]}


def interface(**config) -> Interface:
    return Interface.from_specs([{"name": "conversation", "type": "chat", "value": "$chat"}, FIELD | config])


def rated(t3=(4, 2), last=(1, 0), t3_flags=(), last_flags=("hallucination",), **extra) -> dict:
    turns = {}
    for turn_id, scores, flags in (("t3", t3, t3_flags), ("last", last, last_flags)):
        if scores is not None:
            turns[turn_id] = {"ratings": {"helpful": scores[0], "honest": scores[1]}, "flags": list(flags)}
    return {"turns": turns} | extra


def errors_of(value, **config) -> str:
    _, errors = interface(**config).validate_answer({"turns": value}, CHAT)
    return errors.get("turns", "")


# -- config -------------------------------------------------------------------------


def test_config_round_trips_and_defaults_rate_the_assistant():
    built = interface(overall={"min": 1, "max": 3})
    field = built.by_name["turns"]
    assert field.roles == ("assistant",) and field.every_turn is True
    assert field.config()["flags"] == ["unsafe", {"value": "hallucination", "label": "Made up"}]
    assert Interface.from_specs(built.to_specs()).to_specs() == built.to_specs()


@pytest.mark.parametrize("config, message", [
    ({"target": None}, "target is missing"),
    ({"target": "nowhere"}, "target 'nowhere' is not a display part"),
    ({"criteria": []}, "criteria must be a non-empty list"),
    ({"criteria": [{"id": "a", "weight": 1}]}, "criteria[1]: unknown key weight"),
    ({"criteria": [{"id": "a", "min": 0, "max": 20}]}, "criteria[1]: max - min must be at most 10"),
    ({"criteria": [{"id": "a"}, {"id": "a"}]}, "criteria[2]: id 'a' appears twice"),
    ({"roles": ["bot"]}, "roles: 'bot' is not one of"),
    ({"flags": ["x", "x"]}, "appears twice"),
    ({"every_turn": "yes"}, "every_turn must be true or false"),
])
def test_config_errors(config, message):
    with pytest.raises(ConfigError) as caught:
        interface(**config)
    assert message in str(caught.value)


def test_the_target_must_be_a_chat():
    with pytest.raises(ConfigError, match="a turn_ratings field needs chat"):
        Interface.from_specs([{"name": "conversation", "type": "text", "value": "$chat"}, FIELD])


# -- answers --------------------------------------------------------------------------


def test_a_complete_answer_is_normalised_in_turn_order():
    clean, errors = interface().validate_answer({"turns": {"turns": {
        "last": {"ratings": {"honest": 0.0, "helpful": 1}, "flags": ["hallucination", "unsafe", "unsafe"]},
        "t3": {"ratings": {"helpful": 4, "honest": 2}}}}}, CHAT)
    assert errors == {}
    assert clean["turns"] == {"turns": {"t3": {"ratings": {"helpful": 4, "honest": 2}, "flags": []},
                                        "last": {"ratings": {"helpful": 1, "honest": 0},
                                                 "flags": ["unsafe", "hallucination"]}}}
    assert list(clean["turns"]["turns"]) == ["t3", "last"]


@pytest.mark.parametrize("value, message", [
    (rated(t3=None), "turns.t3: required"),
    (rated() | {"turns": rated()["turns"] | {"t2": {"ratings": {"helpful": 3, "honest": 1}}}},
     "turns.t2: a user turn is not rated (rated: assistant)"),
    (rated() | {"turns": rated()["turns"] | {"t9": {}}}, "turns.t9: not a turn of the conversation"),
    (rated(t3=(6, 2)), "turns.t3.ratings.helpful: must be a whole number from 1 to 5"),
    (rated(last=(1, None)), "turns.last.ratings.honest: required"),
    (rated(t3_flags=("rude",)), "turns.t3.flags[0]: must be one of: unsafe, hallucination"),
    ({"turns": {"t3": {"ratings": {"helpful": 4, "honest": 1, "tone": 2}}, "last": {"ratings": {"helpful": 1, "honest": 1}}}},
     "turns.t3.ratings.tone: not a criterion"),
    ({"turns": {"t3": {"score": 1}}}, "turns.t3.score: unknown key (allowed: ratings, flags)"),
    (rated(overall=3), "overall: this field has no overall score"),
    ({"overall": 2}, "turns: required"),
])
def test_answer_errors_name_the_turn_and_criterion(value, message):
    assert message in errors_of(value)


def test_other_roles_and_optional_turns_by_config():
    value = {"turns": {"t2": {"ratings": {"helpful": 3, "honest": 1}}}}
    assert errors_of(value, roles=["user"]) == "turns.t4: required"
    assert errors_of(value, roles=["user"], every_turn=False) == ""
    assert errors_of(rated(), overall={"min": 1, "max": 3}) == "overall: required"


# -- form -----------------------------------------------------------------------------


def test_the_form_inputs_per_turn_become_the_answer():
    built = interface()
    raw = built.parse_form({"f_turns.t3.helpful": ["4"], "f_turns.t3.honest": ["2"], "f_turns.last.helpful": ["1"],
                            "f_turns.last.honest": ["0"], "f_turns.last.flags": ["hallucination", "unsafe"]})
    assert raw["turns"] == {"turns": {"t3": {"ratings": {"helpful": 4, "honest": 2}},
                                      "last": {"ratings": {"helpful": 1, "honest": 0}, "flags": ["hallucination", "unsafe"]}}}
    assert built.validate_answer(raw, CHAT)[1] == {}
    assert built.parse_form({})["turns"] is None
    dotted = built.by_name["turns"].parse_form(["turn.1.helpful=3"])
    assert dotted == {"turns": {"turn.1": {"ratings": {"helpful": 3}}}}


# -- gold and agreement ---------------------------------------------------------------


def test_score_is_the_mean_closeness_per_turn_criterion_and_flags():
    field = interface(tolerance=0).by_name["turns"]
    gold = rated(t3=(5, 2), last=(1, 0), last_flags=("hallucination",))
    # t3: helpful 4 vs 5 -> 1 - 1/4 = .75, honest 1; flags none/none 1
    # last: helpful 1, honest 2 vs 0 -> 1 - 2/2 = 0; flags {hallucination, unsafe} vs {hallucination} = 1/2
    answer = rated(t3=(4, 2), last=(1, 2), last_flags=("hallucination", "unsafe"))
    assert field.score(answer, gold) == pytest.approx((0.75 + 1 + 1 + 1 + 0 + 0.5) / 6)
    assert field.score(gold, gold) == 1.0
    assert field.score(None, gold) == pytest.approx(1 / 6)  # only t3's "no flags" matches


def test_measures_take_the_mean_per_item_and_flag_presence():
    field = interface(overall={"min": 1, "max": 3}).by_name["turns"]
    measures = {m.name: m for m in field.measures()}
    assert [(m.name, m.level, m.categories) for m in measures.values()] == [
        ("turns.helpful", "interval", None), ("turns.honest", "interval", None),
        ("turns.flags.unsafe", "nominal", [False, True]), ("turns.flags.hallucination", "nominal", [False, True]),
        ("turns.overall", "interval", [1, 2, 3])]
    stored = {"turns": rated(t3=(4, 2), last=(1, 0), overall=2)}
    assert measures["turns.helpful"].value_in(stored) == 2.5
    assert measures["turns.honest"].value_in(stored) == 1.0
    assert measures["turns.flags.hallucination"].value_in(stored) is True
    assert measures["turns.flags.unsafe"].value_in(stored) is False
    assert measures["turns.overall"].value_in(stored) == 2
    assert measures["turns.helpful"].value_in({"turns": {"turns": {}}}) is None


def test_agreement_on_turn_means_is_perfect_when_annotators_agree_and_not_when_they_differ():
    field = interface().by_name["turns"]
    helpful = next(m for m in field.measures() if m.name == "turns.helpful")
    answers = {("i1", "a"): rated(t3=(4, 2), last=(2, 0)), ("i1", "b"): rated(t3=(4, 2), last=(2, 0)),
               ("i2", "a"): rated(t3=(5, 2), last=(5, 0)), ("i2", "b"): rated(t3=(5, 2), last=(5, 0))}
    triples = [(item, who, helpful.value_in({"turns": value})) for (item, who), value in answers.items()]
    assert field_agreement(triples, helpful.level, categories=helpful.categories)["krippendorff_alpha"] == 1.0
    answers[("i2", "b")] = rated(t3=(1, 2), last=(2, 0))
    triples = [(item, who, helpful.value_in({"turns": value})) for (item, who), value in answers.items()]
    assert field_agreement(triples, helpful.level)["krippendorff_alpha"] < 0.5


# -- widget ---------------------------------------------------------------------------


def test_the_widget_carries_what_the_script_builds_the_turns_from():
    from app.web.templating import standalone_templates

    field = interface(overall={"min": 1, "max": 3}).by_name["turns"]
    html = standalone_templates().engine.get_template(field.widget_template).render(
        field=field, value=rated(overall=2) | {"note": "<script>"}, error="turns.t3: required", disabled=False)
    assert 'data-target="conversation"' in html and 'data-name="f_turns"' in html
    assert "&lt;script&gt;" in html and "<script>" not in html.replace('<script src="/static/turn_ratings.js', "")
    assert 'name="f_turns.overall" value="2" data-hotkey="2" checked' in html
    assert "Made up" in html and "style=" not in html


def test_the_schemas_name_every_setting_and_answer_key():
    field = interface(overall={"min": 1, "max": 3}).by_name["turns"]
    schema = type(field).config_schema()
    assert set(field.to_dict()) <= set(schema["properties"])
    assert {"target", "criteria"} <= set(schema["required"])
    answers = type(field).answer_schema()
    assert set(answers["properties"]) == {"turns", "overall"}
    assert set(answers["properties"]["turns"]["additionalProperties"]["properties"]) == {"ratings", "flags"}
