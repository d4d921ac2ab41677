"""The guideline-gap report (app/agreement/gaps.py) on small data worked by hand.

The main data set: annotators u1, u2, u3 answer a "sentiment" choice on seven
items, u4 on three of them (values in that order):

    i1  pos pos neg          agreement 1/3   (pairs: pos|pos 1, pos|neg 2)
    i2  pos pos pos  + pos   1               (pos|pos 6)
    i3  neg neg neu  + neu   4/12 = 1/3      (neg|neg 1, neu|neu 1, neg|neu 4)
    i4  neu neu neu  + neu   1               (neu|neu 6)
    i5  pos neg neu          0               (one pair each of pos|neg, pos|neu, neg|neu)
    i6  neg neg pos          1/3             (neg|neg 1, neg|pos 2)
    i7  pos pos neg          1/3             (pos|pos 1, pos|neg 2)

Disagreeing pairs: pos|neg 2+1+2+2 = 7, neg|neu 4+1 = 5, pos|neu 1; 13 in all.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest

from app.agreement.gaps import MAX_ITEM_PATHS, AnswerRow, ItemInfo, gaps_csv, grouping_values, guideline_gaps

ANSWERS = {
    "i1": ["pos", "pos", "neg"],
    "i2": ["pos", "pos", "pos", "pos"],
    "i3": ["neg", "neg", "neu", "neu"],
    "i4": ["neu", "neu", "neu", "neu"],
    "i5": ["pos", "neg", "neu"],
    "i6": ["neg", "neg", "pos"],
    "i7": ["pos", "pos", "neg"],
}
ANNOTATORS = ["u1", "u2", "u3", "u4"]
MONDAY = datetime(2026, 11, 2, 9, 30)
DAY_OF = {"i1": 0, "i2": 0, "i3": 0, "i4": 1, "i5": 1, "i6": 7, "i7": 7}
"""Days after Monday 2026-11-02 the items were answered; u4's answer on i3 comes a day later."""

LONG_NOTE = "a note long enough to be free text rather than a category, " * 3
TOPIC = {"i1": "a", "i2": "a", "i3": "a", "i4": "b", "i5": "b", "i6": "b", "i7": "b"}


def answered_at(item: str, annotator: str) -> datetime:
    days = DAY_OF[item] + (1 if (item, annotator) == ("i3", "u4") else 0)
    return MONDAY + timedelta(days=days, minutes=ANNOTATORS.index(annotator))


def sentiment_rows() -> list[AnswerRow]:
    return [
        AnswerRow(item, annotator, value, answered_at(item, annotator))
        for item, values in ANSWERS.items()
        for annotator, value in zip(ANNOTATORS, values)
    ]


def item_infos() -> dict[str, ItemInfo]:
    return {
        key: ItemInfo(
            key,
            f"Review {key}",
            {
                "topic": TOPIC[key],
                "lang": "fr" if key == "i7" else "en",
                "external_id": f"ext-{key}",  # unique: not a grouping
                "note": LONG_NOTE,  # free text: not a grouping
                "score": 0.5,  # a float: not a category
            },
        )
        for key in ANSWERS
    }


@pytest.fixture(scope="module")
def report() -> dict:
    return guideline_gaps({"sentiment": ("nominal", sentiment_rows())}, item_infos(), top=3)


# -- confusion ------------------------------------------------------------------------


def test_one_item_with_answers_a_a_b_gives_two_pairs_a_b():
    rows = [AnswerRow("x", annotator, value, MONDAY) for annotator, value in zip("pqr", "aab")]
    result = guideline_gaps({"f": ("nominal", rows)}, {})
    assert result["confusion"] == [{"field": "f", "a": "a", "b": "b", "count": 2, "share": 1.0}]
    assert result["matrices"]["f"] == {"labels": ["a", "b"], "counts": [[1, 2], [2, 0]]}


def test_confusion_pairs_and_shares(report):
    assert report["confusion"] == [
        {"field": "sentiment", "a": "neg", "b": "pos", "count": 7, "share": pytest.approx(7 / 13)},
        {"field": "sentiment", "a": "neg", "b": "neu", "count": 5, "share": pytest.approx(5 / 13)},
        {"field": "sentiment", "a": "neu", "b": "pos", "count": 1, "share": pytest.approx(1 / 13)},
    ]


