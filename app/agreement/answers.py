"""Answers for one field, coded as integer arrays so every statistic is vectorised.

The statistics take ``(item_key, annotator_key, value)`` triples because that is
what a query over submissions naturally yields. Coding them here takes a few
C-level passes over the columns (dict and map, no Python loop body per answer);
everything after works on numpy arrays:

* ``item``, ``annotator``, ``value``: one entry per answer, sorted by item and
  then annotator, so the answers of one item are contiguous;
* ``values``: the distinct (normalised) values, indexed by value code, in a
  deterministic order: the given category order, else sorted;
* ``annotator_keys`` are coded in sorted order, so a pair of annotator codes
  ``a < b`` always names the pair "a|b" with its keys sorted.

A ``None`` value is a missing answer and is dropped. When one annotator answered
the same item twice, the later triple wins.

Structured answers (spans, rankings) are told apart by their canonical JSON text (keys
sorted), encoded by msgspec (a dependency of Litestar), which is several times faster
than ``json.dumps``; ``decoded`` keeps one answer as given per value code, so a
component's distance reads the answers without decoding the texts again.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import msgspec
import numpy as np

LEVELS = ("nominal", "ordinal", "interval", "ratio", "set", "text", "structured")
NUMERIC_LEVELS = ("interval", "ratio")
LEVEL_ALIASES = {"distance": "text"}
"""The text component declares its level as "distance" (components/text); same thing."""

Triple = tuple[Hashable, Hashable, Any]


@dataclass(frozen=True)
class CodedAnswers:
    level: str
    item: np.ndarray
    annotator: np.ndarray
    value: np.ndarray
    item_keys: list[Hashable]
    annotator_keys: list[Hashable]
    values: list[Any]
    numbers: np.ndarray | None = None
    """For interval and ratio: the number of each value code."""
    decoded: list[Any] | None = None
    """For structured: one answer as given for each value code (``values`` holds its canonical text)."""

    @property
    def answer_count(self) -> int:
        return int(self.item.size)

    @property
    def item_count(self) -> int:
        return len(self.item_keys)

    @property
    def annotator_count(self) -> int:
        return len(self.annotator_keys)

    @property
    def value_count(self) -> int:
        return len(self.values)

    def answers_per_item(self) -> np.ndarray:
        return np.bincount(self.item, minlength=self.item_count)


def normalise_text(value: Any) -> str:
    """Free text compared case-insensitively with runs of whitespace collapsed."""
    return " ".join(str(value).split()).casefold()


def normalise_set(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(str(option) for option in value)


_encode_sorted = msgspec.json.Encoder(order="sorted").encode


def normalise_structured(value: Any) -> str:
    """A JSON-like answer (spans, a ranking) as its canonical text: equal answers, one code.
    Compact, keys sorted, non-ASCII kept as it is (as ``json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)``, which is the fallback for what msgspec
    cannot encode, such as a dict with keys that are not text)."""
    try:
        return _encode_sorted(value).decode()
    except (TypeError, msgspec.EncodeError):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _normaliser(level: str):
    """How a raw answer becomes a comparable value; None when it already is one."""
    if level == "structured":
        return normalise_structured
    if level in NUMERIC_LEVELS:
        return float
    if level == "set":
        return normalise_set
    if level == "text":
        return normalise_text
    return None


def _unchanged(value: Any) -> Any:
    return value


def _sort_key(level: str):
    if level == "set":
        return lambda value: (len(value), sorted(value))
    return lambda value: (type(value).__name__, value)


def code_answers(
    triples: Iterable[Triple],
    level: str,
    categories: Sequence[Any] | None = None,
) -> CodedAnswers:
    """Code the triples of one field at its level of measurement.

    ``categories`` fixes the order of the values (needed for an ordinal field whose
    values are words, and used by the weighted kappas and Gwet's AC1, which count
    categories nobody chose); a value outside it raises ``ValueError``.
    """
    level = LEVEL_ALIASES.get(level, level)
    if level not in LEVELS:
        raise ValueError(f"unknown level of measurement {level!r}; expected one of {LEVELS}")
    normalise = _normaliser(level)
    given: dict[str, Any] = {}
    if normalise is None:
        rows = [triple for triple in triples if triple[2] is not None]
    elif level == "structured":
        rows = [triple for triple in triples if triple[2] is not None]
        texts = list(map(normalise, map(itemgetter(2), rows)))
        given = dict(zip(texts, map(itemgetter(2), rows)))  # an answer of each text, as given
        rows = list(zip(map(itemgetter(0), rows), map(itemgetter(1), rows), texts))
    else:
        rows = [(item, annotator, normalise(raw)) for item, annotator, raw in triples if raw is not None]
    if level in NUMERIC_LEVELS:
        rows = [row for row in rows if row[2] == row[2]]  # NaN is missing, like None
    item_column, annotator_column, value_column = (list(map(itemgetter(column), rows)) for column in range(3))

    # Dict building and map() run in C: one pass per column, no Python loop per answer.
    item_index = {key: code for code, key in enumerate(dict.fromkeys(item_column))}
    annotator_index = {key: code for code, key in enumerate(dict.fromkeys(annotator_column))}
    known = [] if categories is None else list(dict.fromkeys(map(normalise or _unchanged, categories)))
    value_index = {key: code for code, key in enumerate(dict.fromkeys([*known, *value_column]))}
    if categories is not None and len(value_index) > len(known):
        unknown = list(value_index)[len(known):][:5]
        raise ValueError(f"values outside the given categories: {unknown!r}")
    items = list(map(item_index.__getitem__, item_column))
    annotators = list(map(annotator_index.__getitem__, annotator_column))
    values = list(map(value_index.__getitem__, value_column))

    distinct_values = list(value_index)
    if categories is not None:
        order = list(range(len(distinct_values)))
    elif level in NUMERIC_LEVELS:
        order = np.argsort(np.asarray(distinct_values, dtype=np.float64), kind="stable").tolist()
    else:
        sort_key = _sort_key(level)
        order = sorted(range(len(distinct_values)), key=lambda code: sort_key(distinct_values[code]))
    value_rank = np.empty(len(order), dtype=np.int64)
    value_rank[order] = np.arange(len(order))
    distinct_values = [distinct_values[code] for code in order]

    annotator_keys = list(annotator_index)
    annotator_order = sorted(range(len(annotator_keys)), key=lambda code: str(annotator_keys[code]))
    annotator_rank = np.empty(len(annotator_order), dtype=np.int64)
    annotator_rank[annotator_order] = np.arange(len(annotator_order))
    annotator_keys = [annotator_keys[code] for code in annotator_order]

    item = np.asarray(items, dtype=np.int64)
    annotator = annotator_rank[np.asarray(annotators, dtype=np.int64)] if annotators else np.zeros(0, np.int64)
    value = value_rank[np.asarray(values, dtype=np.int64)] if values else np.zeros(0, np.int64)

    # Sort by (item, annotator); for a repeated (item, annotator) keep the last triple.
    position = np.arange(item.size)
    order_by_answer = np.lexsort((position, annotator, item))
    item, annotator, value = item[order_by_answer], annotator[order_by_answer], value[order_by_answer]
    if item.size:
        last_of_pair = np.ones(item.size, dtype=bool)
        last_of_pair[:-1] = (item[1:] != item[:-1]) | (annotator[1:] != annotator[:-1])
        item, annotator, value = item[last_of_pair], annotator[last_of_pair], value[last_of_pair]

    numbers = np.asarray(distinct_values, dtype=np.float64) if level in NUMERIC_LEVELS else None
    return CodedAnswers(
        level=level,
        item=item,
        annotator=annotator,
        value=value,
        item_keys=list(item_index),
        annotator_keys=annotator_keys,
        values=distinct_values,
        numbers=numbers,
        decoded=[given[text] if text in given else json.loads(text) for text in distinct_values]
        if level == "structured" else None,
    )


def within_item_pairs(item: np.ndarray, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every unordered pair of answers to the same item, vectorised.

    ``item`` must be sorted (answers of one item contiguous). ``keep`` optionally
    masks answers out. Returns ``(first, second, answers_in_item)`` where ``first``
    and ``second`` index the answers (``first < second``, so with answers sorted by
    annotator, ``annotator[first] < annotator[second]``) and ``answers_in_item`` is
    the number of kept answers of the pair's item.
    """
    index = np.arange(item.size) if keep is None else np.flatnonzero(keep)
    kept_item = item[index]
    if kept_item.size < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    starts = np.flatnonzero(np.r_[True, kept_item[1:] != kept_item[:-1]])
    sizes = np.diff(np.r_[starts, kept_item.size])
    size_of = np.repeat(sizes, sizes)
    start_of = np.repeat(starts, sizes)
    position_in_item = np.arange(kept_item.size) - start_of
    # Answer at position p pairs with the (size - 1 - p) answers after it.
    partners = size_of - 1 - position_in_item
    first_local = np.repeat(np.arange(kept_item.size), partners)
    pair_start = np.repeat(np.cumsum(partners) - partners, partners)
    second_local = first_local + 1 + (np.arange(first_local.size) - pair_start)
    return index[first_local], index[second_local], size_of[first_local]
