"""A claims field's aggregated label in the JSONL export: the claims most answers marked, each
with the verdict most of them gave.

Shape (``Claims.export_label``)::

    {"claims": [{"start": 0, "end": 24, "text": "Paris is in Germany", "verdict": "contradicted",
                 "severity": "major", "votes": {"contradicted": 2, "unverifiable": 1},
                 "answers": 3, "agreement": 0.6667}]}

Matching. Answers are taken oldest first; each claim joins the group whose first claim it overlaps
most, at an IoU of at least the field's ``iou_threshold`` (the gold score's and agreement's
threshold), one claim per answer in a group; otherwise it starts a group. Whatever the verdicts: a
group is one stretch of text the answers judged.

The label. A group is a claim of the label when at least half of the field's answers marked it.
Its place is the span its answers marked most often (the earliest on a tie), its ``verdict`` the
one most of them gave (null on a tie between the top verdicts), its ``severity`` the most common
one given with that verdict (the more severe on a tie; null when none was), ``votes`` every verdict
given, ``answers`` how many answers marked it, ``agreement`` the share of all the field's answers
that gave the label's verdict there. The field's confidence is the lowest agreement over the
label's claims; with none, the share of answers that marked no claim at all.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence


def claims_label(values: list[Any], marks, threshold: float, severities: Sequence[str]
                 ) -> tuple[dict[str, Any], float] | None:
    answers = [[claim for claim in marks(value) if _placed(claim)] for value in values if value is not None]
    if not answers:
        return None
    groups: list[list[Mapping[str, Any]]] = []
    for claims in answers:
        taken: set[int] = set()
        for claim in claims:
            best, best_iou = None, threshold
            for index, group in enumerate(groups):
                if index in taken:
                    continue
                overlap = _iou(group[0], claim)
                if overlap >= best_iou and (best is None or overlap > best_iou):
                    best, best_iou = index, overlap
            if best is None:
                groups.append([claim])
                taken.add(len(groups) - 1)
            else:
                groups[best].append(claim)
                taken.add(best)
    total = len(answers)
    label = [_claim(group, total, severities) for group in groups if 2 * len(group) >= total]
    label.sort(key=lambda claim: (claim["start"], claim["end"]))
    if label:
        confidence = min(claim["agreement"] for claim in label)
    else:
        confidence = round(sum(1 for claims in answers if not claims) / total, 4)
    return {"claims": label}, confidence


def _claim(group: list[Mapping[str, Any]], total: int, severities: Sequence[str]) -> dict[str, Any]:
    places: dict[tuple[int, int], int] = {}
    texts: dict[tuple[int, int], Any] = {}
    votes: dict[str, int] = {}
    for claim in group:
        place = (claim["start"], claim["end"])
        places[place] = places.get(place, 0) + 1
        texts.setdefault(place, claim.get("text"))
        verdict = claim.get("verdict")
        if isinstance(verdict, str):
            votes[verdict] = votes.get(verdict, 0) + 1
    place = max(places, key=places.__getitem__)  # the first of the most marked: max keeps the first
    ranked = sorted(votes.items(), key=lambda entry: -entry[1])
    verdict = ranked[0][0] if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]) else None
    severity = None
    if verdict is not None:
        given = [claim.get("severity") for claim in group if claim.get("verdict") == verdict]
        counted: dict[str, int] = {}
        for name in given:
            if isinstance(name, str):
                counted[name] = counted.get(name, 0) + 1
        if counted:
            rank = {name: position for position, name in enumerate(severities)}
            severity = max(counted, key=lambda name: (counted[name], rank.get(name, -1)))
    entry: dict[str, Any] = {"start": place[0], "end": place[1]}
    if texts.get(place) is not None:
        entry["text"] = texts[place]
    entry.update(verdict=verdict, severity=severity, votes=votes, answers=len(group),
                 agreement=round(votes.get(verdict, 0) / total, 4) if verdict is not None else 0.0)
    return entry


def _placed(claim: Any) -> bool:
    return (isinstance(claim, Mapping) and isinstance(claim.get("start"), int)
            and isinstance(claim.get("end"), int) and claim["end"] > claim["start"])


def _iou(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    overlap = min(a["end"], b["end"]) - max(a["start"], b["start"])
    if overlap <= 0:
        return 0.0
    return overlap / (max(a["end"], b["end"]) - min(a["start"], b["start"]))
