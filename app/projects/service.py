"""Projects: set-up, guideline versions, readiness and lifecycle."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Membership, User
from app.db import dialect_insert
from app.errors import Conflict, Invalid, NotFound
from app.events.service import record
from app.items.models import PRODUCTION, Item
from app.models_base import storable_id
from app.projects.models import Batch, GuidelineVersion, Project, ProjectStatus
from app.quality import config as quality_config
from app.review import config as review_config
from components.base import ConfigError, Interface

MAX_OVERLAP = 50
NAME_LIMIT = 200  # the column's length
MAX_LEASE_SECONDS = 24 * 3600
STATUS_ACTIONS = {ProjectStatus.live: "project.launched", ProjectStatus.paused: "project.paused",
                  ProjectStatus.completed: "project.completed"}


def interface_of(project: Project) -> Interface:
    """The project's interface, parsed once per distinct spec (every submit needs it)."""
    return _parsed_interface(json.dumps(project.interface, sort_keys=True))


@lru_cache(maxsize=256)
def _parsed_interface(specs: str) -> Interface:
    return Interface.from_specs(json.loads(specs))


def _check_fields(name: Any, purpose: Any, overlap: Any, interface: Any) -> tuple[dict[str, str], Interface | None]:
    errors: dict[str, str] = {}
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "required"
    elif len(name.strip()) > NAME_LIMIT:
        errors["name"] = f"must be at most {NAME_LIMIT} characters"
    if not isinstance(purpose, str) or not purpose.strip():
        errors["purpose"] = "required: say what this data is for"
    if not isinstance(overlap, int) or isinstance(overlap, bool) or not 1 <= overlap <= MAX_OVERLAP:
        errors["overlap"] = f"must be a whole number from 1 to {MAX_OVERLAP}"
    built = None
    try:
        built = Interface.from_specs(interface)
    except ConfigError as exc:
        errors["interface"] = str(exc)
    return errors, built


async def create_project(session: AsyncSession, *, actor: User, name: Any, purpose: Any, guidelines: Any = "",
                         overlap: Any = 1, interface: Any = None, lease_seconds: int = 900,
                         quality: Any = None, review: Any = None) -> Project:
    errors, built = _check_fields(name, purpose, overlap, interface)
    if guidelines is not None and not isinstance(guidelines, str):
        errors["guidelines"] = "must be markdown text"
    if type(lease_seconds) is not int or not 1 <= lease_seconds <= MAX_LEASE_SECONDS:
        errors["lease_seconds"] = f"must be a whole number of seconds from 1 to {MAX_LEASE_SECONDS}"
    if errors:
        raise Invalid(errors)
    controls = quality_config.normalise(quality, built)
    pipeline = review_config.normalise(review)
    project = Project(name=name.strip(), purpose=purpose.strip(), overlap=overlap, interface=built.to_specs(),
                      created_by=actor.id, lease_seconds=lease_seconds, quality=controls, review=pipeline)
    session.add(project)
    await session.flush()
    record(session, action="project.created", subject_type="project", subject_id=project.id,
           project_id=project.id, actor_id=actor.id, payload={"name": project.name})
    if guidelines and guidelines.strip():
        await publish_guidelines(session, project, guidelines, actor=actor, changelog="first version")
    return project


async def update_project(session: AsyncSession, project: Project, *, actor: User, changes: dict[str, Any]) -> Project:
    """Edit set-up fields. The interface and overlap are frozen once work has started;
    quality controls can be tuned at any time (never switched off), and every change is an event."""
    merged = {"name": project.name, "purpose": project.purpose, "overlap": project.overlap,
              "interface": project.interface} | {k: v for k, v in changes.items() if k in {"name", "purpose", "overlap", "interface"}}
    errors, built = _check_fields(merged["name"], merged["purpose"], merged["overlap"], merged["interface"])
    if errors:
        raise Invalid(errors)
    controls = quality_config.normalise(
        quality_config.merge_patch(quality_config.stored(project.quality), changes["quality"])
        if "quality" in changes else project.quality, built)
    if project.status != ProjectStatus.draft:
        below = quality_config.missing_controls(controls, await _gold_count(session, project.id))
        if below:  # tuning is allowed while live; switching a control off is not
            raise Invalid({"quality": "; ".join(below)},
                          message="a launched project's quality controls cannot drop below what launch requires")
    structural = built.to_specs() != project.interface or merged["overlap"] != project.overlap
    if structural and project.status != ProjectStatus.draft:
        raise Conflict("the interface and overlap can only change while the project is a draft")
    if merged["overlap"] != project.overlap:
        await session.execute(Item.__table__.update().where(Item.project_id == project.id)
                              .values(open_slots=merged["overlap"]))
    project.name, project.purpose = merged["name"].strip(), merged["purpose"].strip()
    project.overlap, project.interface = merged["overlap"], built.to_specs()
    if controls != project.quality:
        record(session, action="quality.updated", subject_type="project", subject_id=project.id,
               project_id=project.id, actor_id=actor.id, payload={"before": project.quality, "after": controls})
        project.quality = controls
    if "review" in changes:  # answers already in review keep the route they came in with
        pipeline = review_config.normalise(changes["review"])
        if pipeline != review_config.stored(project.review):
            record(session, action="review.updated", subject_type="project", subject_id=project.id,
                   project_id=project.id, actor_id=actor.id, payload={"before": project.review, "after": pipeline})
            project.review = pipeline
    record(session, action="project.updated", subject_type="project", subject_id=project.id,
           project_id=project.id, actor_id=actor.id, payload={"fields": sorted(changes)})
    return project


