"""Agreement for a project: read every independent answer once, compute off the event loop,
keep the result as a snapshot.

Which answers count: production items only (never gold), each annotator's latest
answer to an item (a fixed answer replaces the one it fixes), imported prior
annotations included (their annotator is the name they were imported with).
Answers as their annotators gave them: a reviewer's edit is not a second opinion.

The numbers take up to a few seconds for a large project, so they are never computed
inside a page render or a submit: ``refresh`` runs in a thread from a job (and when
the API is asked for numbers that are behind), and the board shows the snapshot.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreement.aggregation import dawid_skene, majority_vote, split_multi_choice
from app.agreement.gaps import AnswerRow, ItemInfo, compared_level, guideline_gaps
from app.agreement.models import AgreementSnapshot
from app.agreement.position_bias import with_position_bias
from app.agreement.statistics import CATEGORICAL_LEVELS, field_agreement
from app.db import Database
from app.events.service import record
from app.items.models import Item
from app.models_base import iso, utcnow
from app.prepared import driver_connection
from app.projects.models import Project
from app.projects.service import interface_of
from app.work.models import ANNOTATE, FIX, Annotation, ReviewStatus
from components.base import Interface, Measure

AGGREGATION_METHODS = ("majority", "dawid_skene")


@dataclass(frozen=True)
class Answers:
    """Every counted answer of a project: parallel lists, oldest first."""

    item_ids: list[int]
    annotators: list[str]
    answers: list[dict[str, Any]]
    answered_at: list[datetime]
    watermark: int

    def triples(self, measure: Measure) -> list[tuple[int, str, Any]]:
        value_in = measure.value_in
        return [(item, who, value_in(answer)) for item, who, answer in zip(self.item_ids, self.annotators, self.answers)]


def annotator_key(user_id: int | None, external: str | None) -> str:
    """Inkwell people by user id; imported annotators by the name they came with."""
    return str(user_id) if user_id is not None else f"import:{external or 'unknown'}"


#: Independent answers to production items: contributors' own (first answers and fixes) and imported ones.
COUNTED = or_(Annotation.stage.in_([ANNOTATE, FIX]), Annotation.source == "import")


#: Answers read per transaction: on SQLite one connection serves every request, so a long read
#: would hold up submits; short pages let them through in between.
PAGE = 20_000
ITEM_PAGE = 5_000
CURSOR_BATCH = 2_000


async def _rows(session: AsyncSession, query) -> list:
    """The rows of a query; on PostgreSQL straight from the driver: per row, SQLAlchemy's result
    processing cost more than the statistics themselves (a 100k-item project has 300k answers)."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return list(await session.execute(query))
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    raw = await driver_connection(session)  # a cursor needs the transaction open, which this sees to
    rows = []
    # A cursor, not one fetch: decoding 300k rows at once would hold the event loop for seconds;
    # between batches of CURSOR_BATCH rows every other request gets its turn.
    async for fetched in raw.cursor(str(compiled), *[compiled.params[name] for name in compiled.positiontup],
                                   prefetch=CURSOR_BATCH):
        rows.append(fetched)
    return rows


async def _fetch(session: AsyncSession, query) -> list[tuple]:
    return [(r[0], r[1], r[2], r[3], _json(r[4]), _json(r[5]), r[6]) for r in await _rows(session, query)]


def _json(value: Any) -> Any:
    """SQLAlchemy's asyncpg dialect installs JSON codecs on its connections; a bare one gives text."""
    return json.loads(value) if isinstance(value, str) else value


def _answers_query(project_id: int, for_labels: bool):
    query = (select(Annotation.id, Annotation.item_id, Annotation.user_id, Annotation.external_annotator,
                    Annotation.answer, Annotation.reviewed_answer, Annotation.created_at)
             .join(Item, Item.id == Annotation.item_id)
             .where(Annotation.project_id == project_id, ~Item.is_gold, COUNTED)
             .order_by(Annotation.id))
    if for_labels:
        query = query.where(Annotation.review_status.not_in([ReviewStatus.rejected, ReviewStatus.revised]))
    return query


class _Collector:
    def __init__(self, for_labels: bool):
        self.for_labels = for_labels
        self.item_ids: list[int] = []
        self.annotators: list[str] = []
        self.answers: list[dict[str, Any]] = []
        self.times: list[datetime] = []
        self.watermark = 0

    def take(self, rows) -> int:
        taken = 0
        for annotation_id, item_id, user_id, external, answer, reviewed, created_at in rows:
            self.item_ids.append(item_id)
            self.annotators.append(annotator_key(user_id, external))
            self.answers.append((reviewed if self.for_labels and reviewed else answer) or {})
            self.times.append(created_at)
            self.watermark, taken = annotation_id, taken + 1
        return taken

    def result(self) -> Answers:
        return Answers(self.item_ids, self.annotators, self.answers, self.times, self.watermark)


