"""The live board: one render per burst of changes, the same bytes to every socket.

A published message is ``b"<version>\\n<html>"``; the version is the newest
event id the render saw. Renders can finish out of order across processes, so
each socket forwards only messages newer than the last one it sent.
"""

from __future__ import annotations

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.template import TemplateEngineProtocol

from app.accounts import service as accounts
from app.accounts.pseudonym import pseudonym
from app.accounts.models import Role
from app.board.service import board_contributors, board_stats
from app.board.sparkline import sparkline_points
from app.db import Database
from app.errors import DomainError
from app.models_base import storable_id
from app.projects.models import Project
from app.realtime import stream

BOARD_ROLES = (Role.ops, Role.reviewer, Role.specialist, Role.client)
FRAGMENT = "board/_board.html"


#: The board's views: ops see who is who; everyone else (clients, reviewers) sees pseudonyms.
OPS_VIEW, MEMBERS_VIEW = "board", "board:members"


class BoardRenderer:
    """Renders a project's board for both audiences from one read of the numbers; used by the
    publisher (once per burst of changes) and by each (re)connect."""

    def __init__(self, db: Database, templates: TemplateEngineProtocol, *, secret: str):
        self.db = db
        self.templates = templates
        self.secret = secret

    async def __call__(self, project_id: int) -> dict[str, bytes] | None:
        async with self.db.transaction() as session:
            project = await session.get(Project, project_id)
            if project is None:
                return None
            stats = await board_stats(session, project)
            contributors = await board_contributors(session, project)
        named = self._render(stats, contributors)
        for row in contributors.rows:
            name = pseudonym(self.secret, project_id, row["user_id"])
            row.update(name=name, user_id=name, email=None, reason="")
        return {OPS_VIEW: named, MEMBERS_VIEW: self._render(stats, contributors)}

    def _render(self, stats, contributors) -> bytes:
        html = self.templates.get_template(FRAGMENT).render(stats=stats, spark=sparkline_points,
                                                            contributors=contributors)
        return f"{stats.version}\n".encode() + html.encode()


def split_message(message: bytes) -> tuple[int, bytes]:
    version, _, html = message.partition(b"\n")
    return int(version), html


@websocket("/ws/projects/{project_id:int}/board")
async def board_socket(socket: WebSocket, project_id: int, channels: ChannelsPlugin) -> None:
    db: Database = socket.app.state.db
    try:
        async with db.transaction() as session:
            project = await session.get(Project, project_id) if storable_id(project_id) else None
            if project is None:
                await socket.close(code=4404, reason="no such project")
                return
            role = await accounts.require_role(session, socket.user, project_id, *BOARD_ROLES)
    except DomainError as exc:
        await socket.close(code=4403, reason=exc.message)
        return
    await socket.accept()
    view = OPS_VIEW if role == Role.ops else MEMBERS_VIEW
    publisher = socket.app.state.publisher
    last_sent = -1

    async def forward(message: bytes) -> None:
        nonlocal last_sent
        version, html = split_message(message)
        if version >= last_sent:
            last_sent = version
            await socket.send_text(html.decode())

    async def snapshot() -> bytes | None:
        rendered = await publisher.renderers["board"](project_id)
        return rendered[view] if rendered else None

    await stream(socket, channels, publisher.channel(view, project_id), snapshot, forward,
                 snapshot_key=(view, project_id))
