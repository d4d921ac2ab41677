"""Live pushes after a Redis restart: time from Redis accepting connections again to the first push
on every open socket.

    .venv/bin/python -m bench.redis_recovery [--sockets 200] [--restarts 10] [--outage 1.0] [--viewers 100]

Set-up: a fresh PostgreSQL database, a private ``redis-server`` on a free port (never the shared
one), two web processes (``inkwell serve``, one worker each) on that Redis, a project with 1,000
items, and ``--sockets`` board WebSockets on process 1 (client-role viewers, round robin), each
open once its snapshot arrived.

Measured, ``--restarts`` times: Redis is killed with SIGKILL; during the outage (``--outage``
seconds) process 2 imports one item (the request must succeed); Redis is started again on the
same port and the clock starts when it first answers PING. For every socket we take the time to
its first message after that (the fresh snapshot the listener's reconnect sends) and check it
shows the item imported during the outage (the board's ``items`` count). Then process 2 imports
another item and we check every socket gets that push too (pushes flow again, not only the
snapshot). p50/p99 over all sockets x restarts; target p99 < 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import time

from bench.common import (
    RawHttp,
    Server,
    create_project,
    import_jsonl,
    jsonl_items,
    launch,
    load_average,
    log,
    make_ops,
    make_people,
    prepare_target,
    raise_open_files_limit,
    summary,
    write_result,
)
from tests.redis_server import RedisServer

ITEMS = re.compile(r'data-count="items">(\d+)<')
TARGET_SECONDS = 5.0
WAIT_SECONDS = 20.0


class Socket:
    __slots__ = ("ws", "times", "items", "task", "closed")

    def __init__(self, ws):
        self.ws = ws
        self.times: list[float] = []
        self.items: list[int] = []
        self.closed: str | None = None

    async def read(self) -> None:
        try:
            async for message in self.ws:
                self.times.append(time.monotonic())
                found = ITEMS.search(message)
                self.items.append(int(found.group(1)) if found else -1)
        except Exception as exc:  # noqa: BLE001 - closed: the count of silent sockets tells
            self.closed = f"{type(exc).__name__}: {exc}"


async def wait_all(sockets: list[Socket], marks: list[int], until: float) -> None:
    while time.monotonic() < until and any(len(s.times) == m for s, m in zip(sockets, marks)):
        await asyncio.sleep(0.005)


async def run(first: Server, second: Server, redis: RedisServer, target, token: str, args) -> dict:
    from websockets.asyncio.client import connect

    ops = RawHttp(second.url, token)
    project_id = await create_project(ops, "Redis recovery bench")
    await import_jsonl(ops, project_id, jsonl_items(1000))
    await launch(ops, project_id)
    viewers = await make_people(target, project_id, args.viewers, role="client")
    ws_url = first.url.replace("http://", "ws://") + f"/ws/projects/{project_id}/board"
    sockets: list[Socket] = []
    gate = asyncio.Semaphore(50)

    async def open_one(n: int) -> None:
        async with gate:
            ws = await connect(ws_url, open_timeout=60, ping_interval=None, max_queue=None,
                               additional_headers={"Authorization": f"Bearer {viewers[n % len(viewers)]}"})
            sock = Socket(ws)
            sock.task = asyncio.create_task(sock.read())
            deadline = time.monotonic() + 60
            while not sock.times and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            sockets.append(sock)

    await asyncio.gather(*(open_one(n) for n in range(args.sockets)))
    log(f"{len(sockets)} sockets open on process 1")
    await asyncio.sleep(1)

    recovery: list[float] = []
    last_socket: list[float] = []
    after: list[float] = []
    missing = stale = missing_after = failed_writes = 0
    batch = 0
    for n in range(args.restarts):
        redis.kill()
        await asyncio.sleep(args.outage / 2)
        batch += 1
        status, _ = await ops.request("POST", f"/api/v1/projects/{project_id}/items?batch=outage{batch}",
                                      body=jsonl_items(1, start=10_000 + batch),
                                      headers={"Content-Type": "application/x-ndjson"})
        failed_writes += status != 201
        expected = 1000 + 2 * batch - 1
        await asyncio.sleep(args.outage / 2)
        marks = [len(s.times) for s in sockets]
        back_at = redis.start()
        await wait_all(sockets, marks, back_at + WAIT_SECONDS)
        this = []
        for sock, mark in zip(sockets, marks):
            if len(sock.times) == mark:
                missing += 1
                continue
            this.append(sock.times[mark] - back_at)
            # the snapshot, or a push rendered just after it: either shows the outage's import
            stale += max(sock.items[mark:]) < expected
        recovery.extend(this)
        if this:
            last_socket.append(max(this))

        await asyncio.sleep(0.5)  # let the snapshots settle
        marks = [len(s.times) for s in sockets]
        status, _ = await ops.request("POST", f"/api/v1/projects/{project_id}/items?batch=after{batch}",
                                      body=jsonl_items(1, start=20_000 + batch),
                                      headers={"Content-Type": "application/x-ndjson"})
        failed_writes += status != 201
        sent_at = time.monotonic()
        await wait_all(sockets, marks, sent_at + WAIT_SECONDS)
        pushed = [s.times[m] - sent_at for s, m in zip(sockets, marks) if len(s.times) > m]
        missing_after += len(sockets) - len(pushed)
        after.extend(pushed)
        log(f"restart {n + 1}/{args.restarts}: first socket {min(this or [0]) * 1000:.0f} ms after Redis was back, "
            f"last {max(this or [0]) * 1000:.0f} ms, missing {len(sockets) - len(this)}; next push: "
            f"last {max(pushed or [0]) * 1000:.0f} ms, missing {len(sockets) - len(pushed)}")
        await asyncio.sleep(0.5)
    closed = sum(1 for s in sockets if s.closed)
    for sock in sockets:
        await sock.ws.close()
        sock.task.cancel()
    await ops.close()
    return {"sockets": len(sockets), "restarts": args.restarts, "outage_s": args.outage,
            "recovery": summary(recovery), "last_socket_per_restart": summary(last_socket),
            "missing_after_restart": missing, "stale_after_restart": stale,
            "next_push": summary(after), "missing_next_push": missing_after,
            "failed_writes_during_outage": failed_writes, "closed_sockets": closed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--restarts", type=int, default=10)
    parser.add_argument("--outage", type=float, default=1.0, help="seconds Redis stays down each time")
    parser.add_argument("--viewers", type=int, default=100)
    args = parser.parse_args()
    limit = raise_open_files_limit(args.sockets * 2 + 256)
    redis = RedisServer()
    redis.start()
    target = dataclasses.replace(prepare_target("postgres"), redis_url=redis.url)
    load_before = load_average()
    try:
        token = make_ops(target)
        with Server(target, workers=1) as first, Server(target, workers=1) as second:
            result = asyncio.run(run(first, second, redis, target, token, args))
            result["server_errors"] = {"first": first.errors_in_log(), "second": second.errors_in_log()}
    finally:
        target.cleanup()
        redis.stop()
    p99 = (result["recovery"] or {}).get("p99_ms")
    result |= {"target_p99_s": TARGET_SECONDS, "open_files_limit": limit, "load_before": load_before,
               "load_after": load_average(),
               "met": p99 is not None and p99 / 1000 < TARGET_SECONDS and not result["missing_after_restart"]}
    log(f"recovery over {result['sockets']} sockets x {args.restarts} restarts: {result['recovery']}; "
        f"missing {result['missing_after_restart']}, stale {result['stale_after_restart']}; next push "
        f"{result['next_push']}, missing {result['missing_next_push']}; met: {result['met']}")
    write_result("redis_recovery", "postgres", result)


if __name__ == "__main__":
    main()
