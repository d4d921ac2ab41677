"""JSON API for agreement, aggregated labels and the guideline-gap report."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, get
from litestar.params import Parameter

from app.accounts import service as accounts
from app.accounts.models import Role
from app.agreement import service
from app.agreement.report import gaps_for_reader
from app.errors import Invalid
from app.models_base import BIG_ID_MAX
from app.projects.service import get_project, interface_of
from app.web.requests import database

#: Who may read the statistics (annotator keys are user ids) and the gap report (pseudonyms unless ops).
STATISTICS_ROLES = (Role.ops, Role.specialist)
GAP_ROLES = (Role.ops, Role.specialist, Role.reviewer, Role.client)
PAGE_LIMIT = 10_000


class AgreementApi(Controller):
    path = "/api/v1/projects/{project_id:int}"
    tags = ["agreement"]

    @get("/agreement", summary="Inter-annotator agreement per field at its level of measurement (ops, specialist)")
    async def agreement(self, request: Request, project_id: int) -> dict[str, Any]:
        db = database(request)
        async with db.transaction() as session:
            await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, *STATISTICS_ROLES)
        return service.snapshot_json(await service.refresh(db, project_id))

    @get("/aggregate", summary="One label per item and field with a confidence, and the item's agreement (share of "
                                "agreeing answer pairs): majority or dawid_skene (ops, specialist)")
    async def aggregate(self, request: Request, project_id: int, method: str = "majority",
                        after: int = Parameter(default=0, ge=0, le=BIG_ID_MAX),
                        limit: int = Parameter(default=1000, ge=1, le=PAGE_LIMIT)) -> dict[str, Any]:
        if method not in service.AGGREGATION_METHODS:
            raise Invalid({"method": f"must be one of: {', '.join(service.AGGREGATION_METHODS)}"})
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, *STATISTICS_ROLES)
            answers = await service.load_answers(session, project_id, for_labels=True)
        interface = interface_of(project)
        labels = await asyncio.to_thread(service.aggregate, interface, answers, method)
        page = sorted(item for item in labels if item > after)[:limit]
        agreement = service.items_agreement(interface, answers, set(page))
        return {"method": method,
                "items": [{"item_id": item, "fields": labels[item], "agreement": agreement.get(item)} for item in page],
                "next_after": page[-1] if len(page) == limit else None}

    @get("/guideline-gaps", summary="Where disagreement concentrates: confused labels, weak groups, disputed items, "
                                    "outlying annotators, trend")
    async def guideline_gaps(self, request: Request, project_id: int) -> dict[str, Any]:
        db = database(request)
        async with db.transaction() as session:
            await get_project(session, project_id)
            role = await accounts.require_role(session, request.user, project_id, *GAP_ROLES)
        row = await service.refresh(db, project_id)
        async with db.transaction() as session:
            return await gaps_for_reader(session, project_id, row, named=role == Role.ops,
                                         secret=request.app.state.settings.secret_key)
