"""The contributor's workspace: the task, the guidelines at hand, submit and move on."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template

from app.accounts import service as accounts
from app.errors import Conflict, Forbidden, Invalid
from app.escalations.service import guidelines_to_acknowledge
from app.models_base import utcnow
from app.quality.standings import live_standing
from app.projects.service import current_guidelines, get_project, interface_of
from app.web.markdown import render_markdown
from app.web.requests import database
from app.work import service
from app.work.service import WORKER_ROLES, Lease

TASK = "work/_task.html"
GUIDELINES_KEPT = 64

#: Rendered guidelines per (project, its creation, version): a version is immutable (a change is a new
#: version), so the workspace reads and renders it once per process, not on every task.
_guidelines_shown: OrderedDict[tuple, dict[str, Any]] = OrderedDict()


async def _guidelines(session, project) -> dict[str, Any] | None:
    """The current guidelines as the workspace shows them: their version and the rendered body."""
    if not project.guideline_version:
        return None
    key = (project.id, project.created_at, project.guideline_version)
    shown = _guidelines_shown.get(key)
    if shown is None:
        version = await current_guidelines(session, project)
        shown = {"version": version.version, "html": render_markdown(version.body)}
        _guidelines_shown[key] = shown
        while len(_guidelines_shown) > GUIDELINES_KEPT:
            _guidelines_shown.popitem(last=False)
    else:
        _guidelines_shown.move_to_end(key)
    return shown


def _task_context(project, lease: Lease | None, *, values: dict[str, Any] | None = None,
                  errors: dict[str, str] | None = None, key: str | None = None, notice: str | None = None,
                  flash: str | None = None, versions: list | None = None) -> dict[str, Any]:
    """A returned answer opens with the answer as given, so the contributor fixes rather than retypes."""
    if values is None and lease is not None and lease.assignment.returned:
        values = lease.assignment.returned.get("answer") or {}
    return {"project": project, "lease": lease, "interface": interface_of(project), "values": values or {},
            "errors": errors or {}, "idempotency_key": key or uuid.uuid4().hex, "notice": notice, "flash": flash,
            "versions": versions or []}


async def _next_task_fragment(request: Request, project_id: int, flash: str | None = None) -> Template:
    """Lease the next task and render it; what the workspace shows after every answer.

    ``flash`` says what happened to the previous task when it is not obvious."""
    async with database(request).transaction() as session:
        project = await get_project(session, project_id)
        # Who may work here is checked first: a refusal is a 403, not a "no task" card. What may stop
        # a worker (a pause, the gate, removal, new guidelines) is said on the card below.
        await accounts.require_role(session, request.user, project_id, *WORKER_ROLES)
        try:
            lease = await service.next_lease(session, project.id, request.user)
        except (Conflict, Forbidden) as exc:  # paused project, failed gate, removal, new guidelines: say why
            versions = []
            if exc.extra.get("reason") == "acknowledge_guidelines":
                versions = await guidelines_to_acknowledge(session, project, request.user)
            return Template(TASK, context=_task_context(project, None, notice=exc.message, flash=flash,
                                                        versions=versions))
    return Template(TASK, context=_task_context(project, lease, notice=None if lease else "done", flash=flash))


class WorkPages(Controller):
    path = "/projects/{project_id:int}/work"
    include_in_schema = False

    @get("/")
    async def workspace(self, request: Request, project_id: int) -> Template:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, *WORKER_ROLES)
            guidelines = await _guidelines(session, project)
            lease = await service.current_lease(session, project_id, request.user.id, utcnow())
            me = await live_standing(session, project_id, request.user.id)  # the banner and inbox
        return Template("work/workspace.html", context={
            "user": request.user, "guidelines": guidelines, "me": me, **_task_context(project, lease)})

    @post("/next", status_code=200)
    async def next_task(self, request: Request, project_id: int) -> Template:
        return await _next_task_fragment(request, project_id)

    @post("/{assignment_id:int}/submit", status_code=200)
    async def submit(self, request: Request, project_id: int, assignment_id: int) -> Template:
        form = await request.form()
        key = str(form.get("idempotency_key") or "") or None
        db = database(request)
        async with db.transaction() as session:
            project = await get_project(session, project_id)
            raw = interface_of(project).parse_form({k: form.getall(k) for k in form.keys()})
        try:
            async with db.transaction() as session:
                await service.submit(session, assignment_id, request.user, raw, key)
        except Invalid as exc:
            async with db.transaction() as session:
                lease = await service.current_lease(session, project_id, request.user.id, utcnow())
            return Template(TASK, status_code=422, context=_task_context(project, lease, values=raw, errors=exc.errors, key=key))
        except Conflict:
            # The lease ran out and was handed on, or the task was answered elsewhere: a 409 would
            # leave the form on screen doing nothing, so say so and move on.
            return await _next_task_fragment(request, project_id, flash=(
                f"Your answer to task #{assignment_id} was not saved: the task is no longer open to you "
                "(its time ran out, or it was already answered)."))
        return await _next_task_fragment(request, project_id)

    @post("/{assignment_id:int}/skip", status_code=200)
    async def skip(self, request: Request, project_id: int, assignment_id: int) -> Template:
        try:
            async with database(request).transaction() as session:
                await service.skip(session, assignment_id, request.user)
        except Conflict:
            pass  # no longer open to this person anyway (expired, answered): skipping it is done
        return await _next_task_fragment(request, project_id)
