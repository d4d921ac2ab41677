"""Distances between answers at each level of measurement, vectorised over value codes.

Krippendorff's alpha is one formula for every kind of answer; only the distance
between two values changes with the level (Krippendorff 2011, "Computing
Krippendorff's Alpha-Reliability", section E). Each builder here returns a
function ``delta(codes_a, codes_b) -> float array`` over the value codes of
``CodedAnswers``:

* nominal: 0 when equal, else 1;
* ordinal: ``(sum of n_g for g from c to k - (n_c + n_k) / 2) ** 2``, which needs
  ``n_v``, the number of pairable answers with each value (codes in rank order);
* interval: ``(c - k) ** 2``; ratio: ``((c - k) / (c + k)) ** 2``;
* set (multi_choice): MASI distance (Passonneau 2006), or Jaccard distance;
* text: normalised Levenshtein distance (edit distance / length of the longer
  string, from rapidfuzz), on text already case- and whitespace-normalised.

* structured (spans, claims, rankings): the component's own distance in [0, 1]
  (``Component.distance``), on the answers decoded once per distinct value.

Set, text and structured distances lie in [0, 1], so they also read as "share of disagreement".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from app.agreement.answers import CodedAnswers

Delta = Callable[[np.ndarray, np.ndarray], np.ndarray]
SET_DISTANCES = ("masi", "jaccard")


def nominal_delta() -> Delta:
    return lambda a, b: (a != b).astype(np.float64)


def ordinal_delta(pairable_per_value: np.ndarray) -> Delta:
    counts = pairable_per_value.astype(np.float64)
    cumulative = np.cumsum(counts)

    def delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        low, high = np.minimum(a, b), np.maximum(a, b)
        between = cumulative[high] - cumulative[low] + counts[low]
        return (between - (counts[low] + counts[high]) / 2) ** 2

    return delta


def interval_delta(numbers: np.ndarray) -> Delta:
    return lambda a, b: (numbers[a] - numbers[b]) ** 2


def ratio_delta(numbers: np.ndarray) -> Delta:
    def delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        total = numbers[a] + numbers[b]
        difference = numbers[a] - numbers[b]
        safe_total = np.where(total == 0, 1.0, total)
        return np.where(total == 0, 0.0, (difference / safe_total) ** 2)

    return delta


def set_membership(values: list[frozenset[str]]) -> np.ndarray:
    """Boolean matrix (value code x option): which options each distinct set holds."""
    options = sorted(set().union(*values)) if values else []
    column = {option: index for index, option in enumerate(options)}
    membership = np.zeros((len(values), max(len(options), 1)), dtype=bool)
    for row, chosen in enumerate(values):
        membership[row, [column[option] for option in chosen]] = True
    return membership


def set_delta(values: list[frozenset[str]], metric: str = "masi") -> Delta:
    """MASI or Jaccard distance between sets of options.

    Jaccard distance is ``1 - |A & B| / |A | B|``. MASI (Passonneau 2006,
    "Measuring Agreement on Set-valued Items (MASI) for Semantic and Pragmatic
    Annotation", LREC) is ``1 - J * M`` with J the Jaccard similarity and the
    monotonicity M = 1 when the sets are equal, 2/3 when one contains the other,
    1/3 when they overlap otherwise, 0 when disjoint. Two empty sets are equal.
    """
    if metric not in SET_DISTANCES:
        raise ValueError(f"unknown set distance {metric!r}; expected one of {SET_DISTANCES}")
    membership = set_membership(values)
    sizes = membership.sum(axis=1)

    def delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        shared = np.count_nonzero(membership[a] & membership[b], axis=1)
        size_a, size_b = sizes[a], sizes[b]
        union = size_a + size_b - shared
        jaccard = np.where(union == 0, 1.0, shared / np.maximum(union, 1))
        if metric == "jaccard":
            return 1.0 - jaccard
        equal = (shared == size_a) & (shared == size_b)
        nested = shared == np.minimum(size_a, size_b)
        monotonicity = np.select([equal, nested, shared > 0], [1.0, 2 / 3, 1 / 3], default=0.0)
        return 1.0 - jaccard * monotonicity

    return delta


def text_delta(values: list[str]) -> Delta:
    texts = np.asarray(values, dtype=object)

    def delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.size == 0:
            return np.zeros(0)
        distances = process.cpdist(
            texts[a], texts[b], scorer=Levenshtein.normalized_distance, workers=-1, dtype=np.float64
        )
        return np.asarray(distances, dtype=np.float64)

    return delta


def structured_delta(
    values: list[str], distance: Callable[[Any, Any], float], decoded: list[Any] | None = None
) -> Delta:
    """A component's distance between JSON-like answers (``values`` are their canonical texts;
    ``decoded``, when given, the answers themselves, ``CodedAnswers.decoded``, so nothing is
    decoded again), each distinct pair computed once. A distance that has a
    ``batch(decoded_values)`` method (spans and claims: ``components._spans.SpanDistance``)
    gives a vectorised delta over the value codes instead, for the many pairs the expected
    disagreement samples."""
    if decoded is None:
        decoded = [json.loads(value) for value in values]
    batch = getattr(distance, "batch", None)
    if batch is not None:
        return batch(decoded)
    known: dict[tuple[int, int], float] = {}

    def between(a: int, b: int) -> float:
        key = (a, b) if a <= b else (b, a)
        found = known.get(key)
        if found is None:
            found = known[key] = 0.0 if a == b else float(distance(decoded[a], decoded[b]))
        return found

    def delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.fromiter(map(between, a.tolist(), b.tolist()), dtype=np.float64, count=a.size)

    return delta


def delta_for(answers: CodedAnswers, pairable_per_value: np.ndarray, set_distance: str = "masi") -> Delta:
    """The distance function for the level of ``answers``."""
    level = answers.level
    if level == "nominal":
        return nominal_delta()
    if level == "ordinal":
        return ordinal_delta(pairable_per_value)
    if level == "interval":
        return interval_delta(answers.numbers)
    if level == "ratio":
        return ratio_delta(answers.numbers)
    if level == "set":
        return set_delta(answers.values, set_distance)
    if level == "text":
        return text_delta(answers.values)
    if level == "structured":  # no distance of its own: equal answers agree, others do not
        return nominal_delta()
    raise ValueError(f"no distance for level {level!r}")
