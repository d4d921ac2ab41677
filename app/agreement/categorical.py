"""Agreement on exact answers: percent agreement, Fleiss' kappa, Gwet's AC1, Cohen's kappa.

All of them start from how many answers each item got for each value, r_ik (r_i
answers in all). That table is kept sparse, one row per (item, value) that
occurs, so its size is the number of answers whatever the number of values.

Formulas (Gwet 2014, "Handbook of Inter-Rater Reliability", 4th ed., ch. 2 and
4, as implemented in his irrCAC package), with n the items with any answer and
n' those with at least two:

* percent agreement p_a = 1/n' * sum_i sum_k r_ik (r_ik - 1) / (r_i (r_i - 1)):
  the share of agreeing answer pairs within an item, averaged over items;
* pi_k = 1/n * sum_i r_ik / r_i, the average share of answers in category k;
* Fleiss' kappa: p_e = sum_k pi_k^2. With the same number of answers on every
  item this is exactly Fleiss (1971); with missing answers it is Gwet's
  generalisation (the one irrCAC's ``fleiss.kappa.raw`` computes);
* Gwet's AC1: p_e = 1/(q - 1) * sum_k pi_k (1 - pi_k), q the number of
  categories (Gwet 2008, Br. J. Math. Stat. Psychol. 61, 29-48);
* both: (p_a - p_e) / (1 - p_e).

Cohen's kappa (Cohen 1960; weighted: Cohen 1968) is computed for every pair of
annotators on the items both answered: p_o is the mean agreement weight of
their answer pairs, p_e = sum_ij w_ij p_i. p_.j from each one's own margins,
with weights w_ij = [i = j] (unweighted), ``1 - |i - j| / (q - 1)`` (linear) or
``1 - (i - j)^2 / (q - 1)^2`` (quadratic) over category ranks. All pairs come
out of one pass over the within-item answer pairs; no q x q table per pair is
built, so memory is pairs x q.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.agreement.answers import CodedAnswers, within_item_pairs

KAPPA_WEIGHTS = ("identity", "linear", "quadratic")
_UNDEFINED = 1e-12


@dataclass(frozen=True)
class ValueCounts:
    """The sparse table r_ik: one row per (item, value) that occurs."""

    item: np.ndarray
    value: np.ndarray
    count: np.ndarray
    answer_row: np.ndarray
    """For each answer, its row in this table."""
    per_item: np.ndarray
    """r_i, answers per item code."""


def value_counts(answers: CodedAnswers) -> ValueCounts:
    width = max(answers.value_count, 1)
    key = answers.item * width + answers.value
    rows, answer_row, count = np.unique(key, return_inverse=True, return_counts=True)
    return ValueCounts(
        item=rows // width,
        value=rows % width,
        count=count,
        answer_row=answer_row.reshape(-1),
        per_item=answers.answers_per_item(),
    )


def item_agreement(counts: ValueCounts) -> np.ndarray:
    """Share of agreeing answer pairs per item code; NaN for items with fewer than two answers."""
    agreeing_pairs = np.bincount(
        counts.item, weights=counts.count * (counts.count - 1.0), minlength=counts.per_item.size
    )
    all_pairs = counts.per_item * (counts.per_item - 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts.per_item >= 2, agreeing_pairs / all_pairs, np.nan)


def percent_agreement(counts: ValueCounts) -> float | None:
    per_item = item_agreement(counts)
    pairable = ~np.isnan(per_item)
    if not pairable.any():
        return None
    return float(per_item[pairable].mean())


def category_shares(counts: ValueCounts, category_count: int) -> np.ndarray:
    """pi_k: the share of each category among an item's answers, averaged over answered items."""
    answered = np.count_nonzero(counts.per_item)
    share_in_item = counts.count / counts.per_item[counts.item]
    return np.bincount(counts.value, weights=share_in_item, minlength=category_count) / answered


def fleiss_kappa(counts: ValueCounts, category_count: int) -> float | None:
    observed = percent_agreement(counts)
    if observed is None:
        return None
    pi = category_shares(counts, category_count)
    chance = float(pi @ pi)
    return _chance_corrected(observed, chance)


def gwet_ac1(counts: ValueCounts, category_count: int) -> float | None:
    observed = percent_agreement(counts)
    if observed is None or category_count < 2:
        return None
    pi = category_shares(counts, category_count)
    chance = float(pi @ (1.0 - pi)) / (category_count - 1)
    return _chance_corrected(observed, chance)


def _chance_corrected(observed: float, chance: float) -> float | None:
    if 1.0 - chance < _UNDEFINED:
        return None
    return (observed - chance) / (1.0 - chance)


def agreement_weights(category_count: int, weights: str = "identity") -> np.ndarray:
    if weights not in KAPPA_WEIGHTS:
        raise ValueError(f"unknown kappa weights {weights!r}; expected one of {KAPPA_WEIGHTS}")
    rank = np.arange(category_count)
    gap = np.abs(rank[:, None] - rank[None, :]).astype(np.float64)
    if weights == "identity" or category_count < 2:
        return (gap == 0).astype(np.float64)
    if weights == "linear":
        return 1.0 - gap / (category_count - 1)
    return 1.0 - (gap / (category_count - 1)) ** 2


