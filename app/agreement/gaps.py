"""The guideline-gap report: where annotators' disagreement concentrates.

``guideline_gaps(fields, items)`` takes every answer of the project's fields and
the items' display labels and metadata, and returns a JSON-ready dict (plain
ints, floats, strings and None; never NaN) with one section per question a
guideline author asks:

* ``confusion``: which pairs of labels annotators confuse, per choice or rating
  field, with the full label x label matrix per field in ``matrices``;
* ``groups``: which values of the items' metadata (category, source, language...)
  have the lowest agreement; nested objects group by dotted path, lists never
  (``grouping_values``);
* ``disputed_items``: the items annotators disagree on most, with the value
  counts of their answers (never who gave them);
* ``contributors``: the annotators who agree least with the consensus of the
  others (keys as given: the caller maps them to names or pseudonyms, and leaves
  this section out of what a client sees);
* ``trend``: agreement per day or week;
* ``summary``: one plain sentence per section, for the printable page; none of
  them names a contributor.

Which answers count. Agreement here is exact: an item's agreement is the share of
its pairs of answers that are equal (``categorical.item_agreement``, as in
``field_agreement``'s percent agreement). That is meaningful for choice
(nominal), rating (ordinal) and multi_choice (set: the same options chosen), so
those fields are used; number and text fields are *skipped* (listed in
``fields`` with ``included: False``), because two free texts or two measured
numbers rarely match exactly and would swamp the report with noise. With several
fields, an item's agreement is the mean over the fields it has two or more
answers on. Confusion pairs are for choice and rating fields only.

Interval measures on a small whole-number scale are compared too (``compared_level``): a
rubric criterion scored 1-5 is interval for Krippendorff's alpha, but its values are a
handful of points that people pick from a labelled scale, like a rating's, so exact
agreement (and which points are confused) is as meaningful as for a rating. Such a measure
(level ``interval``, ``categories`` all whole numbers, at most ``MAX_COMPARED_SCALE``
points) is compared exactly, as ordinal, and listed with level ``ordinal``; the report's
``fields`` then shows each rubric criterion (``quality.accuracy``) with its agreement, so
the criteria with the lowest agreement stand out, and ``confusion`` which points of a
criterion are confused. An interval measure without such categories (a number field)
stays listed, not compared. The caller (``service.guideline_gaps_for``) decides by the
measure's level and categories, never by component type.

All per-answer and per-item work is numpy over the coded answers
(``answers.code_answers``); the Python-level passes are C-level ``map`` calls
over the rows, and loops run only over fields, metadata keys, and the few rows
that are reported.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain, repeat
from operator import attrgetter, methodcaller
from typing import Any

import numpy as np

from app.agreement.answers import LEVEL_ALIASES, LEVELS, CodedAnswers, code_answers, within_item_pairs
from app.agreement.categorical import ValueCounts, consensus_agreement, item_agreement, value_counts

GAP_LEVELS = ("nominal", "ordinal", "set")
"""Levels whose answers are compared exactly; interval, ratio and text fields are skipped."""
CONFUSION_LEVELS = ("nominal", "ordinal")
TRENDS = ("day", "week")
MAX_COMPARED_SCALE = 11
"""An interval measure whose categories are at most this many whole numbers (0-10) is compared."""


def compared_level(level: str, categories: Sequence[Any] | None) -> str | None:
    """The level the report compares a measure at, or None when it is only listed: nominal,
    ordinal and set as they are; interval on a small whole-number scale as ordinal."""
    level = LEVEL_ALIASES.get(level, level)
    if level in GAP_LEVELS:
        return level
    if (level == "interval" and categories and len(categories) <= MAX_COMPARED_SCALE
            and all(isinstance(point, int) and not isinstance(point, bool) for point in categories)):
        return "ordinal"
    return None

MAX_GROUP_VALUES = 50
"""A metadata key with more distinct values than this is not a grouping (ids, free text)."""
MIN_ITEMS_PER_GROUP_VALUE = 2
"""On average, each value of a grouping key must cover this many items (rules out unique ids)."""
MAX_GROUP_VALUE_LENGTH = 80
"""A key with a longer string value holds free text, not a category."""
MAX_GROUP_DEPTH = 4
"""Objects in the item's data are looked into this many levels deep (``meta.source.lang`` is three)."""
MAX_ITEM_PATHS = 64
"""At most this many scalar paths of one item's data are considered, in the data's own order."""
MAX_GROUP_KEYS = 50
"""At most this many paths are tried as groupings per report: the first found that enough items have."""
MIN_GROUP_ITEMS = 3
"""A group is reported only with this many items whose agreement is measured."""
MIN_CONTRIBUTOR_ANSWERS = 5
"""Contributors are ranked only with this many answers compared with a consensus."""
MIN_TREND_ITEMS = 10
"""The trend sentence compares the first and last periods with this many items (when two have)."""

