"""Krippendorff's alpha with missing answers, at any level, in time linear in the answers.

alpha = 1 - D_o / D_e (Krippendorff 2011, "Computing Krippendorff's
Alpha-Reliability", section E, the general form with any metric delta), over the
*pairable* answers: those on items with at least two answers (n of them in all).

* D_o, observed disagreement: every ordered pair of answers to the same item u,
  weighted 1 / (m_u - 1): ``D_o = 1/n * sum_u sum_{i != j in u} delta / (m_u - 1)``.
  Computed on the within-item pairs directly, so no value x value coincidence
  matrix is needed and a number field with 100k distinct values costs no more
  than a choice field.
* D_e, expected disagreement: every ordered pair of distinct pairable answers,
  ``D_e = 1/(n (n - 1)) * sum_{c,k} n_c n_k delta(c, k)``. Exact over the distinct
  values when they are few (up to ``EXACT_EXPECTED_LIMIT``), exact in closed
  form for nominal data (``n^2 - sum n_c^2``) and interval data
  (``sum n_c n_k (c - k)^2 = 2 n sum n_c (c - mean)^2``), and otherwise (many
  distinct texts, sets, ratio or ordinal values, structured answers) a Monte
  Carlo mean over random pairs drawn with a fixed seed, so the same data always
  gives the same alpha; the result says it was estimated.

  How many pairs: as many as the alpha needs, not a fixed count. Pairs are drawn
  in rounds of ``EXPECTED_SAMPLE_ROUND`` from one seeded stream, until the
  standard error that sampling adds to alpha is at most ``ALPHA_SAMPLING_ERROR``
  (0.0005: twice that, a 95% margin, stays below 0.001, the last digit the
  report shows), or ``EXPECTED_SAMPLE_PAIRS`` have been drawn. By the delta
  method, alpha = 1 - D_o / D_e moves by ``D_o / D_e * SE(D_e) / D_e`` for a
  standard error ``SE(D_e) = sd(delta) / sqrt(pairs)`` of the mean, with the sd
  taken from the pairs drawn so far (delta is bounded, so 20k pairs estimate it
  well). A distance that varies little between random answers needs one round:
  spans over 10k items x 3 annotators have sd/mean ~0.04 and alpha ~0.86, so the
  first 20k pairs put alpha within ~3e-5 of its exact value (400k pairs: ~8e-6),
  at a twentieth of the cost. Stopping when the estimate looks precise enough
  biases D_e by far less than its standard error.

The PyPI ``krippendorff`` package gives the same numbers (the tests compare) but
builds a units x values x values array, which does not fit in memory for a
number or text field with many distinct values; hence this formulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.agreement.answers import CodedAnswers, within_item_pairs
from app.agreement.distances import Delta, delta_for

EXACT_EXPECTED_LIMIT = 1024
#: The most pairs the expected disagreement samples; drawn EXPECTED_SAMPLE_ROUND at a time.
EXPECTED_SAMPLE_PAIRS = 400_000
EXPECTED_SAMPLE_ROUND = 20_000
#: Sampling stops once the standard error it adds to alpha is at most this.
ALPHA_SAMPLING_ERROR = 0.0005
SAMPLE_SEED = 20110125


@dataclass(frozen=True)
class AlphaResult:
    alpha: float | None
    observed_disagreement: float | None
    expected_disagreement: float | None
    pairable_answers: int
    expected_is_estimated: bool = False


def krippendorff_alpha(
    answers: CodedAnswers,
    delta: Delta | None = None,
    *,
    set_distance: str = "masi",
) -> AlphaResult:
    """Alpha for one field. ``None`` when undefined (no pairable answers, or no variation).

    ``delta`` replaces the level's distance with any symmetric function on value
    codes that is 0 for equal values (alpha with a custom metric).
    """
    per_item = answers.answers_per_item()
    pairable = per_item[answers.item] >= 2
    n = int(np.count_nonzero(pairable))
    if n < 2:
        return AlphaResult(None, None, None, n)
    pairable_per_value = np.bincount(answers.value[pairable], minlength=answers.value_count)
    if np.count_nonzero(pairable_per_value) < 2:
        return AlphaResult(None, 0.0, 0.0, n)
    distance = delta if delta is not None else delta_for(answers, pairable_per_value, set_distance)

    first, second, in_item = within_item_pairs(answers.item, pairable)
    pair_distance = distance(answers.value[first], answers.value[second])
    observed = 2.0 * float(np.sum(pair_distance / (in_item - 1))) / n

    closed_form = answers.level if delta is None and answers.level in ("nominal", "interval") else None
    expected, estimated = _expected_disagreement(answers, pairable, pairable_per_value, distance, n, closed_form,
                                                 observed)
    if expected <= 0:
        return AlphaResult(None, observed, expected, n, estimated)
    return AlphaResult(1.0 - observed / expected, observed, expected, n, estimated)


def _expected_disagreement(
    answers: CodedAnswers,
    pairable: np.ndarray,
    pairable_per_value: np.ndarray,
    distance: Delta,
    n: int,
    closed_form: str | None,
    observed: float,
) -> tuple[float, bool]:
    used = np.flatnonzero(pairable_per_value)
    counts = pairable_per_value[used].astype(np.float64)
    if used.size <= EXACT_EXPECTED_LIMIT:
        rows, columns = np.meshgrid(used, used, indexing="ij")
        grid = distance(rows.ravel(), columns.ravel()).reshape(used.size, used.size)
        return float(counts @ grid @ counts) / (n * (n - 1)), False
    if closed_form == "nominal":
        return (n * n - float(counts @ counts)) / (n * (n - 1)), False
    if closed_form == "interval":
        # sum_{c,k} n_c n_k (x_c - x_k)^2 = 2 n sum_c n_c (x_c - mean)^2, centred for precision.
        x = answers.numbers[used]
        centred = x - float(counts @ x) / n
        return 2.0 * n * float(counts @ (centred * centred)) / (n * (n - 1)), False
    return _sampled_expected(answers.value[pairable], distance, observed), True


def _sampled_expected(values: np.ndarray, distance: Delta, observed: float) -> float:
    """D_e as the mean delta of random pairs of distinct pairable answers, drawn in rounds
    until alpha's sampling error is small enough (see the module docstring)."""
    n = values.size
    rng = np.random.default_rng(SAMPLE_SEED)
    drawn, total, squares = 0, 0.0, 0.0
    while drawn < EXPECTED_SAMPLE_PAIRS:
        size = min(EXPECTED_SAMPLE_ROUND, EXPECTED_SAMPLE_PAIRS - drawn)
        first = rng.integers(0, n, size=size)
        second = rng.integers(0, n - 1, size=size)
        second += second >= first
        sampled = distance(values[first], values[second])
        drawn += size
        total += float(np.sum(sampled))
        squares += float(np.sum(sampled * sampled))
        mean = total / drawn
        if mean <= 0:
            continue
        variance = max(0.0, squares / drawn - mean * mean) * drawn / max(drawn - 1, 1)
        if observed / mean * math.sqrt(variance / drawn) / mean <= ALPHA_SAMPLING_ERROR:
            break
    return total / drawn

