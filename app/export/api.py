"""JSON API for exports (ops)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Stream

from app.accounts import service as accounts
from app.accounts.models import Role
from app.errors import Invalid
from app.export.service import AGGREGATES, FORMATS, export_jsonl
from app.projects.service import get_project
from app.web.requests import database


async def export_response(request: Request, project_id: int, fmt: str, aggregate: str = "majority") -> Stream:
    if fmt not in FORMATS:
        raise Invalid({"format": f"must be one of: {', '.join(FORMATS)}"})
    if aggregate not in AGGREGATES:
        raise Invalid({"aggregate": f"must be one of: {', '.join(AGGREGATES)}"})
    db = database(request)
    async with db.transaction() as session:
        project = await get_project(session, project_id)
        await accounts.require_role(session, request.user, project_id, Role.ops)
    filename = f"inkwell-project-{project.id}.jsonl"
    return Stream(export_jsonl(db, project_id, aggregate=aggregate), media_type="application/x-ndjson",
                  headers={"content-disposition": f'attachment; filename="{filename}"'})


class ExportApi(Controller):
    path = "/api/v1/projects/{project_id:int}/export"
    tags = ["export"]

    @get("/", summary="Stream items with their aggregated label and raw annotations as JSONL (ops)")
    async def export(self, request: Request, project_id: int, format: str = "jsonl", aggregate: str = "majority") -> Stream:
        return await export_response(request, project_id, format, aggregate)