def test_confusion_matrix_is_symmetric_with_agreeing_pairs_on_the_diagonal(report):
    assert report["matrices"]["sentiment"] == {
        "labels": ["neg", "neu", "pos"],
        "counts": [[2, 5, 7], [5, 7, 1], [7, 1, 8]],
    }


def test_ratings_keep_their_numbers_and_multi_choice_has_no_confusion():
    rows = {
        "stars": ("ordinal", [AnswerRow("x", a, v, MONDAY) for a, v in zip("pqr", [4, 5, 5])]),
        "tags": ("set", [AnswerRow("x", a, v, MONDAY) for a, v in zip("pqr", [["k", "m"], ["m", "k"], ["k"]])]),
    }
    result = guideline_gaps(rows, {})
    assert result["confusion"] == [{"field": "stars", "a": 4, "b": 5, "count": 2, "share": 1.0}]
    assert list(result["matrices"]) == ["stars"]
    # stars: 1 agreeing pair of 3; tags: {k, m} twice, {k} once, also 1 of 3.
    assert result["disputed_items"][0]["agreement"] == pytest.approx(1 / 3)
    assert result["disputed_items"][0]["values"] == {"stars": {"5": 2, "4": 1}, "tags": {"k, m": 2, "k": 1}}


# -- item agreement over fields -------------------------------------------------------


def test_item_agreement_is_the_mean_over_fields_and_numbers_and_text_are_skipped():
    with pytest.raises(ValueError):
        guideline_gaps({"sentiment": ("choice", [])}, {})  # a component type, not a level
    fields = {
        "sentiment": ("nominal", [AnswerRow("x", a, v, MONDAY) for a, v in zip("pqr", "aab")]
                      + [AnswerRow("y", a, "a", MONDAY) for a in "pq"]),
        "stars": ("ordinal", [AnswerRow("x", a, 3, MONDAY) for a in "pqr"]),
        "comment": ("distance", [AnswerRow("x", a, t, MONDAY) for a, t in zip("pqr", ["ok", "fine", None])]),
        "amount": ("ratio", [AnswerRow("x", a, n, MONDAY) for a, n in zip("pqr", [1.5, 2.0, 3.0])]),
    }
    result = guideline_gaps(fields, {})
    assert result["fields"] == [
        {"field": "sentiment", "level": "nominal", "included": True, "answers": 5, "items": 2,
         "agreement": pytest.approx((1 / 3 + 1) / 2)},
        {"field": "stars", "level": "ordinal", "included": True, "answers": 3, "items": 1, "agreement": 1.0},
        {"field": "comment", "level": "text", "included": False, "answers": 2, "items": None, "agreement": None},
        {"field": "amount", "level": "ratio", "included": False, "answers": 3, "items": None, "agreement": None},
    ]
    # x: sentiment 1/3, stars 1 -> 2/3; y: sentiment 1.
    assert result["overall"] == {
        "items": 2, "items_with_disagreement": 1, "items_without_agreement": 0,
        "agreement": pytest.approx((2 / 3 + 1) / 2),
    }
    [disputed] = result["disputed_items"]
    assert disputed["item"] == "x" and disputed["agreement"] == pytest.approx(2 / 3)
    assert disputed["answers"] == 6
    assert disputed["values"] == {"sentiment": {"a": 2, "b": 1}, "stars": {"3": 3}}


# -- groups ---------------------------------------------------------------------------


def test_groups_lowest_agreement_first_skipping_ids_free_text_floats_and_small_groups(report):
    # topic b: i4 1, i5 0, i6 1/3, i7 1/3 -> 5/12; lang en: i1..i6 -> 3/6; topic a: i1..i3 -> 5/9.
    # lang fr has one item (< 3), so it is left out; external_id, note and score are no groupings.
    assert report["groups"] == [
        {"key": "topic", "value": "b", "items": 4, "agreement": pytest.approx(5 / 12)},
        {"key": "lang", "value": "en", "items": 6, "agreement": pytest.approx(0.5)},
        {"key": "topic", "value": "a", "items": 3, "agreement": pytest.approx(5 / 9)},
    ]


def test_groups_need_values_repeated_across_items():
    rows = [AnswerRow(f"i{n}", a, v, MONDAY) for n in range(4) for a, v in zip("pq", "ab")]
    # Four items, three values: under two items per value on average, so "batch" is not a grouping.
    items = {f"i{n}": ItemInfo(f"i{n}", str(n), {"batch": ["x", "y", "z", "z"][n]}) for n in range(4)}
    assert guideline_gaps({"f": ("nominal", rows)}, items)["groups"] == []
    items = {f"i{n}": ItemInfo(f"i{n}", str(n), {"batch": ["x", "x", "x", "z"][n]}) for n in range(4)}
    assert guideline_gaps({"f": ("nominal", rows)}, items)["groups"] == [
        {"key": "batch", "value": "x", "items": 3, "agreement": 0.0}
    ]


