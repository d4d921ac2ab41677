"""Agreement pages: the analysis for ops and specialists, a printable guideline-gap report for
clients (no contributor identities), and the report as CSV."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.response import Template

from app.accounts import service as accounts
from app.accounts.models import Role
from app.agreement import service
from app.agreement.api import GAP_ROLES, STATISTICS_ROLES
from app.agreement.gaps import gaps_csv
from app.agreement.people import display_names
from app.agreement.report import gaps_for_reader
from app.projects.service import get_project
from app.web.requests import database


class AgreementPages(Controller):
    path = "/projects/{project_id:int}"
    include_in_schema = False

    @get("/agreement")
    async def analysis(self, request: Request, project_id: int) -> Template:
        db = database(request)
        secret = request.app.state.settings.secret_key
        async with db.transaction() as session:
            project = await get_project(session, project_id)
            role = await accounts.require_role(session, request.user, project_id, *STATISTICS_ROLES)
        row = await service.refresh(db, project_id)
        report = service.snapshot_json(row)
        async with db.transaction() as session:
            gaps = await gaps_for_reader(session, project_id, row, named=role == Role.ops, secret=secret)
            keys = {key for f in report["fields"].values() for key in (f.get("per_annotator") or {})}
            names = await display_names(session, project_id, keys, named=role == Role.ops, secret=secret)
        return Template("agreement/analysis.html", context={
            "user": request.user, "project": project, "report": report, "gaps": gaps, "names": names})

    @get("/guideline-gaps")
    async def gaps_page(self, request: Request, project_id: int) -> Template:
        project, role, gaps = await self._gaps(request, project_id)
        return Template("agreement/gaps.html", context={"user": request.user, "project": project, "gaps": gaps,
                                                         "show_contributors": role != Role.client})

    @get("/guideline-gaps.csv")
    async def gaps_download(self, request: Request, project_id: int) -> Response:
        project, role, gaps = await self._gaps(request, project_id)
        return Response(gaps_csv(gaps, include_contributors=role != Role.client), media_type="text/csv",
                        headers={"content-disposition":
                                 f'attachment; filename="inkwell-project-{project.id}-guideline-gaps.csv"'})

    async def _gaps(self, request: Request, project_id: int):
        db = database(request)
        async with db.transaction() as session:
            project = await get_project(session, project_id)
            role = await accounts.require_role(session, request.user, project_id, *GAP_ROLES)
        row = await service.refresh(db, project_id)
        async with db.transaction() as session:
            gaps = await gaps_for_reader(session, project_id, row, named=role == Role.ops,
                                         secret=request.app.state.settings.secret_key)
        if role == Role.client:
            gaps["contributors"] = []
        return project, role, gaps
