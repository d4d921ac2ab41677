"""JSON API for an item's thread: read it, comment, edit, resolve and reopen.

Each comment comes shaped for the caller (see ``app.threads.service``): authors by name or
pseudonym, the body as the caller may read it and its markdown rendered safely as ``html``.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post

from app.errors import Invalid
from app.threads import service
from app.threads.bodies import CommentChange, NewComment
from app.threads.access import item_access
from app.web.bodies import takes
from app.web.requests import database, json_object


def secret_of(request: Request) -> str:
    return request.app.state.settings.secret_key


class ThreadsApi(Controller):
    path = "/api/v1/items/{item_id:int}/comments"
    tags = ["threads"]

    @get("/", summary="The item's thread as the caller may see it, oldest first")
    async def comments(self, request: Request, item_id: int) -> dict[str, Any]:
        async with database(request).transaction() as session:
            access = await item_access(session, request.user, item_id)
            return {"comments": await service.thread(session, access, secret=secret_of(request))}

    @post("/", summary="Comment on the item, or on one answer to it (annotation_id); @email mentions notify",
          operation_class=takes(NewComment))
    async def add(self, request: Request, item_id: int) -> dict[str, Any]:
        data = await json_object(request)
        async with database(request).transaction() as session:
            access = await item_access(session, request.user, item_id)
            comment = await service.add_comment(session, access, request.user, data.get("body"),
                                                data.get("annotation_id"), secret=secret_of(request))
            return {"comment": await service.comment_view(session, access, comment, secret=secret_of(request))}

    @patch("/{comment_id:int}", summary="Edit the body (author or ops) and/or resolve or reopen (staff)",
           operation_class=takes(CommentChange))
    async def change(self, request: Request, item_id: int, comment_id: int) -> dict[str, Any]:
        data = await json_object(request)
        if "body" not in data and "resolved" not in data:
            raise Invalid({"body": "send body to edit, or resolved: true|false"})
        async with database(request).transaction() as session:
            access = await item_access(session, request.user, item_id)
            comment = None
            if "body" in data:
                comment = await service.edit_comment(session, access, request.user, comment_id, data["body"],
                                                     secret=secret_of(request))
            if "resolved" in data:
                comment = await service.set_resolved(session, access, request.user, comment_id, data["resolved"])
            return {"comment": await service.comment_view(session, access, comment, secret=secret_of(request))}
