"""Issue 13: import 10k items with 10k images (~100 kB each) as one zip: < 60 s on the local store, memory flat.

    .venv/bin/python -m bench.media_import --backend sqlite|postgres [--items 10000]

What it does: a fresh database (PostgreSQL: its own database ``inkwell_bench_media``, so it never
pulls ``inkwell_bench`` from under another benchmark) and the real server (``inkwell serve``, one
process, local media store in a new ``MEDIA_DIR`` in the scratch folder), an ops token and a
project. ``--items`` distinct PNGs of ~100 kB (random noise, so they do not compress away: one
noise buffer, each image a different window of it) are zipped (stored, as PNGs already are) with
a JSONL naming them (``"image": "media:images/00001.png"``); the zip is cached in
``/tmp/inkwell-bench-media-cache`` so a second run skips making it. Then one multipart
``POST /api/v1/projects/{id}/items`` (``items`` + ``media``), streamed from disk by httpx.

Figures: wall time from sending the request to the 201 (upload + check + store every file +
insert), CPU seconds of the server's process tree (and of PostgreSQL, this client) over that
window, the server's peak resident memory (``VmHWM``) before and after, and the files the store
holds afterwards. Target: < 60 s for 10k, peak RSS flat (no zip or file held in memory).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import struct
import time
import zipfile
import zlib
from pathlib import Path

import bench.common as common
from bench.common import (
    CpuMeter,
    RawHttp,
    Server,
    add_common_args,
    create_project,
    log,
    measure_with_server,
    workers_for,
    write_result,
)
from bench.import_under_load import peak_rss_mb

CACHE = Path(tempfile.gettempdir()) / "inkwell-bench-media-cache"
SIDE = 182  # 182 x 182 RGB noise: ~99 kB of pixels, ~100 kB as PNG
TARGET_SECONDS = 60


def png(pixels: bytes, side: int) -> bytes:
    """A ``side`` x ``side`` RGB PNG of ``pixels``, written directly (no row filter, deflate "stored": noise
    would not shrink anyway): ~1 ms, where Pillow's encoder takes ~8 ms of noise (10k images: minutes)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    stride = side * 3
    rows = b"".join(b"\0" + pixels[y * stride:(y + 1) * stride] for y in range(side))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b""))


def make_upload(count: int) -> tuple[Path, Path]:
    """(items.jsonl, media.zip) for ``count`` items, each naming its own PNG; made once, then cached."""
    import numpy as np

    CACHE.mkdir(parents=True, exist_ok=True)
    items, media = CACHE / f"items-{count}.jsonl", CACHE / f"media-{count}.zip"
    if items.exists() and media.exists():
        log(f"cached upload: {media} ({media.stat().st_size / 1e6:.0f} MB)")
        return items, media
    started = time.perf_counter()
    frame = SIDE * SIDE * 3
    noise = np.random.default_rng(13).integers(0, 256, frame + count * 7 + 1, dtype=np.uint8).tobytes()
    partial = media.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive, \
            items.with_suffix(".partial").open("w") as lines:
        for i in range(count):
            name = f"images/{i:05d}.png"
            archive.writestr(name, png(noise[i * 7:i * 7 + frame], SIDE))
            lines.write(json.dumps({"text": f"Describe picture {i}", "image": f"media:{name}"}) + "\n")
    items.with_suffix(".partial").rename(items)
    partial.rename(media)
    log(f"made {count} PNGs, zip {media.stat().st_size / 1e6:.0f} MB, in {time.perf_counter() - started:.1f} s")
    return items, media


def stored_files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file() and path.parent.name != "incoming")


async def run(server: Server, token: str, items_path: Path, media_path: Path, media_dir: Path, count: int) -> dict:
    import httpx

    ops = RawHttp(server.url, token)
    project_id = await create_project(ops, "Media import bench")
    await ops.close()
    memory_before = peak_rss_mb(server.pids())
    meter = CpuMeter(server)
    log(f"importing {count} items with {media_path.stat().st_size / 1e6:.0f} MB of media ...")
    async with httpx.AsyncClient(base_url=server.url, timeout=900,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        with items_path.open("rb") as items, media_path.open("rb") as media:
            meter.start()
            started = time.perf_counter()
            response = await http.post(f"/api/v1/projects/{project_id}/items", params={"batch": "media"}, files={
                "items": ("items.jsonl", items, "application/x-ndjson"),
                "media": ("media.zip", media, "application/zip")})
            seconds = time.perf_counter() - started
            cpu = meter.stop()
    memory_after = peak_rss_mb(server.pids())
    assert response.status_code == 201, (response.status_code, response.text[:1000])
    result = response.json()
    assert result["created"] == count and result["media"]["stored"] == count, result
    log(f"imported {count} items and files in {seconds:.1f} s (server CPU {cpu['server']} s)")
    return {"items": count, "zip_bytes": media_path.stat().st_size, "import_seconds": round(seconds, 2),
            "cpu_seconds": cpu, "response": result, "memory_before": memory_before, "memory_after": memory_after,
            "files_in_store": stored_files(media_dir)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser, workers_default=1)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    # Its own PostgreSQL database: bench.common reads these module globals when it prepares the target.
    common.PG_DATABASE = "inkwell_bench_media"
    common.PG_URL = f"postgresql://postgres@127.0.0.1:5432/{common.PG_DATABASE}"
    common._PG_LOCK = Path(tempfile.gettempdir()) / "inkwell-bench-media-postgres.lock"
    items_path, media_path = make_upload(args.items)
    media_dir = Path(tempfile.mkdtemp(prefix="inkwell-bench-media-store-"))
    os.environ["MEDIA_DIR"] = str(media_dir)
    os.environ.pop("MEDIA_URL", None)
    try:
        result = measure_with_server(
            "media_import", args,
            lambda server, target, token: run(server, token, items_path, media_path, media_dir, args.items),
            workers=workers_for(args, default=1))
    finally:
        import shutil

        shutil.rmtree(media_dir, ignore_errors=True)
    before = max(p["peak_mb"] for p in result["memory_before"].values())
    peak = max(p["peak_mb"] for p in result["memory_after"].values())
    result |= {"target_seconds": TARGET_SECONDS, "peak_rss_mb_before": before, "peak_rss_mb": peak,
               "pass": result["import_seconds"] < TARGET_SECONDS * args.items / 10_000}
    write_result("media_import", args.backend, result)
    print(f"media_import {args.backend}: {args.items} items + files in {result['import_seconds']} s, server CPU "
          f"{result['cpu_seconds']['server']} s, peak RSS {before} -> {peak} MB; load {result['load_before']}; "
          f"target < {TARGET_SECONDS} s per 10k: {'PASS' if result['pass'] else 'FAIL'}")


if __name__ == "__main__":
    main()