_GROUP_PROBE = 1000
_TRIPLE = attrgetter("item_key", "annotator_key", "value")
_ITEM_KEY = attrgetter("item_key")
_ANSWERED_AT = attrgetter("answered_at")
_METADATA = attrgetter("metadata")


@dataclass
class AnswerRow:
    """One answer to one field. A ``None`` value is no answer and is ignored."""

    item_key: Hashable
    annotator_key: Hashable
    value: Any
    answered_at: datetime


@dataclass
class ItemInfo:
    key: Hashable
    label: str
    """What to show for the item: its external id or a short excerpt."""
    metadata: dict[str, Any]
    """The item's data, as imported (any JSON); see ``grouping_values`` for what groups items."""


@dataclass
class _Field:
    name: str
    answers: CodedAnswers
    counts: ValueCounts
    agreement: np.ndarray
    """Per item code of this field: share of agreeing answer pairs (NaN under two answers)."""
    item_index: np.ndarray
    """Per item code of this field: the item's index in the report."""


def guideline_gaps(
    fields: dict[str, tuple[str, list[AnswerRow]]],
    items: dict[Hashable, ItemInfo],
    *,
    top: int = 10,
    trend: str = "day",
) -> dict[str, Any]:
    """The guideline-gap report over every answer of the given fields.

    ``fields``: field name -> (level, answers). ``level`` is the component's
    ``level`` (``field_agreement`` accepts the same). ``items``: item key ->
    label and metadata; answers may name items missing from it (shown by their
    key, not grouped). ``top``: rows kept in the ranked sections. ``trend``:
    ``"day"`` or ``"week"`` (weeks start on Monday and are named by that date).
    Days are the calendar date ``answered_at`` shows, in its own time zone.

    Returns::

        {"overall": {"items", "items_with_disagreement", "items_without_agreement", "agreement"},
         "fields": [{"field", "level", "included", "answers", "items", "agreement"}],
         "confusion": [{"field", "a", "b", "count", "share"}],   # up to `top` per field
         "matrices": {field: {"labels": [...], "counts": [[...]]}},
         "groups": [{"key", "value", "items", "agreement"}],     # lowest first, `top`
         "disputed_items": [{"item", "label", "answers", "agreement",
                             "values": {field: {value: count}}}],  # `top`
         "contributors": [{"annotator", "answers", "agreement_with_consensus"}],  # `top`
         "trend": [{"period", "items", "agreement"}],
         "summary": {"overall", "confusion", "groups", "disputed_items", "contributors", "trend"}}
    """
    if trend not in TRENDS:
        raise ValueError(f"unknown trend {trend!r}; expected one of {TRENDS}")
    if top < 0:
        raise ValueError("top must be zero or more")

    item_index: dict[Hashable, int] = {key: code for code, key in enumerate(items)}
    overview: list[dict[str, Any]] = []
    coded: list[_Field] = []
    dated_items: list[np.ndarray] = []
    days: list[np.ndarray] = []
    for name, (level, rows) in fields.items():
        level = LEVEL_ALIASES.get(level, level)
        if level not in LEVELS:
            raise ValueError(f"field {name!r}: unknown level {level!r}; expected one of {LEVELS}")
        kept = [row for row in rows if row.value is not None]
        if level not in GAP_LEVELS:
            overview.append(
                {
                    "field": name,
                    "level": level,
                    "included": False,
                    "answers": len(kept),
                    "items": None,
                    "agreement": None,
                }
            )
            continue
        answers = code_answers(map(_TRIPLE, kept), level)
        counts = value_counts(answers)
        agreement = item_agreement(counts)
        missing = [key for key in answers.item_keys if key not in item_index]
        item_index.update(zip(missing, range(len(item_index), len(item_index) + len(missing))))
        coded.append(
            _Field(
                name=name,
                answers=answers,
                counts=counts,
                agreement=agreement,
                item_index=_codes(map(item_index.__getitem__, answers.item_keys), answers.item_count),
            )
        )
        dated_items.append(_codes(map(item_index.__getitem__, map(_ITEM_KEY, kept)), len(kept)))
        days.append(_codes(map(date.toordinal, map(_ANSWERED_AT, kept)), len(kept)))
        measured = agreement[~np.isnan(agreement)]
        overview.append(
            {
                "field": name,
                "level": level,
                "included": True,
                "answers": answers.answer_count,
                "items": int(measured.size),
                "agreement": float(measured.mean()) if measured.size else None,
            }
        )

    item_count = len(item_index)
    item_keys = list(item_index)
    agreement_sum = np.zeros(item_count)
    measured_fields = np.zeros(item_count, dtype=np.int64)
    answer_count = np.zeros(item_count, dtype=np.int64)
    for field in coded:
        defined = ~np.isnan(field.agreement)
        agreement_sum += np.bincount(
            field.item_index[defined], weights=field.agreement[defined], minlength=item_count
        )
        measured_fields += np.bincount(field.item_index[defined], minlength=item_count)
        answer_count += np.bincount(
            field.item_index, weights=field.answers.answers_per_item(), minlength=item_count
        ).astype(np.int64)
    measured = measured_fields > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        per_item = np.where(measured, agreement_sum / np.maximum(measured_fields, 1), np.nan)
    last_day = np.full(item_count, -1, dtype=np.int64)
    if days:
        np.maximum.at(last_day, np.concatenate(dated_items), np.concatenate(days))

    overall = {
        "items": int(np.count_nonzero(measured)),
        "items_with_disagreement": int(np.count_nonzero(per_item[measured] < 1.0)),
        "items_without_agreement": int(np.count_nonzero(per_item[measured] == 0.0)),
        "agreement": float(per_item[measured].mean()) if measured.any() else None,
    }
    confusion, matrices = _confusion(coded, top)
    groups = _groups(items, per_item[: len(items)], top)
    disputed = _disputed(coded, items, item_keys, per_item, answer_count, top)
    contributors, ranked_count = _contributors(coded, top)
    trend_rows = _trend(per_item, last_day, trend)
    report = {
        "overall": overall,
        "fields": overview,
        "confusion": confusion,
        "matrices": matrices,
        "groups": groups,
        "disputed_items": disputed,
        "contributors": contributors,
        "trend": trend_rows,
    }
    report["summary"] = _summary(report, coded, ranked_count, trend)
    return report


