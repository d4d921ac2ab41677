"""JSON API for escalations: flag an item, the specialist queue, decide, confirm new guidelines."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from app.errors import Invalid
from app.models_base import BIG_ID_MAX
from app.escalations import service
from app.escalations.bodies import Acknowledgement, NewEscalation, Resolution
from app.projects.service import get_project
from app.web.bodies import takes
from app.web.requests import database, json_object


class EscalationsApi(Controller):
    path = "/api/v1/projects/{project_id:int}"
    tags = ["escalations"]

    @post("/escalations", summary="Flag the item of a held task (assignment_id) or review (review_task_id) as not "
                                  "covered by the guidelines, with a note: it goes to a specialist",
          operation_class=takes(NewEscalation))
    async def raise_escalation(self, request: Request, project_id: int) -> Response:
        data = await json_object(request)
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            escalation = await service.raise_escalation(
                session, project, request.user, item_id=data.get("item_id"), note=data.get("note"),
                assignment_id=data.get("assignment_id"), review_task_id=data.get("review_task_id"))
            staff = await service.is_staff(session, project, request.user)
            [view] = await service.views(session, [escalation], staff=staff)
        return Response({"escalation": view}, status_code=201)

    @get("/escalations", summary="Escalations, oldest first: all of them for specialists and ops, "
                                 "your own for anyone else; ?state=open|resolved, ?after=<id> to read on")
    async def list_escalations(self, request: Request, project_id: int,
                               state_filter: str | None = Parameter(query="state", default=None),
                               after: int | None = Parameter(default=None, ge=0, le=BIG_ID_MAX),
                               limit: int = Parameter(default=service.LIST_LIMIT, ge=1, le=BIG_ID_MAX),
                               ) -> dict[str, Any]:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            escalations = await service.list_escalations(session, project, request.user, state_filter, after=after,
                                                         limit=limit)
            staff = await service.is_staff(session, project, request.user)
            return {"escalations": await service.views(session, escalations, staff=staff)}

    @post("/escalations/{escalation_id:int}/resolve", status_code=200,
          summary="Decide an escalated item (specialist, ops): resolution, optional answer, optional "
                  "clarification {guidelines, changelog} that publishes a new guideline version",
          operation_class=takes(Resolution))
    async def resolve(self, request: Request, project_id: int, escalation_id: int) -> dict[str, Any]:
        data = await json_object(request)
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            escalation = await service.resolve_escalation(
                session, project, escalation_id, request.user, resolution=data.get("resolution"),
                answer=data.get("answer"), clarification=data.get("clarification"))
            [view] = await service.views(session, [escalation], staff=True)
        return {"escalation": view}

    @post("/guidelines/acknowledge", status_code=200,
          summary="Confirm you read the current guideline version (contributors): needed before the next task",
          operation_class=takes(Acknowledgement))
    async def acknowledge(self, request: Request, project_id: int) -> dict[str, Any]:
        data = await json_object(request)
        if "version" not in data:
            raise Invalid({"version": "required: the guideline version you read"})
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            version = await service.acknowledge_guidelines(session, project, request.user, data["version"])
        return {"acknowledged": version}
