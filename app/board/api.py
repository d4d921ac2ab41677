"""JSON API for the board's numbers."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from app.accounts import service as accounts
from app.board.service import board_stats
from app.board.live import BOARD_ROLES
from app.projects.service import get_project
from app.web.requests import database


class BoardApi(Controller):
    path = "/api/v1/projects/{project_id:int}"
    tags = ["board"]

    @get("/stats", summary="Counts, throughput and blockers, per project and per batch")
    async def stats(self, request: Request, project_id: int) -> dict[str, Any]:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, *BOARD_ROLES)
            stats = await board_stats(session, project)
        return stats.to_dict()
