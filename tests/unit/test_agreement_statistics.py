"""Agreement statistics (app/agreement) against published worked examples.

Every expected number below comes from a cited publication or package manual,
or is worked by hand in a comment from the definitions (said so where it is).
Values are compared to 3 decimals, the precision the sources print.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from app.agreement import alpha as alpha_module
from app.agreement.alpha import krippendorff_alpha
from app.agreement.answers import code_answers
from app.agreement.distances import set_delta, text_delta
from app.agreement.answers import LEVELS
from app.agreement.statistics import field_agreement
from components.registry import all_component_classes

# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability",
# Annenberg School for Communication, section C ("nominal data, any number of
# observers, missing data"): 4 observers x 12 units, values 1-5, "." = missing.
# The same data is cac.raw4raters in Gwet's irrCAC package (Gwet 2014, Handbook
# of Inter-Rater Reliability, 4th ed., p. 120).
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def krippendorff_2011(convert=lambda value: value) -> list[tuple]:
    return [
        (f"unit-{unit + 1}", observer, None if value is None else convert(value))
        for observer, values in KRIPPENDORFF_2011.items()
        for unit, value in enumerate(values)
    ]


def from_contingency_table(table: list[list[int]]) -> list[tuple]:
    """Two raters; table[i][j] items rated category i by rater 1 and j by rater 2."""
    triples, item = [], 0
    for first, row in enumerate(table):
        for second, count in enumerate(row):
            for _ in range(count):
                triples += [(item, "rater-1", first + 1), (item, "rater-2", second + 1)]
                item += 1
    return triples


def from_rater_distribution(rows: list[list[int]]) -> list[tuple]:
    """rows[i][k]: how many raters put subject i in category k (raters anonymous, as in Fleiss 1971)."""
    triples = []
    for subject, row in enumerate(rows):
        rater = 0
        for category, count in enumerate(row):
            for _ in range(count):
                triples.append((subject, f"rater-{rater}", category + 1))
                rater += 1
    return triples


# irrCAC (Gwet) README, dataset cont3x3abstractors: 100 pregnant women classified
# by two abstractors as Ectopic / AIU / NIU.
ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]

# irrCAC README, dataset distrib.6raters: 15 psychiatric patients, 6 raters, 5 diagnoses.
DISTRIB_6_RATERS = [
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
]


def r3(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# --- Krippendorff's alpha -------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_krippendorff_2011_example_at_four_levels_with_missing_data(level, expected):
    # Krippendorff (2011), section C and E: alpha_nominal = .743, alpha_ordinal = .815,
    # alpha_interval = .849, alpha_ratio = .797. Unit 12 has one value only (unpairable).
    report = field_agreement(krippendorff_2011(), level)
    assert r3(report["krippendorff_alpha"]) == expected
    assert report["items"] == 11
    assert report["answers"] == 41


def test_alpha_ordinal_uses_the_given_category_order_for_words():
    # The same data with the ranks 1-5 as words: only the order matters for ordinal
    # alpha, so it stays .815 (Krippendorff 2011), and nominal stays .743.
    words = ["very low", "low", "mid", "high", "very high"]
    triples = krippendorff_2011(lambda value: words[value - 1])
    assert r3(field_agreement(triples, "ordinal", categories=words)["krippendorff_alpha"]) == 0.815
    assert r3(field_agreement(triples, "nominal")["krippendorff_alpha"]) == 0.743


def test_alpha_for_contingency_table_and_rater_distribution():
    # irrCAC README: krippen2.table(cont3x3abstractors) = 0.7972585,
    # krippen.alpha.dist(distrib.6raters) = 0.4204384.
    assert r3(field_agreement(from_contingency_table(ABSTRACTORS), "nominal")["krippendorff_alpha"]) == 0.797
    assert r3(field_agreement(from_rater_distribution(DISTRIB_6_RATERS), "nominal")["krippendorff_alpha"]) == 0.420


def test_alpha_set_level_reduces_to_nominal_when_every_answer_is_one_option():
    # MASI and Jaccard distances between distinct one-option sets are 1 and between
    # equal sets 0, i.e. the nominal metric: Krippendorff (2011)'s .743 again.
    triples = krippendorff_2011(lambda value: [f"option-{value}"])
    for distance in ("masi", "jaccard"):
        report = field_agreement(triples, "set", set_distance=distance)
        assert r3(report["krippendorff_alpha"]) == 0.743


def test_alpha_set_level_with_partial_overlap_worked_by_hand():
    # Items: 1 {x,y} vs {x}; 2 {z} vs {z}; 3 {x} vs {y}. n = 6 pairable values.
    # MASI (Passonneau 2006): d({x,y},{x}) = 1 - 1/2 * 2/3 = 2/3; disjoint sets 1.
    #   D_o = 1/6 * 2 * (2/3 + 0 + 1) = 5/9.
    #   D_e = 2 * sum_{c<k} n_c n_k d_ck / (6 * 5), values {x,y}:1 {x}:2 {z}:2 {y}:1:
    #         2 * (2*2/3 + 2*1 + 1*2/3 + 4*1 + 2*1 + 2*1) / 30 = 24/30 = 0.8.
    #   alpha = 1 - (5/9) / 0.8 = 0.30556.
    # Jaccard: d({x,y},{x}) = d({x,y},{y}) = 1/2: D_o = 1/2, D_e = 23/30, alpha = 0.34783.
    triples = [
        (1, "a", ["x", "y"]), (1, "b", ["x"]),
        (2, "a", ["z"]), (2, "b", ["z"]),
        (3, "a", ["x"]), (3, "b", ["y"]),
    ]
    assert r3(field_agreement(triples, "set")["krippendorff_alpha"]) == 0.306
    assert r3(field_agreement(triples, "set", set_distance="jaccard")["krippendorff_alpha"]) == 0.348


def test_masi_distance_values():
    # Passonneau (2006), LREC, "Measuring Agreement on Set-valued Items (MASI)":
    # MASI = J * M, M = 1 identical, 2/3 subset, 1/3 overlap, 0 disjoint.
    # {1,2} vs {1,2,3,4}: 1 - 1/2 * 2/3 = 0.667 (NLTK's masi_distance prints 0.665
    # because it rounds 2/3 to 0.67). {1,2} vs {2,3}: 1 - 1/3 * 1/3 = 0.889.
    values = [frozenset({"1", "2"}), frozenset({"1", "2", "3", "4"}), frozenset({"2", "3"}), frozenset()]
    masi, jaccard = set_delta(values, "masi"), set_delta(values, "jaccard")
    first, second = np.array([0, 0, 0, 3, 3]), np.array([1, 2, 0, 3, 0])
    assert [r3(d) for d in masi(first, second)] == [0.667, 0.889, 0.0, 0.0, 1.0]
    assert [r3(d) for d in jaccard(first, second)] == [0.5, 0.667, 0.0, 0.0, 1.0]


def test_alpha_text_level_reduces_to_nominal_for_wholly_different_strings():
    # Normalised Levenshtein distance between two different one-character strings
    # is 1: the nominal metric, so Krippendorff (2011)'s .743.
    report = field_agreement(krippendorff_2011(str), "text")
    assert r3(report["krippendorff_alpha"]) == 0.743


def test_alpha_text_level_with_edit_distances_worked_by_hand():
    # Levenshtein("kitten", "sitting") = 3 (the textbook example, Wikipedia
    # "Levenshtein distance"), normalised by the longer length: 3/7.
    # Levenshtein("flaw", "flow") = 1: 1/4. Strings sharing no letter: distance 1.
    #   D_o = 1/4 * 2 * (3/7 + 1/4) = 0.339286
    #   D_e = 2 * (3/7 + 1/4 + 4 * 1) / (4 * 3) = 0.779762
    #   alpha = 1 - 0.339286 / 0.779762 = 0.565
    triples = [(1, "a", "kitten"), (1, "b", "Sitting  "), (2, "a", "flaw"), (2, "b", "FLOW")]
    assert r3(field_agreement(triples, "text")["krippendorff_alpha"]) == 0.565
    distance = text_delta(["kitten", "sitting"])
    assert r3(distance(np.array([0]), np.array([1]))[0]) == 0.429


def test_alpha_closed_form_and_sampled_expected_disagreement(monkeypatch):
    # With many distinct values D_e is computed in closed form (nominal, interval) or
    # estimated from random pairs (ratio, flagged); force these paths on the
    # Krippendorff (2011) example.
    monkeypatch.setattr(alpha_module, "EXACT_EXPECTED_LIMIT", 2)
    nominal = field_agreement(krippendorff_2011(), "nominal")
    assert r3(nominal["krippendorff_alpha"]) == 0.743
    assert nominal["alpha_expected_disagreement_estimated"] is False
    interval = field_agreement(krippendorff_2011(), "interval")
    assert r3(interval["krippendorff_alpha"]) == 0.849
    assert interval["alpha_expected_disagreement_estimated"] is False
    ratio = field_agreement(krippendorff_2011(), "ratio")
    assert abs(ratio["krippendorff_alpha"] - 0.797) < 0.01
    assert ratio["alpha_expected_disagreement_estimated"] is True


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_matches_the_krippendorff_package_on_random_data_with_missing_values(level):
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(11)
    truth = rng.integers(1, 8, size=60)
    data = np.where(rng.random((5, 60)) < 0.7, truth + rng.integers(-1, 2, size=(5, 60)), np.nan)
    data[:, 0] = np.nan  # an item nobody answered
    data[1:, 1] = np.nan  # an item answered once
    triples = [
        (item, f"coder-{coder}", float(data[coder, item]))
        for coder in range(5)
        for item in range(60)
        if not np.isnan(data[coder, item])
    ]
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert field_agreement(triples, level)["krippendorff_alpha"] == pytest.approx(expected, abs=1e-9)


def test_alpha_with_a_custom_distance():
    # A custom metric equal to the nominal one must give Krippendorff (2011)'s .743.
    answers = code_answers(krippendorff_2011(), "nominal")
    result = krippendorff_alpha(answers, lambda a, b: (a != b).astype(float))
    assert r3(result.alpha) == 0.743


# --- Fleiss' kappa, Gwet's AC1, percent agreement ------------------------------


def test_fleiss_kappa_wikipedia_worked_example():
    # Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5
    # categories; P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210.
    rows = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]
    report = field_agreement(from_rater_distribution(rows), "nominal")
    assert r3(report["fleiss_kappa"]) == 0.210
    assert r3(report["percent_agreement"]) == 0.378


def test_fleiss_kappa_gwet_ac1_and_percent_agreement_six_raters():
    # irrCAC README, distrib.6raters: Fleiss' kappa 0.4139265, Gwet's AC1 0.4448007,
    # percent agreement pa = 0.5511111.
    report = field_agreement(from_rater_distribution(DISTRIB_6_RATERS), "nominal")
    assert r3(report["fleiss_kappa"]) == 0.414
    assert r3(report["gwet_ac1"]) == 0.445
    assert r3(report["percent_agreement"]) == 0.551


def test_fleiss_kappa_gwet_ac1_and_percent_agreement_with_missing_answers():
    # irrCAC README, cac.raw4raters (= Krippendorff 2011 data): pa.coeff.raw 0.8181818,
    # gwet.ac1.raw 0.77544 (pe 0.1903212), fleiss.kappa.raw 0.76117 (pe 0.2387153):
    # Fleiss' kappa generalised to unequal numbers of ratings (Gwet 2014).
    report = field_agreement(krippendorff_2011(), "nominal")
    assert r3(report["percent_agreement"]) == 0.818
    assert r3(report["gwet_ac1"]) == 0.775
    assert r3(report["fleiss_kappa"]) == 0.761


def test_two_raters_gwet_ac1_percent_agreement_and_fleiss_as_scotts_pi():
    # irrCAC README, cont3x3abstractors: Gwet's AC1 0.8493305, percent agreement 0.89,
    # Scott's pi 0.7962397 (Fleiss' kappa for two raters is Scott's pi).
    report = field_agreement(from_contingency_table(ABSTRACTORS), "nominal")
    assert r3(report["gwet_ac1"]) == 0.849
    assert r3(report["percent_agreement"]) == 0.890
    assert r3(report["fleiss_kappa"]) == 0.796


# --- Cohen's kappa -----------------------------------------------------------


def test_cohen_kappa_wikipedia_example():
    # Wikipedia, "Cohen's kappa", example: 50 proposals, both yes 20, A yes B no 5,
    # A no B yes 10, both no 15: p_o = 0.7, p_e = 0.5, kappa = 0.4.
    report = field_agreement(from_contingency_table([[20, 5], [10, 15]]), "nominal")
    assert r3(report["pairwise_cohen_kappa"]["rater-1|rater-2"]) == 0.400


def test_cohen_kappa_unweighted_and_quadratic():
    # irrCAC README: kappa2.table(cont3x3abstractors) = 0.7964094; irrCAC weighting
    # vignette: with quadratic.weights(1:3), Cohen's kappa = 0.8921569.
    report = field_agreement(from_contingency_table(ABSTRACTORS), "ordinal")
    assert r3(report["pairwise_cohen_kappa"]["rater-1|rater-2"]) == 0.796
    assert r3(report["pairwise_cohen_kappa_quadratic"]["rater-1|rater-2"]) == 0.892


def test_cohen_kappa_unweighted_and_linear():
    # Agresti (1990) / vcd's SexualFun data (husband x wife, "sex is fun", 4
    # ordered categories, 91 couples). Friendly & Meyer (2016), Discrete Data
    # Analysis with R, sec. 4.3.3, vcd::Kappa(SexualFun): unweighted 0.1293,
    # weighted with equal-spacing (linear) weights 0.2374.
    sexual_fun = [[7, 7, 2, 3], [2, 8, 3, 7], [1, 5, 4, 9], [2, 8, 9, 14]]
    report = field_agreement(from_contingency_table(sexual_fun), "ordinal")
    assert r3(report["pairwise_cohen_kappa"]["rater-1|rater-2"]) == 0.129
    assert r3(report["pairwise_cohen_kappa_linear"]["rater-1|rater-2"]) == 0.237


def test_pairwise_cohen_matrix_is_keyed_by_sorted_pairs_and_uses_shared_items():
    # Krippendorff (2011) data: A and C share units 2-9 (8 units), where A says
    # 2,3,3,2,1,4,1,2 and C says 3,3,3,2,3,4,2,2. Worked by hand: p_o = 5/8,
    # marginals A {1:2, 2:3, 3:2, 4:1}, C {2:3, 3:4, 4:1} over 8:
    # p_e = (3*3 + 2*4 + 1*1) / 64 = 18/64; kappa = (40/64 - 18/64) / (46/64) = 22/46.
    report = field_agreement(krippendorff_2011(), "nominal")
    kappas = report["pairwise_cohen_kappa"]
    assert sorted(kappas) == ["A|B", "A|C", "A|D", "B|C", "B|D", "C|D"]
    assert r3(kappas["A|C"]) == round(22 / 46, 3)
    only_big = field_agreement(krippendorff_2011(), "nominal", min_shared_items=10)
    assert sorted(only_big["pairwise_cohen_kappa"]) == ["B|D", "C|D"]


# --- Per item, per annotator, shape, edge cases ---------------------------------


def test_per_item_and_per_annotator_agreement_worked_by_hand():
    # Krippendorff (2011) data. Unit 2 (2,2,3,2): 3 of 6 answer pairs agree = 0.5;
    # unit 6 (1,2,3,4): 0; unit 12 (one answer) is left out.
    # Consensus leaves the annotator out: C disagrees with the others' majority on
    # units 2 and 8 and, on unit 6, the others (1,2,4) have no majority: C 7/10.
    # A: 8/9 (unit 6), B: 9/10 (unit 6), D: 10/11 (unit 6).
    report = field_agreement(krippendorff_2011(), "nominal", include_items=True)
    assert report["per_item"]["unit-2"] == 0.5
    assert report["per_item"]["unit-6"] == 0.0
    assert report["per_item"]["unit-1"] == 1.0
    assert "unit-12" not in report["per_item"]
    per_annotator = report["per_annotator"]
    assert {key: value["answers"] for key, value in per_annotator.items()} == {"A": 9, "B": 10, "C": 10, "D": 11}
    assert {key: r3(value["agreement_with_consensus"]) for key, value in per_annotator.items()} == {
        "A": 0.889, "B": 0.900, "C": 0.700, "D": 0.909,
    }


def test_consensus_tie_among_the_others_scores_a_fraction():
    # Others answered x and y: answering x matches one of two tied majorities: 1/2.
    triples = [(1, "a", "x"), (1, "b", "x"), (1, "c", "y")]
    per_annotator = field_agreement(triples, "nominal")["per_annotator"]
    assert per_annotator["a"]["agreement_with_consensus"] == 0.5
    assert per_annotator["c"]["agreement_with_consensus"] == 0.0


def test_report_shape_is_json_and_undefined_statistics_are_null():
    # One annotator: nothing to compare. Everybody always the same: no variation,
    # alpha and kappa undefined (0/0), percent agreement 1.
    alone = field_agreement([(1, "a", "x"), (2, "a", "y")], "nominal")
    same = field_agreement([(i, who, "x") for i in range(5) for who in "ab"], "nominal")
    for report in (alone, same):
        json.dumps(report, allow_nan=False)
        assert {"level", "krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "percent_agreement",
                "pairwise_cohen_kappa", "items"} <= set(report)
    assert alone["krippendorff_alpha"] is None and alone["percent_agreement"] is None
    assert alone["items"] == 0 and alone["pairwise_cohen_kappa"] == {}
    assert same["krippendorff_alpha"] is None
    assert same["fleiss_kappa"] is None
    assert same["gwet_ac1"] is None  # one category: AC1's q - 1 is 0
    assert same["pairwise_cohen_kappa"] == {"a|b": None}
    assert same["percent_agreement"] == 1.0


def test_non_categorical_levels_leave_kappas_empty():
    report = field_agreement(krippendorff_2011(), "interval")
    assert report["fleiss_kappa"] is None and report["gwet_ac1"] is None
    assert report["pairwise_cohen_kappa"] == {}
    assert r3(report["percent_agreement"]) == 0.818  # exact-match agreement still applies


def test_missing_and_repeated_answers():
    # None is no answer; a repeated (item, annotator) keeps the last value.
    triples = [(1, "a", "x"), (1, "b", None), (1, "b", "y"), (1, "b", "x"), (2, "a", "y"), (2, "b", "y")]
    report = field_agreement(triples, "nominal")
    assert report["answers"] == 4
    assert report["percent_agreement"] == 1.0


def test_result_does_not_depend_on_input_order():
    triples = krippendorff_2011()
    shuffled = triples[:]
    random.Random(3).shuffle(shuffled)
    assert field_agreement(shuffled, "ordinal") == field_agreement(triples, "ordinal")


def test_levels_and_components():
    # Every registered component's declared level is one field_agreement takes.
    for component_class in all_component_classes().values():
        assert field_agreement([(1, "a", None)], component_class.level)["level"] in LEVELS
    # The text component declares level "distance": accepted as "text".
    assert field_agreement([(1, "a", "x"), (1, "b", "x")], "distance")["level"] == "text"
    with pytest.raises(ValueError):
        field_agreement([(1, "a", 1)], "cardinal")
    with pytest.raises(ValueError):
        field_agreement([(1, "a", "maybe")], "nominal", categories=["yes", "no"])


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio", "set", "text"])
def test_no_answers_at_all(level):
    report = field_agreement([(1, "a", None)], level)
    json.dumps(report, allow_nan=False)
    assert report["items"] == 0 and report["answers"] == 0
    assert report["krippendorff_alpha"] is None and report["percent_agreement"] is None
