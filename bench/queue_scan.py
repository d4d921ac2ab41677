"""Diagnostic: does ``next`` stay O(1) when a project is half done and not alone in the table?

    .venv/bin/python -m bench.queue_scan --backend postgres|sqlite [--items 100000] [--calls 50] [--analyze]

Set-up: two projects of ``--items`` items each, imported through the API
(project A first, so project B's item ids are all higher); then the first half
of B's items are marked done straight in the database (``open_slots = 0``,
what answering them leaves behind; the counters are not touched, they do not
matter here). One contributor of B then does ``--calls`` sequential
next+submit cycles; we report the ``next`` latency.

The queue has a partial index for exactly this (``ix_item_queue``: project_id,
id WHERE open_slots > 0 AND NOT is_gold). If the queue query can use it,
``next`` costs about a millisecond whatever the size and progress; if it
cannot, each call walks the done half (or every item of the project) first.
``--analyze`` runs ANALYZE first (PostgreSQL's plan differs with and without
fresh statistics; autovacuum analyzes a while after a big import).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid

from bench.common import (
    ANSWER,
    RawHttp,
    Server,
    add_common_args,
    create_project,
    import_jsonl,
    jsonl_items,
    launch,
    log,
    make_people,
    measure_with_server,
    summary,
    workers_for,
    write_result,
)


async def mark_half_done(target, project_id: int, half: int, analyze: bool) -> None:
    from sqlalchemy import text

    from app.db import Database

    db = Database(target.async_url)
    try:
        async with db.transaction() as session:
            first = (await session.execute(text("SELECT min(id) FROM item WHERE project_id = :p"), {"p": project_id})).scalar()
            await session.execute(text("UPDATE item SET open_slots = 0 WHERE project_id = :p AND id < :cut"),
                                  {"p": project_id, "cut": first + half})
        if analyze:
            async with db.engine.connect() as connection:
                await connection.exec_driver_sql("ANALYZE")
                await connection.commit()
    finally:
        await db.dispose()


async def run(server: Server, target, token: str, args) -> dict:
    ops = RawHttp(server.url, token)
    projects = []
    for name in ("A", "B"):
        project_id = await create_project(ops, f"Queue scan {name}")
        for start in range(0, args.items, 100_000):
            await import_jsonl(ops, project_id, jsonl_items(min(100_000, args.items - start), start))
        await launch(ops, project_id)
        projects.append(project_id)
    await ops.close()
    project_b = projects[1]
    await mark_half_done(target, project_b, args.items // 2, args.analyze)
    log(f"project {project_b}: {args.items:,} items, first {args.items // 2:,} done, behind project {projects[0]}")
    client = RawHttp(server.url, (await make_people(target, project_b, 1))[0])
    nexts = []
    for _ in range(args.calls):
        t0 = time.perf_counter()
        status, data = await client.request("POST", f"/api/v1/projects/{project_b}/next")
        nexts.append(time.perf_counter() - t0)
        assert status == 200, (status, data[:200])
        status, data = await client.request("POST", f"/api/v1/assignments/{json.loads(data)['assignment']['id']}/submit",
                                            json_body={"answer": ANSWER}, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert status == 201, (status, data[:200])
    await client.close()
    return {"items_per_project": args.items, "done_in_b": args.items // 2, "analyze": args.analyze,
            "next": summary(nexts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--analyze", action="store_true")
    args = parser.parse_args()
    result = measure_with_server("queue_scan", args, lambda server, target, token: run(server, target, token, args),
                                 workers=workers_for(args, default=1))
    write_result("queue_scan", args.backend, result)
    print(f"queue_scan {args.backend}{' (after ANALYZE)' if args.analyze else ''}: next with {args.items:,} items "
          f"half done: p50 {result['next']['p50_ms']} ms, p99 {result['next']['p99_ms']} ms")


if __name__ == "__main__":
    main()
