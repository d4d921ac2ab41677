"""An item's thread, live: ``/ws/items/{id}``.

Readers see different renderings of the same thread (names or pseudonyms, comments a contributor
may not read), so the publisher does not render it: after a ``comment.*`` commit it publishes only
a signal, ``b"<version>"`` (the project's newest event id), on the item's channel, and each socket
re-renders the thread for its own person (a read per socket per change: a thread has few viewers).
The socket sends a snapshot on every (re)connect and a re-render on every newer signal; each
message is the comment list with ``hx-swap-oob``, so htmx-ext-ws swaps it in place.
"""

from __future__ import annotations

import logging

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.exceptions import WebSocketDisconnect
from litestar.template import TemplateEngineProtocol
from sqlalchemy import func, select

from app.db import Database
from app.errors import DomainError, NotFound
from app.events.models import Event
from app.items.models import Item
from app.realtime import stream
from app.threads import service
from app.threads.access import item_access

log = logging.getLogger(__name__)

COMMENTS = "threads/_comments.html"


class ItemSignal:
    """The publisher's renderer for the ``item`` view: just the version, for sockets to re-render."""

    def __init__(self, db: Database):
        self.db = db

    async def __call__(self, item_id: int) -> dict[str, bytes] | None:
        async with self.db.transaction() as session:
            project_id = (await session.execute(select(Item.project_id).where(Item.id == item_id))).scalar()
            if project_id is None:
                return None
            version = (await session.execute(select(func.max(Event.id)).where(Event.project_id == project_id))).scalar()
        return {"item": str(version or 0).encode()}


def render_comments(templates: TemplateEngineProtocol, item_id: int, comments: list[dict], access, *,
                    csrf: str, oob: bool, edit_errors: dict | None = None) -> str:
    """The comment list for one reader (``threads/_comments.html``)."""
    return templates.get_template(COMMENTS).render(
        thread_item_id=item_id, comments=comments, may_edit_any=access.role == "ops", may_resolve=access.is_staff,
        csrf=csrf, oob=oob, edit_errors=edit_errors or {})


def csrf_cookie(socket: WebSocket) -> str:
    """The page's CSRF token (the cookie's value), for the forms in a pushed list."""
    config = getattr(socket.app, "csrf_config", None)
    return socket.cookies.get(config.cookie_name if config else "csrftoken", "") or ""


@websocket("/ws/items/{item_id:int}")
async def item_socket(socket: WebSocket, item_id: int, channels: ChannelsPlugin) -> None:
    """The item's thread for the signed-in person: a snapshot on (re)connect, then every change."""
    db: Database = socket.app.state.db
    try:
        async with db.transaction() as session:
            await item_access(session, socket.user, item_id)
    except NotFound as exc:
        await socket.close(code=4404, reason=exc.message)
        return
    except DomainError as exc:
        await socket.close(code=4403, reason=exc.message)
        return
    await socket.accept()
    publisher = socket.app.state.publisher
    secret = socket.app.state.settings.secret_key
    csrf = csrf_cookie(socket)
    newest, last_sent, closed = -1, None, False

    async def forward(signal: bytes) -> None:
        nonlocal newest, last_sent, closed
        try:
            version = int(signal)
        except ValueError:
            return
        if closed or version < newest:  # an older render finished late: what it announced is shown
            return
        newest = version
        try:
            async with db.transaction() as session:
                access = await item_access(session, socket.user, item_id)  # access can be taken away
                comments = await service.thread(session, access, secret=secret)
            html = render_comments(socket.app.template_engine, item_id, comments, access, csrf=csrf, oob=True)
            if html != last_sent:
                last_sent = html
                await socket.send_text(html)
        except WebSocketDisconnect:
            closed = True
        except DomainError:
            closed = True
            await socket.close(code=4403, reason="you no longer have access to this item")
        except Exception:  # one failed render must not end the stream: the next change renders again
            log.exception("thread push failed for item %s", item_id)

    async def snapshot() -> bytes | None:
        signal = await publisher.renderers["item"](item_id)
        return signal["item"] if signal else None

    await stream(socket, channels, publisher.channel("item", item_id), snapshot, forward,
                 snapshot_key=("item", item_id))
