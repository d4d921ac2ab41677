"""Streamed preference pairs for DPO and reward models: ``{prompt, chosen, rejected}``.

Which fields. Every answer field whose component lists "preference" in its ``exports``
(pairwise, ranking); each says which pairs of candidates an answer judges and how
(``Component.preference_votes``), so no field type is named here.

Which label. Per item, field and pair of candidates, the outcome most of the item's
answers give (majority over annotators, as the JSONL export's labels): the preferred
candidate, "tie" or "both_bad". Answers are read as reviewers left them (their edits win),
without answers review rejected or a fix replaced; a specialist's adjudication, when it
answers the field, is the label (confidence 1). ``confidence`` is the majority's share of
the answers judging that pair, ``answers`` their number. No majority (two outcomes equally
often) gives no line; "both_bad" never does (nothing was chosen). Ties follow ``ties``:
``skip`` (the default) leaves them out, ``both`` writes the pair in both directions, each
with ``"tie": true``. Gold items are not exported.

The prompt. The nearest display part *before* the field's responses part that gives a
prompt (``DisplayPart.as_prompt``: a prompt_response's prompt, a text, or a chat as a
message list), else ``null``. When the prompt is a message list, ``chosen`` and
``rejected`` are message lists too (``[{"role": "assistant", "content": ...}]``), the
conversational format preference trainers take; otherwise plain texts.

Memory. Items are read a page at a time by id (keyset), each page with its answers in
one short transaction, and every label is decided within its item, so nothing grows with
the project: memory is one page's, whatever the size.
"""

from __future__ import annotations

from typing import Any, AsyncIterator

import msgspec
from sqlalchemy import Text, cast, select

from app.db import Database
from app.export.paging import GIVEN_ANSWERS, production_pages
from app.items.models import Item
from app.projects.models import Project
from app.projects.service import interface_of
from app.work.models import ADJUDICATE, Annotation, ReviewStatus
from components.base import Component, Interface

PAGE = 1000
TIE_POLICIES = ("skip", "both")
#: Answers that vote: contributors' own (first answers and fixes), imported ones, and adjudications.
_DROPPED = (ReviewStatus.rejected, ReviewStatus.revised)


def preference_fields(interface: Interface) -> list[Component]:
    return [c for c in interface.components if "preference" in c.exports and c.target]


def prompt_part(interface: Interface, component: Component) -> list:
    """The display parts before the field's target, nearest first (the first that gives a prompt wins)."""
    before = interface.parts[:interface.parts.index(interface.parts_by_name[component.target])]
    return [part for part in reversed(before) if part.kind == "display"]


async def export_preference(db: Database, project_id: int, *, ties: str = "skip",
                            page_size: int = PAGE) -> AsyncIterator[bytes]:
    if ties not in TIE_POLICIES:
        raise ValueError(f"ties must be one of {TIE_POLICIES}")
    async with db.transaction() as session:
        project = await session.get(Project, project_id)
    interface = interface_of(project)
    fields = preference_fields(interface)
    if not fields:
        return
    prompts = {component.name: prompt_part(interface, component) for component in fields}

    def voting(item_ids: list[int]):
        return (select(Annotation.item_id, Annotation.stage, _as_text(Annotation.answer),
                       _as_text(Annotation.reviewed_answer))
                .where(Annotation.item_id.in_(item_ids), GIVEN_ANSWERS, Annotation.review_status.not_in(_DROPPED))
                .order_by(Annotation.id))

    async for items, rows in production_pages(db, project_id, (Item.id, Item.external_id, _as_text(Item.data)),
                                              voting, page_size):
        answers: dict[int, list[tuple[bool, dict[str, Any]]]] = {}
        for item_id, stage, answer, reviewed in rows:
            answers.setdefault(item_id, []).append((stage == ADJUDICATE, _decode(reviewed or answer or "{}")))
        lines = []
        for item_id, external_id, data in items:
            for component in fields:
                lines.extend(_lines(interface, component, item_id, external_id, _decode(data or "{}"),
                                    answers.get(item_id, []), ties, prompts[component.name]))
        if lines:  # msgspec (Litestar's own JSON library): ~5x json.dumps on these lines, UTF-8 as is
            yield b"\n".join(map(_encode, lines)) + b"\n"

def _lines(interface: Interface, component: Component, item_id: int, external_id: str | None,
           data: dict[str, Any], answers: list[tuple[bool, dict[str, Any]]], ties: str,
           prompt_parts: list | None = None) -> list[dict[str, Any]]:
    labels = pair_labels(component, answers)
    if not labels:
        return []
    texts = {c["id"]: c["content"] for c in interface.parts_by_name[component.target].resolve(data) or []}
    parts = prompt_part(interface, component) if prompt_parts is None else prompt_parts
    prompt = next((p for part in parts if (p := part.as_prompt(data)) is not None), None)
    as_messages = isinstance(prompt, list)

    def say(candidate: str) -> Any:
        text = texts.get(candidate, "")
        return [{"role": "assistant", "content": text}] if as_messages else text

    out = []
    for (a, b), (outcome, confidence, count) in labels.items():
        if outcome == "tie":
            if ties == "skip":
                continue
            directions = [(a, b), (b, a)]
        elif outcome in (a, b):
            directions = [(outcome, b if outcome == a else a)]
        else:  # both_bad: nothing was chosen
            continue
        for chosen, rejected in directions:
            out.append({"prompt": prompt, "chosen": say(chosen), "rejected": say(rejected),
                        "chosen_id": chosen, "rejected_id": rejected, "tie": outcome == "tie",
                        "confidence": confidence, "answers": count,
                        "item_id": item_id, "external_id": external_id, "field": component.name})
    return out


def pair_labels(component: Component, answers: list[tuple[bool, dict[str, Any]]]
                ) -> dict[tuple[str, str], tuple[str, float, int]]:
    """Per pair of candidates (sorted ids): (outcome, confidence, answers judging it). An
    adjudication that answers the field decides alone; else the majority, none on an even split."""
    adjudicated = [answer[component.name] for is_adjudication, answer in answers
                   if is_adjudication and answer.get(component.name) is not None]
    if adjudicated:
        return {_key(a, b): (outcome, 1.0, 1) for a, b, outcome in component.preference_votes(adjudicated[-1])}
    votes: dict[tuple[str, str], dict[str, int]] = {}
    name = component.name
    for is_adjudication, answer in answers:
        value = answer.get(name)
        if is_adjudication or value is None:
            continue
        for a, b, outcome in component.preference_votes(value):
            counted = votes.setdefault((a, b) if a <= b else (b, a), {})
            counted[outcome] = counted.get(outcome, 0) + 1
    labels = {}
    for pair, counted in votes.items():
        if len(counted) == 1:  # the usual case: everyone agrees
            (outcome, top), = counted.items()
            labels[pair] = (outcome, 1.0, top)
            continue
        ranked = sorted(counted.items(), key=lambda entry: -entry[1])
        if ranked[0][1] == ranked[1][1]:
            continue  # no majority
        total = sum(counted.values())
        labels[pair] = (ranked[0][0], round(ranked[0][1] / total, 4), total)
    return labels


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _as_text(column):
    """A JSON column read as its text and decoded by msgspec: 2-3x faster than the driver's json.loads."""
    return cast(column, Text)


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)