async def publish_guidelines(session: AsyncSession, project: Project, body: str, *, actor: User,
                             changelog: str = "") -> GuidelineVersion:
    """Every edit is a new immutable version; answers cite the version they were made under."""
    if not isinstance(body, str) or not body.strip():
        raise Invalid({"guidelines": "required"})
    version = GuidelineVersion(project_id=project.id, version=project.guideline_version + 1, body=body,
                               changelog=changelog.strip(), created_by=actor.id)
    session.add(version)
    project.guideline_version = version.version
    session.add(project)
    await session.flush()
    record(session, action="guidelines.published", subject_type="project", subject_id=project.id,
           project_id=project.id, actor_id=actor.id, payload={"version": version.version, "changelog": changelog})
    return version


async def current_guidelines(session: AsyncSession, project: Project) -> GuidelineVersion | None:
    if not project.guideline_version:
        return None
    return (await session.execute(select(GuidelineVersion).where(
        GuidelineVersion.project_id == project.id, GuidelineVersion.version == project.guideline_version))).scalar_one()


async def guideline_history(session: AsyncSession, project_id: int) -> list[GuidelineVersion]:
    return list((await session.execute(select(GuidelineVersion).where(GuidelineVersion.project_id == project_id)
                                       .order_by(GuidelineVersion.version.desc()))).scalars())


async def get_project(session: AsyncSession, project_id: int, *, for_update: bool = False) -> Project:
    if not storable_id(project_id):
        raise NotFound("no such project")
    query = select(Project).where(Project.id == project_id)
    if for_update:
        query = query.with_for_update()
    project = (await session.execute(query)).scalar_one_or_none()
    if project is None:
        raise NotFound("no such project")
    return project


async def projects_for(session: AsyncSession, user: User) -> list[tuple[Project, str]]:
    """Projects the user can see, with their role in each."""
    if user.is_ops:
        rows = (await session.execute(select(Project).order_by(Project.id.desc()))).scalars()
        return [(p, "ops") for p in rows]
    rows = await session.execute(select(Project, Membership.role).join(Membership, Membership.project_id == Project.id)
                                 .where(Membership.user_id == user.id).order_by(Project.id.desc()))
    return [(p, role) for p, role in rows]


async def missing_for_launch(session: AsyncSession, project: Project) -> list[str]:
    """What stands between this project and going live, in words ops can act on."""
    missing: list[str] = []
    if not project.purpose.strip():
        missing.append("purpose: say what this data is for")
    if not project.interface:
        missing.append("interface: add at least one field")
    if not project.guideline_version:
        missing.append("guidelines: write the first version")
    has_items = (await session.execute(select(exists().where(Item.project_id == project.id, PRODUCTION)))).scalar()
    if not has_items:
        missing.append("items: import at least one production item")
    gold_items = await _gold_count(session, project.id)
    missing.extend(quality_config.missing_controls(quality_config.stored(project.quality), gold_items))
    return missing


async def _gold_count(session: AsyncSession, project_id: int) -> int:
    return (await session.execute(select(func.count()).select_from(Item).where(
        Item.project_id == project_id, Item.is_gold.is_(True)))).scalar_one()


async def set_status(session: AsyncSession, project: Project, target: str, *, actor: User) -> Project:
    allowed = {
        ProjectStatus.live: {ProjectStatus.draft, ProjectStatus.paused},
        ProjectStatus.paused: {ProjectStatus.live},
        ProjectStatus.completed: {ProjectStatus.live, ProjectStatus.paused},
    }
    if target not in allowed:
        raise Invalid({"status": "must be live, paused or completed"})
    if project.status not in allowed[target]:
        raise Conflict(f"a {project.status} project cannot become {target}")
    if target == ProjectStatus.live:
        missing = await missing_for_launch(session, project)
        if missing:
            raise Conflict("the project is not ready to launch", missing=missing)
    previous, project.status = project.status, target
    session.add(project)
    record(session, action=STATUS_ACTIONS[target],
           subject_type="project", subject_id=project.id, project_id=project.id, actor_id=actor.id,
           payload={"from": previous, "to": target})
    return project


async def get_or_create_batch(session: AsyncSession, project: Project, name: str | None,
                              due_at: datetime | None = None) -> Batch:
    """The named batch (default: "default"); ``due_at``, when given, sets its due date."""
    name = (name or "").strip() or "default"
    if len(name) > 200:
        raise Invalid({"batch": "at most 200 characters"})
    query = select(Batch).where(Batch.project_id == project.id, Batch.name == name).with_for_update()
    batch = (await session.execute(query)).scalar_one_or_none()
    if batch is None:
        # Two imports may create the same batch at once: the loser waits for the winner's row and uses it.
        await session.execute(dialect_insert(session)(Batch).values(project_id=project.id, name=name)
                              .on_conflict_do_nothing(index_elements=["project_id", "name"]))
        batch = (await session.execute(query.execution_options(populate_existing=True))).scalar_one()
    if due_at is not None:
        batch.due_at = due_at
    await session.flush()
    return batch


def parse_due(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time (UTC unless it says otherwise), or a 422 naming the field."""
    if value is None or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Invalid({"due": "must be an ISO 8601 date or date-time, e.g. 2026-12-01T17:00:00Z"}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def batches_of(session: AsyncSession, project_id: int) -> list[Batch]:
    return list((await session.execute(select(Batch).where(Batch.project_id == project_id).order_by(Batch.id))).scalars())


async def count_members(session: AsyncSession, project_id: int, role: str) -> int:
    return (await session.execute(select(func.count()).select_from(Membership)
                                  .where(Membership.project_id == project_id, Membership.role == role))).scalar_one()
