"""One label per item from several annotators' answers: majority vote and Dawid-Skene.

Aggregation is for categorical fields: choice (nominal) and rating (ordinal,
where majority vote ignores the order; a caller wanting the median can take
it). A multi_choice field is aggregated per option: ``split_multi_choice`` turns
it into one yes/no field per option, each aggregated on its own. Numbers and
free text have no label to vote on; those are left to the caller.

* ``majority_vote``: the most frequent answer; confidence = its share of the
  item's answers. Ties go to the value chosen most often in the whole field,
  then to the first in category order, so the result never depends on the
  order of the input.
* ``dawid_skene``: Dawid & Skene (1979, "Maximum likelihood estimation of
  observer error-rates using the EM algorithm", Applied Statistics 28, 20-28).
  Each annotator has a confusion matrix (P(answer l | true class k)); EM
  alternates between item posteriors and annotator matrices, starting from
  the majority-vote shares. Confidence = the posterior of the chosen class.
  A small pseudo-count keeps matrices free of hard zeros, so one slip does not
  make an annotator's other answers impossible.

The EM is written in numpy (a dozen vectorised lines): crowd-kit implements the
same model but pulls in pandas, scikit-learn, nltk, transformers and pyarrow.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.agreement.answers import CodedAnswers, Triple, code_answers
from app.agreement.categorical import value_counts

DEFAULT_MAX_ITERATIONS = 100
DEFAULT_TOLERANCE = 1e-4
"""Largest change of any item posterior between two EM rounds that counts as converged."""
DEFAULT_PSEUDO_COUNT = 0.01


@dataclass(frozen=True)
class AggregatedLabel:
    label: Any
    confidence: float
    answers: int


@dataclass(frozen=True)
class DawidSkeneResult:
    labels: dict[Hashable, AggregatedLabel]
    annotator_accuracy: dict[Hashable, float]
    """Estimated probability that the annotator answers the true class (prior-weighted diagonal)."""
    class_priors: dict[Any, float]
    iterations: int
    converged: bool


def majority_vote(
    triples: Iterable[Triple], categories: Sequence[Any] | None = None
) -> dict[Hashable, AggregatedLabel]:
    """The most frequent answer per item, with its share of the item's answers as confidence."""
    answers = code_answers(triples, "nominal", categories)
    winner, votes = _majority(answers)
    per_item = answers.answers_per_item()
    return {
        key: AggregatedLabel(answers.values[label], won / answered, answered)
        for key, label, won, answered in zip(answers.item_keys, winner.tolist(), votes.tolist(), per_item.tolist())
    }


def _tie_rank(answers: CodedAnswers) -> np.ndarray:
    """Rank of each value code for tie-breaks: most used in the field first, then category order."""
    usage = np.bincount(answers.value, minlength=answers.value_count)
    order = np.lexsort((np.arange(answers.value_count), -usage))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank


def _majority(answers: CodedAnswers) -> tuple[np.ndarray, np.ndarray]:
    """Winning value code and its vote count per item code."""
    counts = value_counts(answers)
    if answers.answer_count == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((_tie_rank(answers)[counts.value], -counts.count, counts.item))
    item = counts.item[order]
    first = np.r_[True, item[1:] != item[:-1]]
    winner = np.zeros(answers.item_count, dtype=np.int64)
    votes = np.zeros(answers.item_count, dtype=np.int64)
    winner[item[first]] = counts.value[order][first]
    votes[item[first]] = counts.count[order][first]
    return winner, votes


