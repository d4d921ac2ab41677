"""Thread pages: a standalone page for one item's thread (where mention notifications lead) and
the form posts behind ``templates/threads/_thread.html``.

Every form works as a plain post (303 back to the thread page, or the page again with the error
and the text kept) and, with htmx, answers with just what changed: a fresh comment form with the
list out of band, or the list itself for edits and resolutions. Everyone viewing the item gets the
change over ``/ws/items/{id}`` too.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select

from app.errors import Invalid
from app.items.models import Item
from app.projects.service import get_project, interface_of
from app.threads import service
from app.threads.access import ItemAccess, item_access
from app.web.requests import database

PAGE = "threads/page.html"


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _secret(request: Request) -> str:
    return request.app.state.settings.secret_key


def _list_context(item_id: int, access: ItemAccess, comments: list[dict[str, Any]]) -> dict[str, Any]:
    return {"thread_item_id": item_id, "comments": comments, "thread_comments": comments,
            "may_edit_any": access.role == "ops", "may_resolve": access.is_staff, "edit_errors": {},
            "thread_form_body": "", "thread_form_error": None}


class ThreadPages(Controller):
    path = "/items/{item_id:int}"
    include_in_schema = False

    async def _render(self, request: Request, item_id: int, template: str, *, status_code: int = 200,
                      **extra: Any) -> Template:
        async with database(request).transaction() as session:
            access = await item_access(session, request.user, item_id)
            comments = await service.thread(session, access, secret=_secret(request))
            context = _list_context(item_id, access, comments)
            if template == PAGE:
                data = (await session.execute(select(Item.data).where(Item.id == item_id))).scalar_one()
                project = await get_project(session, access.project_id)
                context |= {"user": request.user, "project": project, "item_data": data,
                            "interface": interface_of(project)}
        return Template(template, context=context | extra, status_code=status_code)

    @get("/thread")
    async def thread_page(self, request: Request, item_id: int) -> Template:
        return await self._render(request, item_id, PAGE)

    @post("/comments", status_code=200)
    async def add(self, request: Request, item_id: int) -> Template | Redirect:
        form = await request.form()
        body = str(form.get("body") or "")
        try:
            async with database(request).transaction() as session:
                access = await item_access(session, request.user, item_id)
                comment = await service.add_comment(session, access, request.user, body, secret=_secret(request))
        except Invalid as exc:
            error = exc.errors.get("body") or next(iter(exc.errors.values()), exc.message)
            template = "threads/_post_response.html" if _htmx(request) else PAGE
            return await self._render(request, item_id, template, status_code=422, thread_form_body=body,
                                      thread_form_error=error)
        if _htmx(request):
            return await self._render(request, item_id, "threads/_post_response.html")
        return Redirect(f"/items/{item_id}/thread#comment-{comment.id}", status_code=303)

    @post("/comments/{comment_id:int}", status_code=200)
    async def change(self, request: Request, item_id: int, comment_id: int) -> Template | Redirect:
        """Edit (``body``) or resolve and reopen (``resolved`` true / false)."""
        form = await request.form()
        body, resolved = form.get("body"), form.get("resolved")
        try:
            async with database(request).transaction() as session:
                access = await item_access(session, request.user, item_id)
                if body is not None:
                    await service.edit_comment(session, access, request.user, comment_id, str(body),
                                               secret=_secret(request))
                if resolved is not None:
                    flag = {"true": True, "false": False}.get(str(resolved), str(resolved))
                    await service.set_resolved(session, access, request.user, comment_id, flag)
                if body is None and resolved is None:
                    raise Invalid({"body": "write something"})
        except Invalid as exc:
            error = exc.errors.get("body") or next(iter(exc.errors.values()), exc.message)
            edit_errors = {comment_id: {"body": error, "text": str(body or "")}}
            template = "threads/_comments.html" if _htmx(request) else PAGE
            return await self._render(request, item_id, template, status_code=422, edit_errors=edit_errors,
                                      oob=False)
        if _htmx(request):
            return await self._render(request, item_id, "threads/_comments.html", oob=False)
        return Redirect(f"/items/{item_id}/thread#comment-{comment_id}", status_code=303)
