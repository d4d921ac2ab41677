"""JSON API for importing items."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post

from app.accounts import service as accounts
from app.accounts.models import Role
from app.items import service
from app.items.bodies import DESCRIPTION, ITEMS, OTHER_MEDIA
from app.errors import Invalid
from app.items.parsing import FORMATS, ImportRejected, detect_format, parse_items
from app.projects.service import get_project, interface_of, parse_due
from app.web.bodies import takes
from app.web.requests import database, read_limited


class ItemsApi(Controller):
    path = "/api/v1/projects/{project_id:int}/items"
    tags = ["items"]

    @post("/", summary="Import items: a JSON array, JSONL (application/x-ndjson) or CSV, all or nothing (ops)",
          request_max_body_size=None,
          operation_class=takes(ITEMS, description=DESCRIPTION, other_media=OTHER_MEDIA))
    async def import_items(self, request: Request, project_id: int, batch: str | None = None,
                           due: str | None = None, format: str | None = None) -> Response[dict[str, Any]]:
        """``format`` (json, jsonl, csv, labelstudio) overrides the Content-Type."""
        if format is not None and format not in FORMATS:
            raise Invalid({"format": f"must be one of: {', '.join(FORMATS)}"})
        due_at = parse_due(due)
        limit = request.app.state.settings.max_import_bytes
        body = await read_limited(request, limit)
        db = database(request)
        async with db.transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, Role.ops)
            interface = interface_of(project)
        fmt = format or detect_format(None, request.headers.get("content-type"), body)
        try:
            records = parse_items(body, fmt, interface)
        except ImportRejected as exc:
            return Response(exc.to_dict(), status_code=422)
        async with db.transaction() as session:
            project = await get_project(session, project_id)
            result = await service.import_records(session, project, records, batch_name=batch, actor=request.user,
                                                  due_at=due_at)
        return Response({"created": result.created, "batch_id": result.batch_id, "gold": result.gold,
                         "annotations": result.annotations, "format": fmt}, status_code=201)

