"""The work loop's database plumbing, on the backend under test: prepared statements on the
driver (app/prepared.py), statements run together, writes queued for the commit, and the lean
transaction (app/lean.py). Each is checked by what ends up stored, or not stored."""

from __future__ import annotations

import sqlite3
from datetime import UTC

import asyncpg

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import DBAPIError

from app.db import before_commit
from app.events.models import Event
from app.events.service import record
from app.prepared import Prepared, Together, insert_row
from app.projects.models import Project
from app.quality.models import Feedback, Standing
from app.work.models import ANNOTATE, Assignment, AssignmentState

LEASE = Prepared(update(Project).where(Project.id == bindparam("project_id"))
                 .values(lease_seconds=bindparam("seconds")).returning(Project.id, Project.lease_seconds))
READ = Prepared(select(Project.id, Project.name, Project.quality, Project.created_at, Project.lease_seconds)
                .where(Project.id == bindparam("project_id")))
EVENT = insert_row(Event.__table__, returning=(Event.id,))


#: What the drivers raise for a NULL in a NOT NULL column (prepared statements bypass SQLAlchemy's wrapping).
NOT_NULL_VIOLATIONS = (DBAPIError, sqlite3.IntegrityError, asyncpg.exceptions.NotNullViolationError)


class Boom(Exception):
    pass


async def lease_seconds(db, project_id: int) -> int:
    async with db.transaction() as session:
        return (await READ.first(session, project_id=project_id)).lease_seconds


def event_row(project_id: int, action: str) -> dict:
    from app.models_base import utcnow

    return {"project_id": project_id, "actor_id": None, "action": action, "subject_type": "project",
            "subject_id": project_id, "payload": {"why": "test", "n": 1}, "created_at": utcnow()}


async def actions(db, project_id: int) -> list[str]:
    """The events these tests recorded (creating the project recorded its own)."""
    async with db.transaction() as session:
        return list((await session.execute(select(Event.action).where(
            Event.project_id == project_id, Event.action.startswith("test.")).order_by(Event.id))).scalars())


async def test_a_prepared_select_gives_named_rows_with_the_orms_types(new_project, db):
    project = await new_project()
    async with db.transaction() as session:
        row = await READ.first(session, project_id=project["id"])
        orm = await session.get(Project, project["id"])
        missing = await READ.first(session, project_id=10**9)
    assert row.id == project["id"] and row.name == project["name"]
    assert isinstance(row.quality, dict) and row.quality == orm.quality  # JSON decoded, not text
    assert row.created_at == orm.created_at and row.created_at.tzinfo is not None
    assert row.created_at.utcoffset() == UTC.utcoffset(None)
    assert missing is None


async def test_a_prepared_write_commits_and_rolls_back_with_its_transaction(new_project, db):
    project = await new_project()
    with pytest.raises(Boom):
        async with db.transaction() as session:
            assert tuple(await LEASE.first(session, project_id=project["id"], seconds=111)) == (project["id"], 111)
            raise Boom
    assert await lease_seconds(db, project["id"]) != 111
    async with db.transaction() as session:
        await LEASE.run(session, project_id=project["id"], seconds=222)
    assert await lease_seconds(db, project["id"]) == 222


async def test_statements_run_together_return_every_returning_column_in_order(new_project, db):
    project = await new_project()
    together = Together(LEASE.statement, EVENT.statement)
    async with db.work_transaction() as session:
        row = await together.first(session, {"project_id": project["id"], "seconds": 333},
                                   event_row(project["id"], "test.together"))
    assert row[0] == project["id"] and row[1] == 333 and isinstance(row[2], int)
    assert await lease_seconds(db, project["id"]) == 333
    assert await actions(db, project["id"]) == ["test.together"]


async def test_statements_run_together_change_nothing_when_one_fails(new_project, db):
    project = await new_project()
    bad_event = event_row(project["id"], "test.broken") | {"action": None}  # the column is NOT NULL
    with pytest.raises(NOT_NULL_VIOLATIONS):
        async with db.work_transaction() as session:
            await Together(LEASE.statement, EVENT.statement).first(
                session, {"project_id": project["id"], "seconds": 444}, bad_event)
    assert await lease_seconds(db, project["id"]) != 444
    assert await actions(db, project["id"]) == []


