"""Alpha's sampled expected disagreement (app/agreement/alpha.py) and the coding of structured
answers it runs on (app/agreement/answers.py): as many random pairs as the alpha needs, the
result within sampling noise of the exact value, and each structured answer coded once."""

from __future__ import annotations

import numpy as np

from app.agreement import alpha as alpha_module
from app.agreement.alpha import krippendorff_alpha
from app.agreement.answers import code_answers
from app.agreement.statistics import field_agreement


def noisy_ratio_triples(items: int = 1500, seed: int = 3) -> list[tuple]:
    """Three annotators give numbers near an item's true value: thousands of distinct values."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(1, 100, size=items)
    return [(item, f"a{annotator}", float(truth[item] * rng.uniform(0.8, 1.25)))
            for item in range(items) for annotator in range(3)]


def test_sampled_alpha_is_within_sampling_noise_of_the_exact_alpha(monkeypatch):
    triples = noisy_ratio_triples()
    sampled = field_agreement(triples, "ratio")
    assert sampled["alpha_expected_disagreement_estimated"] is True
    monkeypatch.setattr(alpha_module, "EXACT_EXPECTED_LIMIT", 10_000)  # 4,500 values: the exact grid
    exact = field_agreement(triples, "ratio")
    assert exact["alpha_expected_disagreement_estimated"] is False
    # Four times the target standard error: fails when the estimate is off, not by chance.
    assert abs(sampled["krippendorff_alpha"] - exact["krippendorff_alpha"]) < 4 * alpha_module.ALPHA_SAMPLING_ERROR


class CountingDelta:
    """A distance on value codes that counts the pairs it is asked about."""

    def __init__(self, delta):
        self.delta, self.pairs = delta, 0

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.pairs += a.size
        return self.delta(a, b)


def test_sampling_stops_after_one_round_when_the_distance_hardly_varies():
    # 3,000 items x 2 answers, all distinct, agreeing on two thirds of the items by a distance of
    # 0 and otherwise 1: random pairs of distinct values are all at 1, so D_e is known at once.
    triples = [(item, who, f"{item}" if who == "a" or item % 3 else f"{item}-b")
               for item in range(3000) for who in ("a", "b")]
    answers = code_answers(triples, "nominal")
    delta = CountingDelta(lambda a, b: (a != b).astype(np.float64))
    result = krippendorff_alpha(answers, delta)
    within_item = 3000
    assert result.expected_is_estimated
    assert delta.pairs - within_item == alpha_module.EXPECTED_SAMPLE_ROUND
    # D_o = 2 * 1000 / 6000 (1,000 disagreeing items of two answers), D_e = 1 exactly.
    assert abs(result.alpha - (1 - 1 / 3)) < 1e-3


def test_sampling_draws_more_pairs_while_alpha_is_uncertain():
    # A distance that varies a lot between random answers (|x - y| on uniform numbers) with
    # low agreement: one round leaves alpha too uncertain, so more are drawn (at most the cap).
    rng = np.random.default_rng(5)
    triples = [(item, who, float(rng.uniform())) for item in range(3000) for who in ("a", "b")]
    answers = code_answers(triples, "interval")
    numbers = answers.numbers
    delta = CountingDelta(lambda a, b: np.abs(numbers[a] - numbers[b]))
    result = krippendorff_alpha(answers, delta)
    sampled = delta.pairs - 3000
    assert alpha_module.EXPECTED_SAMPLE_ROUND < sampled <= alpha_module.EXPECTED_SAMPLE_PAIRS
    assert abs(result.alpha) < 0.05  # independent answers: alpha near 0


def test_structured_answers_are_coded_once_whatever_their_key_order_and_kept_as_given():
    first = [{"label": "PER", "start": 0, "end": 4, "text": "Zoë"}]
    reordered = [{"text": "Zoë", "end": 4, "start": 0, "label": "PER"}]
    other = [{"label": "LOC", "start": 5, "end": 9, "text": "Köln"}]
    answers = code_answers([(1, "a", first), (1, "b", reordered), (2, "a", other), (2, "b", None)], "structured")
    assert answers.value.tolist()[0] == answers.value.tolist()[1] != answers.value.tolist()[2]
    assert answers.values == sorted(answers.values)
    assert '[{"end":4,"label":"PER","start":0,"text":"Zoë"}]' in answers.values  # canonical, not escaped
    assert [answers.decoded[code] for code in answers.value.tolist()] in (
        [first, first, other], [reordered, reordered, other])
