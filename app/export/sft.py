"""Streamed SFT chat lines: ``{messages: [{role, content}, ...]}`` from a conversation (or prompt)
and an approved response written for it.

Which fields. Every answer field whose component lists "sft" in its ``exports`` and that names a
``target`` (a text field aimed at a chat, a prompt_response or a text part: "write the reply").

Which answers. Each answer a reviewer approved, as the reviewer left it (an edit wins); in a
project without review stages, every answer review never rejected and no fix replaced. Imported
and adjudicated answers count like contributors' own. Gold items are not exported. One line per
answer: two approved replies to one conversation are two training examples.

The messages. The target's prompt (``DisplayPart.as_prompt``): a chat's turns as they are, a
prompt or a text as one user message; then the response as the assistant's turn.
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator

from sqlalchemy import select

from app.db import Database
from app.export.paging import GIVEN_ANSWERS, production_pages
from app.items.models import Item
from app.projects.models import Project
from app.projects.service import interface_of
from app.review import config as review_config
from app.work.models import Annotation, ReviewStatus
from components.base import Component, Interface

PAGE = 1000
_UNREVIEWED = (ReviewStatus.approved, ReviewStatus.none)


def sft_fields(interface: Interface) -> list[Component]:
    return [c for c in interface.components if "sft" in c.exports and c.target]


def prompt_messages(interface: Interface, component: Component, data: dict[str, Any]) -> list[dict[str, str]] | None:
    prompt = interface.parts_by_name[component.target].as_prompt(data)
    if prompt is None:
        return None
    return prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]


async def export_sft(db: Database, project_id: int, *, page_size: int = PAGE) -> AsyncIterator[bytes]:
    async with db.transaction() as session:
        project = await session.get(Project, project_id)
    interface = interface_of(project)
    fields = sft_fields(interface)
    if not fields:
        return
    reviewed = bool(review_config.stored(project.review)["stages"])
    counted = Annotation.review_status == ReviewStatus.approved if reviewed else \
        Annotation.review_status.in_(_UNREVIEWED)

    def approved(item_ids: list[int]):
        return (select(Annotation.id, Annotation.item_id, Annotation.answer, Annotation.reviewed_answer)
                .where(Annotation.item_id.in_(item_ids), GIVEN_ANSWERS, counted)
                .order_by(Annotation.item_id, Annotation.id))

    async for items, answers in production_pages(db, project_id, (Item.id, Item.external_id, Item.data),
                                                 approved, page_size):
        by_item: dict[int, list] = {}
        for row in answers:
            by_item.setdefault(row[1], []).append(row)
        lines = []
        for item_id, external_id, data in items:
            for component in fields:
                messages = prompt_messages(interface, component, data or {})
                if messages is None:
                    continue
                for annotation_id, _, answer, edited in by_item.get(item_id, []):
                    response = (edited or answer or {}).get(component.name)
                    if not isinstance(response, str) or not response.strip():
                        continue
                    lines.append({"messages": [*messages, {"role": "assistant", "content": response}],
                                  "item_id": item_id, "external_id": external_id, "field": component.name,
                                  "annotation_id": annotation_id, "edited_by_reviewer": bool(edited)})
        if lines:
            yield ("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n").encode()
