"""Items with media through the public API: stored once by content, served with Range support (local
folder, SQLite) or by presigned redirect (SeaweedFS S3, PostgreSQL), only to who may see an item.

The module runs its own server on its own database with a media store (a temporary folder, or a
private SeaweedFS), so nothing here touches the shared test server's data.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import json
import os
import shutil
import tempfile
import uuid
import wave
import zipfile

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.integration.own_server import own_server, root_token as make_root_token
from tests.integration.conftest import QUIET_QUALITY, SENTIMENT_INTERFACE, Api, Browser, qualify
from tests.seaweed_server import SeaweedServer
from tests import support
from tests.support import backend, reset_database

MAX_MEDIA = 3 * 1024 * 1024


def _own_database_settings():
    if backend() == "postgres":
        base = os.environ.get("INKWELL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/inkwell_test")
        from app.config import normalise_database_url

        return support.test_settings(database_url=normalise_database_url(base + "_media"))
    return support.test_settings()


@pytest.fixture(scope="module")
def media_settings():
    settings = dataclasses.replace(_own_database_settings(), max_media_bytes=MAX_MEDIA)
    reset_database(settings)
    if settings.is_sqlite:
        folder = tempfile.mkdtemp(prefix="inkwell-media-")
        yield dataclasses.replace(settings, media_dir=folder)
        shutil.rmtree(folder, ignore_errors=True)
    else:
        s3 = SeaweedServer().start()
        yield dataclasses.replace(settings, media_url=f"s3://{s3.bucket}/run-{uuid.uuid4().hex[:8]}",
                                  media_s3_endpoint=s3.endpoint, media_s3_key="any", media_s3_secret="any")
        s3.stop()


@pytest.fixture(scope="module")
def media_server(media_settings):
    yield from own_server(media_settings)


@pytest.fixture(scope="module")
def root_token(media_settings, media_server) -> str:
    return make_root_token(media_settings, "media-root@test.local")


@pytest.fixture
async def ops(media_server, root_token):
    async with Api(media_server.url, root_token) as api:
        yield api


@pytest.fixture
async def person(ops, media_server, media_settings):
    """(user, Api) for a new person with a role in a project (a contributor past the gate unless told)."""
    opened = []

    async def make(role: str, project_id: int, *, qualified: bool = True):
        email = f"{role}-{uuid.uuid4().hex[:8]}@test.local"
        user = await ops.ok("POST", "/users", json={"email": email, "name": role.title(), "password": "quiet-lantern-42",
                                                  "role": role})
        token = (await ops.ok("POST", "/auth/token", json={"email": email, "password": "quiet-lantern-42"}))["token"]
        await ops.ok("POST", f"/projects/{project_id}/members", json={"user_id": user["id"], "role": role})
        if role == "contributor" and qualified:
            await qualify(media_settings.database_url, project_id, [user["id"]])
        api = Api(media_server.url, token)
        opened.append(api)
        return user, api

    yield make
    for api in opened:
        await api.http.aclose()


# -- files ---------------------------------------------------------------------
def png(seed: int, size=(96, 64)) -> bytes:
    """A PNG no other test makes (random pixels), so dedup counts are this test's own."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def wav(seconds: float = 0.5, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1), file.setsampwidth(2), file.setframerate(rate)
        tone = np.sin(np.arange(int(rate * seconds)) * 2 * np.pi * 440 / rate) * 8000
        file.writeframes(tone.astype("<i2").tobytes() + os.urandom(2))
    return out.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


async def import_media(ops: Api, project_id: int, lines: list[dict], files: dict[str, bytes] | None, *,
                       batch: str = "media", **kwargs) -> httpx.Response:
    parts = {"items": ("items.jsonl", jsonl(lines), "application/x-ndjson")}
    if files is not None:
        parts["media"] = ("media.zip", zipped(files), "application/zip")
    return await ops.post(f"/projects/{project_id}/items", params={"batch": batch}, files=parts, **kwargs)


