"""The live ops board page: the fragment arrives over the WebSocket."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from app.accounts import service as accounts
from app.board.live import BOARD_ROLES
from app.projects.service import get_project
from app.web.requests import database


class BoardPages(Controller):
    include_in_schema = False

    @get("/projects/{project_id:int}/board")
    async def board(self, request: Request, project_id: int) -> Template:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            role = await accounts.require_role(session, request.user, project_id, *BOARD_ROLES)
        return Template("board/page.html", context={"user": request.user, "project": project, "role": role})