def _codes(values, count: int) -> np.ndarray:
    return np.fromiter(values, dtype=np.int64, count=count)


# -- sections -------------------------------------------------------------------------


def _confusion(coded: list[_Field], top: int) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Label pairs confused, per choice and rating field.

    Every pair of answers to the same item (one per pair of annotators) counts
    once for its unordered pair of values: answers (a, a, b) give a|b twice and
    a|a once. ``counts[i][j]`` is that count for labels i and j, the matrix
    symmetric, the diagonal the agreeing pairs.
    """
    pairs: list[dict[str, Any]] = []
    matrices: dict[str, dict[str, Any]] = {}
    for field in coded:
        answers = field.answers
        if answers.level not in CONFUSION_LEVELS:
            continue
        q = answers.value_count
        first, second, _ = within_item_pairs(answers.item)
        low = np.minimum(answers.value[first], answers.value[second])
        high = np.maximum(answers.value[first], answers.value[second])
        upper = np.bincount(low * q + high, minlength=q * q).reshape(q, q)
        symmetric = upper + upper.T - np.diag(np.diag(upper))
        labels = [_plain(value) for value in answers.values]
        matrices[field.name] = {"labels": labels, "counts": symmetric.tolist()}
        a, b = np.triu_indices(q, 1)
        count = upper[a, b]
        disagreeing = int(count.sum())
        order = np.lexsort((b, a, -count))
        order = order[count[order] > 0][:top]
        pairs += [
            {"field": field.name, "a": labels[i], "b": labels[j], "count": n, "share": n / disagreeing}
            for i, j, n in zip(a[order].tolist(), b[order].tolist(), count[order].tolist())
        ]
    pairs.sort(key=lambda pair: -pair["count"])  # stable: ties keep field, then label order
    return pairs, matrices


def grouping_values(data: Any) -> dict[str, Any]:
    """The values of one item's data that may group items, by dotted path.

    Item data is any JSON, and only a scalar can be a category, so:

    * strings, integers, booleans and floats are kept under their path
      (floats, strings over ``MAX_GROUP_VALUE_LENGTH`` and booleans beside
      numbers then disqualify their path in ``_groups``: measured numbers,
      free text, and ``true`` that would count as ``1``);
    * an object is flattened into its members' paths, ``{"meta": {"lang":
      "en"}}`` giving ``meta.lang``, down to ``MAX_GROUP_DEPTH`` levels;
    * lists are skipped (a list of turns or tags is content, not a category),
      and so are nulls (no value);
    * paths over ``MAX_GROUP_VALUE_LENGTH`` characters are skipped;
    * at most ``MAX_ITEM_PATHS`` paths per item, so one item with a huge
      object costs no more than any other.
    """
    found: dict[str, Any] = {}
    if isinstance(data, dict):
        _flatten(data, "", 1, found)
    return found


def _flatten(data: dict[str, Any], prefix: str, depth: int, found: dict[str, Any]) -> None:
    for key, value in data.items():
        if len(found) >= MAX_ITEM_PATHS:
            return
        path = f"{prefix}{key}"
        if len(path) > MAX_GROUP_VALUE_LENGTH:
            continue  # a key that long is content, not the name of a category
        if isinstance(value, dict):
            if depth < MAX_GROUP_DEPTH:
                _flatten(value, path + ".", depth + 1, found)
        elif isinstance(value, (str, int, float)):  # bool is an int
            found.setdefault(path, value)


def _group_columns(metadata: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Per candidate path, its value on every item (None where the item lacks it).

    A path is a candidate when more than ``MIN_GROUP_ITEMS`` items have it
    (fewer cannot make a reported group and a second value); at most
    ``MAX_GROUP_KEYS`` paths, the first found, so an id-like key per item
    never multiplies the work by the number of items.
    """
    seen = Counter(chain.from_iterable(metadata))
    keys = [key for key, count in seen.items() if count > MIN_GROUP_ITEMS][:MAX_GROUP_KEYS]
    return {key: list(map(methodcaller("get", key), metadata)) for key in keys}