async def launched_project(ops: Api, lines: list[dict] | None = None, files: dict[str, bytes] | None = None, *,
                           gold_data: dict | None = None, gold_files: dict | None = None) -> tuple[dict, dict]:
    """A live project whose production items are ``lines`` (with ``files``), and the import's answer."""
    project = await ops.ok("POST", "/projects", json={
        "name": f"Media {uuid.uuid4().hex[:6]}", "purpose": "Look at pictures", "guidelines": "# Label them",
        "overlap": 1, "interface": SENTIMENT_INTERFACE, "quality": QUIET_QUALITY})
    gold = {"data": gold_data or {"text": "gold check"}, "gold": {"sentiment": "pos"}, "explanation": "It is."}
    response = await import_media(ops, project["id"], [gold], gold_files, batch="gold")
    assert response.status_code == 201, response.text
    imported = await import_media(ops, project["id"], lines or [{"text": "filler"}], files)
    assert imported.status_code == 201, imported.text
    await ops.ok("POST", f"/projects/{project['id']}/launch")
    return project, imported.json()


def sha_of(reference: dict) -> str:
    assert reference["media"].startswith("sha256:"), reference
    return reference["media"].removeprefix("sha256:")


async def fetch(api: Api, sha256: str, **headers) -> httpx.Response:
    return await api.get(f"/media/{sha256}", headers=headers)


async def media_bytes(api: Api, sha256: str, **headers) -> httpx.Response:
    """The bytes as a browser gets them: from the app, or by following the redirect to the store."""
    response = await fetch(api, sha256, **headers)
    if response.status_code in (302, 307):
        async with httpx.AsyncClient() as browser:  # no bearer token: the presigned URL is the permission
            return await browser.get(response.headers["location"], headers=headers)
    return response


