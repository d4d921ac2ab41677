"""Target 2: next + submit cycles per second with many concurrent contributors.

    .venv/bin/python -m bench.work_cycles --backend postgres|sqlite [--concurrency 50 200]
        [--duration 20] [--warmup 5] [--workers 2] [--client raw|httpx] [--items 60000]

For each concurrency level: a new launched project with ``--items`` items
(overlap 1, imported through the API), ``N`` contributors made straight in the
database (own user, own token, member of the project), then ``N`` asyncio
tasks, one per contributor, each looping

    POST /api/v1/projects/{id}/next            -> 200 with a lease (204: nothing left, stop)
    POST /api/v1/assignments/{id}/submit       (Idempotency-Key: a fresh uuid)

for ``--warmup`` seconds (not counted) and then ``--duration`` seconds
(counted: cycles that *started and finished* inside the window), then stops.
Reports cycles/s, p50/p99 of each request and of the whole cycle, errors,
cycles/s per second of the window, and CPU seconds spent by the server
processes, the PostgreSQL backends, Redis and the client itself.

Client: ``raw`` (default) is a minimal keep-alive HTTP/1.1 client, one
connection per contributor, much cheaper than ``httpx`` (shared
AsyncClient with a pool of N connections); both run in this one process on
the same 2 cores as the server and the database, so the client's CPU is
reported too. Target: >= 300 cycles/s on PostgreSQL at p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid

from bench.common import (
    ANSWER,
    CpuMeter,
    HttpxClient,
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
    shared_httpx,
    summary,
    workers_for,
    write_result,
)


async def contributor(client, project_id: int, stop_at: float, window: tuple[float, float], out: dict) -> None:
    start_w, end_w = window
    next_path = f"/api/v1/projects/{project_id}/next"
    while True:
        t0 = time.perf_counter()
        if t0 >= stop_at:
            return
        try:
            status, data = await client.request("POST", next_path)
        except Exception as exc:  # noqa: BLE001 - counted, then go on
            out["errors"].append(f"next: {type(exc).__name__}: {exc}")
            await asyncio.sleep(0.05)
            continue
        t1 = time.perf_counter()
        if status == 204:
            out["exhausted"] = True
            return
        if status != 200:
            out["errors"].append(f"next -> {status}: {data[:200]!r}")
            await asyncio.sleep(0.05)
            continue
        assignment_id = json.loads(data)["assignment"]["id"]
        try:
            status, data = await client.request("POST", f"/api/v1/assignments/{assignment_id}/submit",
                                                json_body={"answer": ANSWER},
                                                headers={"Idempotency-Key": uuid.uuid4().hex})
        except Exception as exc:  # noqa: BLE001
            out["errors"].append(f"submit: {type(exc).__name__}: {exc}")
            continue
        t2 = time.perf_counter()
        if status != 201:
            out["errors"].append(f"submit -> {status}: {data[:200]!r}")
            continue
        if start_w <= t0 and t2 <= end_w:
            out["next"].append(t1 - t0)
            out["submit"].append(t2 - t1)
            out["cycle"].append(t2 - t0)
            out["ends"].append(t2 - start_w)


async def one_level(server: Server, ops: RawHttp, target, concurrency: int, args) -> dict:
    project_id = await create_project(ops, f"Work bench x{concurrency}")
    chunk = 100_000
    for start in range(0, args.items, chunk):
        await import_jsonl(ops, project_id, jsonl_items(min(chunk, args.items - start), start))
    await launch(ops, project_id)
    tokens = await make_people(target, project_id, concurrency)
    log(f"x{concurrency}: project {project_id} with {args.items} items, {concurrency} contributors")

    shared = shared_httpx(server.url, concurrency) if args.client == "httpx" else None
    clients = [HttpxClient(shared, t) if shared else RawHttp(server.url, t) for t in tokens]
    out = {"next": [], "submit": [], "cycle": [], "ends": [], "errors": [], "exhausted": False}
    now = time.perf_counter()
    window = (now + args.warmup, now + args.warmup + args.duration)
    stop_at = window[1]
    meter = CpuMeter(server)

    async def measure_cpu() -> dict:
        await asyncio.sleep(max(0.0, window[0] - time.perf_counter()))
        meter.start()
        await asyncio.sleep(max(0.0, window[1] - time.perf_counter()))
        return meter.stop()

    async def sample_waits() -> dict:
        """PostgreSQL only: what the bench database's sessions are doing, sampled every 0.5 s in the window."""
        if target.backend != "postgres":
            return {}
        import asyncpg

        from bench.common import PG_URL

        seen: dict[str, int] = {}
        samples = 0
        connection = await asyncpg.connect(PG_URL)
        try:
            await asyncio.sleep(max(0.0, window[0] - time.perf_counter()))
            while time.perf_counter() < window[1]:
                rows = await connection.fetch(
                    "SELECT state, coalesce(wait_event_type, '-') AS wt, coalesce(wait_event, '-') AS we, "
                    "left(regexp_replace(query, '\\s+', ' ', 'g'), 48) AS q FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle'", "inkwell_bench")
                for row in rows:
                    key = f"{row['state']} | {row['wt']}:{row['we']} | {row['q']}"
                    seen[key] = seen.get(key, 0) + 1
                samples += 1
                await asyncio.sleep(0.5)
        finally:
            await connection.close()
        top = sorted(seen.items(), key=lambda kv: -kv[1])[:12]
        return {"samples": samples, "mean_sessions_per_sample": {k: round(v / max(samples, 1), 1) for k, v in top}}

    cpu_task = asyncio.create_task(measure_cpu())
    waits_task = asyncio.create_task(sample_waits())
    await asyncio.wait_for(asyncio.gather(*(contributor(c, project_id, stop_at, window, out) for c in clients)),
                           timeout=args.warmup + args.duration + 120)
    cpu = await cpu_task
    waits = await waits_task
    for c in clients:
        await c.close()
    if shared is not None:
        await shared.aclose()

    cycles = len(out["cycle"])
    per_second = [0] * args.duration
    for end in out["ends"]:
        per_second[min(int(end), args.duration - 1)] += 1
    rate = cycles / args.duration
    result = {
        "concurrency": concurrency, "cycles": cycles, "cycles_per_second": round(rate, 1),
        "next": summary(out["next"]), "submit": summary(out["submit"]), "cycle": summary(out["cycle"]),
        "errors": len(out["errors"]), "error_samples": out["errors"][:10], "queue_exhausted": out["exhausted"],
        "cycles_per_second_timeline": per_second, "cpu_seconds": cpu, "pg_activity": waits,
        "cpu_ms_per_cycle": {k: round(v * 1000 / max(cycles, 1), 2) for k, v in cpu.items()
                             if k not in ("machine_busy_fraction", "wall_seconds", "cpu_seconds_available")},
    }
    log(f"x{concurrency}: {rate:.1f} cycles/s; cycle p50 {result['cycle'].get('p50_ms')} ms, "
        f"p99 {result['cycle'].get('p99_ms')} ms; next p99 {result['next'].get('p99_ms')} ms, "
        f"submit p99 {result['submit'].get('p99_ms')} ms; errors {len(out['errors'])}; cpu {cpu}")
    if out["exhausted"]:
        log("WARNING: the queue ran out of items during the run; raise --items")
    return result


