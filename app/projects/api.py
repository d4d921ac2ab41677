"""JSON API for projects: set-up, members, launch."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post

from app.accounts import service as accounts
from app.accounts.models import Role
from app.errors import Invalid
from app.models_base import iso
from app.projects import service
from app.projects.bodies import NewMember, NewProject, ProjectChanges
from app.projects.models import Project
from app.web.bodies import takes
from app.web.requests import database, json_object


def project_json(project: Project, guidelines: str | None = None, *, for_ops: bool = True) -> dict[str, Any]:
    """The project resource; the quality controls are ops' business only."""
    data = {"id": project.id, "name": project.name, "purpose": project.purpose, "status": project.status,
            "overlap": project.overlap, "lease_seconds": project.lease_seconds, "interface": project.interface,
            "guideline_version": project.guideline_version, "created_at": iso(project.created_at)}
    if for_ops:
        data["quality"] = project.quality
        data["review"] = project.review
    if guidelines is not None:
        data["guidelines"] = guidelines
    return data


class ProjectsApi(Controller):
    path = "/api/v1/projects"
    tags = ["projects"]

    @post("/", summary="Create a project (ops)", operation_class=takes(NewProject))
    async def create(self, request: Request) -> dict[str, Any]:
        accounts.require_ops(request.user)
        data = await json_object(request)
        async with database(request).transaction() as session:
            project = await service.create_project(
                session, actor=request.user, name=data.get("name"), purpose=data.get("purpose"),
                guidelines=data.get("guidelines", ""), overlap=data.get("overlap", 1), interface=data.get("interface"),
                lease_seconds=data.get("lease_seconds") if data.get("lease_seconds") is not None
                else request.app.state.settings.lease_seconds, quality=data.get("quality"), review=data.get("review"))
        return project_json(project, data.get("guidelines") or "")

    @get("/", summary="Projects the caller can see")
    async def index(self, request: Request) -> list[dict[str, Any]]:
        async with database(request).transaction() as session:
            rows = await service.projects_for(session, request.user)
        return [project_json(p, for_ops=role == Role.ops) | {"role": role} for p, role in rows]

    @get("/{project_id:int}", summary="One project, with its current guidelines")
    async def show(self, request: Request, project_id: int) -> dict[str, Any]:
        async with database(request).transaction() as session:
            project = await service.get_project(session, project_id)
            role = await accounts.require_role(session, request.user, project_id)
            guidelines = await service.current_guidelines(session, project)
        return project_json(project, guidelines.body if guidelines else "", for_ops=role == Role.ops)

    @patch("/{project_id:int}", summary="Edit a project (ops); guidelines changes make a new version",
           operation_class=takes(ProjectChanges))
    async def edit(self, request: Request, project_id: int) -> dict[str, Any]:
        data = await json_object(request)
        async with database(request).transaction() as session:
            project = await service.get_project(session, project_id, for_update=True)
            await accounts.require_role(session, request.user, project_id, Role.ops)
            await service.update_project(session, project, actor=request.user, changes=data)
            if "guidelines" in data:
                await service.publish_guidelines(session, project, data["guidelines"], actor=request.user,
                                                 changelog=str(data.get("changelog") or ""))
            guidelines = await service.current_guidelines(session, project)
        return project_json(project, guidelines.body if guidelines else "")

    @post("/{project_id:int}/members", summary="Give a user a role in the project (ops)",
          operation_class=takes(NewMember))
    async def add_member(self, request: Request, project_id: int) -> dict[str, Any]:
        data = await json_object(request)
        async with database(request).transaction() as session:
            await service.get_project(session, project_id)
            await accounts.require_role(session, request.user, project_id, Role.ops)
            user_id = data.get("user_id")
            if type(user_id) is not int:
                raise Invalid({"user_id": "required: a user id"})
            membership = await accounts.add_member(session, project_id=project_id, user_id=user_id,
                                                   role=data.get("role"), actor_id=request.user.id,
                                                   level=data.get("level", 1))
        return {"project_id": project_id, "user_id": membership.user_id, "role": membership.role,
                "level": membership.level}

    @post("/{project_id:int}/launch", status_code=200, summary="Go live, or 409 with what is missing (ops)")
    async def launch(self, request: Request, project_id: int) -> dict[str, Any]:
        return await self._set_status(request, project_id, "live")

    @post("/{project_id:int}/pause", status_code=200, summary="Pause a live project (ops)")
    async def pause(self, request: Request, project_id: int) -> dict[str, Any]:
        return await self._set_status(request, project_id, "paused")

    @post("/{project_id:int}/complete", status_code=200, summary="Close a project (ops)")
    async def complete(self, request: Request, project_id: int) -> dict[str, Any]:
        return await self._set_status(request, project_id, "completed")

    async def _set_status(self, request: Request, project_id: int, target: str) -> dict[str, Any]:
        async with database(request).transaction() as session:
            project = await service.get_project(session, project_id, for_update=True)
            await accounts.require_role(session, request.user, project_id, Role.ops)
            await service.set_status(session, project, target, actor=request.user)
        return project_json(project)
