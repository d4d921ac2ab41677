"""Disagreement routing: when an item's last answer is in and its annotators disagree too much,
ask one more annotator (up to a maximum) or send the item to a specialist.

Runs inside the submit transaction, so it must be cheap: it reads only the item's own
answers (a handful) and does nothing at all when the project's routing is off.
"""

from __future__ import annotations

from datetime import datetime
from itertools import combinations
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreement.gaps import compared_level
from app.escalations.models import Escalation, EscalationState
from app.events.service import record
from app.items.models import Item
from app.projects.models import Project
from app.projects.service import interface_of
from app.review import config as review_config
from app.work.models import ANNOTATE, Annotation, ReviewStatus
from components.base import Interface, Measure

#: Levels whose answers can be compared for sameness (numbers and free text are not routed on);
#: a structured field (spans, a ranking) agrees by 1 - its component's distance. An interval
#: measure on a small whole-number scale (a rubric criterion 1-5) is compared exactly, as the gap
#: report compares it (``gaps.compared_level``).
COMPARED_LEVELS = ("nominal", "ordinal", "set", "structured")


def compared_measures(interface: Interface) -> list[Measure]:
    return [measure for _, measure in interface.measures()
            if measure.level in COMPARED_LEVELS or compared_level(measure.level, measure.categories)]


def item_agreement(answers: list[dict[str, Any]], measures: list[Measure]) -> float | None:
    """Share of agreeing pairs of answers, over the measures compared (None: fewer than two answers)."""
    agreeing = pairs = 0.0
    for measure in measures:
        values = [value for answer in answers if (value := measure.value_in(answer)) is not None]
        for a, b in combinations(values, 2):
            pairs += 1
            if measure.distance is not None:
                agreeing += 1 - measure.distance(a, b)
            else:
                agreeing += _comparable(a) == _comparable(b)
    return agreeing / pairs if pairs else None


def _comparable(value: Any) -> Any:
    return frozenset(value) if isinstance(value, list) else value


async def on_item_answered(session: AsyncSession, project: Project, item_id: int, now: datetime) -> int:
    """Called when an item has all the answers it asked for. Returns 1 when it was reopened for one
    more annotator (so it is not complete yet), else 0."""
    rules = review_config.stored(project.review)["disagreement"]
    if rules["action"] == "off":
        return 0
    fields = compared_measures(interface_of(project))
    answers = list((await session.execute(select(Annotation.answer).where(
        Annotation.item_id == item_id, Annotation.stage == ANNOTATE,
        Annotation.review_status.not_in([ReviewStatus.rejected, ReviewStatus.revised])))).scalars())
    agreement = item_agreement(answers, fields)
    if agreement is None or agreement >= rules["threshold"]:
        return 0
    item = await session.get(Item, item_id)
    if rules["action"] == "more_annotators" and project.overlap + item.overlap_extra < rules["max_overlap"]:
        await session.execute(update(Item).where(Item.id == item_id)
                              .values(overlap_extra=Item.overlap_extra + 1, open_slots=Item.open_slots + 1)
                              .execution_options(synchronize_session=False))
        record(session, action="item.more_annotators", subject_type="item", subject_id=item_id,
               project_id=project.id, payload={"item_id": item_id, "agreement": round(agreement, 4),
                                               "overlap": project.overlap + item.overlap_extra + 1})
        return 1
    already = (await session.execute(select(Escalation.id).where(
        Escalation.item_id == item_id, Escalation.state == EscalationState.open).limit(1))).first()
    if already is None:
        session.add(Escalation(project_id=project.id, item_id=item_id, raised_by=None, raised_as="disagreement",
                               note=f"Annotators disagree: {agreement:.0%} of answer pairs agree, below the "
                                    f"project's {rules['threshold']:.0%}. Decide the item.", created_at=now))
        record(session, action="escalation.raised", subject_type="item", subject_id=item_id, project_id=project.id,
               payload={"item_id": item_id, "agreement": round(agreement, 4), "raised_as": "disagreement"})
    return 0