# -- tests ---------------------------------------------------------------------
async def test_import_stores_each_file_once_and_items_keep_a_stable_reference(ops, person):
    cat, tone = png(1), wav()
    lines = [{"text": "a cat", "image": "media:pics/cat.png"}, {"text": "the same cat", "image": "media:pics/cat.png"},
             {"text": "a tone", "audio": "media:tone.wav"}, {"text": "elsewhere", "image": "media:https://example.org/x.png"}]
    project, body = await launched_project(ops, lines, {"pics/cat.png": cat, "tone.wav": tone, "unused.png": png(2)})
    assert body["created"] == 4 and body["media"] == {"stored": 2, "deduplicated": 0}
    assert {"batch_id", "gold", "annotations", "format"} <= set(body)

    again = await import_media(ops, project["id"], lines[:3], {"pics/cat.png": cat, "tone.wav": tone}, batch="again")
    assert again.status_code == 201, again.text
    assert again.json()["media"] == {"stored": 0, "deduplicated": 2}

    _, alice = await person("contributor", project["id"])
    seen = []
    for _ in range(4):
        assignment = (await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
        seen.append(assignment["item"]["data"])
        await alice.ok("POST", f"/assignments/{assignment['id']}/submit", status=201, json={"answer": {"sentiment": "pos"}})
    image = seen[0]["image"]
    assert image == {"media": image["media"], "name": "pics/cat.png", "type": "image/png", "size": len(cat),
                     "width": 96, "height": 64}
    assert seen[1]["image"] == image
    assert seen[2]["audio"]["type"] == "audio/wav" and seen[2]["audio"]["sample_rate"] == 16000
    assert abs(seen[2]["audio"]["duration_s"] - 0.5) < 0.01
    assert seen[3]["image"] == {"media": "https://example.org/x.png"}
    got = await media_bytes(alice, sha_of(image))
    assert got.status_code == 200 and got.content == cat


async def test_range_requests_and_headers(ops, person, media_settings):
    picture = png(3, size=(300, 200))
    size = len(picture)
    project, _ = await launched_project(ops, [{"image": "media:big.png"}], {"big.png": picture})
    _, alice = await person("contributor", project["id"])
    assignment = (await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
    sha256 = sha_of(assignment["item"]["data"]["image"])

    direct = await fetch(alice, sha256)
    assert direct.headers["x-content-type-options"] == "nosniff"
    if media_settings.media_url:  # object storage: a short-lived presigned URL, never the bytes through the app
        assert direct.status_code == 307 and "X-Amz-Signature=" in direct.headers["location"]
        assert "X-Amz-Expires=300" in direct.headers["location"]
        assert direct.headers["cache-control"] == "no-store"
    else:
        assert direct.status_code == 200 and direct.content == picture
        assert direct.headers["content-type"] == "image/png"
        assert direct.headers["accept-ranges"] == "bytes"
        assert "default-src 'none'; sandbox" in direct.headers.get_list("content-security-policy")

    first = await media_bytes(alice, sha256, Range="bytes=0-9")
    assert first.status_code == 206 and first.content == picture[:10]
    assert first.headers["content-range"] == f"bytes 0-9/{size}"
    middle = await media_bytes(alice, sha256, Range="bytes=100-1099")
    assert middle.status_code == 206 and middle.content == picture[100:1100]
    assert middle.headers["content-range"] == f"bytes 100-1099/{size}"
    suffix = await media_bytes(alice, sha256, Range="bytes=-50")
    assert suffix.status_code == 206 and suffix.content == picture[-50:]
    assert suffix.headers["content-range"] == f"bytes {size - 50}-{size - 1}/{size}"
    past = await media_bytes(alice, sha256, Range=f"bytes={size + 10}-")
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{size}"
    assert (await media_bytes(alice, sha256)).headers["content-type"] == "image/png"


async def test_only_people_who_may_see_an_item_are_served_its_media(ops, person):
    mine, other = png(4), png(5)
    project, _ = await launched_project(ops, [{"image": "media:mine.png"}, {"image": "media:other.png"}],
                                        {"mine.png": mine, "other.png": other})
    _, alice = await person("contributor", project["id"])
    _, bob = await person("contributor", project["id"])
    _, reviewer = await person("reviewer", project["id"])
    _, client = await person("client", project["id"])
    elsewhere_project, _ = await launched_project(ops)
    _, stranger = await person("contributor", elsewhere_project["id"])

    assignment = (await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
    held = sha_of(assignment["item"]["data"]["image"])
    unheld = hashlib.sha256(other if held == hashlib.sha256(mine).hexdigest() else mine).hexdigest()

    assert (await fetch(alice, held)).status_code in (200, 307)
    refused = await fetch(alice, unheld)  # in her project, but never given to her
    assert refused.status_code == 404
    for outsider in (bob, stranger, client):
        assert (await fetch(outsider, held)).status_code == 404
    nothing = await fetch(alice, "f" * 64)  # no such file: the same answer as a refusal
    assert nothing.status_code == 404 and nothing.json() == refused.json()
    assert (await fetch(reviewer, held)).status_code in (200, 307)
    assert (await fetch(ops, unheld)).status_code in (200, 307)
    async with httpx.AsyncClient(base_url=alice.base_url) as anonymous:
        assert (await anonymous.get(f"/api/v1/media/{held}")).status_code == 401

    await alice.ok("POST", f"/assignments/{assignment['id']}/submit", status=201, json={"answer": {"sentiment": "neu"}})
    assert (await fetch(alice, held)).status_code in (200, 307)  # answered: still hers to see


async def test_a_gold_items_media_look_like_any_other(ops, person):
    check, work = png(6), png(7)
    project, _ = await launched_project(ops, [{"image": "media:work.png"}], {"work.png": work},
                                        gold_data={"image": "media:check.png"}, gold_files={"check.png": check})
    _, newcomer = await person("contributor", project["id"], qualified=False)  # the gate: a benchmark (gold) item first
    _, veteran = await person("contributor", project["id"])
    gold = (await newcomer.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
    production = (await veteran.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
    gold_ref, production_ref = gold["item"]["data"]["image"], production["item"]["data"]["image"]
    assert set(gold_ref) == set(production_ref) and gold_ref["name"] == "check.png"
    served_gold, served_work = await fetch(newcomer, sha_of(gold_ref)), await fetch(veteran, sha_of(production_ref))
    assert served_gold.status_code == served_work.status_code
    assert set(served_gold.headers) == set(served_work.headers)
    assert str(served_gold.url).replace(sha_of(gold_ref), "") == str(served_work.url).replace(sha_of(production_ref), "")


async def test_broken_missing_and_mislabelled_files_refuse_the_import_by_line_and_name(ops, media_settings):
    project, _ = await launched_project(ops)
    good = png(8)
    lines = [{"image": "media:good.png"}, {"image": "media:broken.png"}, {"image": "media:missing.png"},
             {"image": "media:really-a-jpeg.png"}, {"page": "media:page.html"}]
    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8)).save(jpeg, format="JPEG")
    response = await import_media(ops, project["id"], lines, {
        "good.png": good, "broken.png": png(9)[:200], "really-a-jpeg.png": jpeg.getvalue(),
        "page.html": b"<html><script>alert(1)</script></html>"})
    assert response.status_code == 422, response.text
    problems = {p["line"]: p for p in response.json()["problems"]}
    assert sorted(problems) == [2, 3, 4, 5]
    assert problems[2]["file"] == "broken.png" and "cannot be read" in problems[2]["message"]
    assert problems[3]["file"] == "missing.png" and "not among the uploaded" in problems[3]["message"]
    assert problems[4]["file"] == "really-a-jpeg.png" and "not image/png" in problems[4]["message"]
    assert problems[5]["file"] == "page.html"
    assert await _media_items(media_settings, project["id"]) == (2, 0)  # gold + filler only; nothing referenced

    not_a_zip = await ops.post(f"/projects/{project['id']}/items", files={
        "items": ("items.jsonl", jsonl(lines[:1]), "application/x-ndjson"), "media": ("media.zip", b"nope", "application/zip")})
    assert not_a_zip.status_code == 422 and "not a readable zip" in not_a_zip.text


async def test_only_http_urls_are_taken(ops, media_settings):
    project, _ = await launched_project(ops)
    lines = [{"image": "media:https://example.org/a.png"}, {"image": "media:ftp://example.org/a.png"},
             {"image": "media:javascript:alert(1)"}, {"image": "media:http://example.org/b.png"}]
    response = await import_media(ops, project["id"], lines, None)
    assert response.status_code == 422, response.text
    assert [p["line"] for p in response.json()["problems"]] == [2, 3]
    assert all("http(s)" in p["message"] for p in response.json()["problems"])
    taken = await import_media(ops, project["id"], [lines[0], lines[3]], None)
    assert taken.status_code == 201 and taken.json()["media"] == {"stored": 0, "deduplicated": 0}


async def test_a_media_upload_over_the_limit_is_413(ops):
    project, _ = await launched_project(ops)
    response = await import_media(ops, project["id"], [{"image": "media:noise.png"}],
                                  {"noise.png": os.urandom(MAX_MEDIA + 1024)})
    assert response.status_code == 413


async def _media_items(settings, project_id: int) -> tuple[int, int]:
    from sqlalchemy import func, select

    from app.db import Database
    from app.items.models import Item
    from app.media.models import ItemMedia

    db = Database(settings.database_url)
    async with db.transaction() as session:
        items = (await session.execute(select(func.count()).where(Item.project_id == project_id))).scalar_one()
        media = (await session.execute(select(func.count()).where(ItemMedia.project_id == project_id))).scalar_one()
    await db.dispose()
    return items, media


def mp4(frames: int = 25) -> bytes:
    """One second of 64x48 video at 25 fps, made with PyAV."""
    import av

    with tempfile.NamedTemporaryFile(suffix=".mp4") as file:
        with av.open(file.name, "w") as container:
            stream = container.add_stream("mpeg4", rate=25)
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            for i in range(frames):
                frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 9, np.uint8), format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        return open(file.name, "rb").read()


SVG = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       '<desc>{}</desc><script>alert(document.cookie)</script></svg>')


async def test_video_is_measured_and_svg_is_only_ever_an_attachment(ops, person):
    clip, drawing = mp4(), SVG.format(uuid.uuid4().hex).encode()
    project, body = await launched_project(ops, [{"clip": "media:clip.mp4", "drawing": "media:drawing.svg"}],
                                           {"clip.mp4": clip, "drawing.svg": drawing})
    assert body["media"] == {"stored": 2, "deduplicated": 0}
    _, alice = await person("contributor", project["id"])
    data = (await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]["item"]["data"]
    assert data["clip"]["type"] == "video/mp4" and (data["clip"]["width"], data["clip"]["height"]) == (64, 48)
    assert abs(data["clip"]["duration_s"] - 1.0) < 0.05
    assert data["drawing"]["type"] == "image/svg+xml"
    served = await media_bytes(alice, sha_of(data["drawing"]))
    assert served.status_code == 200 and served.content == drawing
    assert served.headers["content-disposition"].startswith("attachment")
    assert served.headers["content-type"] == "image/svg+xml"
    video = await media_bytes(alice, sha_of(data["clip"]), Range="bytes=0-1023")
    assert video.status_code == 206 and video.content == clip[:1024]


async def test_pages_fetch_media_with_the_session_cookie(ops, person, media_server):
    picture = png(10)
    project, _ = await launched_project(ops, [{"image": "media:p.png"}], {"p.png": picture})
    alice_user, alice = await person("contributor", project["id"])
    sha256 = sha_of((await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]["item"]["data"]["image"])
    page = await Browser(media_server.url).login(alice_user["email"], "quiet-lantern-42")
    try:
        shown = await page.get(f"/media/{sha256}")
        assert shown.status_code in (200, 307)
        if shown.status_code == 200:
            assert shown.content == picture
        assert (await page.get(f"/api/v1/media/{sha256}")).status_code == 401  # the API takes bearer tokens only
    finally:
        await page.aclose()


async def test_cli_imports_media_from_a_folder(ops, media_settings, tmp_path):
    project, _ = await launched_project(ops)
    folder = tmp_path / "clips"
    (folder / "nested").mkdir(parents=True)
    (folder / "nested" / "a.png").write_bytes(png(11))
    (folder / "tone.wav").write_bytes(wav())
    items = tmp_path / "items.jsonl"
    items.write_bytes(jsonl([{"image": "media:nested/a.png"}, {"audio": "media:tone.wav"}]))
    done = await _cli(media_settings, "--project", str(project["id"]), "--batch", "cli", "--media", str(folder), str(items))
    assert done.returncode == 0, done.stderr
    assert "media: 2 files stored, 0 already there" in done.stdout and "imported 2 items" in done.stdout
    assert await _media_items(media_settings, project["id"]) == (4, 2)

    items.write_bytes(jsonl([{"image": "media:nested/a.png"}, {"image": "media:../escape.png"}]))
    (tmp_path / "escape.png").write_bytes(png(12))
    refused = await _cli(media_settings, "--project", str(project["id"]), "--media", str(folder), str(items))
    assert refused.returncode == 1
    assert "line 2 (../escape.png)" in refused.stderr and "nothing was imported" in refused.stderr
    assert await _media_items(media_settings, project["id"]) == (4, 2)


async def _cli(settings, *args: str):
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DATABASE_URL": settings.database_url, "MEDIA_DIR": settings.media_dir,
           "MEDIA_URL": settings.media_url or "", "MEDIA_S3_ENDPOINT": settings.media_s3_endpoint or "",
           "MEDIA_S3_KEY": settings.media_s3_key or "", "MEDIA_S3_SECRET": settings.media_s3_secret or "",
           "REDIS_URL": settings.redis_url or "", "SECRET_KEY": settings.secret_key}
    inkwell = str(Path(sys.executable).parent / "inkwell")
    return await asyncio.to_thread(subprocess.run, [inkwell, "import", *args], env=env, capture_output=True,
                                   text=True, timeout=120)


