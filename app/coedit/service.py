"""Co-editing rules: who may join a review task's document, what the document holds, how it is
stored, and the answer it gives the decision. The live side (sockets, rooms) is ``live.py``.

The document
------------
One Yjs document per review task (pycrdt on the server, Yjs in the browser):

* a ``Y.Map`` named ``fields`` holding every other field, by the field's ``Component.coedit``:

  - "value" (choice, multi_choice, rating, number): a plain JSON value, last writer wins per field,
    the same winner everywhere (Yjs orders concurrent writes by client id);
  - "json" (rubric, turn ratings, pairwise, ranking): the answer object as nested ``Y.Map``s (an
    object's keys merge one by one, so two reviewers scoring different criteria both count; lists
    and scalars inside are plain values, last writer wins);
  - "list" (spans, claims): a ``Y.Array`` of ``Y.Map``, one per item, each with a stable ``_id``
    (``ITEM_ID``) the browser diffs by, so one reviewer adding a span while another removes or
    adjusts a different one merges to both changes. A claims answer ``{"claims": [...]}`` shares
    its one list; the answer read back is the bare list (the component accepts it). A
    structured field empty when seeded is made whole by its first writer (two at once: one of
    them wins, the same everywhere);

* one ``Y.Text`` per free-text field, named ``text:<field name>``: characters merge.

The answer is read back **through each component's own ``parse_form``**, as if the form had
posted it: "value" fields as form strings, "json" and "list" fields as JSON text under
``form_name`` (what their widgets' hidden ``[data-coedit-json]`` input holds), ``_id`` stripped.
The decision then validates it against the item like any answer (``review.service.decide``).

It is **seeded** from the answer under review by a document with the fixed client id
``SEED_CLIENT``, built field by field in interface order, so every process that seeds it makes
byte-identical updates (applying two seeds is a no-op, never a doubled text). The first seed is
stored at once (insert-if-absent), and every process loads that row.

Stored as one row per task (``CoeditDoc``): the whole merged state (``Doc.get_update()``) and the
ids of the people whose edits are in it. Saving **merges** with what is stored (load the row for
update, apply both, write the union), so two processes saving at once never drop each other's
edits; the merged state is handed back so the saver learns what others saved (anti-entropy).

Who may join
------------
The leaseholder, and anyone else the stage is open to while the task is leased: reviewers,
specialists and ops of the project whose level reaches the stage's level, except the person who
gave the answer and anyone who decided an earlier stage of it (the same people ``next_review``
would never give it to). Contributors and clients never join. Only the **leaseholder decides**
(the lease, the reviewer metrics and the audit trail stay one person's); co-editors shape the
answer with them, and the decision's ``review.coedited`` event names every one of them.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from pycrdt import Array, Doc, Map, Text
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.coedit.models import CoeditDoc
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.events.service import record
from app.models_base import BIG_ID_MAX, storable_id, utcnow
from app.projects.models import Project
from app.projects.service import interface_of
from app.review import service as review
from app.review.models import ReviewState, ReviewTask
from app.work.models import Annotation
from components.base import Interface

FIELDS = "fields"
#: The client id of the seed: fixed, so independent seeds are identical and merge to one.
SEED_CLIENT = 1
#: A document (or an update to it) larger than this is refused: an answer is a few kilobytes.
MAX_STATE_BYTES = 512 * 1024
EMPTY_UPDATE = b"\x00\x00"
#: The key of a shared list item's stable id (``coedit == "list"``); never part of the answer.
ITEM_ID = "_id"


def text_name(field: str) -> str:
    return f"text:{field}"


def is_text(component: Any) -> bool:
    """A field held as a shared text (``Component.coedit``), merged character by character."""
    return component.coedit == "text"


# ---------------------------------------------------------------- the document and the answer


def _json_value(value: Any) -> Any:
    """A value the map can hold (JSON): lists stay lists, everything else as is."""
    if isinstance(value, tuple):
        return list(value)
    return value


def _put(shared: Map | Array, key: str | None, value: Any) -> None:
    """Write ``value`` under ``key`` of a map (or append it to an array when ``key`` is None),
    objects as nested maps written key by key in sorted order and lists holding objects as arrays
    of them: plain (or prelim) objects are encoded in hash order, and the seed must be the same
    bytes in every process."""
    if isinstance(value, dict):
        child: Map | Array = Map()
    elif isinstance(value, (list, tuple)) and any(isinstance(item, dict) for item in value):
        child = Array()
    else:
        if key is None:
            shared.append(_json_value(value))
        else:
            shared[key] = _json_value(value)
        return
    if key is None:
        shared.append(child)
        child = shared[len(shared) - 1]
    else:
        shared[key] = child
        child = shared[key]
    if isinstance(value, dict):
        for name in sorted(value, key=str):
            _put(child, str(name), value[name])
    else:
        for item in value:
            _put(child, None, item)


def list_items(value: Any) -> list[Any]:
    """The items a "list" field shares: the value itself, or the one list of a one-key object
    (claims: ``{"claims": [...]}``)."""
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    return list(value) if isinstance(value, (list, tuple)) else []


def _seed_structured(values: Map, component: Any, value: Any) -> None:
    """A "json" field as nested maps (keys merge); a "list" field as a shared list of one map per
    item, each with a deterministic ``_id``."""
    if component.coedit == "list":
        items = [item for item in list_items(value) if isinstance(item, dict)]
        values[component.name] = Array()
        for index, item in enumerate(items):
            _put(values[component.name], None, {**{k: v for k, v in item.items() if k != ITEM_ID},
                                                ITEM_ID: f"seed-{index}"})
    else:
        _put(values, component.name, value)


def seed_update(interface: Interface, answer: dict[str, Any]) -> bytes:
    """The document of ``answer``: deterministic bytes for the same answer."""
    doc = Doc(client_id=SEED_CLIENT)
    values = doc.get(FIELDS, type=Map)
    texts = {c.name: doc.get(text_name(c.name), type=Text) for c in interface.components if is_text(c)}
    with doc.transaction():
        for component in interface.components:
            value = answer.get(component.name)
            if is_text(component):
                if value:
                    texts[component.name] += str(value)
            elif component.coedit in ("json", "list"):
                _seed_structured(values, component, value)
            else:
                values[component.name] = _json_value(value)
    return doc.get_update()


def _plain(value: Any) -> Any:
    """A document value as plain JSON: shared types read out, whole floats back to ints (Yjs
    numbers come back as floats: a score of 3 is 3, not 3.0)."""
    if isinstance(value, (Map, Array)):
        value = value.to_py()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _structured_form(component: Any, value: Any) -> list[str]:
    """A "json" or "list" field's document value as its widget's hidden input would post it:
    JSON text (a list without the items' ``_id``)."""
    value = _plain(value)
    if component.coedit == "list":
        return [json.dumps([{k: v for k, v in item.items() if k != ITEM_ID} if isinstance(item, dict) else item
                            for item in list_items(value)])]
    return [] if value is None else [json.dumps(value)]


def _form_strings(value: Any) -> list[str]:
    """A stored field value as the strings a form would post for it."""
    if value is None:
        return []
    if isinstance(value, (Map, Array, dict)):
        return [json.dumps(_plain(value))]  # an object as JSON text, never its Python repr
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _form_strings(v)]
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, float) and value.is_integer():
        return [str(int(value))]  # Yjs numbers come back as floats: a rating of 3 is "3", not "3.0"
    return [str(value)]


