"""Character spans on a shown text, shared by the ``spans`` and ``claims`` components.

Offsets are Python ``str`` indices (code points) into the text the target display part shows
(``TextDisplay``: the text; ``PromptResponse``: its response, ``text_of``): ``start`` inclusive,
``end`` exclusive, so ``text[start:end]`` is the span. The browser widget maps its selection to
the same code-point offsets. Each span's ``text`` is filled in here from the offsets (a ``text``
sent along must equal it), so stored answers always quote what was marked.

Matching (gold score and agreement): two spans are *candidates* when their keys agree (the label
for ``spans``, the verdict for ``claims``) and their intersection over union (IoU, on characters)
is at least the field's threshold. Matching is **greedy one-to-one**: candidate pairs are taken
in order of decreasing IoU (ties: earlier spans first), each span used once. When the threshold is
above 0.5 and neither side overlaps itself, a span has at most one candidate, so greedy equals
the optimal (maximum) matching; below that it may match fewer pairs than the optimum.

* ``f1``: matched-span F1 = 2·matches / (|answer| + |gold|); two empty sets agree (1.0).
* ``distance``: for Krippendorff's alpha over unitised (span) answers, 1 − soft F1, where each
  match counts its IoU instead of 1: 1 − 2·ΣIoU / (|a| + |b|). It is 0 only for identical span
  sets, 1 when nothing matches (or exactly one side is empty). This is the distance-based alpha for
  multi-object annotations with a per-pair 1 − F1-style distance, as studied for text sequence
  tagging by Braylan, Alonso & Lease, "Measuring Annotator Agreement Generally across Complex
  Structured, Multi-object, and Free-text Annotation Tasks", WWW '22, pp. 1720–1730
  (arXiv:2212.09503); the IoU weighting keeps near misses from counting as total disagreement.

Speed: spans are kept sorted by (start, end); candidate pairs come from one sweep over both sorted
lists (O(n + m + candidates)), never the n x m grid. Agreement compares hundreds of thousands of
sampled answer pairs, so ``SpanDistance.batch`` gives ``app.agreement.distances.structured_delta``
the same distance vectorised over value codes (numpy), falling back to the sweep for the pairs
that need the greedy choice.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

from components._checks import plural
from components.base import AnswerError, AnswerContext, ConfigError

#: Most spans one answer may hold, whatever the config says (bounds validation and matching work).
MAX_SPANS = 2000
DEFAULT_IOU = 0.5
SPAN_KEYS = frozenset({"label", "start", "end", "text"})


# -- config ---------------------------------------------------------------------------------------
def config_threshold(config: Mapping[str, Any], key: str = "iou_threshold") -> float:
    """The IoU a span must reach to match (0 < t <= 1)."""
    value = config.get(key)
    if value is None:
        return DEFAULT_IOU
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ConfigError(f"{key} must be a number above 0 and at most 1")
    return float(value)


def config_count_range(config: Mapping[str, Any], noun: str) -> tuple[int, int | None]:
    """``min_<noun>`` and ``max_<noun>`` (whole numbers, min <= max <= MAX_SPANS)."""
    from components._checks import config_int

    low = config_int(config, f"min_{noun}", default=0, minimum=0)
    high = config_int(config, f"max_{noun}", minimum=1)
    if high is not None and high > MAX_SPANS:
        raise ConfigError(f"max_{noun} must be at most {MAX_SPANS}")
    if high is not None and low > high:
        raise ConfigError(f"min_{noun} must not be more than max_{noun}")
    return low, high


# -- the target text ------------------------------------------------------------------------------
def target_text(target: str | None, context: AnswerContext) -> str:
    """The text spans are marked on: what the target part shows, through its ``text_of`` when it
    shows more than a text (a prompt_response's response). Missing data is an empty text."""
    if target is None:
        return ""
    shown = context.shown(target)
    part = context.parts.get(target)
    text_of = getattr(part, "text_of", None)
    if text_of is not None and isinstance(shown, Mapping):
        shown = text_of(shown)
    return shown if isinstance(shown, str) else ""


# -- validation -----------------------------------------------------------------------------------
def _whole(value: Any, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise AnswerError(f"{where}: must be a whole number")
    return value


def check_offsets(span: Mapping[str, Any], where: str, text: str | None) -> tuple[int, int]:
    """``start``/``end`` of one span, inside ``text`` when it is known (None: shape only)."""
    if "start" not in span:
        raise AnswerError(f"{where}.start: is missing")
    if "end" not in span:
        raise AnswerError(f"{where}.end: is missing")
    start = _whole(span["start"], f"{where}.start")
    end = _whole(span["end"], f"{where}.end")
    if start < 0:
        raise AnswerError(f"{where}.start: must be at least 0")
    if text is not None and start >= len(text):
        raise AnswerError(f"{where}.start: beyond the text ({plural(len(text), 'character')})")
    if end <= start:
        raise AnswerError(f"{where}.end: must be after start ({start})")
    if text is not None and end > len(text):
        raise AnswerError(f"{where}.end: beyond the text ({plural(len(text), 'character')})")
    return start, end


def _line_ends_as_newline(text: str) -> str:
    """A quote compared whatever its line endings: a browser may send "\\n" where the text has "\\r\\n"
    (the stored quote is always the text's own, from the offsets)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_quote(span: Mapping[str, Any], where: str, text: str | None, start: int, end: int) -> str | None:
    """The span's text, from the offsets; a ``text`` sent along must say the same."""
    sent = span.get("text")
    if sent is not None and not isinstance(sent, str):
        raise AnswerError(f"{where}.text: must be text")
    if text is None:
        return sent
    quoted = text[start:end]
    if sent is not None and _line_ends_as_newline(sent) != _line_ends_as_newline(quoted):
        raise AnswerError(f"{where}.text: is not the text at {start}-{end}")
    return quoted


def check_list(value: Any, where: str, low: int, high: int | None, noun: str) -> list[Any]:
    if not isinstance(value, list):
        raise AnswerError(f"must be a list of {noun}s")
    limit = min(high, MAX_SPANS) if high is not None else MAX_SPANS
    if len(value) > limit:
        raise AnswerError(f"at most {plural(limit, noun)}")
    if len(value) < low:
        raise AnswerError(f"at least {plural(low, noun)}")
    return value


def check_unknown(span: Any, where: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if type(span) is not dict and not isinstance(span, Mapping):
        raise AnswerError(f"{where}: must be an object with {', '.join(sorted(allowed))}")
    if not span.keys() <= allowed:
        key = next(key for key in span if key not in allowed)
        raise AnswerError(f"{where}: unknown key {key!r}; a span takes {', '.join(sorted(allowed))}")
    return span


def check_no_overlap(spans: Sequence[tuple[int, int, int]], where: str) -> None:
    """``spans``: (start, end, position in the answer), sorted by start. Names the later span."""
    furthest_end, furthest = -1, -1
    for start, end, position in spans:
        if start < furthest_end:
            raise AnswerError(f"{where}[{position}]: overlaps {where}[{furthest}]; "
                              "this field does not allow overlapping spans")
        if end > furthest_end:
            furthest_end, furthest = end, position


def order_key(span: Mapping[str, Any]) -> tuple[int, int, str]:
    """Stored spans are sorted, so equal sets are equal answers (one code for agreement)."""
    return span["start"], span["end"], str(span.get("label") or span.get("verdict") or "")


# -- matching -------------------------------------------------------------------------------------
class Prepared:
    """One answer's spans for matching: grouped by key (spans of different keys never match, so
    each group is matched on its own, which gives the same result as matching all at once), each
    group as parallel lists sorted by (start, end) with ``reach[k]``, the furthest end among the
    first k + 1 spans (what lets the sweep skip spans that end before the current one starts)."""

    __slots__ = ("count", "groups")

    def __init__(self, spans: Iterable[tuple[int, int, Any]]):
        by_key: dict[Any, list[tuple[int, int]]] = {}
        count = 0
        for start, end, key in spans:
            by_key.setdefault(key, []).append((start, end))
            count += 1
        self.count = count
        self.groups: dict[Any, tuple[list[int], list[int], list[int]]] = {}
        for key, group in by_key.items():
            group.sort()
            starts = [s for s, _ in group]
            ends = [e for _, e in group]
            reach, furthest = [], -1
            for end in ends:
                furthest = end if end > furthest else furthest
                reach.append(furthest)
            self.groups[key] = (starts, ends, reach)

    def __len__(self) -> int:
        return self.count


def prepare(spans: Iterable[Mapping[str, Any]], key: str) -> Prepared:
    """The spans' (start, end, key) ready for matching; anything malformed is left out."""
    out = []
    for span in spans:
        if isinstance(span, dict):  # decoded JSON (an ABC check would cost more than the rest)
            start, end = span.get("start"), span.get("end")
            if type(start) is int and type(end) is int and end > start:
                out.append((start, end, span.get(key)))
    return Prepared(out)


def candidates(a: tuple[list[int], list[int], list[int]], b: tuple[list[int], list[int], list[int]],
               threshold: float) -> list[tuple[float, int, int]]:
    """(IoU, i, j) for every pair of one key's spans with IoU >= threshold, by one sweep over both
    sorted lists: B spans that end before every remaining A span starts are never looked at again
    (``lo`` moves on once the furthest end so far is behind)."""
    found: list[tuple[float, int, int]] = []
    b_starts, b_ends, b_reach = b
    m = len(b_starts)
    lo = 0
    for i, (s1, e1) in enumerate(zip(a[0], a[1])):
        while lo < m and b_reach[lo] <= s1:
            lo += 1
        j = lo
        while j < m:
            s2 = b_starts[j]
            if s2 >= e1:
                break
            e2 = b_ends[j]
            if e2 > s1:
                if e1 < e2:
                    inter, union = e1, e2
                else:
                    inter, union = e2, e1
                if s1 > s2:
                    inter, union = inter - s1, union - s2
                else:
                    inter, union = inter - s2, union - s1
                if inter >= threshold * union:
                    found.append((inter / union, i, j))
            j += 1
    return found


def _greedy(found: list[tuple[float, int, int]]) -> list[tuple[float, int, int]]:
    """Greedy one-to-one choice among candidate pairs (see the module docstring)."""
    if len(found) < 2:
        return found
    if len({c[1] for c in found}) == len(found) and len({c[2] for c in found}) == len(found):
        return found  # every span has at most one candidate: nothing to choose
    return best_first(found)


def best_first(found: list[tuple[float, int, int]]) -> list[tuple[float, int, int]]:
    """One-to-one pairs from candidates ``(overlap, i, j)``: the best first, each side used once
    (ties by position); spans here, shapes in components/_shapes.py."""
    found = sorted(found, key=lambda c: (-c[0], c[1], c[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    chosen = []
    for pair in found:
        if pair[1] not in used_a and pair[2] not in used_b:
            used_a.add(pair[1])
            used_b.add(pair[2])
            chosen.append(pair)
    return chosen


def matches(a: Prepared, b: Prepared, threshold: float) -> list[tuple[Any, float, int, int]]:
    """The matched pairs as (key, IoU, i, j), i and j counted within the key's spans."""
    out = []
    groups = b.groups
    for key, group in a.groups.items():
        other = groups.get(key)
        if other is not None:
            out.extend((key, *pair) for pair in _greedy(candidates(group, other, threshold)))
    return out


def _overlap(a: Prepared, b: Prepared, threshold: float, weighted: bool) -> float:
    total = 0.0
    groups = b.groups
    for key, group in a.groups.items():
        other = groups.get(key)
        if other is not None:
            chosen = _greedy(candidates(group, other, threshold))
            if weighted:
                for pair in chosen:
                    total += pair[0]
            else:
                total += len(chosen)
    return total


def f1(answer: Prepared, gold: Prepared, threshold: float) -> float:
    """Matched-span F1 of ``answer`` against ``gold`` (1.0 when both are empty)."""
    if not answer.count and not gold.count:
        return 1.0
    return 2 * _overlap(answer, gold, threshold, False) / (answer.count + gold.count)


def distance(a: Prepared, b: Prepared, threshold: float) -> float:
    """1 − soft F1 (IoU-weighted matches), in [0, 1]; see the module docstring."""
    if not a.count and not b.count:
        return 0.0
    if not a.count or not b.count:
        return 1.0
    overlap = _overlap(a, b, threshold, True)
    return max(0.0, min(1.0, 1.0 - 2 * overlap / (a.count + b.count)))


# -- vectorised distances for agreement -----------------------------------------------------------
#: Answers with more spans than this are compared one pair at a time (the padded arrays stay small).
BATCH_MAX_SPANS = 64
#: Padded comparisons (pairs x spans x spans) per numpy chunk: bounds the memory of one step.
BATCH_CELLS = 250_000


class SpanDistance:
    """A field's span distance: ``distance(a, b)`` on two stored answers, and ``batch(values)``, the
    same distance vectorised over value codes for ``app.agreement.distances.structured_delta``.

    The batch pads each answer's spans to one width and compares every pair's spans at once
    (numpy, chunked); a pair in which some span has two candidates (overlapping spans, or a
    threshold at or below 0.5) needs the greedy choice and is computed by ``distance``, as are
    answers with more than BATCH_MAX_SPANS spans. Both give the same numbers (the batch compares
    IoU with the threshold as a fraction of denominator at most 1000, exact for 0.5 or 0.75)."""

    def __init__(self, key: str, spans_of: Callable[[Any], Any], threshold: float):
        self.key, self.spans_of, self.threshold = key, spans_of, threshold

    def __call__(self, a: Any, b: Any) -> float:
        return distance(self.prepared(a), self.prepared(b), self.threshold)

    def prepared(self, value: Any) -> Prepared:
        spans = self.spans_of(value)
        return prepare(spans if isinstance(spans, list) else (), self.key)

    def batch(self, values: list[Any]) -> Callable[[Any, Any], Any]:
        import numpy as np
        from fractions import Fraction

        # One pass over the spans into flat lists (no per-answer objects: 30,000 answers x 20 spans
        # are read here), then sorted and laid out per answer by numpy.
        rows: list[int] = []
        flat_starts: list[int] = []
        flat_ends: list[int] = []
        flat_keys: list[int] = []
        codes: dict[Any, int] = {}
        key_name = self.key
        for row, value in enumerate(values):
            spans = self.spans_of(value)
            if type(spans) is not list:
                continue
            for span in spans:
                if type(span) is dict:
                    start, end = span.get("start"), span.get("end")
                    if type(start) is int and type(end) is int and end > start:
                        key = span.get(key_name)
                        code = codes.get(key)
                        if code is None:
                            code = codes[key] = len(codes)
                        rows.append(row)
                        flat_starts.append(start)
                        flat_ends.append(end)
                        flat_keys.append(code)
        count = len(values)
        row_of = np.array(rows, dtype=np.int64)
        counts = np.bincount(row_of, minlength=count).astype(np.int64)
        width = max(1, min(int(counts.max(initial=0)), BATCH_MAX_SPANS))
        # Each key gets its own stretch of the number line, so spans of different keys never overlap
        # and no key comparison is needed; padding sits below zero, A's and B's apart, overlapping nothing.
        stretch = 1 + max(flat_ends, default=0)
        shift = np.array(flat_keys, dtype=np.int64) * stretch
        s_all = np.array(flat_starts, dtype=np.int64) + shift
        e_all = np.array(flat_ends, dtype=np.int64) + shift
        order = np.lexsort((e_all, s_all, row_of))
        row_of, s_all, e_all = row_of[order], s_all[order], e_all[order]
        first = np.cumsum(counts) - counts
        column = np.arange(row_of.size) - first[row_of]
        # Overlaps inside an answer (same key): with starts sorted, some overlap means a neighbour's.
        same_row = row_of[1:] == row_of[:-1]
        overlapping = np.zeros(count, dtype=bool)
        overlapping[row_of[1:][same_row & (s_all[1:] < e_all[:-1])]] = True
        # IoU >= t as whole numbers: q * inter >= p * union, with t = p / q.
        ratio = Fraction(self.threshold).limit_denominator(1000)
        p_num, q_den = ratio.numerator, ratio.denominator
        small = stretch * max(len(codes), 1) * q_den < 2 ** 31  # int32 halves the memory traffic
        kind = np.int32 if small else np.int64
        starts = np.full((count, width), -4, dtype=kind)
        ends = np.full((count, width), -3, dtype=kind)
        fits = counts[row_of] <= width
        starts[row_of[fits], column[fits]] = s_all[fits]
        ends[row_of[fits], column[fits]] = e_all[fits]
        prepared: dict[int, Prepared] = {}

        def prepared_at(index: int) -> Prepared:
            found = prepared.get(index)
            if found is None:
                found = prepared[index] = self.prepared(values[index])
            return found

        b_starts, b_ends = np.where(starts == -4, -2, starts), np.where(ends == -3, -1, ends)
        # Above 0.5, and without overlaps inside an answer, a span has at most one candidate.
        always_single = self.threshold > 0.5
        chunk = max(1, BATCH_CELLS // (width * width))

        # Work arrays reused by every chunk (allocating them afresh costs as much as the arithmetic).
        buffers = [np.empty((chunk, width, width), dtype=kind) for _ in range(3)]
        flags = np.empty((chunk, width, width), dtype=bool)

        def delta(a: Any, b: Any) -> Any:
            out = np.empty(a.size, dtype=np.float64)
            one_by_one = (counts[a] > width) | (counts[b] > width)
            for low in range(0, a.size, chunk):
                ca, cb = a[low:low + chunk], b[low:low + chunk]
                sa, ea = starts[ca][:, :, None], ends[ca][:, :, None]
                sb, eb = b_starts[cb][:, None, :], b_ends[cb][:, None, :]
                inter, union, scratch = (buffer[:ca.size] for buffer in buffers)
                np.minimum(ea, eb, out=inter)
                np.maximum(sa, sb, out=scratch)
                inter -= scratch
                np.maximum(ea, eb, out=union)
                np.minimum(sa, sb, out=scratch)
                union -= scratch
                if q_den != 1:
                    inter *= q_den
                if p_num != 1:
                    union *= p_num
                matched = np.greater_equal(inter, union, out=flags[:ca.size])
                pair, i, j = np.nonzero(matched)
                full_a_s, full_a_e = starts[ca][pair, i], ends[ca][pair, i]
                full_b_s, full_b_e = b_starts[cb][pair, j], b_ends[cb][pair, j]
                iou = (np.minimum(full_a_e, full_b_e) - np.maximum(full_a_s, full_b_s)) / (
                    np.maximum(full_a_e, full_b_e) - np.minimum(full_a_s, full_b_s))
                overlap = np.bincount(pair, weights=iou, minlength=ca.size)
                total = counts[ca] + counts[cb]
                result = np.clip(1.0 - 2.0 * overlap / np.maximum(total, 1), 0.0, 1.0)
                out[low:low + chunk] = np.where(total == 0, 0.0, result)
                if pair.size:
                    maybe = overlapping[ca] | overlapping[cb]
                    if not always_single:
                        maybe[:] = True
                    if maybe.any():
                        rows = np.bincount(pair * width + i, minlength=ca.size * width).reshape(ca.size, width)
                        cols = np.bincount(pair * width + j, minlength=ca.size * width).reshape(ca.size, width)
                        one_by_one[low:low + chunk] |= maybe & ((rows > 1).any(axis=1) | (cols > 1).any(axis=1))
            for index in np.flatnonzero(one_by_one).tolist():
                i, j = int(a[index]), int(b[index])
                out[index] = 0.0 if i == j else distance(prepared_at(i), prepared_at(j), self.threshold)
            return out

        return delta
