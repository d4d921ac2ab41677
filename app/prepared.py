"""Statements the work loop runs hundreds of times a second, run straight on the driver.

A Core statement is compiled once per backend, with its bind and result type
processors looked up once, and then executed on the transaction's own driver
connection (asyncpg or aiosqlite). Why: SQLAlchemy's execution layer costs
~80 µs a statement on top of the driver's ~45 µs, and the ORM several times
that; a next+submit cycle ran twenty-six, and the whole cycle has ~6 ms of
CPU to spend if two cores are to serve 300 cycles a second (BENCHMARKS.md §8).
Errors are the driver's own (asyncpg's or sqlite3's), not SQLAlchemy's wrappers.

The statement still runs inside the session's transaction (same connection,
same BEGIN/COMMIT), so it commits and rolls back with everything else. What
it writes bypasses the session's identity map, as any Core statement does.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Sequence

from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement, visitors
from sqlalchemy.sql.elements import BindParameter

_HANDLE = "prepared_driver"


@dataclass(frozen=True)
class _Plan:
    """One statement as one backend runs it."""

    sql: str
    #: per positional parameter: (parameter key or None for a constant, constant, bind processor)
    binds: tuple[tuple[str | None, Any, Callable | None], ...]
    #: per result column: its processor (None: the driver's value is already right)
    results: tuple[Callable | None, ...]
    row: type


@dataclass(frozen=True)
class _Driver:
    """The transaction's driver connection and how to talk to it."""

    transaction: Any
    dialect: Any
    connection: Any
    asyncpg: bool


