"""Diagnostic: what one next+submit cycle costs in CPU, with no concurrency at all.

    .venv/bin/python -m bench.cycle_cost --backend postgres|sqlite [--cycles 500] [--items 100000] [--workers 1]

Why: on a shared 2-core machine, throughput and latency under load swing with
whatever else is running; CPU seconds per cycle do much less. One contributor
does ``--cycles`` next+submit cycles back to back over HTTP (after 50 warm-up
cycles) against a project of ``--items`` items; we read the CPU time of the
server processes, the PostgreSQL backends and this client from /proc around
the loop. The ceiling this implies on 2 cores is ``2000 / (server + db + client
ms per cycle)`` cycles/s, before any lock waits: compare it with the 300
cycles/s target.

It also times, sequentially, a request that only authenticates (``GET
/api/v1/me``) and one that does nothing (``GET /healthz``), to separate the
per-request cost of the framework and of the bearer-token lookup from the work
itself, and reports the queue's ``next`` latency at the start and at the end
(the queue query must not slow down as items get done).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid

from bench.common import (
    ANSWER,
    CpuMeter,
    RawHttp,
    Server,
    add_common_args,
    create_project,
    import_jsonl,
    jsonl_items,
    launch,
    make_people,
    measure_with_server,
    summary,
    workers_for,
    write_result,
)


async def run(server: Server, target, token: str, args) -> dict:
    ops = RawHttp(server.url, token)
    project_id = await create_project(ops, "Cycle cost")
    for start in range(0, args.items, 100_000):
        await import_jsonl(ops, project_id, jsonl_items(min(100_000, args.items - start), start))
    await launch(ops, project_id)
    await ops.close()
    client = RawHttp(server.url, (await make_people(target, project_id, 1))[0])

    async def cycles(count: int) -> tuple[list[float], list[float]]:
        nexts, submits = [], []
        for _ in range(count):
            t0 = time.perf_counter()
            status, data = await client.request("POST", f"/api/v1/projects/{project_id}/next")
            assert status == 200, (status, data[:200])
            t1 = time.perf_counter()
            status, data = await client.request("POST", f"/api/v1/assignments/{json.loads(data)['assignment']['id']}/submit",
                                                json_body={"answer": ANSWER}, headers={"Idempotency-Key": uuid.uuid4().hex})
            assert status == 201, (status, data[:200])
            nexts.append(t1 - t0)
            submits.append(time.perf_counter() - t1)
        return nexts, submits

    await cycles(50)
    meter = CpuMeter(server)
    meter.start()
    nexts, submits = await cycles(args.cycles)
    cpu = meter.stop()
    per_cycle = {k: round(cpu[k] * 1000 / args.cycles, 2) for k in ("server", "postgres_bench_backends", "client")}
    total = sum(per_cycle.values())

    async def plain(path: str, count: int = 300) -> dict:
        meter = CpuMeter(server)
        meter.start()
        times = []
        for _ in range(count):
            t0 = time.perf_counter()
            status, _ = await client.request("GET", path)
            assert status == 200, status
            times.append(time.perf_counter() - t0)
        used = meter.stop()
        return summary(times) | {"server_cpu_ms": round(used["server"] * 1000 / count, 3),
                                 "db_cpu_ms": round(used["postgres_bench_backends"] * 1000 / count, 3)}

    me = await plain("/api/v1/me")
    health = await plain("/healthz")
    await client.close()
    first, last = nexts[:50], nexts[-50:]
    return {"cycles": args.cycles, "items": args.items, "next": summary(nexts), "submit": summary(submits),
            "next_first_50": summary(first), "next_last_50": summary(last),
            "cpu_ms_per_cycle": per_cycle, "cpu_ms_per_cycle_total": round(total, 2),
            "ceiling_cycles_per_second_on_2_cores": round(2000 / total, 1) if total else None,
            "auth_only_request_GET_me": me, "no_op_request_GET_healthz": health, "cpu_seconds": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    result = measure_with_server("cycle_cost", args, lambda server, target, token: run(server, target, token, args),
                                 workers=workers_for(args, default=1))
    write_result("cycle_cost", args.backend, result)
    c = result["cpu_ms_per_cycle"]
    print(f"cycle_cost {args.backend}: CPU per cycle server {c['server']} ms + db {c['postgres_bench_backends']} ms "
          f"+ client {c['client']} ms = {result['cpu_ms_per_cycle_total']} ms -> ceiling "
          f"{result['ceiling_cycles_per_second_on_2_cores']} cycles/s on 2 cores; sequential next p50 "
          f"{result['next']['p50_ms']} ms (first 50: {result['next_first_50']['p50_ms']}, last 50: "
          f"{result['next_last_50']['p50_ms']}), submit p50 {result['submit']['p50_ms']} ms; GET /me "
          f"{result['auth_only_request_GET_me']['p50_ms']} ms ({result['auth_only_request_GET_me']['server_cpu_ms']} "
          f"ms server CPU), /healthz {result['no_op_request_GET_healthz']['p50_ms']} ms "
          f"({result['no_op_request_GET_healthz']['server_cpu_ms']} ms)")


if __name__ == "__main__":
    main()