def _groups(items: dict[Hashable, ItemInfo], per_item: np.ndarray, top: int) -> list[dict[str, Any]]:
    """Mean item agreement per value of each metadata path that looks like a category."""
    if not items or top == 0:
        return []
    metadata = list(map(grouping_values, map(_METADATA, items.values())))
    measured = ~np.isnan(per_item)
    found: list[tuple[float, int, int, int, str, Any]] = []
    for key_order, (key, column) in enumerate(_group_columns(metadata).items()):
        if len(dict.fromkeys(column[:_GROUP_PROBE])) > MAX_GROUP_VALUES + 1:
            continue  # ids or free text: no need to hash the whole column
        distinct = dict.fromkeys(column)
        distinct.pop(None, None)
        if not 2 <= len(distinct) <= MAX_GROUP_VALUES:
            continue
        kinds = set(map(type, column))
        kinds.discard(type(None))
        if not kinds <= {str, int, bool} or (bool in kinds and int in kinds):
            continue  # floats are measurements; true and 1 are equal keys, so they never share a path
        if any(isinstance(value, str) and len(value) > MAX_GROUP_VALUE_LENGTH for value in distinct):
            continue
        if len(column) - column.count(None) < MIN_ITEMS_PER_GROUP_VALUE * len(distinct):
            continue
        value_code = {value: code for code, value in enumerate(distinct)}
        code = _codes(map(value_code.get, column, repeat(-1)), len(column))
        keep = measured & (code >= 0)
        group_items = np.bincount(code[keep], minlength=len(distinct))
        group_sum = np.bincount(code[keep], weights=per_item[keep], minlength=len(distinct))
        for value_order, (value, n, total) in enumerate(zip(distinct, group_items.tolist(), group_sum.tolist())):
            if n >= MIN_GROUP_ITEMS:
                found.append((total / n, -n, key_order, value_order, key, value))
    found.sort(key=lambda group: group[:4])
    return [
        {"key": key, "value": value, "items": -negative_items, "agreement": agreement}
        for agreement, negative_items, _, _, key, value in found[:top]
    ]


