"""JSON API for exports (ops)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Stream

from app.accounts import service as accounts
from app.accounts.models import Role
from app.errors import Invalid
from app.export.preference import TIE_POLICIES, export_preference
from app.export.service import AGGREGATES, FORMATS, export_jsonl
from app.export.sft import export_sft
from app.projects.service import get_project
from app.web.requests import database


async def export_response(request: Request, project_id: int, fmt: str, aggregate: str = "majority",
                          ties: str = "skip") -> Stream:
    if fmt not in FORMATS:
        raise Invalid({"format": f"must be one of: {', '.join(FORMATS)}"})
    if aggregate not in AGGREGATES:
        raise Invalid({"aggregate": f"must be one of: {', '.join(AGGREGATES)}"})
    if ties not in TIE_POLICIES:
        raise Invalid({"ties": f"must be one of: {', '.join(TIE_POLICIES)}"})
    db = database(request)
    async with db.transaction() as session:
        project = await get_project(session, project_id)
        await accounts.require_role(session, request.user, project_id, Role.ops)
    if fmt == "preference":
        return Stream(export_preference(db, project_id, ties=ties), media_type="application/x-ndjson",
                      headers={"content-disposition": f'attachment; filename="inkwell-project-{project.id}-preference.jsonl"'})
    if fmt == "sft":
        return Stream(export_sft(db, project_id), media_type="application/x-ndjson",
                      headers={"content-disposition": f'attachment; filename="inkwell-project-{project.id}-sft.jsonl"'})
    filename = f"inkwell-project-{project.id}.jsonl"
    return Stream(export_jsonl(db, project_id, aggregate=aggregate), media_type="application/x-ndjson",
                  headers={"content-disposition": f'attachment; filename="{filename}"'})


class ExportApi(Controller):
    path = "/api/v1/projects/{project_id:int}/export"
    tags = ["export"]

    @get("/", summary="Stream items with their aggregated label and raw annotations as JSONL (ops)")
    async def export(self, request: Request, project_id: int, format: str = "jsonl", aggregate: str = "majority",
                     ties: str = "skip") -> Stream:
        """``format=preference``: pairs ``{prompt, chosen, rejected}`` from pairwise and ranking fields;
        ``ties=skip|both`` (app/export/preference.py). ``format=sft``: ``{messages}`` from a chat or
        prompt and an approved response written for it (app/export/sft.py)."""
        return await export_response(request, project_id, format, aggregate, ties)
