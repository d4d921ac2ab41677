"""What the training exports page through: a project's production items by id, a page at a time
(keyset), each page with the answers the export counts, in one short transaction.

Why it looks like this (100k items with 300k answers, BENCHMARKS.md, issue 12). Both reads are
Core statements compiled once per export and run on the transaction's own driver connection (as
``app.prepared`` does), their rows handed on as the driver gives them (tuples, asyncpg records),
JSON columns as text for the export to decode with msgspec: no ORM object, SQLAlchemy result row
or named tuple is built per row (that machinery cost more than building the lines). A page's
answers are read by the range of its item ids, not an IN list: one range scan of the item index,
already in (item, answer id) order. The next page is read while the caller works on this one."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Sequence

from sqlalchemy import ColumnElement, Select, Text, bindparam, cast, or_, select

from app.db import Database
from app.items.models import Item
from app.prepared import driver_connection
from app.work.models import ADJUDICATE, ANNOTATE, FIX, Annotation

#: Answers that speak for an item: contributors' own (first answers and fixes), imported ones, and
#: adjudications (a reviewer's edit travels on the answer it edits, as ``reviewed_answer``).
GIVEN_ANSWERS = or_(Annotation.stage.in_([ANNOTATE, FIX, ADJUDICATE]), Annotation.source == "import")


def in_project(db: Database, project_id: int) -> ColumnElement[bool]:
    """``Item.project_id == project_id``, written so SQLite pages by rowid: its planner would take
    the (project_id, external_id) index and sort every item of the project for each page
    (quadratic: 1.2k lines/s at 100k items); ``+ 0`` keeps the rowid range scan."""
    return (Item.project_id + 0 if db.is_sqlite else Item.project_id) == project_id


def as_text(column):
    """A JSON column read as its text, for msgspec to decode (2-3x the driver's json.loads)."""
    return cast(column, Text)


async def production_pages(db: Database, project_id: int, item_columns: Sequence[Any], answers: Select,
                           page_size: int) -> AsyncIterator[tuple[list, dict[int, list]]]:
    """``(items, answers by item id)`` a page at a time: the rows of ``item_columns`` of the
    project's non-gold items (the item id first), and per item the rows of ``answers`` (a select of
    answer columns, the item id first, with the export's own conditions), oldest first, read in the
    same transaction. Memory is two pages', whatever the size of the project."""
    items_after = _Read(select(*item_columns).where(in_project(db, project_id), ~Item.is_gold,
                                                    Item.id > bindparam("after", 0))
                        .order_by(Item.id).limit(page_size))
    # ``+ 0`` on both backends: the item range is the index to take. SQLite would take the
    # project's; so would PostgreSQL before its statistics knew the tables (right after an import,
    # until autovacuum's ANALYZE), scanning the project's whole index for every page (900 lines/s).
    in_this_project = Annotation.project_id + 0 == project_id
    answers_between = _Read(answers.where(in_this_project, Annotation.item_id >= bindparam("first", 0),
                                          Annotation.item_id <= bindparam("last", 0))
                            .order_by(Annotation.item_id, Annotation.id))

    async def page(after: int) -> tuple[list, dict[int, list]]:
        async with db.transaction() as session:
            items = await items_after.rows(session, after=after)
            if not items:
                return items, {}
            rows = await answers_between.rows(session, first=items[0][0], last=items[-1][0])
        by_item: dict[int, list] = {}  # rows of gold items in the range are never looked up
        for row in rows:
            found = by_item.get(row[0])
            if found is None:
                by_item[row[0]] = [row]
            else:
                found.append(row)
        return items, by_item

    upcoming = asyncio.ensure_future(page(0))
    try:
        while True:
            items, by_item = await upcoming
            if not items:
                return
            upcoming = asyncio.ensure_future(page(items[-1][0]))
            yield items, by_item
    finally:
        if not upcoming.done():
            upcoming.cancel()
            try:
                await upcoming
            except (asyncio.CancelledError, Exception):
                pass


class _Read:
    """A select compiled once per backend and run on the driver; its rows as the driver gives them
    (tuples, asyncpg records). Its parameters are ``bindparam``s named at the call, plain values
    (no type processing: ids)."""

    __slots__ = ("statement", "plans")

    def __init__(self, statement: Select):
        self.statement = statement
        self.plans: dict[str, tuple[str, list[tuple[str, Any]]]] = {}

    async def rows(self, session, **params: Any) -> list:
        connection = await driver_connection(session)
        dialect = session.bind.dialect
        plan = self.plans.get(dialect.name)
        if plan is None:
            compiled = self.statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
            plan = self.plans[dialect.name] = (str(compiled), [(name, compiled.params[name])
                                                                for name in compiled.positiontup or ()])
        sql, binds = plan
        args = [params[name] if name in params else constant for name, constant in binds]
        if dialect.driver == "asyncpg":
            return await connection.fetch(sql, *args)
        return await connection.execute_fetchall(sql, args)