def _disputed(
    coded: list[_Field],
    items: dict[Hashable, ItemInfo],
    item_keys: list[Hashable],
    per_item: np.ndarray,
    answer_count: np.ndarray,
    top: int,
) -> list[dict[str, Any]]:
    """The items with the lowest agreement below 1; ties: more answers first, then input order."""
    candidates = np.flatnonzero(per_item < 1.0)  # NaN compares False: unmeasured items drop out
    order = np.lexsort((candidates, -answer_count[candidates], per_item[candidates]))
    chosen = candidates[order][:top]
    if chosen.size == 0:
        return []
    local_codes = []
    for field in coded:
        local = np.full(len(item_keys), -1, dtype=np.int64)
        local[field.item_index] = np.arange(field.item_index.size)
        local_codes.append(local[chosen])
    rows = []
    for position, index in enumerate(chosen.tolist()):
        key = item_keys[index]
        values: dict[str, dict[str, int]] = {}
        for field, local in zip(coded, local_codes):
            code = int(local[position])
            if code >= 0:
                values[field.name] = _value_counts_of(field, code)
        info = items.get(key)
        rows.append(
            {
                "item": key,
                "label": info.label if info is not None else str(key),
                "answers": int(answer_count[index]),
                "agreement": float(per_item[index]),
                "values": values,
            }
        )
    return rows


def _value_counts_of(field: _Field, code: int) -> dict[str, int]:
    """How many answers of one item gave each value, most frequent first."""
    counts = field.counts
    start, stop = np.searchsorted(counts.item, [code, code + 1])  # the table is sorted by item
    value, count = counts.value[start:stop], counts.count[start:stop]
    order = np.lexsort((value, -count))
    return {_display(field.answers.values[v]): int(n) for v, n in zip(value[order].tolist(), count[order].tolist())}


def _contributors(coded: list[_Field], top: int) -> tuple[list[dict[str, Any]], list[float]]:
    """Annotators by lowest agreement with the consensus of the others, over all used fields.

    Per field ``categorical.consensus_agreement`` scores each answer on an item
    with two or more answers; an annotator's figure is the mean score over all
    those answers in all fields, ``answers`` their number. Also returns the
    agreement of every ranked annotator (for the summary).
    """
    index: dict[Hashable, int] = {}
    scored_parts, score_parts, annotator_parts = [], [], []
    for field in coded:
        scored, mean = consensus_agreement(field.answers, field.counts)
        keys = field.answers.annotator_keys
        missing = [key for key in keys if key not in index]
        index.update(zip(missing, range(len(index), len(index) + len(missing))))
        annotator_parts.append(_codes(map(index.__getitem__, keys), len(keys)))
        scored_parts.append(scored)
        score_parts.append(np.where(scored > 0, np.nan_to_num(mean) * scored, 0.0))
    if not index:
        return [], []
    annotator = np.concatenate(annotator_parts)
    scored = np.bincount(annotator, weights=np.concatenate(scored_parts), minlength=len(index)).astype(np.int64)
    score = np.bincount(annotator, weights=np.concatenate(score_parts), minlength=len(index))
    ranked = np.flatnonzero(scored >= MIN_CONTRIBUTOR_ANSWERS)
    agreement = score[ranked] / scored[ranked]
    keys = list(index)
    key_text = np.array([str(keys[code]) for code in ranked.tolist()], dtype=object)
    order = np.lexsort((key_text, -scored[ranked], agreement)) if ranked.size else ranked
    rows = [
        {"annotator": keys[code], "answers": int(scored[code]), "agreement_with_consensus": float(share)}
        for code, share in zip(ranked[order][:top].tolist(), agreement[order][:top].tolist())
    ]
    return rows, agreement.tolist()