class Prepared:
    """A Core statement (select, or DML with RETURNING or without) ready to run on the driver.

    ``await statement.all(session, name=value, ...)`` returns named tuples (attribute access
    by column name); ``first`` and ``scalar`` the obvious parts; ``run`` ignores results;
    ``run_many`` executes it once per parameter set in one driver call."""

    __slots__ = ("statement", "_plans")

    def __init__(self, statement: ClauseElement):
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = self._compile(dialect)
        return plan

    def _compile(self, dialect) -> _Plan:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.post_compile_params:  # expanded at execution time, which this path skips
            raise ValueError("a prepared statement cannot hold an IN list; compare with or_() instead")
        binds = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            processor = bind.type._cached_bind_processor(dialect)
            if bind.required or bind.callable is not None:
                binds.append((bind.key, None, processor))
            else:  # a literal the statement was built with
                binds.append((None, processor(bind.value) if processor else bind.value, None))
        columns = list(getattr(self.statement, "exported_columns", ()) or ())
        results = tuple(_result_processor(column.type, dialect) for column in columns)
        row = namedtuple("Row", [column.key or f"c{i}" for i, column in enumerate(columns)] or ["_"], rename=True)
        return _Plan(str(compiled), tuple(binds), results, row)

    async def all(self, session: AsyncSession, **params: Any) -> list[Any]:
        driver = await _driver(session)
        plan = self._plan(driver.dialect)
        args = _arguments(plan, params)
        if driver.asyncpg:
            records = await driver.connection.fetch(plan.sql, *args)
        else:
            records = await driver.connection.execute_fetchall(plan.sql, args)
        return [_row(plan, record) for record in records]

    async def first(self, session: AsyncSession, **params: Any) -> Any | None:
        rows = await self.all(session, **params)
        return rows[0] if rows else None

    async def scalar(self, session: AsyncSession, **params: Any) -> Any:
        row = await self.first(session, **params)
        return None if row is None else row[0]

    async def run(self, session: AsyncSession, **params: Any) -> None:
        driver = await _driver(session)
        plan = self._plan(driver.dialect)
        args = _arguments(plan, params)
        if driver.asyncpg:
            await driver.connection.execute(plan.sql, *args)
        else:
            await (await driver.connection.execute(plan.sql, args)).close()

    async def run_many(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        if len(rows) <= 1:
            for params in rows:
                await self.run(session, **params)
            return
        driver = await _driver(session)
        plan = self._plan(driver.dialect)
        await driver.connection.executemany(plan.sql, [_arguments(plan, params) for params in rows])


def _result_processor(type_, dialect) -> Callable | None:
    """The column type's result processor for this backend. Some of asyncpg's want the column's
    type oid, which only a live result knows: asyncpg already decodes those (numbers) itself."""
    try:
        return type_._cached_result_processor(dialect, None)
    except TypeError:
        return None


def _arguments(plan: _Plan, params: dict[str, Any]) -> list[Any]:
    args = []
    for key, constant, processor in plan.binds:
        if key is None:
            args.append(constant)
        else:
            value = params[key]
            args.append(processor(value) if processor is not None and value is not None else value)
    return args


def _row(plan: _Plan, record: Sequence[Any]) -> Any:
    values = tuple(record)
    if any(plan.results):
        values = tuple(value if processor is None or value is None else processor(value)
                       for processor, value in zip(plan.results, values))
    return plan.row._make(values)


async def driver_connection(session: AsyncSession) -> Any:
    """The session's transaction's own driver connection (asyncpg or aiosqlite), the transaction
    begun: for reads that go past SQLAlchemy too (a cursor over 300k answers)."""
    return (await _driver(session)).connection


async def _driver(session: AsyncSession) -> _Driver:
    """The driver connection of the session's current transaction, with the transaction begun
    (asyncpg's adapter begins lazily, at its first statement; SQLite's begins with the connection)."""
    lean = getattr(session, "driver_connection", None)  # app/lean.py: a transaction on a raw connection
    if lean is not None:
        driver = session.info.get(_HANDLE)
        if driver is None:
            driver = session.info[_HANDLE] = _Driver(None, session.bind.dialect, lean, True)
        return driver
    transaction = session.sync_session.get_transaction()
    driver = session.info.get(_HANDLE)
    if driver is not None and transaction is not None and driver.transaction is transaction:
        return driver
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    adapted = raw.dbapi_connection
    is_asyncpg = connection.dialect.driver == "asyncpg"
    if is_asyncpg and adapted._transaction is None:  # the adapter keeps no public way to begin
        await adapted._start_transaction()
    driver = _Driver(session.sync_session.get_transaction(), connection.dialect, raw.driver_connection, is_asyncpg)
    session.info[_HANDLE] = driver
    return driver


class Together:
    """Data-changing statements that do not read each other's changes, run as one.

    On PostgreSQL they become one statement of data-modifying CTEs: one round trip, and one
    execution, instead of one of each per statement (a round trip costs ~55 µs here and about
    as much again in the server). Elsewhere they run one after another, in order. Each takes its
    own parameters (``first(session, params_0, params_1, ...)``); ``first`` returns the RETURNING
    columns of all of them, in order, as one row."""

    __slots__ = ("each", "combined", "row")

    def __init__(self, *statements: ClauseElement):
        self.each = tuple(Prepared(statement) for statement in statements)
        steps = [_with_prefixed_binds(statement, f"s{i}_").cte(f"step_{i}") for i, statement in enumerate(statements)]
        returned = [column for step, statement in zip(steps, statements) if _returns(statement) for column in step.c]
        silent = [step for step, statement in zip(steps, statements) if not _returns(statement)]
        main = select(*returned) if returned else select(literal_column("1").label("done"))
        self.combined = Prepared(main.add_cte(*silent) if silent else main)
        self.row = namedtuple("Row", [column.key for column in returned] or ["_"], rename=True)

    @staticmethod
    @lru_cache(maxsize=64)
    def of(*prepared: Prepared) -> "Together":
        """The combination of statements already prepared one by one (built once per sequence)."""
        return Together(*(one.statement for one in prepared))

    async def first(self, session: AsyncSession, *params: dict[str, Any]) -> Any:
        if len(params) != len(self.each):
            raise ValueError(f"{len(self.each)} statements take {len(self.each)} parameter sets, not {len(params)}")
        driver = await _driver(session)
        if driver.asyncpg:
            merged = {f"s{i}_{key}": value for i, one in enumerate(params) for key, value in one.items()}
            return await self.combined.first(session, **merged)
        values: list[Any] = []
        for statement, one in zip(self.each, params):
            if _returns(statement.statement):
                row = await statement.first(session, **one)
                if row is None:
                    return None
                values.extend(row)
            else:
                await statement.run(session, **one)
        return self.row._make(values) if values else None

    run = first


def _returns(statement: ClauseElement) -> bool:
    return bool(list(getattr(statement, "exported_columns", ()) or ()))


def _with_prefixed_binds(statement: ClauseElement, prefix: str) -> ClauseElement:
    """The statement with each parameter renamed ``prefix + name``, so that several statements'
    parameters of the same name (``batch_id``, ``shard``) keep their own values in one statement."""
    def rename(element):
        if isinstance(element, BindParameter) and (element.required or element.callable is not None):
            return bindparam(prefix + element.key, type_=element.type, required=True)
        return None

    return visitors.replacement_traverse(statement, {}, rename)


def insert_row(table, *, returning: tuple = ()) -> Prepared:
    """INSERT of every column but the key, each bound by its own name (``run(session, **row)``)."""
    columns = [column for column in table.c if not column.primary_key]
    statement = table.insert().values({column.key: bindparam(column.key) for column in columns})
    return Prepared(statement.returning(*returning) if returning else statement)


class Part:
    """Some columns of one table inside a wider select, read back as a named tuple of their own
    (a join that returns an assignment, its project and its item in one round trip)."""

    def __init__(self, name: str, columns, prefix: str):
        self.columns = [column.label(prefix + column.key) for column in columns]
        self.row = namedtuple(name, [column.key for column in columns])

    @staticmethod
    def split(row: Sequence[Any], *parts: "Part") -> tuple:
        values, start = [], 0
        for part in parts:
            end = start + len(part.columns)
            values.append(part.row._make(row[start:end]))
            start = end
        return tuple(values)
