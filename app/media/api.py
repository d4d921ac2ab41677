"""``GET /api/v1/media/{sha256}`` (bearer token) and ``/media/{sha256}`` (pages, session cookie).

From the local store the app serves the bytes itself, with Range support; from object storage
it redirects to a short-lived presigned URL. Every response says exactly what the bytes are
(the sniffed type, ``nosniff``) and forbids rendering them as a document (a policy that
allows nothing and sandboxes); SVG only ever as an attachment.
"""

from __future__ import annotations

import asyncio

from litestar import Request, Response, get
from litestar.response import Redirect, Stream

from app.errors import NotFound
from app.media.access import visible_file
from app.media.ranges import Unsatisfiable, byte_range
from app.media.sniffing import TYPES
from app.media.store import is_sha256, store_from_settings
from app.web.requests import database

#: On top of the app's own policy: a media response is never a document that can run anything.
MEDIA_POLICY = "default-src 'none'; sandbox"
_ATTACHMENT_TYPES = frozenset(t.content_type for t in TYPES.values() if t.attachment)


@get(["/api/v1/media/{sha256:str}", "/media/{sha256:str}"], summary="A media file (Range supported), or a "
     "redirect to a presigned URL; 404 unless the caller may see an item that references it", tags=["media"])
async def media_file(request: Request, sha256: str) -> Response:
    sha256 = sha256.lower()
    if not is_sha256(sha256):
        raise NotFound("no such media")
    async with database(request).transaction() as session:
        file = await visible_file(session, request.user, sha256)
    if file is None:
        raise NotFound("no such media")
    store = store_from_settings(request.app.state.settings)
    # X-Content-Type-Options: nosniff is on every response (app.web.security_headers); the policy adds to the app's.
    headers = {"Content-Security-Policy": MEDIA_POLICY,
               "Accept-Ranges": "bytes", "ETag": f'"{sha256}"'}
    if file.content_type in _ATTACHMENT_TYPES:
        headers["Content-Disposition"] = "attachment"
    url = await asyncio.to_thread(store.browser_url, sha256)
    if url is not None:
        return Redirect(url, status_code=307, headers={**headers, "Cache-Control": "no-store"})
    headers["Cache-Control"] = "private, max-age=300"  # as long as a presigned URL: access can end (a lease does)
    try:
        wanted = byte_range(request.headers.get("range"), file.size)
    except Unsatisfiable:
        return Response(b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{file.size}"},
                        media_type=file.content_type)
    start, end = wanted or (0, file.size)
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{file.size}"
    headers["Content-Length"] = str(end - start)
    return Stream(store.read_range(sha256, start, end), status_code=206 if wanted is not None else 200,
                  headers=headers, media_type=file.content_type)
