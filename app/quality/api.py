"""JSON API for standing: the ops contributors table, a contributor's own record, ops overrides."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post

from app.accounts import service as accounts
from app.accounts.models import Role
from app.errors import Invalid
from app.projects.service import get_project
from app.quality import standings
from app.quality.bodies import StandingOverride
from app.quality.models import StandingState
from app.quality.service import override_standing
from app.web.bodies import takes
from app.web.requests import database, json_object

OVERRIDES = (StandingState.qualified, StandingState.removed, StandingState.pending_gate)


class QualityApi(Controller):
    path = "/api/v1"
    tags = ["quality"]

    @get("/projects/{project_id:int}/contributors", summary="Standings table with outliers marked (ops)")
    async def contributors(self, request: Request, project_id: int) -> dict[str, Any]:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, Role.ops)
            rows = await standings.contributor_rows(session, project)
        return {"project_id": project_id, "contributors": rows}

    @get("/me/projects/{project_id:int}/standing", summary="The caller's own standing, scores and feedback")
    async def my_standing(self, request: Request, project_id: int) -> dict[str, Any]:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id)
            return await standings.own_standing(session, project, request.user.id)

    @post("/projects/{project_id:int}/contributors/{user_id:int}/standing", status_code=200,
          summary="Set a contributor's standing by hand, with a reason (ops): reinstate, remove, re-gate",
          operation_class=takes(StandingOverride))
    async def override(self, request: Request, project_id: int, user_id: int) -> dict[str, Any]:
        data = await json_object(request)
        state, reason = data.get("state"), data.get("reason")
        errors = {}
        if state not in OVERRIDES:
            errors["state"] = f"must be one of: {', '.join(OVERRIDES)}"
        if not isinstance(reason, str) or not reason.strip():
            errors["reason"] = "required: say why, the contributor will read it"
        if errors:
            raise Invalid(errors)
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, Role.ops)
            if await accounts.membership_role(session, project_id, user_id) != Role.contributor:
                raise Invalid({"user_id": "is not a contributor in this project"})
            await override_standing(session, project, user_id, state, reason, request.user.id)
        return {"user_id": user_id, "standing": state}
