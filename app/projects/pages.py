"""Ops set-up pages: create a project, build its interface, import, staff and launch it.

Every page needs the ops role in the project (creating one needs global ops). Forms
post normally and come back with every value kept when refused; htmx only adds the
builder's rows, the previews and the in-place import and member forms, each of which
also works as a plain form post.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Stream, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.models import Membership, Role, User
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.export.api import export_response
from app.items import service as items
from app.items.parsing import ImportRejected, detect_format, parse_items
from app.projects import service
from app.projects.forms import (
    ProjectForm,
    component_types,
    display_types,
    form_getter,
    interface_specs,
    mark_row,
    new_row,
    next_key,
    read_row,
    rows_from_specs,
)
from app.projects.models import Batch, GuidelineVersion, Project, ProjectStatus
from app.projects.preview import first_item, preview_context
from app.quality.pages import quality_summary
from app.quality.service import gold_items_count
from app.web.requests import database
from components.base import ConfigError, Interface

NAME_LIMIT = 200  # the column's length
#: Multipart framing around the uploaded file (boundaries, headers, the batch and CSRF fields).
FORM_SLACK = 64 * 1024
ROLES = [r.value for r in Role]
STATUS_ACTIONS = {"live", "paused", "completed"}


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def _project_for_ops(session: AsyncSession, request: Request, project_id: int, *,
                           for_update: bool = False) -> Project:
    project = await service.get_project(session, project_id, for_update=for_update)
    await accounts.require_role(session, request.user, project_id, Role.ops)
    return project


async def _require_some_ops(session: AsyncSession, user: User) -> None:
    """The builder's helpers serve anyone who sets projects up: global ops or ops of some project."""
    if user.is_ops:
        return
    held = (await session.execute(select(Membership.id).where(Membership.user_id == user.id,
                                                              Membership.role == Role.ops).limit(1))).first()
    if held is None:
        raise Forbidden("requires ops")


async def _members(session: AsyncSession, project_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(User.id, User.name, User.email, Membership.role, Membership.created_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == project_id).order_by(Membership.id))
    return [{"id": r.id, "name": r.name, "email": r.email, "role": r.role, "since": r.created_at} for r in rows]