@dataclass(frozen=True)
class AnnotatorPairs:
    """Every pair of annotators who answered an item in common, with what each answered.

    Built once from the within-item answer pairs; kept as margins and per-answer-pair
    codes rather than q x q tables, so memory stays pairs x q even for many categories.
    """

    first_annotator: np.ndarray
    second_annotator: np.ndarray
    shared_items: np.ndarray
    pair_of: np.ndarray
    """For each within-item answer pair, its annotator pair."""
    first_value: np.ndarray
    second_value: np.ndarray
    first_margin: np.ndarray
    """pairs x q: share of the pair's shared items the first annotator put in each category."""
    second_margin: np.ndarray


def annotator_pairs(answers: CodedAnswers) -> AnnotatorPairs:
    first, second, _ = within_item_pairs(answers.item)
    q = max(answers.value_count, 1)
    annotator_count = max(answers.annotator_count, 1)
    pair_key = answers.annotator[first] * annotator_count + answers.annotator[second]
    pairs, pair_of = np.unique(pair_key, return_inverse=True)
    pair_of = pair_of.reshape(-1)
    shared = np.bincount(pair_of, minlength=pairs.size)
    first_value, second_value = answers.value[first], answers.value[second]

    def margin(values: np.ndarray) -> np.ndarray:
        counts = np.bincount(pair_of * q + values, minlength=pairs.size * q).reshape(pairs.size, q)
        return counts / np.maximum(shared, 1)[:, None]

    return AnnotatorPairs(
        first_annotator=pairs // annotator_count,
        second_annotator=pairs % annotator_count,
        shared_items=shared,
        pair_of=pair_of,
        first_value=first_value,
        second_value=second_value,
        first_margin=margin(first_value),
        second_margin=margin(second_value),
    )


def cohen_kappas(pairs: AnnotatorPairs, weights: np.ndarray) -> np.ndarray:
    """Cohen's (weighted) kappa per annotator pair; NaN where undefined.

    p_o = mean agreement weight over the shared items; p_e = sum_ij w_ij p_i. p_.j
    from the two annotators' own margins.
    """
    agreement = weights[pairs.first_value, pairs.second_value]
    observed = np.bincount(pairs.pair_of, weights=agreement, minlength=pairs.shared_items.size)
    observed = observed / np.maximum(pairs.shared_items, 1)
    chance = np.einsum("pi,pi->p", pairs.first_margin @ weights, pairs.second_margin)
    room = 1.0 - chance
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(room < _UNDEFINED, np.nan, (observed - chance) / room)


def pairwise_cohen_kappa(
    answers: CodedAnswers,
    weights: str = "identity",
    min_shared_items: int = 1,
    pairs: AnnotatorPairs | None = None,
) -> dict[str, float | None]:
    """Cohen's kappa for every pair of annotators who answered an item in common.

    Keyed ``"a|b"`` with ``a < b`` as strings; ``None`` where kappa is undefined
    (both annotators used one and the same category throughout). Pass ``pairs``
    to reuse them across weightings.
    """
    pairs = pairs if pairs is not None else annotator_pairs(answers)
    if pairs.shared_items.size == 0:
        return {}
    kappas = cohen_kappas(pairs, agreement_weights(answers.value_count, weights))
    keys = answers.annotator_keys
    return {
        f"{keys[first]}|{keys[second]}": (None if np.isnan(kappa) else float(kappa))
        for first, second, kappa, items in zip(
            pairs.first_annotator.tolist(), pairs.second_annotator.tolist(), kappas.tolist(), pairs.shared_items
        )
        if items >= min_shared_items
    }


def consensus_agreement(answers: CodedAnswers, counts: ValueCounts) -> tuple[np.ndarray, np.ndarray]:
    """Each annotator's agreement with the consensus of the *other* answers on the same items.

    For an answer on an item with at least two answers, the consensus is the most
    frequent value among the other answers (leaving the annotator out, so an
    annotator never agrees with themselves). The answer scores 1 when its value is
    that consensus, 1/t when it is one of t values tied for most frequent, else 0.
    Returns per annotator code ``(answers scored, mean score)`` (NaN for none).
    """
    annotators = answers.annotator_count
    if answers.answer_count == 0:
        return np.zeros(annotators, dtype=np.int64), np.full(annotators, np.nan)
    order = np.lexsort((counts.value, -counts.count, counts.item))
    item, count = counts.item[order], counts.count[order]
    item_total = counts.per_item.size
    first_row = np.flatnonzero(np.r_[True, item[1:] != item[:-1]])
    top = np.zeros(item_total, dtype=np.int64)
    top[item[first_row]] = count[first_row]
    is_top = count == top[item]
    tied_at_top = np.bincount(item, weights=is_top, minlength=item_total)
    runner_up = np.zeros(item_total, dtype=np.int64)
    np.maximum.at(runner_up, item, np.where(is_top, 0, count))
    at_runner_up = (~is_top) & (count == runner_up[item]) & (runner_up[item] > 0)
    tied_at_runner_up = np.bincount(item, weights=at_runner_up, minlength=item_total)

    answer_item = answers.item
    own = counts.count[counts.answer_row]
    others_for_own = own - 1
    unique_top = (own == top[answer_item]) & (tied_at_top[answer_item] == 1)
    second_best = runner_up[answer_item]
    score = np.where(
        unique_top & (others_for_own > second_best),
        1.0,
        np.where(unique_top & (others_for_own == second_best), 1.0 / (1.0 + tied_at_runner_up[answer_item]), 0.0),
    )
    scored = counts.per_item[answer_item] >= 2
    scored_answers = np.bincount(answers.annotator[scored], minlength=annotators)
    total_score = np.bincount(answers.annotator[scored], weights=score[scored], minlength=annotators)
    with np.errstate(invalid="ignore", divide="ignore"):
        return scored_answers, total_score / scored_answers