async def run(server: Server, target, token: str, args) -> list[dict]:
    ops = RawHttp(server.url, token)
    results = [await one_level(server, ops, target, n, args) for n in args.concurrency]
    await ops.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--items", type=int, default=60_000, help="items per project (overlap 1): must outlast the run")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    args = parser.parse_args()
    args.duration = int(args.duration)
    async def measure(server, target, token):
        return {"levels": await run(server, target, token, args)}

    result = measure_with_server("work_cycles", args, measure, workers=workers_for(args))
    levels = result["levels"]
    result |= {"client": args.client, "duration_s": args.duration, "warmup_s": args.warmup,
               "items_per_project": args.items, "target": ">= 300 cycles/s at cycle p99 < 100 ms (PostgreSQL)",
               "pass": all(level["cycles_per_second"] >= 300 and (level["cycle"].get("p99_ms") or 1e9) < 100
                           for level in levels)}
    write_result("work_cycles", args.backend, result)
    for level in levels:
        print(f"work_cycles {args.backend} workers={result['workers']} client={args.client} x{level['concurrency']}: "
              f"{level['cycles_per_second']} cycles/s, cycle p50/p99 {level['cycle'].get('p50_ms')}/"
              f"{level['cycle'].get('p99_ms')} ms, next p50/p99 {level['next'].get('p50_ms')}/"
              f"{level['next'].get('p99_ms')} ms, submit p50/p99 {level['submit'].get('p50_ms')}/"
              f"{level['submit'].get('p99_ms')} ms, errors {level['errors']}")


if __name__ == "__main__":
    main()
