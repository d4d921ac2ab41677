"""Every route's ids, query strings and form fields, checked once before any handler runs.

An id no column can hold names nothing: 404, the same as an unknown id, on both backends (PostgreSQL
would otherwise refuse the query with a 500). Query and form text a database cannot store is a 422
naming the field (a page shows it as its error page). JSON bodies are checked where they are read
(``app.web.requests.json_object``), against the fields each route declares.
"""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import WebSocketException
from litestar.handlers import BaseRouteHandler
from sqlalchemy import BigInteger

from app.accounts.models import ApiToken, User
from app.errors import Invalid, NotFound
from app.escalations.models import Escalation
from app.items.models import Item
from app.models_base import BIG_ID_MAX, INT_ID_MAX
from app.projects.models import GuidelineVersion, Project
from app.review.models import ReviewTask
from app.threads.models import Comment
from app.web.text import text_problem
from app.work.models import Assignment

#: The column each integer path parameter names a row by. A parameter not listed here is held to the
#: smaller INTEGER range, which is right for an INTEGER column and never lets a BIGINT overflow.
PATH_ID_COLUMNS = {
    "project_id": Project.id, "item_id": Item.id, "assignment_id": Assignment.id, "review_id": ReviewTask.id,
    "comment_id": Comment.id, "escalation_id": Escalation.id, "user_id": User.id, "token_id": ApiToken.id,
    "version": GuidelineVersion.version,
}
FORM_TYPES = (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART)


def _largest(column) -> int:
    return BIG_ID_MAX if isinstance(column.type, BigInteger) else INT_ID_MAX


ID_MAXIMUM = {name: _largest(column) for name, column in PATH_ID_COLUMNS.items()}


#: A handler's ``opt`` flag: it streams its own multipart body (a zip of media may be gigabytes), whose
#: parts are files it checks itself, so the guard must not read (and hold) the form first.
STREAMS_FORM = "streams_form"


async def checked_input(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """An app-wide guard: ids in range (404), storable text in the path, query and form (422)."""
    websocket = connection.scope["type"] == ScopeType.WEBSOCKET
    for name, value in connection.path_params.items():
        if type(value) is int and not 0 < value <= ID_MAXIMUM.get(name, INT_ID_MAX):
            if websocket:
                raise WebSocketException(f"no such {name.removesuffix('_id')}", code=4404)
            raise NotFound(f"no such {name.removesuffix('_id')}")
    texts = [(name, value) for name, value in connection.path_params.items() if isinstance(value, str)]
    texts += connection.query_params.multi_items()
    if isinstance(connection, Request) and connection.content_type[0] in FORM_TYPES \
            and not handler.opt.get(STREAMS_FORM):
        form = await connection.form()  # parsed once and kept: the handler reads the same form
        texts += [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    errors: dict[str, str] = {}
    for name, value in texts:
        if problem := text_problem(name):
            errors["field name"] = f"a field name {problem}"
        elif problem := text_problem(value):
            errors.setdefault(name, problem)
    if errors:
        raise Invalid(errors)
