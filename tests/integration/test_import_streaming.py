"""Imports read, checked and inserted a chunk at a time: whole and in order however they are cut up,
all or nothing even when the importing process stops (SQLite's staged import), and from the CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.events.models import Event
from app.items.models import ItemImport, ItemImportAnnotation, ItemImportRow
from tests.support import backend

ROOT = Path(__file__).resolve().parents[2]


def jsonl(*objects) -> bytes:
    return ("\n".join(json.dumps(o) for o in objects) + "\n").encode()


def lines_of(count: int, prefix: str) -> list[dict]:
    """Items whose text says where they were; every third gold, every fourth with a prior answer."""
    lines = []
    for n in range(count):
        line = {"data": {"text": f"{prefix} {n}"}, "external_id": f"{prefix}-{n}"}
        if n % 3 == 2:
            line |= {"gold": {"sentiment": "neg"}, "explanation": f"because {n}"}
        if n % 4 == 1:
            line["annotations"] = [{"annotator": f"vendor-{n}", "answer": {"sentiment": "pos"},
                                    "created_at": "2025-03-0%dT10:00:00Z" % (n % 9 + 1)}]
        lines.append(line)
    return lines


async def export_lines(ops, project_id: int) -> list[dict]:
    response = await ops.get(f"/projects/{project_id}/export", params={"format": "jsonl", "aggregate": "none"})
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line]


async def imported_events(db, project_id: int) -> list[dict]:
    async with db.transaction() as session:
        return [e.payload for e in (await session.execute(select(Event).where(
            Event.project_id == project_id, Event.action == "items.imported").order_by(Event.id))).scalars()]


async def batch_counts(ops, project_id: int) -> dict[str, tuple[int, int]]:
    stats = await ops.ok("GET", f"/projects/{project_id}/stats")
    return {b["name"]: (b["counts"]["items"], b["counts"]["queued"]) for b in stats["batches"]}


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 3 rows, staged 2 and published 4 at a time: a dozen lines cross every boundary (the
    server runs in this process, so it reads the same module attributes)."""
    from app.items import spool, staging

    monkeypatch.setattr(spool, "CHUNK_ROWS", 3)
    monkeypatch.setattr(staging, "STAGE_ROWS", 2)
    monkeypatch.setattr(staging, "PUBLISH_ROWS", 4)


async def test_an_import_cut_into_many_chunks_lands_whole_in_upload_order(new_project, ops, db, small_chunks):
    project = await new_project(items=2, batch="week")  # the batch exists and has work
    pid = project["id"]
    lines = lines_of(13, "chunked")

    response = await ops.post(f"/projects/{pid}/items", content=jsonl(*lines), params={"batch": "week"},
                              headers={"Content-Type": "application/x-ndjson"})

    assert response.status_code == 201, response.text
    gold = sum(1 for line in lines if "gold" in line)
    priors = sum(len(line.get("annotations", [])) for line in lines)
    assert response.json() | {"batch_id": 0} == {"created": 13, "gold": gold, "annotations": priors,
                                                 "batch_id": 0, "format": "jsonl"}
    exported = await export_lines(ops, pid)
    ours = [line for line in exported if line["external_id"]]
    # every line once, in upload order, ids increasing with it, each with its own gold and answers
    assert [line["external_id"] for line in ours] == [line["external_id"] for line in lines]
    assert [line["id"] for line in ours] == sorted(line["id"] for line in ours)
    for given, stored in zip(lines, ours):
        assert stored["data"] == given["data"]
        assert stored["gold"] is ("gold" in given)
        assert [(a["external_annotator"], a["created_at"]) for a in stored["annotations"]] == [
            (a["annotator"], a["created_at"]) for a in given.get("annotations", [])]  # their own time kept
    assert (await batch_counts(ops, pid))["week"] == (2 + 13 - gold, 2 + 13 - gold)
    assert (await imported_events(db, pid))[-1] == {"batch": "week", "created": 13, "gold": gold,
                                                     "annotations": priors}


