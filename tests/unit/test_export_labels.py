"""Hand-worked labels of the fields that aggregate their own answers for the JSONL export
(``Component.export_label``): a rubric per criterion, claims per claim."""

from __future__ import annotations

from components.base import Interface

FIELDS = Interface.from_specs([
    {"name": "pr", "type": "prompt_response", "value": "$prompt", "response": "$response"},
    {"name": "quality", "type": "rubric", "tolerance": 1,
     "criteria": [{"id": "accuracy", "min": 1, "max": 5}, {"id": "safety", "min": 1, "max": 5, "na_allowed": True}]},
    {"name": "facts", "type": "claims", "target": "pr", "iou_threshold": 0.5},
    {"name": "sentiment", "type": "choice", "options": ["pos", "neg"]},
])
RUBRIC, CLAIMS, CHOICE = FIELDS.by_name["quality"], FIELDS.by_name["facts"], FIELDS.by_name["sentiment"]


def graded(accuracy, safety=None) -> dict:
    return {"criteria": {"accuracy": {"score": accuracy, "na": False},
                         "safety": {"score": safety, "na": safety is None}}}


def test_a_rubric_label_is_the_mean_and_median_per_criterion_with_the_agreement_within_tolerance():
    label, confidence = RUBRIC.export_label([graded(2, 4), graded(3), graded(5)])
    # accuracy 2, 3, 5: mean 3.3333, median 3; within 1 of 3: 2 and 3. safety: one 4 against two N/A.
    assert label == {"criteria": {"accuracy": {"score": 3.3333, "median": 3, "na": False, "answers": 3, "agreement": 0.6667},
                                  "safety": {"score": None, "median": None, "na": True, "answers": 3, "agreement": 0.6667}},
                     "overall": None}
    assert confidence == 0.6667


def test_an_even_split_takes_the_lower_middle_score_and_a_tie_with_na_keeps_the_scores():
    label, confidence = RUBRIC.export_label([graded(1, 1), graded(4)])
    assert label["criteria"]["accuracy"] == {"score": 2.5, "median": 1, "na": False, "answers": 2, "agreement": 0.5}
    assert label["criteria"]["safety"] == {"score": 1.0, "median": 1, "na": False, "answers": 2, "agreement": 0.5}
    assert confidence == 0.5


def test_one_answer_an_adjudication_is_its_own_label_with_full_agreement():
    label, confidence = RUBRIC.export_label([graded(4, 5)])
    assert label["criteria"]["accuracy"] == {"score": 4.0, "median": 4, "na": False, "answers": 1, "agreement": 1.0}
    assert confidence == 1.0


def claim(start, end, verdict, severity=None) -> dict:
    return {"start": start, "end": end, "verdict": verdict, "severity": severity, "evidence": []}


def test_claims_marked_by_at_least_half_the_answers_carry_their_majority_verdict():
    first = {"claims": [claim(0, 10, "supported"), claim(20, 30, "contradicted", "minor")]}
    second = {"claims": [claim(1, 10, "supported"), claim(20, 29, "contradicted", "major")]}
    third = {"claims": [claim(0, 10, "unverifiable"), claim(40, 50, "supported")]}
    fourth = {"claims": []}
    label, confidence = CLAIMS.export_label([first, second, third, fourth])
    assert label == {"claims": [
        {"start": 0, "end": 10, "verdict": "supported", "severity": None,
         "votes": {"supported": 2, "unverifiable": 1}, "answers": 3, "agreement": 0.5},
        {"start": 20, "end": 30, "verdict": "contradicted", "severity": "major",  # the more severe on a tie
         "votes": {"contradicted": 2}, "answers": 2, "agreement": 0.5}]}  # 40-50: one answer of four
    assert confidence == 0.5


def test_claims_that_overlap_too_little_are_different_claims_and_a_verdict_tie_is_no_verdict():
    label, _ = CLAIMS.export_label([{"claims": [claim(0, 10, "supported")]}, {"claims": [claim(6, 16, "contradicted")]}])
    assert [(c["start"], c["end"], c["verdict"]) for c in label["claims"]] == [(0, 10, "supported"), (6, 16, "contradicted")]
    label, confidence = CLAIMS.export_label([{"claims": [claim(0, 10, "supported")]}, {"claims": [claim(0, 10, "contradicted")]}])
    assert label["claims"][0]["verdict"] is None and confidence == 0.0


def test_categorical_fields_leave_their_label_to_the_vote():
    assert CHOICE.export_label(["pos", "pos"]) is None


def test_an_adjudication_is_exported_in_the_shape_of_an_aggregated_label():
    from app.export.service import _adjudicated

    decided = {"quality": graded(4, 5), "facts": {"claims": [claim(0, 10, "supported")]}, "sentiment": "pos"}
    label = _adjudicated(FIELDS, decided)
    assert label["quality"] == RUBRIC.export_label([graded(4, 5)])[0]
    assert label["facts"]["claims"] == [{"start": 0, "end": 10, "verdict": "supported", "severity": None,
                                         "votes": {"supported": 1}, "answers": 1, "agreement": 1.0}]
    assert label["sentiment"] == "pos"  # a categorical field: the specialist's value as it is