def nested_infos(extra=lambda key, n: {}) -> dict[str, ItemInfo]:
    """The main data set's items with their topic inside an object, beside lists, nulls and nesting."""
    return {
        key: ItemInfo(key, f"Review {key}", {
            "meta": {"topic": TOPIC[key], "source": None, "deep": {"a": {"b": {"c": {"d": "too deep"}}}}},
            "chat": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": TOPIC[key]}],
            "tags": [TOPIC[key]],
            "empty": {},
            "reviewed": None,
        } | extra(key, n))
        for n, key in enumerate(ANSWERS)
    }


def test_nested_objects_group_by_dotted_path_and_lists_and_nulls_never_do():
    result = guideline_gaps({"sentiment": ("nominal", sentiment_rows())}, nested_infos())
    assert result["groups"] == [
        {"key": "meta.topic", "value": "b", "items": 4, "agreement": pytest.approx(5 / 12)},
        {"key": "meta.topic", "value": "a", "items": 3, "agreement": pytest.approx(5 / 9)},
    ]
    assert result["summary"]["groups"] == "Lowest agreement: meta.topic = b (0.42 over 4 items; 0.48 overall)."
    json.dumps(result, allow_nan=False)


def test_grouping_values_flatten_objects_to_a_bounded_depth_and_number_of_paths():
    data = {"a": {"b": {"c": {"d": 1, "e": {"f": 2}}}}, "list": [1, 2], "none": None, "x": 1.5, "y" * 81: "long key"}
    assert grouping_values(data) == {"a.b.c.d": 1, "x": 1.5}
    assert grouping_values(["not", "an", "object"]) == {} and grouping_values(None) == {}
    many = grouping_values({f"k{n}": n for n in range(10_000)})
    assert list(many) == [f"k{n}" for n in range(MAX_ITEM_PATHS)]


def test_booleans_group_alone_but_not_beside_numbers_they_would_equal():
    flags = [True, True, True, False, False, False, True]
    alone = guideline_gaps({"sentiment": ("nominal", sentiment_rows())},
                           nested_infos(lambda key, n: {"meta": {"flag": flags[n]}}))
    assert {(group["key"], group["value"]) for group in alone["groups"]} == {("meta.flag", True), ("meta.flag", False)}
    mixed = guideline_gaps({"sentiment": ("nominal", sentiment_rows())},
                           nested_infos(lambda key, n: {"meta": {"flag": [True, 1, True, 0, False, 0, 1][n]}}))
    assert mixed["groups"] == []


def test_ids_free_text_and_a_key_per_item_never_flood_the_groups():
    items = 3000
    rows = [AnswerRow(n, a, v, MONDAY) for n in range(items) for a, v in zip("pq", ("a", "ab"[n % 2]))]
    infos = {n: ItemInfo(n, str(n), {"uid": f"id-{n}", "note": "words " * 10_000 + str(n), f"only-{n}": "x",
                                     "meta": {"count": n, "text": f"excerpt {n}"}, "kind": "ab"[n % 3 == 0]})
             for n in range(items)}
    result = guideline_gaps({"f": ("nominal", rows)}, infos, top=100)
    assert {group["key"] for group in result["groups"]} == {"kind"}


# -- disputed items -------------------------------------------------------------------


def test_disputed_items_lowest_agreement_then_more_answers(report):
    # i5 (0); then i3, i1, i6, i7 tie at 1/3: i3 has four answers, the rest keep input order.
    assert [row["item"] for row in report["disputed_items"]] == ["i5", "i3", "i1"]
    assert report["disputed_items"][:2] == [
        {"item": "i5", "label": "Review i5", "answers": 3, "agreement": 0.0,
         "values": {"sentiment": {"neg": 1, "neu": 1, "pos": 1}}},
        {"item": "i3", "label": "Review i3", "answers": 4, "agreement": pytest.approx(1 / 3),
         "values": {"sentiment": {"neg": 2, "neu": 2}}},
    ]


def test_disputed_items_never_name_annotators(report):
    assert not any(name in json.dumps(report["disputed_items"]) for name in ANNOTATORS)


