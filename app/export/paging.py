"""What the training exports page through: a project's production items by id, a page at a time
(keyset), each page with the answers the export counts, in one short transaction."""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable, Sequence

from sqlalchemy import ColumnElement, Select, or_, select

from app.db import Database
from app.items.models import Item
from app.work.models import ADJUDICATE, ANNOTATE, FIX, Annotation

#: Answers that speak for an item: contributors' own (first answers and fixes), imported ones, and
#: adjudications (a reviewer's edit travels on the answer it edits, as ``reviewed_answer``).
GIVEN_ANSWERS = or_(Annotation.stage.in_([ANNOTATE, FIX, ADJUDICATE]), Annotation.source == "import")


def in_project(db: Database, project_id: int) -> ColumnElement[bool]:
    """``Item.project_id == project_id``, written so SQLite pages by rowid: its planner would take
    the (project_id, external_id) index and sort every item of the project for each page
    (quadratic: 1.2k lines/s at 100k items); ``+ 0`` keeps the rowid range scan."""
    return (Item.project_id + 0 if db.is_sqlite else Item.project_id) == project_id


async def production_pages(db: Database, project_id: int, item_columns: Sequence[Any],
                           answers_of: Callable[[list[int]], Select], page_size: int
                           ) -> AsyncIterator[tuple[list, list]]:
    """``(items, answers)`` a page at a time: ``item_columns`` of the project's non-gold items
    (the item id first), and the rows ``answers_of(their ids)`` selects, read in the same
    transaction. Memory is one page's, whatever the size of the project."""
    in_this_project = in_project(db, project_id)
    after = 0
    while True:
        async with db.transaction() as session:
            items = (await session.execute(
                select(*item_columns).where(in_this_project, ~Item.is_gold, Item.id > after)
                .order_by(Item.id).limit(page_size))).all()
            if not items:
                return
            answers = (await session.execute(answers_of([row[0] for row in items]))).all()
        yield items, answers
        after = items[-1][0]
