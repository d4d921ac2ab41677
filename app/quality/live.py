"""A person's own live view: standing and feedback, pushed on ``user:{id}``.

A published message is ``b"<project id> <version>\\n<html>"``: one socket may
watch several projects, and each keeps its own newest-first order.
"""

from __future__ import annotations

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.template import TemplateEngineProtocol
from sqlalchemy import func, select

from app.accounts import service as accounts
from app.db import Database
from app.errors import DomainError
from app.events.models import Event
from app.projects.models import Project
from app.quality.standings import live_standing
from app.realtime import stream

FRAGMENT = "quality/_live.html"


class PersonRenderer:
    """Renders one person's standing and inbox for one project (OOB fragments)."""

    def __init__(self, db: Database, templates: TemplateEngineProtocol):
        self.db = db
        self.templates = templates

    async def __call__(self, key: tuple[int, int]) -> dict[str, bytes] | None:
        user_id, project_id = key
        async with self.db.transaction() as session:
            project = await session.get(Project, project_id)
            if project is None:
                return None
            record = await live_standing(session, project_id, user_id)  # what _live.html shows
            version = (await session.execute(select(func.max(Event.id)).where(Event.project_id == project_id))).scalar() or 0
        html = self.templates.get_template(FRAGMENT).render(project=project, me=record, oob=True)
        return {"person": f"{project_id} {version}\n".encode() + html.encode()}


def split_message(message: bytes) -> tuple[int, int, bytes]:
    header, _, html = message.partition(b"\n")
    project_id, version = header.split(b" ")
    return int(project_id), int(version), html


@websocket("/ws/me")
async def me_socket(socket: WebSocket, channels: ChannelsPlugin, project: int | None = None) -> None:
    """The signed-in person's feedback and standing; a snapshot of ``project`` on every (re)connect."""
    db: Database = socket.app.state.db
    if project is not None:
        try:
            async with db.transaction() as session:
                await accounts.require_role(session, socket.user, project)
        except DomainError as exc:
            await socket.close(code=4403, reason=exc.message)
            return
    await socket.accept()
    renderer: PersonRenderer = socket.app.state.publisher.renderers["person"]
    newest: dict[int, int] = {}

    async def forward(message: bytes) -> None:
        project_id, version, html = split_message(message)
        if version >= newest.get(project_id, -1):
            newest[project_id] = version
            await socket.send_text(html.decode())

    async def snapshot() -> bytes | None:
        rendered = None if project is None else await renderer((socket.user.id, project))
        return rendered["person"] if rendered else None

    publisher = socket.app.state.publisher
    await stream(socket, channels, publisher.channel("person", (socket.user.id, project)), snapshot, forward,
                 snapshot_key=("person", socket.user.id, project))
