"""Preference export throughput and memory: ``--pairs`` items (100k), each with one pair of
responses (~800 characters each) answered by three annotators, exported with
``export_preference`` straight from the database (no HTTP), on SQLite or PostgreSQL.

Reports lines per second (reading pages, voting, building and encoding the lines), the CPU
time it took (the whole process, and the event loop's thread alone: on SQLite the statements run
in aiosqlite's thread), the load average (a shared machine's wall time says little) and the
process's peak RSS before and after, to show memory does not grow with the export (items are
read a page at a time). Target: >= 50k lines/s, constant memory. ``PROFILE=1`` prints cProfile's
top functions.

    .venv/bin/python -m bench.preference_export [--pairs 100000] [--backend sqlite|postgres]

On PostgreSQL it uses ``INKWELL_TEST_DATABASE_URL`` (dropped and made anew), as the test suite does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

INTERFACE = [
    {"name": "prompt", "type": "prompt_response", "value": "$prompt", "response": "$note"},
    {"name": "responses", "type": "responses", "value": "$responses"},
    {"name": "pref", "type": "pairwise", "target": "responses"},
]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(pairs: int, settings) -> None:
    from sqlalchemy import insert, text

    from app.db import Database
    from app.export.preference import export_preference
    from app.items.models import Item
    from app.projects.models import Batch, Project
    from app.work.models import Annotation
    db = Database(settings.database_url)
    async with db.transaction() as session:
        project = Project(name="bench", purpose="bench", interface=INTERFACE, overlap=3)
        session.add(project)
        await session.flush()
        batch = Batch(project_id=project.id, name="b")
        session.add(batch)
        await session.flush()
        pid, bid = project.id, batch.id
    chunk = 5000
    started = time.perf_counter()
    for start in range(0, pairs, chunk):
        async with db.transaction() as session:
            rows = [{"project_id": pid, "batch_id": bid, "external_id": f"e{i}", "open_slots": 0, "answers": 3,
                     "data": {"prompt": f"Question {i}: " + "why " * 30, "note": "-",
                              "responses": [{"id": "m1", "content": f"first {i} " + "a" * 800},
                                            {"id": "m2", "content": f"second {i} " + "b" * 800}]}}
                    for i in range(start, min(pairs, start + chunk))]
            ids = (await session.execute(insert(Item).returning(Item.id), rows)).scalars().all()
            answers = []
            for offset, item_id in enumerate(ids):
                for who in range(3):
                    left, right = ("m1", "m2") if (offset + who) % 2 else ("m2", "m1")
                    preferred = "m1" if who < 2 else "m2"
                    answers.append({"project_id": pid, "item_id": item_id, "source": "import",
                                    "external_annotator": f"a{who}", "stage": "annotate", "lint": [],
                                    "review_route": [], "review_status": "none",
                                    "answer": {"pref": {"winner": "A" if preferred == left else "B",
                                                        "preferred": preferred, "strength": None, "reason": None,
                                                        "shown": {"left": left, "right": right}}}})
            await session.execute(insert(Annotation), answers)
    print(f"{pairs:,} items x 3 answers inserted in {time.perf_counter() - started:.1f} s", flush=True)
    if not db.is_sqlite:  # what autovacuum does soon after an import: without statistics the planner
        async with db.transaction() as session:  # scans the project's whole index for every page
            await session.execute(text("ANALYZE item"))
            await session.execute(text("ANALYZE annotation"))

    before = rss_mb()
    load_before = os.getloadavg()[0]
    started, cpu, loop_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    lines = size = 0
    import cProfile
    profiler = cProfile.Profile() if os.environ.get("PROFILE") else None
    if profiler:
        profiler.enable()
    async for chunk_bytes in export_preference(db, pid):
        lines += chunk_bytes.count(b"\n")
        size += len(chunk_bytes)
    if profiler:
        profiler.disable()
        import pstats
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
    seconds = time.perf_counter() - started
    cpu, loop_cpu = time.process_time() - cpu, time.thread_time() - loop_cpu
    print(f"exported {lines:,} lines ({size / 1e6:.0f} MB) in {seconds:.2f} s: {lines / seconds:,.0f} lines/s; "
          f"CPU {cpu:.2f} s ({lines / cpu:,.0f} lines per CPU second; event loop thread {loop_cpu:.2f} s); "
          f"peak RSS {before:.0f} MB before, {rss_mb():.0f} MB after; "
          f"load {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    os.environ["INKWELL_TEST_BACKEND"] = args.backend
    from tests.support import reset_database, test_settings

    settings = test_settings()
    reset_database(settings)  # migrations run their own event loop
    asyncio.run(main(args.pairs, settings))