async def test_a_work_transaction_commits_plain_statements_and_orm_objects_together(new_project, quick_user, db):
    project = await new_project()
    user, _ = await quick_user("contributor", project["id"])
    async with db.work_transaction() as session:
        await LEASE.run(session, project_id=project["id"], seconds=555)
        session.add(Feedback(project_id=project["id"], user_id=user["id"], kind="test", title="together"))
        record(session, action="test.lean", subject_type="project", subject_id=project["id"],
               project_id=project["id"])
    assert await lease_seconds(db, project["id"]) == 555
    assert await actions(db, project["id"]) == ["test.lean"]
    async with db.transaction() as session:
        titles = list((await session.execute(select(Feedback.title).where(
            Feedback.project_id == project["id"]))).scalars())
    assert titles == ["together"]
    assert db.engine.pool.checkedout() == 0  # the connection went back to the pool


@pytest.mark.parametrize("with_orm", [False, True])
async def test_a_failed_work_transaction_keeps_nothing_and_frees_its_connection(new_project, quick_user, db,
                                                                               with_orm):
    project = await new_project()
    user, _ = await quick_user("contributor", project["id"])
    with pytest.raises(Boom):
        async with db.work_transaction() as session:
            await LEASE.run(session, project_id=project["id"], seconds=666)
            if with_orm:
                session.add(Feedback(project_id=project["id"], user_id=user["id"], kind="test", title="lost"))
                await session.flush()
            record(session, action="test.lost", subject_type="project", subject_id=project["id"],
                   project_id=project["id"])
            raise Boom
    assert await lease_seconds(db, project["id"]) != 666
    assert await actions(db, project["id"]) == []
    async with db.transaction() as session:
        assert (await session.execute(select(Feedback).where(Feedback.project_id == project["id"]))).first() is None
    assert db.engine.pool.checkedout() == 0


async def test_writes_queued_for_the_commit_land_with_it_or_not_at_all(new_project, db):
    project = await new_project()
    with pytest.raises(Boom):
        async with db.work_transaction() as session:
            before_commit(session, LEASE, {"project_id": project["id"], "seconds": 777})
            record(session, action="test.queued", subject_type="project", subject_id=project["id"],
                   project_id=project["id"])
            raise Boom
    assert await lease_seconds(db, project["id"]) != 777 and await actions(db, project["id"]) == []
    async with db.work_transaction() as session:
        before_commit(session, LEASE, {"project_id": project["id"], "seconds": 777})
        record(session, action="test.queued", subject_type="project", subject_id=project["id"],
               project_id=project["id"])
        record(session, action="test.queued.again", subject_type="project", subject_id=project["id"],
               project_id=project["id"])
    assert await lease_seconds(db, project["id"]) == 777
    assert await actions(db, project["id"]) == ["test.queued", "test.queued.again"]


async def test_every_answer_appends_its_time_to_the_authors_recent_times(new_project, quick_user, db):
    project = await new_project(items=3, launch=True)
    user, alice = await quick_user("contributor", project["id"])
    for n in range(3):
        lease = (await alice.ok("POST", f"/projects/{project['id']}/next"))["assignment"]
        await alice.ok("POST", f"/assignments/{lease['id']}/submit", status=201,
                       json={"answer": {"sentiment": "pos"}}, headers={"Idempotency-Key": f"k{n}"})
    async with db.transaction() as session:
        standing = (await session.execute(select(Standing).where(
            Standing.project_id == project["id"], Standing.user_id == user["id"]))).scalar_one()
        finished = list((await session.execute(select(Assignment.id).where(
            Assignment.user_id == user["id"], Assignment.stage == ANNOTATE,
            Assignment.state == AssignmentState.submitted))).scalars())
    assert len(finished) == 3
    assert (standing.tasks_done, len(standing.recent_times)) == (3, 3), (standing.tasks_done, standing.recent_times)
    assert all(isinstance(ms, int) and ms >= 0 for ms in standing.recent_times)


def test_a_prepared_statement_refuses_an_in_list_it_could_not_expand():
    from sqlalchemy.dialects import postgresql, sqlite

    statement = Prepared(select(Project.id).where(Project.status.in_(["live", "paused"])))
    for dialect in (postgresql.asyncpg.dialect(), sqlite.aiosqlite.dialect()):
        with pytest.raises(ValueError, match="IN list"):
            statement._plan(dialect)


async def test_a_work_transaction_whose_commit_fails_keeps_nothing_and_frees_its_connection(new_project, db):
    """The ORM's writes are flushed at the commit: one that breaks a foreign key fails there."""
    project = await new_project()
    with pytest.raises(Exception) as failure:
        async with db.work_transaction() as session:
            await LEASE.run(session, project_id=project["id"], seconds=888)
            session.add(Feedback(project_id=project["id"], user_id=10**8, kind="test", title="nobody"))
    assert "foreign key" in str(failure.value).lower()
    assert await lease_seconds(db, project["id"]) != 888
    assert db.engine.pool.checkedout() == 0