async def test_a_problem_in_the_last_chunk_leaves_nothing(new_project, ops, db, small_chunks):
    project = await new_project(items=1)
    pid = project["id"]
    lines = lines_of(11, "almost") + [{"data": {"text": "bad"}, "gold": {"sentiment": "ecstatic"}}]

    response = await ops.post(f"/projects/{pid}/items", content=jsonl(*lines), params={"batch": "late"},
                              headers={"Content-Type": "application/x-ndjson"})

    assert response.status_code == 422, response.text
    assert [p["line"] for p in response.json()["problems"]] == [12]
    assert await batch_counts(ops, pid) == {"b1": (1, 1)}
    assert len(await export_lines(ops, pid)) == 1
    assert len(await imported_events(db, pid)) == 1  # the fixture's own import


@pytest.fixture
def checked_in_child(monkeypatch) -> list[str]:
    """Every upload checked in a child process (as a big one is); the paths it was asked to check."""
    from app.items import checking

    children: list[str] = []
    check_in_child = checking._check_in_child

    async def recorded(path, *args):
        children.append(path)
        return await check_in_child(path, *args)

    monkeypatch.setattr(checking, "CHILD_PROCESS_BYTES", 1)
    monkeypatch.setattr(checking, "_check_in_child", recorded)
    return children


async def test_an_upload_checked_in_a_child_process_lands_whole_or_is_refused_by_line(
        new_project, ops, db, checked_in_child):
    pid = (await new_project(items=1))["id"]
    checked_in_child.clear()  # the fixture's own import
    lines = lines_of(2500, "child")  # more than one spool chunk

    taken = await ops.post(f"/projects/{pid}/items", content=jsonl(*lines), params={"batch": "big"},
                           headers={"Content-Type": "application/x-ndjson"})
    refused = await ops.post(f"/projects/{pid}/items", params={"batch": "bad"},
                             content=jsonl(*lines_of(3, "x"), {"data": {"text": "?"}, "gold": {"sentiment": "meh"}},
                                           {"data": {"text": "ok"}, "anotations": []}),
                             headers={"Content-Type": "application/x-ndjson"})

    assert len(checked_in_child) == 2
    assert taken.status_code == 201, taken.text
    gold = sum(1 for line in lines if "gold" in line)
    assert taken.json()["created"] == 2500 and taken.json()["gold"] == gold
    ours = [line for line in await export_lines(ops, pid) if line["external_id"]]
    assert [line["external_id"] for line in ours] == [line["external_id"] for line in lines]
    assert refused.status_code == 422, refused.text
    assert [(p["line"], "anotations" in p["message"]) for p in refused.json()["problems"]] == [(4, False), (5, True)]
    assert (await batch_counts(ops, pid)) == {"b1": (1, 1), "big": (2500 - gold, 2500 - gold)}