def _trend(per_item: np.ndarray, last_day: np.ndarray, trend: str) -> list[dict[str, Any]]:
    """Mean item agreement per day (or week) of each item's last answer."""
    keep = ~np.isnan(per_item) & (last_day > 0)
    day = last_day[keep]
    if trend == "week":
        day = day - (day - 1) % 7  # ordinal 1 (0001-01-01) is a Monday
    periods, bucket = np.unique(day, return_inverse=True)
    bucket = bucket.reshape(-1)
    count = np.bincount(bucket, minlength=periods.size)
    total = np.bincount(bucket, weights=per_item[keep], minlength=periods.size)
    return [
        {"period": date.fromordinal(period).isoformat(), "items": n, "agreement": s / n}
        for period, n, s in zip(periods.tolist(), count.tolist(), total.tolist())
    ]


# -- summary --------------------------------------------------------------------------


def _summary(report: dict[str, Any], coded: list[_Field], ranked: list[float], trend: str) -> dict[str, str]:
    """One plain sentence per section, for a client to read; no contributor is named."""
    overall = report["overall"]
    if overall["items"]:
        share = overall["items_with_disagreement"] / overall["items"]
        overall_text = (
            f"Average agreement {_two(overall['agreement'])} over {overall['items']:,} items; "
            f"annotators disagreed on {overall['items_with_disagreement']:,} of them ({share:.0%})."
        )
    else:
        overall_text = "No item has two or more answers to compare yet."

    confusion = report["confusion"]
    if confusion:
        pair = confusion[0]
        confusion_text = (
            f"Most confusion in {pair['field']}: {_display(pair['a'])} vs {_display(pair['b'])} "
            f"({pair['share']:.0%} of disagreements)."
        )
    elif any(field.answers.level in CONFUSION_LEVELS for field in coded):
        confusion_text = "No two labels were confused."
    else:
        confusion_text = "No choice or rating field to compare labels on."

    groups = report["groups"]
    if groups:
        group = groups[0]
        groups_text = (
            f"Lowest agreement: {group['key']} = {_display(group['value'])} "
            f"({_two(group['agreement'])} over {group['items']:,} items"
            + (f"; {_two(overall['agreement'])} overall)." if overall["agreement"] is not None else ").")
        )
    else:
        groups_text = f"No item metadata groups {MIN_GROUP_ITEMS} or more compared items."

    disputed = report["disputed_items"]
    if disputed:
        item = disputed[0]
        label = item["label"] if len(item["label"]) <= 60 else item["label"][:59] + "…"
        without = overall["items_without_agreement"]
        disputed_text = (
            f"Most disputed: “{label}” (agreement {_two(item['agreement'])} over {item['answers']} answers)"
            + (f"; {_items(without)} no two answers alike." if without else ".")
        )
    else:
        disputed_text = "No item has disagreeing answers."

    if ranked:
        low = min(ranked)
        ordered = sorted(ranked)
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        contributors_text = (
            f"Agreement with the consensus ranges from {_two(low)} to {_two(max(ranked))} "
            f"across {len(ranked)} contributors (median {_two(median)})."
        )
    else:
        contributors_text = (
            f"No contributor has {MIN_CONTRIBUTOR_ANSWERS} or more answers to compare with the consensus."
        )

    periods = report["trend"]
    unit = "days" if trend == "day" else "weeks"
    named = (lambda period: period) if trend == "day" else (lambda period: f"the week of {period}")
    settled = [period for period in periods if period["items"] >= MIN_TREND_ITEMS]
    if len(settled) >= 2:
        periods = settled  # a period with a handful of items says little about the trend
    if len(periods) >= 2:
        first, last = periods[0], periods[-1]
        change = last["agreement"] - first["agreement"]
        span = f"{named(first['period'])} to {named(last['period'])}; {len(report['trend'])} {unit} with answers"
        if abs(change) < 0.02:
            trend_text = f"Agreement held steady at about {_two(last['agreement'])} ({span})."
        else:
            verb = "rose" if change > 0 else "fell"
            trend_text = (
                f"Agreement {verb} from {_two(first['agreement'])} to {_two(last['agreement'])} ({span})."
            )
    elif periods:
        only = periods[0]
        trend_text = f"Agreement was {_two(only['agreement'])} on {named(only['period'])}, the only period so far."
    else:
        trend_text = "No compared items to show a trend yet."

    return {
        "overall": overall_text,
        "confusion": confusion_text,
        "groups": groups_text,
        "disputed_items": disputed_text,
        "contributors": contributors_text,
        "trend": trend_text,
    }