async def load_answers(session: AsyncSession, project_id: int, *, for_labels: bool = False) -> Answers:
    """The counted answers, in one read. ``for_labels``: the answers a dataset's labels come from
    instead, i.e. as reviewers left them (their edits applied) and without answers review rejected
    or replaced."""
    collector = _Collector(for_labels)
    collector.take(await session.execute(_answers_query(project_id, for_labels)))
    return collector.result()


async def load_answers_in_pages(db: Database, project_id: int, newest: int, *, for_labels: bool = False) -> Answers:
    """The same, up to ``newest``, without holding up submits: on SQLite PAGE answers per short
    transaction (its one connection serves everyone); on PostgreSQL one read (MVCC)."""
    collector = _Collector(for_labels)
    query = _answers_query(project_id, for_labels)
    if not db.is_sqlite:  # PostgreSQL reads never hold up writers: one pass is cheapest
        async with db.transaction() as session:
            collector.take(await _fetch(session, query.where(Annotation.id <= newest)))
        collector.watermark = max(collector.watermark, newest)
        return collector.result()
    while collector.watermark < newest:
        async with db.transaction() as session:
            page = query.where(Annotation.id > collector.watermark, Annotation.id <= newest).limit(PAGE)
            taken = collector.take(await _fetch(session, page))
        if taken < PAGE:
            break
    collector.watermark = max(collector.watermark, newest)  # everything up to it was considered
    return collector.result()


async def newest_answer(session: AsyncSession, project_id: int) -> int:
    return (await session.execute(select(func.max(Annotation.id)).where(
        Annotation.project_id == project_id, COUNTED))).scalar() or 0


def agreement_report(interface: Interface, answers: Answers) -> dict[str, Any]:
    """Every field's statistics at its level of measurement (CPU-bound: run it in a thread)."""
    fields = {}
    for _, measure in interface.measures():
        fields[measure.name] = field_agreement(answers.triples(measure), measure.level,
                                               categories=measure.categories, distance=measure.distance)
    return {"fields": fields, "answers": len(answers.item_ids), "items": len(set(answers.item_ids))}


def aggregate(interface: Interface, answers: Answers, method: str) -> dict[int, dict[str, Any]]:
    """One label per item and categorical field (multi_choice: the options most annotators chose),
    with a confidence; numbers and free text have no label to vote on."""
    labels: dict[int, dict[str, Any]] = {}
    for _, measure in interface.measures():
        level, name = measure.level, measure.name
        if level in CATEGORICAL_LEVELS:
            result = _vote(answers.triples(measure), measure.categories, method)
            for item, label in result.items():
                labels.setdefault(item, {})[name] = {"label": label.label,
                                                               "confidence": round(label.confidence, 4),
                                                               "answers": label.answers}
        elif level == "set":  # each option is a yes/no vote; the label is the options voted in
            decisions: dict[int, list[tuple[str, Any]]] = {}
            for option, triples in split_multi_choice(answers.triples(measure)).items():
                for item, label in _vote(triples, [False, True], method).items():
                    decisions.setdefault(item, []).append((option, label))
            for item, votes in decisions.items():
                labels.setdefault(item, {})[name] = {
                    "label": sorted(option for option, label in votes if label.label),
                    "confidence": round(min(label.confidence for _, label in votes), 4),
                    "answers": max(label.answers for _, label in votes)}
    return labels


def items_agreement(interface: Interface, answers: Answers, items: set[int]) -> dict[int, float | None]:
    """Per item, the share of agreeing pairs of answers over its comparable fields (what disagreement
    routing uses), for the items asked about."""
    from app.agreement.routing import compared_measures, item_agreement

    fields = compared_measures(interface)
    given: dict[int, list[dict[str, Any]]] = {}
    for item, answer in zip(answers.item_ids, answers.answers):
        if item in items:
            given.setdefault(item, []).append(answer)
    return {item: (round(a, 4) if (a := item_agreement(found, fields)) is not None else None)
            for item, found in given.items()}


def _vote(triples, categories, method: str) -> dict[Hashable, Any]:
    if method == "dawid_skene":
        return dawid_skene(triples, categories).labels
    return majority_vote(triples, categories)


# ---------------------------------------------------------------- snapshots


async def snapshot(session: AsyncSession, project_id: int) -> AgreementSnapshot | None:
    return await session.get(AgreementSnapshot, project_id)


