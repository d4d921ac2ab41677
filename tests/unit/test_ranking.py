"""The ranking component: config, validation errors with their position, Kendall's tau-b and the
Kendall distance against hand-worked examples, gold score, form and widget."""

from __future__ import annotations

import math

import pytest

from components.base import ConfigError, Interface
from components.ranking.kendall import kendall_distance, kendall_tau_b

DATA = {"responses": [{"id": "m1", "content": "one"}, {"id": "m2", "content": "two"}, {"id": "m3", "content": "three"}]}


def interface(**config) -> Interface:
    return Interface.from_specs([{"name": "responses", "type": "responses", "value": "$responses"},
                                 {"name": "ranking", "type": "ranking", "target": "responses"} | config])


def ranked(*pairs) -> list[dict]:
    return [{"candidate": c, "rank": r} for c, r in pairs]


def check(value, form=None, assignment=None):
    clean, errors = (form or interface()).validate_answer({"ranking": value}, DATA, assignment)
    return clean.get("ranking"), errors.get("ranking")


# -- config ---------------------------------------------------------------------------


def test_config():
    assert interface().by_name["ranking"].config() == {"ties": False}
    assert interface(ties=True).by_name["ranking"].ties is True
    with pytest.raises(ConfigError, match="ties must be true or false"):
        interface(ties="yes")
    with pytest.raises(ConfigError, match="unknown setting for a ranking field: order"):
        interface(order="asc")
    with pytest.raises(ConfigError, match="target is missing"):
        Interface.from_specs([{"name": "responses", "type": "responses", "value": "$r"}, {"name": "r", "type": "ranking"}])


# -- validation -----------------------------------------------------------------------


def test_a_valid_ranking_is_stored_in_the_order_shown():
    form = interface()
    value, error = check(ranked(("m3", 1), ("m1", 3), ("m2", 2)), form)
    assert error is None and value == ranked(("m1", 3), ("m2", 2), ("m3", 1))
    shown = [c["id"] for c in form.parts_by_name["responses"].resolve(DATA, 7)]
    again = check(ranked(("m3", 1), ("m1", 3), ("m2", 2.0)), form, 7)[0]
    assert [e["candidate"] for e in again] == shown and {e["candidate"]: e["rank"] for e in again} == {"m1": 3, "m2": 2, "m3": 1}


@pytest.mark.parametrize("value, message", [
    ("m1>m2", "must be a list of {candidate, rank}"),
    ([ranked(("m1", 1))[0], "m2"], "ranking[1]: must be an object with candidate and rank"),
    (ranked(("m1", 1), ("m9", 2), ("m3", 3)), "ranking[1].candidate: 'm9' is not a candidate shown"),
    (ranked(("m1", 1), ("m2", 2), ("m1", 3)), "ranking[2].candidate: 'm1' is ranked twice"),
    (ranked(("m1", 1), ("m2", 2), ("m3", 4)), "ranking[2].rank: must be a whole number from 1 to 3"),
    (ranked(("m1", 1), ("m2", "2"), ("m3", 3)), "ranking[1].rank: must be a whole number from 1 to 3"),
    (ranked(("m1", 1), ("m2", True), ("m3", 3)), "ranking[1].rank: must be a whole number from 1 to 3"),
    (ranked(("m1", 1), ("m2", 1), ("m3", 3)), "ranking[1].rank: 1 is given twice; this ranking allows no ties"),
    (ranked(("m1", 1), ("m2", 2)), "ranking: 'm3' not ranked; rank every candidate shown"),
    ([{"candidate": "m1", "rank": 1, "why": "x"}], "ranking[0]: unknown key why; an entry takes candidate and rank"),
])
def test_validation_names_the_position(value, message):
    assert check(value)[1] == message


def test_ties_allowed_by_config():
    assert check(ranked(("m1", 1), ("m2", 1), ("m3", 3)), interface(ties=True))[1] is None


# -- Kendall --------------------------------------------------------------------------