async def test_each_item_references_the_file_its_own_data_names_across_many_chunks(ops, media_settings):
    """600 items (several staging and publishing steps on SQLite, one transaction on PostgreSQL): the
    recorded (item, field, file) rows agree with every item's own data."""
    files = {f"f{i}.png": png(100 + i, size=(8, 8)) for i in range(3)}
    lines = [{"n": n, "image": f"media:f{n % 3}.png", **({"second": f"media:f{(n + 1) % 3}.png"} if n % 2 else {})}
             for n in range(600)]
    project, body = await launched_project(ops, lines, files)
    assert body["created"] == 600 and body["media"] == {"stored": 3, "deduplicated": 0}

    from sqlalchemy import select

    from app.db import Database
    from app.items.models import Item
    from app.media.models import ItemMedia

    db = Database(media_settings.database_url)
    async with db.transaction() as session:
        items = dict((await session.execute(select(Item.id, Item.data).where(
            Item.project_id == project["id"], Item.is_gold.is_(False)))).all())
        references = (await session.execute(select(ItemMedia.item_id, ItemMedia.field, ItemMedia.sha256).where(
            ItemMedia.project_id == project["id"]))).all()
    await db.dispose()
    assert len(references) == 600 + 300
    expected = {hashlib.sha256(content).hexdigest(): name for name, content in files.items()}
    for item_id, field, sha256 in references:
        data = items[item_id]
        assert data[field]["media"] == f"sha256:{sha256}"
        assert expected[sha256] == f"f{(data['n'] + (field == 'second')) % 3}.png"