def test_items_everyone_agrees_on_are_not_disputed():
    rows = [AnswerRow("x", a, "same", MONDAY) for a in "pqr"]
    result = guideline_gaps({"f": ("nominal", rows)}, {"x": ItemInfo("x", "X", {})})
    assert result["disputed_items"] == [] and result["confusion"] == []
    assert result["summary"]["confusion"] == "No two labels were confused."


# -- contributors ---------------------------------------------------------------------


def test_contributors_ranked_by_agreement_with_the_consensus(report):
    # Leave-one-out consensus, a tie of t values scoring 1/t:
    #   u1: i1 1/2, i2 1, i3 0 (others neg neu neu), i4 1, i5 0, i6 1/2, i7 1/2 -> 3.5/7
    #   u2: the same -> 3.5/7
    #   u3: i1 0, i2 1, i3 0 (others neg neg neu), i4 1, i5 0, i6 0, i7 0 -> 2/7
    #   u4: three answers, under the five needed.
    assert report["contributors"] == [
        {"annotator": "u3", "answers": 7, "agreement_with_consensus": pytest.approx(2 / 7)},
        {"annotator": "u1", "answers": 7, "agreement_with_consensus": pytest.approx(0.5)},
        {"annotator": "u2", "answers": 7, "agreement_with_consensus": pytest.approx(0.5)},
    ]


def test_contributors_add_up_over_fields_and_keep_keys_as_given():
    # Annotator 7 agrees on "f" (3 items) and disagrees on "g" (3 items): 3 of 6.
    rows_f = [AnswerRow(n, a, "x", MONDAY) for n in range(3) for a in (7, 8, 9)]
    rows_g = [AnswerRow(n, a, "y" if a == 7 else "x", MONDAY) for n in range(3) for a in (7, 8, 9)]
    result = guideline_gaps({"f": ("nominal", rows_f), "g": ("nominal", rows_g)}, {}, top=1)
    assert result["contributors"] == [{"annotator": 7, "answers": 6, "agreement_with_consensus": 0.5}]


# -- trend ----------------------------------------------------------------------------


def test_trend_by_day_of_the_items_last_answer(report):
    # 11-02: i1 1/3, i2 1; 11-03: i3 (u4 answered a day later) 1/3, i4 1, i5 0; 11-09: i6, i7 1/3.
    assert report["trend"] == [
        {"period": "2026-11-02", "items": 2, "agreement": pytest.approx(2 / 3)},
        {"period": "2026-11-03", "items": 3, "agreement": pytest.approx(4 / 9)},
        {"period": "2026-11-09", "items": 2, "agreement": pytest.approx(1 / 3)},
    ]


def test_trend_by_week_starting_monday_with_aware_times():
    rows = [
        AnswerRow(row.item_key, row.annotator_key, row.value, row.answered_at.replace(tzinfo=timezone.utc))
        for row in sentiment_rows()
    ]
    result = guideline_gaps({"sentiment": ("nominal", rows)}, {}, trend="week")
    assert result["trend"] == [
        {"period": "2026-11-02", "items": 5, "agreement": pytest.approx(8 / 15)},
        {"period": "2026-11-09", "items": 2, "agreement": pytest.approx(1 / 3)},
    ]
    assert result["summary"]["trend"] == (
        "Agreement fell from 0.53 to 0.33 (the week of 2026-11-02 to the week of 2026-11-09; 2 weeks with answers)."
    )
    with pytest.raises(ValueError):
        guideline_gaps({}, {}, trend="month")


# -- summary, empty input, JSON -------------------------------------------------------


def test_overall(report):
    # (1/3 + 1 + 1/3 + 1 + 0 + 1/3 + 1/3) / 7 = 10/21
    assert report["overall"] == {
        "items": 7, "items_with_disagreement": 5, "items_without_agreement": 1, "agreement": pytest.approx(10 / 21),
    }


def test_summary_sentences(report):
    assert report["summary"] == {
        "overall": "Average agreement 0.48 over 7 items; annotators disagreed on 5 of them (71%).",
        "confusion": "Most confusion in sentiment: neg vs pos (54% of disagreements).",
        "groups": "Lowest agreement: topic = b (0.42 over 4 items; 0.48 overall).",
        "disputed_items": (
            "Most disputed: “Review i5” (agreement 0.00 over 3 answers); 1 item has no two answers alike."
        ),
        "contributors": "Agreement with the consensus ranges from 0.29 to 0.50 across 3 contributors (median 0.50).",
        "trend": "Agreement fell from 0.67 to 0.33 (2026-11-02 to 2026-11-09; 3 days with answers).",
    }
    assert not any(name in text for text in report["summary"].values() for name in ANNOTATORS)