def test_tau_b_hand_worked():
    assert kendall_tau_b([1, 2, 3], [1, 2, 3]) == 1.0
    assert kendall_tau_b([1, 2, 3], [3, 2, 1]) == -1.0
    # one of three pairs discordant: (2 - 1) / 3
    assert kendall_tau_b([1, 2, 3], [2, 1, 3]) == pytest.approx(1 / 3)
    # x = (1, 1, 2), y = (1, 2, 3): pairs (0,1) tied in x; (0,2), (1,2) concordant.
    # n0 = 3, n1 = 1, n2 = 0: tau_b = 2 / sqrt(2 * 3)
    assert kendall_tau_b([1, 1, 2], [1, 2, 3]) == pytest.approx(2 / math.sqrt(6))
    # four items, ties on both sides: x = (1, 1, 2, 3), y = (1, 2, 2, 3)
    # pairs: 01 tied x; 02 C; 03 C; 12 tied y; 13 C; 23 C -> C=4, D=0, n1=1, n2=1, n0=6: 4 / 5
    assert kendall_tau_b([1, 1, 2, 3], [1, 2, 2, 3]) == pytest.approx(0.8)
    assert kendall_tau_b([1, 1], [1, 1]) == 1.0 and kendall_tau_b([1, 1], [1, 2]) == 0.0


def test_kendall_distance_hand_worked():
    assert kendall_distance([1, 2, 3], [1, 2, 3]) == 0.0
    assert kendall_distance([1, 2, 3], [3, 2, 1]) == 1.0
    assert kendall_distance([1, 2, 3], [2, 1, 3]) == pytest.approx(1 / 3)
    # x = (1, 1, 2), y = (1, 2, 3): one pair tied in exactly one ranking (half), none discordant: 0.5 / 3
    assert kendall_distance([1, 1, 2], [1, 2, 3]) == pytest.approx(1 / 6)
    assert kendall_distance([1, 2, 3, 4], [4, 3, 2, 1]) == 1.0 and kendall_distance([5], [1]) == 0.0


def test_score_and_distance_by_candidate_not_position():
    field = interface().by_name["ranking"]
    gold = ranked(("m1", 1), ("m2", 2), ("m3", 3))
    assert field.score(ranked(("m3", 3), ("m1", 1), ("m2", 2)), gold) == 1.0  # same ranks, other shown order
    assert field.score(ranked(("m1", 3), ("m2", 2), ("m3", 1)), gold) == 0.0
    assert field.score(ranked(("m1", 2), ("m2", 1), ("m3", 3)), gold) == pytest.approx(2 / 3)  # (1/3 + 1) / 2
    assert field.score(None, gold) == 0.0
    assert field.distance(ranked(("m1", 2), ("m2", 1), ("m3", 3)), gold) == pytest.approx(1 / 3)
    measure = field.measures()[0]
    assert measure.level == "structured" and measure.distance(gold, gold) == 0.0


# -- form and widget ------------------------------------------------------------------


def test_form_posts_candidate_equals_rank():
    form = interface()
    assert form.parse_form({"f_ranking": ["m1=2", "", "m=3=1"]}) == {"ranking": ranked(("m1", 2), ("m=3", 1))}
    assert form.parse_form({"f_ranking": ["", ""]}) == {"ranking": None}


def test_widget_one_labelled_select_per_shown_candidate():
    from app.web.templating import standalone_templates

    form = interface()

    class Lease:
        item_data = DATA
        assignment = type("A", (), {"id": 7})

    html = standalone_templates().engine.get_template("ranking/widget.html").render(
        field=form.by_name["ranking"], value=None, error=None, disabled=False, lease=Lease(), interface=form)
    shown = [c["id"] for c in form.parts_by_name["responses"].resolve(DATA, 7)]
    assert [html.index(f"Response {c}") for c in shown] == sorted(html.index(f"Response {c}") for c in shown)
    assert html.count("<select") == 3 and html.count('<label for="f_ranking-') == 3
    assert f'value="{shown[0]}=1"' in html
    # a review shows the answer's own ranks
    edited = standalone_templates().engine.get_template("ranking/widget.html").render(
        field=form.by_name["ranking"], value=ranked(("m2", 1), ("m1", 2), ("m3", 3)), error=None, disabled=False)
    assert 'value="m2=1" selected' in edited and 'value="m3=3" selected' in edited


def test_preference_votes_and_labels():
    from app.export.preference import pair_labels

    field = interface(ties=True).by_name["ranking"]
    assert field.preference_votes(ranked(("m2", 1), ("m1", 1), ("m3", 2))) == [
        ("m2", "m1", "tie"), ("m2", "m3", "m2"), ("m1", "m3", "m1")]
    first = (False, {"ranking": ranked(("m1", 1), ("m2", 2), ("m3", 3))})
    second = (False, {"ranking": ranked(("m2", 1), ("m1", 2), ("m3", 3))})
    third = (False, {"ranking": ranked(("m1", 1), ("m2", 1), ("m3", 2))})
    # m1|m2: m1, m2, tie -> no majority; m1|m3 and m2|m3: all three agree
    assert pair_labels(field, [first, second, third]) == {("m1", "m3"): ("m1", 1.0, 3), ("m2", "m3"): ("m2", 1.0, 3)}
    assert pair_labels(field, [first, second, (False, first[1])])[("m1", "m2")] == ("m1", 0.6667, 3)
    adjudicated = (True, {"ranking": ranked(("m3", 1), ("m2", 2), ("m1", 3))})
    assert pair_labels(field, [first, adjudicated, second])[("m1", "m3")] == ("m3", 1.0, 1)


