"""Agreement statistics and label aggregation at scale, in process (no server, no database).

Synthetic crowd: ``--items`` items (100k), each answered by ``--per-item`` (3)
distinct annotators drawn from ``--annotators`` (15), each annotator with an
accuracy between 0.55 and 0.95. One field per level of measurement:

* nominal: 5 labels; ordinal: ratings 1-5 (errors are +-1 or +-2);
* interval: numbers with Gaussian noise, rounded to 0.1 (tens of thousands of
  distinct values); ratio: positive log-normal amounts;
* set: subsets of 8 options (an error drops or adds an option);
* text: short phrases, an error adds a typo.

Times ``field_agreement`` for each level (best of ``--repeat``), majority vote
plus Dawid-Skene on the nominal field, and the guideline-gap report on the
nominal field and on nominal plus ordinal (answers spread over 30 days, items
with a 12-value category, a unique id and a text excerpt as metadata), and
prints a table. The target is under 2 s for the whole per-field result.
Building the triples is not timed: in the platform they come out of a database
query.

    .venv/bin/python -m bench.agreement_stats [--items 100000] [--annotators 15]
"""

from __future__ import annotations

import argparse
import string
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.agreement.aggregation import dawid_skene, majority_vote  # noqa: E402
from app.agreement.gaps import AnswerRow, ItemInfo, guideline_gaps  # noqa: E402
from app.agreement.statistics import field_agreement  # noqa: E402

OPTIONS = [f"option-{index}" for index in range(8)]
WORDS = ["red", "car", "blue", "house", "small", "dog", "green", "tree", "old", "cat", "fast", "boat"]


def crowd(
    items: int, annotators: int, per_item: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which annotator answered which item (per_item distinct annotators each), and whether they erred."""
    chosen = np.argsort(rng.random((items, annotators)), axis=1)[:, :per_item]
    item = np.repeat(np.arange(items), per_item)
    annotator = chosen.ravel()
    accuracy = rng.uniform(0.55, 0.95, size=annotators)
    wrong = rng.random(item.size) > accuracy[annotator]
    return item, annotator, wrong


def field_values(level: str, item: np.ndarray, wrong: np.ndarray, rng: np.random.Generator) -> list[Any]:
    items = int(item.max()) + 1
    if level == "nominal":
        truth = rng.integers(0, 5, size=items)[item]
        value = np.where(wrong, (truth + rng.integers(1, 5, size=item.size)) % 5, truth)
        return [f"label-{v}" for v in value.tolist()]
    if level == "ordinal":
        truth = rng.integers(1, 6, size=items)[item]
        step = rng.choice([-2, -1, 1, 2], size=item.size)
        return np.clip(np.where(wrong, truth + step, truth), 1, 5).tolist()
    if level == "interval":
        truth = rng.normal(50, 20, size=items)[item]
        noise = rng.normal(0, np.where(wrong, 8.0, 0.5))
        return np.round(truth + noise, 1).tolist()
    if level == "ratio":
        truth = rng.lognormal(3, 1, size=items)[item]
        return np.round(truth * rng.lognormal(0, np.where(wrong, 0.4, 0.02)), 2).tolist()
    if level == "set":
        truth = rng.random((items, len(OPTIONS))) < 0.3
        chosen = truth[item].copy()
        flip = rng.integers(0, len(OPTIONS), size=item.size)
        chosen[np.flatnonzero(wrong), flip[wrong]] ^= True
        return [[OPTIONS[o] for o in np.flatnonzero(row)] for row in chosen]
    if level == "text":
        phrase = rng.integers(0, len(WORDS), size=(items, 3))
        texts = [" ".join(WORDS[w] for w in row) for row in phrase.tolist()]
        letters = rng.choice(list(string.ascii_lowercase), size=item.size)
        positions = rng.integers(0, 10, size=item.size)
        out = []
        for text, erred, letter, at in zip((texts[i] for i in item.tolist()), wrong.tolist(), letters, positions):
            out.append(text[:at] + letter + text[at + 1 :] if erred else text)
        return out
    raise ValueError(level)


def best_time(action: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=15)
    parser.add_argument("--per-item", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    item, annotator, wrong = crowd(args.items, args.annotators, args.per_item, rng)
    annotator_keys = [f"annotator-{a:02d}" for a in annotator.tolist()]
    item_keys = item.tolist()
    print(
        f"{args.items} items x {args.per_item} answers, {args.annotators} annotators "
        f"({item.size} answers, {wrong.mean():.0%} wrong)"
    )
    print(f"{'what':<28}{'seconds':>9}  {'alpha':>7} {'fleiss':>7} {'ac1':>7} {'pct':>7} {'pairs':>6}  note")
    nominal_triples = None
    gap_triples = {}
    for level in ("nominal", "ordinal", "interval", "ratio", "set", "text"):
        triples = list(zip(item_keys, annotator_keys, field_values(level, item, wrong, rng)))
        if level == "nominal":
            nominal_triples = triples
        if level in ("nominal", "ordinal"):
            gap_triples[level] = triples
        seconds, report = best_time(lambda: field_agreement(triples, level), args.repeat)
        print(
            f"{'field_agreement ' + level:<28}{seconds:>9.3f}  {_fmt(report['krippendorff_alpha'])} "
            f"{_fmt(report['fleiss_kappa'])} {_fmt(report['gwet_ac1'])} {_fmt(report['percent_agreement'])} "
            f"{len(report['pairwise_cohen_kappa']):>6}  "
            f"{'alpha D_e sampled' if report['alpha_expected_disagreement_estimated'] else ''}"
        )
    seconds, labels = best_time(lambda: majority_vote(nominal_triples), args.repeat)
    print(f"{'majority_vote nominal':<28}{seconds:>9.3f}  {len(labels)} labels")
    seconds, result = best_time(lambda: dawid_skene(nominal_triples), args.repeat)
    print(
        f"{'dawid_skene nominal':<28}{seconds:>9.3f}  {len(result.labels)} labels, "
        f"{result.iterations} iterations, converged={result.converged}"
    )
    gap_fields, items = gap_input(gap_triples, args.items, rng)
    for what, names in (("1 field", ["nominal"]), ("2 fields", ["nominal", "ordinal"])):
        chosen = {name: gap_fields[name] for name in names}
        seconds, report = best_time(lambda: guideline_gaps(chosen, items), args.repeat)
        print(
            f"{'guideline_gaps ' + what:<28}{seconds:>9.3f}  {report['overall']['items']} items, "
            f"{len(report['trend'])} days, {len(report['groups'])} groups"
        )


def gap_input(
    triples: dict[str, list[tuple]], items: int, rng: np.random.Generator
) -> tuple[dict[str, tuple[str, list[AnswerRow]]], dict[int, ItemInfo]]:
    """The guideline-gap report's input: answers dated over 30 days, items with metadata."""
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    some = next(iter(triples.values()))
    minutes = rng.integers(0, 60 * 24 * 30, size=len(some)).tolist()
    times = [start + timedelta(minutes=minute) for minute in minutes]
    fields = {
        level: (level, [AnswerRow(item, annotator, value, at) for (item, annotator, value), at in zip(rows, times)])
        for level, rows in triples.items()
    }
    categories = [f"category-{c}" for c in range(12)]
    infos = {
        key: ItemInfo(key, f"item {key}", {"category": categories[key % 12], "id": f"ext-{key}", "text": f"text {key}"})
        for key in range(items)
    }
    return fields, infos


def _fmt(value: float | None) -> str:
    return f"{'-':>7}" if value is None else f"{value:>7.3f}"


if __name__ == "__main__":
    main()
