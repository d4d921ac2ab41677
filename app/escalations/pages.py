"""Escalation pages: the specialist queue with a resolve form per item, and the two small forms
other pages include: the flag form (workspace, review page) and the guideline acknowledgement.

The queue shows many resolve forms on one page, each with the task interface's widgets; every
form's fields are prefixed with the escalation (``e12-f_sentiment``) so ids and labels stay unique.
Forms post normally (CSRF field) and come back with what was typed when refused; the included
partials post with htmx and answer with ``HX-Redirect`` (a plain post gets a 303).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.errors import Conflict, Invalid
from app.escalations import service
from app.escalations.models import EscalationState
from app.projects.models import Project
from app.projects.service import current_guidelines, get_project, interface_of
from app.web.requests import database
from app.work.models import Annotation
from components.base import Component

async def _assignments_of(session: AsyncSession, rows: list[dict[str, Any]]) -> dict[int, int | None]:
    """The assignment of each escalated answer, so its item is shown as that contributor saw it."""
    ids = {row["annotation_id"] for row in rows if row.get("annotation_id") is not None}
    if not ids:
        return {}
    found = await session.execute(select(Annotation.id, Annotation.assignment_id).where(Annotation.id.in_(ids)))
    return dict(found.all())


#: Where a problem the service reports is shown in a resolve form.
_FORM_FIELDS = {"clarification.guidelines": "guidelines", "clarification.changelog": "changelog",
                "clarification": "guidelines"}


class PrefixedField:
    """A component seen through another input name: its widget renders ``prefix + form_name``."""

    def __init__(self, component: Component, prefix: str):
        self._component = component
        self.form_name = prefix + component.form_name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._component, name)


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _go(request: Request, url: str) -> Response:
    """Where the browser goes next: htmx follows HX-Redirect, a plain form post a 303."""
    if _htmx(request):
        return Response(content=b"", status_code=200, headers={"HX-Redirect": url})
    return Redirect(url, status_code=303)


def _int(value: Any) -> int | None | str:
    """A posted id: a number, None when absent, or the text itself so the service words the error."""
    text = str(value or "").strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 20 else text


def _prefix(escalation_id: int) -> str:
    return f"e{escalation_id}-"


class EscalationPages(Controller):
    path = "/projects/{project_id:int}"
    include_in_schema = False

    # -- the specialist queue ---------------------------------------------------------------
    async def _queue(self, request: Request, project_id: int, *, status_code: int = 200,
                     posted: dict[int, dict[str, Any]] | None = None, resolved: int | None = None) -> Template:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, *service.STAFF)
            escalations = await service.list_escalations(session, project, request.user, EscalationState.open)
            rows = await service.views(session, escalations, staff=True)
            guidelines = await current_guidelines(session, project)
            done = await service.get_escalation(session, project, resolved) if resolved else None
            shown_for = await _assignments_of(session, rows)
        interface = interface_of(project)
        posted = posted or {}
        for row in rows:
            prefix = _prefix(row["id"])
            mine = posted.get(row["id"], {})
            row["fields"] = [PrefixedField(c, prefix) for c in interface.components]
            row["assignment_id"] = shown_for.get(row.get("annotation_id"))
            row["values"] = mine.get("values", row.get("escalated_answer") or {})
            row["form"] = {"resolution": mine.get("resolution", ""),
                           "guidelines": mine.get("guidelines", guidelines.body if guidelines else ""),
                           "changelog": mine.get("changelog", ""), "errors": mine.get("errors", {})}
        return Template("escalations/queue.html", status_code=status_code, context={
            "user": request.user, "project": project, "rows": rows, "limit": service.LIST_LIMIT, "interface": interface,
            "guidelines": guidelines, "resolved": done if done is not None and done.state == "resolved" else None})

    @get("/escalations")
    async def queue(self, request: Request, project_id: int, resolved: int | None = None) -> Template:
        return await self._queue(request, project_id, resolved=resolved)

    @post("/escalations/{escalation_id:int}/resolve", status_code=200)
    async def resolve(self, request: Request, project_id: int, escalation_id: int) -> Template | Response:
        form = await request.form()
        prefix = _prefix(escalation_id)
        resolution = str(form.get("resolution") or "")
        body = str(form.get("guidelines") or "").replace("\r\n", "\n")
        changelog = str(form.get("changelog") or "")
        db = database(request)
        async with db.transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, *service.STAFF)
            current = await current_guidelines(session, project)
        interface = interface_of(project)
        # Every input of this escalation's form, its prefix taken off (a field may post several: a rubric).
        raw = interface.parse_form({key[len(prefix):]: form.getall(key) for key in dict.fromkeys(form.keys())
                                    if key.startswith(prefix)})
        given = any(not interface.by_name[name].is_empty(value) for name, value in raw.items())
        # The text box starts as the current guidelines: a clarification is a changed text or a changelog.
        unchanged = body.strip() == (current.body.strip() if current else "")
        clarification = None if unchanged and not changelog.strip() else {"guidelines": body, "changelog": changelog}
        try:
            async with db.transaction() as session:
                project = await get_project(session, project_id)
                escalation = await service.resolve_escalation(
                    session, project, escalation_id, request.user, resolution=resolution,
                    answer=raw if given else None, clarification=clarification)
        except Invalid as exc:
            errors = {_FORM_FIELDS.get(k, k): v for k, v in exc.errors.items()}
            return await self._queue(request, project_id, status_code=422, posted={escalation_id: {
                "values": raw, "resolution": resolution, "guidelines": body, "changelog": changelog,
                "errors": errors}})
        return Redirect(f"/projects/{project_id}/escalations?resolved={escalation.id}", status_code=303)

    # -- the flag form (workspace, review page) ------------------------------------------------
    @post("/escalations/flag", status_code=200)
    async def flag(self, request: Request, project_id: int) -> Template | Response:
        form = await request.form()
        assignment_id, review_task_id = _int(form.get("assignment_id")), _int(form.get("review_task_id"))
        note = str(form.get("note") or "")
        try:
            async with database(request).transaction() as session:
                project = await get_project(session, project_id)
                await service.raise_escalation(session, project, request.user, note=note,
                                               assignment_id=assignment_id, review_task_id=review_task_id)
        except Invalid as exc:
            async with database(request).transaction() as session:
                project = await get_project(session, project_id)
            context = {"user": request.user, "project": project, "note": note, "flag_errors": exc.errors,
                       "assignment_id": assignment_id, "review_task_id": review_task_id}
            template = "escalations/_flag.html" if _htmx(request) else "escalations/flag.html"
            return Template(template, status_code=422, context=context)
        where = "review" if review_task_id is not None else "work"
        return _go(request, f"/projects/{project_id}/{where}")

    # -- confirming new guidelines ---------------------------------------------------------
    @post("/guidelines/acknowledge", status_code=200)
    async def acknowledge(self, request: Request, project_id: int) -> Template | Response:
        form = await request.form()
        version = _int(form.get("version"))
        workspace = f"/projects/{project_id}/work"
        try:
            async with database(request).transaction() as session:
                project = await get_project(session, project_id)
                await service.acknowledge_guidelines(session, project, request.user, version)
        except Conflict:
            if not _htmx(request):
                return Redirect(workspace, status_code=303)  # the workspace asks again, for the newer version
            # Published while they read: show what is new now instead of a failure.
            async with database(request).transaction() as session:
                project = await get_project(session, project_id)
                versions = await service.guidelines_to_acknowledge(session, project, request.user)
            return Template("escalations/_acknowledge.html", context={
                "project": project, "versions": versions,
                "notice": f"The guidelines changed again while you were reading (now version "
                          f"{project.guideline_version}): please read what is new."})
        return _go(request, workspace)


async def acknowledgement_context(session: AsyncSession, project: Project, user) -> dict[str, Any]:
    """What a page passes to ``escalations/_acknowledge.html``: the versions still to confirm."""
    return {"project": project, "versions": await service.guidelines_to_acknowledge(session, project, user)}
