"""JSON API for importing items."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post

from app.accounts import service as accounts
from app.accounts.models import Role
from app.errors import Invalid
from app.items import service
from app.items.bodies import DESCRIPTION, ITEMS, OTHER_MEDIA
from app.items.parsing import FORMATS, ImportRejected
from app.items.spool import spool_upload
from app.media.form import is_multipart
from app.media.upload import import_form
from app.projects.service import get_project, parse_due
from app.web.bodies import takes
from app.web.edge import STREAMS_FORM
from app.web.requests import database


class ItemsApi(Controller):
    path = "/api/v1/projects/{project_id:int}/items"
    tags = ["items"]

    @post("/", summary="Import items: a JSON array, JSONL (application/x-ndjson) or CSV, all or nothing (ops); "
                       "multipart/form-data with 'items' and 'media' (a zip of the files they name)",
          request_max_body_size=None, opt={STREAMS_FORM: True},
          operation_class=takes(ITEMS, description=DESCRIPTION, other_media=OTHER_MEDIA))
    async def import_items(self, request: Request, project_id: int, batch: str | None = None,
                           due: str | None = None, format: str | None = None) -> Response[dict[str, Any]]:
        """``format`` (json, jsonl, csv, labelstudio) overrides the Content-Type."""
        if format is not None and format not in FORMATS:
            raise Invalid({"format": f"must be one of: {', '.join(FORMATS)}"})
        due_at = parse_due(due)
        service.batch_name_of(batch)
        db = database(request)
        async with db.transaction() as session:  # who is asking, before a byte of the upload is read
            await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, Role.ops)
        if is_multipart(request.headers.get("content-type")):  # items with a zip of their media
            return await import_form(request, project_id, fmt=format, batch=batch, due_at=due_at)
        upload = await spool_upload(request, request.app.state.settings.max_import_bytes)
        try:
            result, fmt = await service.import_upload(db, project_id, upload, actor=request.user, fmt=format,
                                                      content_type=request.headers.get("content-type"),
                                                      batch_name=batch, due_at=due_at)
        except ImportRejected as exc:
            return Response(exc.to_dict(), status_code=422)
        finally:
            upload.close()
        return Response({"created": result.created, "batch_id": result.batch_id, "gold": result.gold,
                         "annotations": result.annotations, "format": fmt}, status_code=201)