async def refresh(db: Database, project_id: int, *, force: bool = False) -> AgreementSnapshot | None:
    """Recompute the project's analysis if answers arrived since the snapshot (or ``force``).
    Reading is one query; the maths runs in a thread so the event loop keeps serving submits."""
    async with db.transaction() as session:
        project = await session.get(Project, project_id)
        if project is None:
            return None
        current = await snapshot(session, project_id)
        newest = await newest_answer(session, project_id)
        if current is not None and not force and current.watermark >= newest:
            return current
    interface = interface_of(project)
    started = time.perf_counter()
    answers = await load_answers_in_pages(db, project_id, newest)
    items = await _item_info(db, project_id, set(answers.item_ids))
    report = await asyncio.to_thread(_full_report, interface, answers, items)
    duration_ms = int((time.perf_counter() - started) * 1000)  # reading and computing: what a refresh costs
    async with db.transaction() as session:
        row = await session.get(AgreementSnapshot, project_id, with_for_update=True)
        if row is not None and row.watermark > answers.watermark:
            return row  # someone else stored a newer one meanwhile
        row = row or AgreementSnapshot(project_id=project_id)
        row.watermark, row.answers, row.report = answers.watermark, len(answers.item_ids), report
        row.duration_ms, row.computed_at = duration_ms, utcnow()
        session.add(row)
        record(session, action="agreement.refreshed", subject_type="project", subject_id=project_id,
               project_id=project_id, payload={"answers": row.answers, "duration_ms": duration_ms})
    return row


async def _item_info(db: Database, project_id: int, item_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Labels and metadata for the gap report, of the items that have answers only, ITEM_PAGE ids
    per short transaction: the project's other items can number a million, and on SQLite the one
    connection serves submits between pages (reading every item held it for a third of a second
    at 60k items, the embedded default's p99 at 100 cycles/s)."""
    info: dict[int, dict[str, Any]] = {}
    ids = sorted(item_ids)
    for start in range(0, len(ids), ITEM_PAGE):
        async with db.transaction() as session:
            rows = await _rows(session, select(Item.id, Item.external_id, Item.data).where(
                Item.id.in_(ids[start:start + ITEM_PAGE]), Item.project_id == project_id, ~Item.is_gold))
        info.update({row[0]: {"external_id": row[1], "data": _json(row[2])} for row in rows})
    return info


def _full_report(interface: Interface, answers: Answers, items: dict[int, dict[str, Any]]) -> dict[str, Any]:
    report = agreement_report(interface, answers)
    report["gaps"] = guideline_gaps_for(interface, answers, items)
    return report


def guideline_gaps_for(interface: Interface, answers: Answers, items: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Where disagreement concentrates (app.agreement.gaps), from the same answers."""
    fields = {}
    for _, measure in interface.measures():
        level = compared_level(measure.level, measure.categories)  # a 1-5 criterion is compared, as ordinal
        if level is None:  # numbers and free text are listed, not compared: no rows to build
            fields[measure.name] = (measure.level, [])
            continue
        values = [measure.value_in(answer) for answer in answers.answers]
        fields[measure.name] = (level, list(map(AnswerRow, answers.item_ids, answers.annotators, values,
                                                answers.answered_at)))
    infos = {item_id: ItemInfo(item_id, _item_label(item_id, info), _metadata(info["data"]))
             for item_id, info in items.items()}
    return with_position_bias(guideline_gaps(fields, infos), interface, answers)


#: How many values of an item's data are looked at for its excerpt (data can be any JSON, of any size).
EXCERPT_PROBE = 200


def _item_label(item_id: int, info: dict[str, Any]) -> str:
    """The external id, else the first text in the data, breadth first (a top-level text before one
    inside objects or lists, such as a conversation's turns; keys in the order the database keeps them, which
    on PostgreSQL is shortest first), else the item's number."""
    if info.get("external_id"):
        return str(info["external_id"])
    pending, looked = deque([info.get("data")]), 0
    while pending and looked < EXCERPT_PROBE:
        value, looked = pending.popleft(), looked + 1
        if isinstance(value, str) and value.strip():
            return value.strip()[:80]
        if isinstance(value, (dict, list)):
            pending.extend(islice(value.values() if isinstance(value, dict) else value, EXCERPT_PROBE))
    return f"Item {item_id}"


def _metadata(data: Any) -> dict[str, Any]:
    return dict(data) if isinstance(data, dict) else {}


#: The job refreshes a project at most every MIN_REFRESH_SECONDS, and no more often than COST_FACTOR
#: times its last refresh took: a large project's analysis then takes at most 1/COST_FACTOR of a core,
#: however fast answers arrive.
MIN_REFRESH_SECONDS = 10.0
COST_FACTOR = 10


def refresh_due(row: AgreementSnapshot | None, newest: int, now: datetime) -> bool:
    """Whether the job should recompute: answers arrived since, and the project's pause is over."""
    if not newest:
        return False
    if row is None:
        return True
    pause = max(MIN_REFRESH_SECONDS, COST_FACTOR * row.duration_ms / 1000)
    return row.watermark < newest and (now - row.computed_at).total_seconds() >= pause


def snapshot_json(row: AgreementSnapshot | None) -> dict[str, Any]:
    if row is None:
        return {"fields": {}, "answers": 0, "items": 0, "computed_at": None}
    report = dict(row.report)
    report.pop("gaps", None)
    return report | {"computed_at": iso(row.computed_at), "watermark": row.watermark, "duration_ms": row.duration_ms}
