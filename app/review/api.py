"""JSON API for reviewers: lease the next review, decide it; ops read the review metrics."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from app.accounts import service as accounts
from app.accounts.models import Role
from app.projects.service import get_project
from app.review import metrics, service
from app.review.bodies import Decision
from app.review.views import decision_json, review_json
from app.web.bodies import takes
from app.web.requests import database, json_object


class ReviewApi(Controller):
    path = "/api/v1"
    tags = ["review"]

    @post("/projects/{project_id:int}/reviews/next",
          summary="Lease the next review task at your level: 200 with it, or 204 when none is waiting")
    async def next_review(self, request: Request, project_id: int) -> Response:
        secret = request.app.state.settings.secret_key
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            lease = await service.next_review(session, project, request.user)
            body = None if lease is None else {"review": await review_json(session, lease, project, secret)}
        return Response(body, status_code=200 if body else 204)

    @post("/reviews/{review_id:int}/decide", status_code=200,
          summary="approve | edit (with answer) | reject (comment required, tags from the project's taxonomy)",
          operation_class=takes(Decision))
    async def decide(self, request: Request, review_id: int) -> dict[str, Any]:
        data = await json_object(request)
        async with database(request).transaction() as session:
            task = await service.decide(session, review_id, request.user, data.get("decision"),
                                        answer=data.get("answer"), comment=data.get("comment"), tags=data.get("tags"))
        return {"review": decision_json(task)}

    @get("/projects/{project_id:int}/review/metrics",
         summary="Acceptance and rejections by tag per contributor, reviewer throughput and agreement, backlog (ops)")
    async def review_metrics(self, request: Request, project_id: int) -> dict[str, Any]:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, Role.ops)
            return await metrics.review_metrics(session, project)
