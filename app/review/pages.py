"""The reviewer's pages: the queue, one task with everything needed to judge it, the decision."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from app.accounts import service as accounts
from app.accounts.models import Role
from app.coedit import service as coedit
from app.coedit.live import announce_decided
from app.errors import Conflict, Forbidden, Invalid
from app.models_base import utcnow
from app.projects.service import get_project, interface_of, update_project
from app.review import config as review_config
from app.review import metrics, service
from app.review.models import ReviewState
from app.review.views import review_json, shown_lease
from app.web.requests import database


def _number(raw: Any, kind: type) -> Any:
    """A form number as the API would get it; left as typed (and refused by the check) when not one."""
    try:
        return kind(str(raw).strip())
    except (TypeError, ValueError):
        return str(raw or "")


def _share(raw: Any) -> Any:
    """The form asks for a percentage; the pipeline stores a fraction."""
    percent = _number(raw, float)
    return round(percent / 100, 4) if isinstance(percent, float) else percent


class ReviewPages(Controller):
    path = "/projects/{project_id:int}/review"
    include_in_schema = False

    @get("/")
    async def queue(self, request: Request, project_id: int, notice: str | None = None) -> Template:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            level = await service.reviewer_level(session, project_id, request.user)
            backlog = await metrics.review_backlog(session, project)
        return Template("review/queue.html", context={"user": request.user, "project": project, "level": level,
                                                      "backlog": backlog, "notice": notice})

    @post("/next")
    async def next_review(self, request: Request, project_id: int) -> Template | Redirect:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            lease = await service.next_review(session, project, request.user)
        if lease is None:
            return Redirect(f"/projects/{project_id}/review?notice=empty", status_code=303)
        return Redirect(f"/projects/{project_id}/review/{lease.task.id}", status_code=303)

    @get("/metrics")
    async def metrics_page(self, request: Request, project_id: int) -> Template:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, Role.ops)
            numbers = await metrics.review_metrics(session, project)
        return Template("review/metrics.html", context={"user": request.user, "project": project, **numbers})

    @get("/settings")
    async def settings_page(self, request: Request, project_id: int, saved: bool = False) -> Template:
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, Role.ops)
        pipeline = review_config.stored(project.review)
        return Template("review/settings.html", context={
            "user": request.user, "project": project, "stages": pipeline["stages"], "tags": pipeline["tags"],
            "errors": {}, "saved": saved, "on_reject": review_config.ON_REJECT,
            "disagreement": pipeline["disagreement"], "actions": review_config.DISAGREEMENT_ACTIONS})

    @post("/settings")
    async def save_settings(self, request: Request, project_id: int) -> Template | Redirect:
        form = await request.form()
        stages = []
        for index in range(review_config.MAX_STAGES + 1):
            name = str(form.get(f"stage-{index}-name") or "").strip()
            if not name:
                continue  # an empty row is no stage
            stages.append({"name": name, "level": _number(form.get(f"stage-{index}-level"), int),
                           "share": _share(form.get(f"stage-{index}-share")),
                           "on_reject": str(form.get(f"stage-{index}-on_reject") or "")})
        tags = [line.strip() for line in str(form.get("tags") or "").splitlines() if line.strip()]
        disagreement = {"action": str(form.get("disagreement-action") or "off"),
                        "threshold": _share(form.get("disagreement-threshold")),
                        "max_overlap": _number(form.get("disagreement-max_overlap"), int)}
        try:
            async with database(request).transaction() as session:
                project = await get_project(session, project_id, for_update=True)
                await accounts.require_role(session, request.user, project_id, Role.ops)
                await update_project(session, project, actor=request.user,
                                     changes={"review": {"stages": stages, "tags": tags,
                                                         "disagreement": disagreement}})
        except Invalid as exc:
            async with database(request).transaction() as session:
                project = await get_project(session, project_id)
            return Template("review/settings.html", status_code=422, context={
                "user": request.user, "project": project, "stages": stages, "tags": tags, "errors": exc.errors,
                "saved": False, "on_reject": review_config.ON_REJECT, "disagreement": disagreement,
                "actions": review_config.DISAGREEMENT_ACTIONS})
        return Redirect(f"/projects/{project_id}/review/settings?saved=true", status_code=303)

    @get("/{review_id:int}")
    async def task(self, request: Request, project_id: int, review_id: int) -> Template:
        return await self._render(request, project_id, review_id)

    @post("/{review_id:int}/decide")
    async def decide(self, request: Request, project_id: int, review_id: int) -> Template | Redirect:
        form = await request.form()
        decision = str(form.get("decision") or "")
        comment = str(form.get("comment") or "")
        tags = [str(t) for t in form.getall("tags")] if "tags" in form else []
        db = database(request)
        async with db.transaction() as session:
            project = await get_project(session, project_id)
            answer = interface_of(project).parse_form({k: form.getall(k) for k in form.keys()})
            if decision == "edit":  # co-editing (app/coedit): the answer is the shared document, merged
                answer = await coedit.merged_answer(session, review_id, answer,
                                                    coedit.decode_posted_state(form.get("coedit_state")), request.user)
        try:
            async with db.transaction() as session:
                decided = await service.decide(session, review_id, request.user, decision,
                                               answer=answer if decision == "edit" else None, comment=comment,
                                               tags=tags)
                await coedit.record_coedit(session, decided, request.user)  # every co-editor in the event log
        except Invalid as exc:
            return await self._render(request, project_id, review_id, status_code=422, errors=exc.errors,
                                      values={"answer": answer, "comment": comment, "tags": tags})
        except Conflict as exc:
            return Redirect(f"/projects/{project_id}/review?notice=expired", status_code=303) if "ran out" in exc.message \
                else Redirect(f"/projects/{project_id}/review", status_code=303)
        announce_decided(request.app, review_id, request.user.name)  # co-editors' open copies close
        # Straight on to the next one, as contributors move on after each answer.
        async with db.transaction() as session:
            lease = await service.next_review(session, project, request.user)
        if lease is None:
            return Redirect(f"/projects/{project_id}/review?notice=empty", status_code=303)
        return Redirect(f"/projects/{project_id}/review/{lease.task.id}", status_code=303)

    async def _render(self, request: Request, project_id: int, review_id: int, *, status_code: int = 200,
                      errors: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> Template:
        secret = request.app.state.settings.secret_key
        async with database(request).transaction() as session:
            project = await get_project(session, project_id)
            await service.reviewer_level(session, project_id, request.user)
            task = await service.review_task(session, review_id)
            if task is None or task.project_id != project_id:
                raise Forbidden("no such review in this project")
            coediting = await coedit.may_coedit(session, task, request.user)  # app/coedit: joins as a co-editor
            if task.reviewer_id != request.user.id and request.user.is_ops is False and not coediting:
                raise Forbidden("this review is leased to someone else")
            lease = await shown_lease(session, task)
            review = await review_json(session, lease, project, secret)
        values = values or {}
        open_to_me = task.state == ReviewState.leased and task.reviewer_id == request.user.id \
            and task.expires_at is not None and task.expires_at > utcnow()
        return Template("review/task.html", status_code=status_code, context={
            "user": request.user, "project": project, "review": review, "interface": interface_of(project),
            "answer": values.get("answer") or review["answer"], "comment": values.get("comment", ""),
            "chosen_tags": values.get("tags", []), "errors": errors or {}, "open_to_me": open_to_me,
            "coediting": coediting and not open_to_me,
            # the item is shown as its contributor saw it (responses in that assignment's order)
            "shown_for_assignment": lease.annotation.assignment_id})