def dawid_skene(
    triples: Iterable[Triple],
    categories: Sequence[Any] | None = None,
    *,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    tolerance: float = DEFAULT_TOLERANCE,
    pseudo_count: float = DEFAULT_PSEUDO_COUNT,
) -> DawidSkeneResult:
    """Dawid-Skene labels with posterior confidences, and what EM learnt about each annotator.

    Stops after ``max_iterations`` rounds even if not converged (``converged`` says
    which): the labels usually settle long before the last posterior digits do.
    """
    answers = code_answers(triples, "nominal", categories)
    classes, items, annotators = answers.value_count, answers.item_count, answers.annotator_count
    if classes == 0:
        return DawidSkeneResult({}, {}, {}, 0, True)
    item, annotator, value = answers.item, answers.annotator, answers.value
    per_item = answers.answers_per_item()

    # Start from majority-vote shares, as Dawid & Skene do.
    posterior = np.zeros((items, classes))
    np.add.at(posterior, (item, value), 1.0)
    posterior /= per_item[:, None]

    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        priors, confusion = _maximise(posterior, item, annotator, value, annotators, classes, pseudo_count)
        updated = _expect(priors, confusion, item, annotator, value, items)
        change = float(np.max(np.abs(updated - posterior)))
        posterior = updated
        if change < tolerance:
            converged = True
            break

    priors, confusion = _maximise(posterior, item, annotator, value, annotators, classes, pseudo_count)
    chosen = np.argmax(posterior, axis=1)  # a tie goes to the first class in category order
    confidence = posterior[np.arange(items), chosen]
    labels = {
        key: AggregatedLabel(answers.values[label], share, answered)
        for key, label, share, answered in zip(
            answers.item_keys, chosen.tolist(), confidence.tolist(), per_item.tolist()
        )
    }
    accuracy = np.einsum("k,akk->a", priors, confusion)
    return DawidSkeneResult(
        labels=labels,
        annotator_accuracy={key: float(accuracy[code]) for code, key in enumerate(answers.annotator_keys)},
        class_priors={answers.values[k]: float(priors[k]) for k in range(classes)},
        iterations=iterations,
        converged=converged,
    )


def _maximise(
    posterior: np.ndarray,
    item: np.ndarray,
    annotator: np.ndarray,
    value: np.ndarray,
    annotators: int,
    classes: int,
    pseudo_count: float,
) -> tuple[np.ndarray, np.ndarray]:
    """M-step: class priors and each annotator's confusion matrix [annotator, true, answered]."""
    priors = posterior.mean(axis=0)
    answered_cell = annotator * classes + value
    confusion = np.empty((annotators, classes, classes))
    for true_class in range(classes):
        mass = np.bincount(answered_cell, weights=posterior[item, true_class], minlength=annotators * classes)
        confusion[:, true_class, :] = mass.reshape(annotators, classes)
    confusion += pseudo_count
    confusion /= confusion.sum(axis=2, keepdims=True)
    return priors, confusion


def _expect(
    priors: np.ndarray,
    confusion: np.ndarray,
    item: np.ndarray,
    annotator: np.ndarray,
    value: np.ndarray,
    items: int,
) -> np.ndarray:
    """E-step: posterior over true classes per item, in log space."""
    log_confusion = np.log(confusion)
    classes = priors.size
    log_posterior = np.tile(np.log(np.maximum(priors, 1e-300)), (items, 1))
    for true_class in range(classes):
        log_posterior[:, true_class] += np.bincount(
            item, weights=log_confusion[annotator, true_class, value], minlength=items
        )
    log_posterior -= log_posterior.max(axis=1, keepdims=True)
    posterior = np.exp(log_posterior)
    return posterior / posterior.sum(axis=1, keepdims=True)


def split_multi_choice(triples: Iterable[Triple]) -> dict[str, list[tuple[Hashable, Hashable, bool]]]:
    """One yes/no field per option: every annotator who answered an item says whether they chose it."""
    answers = [
        (item, annotator, frozenset([value] if isinstance(value, str) else value))
        for item, annotator, value in triples
        if value is not None
    ]
    options = sorted(set().union(*(chosen for _, _, chosen in answers))) if answers else []
    return {
        option: [(item, annotator, option in chosen) for item, annotator, chosen in answers]
        for option in options
    }
