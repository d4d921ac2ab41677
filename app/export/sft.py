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

from typing import Any, AsyncIterator

import msgspec
from sqlalchemy import select

from app.db import Database
from app.export.paging import GIVEN_ANSWERS, as_text, production_pages
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

    approved = (select(Annotation.item_id, Annotation.id, as_text(Annotation.answer),
                       as_text(Annotation.reviewed_answer)).where(GIVEN_ANSWERS, counted))
    async for items, by_item in production_pages(db, project_id, (Item.id, Item.external_id, as_text(Item.data)),
                                                 approved, page_size):
        lines = []
        for item_id, external_id, data in items:
            answers = by_item.get(item_id)
            if not answers:
                continue
            item_data = _decode(data or "{}") or {}
            decoded = [(annotation_id, _decode(edited) if edited else None, _decode(answer) if answer else None)
                       for _, annotation_id, answer, edited in answers]
            for component in fields:
                messages = prompt_messages(interface, component, item_data)
                if messages is None:
                    continue
                for annotation_id, edited, answer in decoded:
                    response = (edited or answer or {}).get(component.name)
                    if not isinstance(response, str) or not response.strip():
                        continue
                    lines.append({"messages": [*messages, {"role": "assistant", "content": response}],
                                  "item_id": item_id, "external_id": external_id, "field": component.name,
                                  "annotation_id": annotation_id, "edited_by_reviewer": bool(edited)})
        if lines:
            yield b"\n".join(map(_encode, lines)) + b"\n"


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode
