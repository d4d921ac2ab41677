"""``POST /api/v1/projects/{id}/items`` with multipart/form-data: ``items`` (JSONL/CSV/JSON) and
``media`` (a zip of the files they name); the route itself is the items API's (``app.items.api``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, Response

from app.errors import Invalid
from app.items.parsing import ImportRejected
from app.media.form import spool_form
from app.media.importing import import_with_media, open_zip
from app.media.store import store_from_settings
from app.web.requests import database


async def import_form(request: Request, project_id: int, *, fmt: str | None, batch: str | None,
                      due_at: datetime | None) -> Response[dict[str, Any]]:
    settings = request.app.state.settings
    parts = await spool_form(request, {"items": settings.max_import_bytes, "media": settings.max_media_bytes})
    try:
        items = parts.get("items")
        if items is None:
            raise Invalid({"items": "send the items (JSONL, CSV or JSON) as the form part 'items'"})
        media = parts.get("media")
        try:
            files = await open_zip(media.file, media.filename) if media is not None else None
            done = await import_with_media(database(request), store_from_settings(settings), project_id, items.file,
                                           files, actor=request.user, max_bytes=settings.max_media_bytes, fmt=fmt,
                                           filename=items.filename, content_type=items.content_type,
                                           batch_name=batch, due_at=due_at)
        except ImportRejected as exc:
            return Response(exc.to_dict(), status_code=422)
    finally:
        for part in parts.values():
            part.file.close()
    result = done.result
    return Response({"created": result.created, "batch_id": result.batch_id, "gold": result.gold,
                     "annotations": result.annotations, "format": done.format, "media": done.media}, status_code=201)
