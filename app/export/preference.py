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
one short transaction (app/export/paging.py), and every label is decided within its item, so
nothing grows with the project: memory is two pages' (the next is read while this one is
written), whatever the size.

Speed. What is the same for every item (the fields, their target parts, the parts that may
give the prompt) is worked out once per export (``_Field``); per item the data and answers
are decoded once with msgspec and each line is encoded from a msgspec Struct.
"""

from __future__ import annotations

from typing import Any, AsyncIterator

import msgspec
from sqlalchemy import select

from app.db import Database
from app.export.paging import GIVEN_ANSWERS, as_text, production_pages
from app.items.models import Item
from app.projects.models import Project
from app.projects.service import interface_of
from app.work.models import ADJUDICATE, Annotation, ReviewStatus
from components.base import Component, Interface

PAGE = 1000
TIE_POLICIES = ("skip", "both")
#: Answers review rejected, or a fix replaced, do not vote.
_DROPPED = (ReviewStatus.rejected, ReviewStatus.revised)


def preference_fields(interface: Interface) -> list[Component]:
    return [c for c in interface.components if "preference" in c.exports and c.target]


def prompt_part(interface: Interface, component: Component) -> list:
    """The display parts before the field's target, nearest first (the first that gives a prompt wins)."""
    before = interface.parts[:interface.parts.index(interface.parts_by_name[component.target])]
    return [part for part in reversed(before) if part.kind == "display"]


class _Field:
    """One preference field as the export needs it, worked out once per export: its target (whose
    candidates give the texts) and the display parts that may give the prompt."""

    __slots__ = ("component", "name", "target", "prompt_parts")

    def __init__(self, interface: Interface, component: Component):
        self.component = component
        self.name = component.name
        self.target = interface.parts_by_name[component.target]
        self.prompt_parts = prompt_part(interface, component)

    def prompt(self, data: dict[str, Any]) -> Any:
        return next((p for part in self.prompt_parts if (p := part.as_prompt(data)) is not None), None)

    def texts(self, data: dict[str, Any]) -> dict[str, str]:
        return {c["id"]: c["content"] for c in self.target.resolve(data) or []}


async def export_preference(db: Database, project_id: int, *, ties: str = "skip",
                            page_size: int = PAGE) -> AsyncIterator[bytes]:
    if ties not in TIE_POLICIES:
        raise ValueError(f"ties must be one of {TIE_POLICIES}")
    async with db.transaction() as session:
        project = await session.get(Project, project_id)
    interface = interface_of(project)
    fields = [_Field(interface, component) for component in preference_fields(interface)]
    if not fields:
        return
    voting = (select(Annotation.item_id, Annotation.stage, as_text(Annotation.answer),
                     as_text(Annotation.reviewed_answer))
              .where(GIVEN_ANSWERS, Annotation.review_status.not_in(_DROPPED)))
    async for items, answers_by_item in production_pages(db, project_id, (Item.id, Item.external_id,
                                                                           as_text(Item.data)), voting, page_size):
        lines = page_lines(fields, items, answers_by_item, ties)
        if lines:  # msgspec (Litestar's own JSON library): ~5x json.dumps on these lines, UTF-8 as is
            lines.append(b"")
            yield b"\n".join(lines)


def page_lines(fields: list[_Field], items: list, answers_by_item: dict[int, list], ties: str) -> list[bytes]:
    """A page's lines, encoded: per item (id, external id, data as JSON text) and field."""
    decode = _decode
    lines: list[bytes] = []
    for item_id, external_id, data in items:
        rows = answers_by_item.get(item_id)
        if not rows:
            continue  # nothing voted: no label, no line
        answers = [(stage == ADJUDICATE, decode(reviewed or answer or "{}")) for _, stage, answer, reviewed in rows]
        item_data = None
        for field in fields:
            labels = pair_labels(field.component, answers)
            if not labels:
                continue
            if item_data is None:
                item_data = decode(data or "{}")
            lines.extend(_item_lines(field, labels, item_id, external_id, item_data, ties))
    return lines


def _item_lines(field: _Field, labels: dict[tuple[str, str], tuple[str, float, int]], item_id: int,
                external_id: str | None, data: dict[str, Any], ties: str) -> list[bytes]:
    texts = field.texts(data)
    prompt = field.prompt(data)
    as_messages = isinstance(prompt, list)  # a chat prompt: the responses as assistant turns
    out = []
    for (a, b), (outcome, confidence, count) in labels.items():
        if outcome == "tie":
            if ties == "skip":
                continue
            directions = ((a, b), (b, a))
        elif outcome == a:
            directions = ((a, b),)
        elif outcome == b:
            directions = ((b, a),)
        else:  # both_bad: nothing was chosen
            continue
        for chosen, rejected in directions:
            chosen_text, rejected_text = texts.get(chosen, ""), texts.get(rejected, "")
            if as_messages:
                chosen_text = [{"role": "assistant", "content": chosen_text}]
                rejected_text = [{"role": "assistant", "content": rejected_text}]
            out.append(_encode(_Line(prompt, chosen_text, rejected_text, chosen, rejected, outcome == "tie",
                                     confidence, count, item_id, external_id, field.name)))
    return out


class _Line(msgspec.Struct, array_like=False, omit_defaults=False):
    """One line, its keys in this order (msgspec encodes a Struct faster than the same dict)."""

    prompt: Any
    chosen: Any
    rejected: Any
    chosen_id: str
    rejected_id: str
    tie: bool
    confidence: float
    answers: int
    item_id: int
    external_id: str | None
    field: str


def pair_labels(component: Component, answers: list[tuple[bool, dict[str, Any]]]
                ) -> dict[tuple[str, str], tuple[str, float, int]]:
    """Per pair of candidates (sorted ids): (outcome, confidence, answers judging it). An
    adjudication that answers the field decides alone; else the majority, none on an even split."""
    name = component.name
    votes_of = component.preference_votes
    adjudicated = None
    votes: dict[tuple[str, str], dict[str, int]] = {}
    for is_adjudication, answer in answers:
        value = answer.get(name)
        if value is None:
            continue
        if is_adjudication:
            adjudicated = value  # the last one decides
            continue
        for a, b, outcome in votes_of(value):
            pair = (a, b) if a <= b else (b, a)
            counted = votes.get(pair)
            if counted is None:
                votes[pair] = {outcome: 1}
            else:
                counted[outcome] = counted.get(outcome, 0) + 1
    if adjudicated is not None:
        return {_key(a, b): (outcome, 1.0, 1) for a, b, outcome in votes_of(adjudicated)}
    labels = {}
    for pair, counted in votes.items():
        if len(counted) == 1:  # the usual case: everyone agrees
            (outcome, top), = counted.items()
            labels[pair] = (outcome, 1.0, top)
            continue
        if len(counted) == 2:  # the next most usual: one dissent
            (first, n_first), (second, n_second) = counted.items()
            if n_first != n_second:
                total = n_first + n_second
                labels[pair] = (first, round(n_first / total, 4), total) if n_first > n_second else \
                    (second, round(n_second / total, 4), total)
            continue
        ranked = sorted(counted.items(), key=lambda entry: -entry[1])
        if ranked[0][1] == ranked[1][1]:
            continue  # no majority
        total = sum(counted.values())
        labels[pair] = (ranked[0][0], round(ranked[0][1] / total, 4), total)
    return labels


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)
