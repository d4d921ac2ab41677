"""Target 4: live board fan-out to 1,000 sockets.

    .venv/bin/python -m bench.ws_fanout --backend postgres|sqlite [--sockets 1000] [--submits 20]
        [--gap 0.6] [--workers 2] [--viewers 100]

Set-up: a fresh database and server, a launched project with 1,000 items,
one contributor, and ``--viewers`` client-role members of the project (each
socket signs in with one of their tokens, round robin). ``--sockets``
WebSockets connect to ``/ws/projects/{id}/board`` with ``Authorization:
Bearer`` on the upgrade (``websockets.asyncio.client.connect``), 50 at a time,
and each waits for its first message (the snapshot). The open-files limit is
raised to fit.

Measured, ``--submits`` times: the contributor leases the next item, we wait
``--gap`` seconds (the lease's own push arrives and is drained), then submit
through the API. The clock starts when the submit's 201 has been read; for
every socket we take the time until it receives its next message and check it
carries a newer board version (``data-version``). p50/p99 over all sockets x
submits, plus how many sockets got nothing within 5 s.

The board coalesces changes for ``COALESCE_SECONDS`` (150 ms, app/realtime.py).
Up to commit 1ef6d54 it waited that long before *every* render, so ~150 ms of
every figure was that deliberate window; later commits render at once after a
quiet spell (leading edge), and the spaced submits here are quiet spells. All
sockets live in this one client process, on the same 2 cores as the server:
the client's CPU for reading 1,000 frames per push is part of the spread, and
is reported. Target: p99 < 250 ms at 1,000 sockets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
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
    log,
    make_people,
    measure_with_server,
    raise_open_files_limit,
    summary,
    workers_for,
    write_result,
)

VERSION = re.compile(r'data-version="(\d+)"')


class Socket:
    __slots__ = ("ws", "times", "versions", "task", "closed")

    def __init__(self, ws):
        self.ws = ws
        self.times: list[float] = []
        self.versions: list[int] = []
        self.closed: str | None = None

    async def read(self) -> None:
        try:
            async for message in self.ws:
                now = time.perf_counter()
                match = VERSION.search(message[:300] if isinstance(message, str) else message[:300].decode())
                self.times.append(now)
                self.versions.append(int(match.group(1)) if match else -1)
        except Exception as exc:  # noqa: BLE001 - closed: the count of silent sockets tells
            self.closed = f"{type(exc).__name__}: {exc}"
        else:
            self.closed = f"closed by the server: {self.ws.close_code} {self.ws.close_reason}"


async def run(server: Server, target, token: str, args) -> dict:
    from websockets.asyncio.client import connect

    ops = RawHttp(server.url, token)
    project_id = await create_project(ops, "Fan-out bench")
    await import_jsonl(ops, project_id, jsonl_items(1000))
    await launch(ops, project_id)
    await ops.close()
    viewer_tokens = await make_people(target, project_id, args.viewers, role="client")
    worker = RawHttp(server.url, (await make_people(target, project_id, 1))[0])

    ws_url = server.url.replace("http://", "ws://") + f"/ws/projects/{project_id}/board"
    sockets: list[Socket] = []
    gate = asyncio.Semaphore(50)
    connect_times: list[float] = []

    failed_to_open: list[str] = []

    async def open_one(n: int) -> None:
        async with gate:
            started = time.perf_counter()
            try:
                ws = await connect(ws_url, open_timeout=60, ping_interval=None, max_queue=None,
                                   additional_headers={"Authorization": f"Bearer {viewer_tokens[n % len(viewer_tokens)]}"})
            except Exception as exc:  # noqa: BLE001 - counted
                failed_to_open.append(f"connect: {type(exc).__name__}: {exc}")
                return
            sock = Socket(ws)
            sock.task = asyncio.create_task(sock.read())
            deadline = started + 60
            while not sock.times and sock.closed is None and time.perf_counter() < deadline:  # the snapshot
                await asyncio.sleep(0.01)
            if not sock.times:
                failed_to_open.append(f"no snapshot: {sock.closed or 'nothing within 60 s'}")
                await ws.close()
                return
            connect_times.append(time.perf_counter() - started)
            sockets.append(sock)

    started = time.perf_counter()
    await asyncio.gather(*(open_one(n) for n in range(args.sockets)))
    connect_seconds = time.perf_counter() - started
    log(f"{len(sockets)} sockets open in {connect_seconds:.1f} s (each until its snapshot: {summary(connect_times)})"
        + (f"; {len(failed_to_open)} FAILED: {sorted(set(failed_to_open))[:5]}" if failed_to_open else ""))
    if not sockets:
        return {"sockets": 0, "failed_to_open": len(failed_to_open), "failures": sorted(set(failed_to_open))[:10],
                "latency": {}, "missing": args.submits * args.sockets, "stale": 0}
    await asyncio.sleep(1)

    latencies: list[float] = []
    first_socket: list[float] = []
    last_socket: list[float] = []
    missing = 0
    stale = 0
    submit_times: list[float] = []
    meter = CpuMeter(server)
    meter.start()
    for n in range(args.submits):
        status, data = await worker.request("POST", f"/api/v1/projects/{project_id}/next")
        assert status == 200, (status, data[:200])
        assignment_id = json.loads(data)["assignment"]["id"]
        await asyncio.sleep(args.gap)  # the lease's own push comes and goes
        marks = [len(s.times) for s in sockets]
        before = [s.versions[-1] if s.versions else -1 for s in sockets]
        t_send = time.perf_counter()
        status, data = await worker.request("POST", f"/api/v1/assignments/{assignment_id}/submit",
                                            json_body={"answer": ANSWER}, headers={"Idempotency-Key": uuid.uuid4().hex})
        t_response = time.perf_counter()
        assert status == 201, (status, data[:200])
        submit_times.append(t_response - t_send)
        deadline = t_response + 5
        while time.perf_counter() < deadline and any(len(s.times) == m for s, m in zip(sockets, marks)):
            await asyncio.sleep(0.005)
        this = []
        for sock, mark, version in zip(sockets, marks, before):
            if len(sock.times) == mark:
                missing += 1
                continue
            if sock.versions[mark] <= version:
                stale += 1
            this.append(sock.times[mark] - t_response)
        latencies.extend(this)
        if this:
            first_socket.append(min(this))
            last_socket.append(max(this))
            log(f"submit {n + 1}/{args.submits}: first socket {min(this) * 1000:.0f} ms, "
                f"p50 {sorted(this)[len(this) // 2] * 1000:.0f} ms, last {max(this) * 1000:.0f} ms, "
                f"missing {len(sockets) - len(this)}")
        await asyncio.sleep(0.2)
    cpu = meter.stop()
    closed = [s.closed for s in sockets if s.closed]  # before we close them ourselves
    for sock in sockets:
        await sock.ws.close()
        sock.task.cancel()
    await worker.close()
    return {"sockets": len(sockets), "failed_to_open": len(failed_to_open), "failures": sorted(set(failed_to_open))[:10],
            "closed_during_run": len(closed), "closed_samples": sorted(set(closed))[:5], "submits": args.submits, "gap_s": args.gap, "viewers": args.viewers,
            "connect_seconds": round(connect_seconds, 1), "connect_each": summary(connect_times),
            "latency": summary(latencies), "first_socket": summary(first_socket), "last_socket": summary(last_socket),
            "submit_request": summary(submit_times), "missing": missing, "stale": stale, "cpu_seconds": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--submits", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.6)
    parser.add_argument("--viewers", type=int, default=100)
    args = parser.parse_args()
    limit = raise_open_files_limit(args.sockets * 2 + 256)
    workers = workers_for(args)
    from app.realtime import COALESCE_SECONDS

    result = measure_with_server("ws_fanout", args, lambda server, target, token: run(server, target, token, args),
                                 workers=workers,
                                 keep_log=lambda result: result["missing"] or result.get("failed_to_open"))
    result |= {"coalesce_seconds": COALESCE_SECONDS, "open_files_limit": limit, "target_ms": 250,
               "pass": (result["latency"].get("p99_ms") or 1e9) < 250 and not result["missing"]}
    write_result("ws_fanout", args.backend, result)
    lat = result["latency"]
    print(f"ws_fanout {args.backend} workers={workers} {result['sockets']} sockets x {args.submits} submits: "
          f"p50 {lat.get('p50_ms')} ms, p99 {lat.get('p99_ms')} ms (COALESCE_SECONDS = {COALESCE_SECONDS * 1000:.0f} ms), "
          f"first socket p50 {result.get('first_socket', {}).get('p50_ms')} ms, missing {result['missing']}, stale {result['stale']}; target p99 < 250 ms: "
          f"{'PASS' if result['pass'] else 'FAIL'}")


if __name__ == "__main__":
    main()