EMPTY_SECTIONS = ("confusion", "groups", "disputed_items", "contributors", "trend")


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"sentiment": ("nominal", [])},
        {"sentiment": ("nominal", [AnswerRow("x", "p", None, MONDAY)])},
        {"sentiment": ("nominal", [AnswerRow("x", "p", "a", MONDAY)])},  # one answer: nothing to compare
        {"comment": ("text", [AnswerRow("x", a, "hello", MONDAY) for a in "pq"])},
    ],
)
def test_empty_input_gives_empty_sections(fields):
    result = guideline_gaps(fields, {"x": ItemInfo("x", "X", {"topic": "a"})})
    for section in EMPTY_SECTIONS:
        assert result[section] == []
    assert result["overall"]["items"] == 0 and result["overall"]["agreement"] is None
    assert all(isinstance(text, str) and text for text in result["summary"].values())
    json.dumps(result, allow_nan=False)
    assert list(csv.reader(io.StringIO(gaps_csv(result))))[0] == ["Summary"]


def test_report_is_plain_json(report):
    assert json.loads(json.dumps(report, allow_nan=False))["confusion"][0]["count"] == 7


def test_top_limits_the_ranked_sections():
    result = guideline_gaps({"sentiment": ("nominal", sentiment_rows())}, item_infos(), top=1)
    assert [len(result[name]) for name in ("confusion", "groups", "disputed_items", "contributors")] == [1, 1, 1, 1]
    assert result["matrices"]["sentiment"]["counts"][0] == [2, 5, 7]  # the matrix stays whole


# -- CSV ------------------------------------------------------------------------------


def csv_sections(text: str) -> dict[str, list[list[str]]]:
    """Section title -> [header, *rows], from the blank-line separated blocks."""
    sections, current = {}, None
    for row in csv.reader(io.StringIO(text)):
        if not row:
            current = None
        elif current is None:
            current = sections.setdefault(row[0], [])
        else:
            current.append(row)
    return sections


def test_csv_parses_back_into_its_sections(report):
    sections = csv_sections(gaps_csv(report))
    assert list(sections) == [
        "Summary",
        "Fields",
        "Confused label pairs",
        "Confusion matrix: sentiment",
        "Item groups with the lowest agreement",
        "Most disputed items",
        "Contributors least in agreement with the consensus",
        "Agreement over time",
    ]
    assert sections["Confused label pairs"][:2] == [
        ["field", "a", "b", "count", "share"],
        ["sentiment", "neg", "pos", "7", "0.5385"],
    ]
    assert sections["Confusion matrix: sentiment"] == [
        ["label", "neg", "neu", "pos"], ["neg", "2", "5", "7"], ["neu", "5", "7", "1"], ["pos", "7", "1", "8"],
    ]
    assert sections["Most disputed items"][1:3] == [
        ["i5", "Review i5", "3", "0.0", "sentiment: neg 1, neu 1, pos 1"],
        ["i3", "Review i3", "4", "0.3333", "sentiment: neg 2, neu 2"],
    ]
    assert sections["Contributors least in agreement with the consensus"][1] == ["u3", "7", "0.2857"]
    assert sections["Agreement over time"][1:] == [
        ["2026-11-02", "2", "0.6667"], ["2026-11-03", "3", "0.4444"], ["2026-11-09", "2", "0.3333"],
    ]
    assert sections["Summary"][1] == ["overall", report["summary"]["overall"]]


def test_csv_for_a_client_leaves_contributors_out_and_defuses_formulas():
    rows = [AnswerRow("x", a, v, MONDAY) for a, v in zip("pqr", ["=HYPERLINK(1)", "+1", "ok"])]
    result = guideline_gaps({"f": ("nominal", rows)}, {"x": ItemInfo("x", "@label", {})})
    text = gaps_csv(result, include_contributors=False)
    assert "Contributors least in agreement with the consensus" not in text
    sections = csv_sections(text)
    assert sections["Most disputed items"][1][1] == "'@label"
    assert sections["Confusion matrix: f"][0] == ["label", "'+1", "'=HYPERLINK(1)", "ok"]