def _items(count: int) -> str:
    return "1 item has" if count == 1 else f"{count:,} items have"


def _two(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _plain(value: Any) -> Any:
    """A value as JSON has it: str, int, float or bool stay; numpy scalars unwrap; sets join."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    return _display(value)


def _display(value: Any) -> str:
    """A value as text: a multi_choice set as its options, comma-separated."""
    if isinstance(value, (frozenset, set)):
        return ", ".join(sorted(map(str, value))) if value else "(none)"
    return str(_plain(value))


# -- CSV ------------------------------------------------------------------------------


def gaps_csv(report: dict[str, Any], *, include_contributors: bool = True) -> str:
    """The report as CSV: per table a row naming it, a header row, its rows, then a blank row.

    ``include_contributors=False`` leaves the contributors table out (for a
    client). Text cells that a spreadsheet would run as a formula (starting with
    = + - @) get a leading apostrophe.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")

    def section(title: str, header: Sequence[str], rows: list[Sequence[Any]]) -> None:
        writer.writerow([_cell(title)])
        writer.writerow([_cell(name) for name in header])
        writer.writerows([_cell(value) for value in row] for row in rows)
        writer.writerow([])

    summary = report.get("summary", {})
    section("Summary", ["section", "sentence"], [[name, text] for name, text in summary.items()])
    section(
        "Fields",
        ["field", "level", "included", "answers", "items", "agreement"],
        [[f["field"], f["level"], f["included"], f["answers"], f["items"], f["agreement"]] for f in report["fields"]],
    )
    section(
        "Confused label pairs",
        ["field", "a", "b", "count", "share"],
        [[p["field"], p["a"], p["b"], p["count"], p["share"]] for p in report["confusion"]],
    )
    for name, matrix in report["matrices"].items():
        section(
            f"Confusion matrix: {name}",
            ["label", *map(str, matrix["labels"])],
            [[label, *row] for label, row in zip(matrix["labels"], matrix["counts"])],
        )
    section(
        "Item groups with the lowest agreement",
        ["key", "value", "items", "agreement"],
        [[g["key"], g["value"], g["items"], g["agreement"]] for g in report["groups"]],
    )
    section(
        "Most disputed items",
        ["item", "label", "answers", "agreement", "values"],
        [
            [row["item"], row["label"], row["answers"], row["agreement"], _values_text(row["values"])]
            for row in report["disputed_items"]
        ],
    )
    if include_contributors:
        section(
            "Contributors least in agreement with the consensus",
            ["annotator", "answers", "agreement_with_consensus"],
            [[c["annotator"], c["answers"], c["agreement_with_consensus"]] for c in report["contributors"]],
        )
    section(
        "Agreement over time",
        ["period", "items", "agreement"],
        [[t["period"], t["items"], t["agreement"]] for t in report["trend"]],
    )
    # Position bias (app/agreement/position_bias.py): fields shown in pairs as left and right, as
    # always; fields showing more candidates by the first shown against its chance.
    bias = report.get("position_bias") or []
    if pairs := [p for p in bias if p.get("left_wins") is not None]:
        section(
            "Position bias: how often the left response wins",
            ["field", "decisive", "left_wins", "right_wins", "left_rate", "low", "high", "biased"],
            [[p["field"], p["decisive"], p["left_wins"], p["right_wins"], p["left_rate"], p["low"], p["high"],
              p["biased"]] for p in pairs],
        )
    if more := [p for p in bias if p.get("left_wins") is None]:
        section(
            "Position bias: how often the candidate shown first wins",
            ["field", "decisive", "first_wins", "first_rate", "chance_rate", "low", "high", "biased", "most_shown"],
            [[p["field"], p["decisive"], p["first_wins"], p["first_rate"], p["chance_rate"], p["low"], p["high"],
              p["biased"], p["most_shown"]] for p in more],
        )
    return out.getvalue()


def _values_text(values: dict[str, dict[str, int]]) -> str:
    return "; ".join(
        f"{field}: " + ", ".join(f"{value} {count}" for value, count in counts.items())
        for field, counts in values.items()
    )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, (bool, int)):
        return value
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