async def test_csv_cells_name_files_too(ops, person):
    picture = png(13)
    project, _ = await launched_project(ops)
    csv_text = b"external_id,caption,image\nc1,a picture,media:pics/p.png\n"
    response = await ops.post(f"/projects/{project['id']}/items", params={"batch": "csv"}, files={
        "items": ("items.csv", csv_text, "text/csv"), "media": ("media.zip", zipped({"pics/p.png": picture}), "application/zip")})
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "csv" and response.json()["media"] == {"stored": 1, "deduplicated": 0}
    _, alice = await person("contributor", project["id"])
    first = (await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
    await alice.ok("POST", f"/assignments/{first['id']}/submit", status=201, json={"answer": {"sentiment": "pos"}})
    data = (await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]["item"]["data"]
    assert data["caption"] == "a picture" and data["image"]["name"] == "pics/p.png"
    assert (await media_bytes(alice, sha_of(data["image"]))).content == picture


async def test_a_malformed_form_is_422_not_a_crash(ops):
    project, _ = await launched_project(ops)
    url = f"/projects/{project['id']}/items"
    no_items = await ops.post(url, files={"media": ("media.zip", zipped({}), "application/zip")})
    assert no_items.status_code == 422 and "items" in no_items.json()["errors"]
    stray = await ops.post(url, files={"items": ("i.jsonl", b'{"a": 1}\n', "application/x-ndjson"),
                                       "extra": ("x.bin", b"x", "application/octet-stream")})
    assert stray.status_code == 422 and "extra" in stray.json()["errors"]
    garbage = await ops.post(url, content=b"--nope\r\nnot a form", headers={"content-type": "multipart/form-data; boundary=b0"})
    assert garbage.status_code == 422
    unbounded = await ops.post(url, content=b"x", headers={"content-type": "multipart/form-data"})
    assert unbounded.status_code == 422
