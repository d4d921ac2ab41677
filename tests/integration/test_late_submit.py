"""A submit after its lease expired: one rule, whether or not the reclaim job has run.

Accepted while nobody else was given the task's slot (the reclaim job leaves it be, the answer
wins); refused with 409 ``lease_expired`` once it was handed on. Benchmark, recalibration and
fix tasks are handed on at expiry by definition, so a late answer to one is always refused.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.jobs.tasks import reclaim_expired_leases
from app.models_base import utcnow
from app.work.models import Assignment

RECLAIM = pytest.mark.parametrize("reclaim_ran", [True, False], ids=["reclaimed", "not-reclaimed"])


async def run_out(db, assignment_id: int, reclaim_ran: bool) -> None:
    """The lease's time is over; the reclaim job runs (as it would every few seconds), or has not yet."""
    async with db.transaction() as session:
        await session.execute(update(Assignment).where(Assignment.id == assignment_id)
                              .values(expires_at=utcnow() - timedelta(seconds=1)))
    if reclaim_ran:
        await reclaim_expired_leases(db)
    async with db.transaction() as session:
        state = (await session.execute(select(Assignment.state).where(Assignment.id == assignment_id))).scalar_one()
    assert state == ("expired" if reclaim_ran else "leased")


def submit(api, assignment_id: int, sentiment: str = "pos"):
    return api.post(f"/assignments/{assignment_id}/submit", json={"answer": {"sentiment": sentiment}})


@RECLAIM
async def test_a_late_answer_is_kept_while_nobody_else_has_the_task(ops, new_project, quick_user, db, reclaim_ran):
    project = await new_project(items=1, launch=True)
    pid = project["id"]
    _, ann = await quick_user("contributor", pid)
    lease = (await ann.ok("POST", f"/projects/{pid}/next"))["assignment"]
    await run_out(db, lease["id"], reclaim_ran)

    accepted = await submit(ann, lease["id"])
    assert accepted.status_code == 201, accepted.text
    totals = (await ops.ok("GET", f"/projects/{pid}/stats"))["totals"]
    assert {k: totals[k] for k in ("queued", "leased", "submitted", "completed", "expired_leases")} == {
        "queued": 0, "leased": 0, "submitted": 1, "completed": 1, "expired_leases": 0}
    _, ben = await quick_user("contributor", pid)
    assert (await ben.post(f"/projects/{pid}/next")).status_code == 204  # the item is done, not handed out again
    await reclaim_expired_leases(db)  # a later run leaves the answered task alone
    totals = (await ops.ok("GET", f"/projects/{pid}/stats"))["totals"]
    assert (totals["submitted"], totals["expired_leases"]) == (1, 0)


@RECLAIM
async def test_a_late_answer_is_refused_once_the_task_went_to_someone_else(ops, new_project, quick_user, db,
                                                                         reclaim_ran):
    project = await new_project(items=1, launch=True)
    pid = project["id"]
    _, ann = await quick_user("contributor", pid)
    _, ben = await quick_user("contributor", pid)
    lease = (await ann.ok("POST", f"/projects/{pid}/next"))["assignment"]
    await run_out(db, lease["id"], reclaim_ran)
    taken = (await ben.ok("POST", f"/projects/{pid}/next"))["assignment"]  # reclaimed by this call if not before
    assert taken["item"]["id"] == lease["item"]["id"]

    refused = await submit(ann, lease["id"])
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "lease_expired"
    assert (await submit(ben, taken["id"])).status_code == 201
    totals = (await ops.ok("GET", f"/projects/{pid}/stats"))["totals"]
    assert (totals["submitted"], totals["leased"], totals["expired_leases"]) == (1, 0, 1)


@RECLAIM
async def test_a_late_benchmark_answer_counts_as_unanswered(ops, new_project, quick_user, db, reclaim_ran):
    project = await new_project(items=1, launch=True, quality={
        "benchmark": {"size": 1, "pass_threshold": 0.5, "retry": "none"},
        "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]})
    pid = project["id"]
    _, cai = await quick_user("contributor", pid, qualified=False)
    lease = (await cai.ok("POST", f"/projects/{pid}/next"))["assignment"]
    await run_out(db, lease["id"], reclaim_ran)

    refused = await submit(cai, lease["id"])  # the right answer, too late
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "lease_expired"
    after = await cai.post(f"/projects/{pid}/next")  # the expiry decided the gate either way
    assert after.status_code == 403 and "0% on the benchmark" in after.json()["error"]


@RECLAIM
async def test_a_late_answer_to_a_quality_check_is_kept_and_scored(ops, new_project, quick_user, db, reclaim_ran):
    project = await new_project(items=1, launch=True)
    pid = project["id"]
    _, dee = await quick_user("contributor", pid)
    await ops.ok("PATCH", f"/projects/{pid}", json={"quality": {"gold": {"rate": 1.0, "min_rate": 1.0}}})
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"},
                 json=[{"data": {"text": "a check"}, "gold": {"sentiment": "neg"}}])
    lease = (await dee.ok("POST", f"/projects/{pid}/next"))["assignment"]
    assert lease["item"]["data"]["text"] == "a check"
    await run_out(db, lease["id"], reclaim_ran)

    assert (await submit(dee, lease["id"], "pos")).status_code == 201
    checks = (await dee.ok("GET", f"/me/projects/{pid}/standing"))["checks"]
    assert checks["answered"] == 1 and checks["accuracy"] == 0.0
