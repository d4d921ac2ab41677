"""JSON API for contributors: next task, submit, skip."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post

from app.models_base import iso
from app.web.bodies import takes
from app.web.requests import database, json_object
from app.work import service
from app.work.bodies import Submission
from app.work.service import Lease


def lease_json(lease: Lease) -> dict[str, Any]:
    """What a contributor receives about a task: never gold status, never other people."""
    a = lease.assignment
    body = {"id": a.id, "expires_at": iso(a.expires_at), "project_id": a.project_id,
            "item": {"id": a.item_id, "data": lease.item_data}}
    if lease.shown:  # what the responses parts showed, in this assignment's order (answer pairwise by it)
        body["shown"] = lease.shown
    if a.returned is not None:  # a rejected answer handed back: what the reviewer said, and the answer as given
        body["returned"] = a.returned | {"decided_at": iso(a.returned["decided_at"])}
    return {"assignment": body}


class WorkApi(Controller):
    path = "/api/v1"
    tags = ["work"]

    @post("/projects/{project_id:int}/next", summary="Lease the next task: 200 with it, or 204 when none is left")
    async def next_task(self, request: Request, project_id: int) -> Response:
        async with database(request).work_transaction() as session:
            lease = await service.next_lease(session, project_id, request.user)
        if lease is None:
            return Response(None, status_code=204)
        return Response(lease_json(lease), status_code=200)

    @post("/assignments/{assignment_id:int}/submit",
          summary="Submit an answer; send Idempotency-Key so a retry is safe. 422 {errors} when invalid",
          operation_class=takes(Submission))
    async def submit(self, request: Request, assignment_id: int) -> Response:
        data = await json_object(request)
        key = request.headers.get("idempotency-key")
        async with database(request).work_transaction() as session:
            result = await service.submit(session, assignment_id, request.user, data.get("answer"), key)
        a = result.annotation
        return Response({"annotation": {"id": a.id, "item_id": a.item_id, "answer": a.answer,
                                        "guideline_version": a.guideline_version, "time_on_task_ms": a.time_on_task_ms,
                                        "created_at": iso(a.created_at)}, "replayed": result.replayed},
                        status_code=201)

    @post("/assignments/{assignment_id:int}/skip", status_code=200, summary="Give a task back")
    async def skip(self, request: Request, assignment_id: int) -> dict[str, Any]:
        async with database(request).transaction() as session:
            assignment = await service.skip(session, assignment_id, request.user)
        return {"assignment": {"id": assignment.id, "state": assignment.state}}
