"""The agreement report for one interface field, at the field's level of measurement.

``field_agreement(triples, level)`` is the one call the API needs: it codes the
answers once and returns a JSON-ready dict (plain floats; ``None`` where a
statistic is undefined, never NaN).

Which statistics apply where:

* Krippendorff's alpha, at every level, is the headline figure: it handles
  missing answers, any number of annotators, and the distance proper to the
  level (see ``distances``).
* Percent agreement (share of identical answer pairs) is given at every level;
  for text and numbers it is exact-match agreement.
* Fleiss' kappa, Gwet's AC1 and pairwise Cohen's kappa treat answers as
  categories, so they are computed for the categorical levels (nominal and
  ordinal) only; elsewhere they are ``None`` / ``{}``. An ordinal field also gets
  linearly and quadratically weighted Cohen's kappa. Fleiss' kappa is Gwet's
  generalisation to items with different numbers of answers, which equals
  Fleiss (1971) when every item has the same number (see ``categorical``).
* Per annotator: agreement with the consensus of the other annotators (see
  ``categorical.consensus_agreement``); per item (on request): the share of
  agreeing answer pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from app.agreement import categorical
from app.agreement.alpha import krippendorff_alpha
from app.agreement.answers import LEVELS, CodedAnswers, Triple, code_answers
from app.agreement.distances import structured_delta

CATEGORICAL_LEVELS = ("nominal", "ordinal")

__all__ = ["CATEGORICAL_LEVELS", "LEVELS", "field_agreement"]


def field_agreement(
    triples: Iterable[Triple],
    level: str,
    *,
    categories: Sequence[Any] | None = None,
    set_distance: str = "masi",
    include_items: bool = False,
    min_shared_items: int = 1,
    distance: Callable[[Any, Any], float] | None = None,
) -> dict[str, Any]:
    """Agreement among annotators on one field.

    ``triples``: ``(item_key, annotator_key, value)``; a ``None`` value is no answer.
    ``level``: one of ``LEVELS``, or a component's own ``level`` attribute (the
    text component's "distance" means "text"; a number field may say "ratio").
    ``categories``: the field's options in order
    (ordinal order, and the category count q for AC1 and weighted kappa; without
    it the observed values, sorted, are the categories). ``set_distance``:
    ``"masi"`` or ``"jaccard"`` for multi_choice. ``min_shared_items``: leave out
    annotator pairs with fewer items in common from the Cohen matrices.

    Returns::

        {"level", "krippendorff_alpha", "fleiss_kappa", "gwet_ac1",
         "percent_agreement", "pairwise_cohen_kappa": {"a|b": kappa},
         "items": items with at least two answers (the ones agreement is measured on),
         "answers", "annotators",
         "alpha_expected_disagreement_estimated": bool,
         "per_annotator": {annotator_key: {"answers": n, "agreement_with_consensus": x}},
         # ordinal only:
         "pairwise_cohen_kappa_linear": {...}, "pairwise_cohen_kappa_quadratic": {...},
         # include_items only:
         "per_item": {item_key: share of agreeing answer pairs}}
    """
    answers = code_answers(triples, level, categories)
    delta = (structured_delta(answers.values, distance, answers.decoded)
             if answers.level == "structured" and distance else None)
    alpha = krippendorff_alpha(answers, set_distance=set_distance, delta=delta)
    counts = categorical.value_counts(answers)
    per_item = categorical.item_agreement(counts)
    report: dict[str, Any] = {
        "level": answers.level,
        "krippendorff_alpha": _number(alpha.alpha),
        "fleiss_kappa": None,
        "gwet_ac1": None,
        "percent_agreement": _number(categorical.percent_agreement(counts)),
        "pairwise_cohen_kappa": {},
        "items": int(np.count_nonzero(~np.isnan(per_item))),
        "answers": answers.answer_count,
        "annotators": answers.annotator_count,
        "alpha_expected_disagreement_estimated": alpha.expected_is_estimated,
    }
    if answers.level in CATEGORICAL_LEVELS:
        q = answers.value_count
        report["fleiss_kappa"] = _number(categorical.fleiss_kappa(counts, q))
        report["gwet_ac1"] = _number(categorical.gwet_ac1(counts, q))
        pairs = categorical.annotator_pairs(answers)
        report["pairwise_cohen_kappa"] = categorical.pairwise_cohen_kappa(answers, "identity", min_shared_items, pairs)
        if answers.level == "ordinal":
            for weights in ("linear", "quadratic"):
                report[f"pairwise_cohen_kappa_{weights}"] = categorical.pairwise_cohen_kappa(
                    answers, weights, min_shared_items, pairs
                )
    report["per_annotator"] = _per_annotator(answers, counts)
    if include_items:
        report["per_item"] = {
            answers.item_keys[code]: float(share)
            for code, share in enumerate(per_item.tolist())
            if share == share
        }
    return report


def _per_annotator(answers: CodedAnswers, counts: categorical.ValueCounts) -> dict[Hashable, dict[str, Any]]:
    scored, agreement = categorical.consensus_agreement(answers, counts)
    return {
        key: {"answers": int(scored[code]), "agreement_with_consensus": _number(agreement[code])}
        for code, key in enumerate(answers.annotator_keys)
    }


def _number(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if value != value or value in (float("inf"), float("-inf")) else value