def a_finished_pid() -> int:
    """The pid of a process that has ended: an importer that died."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.mark.skipif(backend() != "sqlite", reason="PostgreSQL imports are one transaction: nothing to resume")
async def test_an_import_stopped_while_staging_is_thrown_away_and_one_stopped_while_publishing_is_finished(
        new_project, ops, db, small_chunks):
    from app.items import staging
    from app.items.checking import check_upload
    from app.projects.service import get_project, interface_of

    project = await new_project(items=1)
    pid = project["id"]
    me = await ops.ok("GET", "/me")
    async with db.transaction() as session:
        interface = interface_of(await get_project(session, pid))
    dead = a_finished_pid()

    # An importer died while staging: rows in staging, nothing decided.
    abandoned = check_upload(io.BytesIO(jsonl(*lines_of(5, "abandoned"))), "jsonl", interface)
    abandoned_id = await staging.begin(db, pid, abandoned, batch_name="abandoned", due_at=None,
                                       actor_id=me["id"], owner_pid=dead)
    await staging.stage(db, abandoned_id, abandoned)
    # Another died while publishing: committed, 4 of its 10 rows already moved in.
    lines = lines_of(10, "resumed")
    decided = check_upload(io.BytesIO(jsonl(*lines)), "jsonl", interface)
    decided_id = await staging.begin(db, pid, decided, batch_name="resumed", due_at=None, actor_id=me["id"],
                                     owner_pid=dead)
    await staging.stage(db, decided_id, decided)
    await staging.commit(db, decided_id)
    async with db.transaction() as session:
        assert await staging.publish_chunk(session, decided_id) is False

    # The next import (as start-up does) finds both: the first is gone, the second is whole.
    await ops.ok("POST", f"/projects/{pid}/items", status=201, params={"batch": "next"}, json=[{"text": "next"}])

    gold = sum(1 for line in lines if "gold" in line)
    assert await batch_counts(ops, pid) == {"b1": (1, 1), "resumed": (10 - gold, 10 - gold), "next": (1, 1)}
    exported = [line["external_id"] for line in await export_lines(ops, pid) if line["external_id"]]
    assert exported == [line["external_id"] for line in lines]
    assert [e["batch"] for e in await imported_events(db, pid)] == ["b1", "resumed", "next"]
    async with db.transaction() as session:
        for table in (ItemImport, ItemImportRow, ItemImportAnnotation):
            assert (await session.execute(select(func.count()).select_from(table))).scalar_one() == 0


async def test_the_cli_imports_a_file_all_or_nothing(new_project, ops, settings, tmp_path):
    project = await new_project()
    pid = project["id"]
    env = os.environ | {"DATABASE_URL": settings.database_url}
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    good = tmp_path / "items.jsonl"
    good.write_bytes(jsonl(*lines_of(6, "cli")))
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl({"data": {"text": "x"}, "anotations": []}))

    def inkwell(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)

    refused = inkwell("import", "--project", str(pid), str(bad))
    assert refused.returncode == 1 and 'line 1: unknown key "anotations"' in refused.stderr
    done = inkwell("import", "--project", str(pid), "--batch", "from-cli", str(good))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported 6 items (2 gold, 2 prior annotations)")
    assert await batch_counts(ops, pid) == {"from-cli": (4, 4)}


async def test_the_work_loop_and_healthz_are_served_while_a_big_import_runs(new_project, ops, quick_user, server):
    """Issue 11: an import was parsed on the event loop and, on SQLite, inserted in one transaction on the
    process's only connection: /healthz waited seconds behind it. Now no request waits for it long."""
    import asyncio
    import time

    import httpx

    worked = await new_project(items=400, launch=True)
    _, contributor = await quick_user("contributor", worked["id"])
    target = await new_project()
    body = jsonl(*({"data": {"text": f"review {n}: " + "fine words " * 12, "lang": "en"}, "external_id": f"r{n}"}
                   for n in range(60_000)))  # ~9 MB
    waits: list[tuple[str, float]] = []

    async def timed(name: str, call) -> None:
        started = time.perf_counter()
        await call()
        waits.append((name, time.perf_counter() - started))

    async def cycle() -> None:
        lease = await contributor.ok("POST", f"/projects/{worked['id']}/next")
        await contributor.ok("POST", f"/assignments/{lease['assignment']['id']}/submit", status=201,
                             json={"answer": {"sentiment": "pos"}})

    async with httpx.AsyncClient(base_url=server.url) as plain:
        importing = asyncio.ensure_future(ops.post(f"/projects/{target['id']}/items", content=body,
                                                   headers={"Content-Type": "application/x-ndjson"}, timeout=120))
        while not importing.done():
            await timed("healthz", lambda: plain.get("/healthz"))
            await timed("next+submit", cycle)
            await asyncio.sleep(0.02)
        response = await importing
    assert response.status_code == 201, response.text[:300]
    assert response.json()["created"] == 60_000
    assert len(waits) > 10  # the import really ran alongside
    # Before the fix each request waited for the whole import (seconds); the latency targets are
    # measured by bench/import_under_load.py, so these bounds only catch a request stuck behind it.
    for name, bound in (("healthz", 1.0), ("next+submit", 2.0)):
        slowest = max(wait for called, wait in waits if called == name)
        assert slowest < bound, f"{name} waited {slowest:.2f} s during the import"