# -- position bias ----------------------------------------------------------------------


def test_the_position_of_the_top_ranked_candidate_in_the_order_shown():
    field = interface(ties=True).by_name["ranking"]
    assert field.position_bias is True
    # The answer lists the candidates as shown: here m2 was shown first, m1 second, m3 third.
    assert field.chosen_position(ranked(("m2", 3), ("m1", 1), ("m3", 2))) == 1
    assert field.chosen_position(ranked(("m2", 1), ("m1", 2), ("m3", 3))) == 0
    assert field.chosen_position(ranked(("m2", 1), ("m1", 1), ("m3", 2))) is None  # a tie at the top
    assert field.chosen_position("not a ranking") is None
    assert field.positions_shown(ranked(("m2", 1), ("m1", 2), ("m3", 3))) == 3


def test_the_order_shown_is_the_order_stored_so_position_is_measured_on_it():
    form = interface()
    shown = [c["id"] for c in form.parts_by_name["responses"].resolve(DATA, 7)]
    clean, _ = check(ranked(("m1", 1), ("m2", 2), ("m3", 3)), form, assignment=7)
    assert [e["candidate"] for e in clean] == shown
    assert form.by_name["ranking"].chosen_position(clean) == shown.index("m1")


def test_position_bias_of_a_ranking_against_one_in_n_worked_by_hand():
    from datetime import datetime, timezone

    from app.agreement.position_bias import position_bias, with_position_bias
    from app.agreement.service import Answers

    form = interface(ties=True)
    three = [ranked(("m1", 1), ("m2", 2), ("m3", 3))] * 5 + [ranked(("m1", 2), ("m2", 1), ("m3", 3))] * 2 \
        + [ranked(("m1", 3), ("m2", 2), ("m3", 1))] + [ranked(("m1", 1), ("m2", 1), ("m3", 2))]  # the last: tied top
    two = [ranked(("m1", 1), ("m2", 2))] * 2 + [ranked(("m1", 2), ("m2", 1))] * 2  # items with two responses
    answers = [{"ranking": value} for value in three + two] + [{"ranking": None}]
    count = len(answers)
    rows = position_bias(form, Answers([1] * count, ["a"] * count, answers, [datetime.now(timezone.utc)] * count, count))
    (row,) = rows
    # Decisive: 8 of three candidates (the tied top left out) and 4 of two: 12. Shown first won in
    # 5 + 2 = 7. Chance: (8 x 1/3 + 4 x 1/2) / 12 = 14/36 = 0.3889. Wilson 95% for 7/12
    # (z^2 = 3.8415): centre (7/12 + 3.8415/24) / (1 + 3.8415/12) = 0.7434 / 1.3201 = 0.5631,
    # half-width 1.96 * sqrt(0.2431/12 + 3.8415/576) / 1.3201 = 1.96 * 0.1641 / 1.3201 = 0.2436,
    # so 0.3195..0.8068: the chance rate lies inside.
    assert {k: row[k] for k in ("field", "decisive", "first_wins", "most_shown", "biased")} == {
        "field": "ranking", "decisive": 12, "first_wins": 7, "most_shown": 3, "biased": False}
    assert row["first_rate"] == pytest.approx(7 / 12) and row["chance_rate"] == pytest.approx(14 / 36)
    assert round(row["low"], 3) == 0.320 and round(row["high"], 3) == 0.807
    assert row["left_wins"] is row["right_wins"] is row["left_rate"] is None  # more than a pair was shown
    report = with_position_bias({}, form, Answers([1] * count, ["a"] * count, answers, [None] * count, count))
    assert report["summary"]["position_bias"] == ("Position bias: ranking: the candidate shown first came top in 58% "
                                                  "of 12 decisive answers (within chance of 39%).")

    # Thirty rankings of three with the first shown always top: far above 1 in 3.
    always = [{"ranking": ranked(("m1", 1), ("m2", 2), ("m3", 3))}] * 30
    (row,) = position_bias(form, Answers([1] * 30, ["a"] * 30, always, [None] * 30, 30))
    assert row["biased"] is True and row["first_rate"] == 1.0 and row["chance_rate"] == pytest.approx(1 / 3)