async def _names(session: AsyncSession, user_ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict((await session.execute(select(User.id, User.name).where(User.id.in_(ids)))).all())


def _preview(specs: Any) -> tuple[Interface | None, str | None]:
    try:
        return Interface.from_specs(specs), None
    except ConfigError as exc:
        return None, str(exc)


def _form_context(request: Request, form: ProjectForm, *, errors: dict[str, str] | None = None,
                  preview: bool = False, focus_key: int | None = None,
                  item: tuple[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``item``: the project's first item, which the preview shows the display parts with."""
    context: dict[str, Any] = {"user": request.user, "form": form, "errors": errors or {}, "types": component_types(),
                               "display_types": display_types(), "rows": form.rows, "next_index": next_key(form.rows),
                               "focus_key": focus_key, "preview": None, "preview_error": None,
                               "preview_item": None, "preview_item_id": None}
    if preview:
        specs, problem = interface_specs(form.rows)
        context["preview"], context["preview_error"] = (None, problem) if problem else _preview(specs)
        context.update(preview_context(context["preview"], item))
    return context


async def _preview_item(session: AsyncSession, user: User, raw_id: Any) -> tuple[int, dict[str, Any]] | None:
    """The first item of the project the builder edits (posted as ``preview_project``), if the
    user is ops there; otherwise none, and the preview uses a sample."""
    if not isinstance(raw_id, str) or not raw_id.isdigit() or len(raw_id) > 12:
        return None
    project_id = int(raw_id)
    try:
        await accounts.require_role(session, user, project_id, Role.ops)
    except (Forbidden, NotFound):
        return None
    return await first_item(session, project_id)


def _interface_errors(form: ProjectForm, errors: dict[str, str]) -> None:
    if "interface" in errors:
        mark_row(form.rows, errors["interface"])


class ProjectPages(Controller):
    path = "/projects"
    include_in_schema = False

    # -- creating a project ------------------------------------------------------
    @get("/new")
    async def new_form(self, request: Request) -> Template:
        accounts.require_ops(request.user)
        minutes = max(1, request.app.state.settings.lease_seconds // 60)
        form = ProjectForm(lease_minutes=str(minutes), rows=[new_row(0)])
        return Template("projects/new.html", context=_form_context(request, form))

    @post("/new", status_code=200)
    async def create(self, request: Request) -> Template | Redirect:
        accounts.require_ops(request.user)
        form = ProjectForm.read(form_getter(await request.form()))
        specs, problem = interface_specs(form.rows)
        lease_seconds, lease_problem = form.lease_seconds()
        checks: dict[str, str] = {}
        if len(form.name.strip()) > NAME_LIMIT:
            checks["name"] = f"must be at most {NAME_LIMIT} characters"
        if lease_problem:
            checks["lease_minutes"] = lease_problem
        if problem:
            checks["interface"] = problem
        try:
            async with database(request).transaction() as session:
                found: dict[str, str] = {}
                try:
                    project = await service.create_project(
                        session, actor=request.user, name=form.name, purpose=form.purpose, guidelines=form.guidelines,
                        overlap=form.overlap_value(), interface=specs,
                        lease_seconds=lease_seconds or request.app.state.settings.lease_seconds)
                except Invalid as exc:
                    found = dict(exc.errors)
                if "lease_seconds" in found:  # the form asks in minutes
                    found.setdefault("lease_minutes", found.pop("lease_seconds"))
                if found or checks:
                    raise Invalid(found | checks)  # rolls the transaction back
        except Invalid as exc:
            _interface_errors(form, exc.errors)
            return Template("projects/new.html", status_code=422,
                            context=_form_context(request, form, errors=exc.errors, preview=True))
        return Redirect(f"/projects/{project.id}", status_code=303)

    # -- the builder's helpers (htmx) ------------------------------------------------
    @get("/field-row")
    async def field_row(self, request: Request, index: int = 0, type: str | None = None, add: bool = False) -> Template:
        async with database(request).transaction() as session:
            await _require_some_ops(session, request.user)
        index = max(0, min(index, 999_999))
        get_ = form_getter(request.query_params)
        if get_(f"field-{index}-type"):  # the row exists: redraw it (its type changed)
            row = read_row(get_, index, kind=type)
        else:
            row = new_row(index, type)
        return Template("projects/_field_row_response.html", context={
            "row": row, "types": component_types(), "display_types": display_types(), "add": add,
            "next_index": index + 1, "selected_type": row.choice, "focus_key": index if add else None})

    @post("/preview", status_code=200)
    async def preview(self, request: Request) -> Template:
        posted = await request.form()
        async with database(request).transaction() as session:
            await _require_some_ops(session, request.user)
            item = await _preview_item(session, request.user, posted.get("preview_project"))
        form = ProjectForm.read(form_getter(posted))
        return Template("projects/_preview.html", context=_form_context(request, form, preview=True, item=item))

    @post("/markdown-preview", status_code=200)
    async def markdown_preview(self, request: Request) -> Template:
        async with database(request).transaction() as session:
            await _require_some_ops(session, request.user)
        body = (await request.form()).get("body")
        return Template("projects/_markdown_preview.html", context={"body": body if isinstance(body, str) else ""})

    # -- the overview -----------------------------------------------------------------
    async def _overview_context(self, session: AsyncSession, request: Request, project: Project) -> dict[str, Any]:
        guidelines = await service.current_guidelines(session, project)
        missing = await service.missing_for_launch(session, project) if project.status == ProjectStatus.draft else []
        interface = service.interface_of(project)
        quality = quality_summary(project, interface)
        return {"user": request.user, "project": project, "interface": interface,
                "quality": quality["quality"], "quality_rules": quality["rules"],
                "gold_items": await gold_items_count(session, project.id),
                "guidelines": guidelines, "batches": await service.batches_of(session, project.id),
                "members": await _members(session, project.id), "missing": missing, "roles": ROLES,
                "member_errors": {}, "member_values": {"email": "", "role": Role.contributor.value},
                "imported": None, "import_error": None, "batch_value": "",
                "lifecycle_error": None, "refused": []}

    async def _render_overview(self, request: Request, project_id: int, *, template: str = "projects/overview.html",
                               status_code: int = 200, **extra: Any) -> Template:
        async with database(request).transaction() as session:
            project = await _project_for_ops(session, request, project_id)
            context = await self._overview_context(session, request, project)
        context.update(extra)
        return Template(template, context=context, status_code=status_code)

    @get("/{project_id:int}")
    async def overview(self, request: Request, project_id: int) -> Template:
        return await self._render_overview(request, project_id)

    @post("/{project_id:int}/status", status_code=200)
    async def change_status(self, request: Request, project_id: int) -> Template | Redirect:
        target = (await request.form()).get("to")
        try:
            async with database(request).transaction() as session:
                project = await _project_for_ops(session, request, project_id, for_update=True)
                await service.set_status(session, project, target if isinstance(target, str) else "",
                                         actor=request.user)
        except Conflict as exc:
            return await self._render_overview(request, project_id, status_code=409, lifecycle_error=exc.message,
                                               refused=list(exc.extra.get("missing") or []))
        except Invalid as exc:
            return await self._render_overview(request, project_id, status_code=422,
                                               lifecycle_error=exc.errors.get("status") or exc.message)
        return Redirect(f"/projects/{project_id}", status_code=303)

    @post("/{project_id:int}/members", status_code=200)
    async def add_member(self, request: Request, project_id: int) -> Template | Redirect:
        form = await request.form()
        email = str(form.get("email") or "").strip()
        role = str(form.get("role") or "")
        values = {"email": email, "role": role}
        template = "projects/_members.html" if _htmx(request) else "projects/overview.html"
        try:
            async with database(request).transaction() as session:
                await _project_for_ops(session, request, project_id)
                if not email:
                    raise Invalid({"email": "enter the email of an existing user"})
                try:
                    member = await accounts.get_user_by_email(session, email)
                except NotFound:
                    raise Invalid({"email": "no user has this email; global ops can create the account"}) from None
                await accounts.add_member(session, project_id=project_id, user_id=member.id, role=role,
                                          actor_id=request.user.id)
        except Invalid as exc:
            return await self._render_overview(request, project_id, template=template, status_code=422,
                                               member_errors=exc.errors, member_values=values)
        if not _htmx(request):
            return Redirect(f"/projects/{project_id}#members", status_code=303)
        return await self._render_overview(request, project_id, template=template,
                                           member_notice=f"{member.name} is now {role} in this project.")

    @post("/{project_id:int}/import", status_code=200, request_max_body_size=None)
    async def import_items(self, request: Request, project_id: int) -> Template:
        limit = request.app.state.settings.max_import_bytes
        db = database(request)
        async with db.transaction() as session:
            project = await _project_for_ops(session, request, project_id)
            interface = service.interface_of(project)
        template = "projects/_import_response.html" if _htmx(request) else "projects/overview.html"

        async def refused(message: str, rejected: ImportRejected | None = None, batch: str = "") -> Template:
            error = {"message": message, "problems": rejected.problems if rejected else [],
                     "unit": rejected.unit if rejected else "line", "total": rejected.total if rejected else 0}
            return await self._render_overview(request, project_id, template=template, status_code=422,
                                               import_error=error, batch_value=batch)

        too_large = f"The file is larger than the import limit of {limit // (1024 * 1024) or limit} " \
                    f"{'MB' if limit >= 1024 * 1024 else 'bytes'}."
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit + FORM_SLACK:
            return await refused(too_large)
        form = await request.form()
        batch = str(form.get("batch") or "").strip()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return await refused("Choose a file to import.", batch=batch)
        try:
            body = await upload.read(limit + 1)
        finally:
            await upload.close()
        if len(body) > limit:
            return await refused(too_large, batch=batch)
        if len(batch) > NAME_LIMIT:
            return await refused(f"The batch name must be at most {NAME_LIMIT} characters.", batch=batch)
        fmt = detect_format(upload.filename, upload.content_type, body)
        try:
            records = parse_items(body, fmt, interface)
        except ImportRejected as exc:
            return await refused(f"{upload.filename or 'The file'} was read as {fmt.upper()} and has "
                                 f"{exc.total} {'problem' if exc.total == 1 else 'problems'}.", exc, batch)
        try:
            async with db.transaction() as session:
                project = await service.get_project(session, project_id)
                result = await items.import_records(session, project, records, batch_name=batch or None,
                                                    actor=request.user)
                batch_row = await session.get(Batch, result.batch_id)
                batch_name = batch_row.name if batch_row else batch
        except Conflict as exc:
            return await refused(exc.message[:1].upper() + exc.message[1:] + ".", batch=batch)
        imported = {"created": result.created, "gold": result.gold, "annotations": result.annotations,
                    "batch": batch_name, "format": fmt, "filename": upload.filename}
        return await self._render_overview(request, project_id, template=template, imported=imported)

    @get("/{project_id:int}/export.jsonl")
    async def export(self, request: Request, project_id: int) -> Stream:
        return await export_response(request, project_id, "jsonl")

    @get("/{project_id:int}/export.preference.jsonl")
    async def export_preference(self, request: Request, project_id: int, ties: str = "skip") -> Stream:
        """Preference pairs from pairwise and ranking fields (app/export/preference.py)."""
        return await export_response(request, project_id, "preference", ties=ties)

    # -- guidelines -------------------------------------------------------------------
    async def _guidelines_page(self, request: Request, project_id: int, *, status_code: int = 200,
                               body: str | None = None, changelog: str = "", errors: dict[str, str] | None = None,
                               start_from: int | None = None, published: int | None = None) -> Template:
        async with database(request).transaction() as session:
            project = await _project_for_ops(session, request, project_id)
            history = await service.guideline_history(session, project_id)
            names = await _names(session, {v.created_by for v in history})
        by_version = {v.version: v for v in history}
        if body is None:
            source = by_version.get(start_from) if start_from else by_version.get(project.guideline_version)
            body = source.body if source else ""
            if start_from in by_version and start_from != project.guideline_version:
                changelog = f"back to the text of version {start_from}"
        return Template("projects/guidelines.html", status_code=status_code, context={
            "user": request.user, "project": project, "history": history, "names": names, "body": body,
            "changelog": changelog, "errors": errors or {},
            "published": published if published == project.guideline_version else None,
            "start_from": start_from if start_from in by_version else None})

    @get("/{project_id:int}/guidelines")
    async def guidelines(self, request: Request, project_id: int, start_from: int | None = None,
                         published: int | None = None) -> Template:
        return await self._guidelines_page(request, project_id, start_from=start_from, published=published)

    @post("/{project_id:int}/guidelines", status_code=200)
    async def publish_guidelines(self, request: Request, project_id: int) -> Template | Redirect:
        form = await request.form()
        body = form.get("body") if isinstance(form.get("body"), str) else ""
        changelog = str(form.get("changelog") or "")
        try:
            async with database(request).transaction() as session:
                project = await _project_for_ops(session, request, project_id, for_update=True)
                version = await service.publish_guidelines(session, project, body, actor=request.user,
                                                           changelog=changelog)
        except Invalid as exc:
            errors = {"body" if k == "guidelines" else k: v for k, v in exc.errors.items()}
            return await self._guidelines_page(request, project_id, status_code=422, body=body, changelog=changelog,
                                               errors=errors)
        return Redirect(f"/projects/{project_id}/guidelines?published={version.version}", status_code=303)

    @get("/{project_id:int}/guidelines/{version:int}")
    async def guideline_version(self, request: Request, project_id: int, version: int) -> Template:
        async with database(request).transaction() as session:
            project = await _project_for_ops(session, request, project_id)
            found = (await session.execute(select(GuidelineVersion).where(
                GuidelineVersion.project_id == project_id, GuidelineVersion.version == version))).scalar_one_or_none()
            if found is None:
                raise NotFound(f"this project has no guidelines version {version}")
            names = await _names(session, {found.created_by})
        return Template("projects/guideline_version.html", context={
            "user": request.user, "project": project, "version": found, "author": names.get(found.created_by)})

    # -- editing the set-up -------------------------------------------------------------
    def _edit_context(self, request: Request, project: Project, form: ProjectForm, *,
                      errors: dict[str, str] | None = None, conflict: str | None = None,
                      item: tuple[int, dict[str, Any]] | None = None) -> dict[str, Any]:
        context = _form_context(request, form, errors=errors, preview=True, item=item)
        context.update(project=project, locked=project.status != ProjectStatus.draft, conflict=conflict)
        if context["locked"]:  # the builder is not posted: show what is stored
            context["preview"], context["preview_error"] = _preview(project.interface)
            context.update(preview_context(context["preview"], item))
        return context

    @get("/{project_id:int}/edit")
    async def edit_form(self, request: Request, project_id: int) -> Template:
        async with database(request).transaction() as session:
            project = await _project_for_ops(session, request, project_id)
            item = await first_item(session, project_id)
        form = ProjectForm(name=project.name, purpose=project.purpose, overlap=str(project.overlap),
                           lease_minutes=str(max(1, project.lease_seconds // 60)), rows=rows_from_specs(project.interface))
        return Template("projects/edit.html", context=self._edit_context(request, project, form, item=item))

    @post("/{project_id:int}/edit", status_code=200)
    async def edit(self, request: Request, project_id: int) -> Template | Redirect:
        posted = await request.form()
        get_ = form_getter(posted)
        form = ProjectForm.read(get_)
        changes: dict[str, Any] = {"name": form.name, "purpose": form.purpose}
        checks: dict[str, str] = {}
        if len(form.name.strip()) > NAME_LIMIT:
            checks["name"] = f"must be at most {NAME_LIMIT} characters"
        if get_("overlap"):
            changes["overlap"] = form.overlap_value()
        if get_("builder"):  # the builder was open (a draft) and posted, even with no rows left
            specs, problem = interface_specs(form.rows)
            changes["interface"] = specs
            if problem:
                checks["interface"] = problem
        db = database(request)
        try:
            async with db.transaction() as session:
                project = await _project_for_ops(session, request, project_id, for_update=True)
                found: dict[str, str] = {}
                try:
                    await service.update_project(session, project, actor=request.user, changes=changes)
                except Invalid as exc:
                    found = dict(exc.errors)
                if found or checks:
                    raise Invalid(found | checks)
        except (Invalid, Conflict) as exc:
            async with db.transaction() as session:
                project = await _project_for_ops(session, request, project_id)
                item = await first_item(session, project_id)
            if not get_("builder"):
                form.rows = rows_from_specs(project.interface)
            errors = exc.errors if isinstance(exc, Invalid) else {}
            _interface_errors(form, errors)
            return Template("projects/edit.html", status_code=exc.status_code, context=self._edit_context(
                request, project, form, errors=errors, conflict=exc.message if isinstance(exc, Conflict) else None,
                item=item))
        return Redirect(f"/projects/{project_id}", status_code=303)