def doc_answer(interface: Interface, *updates: bytes) -> dict[str, Any]:
    """The answer a document holds, parsed by each component exactly as its form would be."""
    doc = Doc()
    for update in updates:
        if update:
            doc.apply_update(update)
    values = doc.get(FIELDS, type=Map)
    form: dict[str, list[str]] = {}
    for component in interface.components:
        if is_text(component):
            form[component.form_name] = [str(doc.get(text_name(component.name), type=Text))]
        elif component.coedit in ("json", "list"):
            form[component.form_name] = _structured_form(component, values.get(component.name))
        else:
            form[component.form_name] = _form_strings(values.get(component.name))
    return interface.parse_form(form)


def merge(*updates: bytes) -> bytes:
    """One update holding everything in ``updates`` (a document's full state)."""
    doc = Doc()
    for update in updates:
        if update:
            doc.apply_update(update)
    return doc.get_update()


def decode_posted_state(raw: Any) -> bytes | None:
    """The browser's whole document, posted with the decision (base64), or None if absent or unusable."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_STATE_BYTES * 2:
        return None
    try:
        update = base64.b64decode(raw.strip(), validate=True)
        Doc().apply_update(update)  # refuse what pycrdt cannot read, here rather than mid-decision
    except (binascii.Error, ValueError, RuntimeError, Exception):  # pycrdt raises its own error types
        return None
    return update


# ---------------------------------------------------------------- who may join


async def open_task(session: AsyncSession, review_id: int, user: User, now: datetime | None = None) -> ReviewTask:
    """The review task ``user`` may edit now (as leaseholder or co-editor); raises otherwise:
    NotFound (no such task), Forbidden (not theirs to edit), Conflict (decided or not leased)."""
    now = now or utcnow()
    if not storable_id(review_id, BIG_ID_MAX):
        raise NotFound("no such review")
    task = await session.get(ReviewTask, review_id)
    if task is None:
        raise NotFound("no such review")
    level = await review.reviewer_level(session, task.project_id, user)  # Forbidden for contributors, clients, strangers
    if task.state == ReviewState.decided:
        raise Conflict("this review was already decided")
    if task.state != ReviewState.leased or task.expires_at is None or task.expires_at <= now:
        raise Conflict("this review is not being edited: nobody holds it")
    if task.reviewer_id == user.id:
        return task
    if task.level > level:
        raise Forbidden("this stage needs a higher reviewer level")
    if task.contributor_id is not None and task.contributor_id == user.id:
        raise Forbidden("you gave this answer")
    earlier = (await session.execute(select(exists().where(
        ReviewTask.annotation_id == task.annotation_id, ReviewTask.reviewer_id == user.id,
        ReviewTask.id != task.id)))).scalar()
    if earlier:
        raise Forbidden("you decided an earlier stage of this answer")
    return task


async def may_coedit(session: AsyncSession, task: ReviewTask, user: User) -> bool:
    """Whether ``user`` may open ``task`` as a co-editor (not as its leaseholder)."""
    if task.reviewer_id == user.id:
        return False
    try:
        await open_task(session, task.id, user)
    except DomainError:
        return False
    return True


async def joinable(session: AsyncSession, project: Project, user: User, now: datetime | None = None
                   ) -> list[ReviewTask]:
    """Review tasks someone else holds that ``user`` may join as a co-editor, oldest first."""
    now = now or utcnow()
    level = await review.reviewer_level(session, project.id, user)
    candidates = (await session.execute(select(ReviewTask).where(
        ReviewTask.project_id == project.id, ReviewTask.state == ReviewState.leased, ReviewTask.expires_at > now,
        ReviewTask.level <= level, ReviewTask.reviewer_id != user.id).order_by(ReviewTask.id).limit(50))).scalars()
    return [task for task in candidates if await may_coedit(session, task, user)]


# ---------------------------------------------------------------- storing the document


async def _context(session: AsyncSession, task: ReviewTask) -> tuple[Interface, dict[str, Any]]:
    project = await session.get(Project, task.project_id)
    annotation = await session.get(Annotation, task.annotation_id)
    return interface_of(project), annotation.reviewed_answer or annotation.answer


async def load_or_seed(session: AsyncSession, task: ReviewTask) -> tuple[bytes, list[str]]:
    """The stored document of ``task`` (seeded from its answer and stored on first use), and the
    names of its fields."""
    interface, answer = await _context(session, task)
    names = [c.name for c in interface.components]
    row = await session.get(CoeditDoc, task.id)
    if row is not None:
        return row.state, names
    seed = seed_update(interface, answer)
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    await session.execute(insert(CoeditDoc).values(review_task_id=task.id, state=seed, editors=[],
                                                   updated_at=utcnow()).on_conflict_do_nothing())
    stored = (await session.execute(select(CoeditDoc.state).where(CoeditDoc.review_task_id == task.id))).scalar_one()
    return stored, names


async def save(session: AsyncSession, review_id: int, update: bytes | None, editors: set[int]
               ) -> tuple[bytes | None, bool]:
    """Merge ``update`` (a process's whole document, or None to only read) and ``editors`` into the
    stored row. Returns the merged stored state (None if there is no row) and whether the task
    has been decided meanwhile."""
    row = (await session.execute(select(CoeditDoc).where(CoeditDoc.review_task_id == review_id)
                                 .with_for_update())).scalar_one_or_none()
    state = (await session.execute(select(ReviewTask.state).where(ReviewTask.id == review_id))).scalar()
    decided = state == ReviewState.decided
    if row is None:
        return None, decided
    if update is not None and not decided:
        merged = merge(row.state, update)
        new_editors = sorted(set(row.editors or []) | editors)
        if merged != row.state or new_editors != list(row.editors or []):
            if len(merged) > MAX_STATE_BYTES:
                raise Conflict("the shared document is too large")
            row.state, row.editors, row.updated_at = merged, new_editors, utcnow()
            session.add(row)
    return row.state, decided


# ---------------------------------------------------------------- the decision


async def merged_answer(session: AsyncSession, review_id: int, form_answer: dict[str, Any],
                        posted_state: bytes | None, user: User) -> dict[str, Any]:
    """The answer to record for an "edit" decision: the shared document (what is stored merged with
    the decider's own copy, posted with the form) when the task has one; the form's answer otherwise
    (no co-editing happened, e.g. without JavaScript). The merged copy is stored, so a refused
    decision shows it again."""
    row = (await session.execute(select(CoeditDoc).where(CoeditDoc.review_task_id == review_id)
                                 .with_for_update())).scalar_one_or_none()
    task = await session.get(ReviewTask, review_id) if storable_id(review_id, BIG_ID_MAX) else None
    if row is None or task is None or task.reviewer_id != user.id or task.state != ReviewState.leased:
        return form_answer  # decide() refuses what is not theirs to decide
    interface, _ = await _context(session, task)
    if posted_state is not None:
        merged = merge(row.state, posted_state)
        if merged != row.state:
            row.state, row.updated_at = merged, utcnow()
            row.editors = sorted(set(row.editors or []) | {user.id})
            session.add(row)
    return doc_answer(interface, row.state)


async def record_coedit(session: AsyncSession, task: ReviewTask, decider: User) -> list[int]:
    """After a decision on ``task``: a ``review.coedited`` event naming everyone whose edits are in
    the answer (nothing when nobody edited the shared document). Returns their ids."""
    editors = (await session.execute(select(CoeditDoc.editors).where(CoeditDoc.review_task_id == task.id))).scalar()
    if not editors:
        return []
    people = (await session.execute(select(User.id).where(User.id.in_(editors)).order_by(User.id))).scalars().all()
    record(session, action="review.coedited", subject_type="review", subject_id=task.id, project_id=task.project_id,
           actor_id=decider.id, payload={"item_id": task.item_id, "annotation_id": task.annotation_id,
                                         "decision": task.decision, "editors": list(people), "decided_by": decider.id})
    return list(people)
