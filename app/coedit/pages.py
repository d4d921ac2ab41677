"""Co-editing pages: the review tasks someone else holds that you may join (a fragment of the
review queue page). The task page itself is the review page (app/review/pages.py)."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template
from sqlalchemy import select

from app.accounts.models import User
from app.coedit import service
from app.projects.service import get_project
from app.web.requests import database


@get("/projects/{project_id:int}/review/open", include_in_schema=False)
async def open_reviews(request: Request, project_id: int) -> Template:
    """Review tasks being edited now that the caller may join, with who holds each."""
    async with database(request).transaction() as session:
        project = await get_project(session, project_id)
        tasks = await service.joinable(session, project, request.user)
        holders = dict((await session.execute(select(User.id, User.name).where(
            User.id.in_({t.reviewer_id for t in tasks})))).all()) if tasks else {}
    return Template("coedit/_open.html", context={"project": project, "tasks": tasks, "holders": holders})
