"""Boxes on images through the public API (SQLite + a local media folder): items imported with a
zip of their images, a lease showing the image's reference with its size, answers checked in the
image's pixels with positions, the gate scoring gold boxes by IoU-matched F1, a reviewer's edit,
and the export carrying the boxes and the stable reference.

The module runs its own server with a media folder, so nothing here touches the shared test
server's data."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import uuid

import pytest
from sqlalchemy import select

from tests.integration.own_server import own_server, root_token as make_root_token
from tests.integration.conftest import Api
from tests.integration.test_media_store import import_media, png
from tests import support
from tests.support import reset_database

INTERFACE = [
    {"name": "photo", "type": "image", "value": "$image", "alt": "A street scene"},
    {"name": "boxes", "type": "bbox", "target": "photo", "labels": ["car", "person"], "min_size": 4},
]
GATE = {"benchmark": {"size": 1, "pass_threshold": 0.8, "retry": "none"},
        "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"},
                    {"type": "boxes_smaller_than", "field": "boxes", "px": 8, "severity": "warning"}]}
GOLD = [{"label": "car", "x": 10, "y": 10, "w": 40, "h": 20}, {"label": "person", "x": 70, "y": 5, "w": 10, "h": 30}]


@pytest.fixture(scope="module")
def box_settings():
    if support.test_settings().is_sqlite is False:
        pytest.skip("runs on SQLite + a local folder (the media store's own tests cover S3)")
    folder = tempfile.mkdtemp(prefix="inkwell-boxes-")
    settings = dataclasses.replace(support.test_settings(), media_dir=folder)
    reset_database(settings)
    yield settings
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def box_server(box_settings):
    yield from own_server(box_settings)


@pytest.fixture(scope="module")
def box_root_token(box_settings, box_server) -> str:
    return make_root_token(box_settings, "boxes-root@test.local")


@pytest.fixture
async def ops(box_server, box_root_token):
    async with Api(box_server.url, box_root_token) as api:
        yield api


@pytest.fixture
async def person(ops, box_server):
    opened = []

    async def make(role: str, project_id: int):
        email = f"{role}-{uuid.uuid4().hex[:8]}@test.local"
        user = await ops.ok("POST", "/users", json={"email": email, "name": role.title(), "password": "quiet-lantern-42",
                                                  "role": role})
        token = (await ops.ok("POST", "/auth/token", json={"email": email, "password": "quiet-lantern-42"}))["token"]
        await ops.ok("POST", f"/projects/{project_id}/members", json={"user_id": user["id"], "role": role})
        api = Api(box_server.url, token)
        opened.append(api)
        return user, api

    yield make
    for api in opened:
        await api.http.aclose()


async def gold_score_of(settings, annotation_id: int) -> float | None:
    from app.db import Database
    from app.work.models import Annotation

    db = Database(settings.database_url)
    async with db.transaction() as session:
        score = (await session.execute(select(Annotation.gold_score).where(Annotation.id == annotation_id))).scalar_one()
    await db.dispose()
    return score


async def test_boxes_on_an_imported_image_from_lease_to_review_and_export(ops, person, box_settings):
    review = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}]}
    project = await ops.ok("POST", "/projects", json={
        "name": f"Street {uuid.uuid4().hex[:6]}", "purpose": "Box cars and people", "guidelines": "# Box them",
        "overlap": 1, "interface": INTERFACE, "quality": GATE, "review": review})
    pid = project["id"]
    gold = await import_media(ops, pid, [{"data": {"image": "media:gold.png"}, "gold": {"boxes": GOLD},
                                          "explanation": "One car, one person."}], {"gold.png": png(101, (120, 60))},
                              batch="gold")
    assert gold.status_code == 201, gold.text
    work = await import_media(ops, pid, [{"image": "media:street.png"}], {"street.png": png(102, (120, 60))})
    assert work.status_code == 201 and work.json()["media"] == {"stored": 1, "deduplicated": 0}, work.text
    await ops.ok("POST", f"/projects/{pid}/launch")

    # The gate: a gold image. Near the gold (the car 2 px off: IoU 38x20 / 42x20 = 0.90) passes it.
    _, amy = await person("contributor", pid)
    lease = (await amy.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]
    image = lease["item"]["data"]["image"]
    assert image["width"] == 120 and image["height"] == 60 and image["media"].startswith("sha256:")
    url = f"/assignments/{lease['id']}/submit"
    refused = await amy.post(url, json={"answer": {"boxes": [GOLD[0], {**GOLD[1], "x": 100, "w": 30},
                                                           {"label": "car", "x": 0, "y": 0, "w": 3, "h": 9}]}})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"boxes": "boxes[1].w: reaches beyond the image (120 px wide)"}
    tiny = await amy.post(url, json={"answer": {"boxes": [GOLD[0], {"label": "car", "x": 0, "y": 0, "w": 3, "h": 9}]}})
    assert tiny.json()["errors"] == {"boxes": "boxes[1].w: below the minimum 4 px"}
    near = [{**GOLD[0], "x": 12}, GOLD[1]]
    passed = await amy.ok("POST", url, json={"answer": {"boxes": near}})
    assert await gold_score_of(box_settings, passed["annotation"]["id"]) == 1.0

    # Production: the work image; a small box gets the linter's warning.
    lease = (await amy.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]
    assert lease["item"]["data"]["image"]["name"] == "street.png"
    given = [{"label": "car", "x": 5.004, "y": 5, "w": 30, "h": 20}, {"label": "person", "x": 60, "y": 10, "w": 6, "h": 25}]
    submitted = await amy.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": {"boxes": given}})
    assert submitted["annotation"]["answer"]["boxes"][0] == {"label": "car", "x": 5, "y": 5, "w": 30, "h": 20}

    # Review: an edit outside the image is refused with the box's position; a fixed one is kept.
    _, rex = await person("reviewer", pid)
    task = (await rex.ok("POST", f"/projects/{pid}/reviews/next", status=200))["review"]
    assert [b["label"] for b in task["answer"]["boxes"]] == ["car", "person"]
    bad = await rex.post(f"/reviews/{task['id']}/decide", json={
        "decision": "edit", "answer": {"boxes": [*given, {"label": "car", "x": 100, "y": 50, "w": 10, "h": 20}]}})
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"boxes": "boxes[2].h: reaches beyond the image (60 px high)"}
    edited = [given[0], {**given[1], "w": 12}]
    decided = await rex.ok("POST", f"/reviews/{task['id']}/decide", json={"decision": "edit", "answer": {"boxes": edited}})
    assert "boxes" in decided["review"]["diff"]

    lines = [json.loads(line) for line in (await ops.get(f"/projects/{pid}/export")).text.splitlines()]
    line = next(l for l in lines for a in l["annotations"] if a["id"] == submitted["annotation"]["id"])
    exported = next(a for a in line["annotations"] if a["id"] == submitted["annotation"]["id"])
    assert exported["answer"]["boxes"][1]["w"] == 6 and exported["reviewed_answer"]["boxes"][1]["w"] == 12
    assert [(w["rule"], w["message"]) for w in exported["lint"] if w["rule"] == "boxes_smaller_than"] == [
        ("boxes_smaller_than", "1 box smaller than 8 px (the first at (60, 10) 6×25 px)")]
    assert line["data"]["image"] == lease["item"]["data"]["image"]  # the stable reference, never a URL


async def test_a_poor_gold_answer_fails_the_gate(ops, person, box_settings):
    project = await ops.ok("POST", "/projects", json={
        "name": f"Street {uuid.uuid4().hex[:6]}", "purpose": "Box cars", "guidelines": "# Box them",
        "overlap": 1, "interface": INTERFACE, "quality": GATE})
    pid = project["id"]
    await import_media(ops, pid, [{"data": {"image": "media:g.png"}, "gold": {"boxes": GOLD}}],
                       {"g.png": png(103, (120, 60))}, batch="gold")
    await import_media(ops, pid, [{"image": "media:w.png"}], {"w.png": png(104, (120, 60))})
    await ops.ok("POST", f"/projects/{pid}/launch")
    _, poor = await person("contributor", pid)
    lease = (await poor.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]
    # The car right, the person labelled a car: F1 = 2·1 / (2 + 2) = 0.5, below the 0.8 to pass.
    wrong = [GOLD[0], {**GOLD[1], "label": "car"}]
    answered = await poor.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": {"boxes": wrong}})
    assert await gold_score_of(box_settings, answered["annotation"]["id"]) == 0.5
    refused = await poor.post(f"/projects/{pid}/next")
    assert refused.status_code == 403 and "removed" in refused.json()["error"]
