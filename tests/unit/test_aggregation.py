"""Label aggregation (app/agreement/aggregation.py): majority vote and Dawid-Skene."""

from __future__ import annotations

import itertools
import random

import pytest

from app.agreement.aggregation import AggregatedLabel, dawid_skene, majority_vote, split_multi_choice

LABELS = ["cat", "dog", "bird"]
ANNOTATORS = ["good-1", "good-2", "good-3", "bad-1", "bad-2"]


def colluding_crowd(bad_answer: str, rounds: int = 20, seed: int = 2024) -> tuple[list[tuple], dict[int, str]]:
    """Every item answered by 3 of 5 annotators (all 10 trios, ``rounds`` times each).

    The three good annotators are right 90% of the time. The two bad ones always
    give the *same* answer: a random label (``"random"``) or systematically the
    next label after the truth (``"shifted"``). On the items where both bad ones
    answer with one good one, they out-vote it.
    """
    draw = random.Random(seed).random  # random() is stable across Python versions
    triples, truth = [], {}
    item = 0
    for _ in range(rounds):
        for trio in itertools.combinations(ANNOTATORS, 3):
            true = LABELS[int(draw() * 3)]
            truth[item] = true
            if bad_answer == "random":
                colluded = LABELS[int(draw() * 3)]
            else:
                colluded = LABELS[(LABELS.index(true) + 1) % 3]
            for annotator in trio:
                if annotator.startswith("bad"):
                    answer = colluded
                elif draw() < 0.9:
                    answer = true
                else:
                    answer = LABELS[(LABELS.index(true) + 1 + int(draw() * 2)) % 3]
                triples.append((item, annotator, answer))
            item += 1
    return triples, truth


def correct(labels: dict, truth: dict, items=None) -> int:
    return sum(labels[item].label == truth[item] for item in (truth if items is None else items))


def outvoted_items(triples: list[tuple]) -> list[int]:
    answered_by: dict[int, set[str]] = {}
    for item, annotator, _ in triples:
        answered_by.setdefault(item, set()).add(annotator)
    return [item for item, who in answered_by.items() if {"bad-1", "bad-2"} <= who]


# --- majority vote ---------------------------------------------------------------


def test_majority_vote_label_confidence_and_answers():
    triples = [(1, "a", "x"), (1, "b", "x"), (1, "c", "y"), (2, "a", "y"), (2, "b", None)]
    labels = majority_vote(triples)
    assert labels[1] == AggregatedLabel("x", 2 / 3, 3)
    assert labels[2] == AggregatedLabel("y", 1.0, 1)


def test_majority_vote_breaks_ties_by_field_frequency_then_category_order():
    # Item 1 ties x/y; y is the more used label in the field, so y wins.
    # Item 4 ties p/q, both used once in the field: the first category wins.
    triples = [
        (1, "a", "x"), (1, "b", "y"),
        (2, "a", "y"), (3, "a", "y"),
        (4, "a", "q"), (4, "b", "p"),
    ]
    labels = majority_vote(triples)
    assert labels[1].label == "y" and labels[1].confidence == 0.5
    assert labels[4].label == "p"
    assert majority_vote(triples, categories=["x", "y", "q", "p"])[4].label == "q"


def test_majority_vote_does_not_depend_on_input_order():
    triples, _ = colluding_crowd("random")
    shuffled = triples[:]
    random.Random(1).shuffle(shuffled)
    assert majority_vote(shuffled) == majority_vote(triples)


# --- Dawid-Skene -------------------------------------------------------------------


def test_dawid_skene_recovers_the_truth_where_colluders_outvote_a_good_annotator():
    # 200 items; on the 60 answered by both bad annotators and one good one,
    # majority vote follows the colluders' random label and is right only when
    # that label happens to be true (21 of 60). Dawid-Skene learns from the other
    # 140 items that the bad annotators' answers say little about the truth and
    # trusts the good one: 52 of 60 (150 -> 177 of 200 overall). Counts fixed by
    # the seeded data.
    triples, truth = colluding_crowd("random")
    outvoted = outvoted_items(triples)
    majority = majority_vote(triples)
    result = dawid_skene(triples)
    assert len(truth) == 200 and len(outvoted) == 60
    assert correct(majority, truth) == 150
    assert correct(majority, truth, outvoted) == 21
    assert correct(result.labels, truth) == 177
    assert correct(result.labels, truth, outvoted) == 52
    # The colluders break the model's independence assumption, so EM is slow to
    # settle (about 200 rounds) although the labels are fixed long before.
    assert not result.converged and result.iterations == 100
    settled = dawid_skene(triples, max_iterations=500)
    assert settled.converged
    assert correct(settled.labels, truth) == 177
    accuracy = result.annotator_accuracy
    assert max(accuracy["bad-1"], accuracy["bad-2"]) < 0.4  # about chance (1/3): their label is random
    assert min(accuracy["good-1"], accuracy["good-2"], accuracy["good-3"]) > 0.8


def test_dawid_skene_decodes_a_systematic_confusion():
    # Colluders who always answer the label after the truth are wrong on every
    # item, and majority vote inherits that on all 60 out-voted items. Their
    # answers are a permutation of the truth, which Dawid-Skene's confusion
    # matrices capture: every item but one is recovered.
    triples, truth = colluding_crowd("shifted")
    outvoted = outvoted_items(triples)
    majority = majority_vote(triples)
    result = dawid_skene(triples)
    assert correct(majority, truth, outvoted) == 0
    assert correct(result.labels, truth, outvoted) == 60
    assert correct(result.labels, truth) == 199
    assert result.converged
    assert result.annotator_accuracy["bad-1"] < 0.01


def test_dawid_skene_confidence_is_the_posterior_and_unanimity_is_near_certain():
    # Items where at least two good annotators and everyone else agree.
    triples, _ = colluding_crowd("random")
    result = dawid_skene(triples)
    answers: dict[int, list[tuple[str, str]]] = {}
    for item, annotator, answer in triples:
        answers.setdefault(item, []).append((annotator, answer))
    unanimous = [
        item for item, given in answers.items()
        if len({answer for _, answer in given}) == 1 and sum(who.startswith("good") for who, _ in given) >= 2
    ]
    assert len(unanimous) > 20
    assert all(result.labels[item].confidence > 0.9 for item in unanimous)
    assert all(0 < label.confidence <= 1 for label in result.labels.values())
    assert sum(result.class_priors.values()) == pytest.approx(1.0)
    assert set(result.class_priors) == set(LABELS)


def test_dawid_skene_on_empty_input():
    result = dawid_skene([])
    assert result.labels == {} and result.converged


# --- multi_choice per option -------------------------------------------------------------


def test_split_multi_choice_gives_one_yes_no_field_per_option():
    triples = [(1, "a", ["x", "y"]), (1, "b", ["x"]), (1, "c", []), (2, "a", "y"), (2, "b", None)]
    fields = split_multi_choice(triples)
    assert sorted(fields) == ["x", "y"]
    assert fields["x"] == [(1, "a", True), (1, "b", True), (1, "c", False), (2, "a", False)]
    assert majority_vote(fields["x"])[1] == AggregatedLabel(True, 2 / 3, 3)
    assert majority_vote(fields["y"])[1] == AggregatedLabel(False, 2 / 3, 3)
