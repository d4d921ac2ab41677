"""Issue 4: review feedback latency, from the reviewer's decision to the contributor's socket.

    .venv/bin/python -m bench.feedback_latency [--backend postgres] [--contributors 500] [--decisions 200]
        [--gap 0.1] [--workers 1] [--cold] [--no-access-log] [--app-root DIR]

Target (issue 4): p99 < 200 ms with 500 contributors connected, on PostgreSQL +
Redis with two web processes, the decision taken on one process and the
contributor connected to the other.

Set-up: a fresh ``inkwell_bench`` database and **two separate** ``inkwell
serve`` processes (A and B, each ``--workers 1`` by default) on two ports, on
the same database and the same REDIS_URL (so the same channel namespace). Not
one server with ``--workers 2``: the benchmark must choose which process each
client talks to. A launched project with a one-stage review pipeline (share
1.0, rejections back to the author), ``--contributors`` contributors and one
reviewer made straight in the database, the contributors qualified there as
``tests/integration/conftest.py``'s ``qualify()`` does (qualified standing,
guidelines acknowledged, every gold item marked as seen, so each ``next`` hands
out a production item). Each contributor leases and submits one answer
through the API (half on A, half on B), so there are that many answers queued
for review; the item id of each lease says whose answer it is (the review
JSON names the contributor only by pseudonym).

Then every contributor's socket ``/ws/me?project={id}`` opens on **B**
(``Authorization: Bearer`` on the upgrade, ``websockets``, 50 at a time) and
its snapshot is read and dropped. The first socket opens alone, so that B's
Redis pub/sub connection exists before the burst: concurrent first
subscriptions on a fresh process race and most of them are lost (see
``open_sockets``; ``--cold`` skips the warm-up to show it).

Measured, ``--decisions`` times, the reviewer on **A**: ``POST
/projects/{id}/reviews/next``, then ``POST /reviews/{id}/decide``
``{"decision": "reject", "comment": "... (fb-00042-end)"}`` with a unique
marker; t0 is taken just before the decide request is written. The latency is
the time until a message containing that marker arrives on the author's socket
(the inbox fragment pushed after the commit: A renders it, publishes it on
Redis, B forwards it), on this process's clock. Decisions start every
``--gap`` seconds (0: back to back, the next review is leased as soon as the
decide returns); the reviewer does not wait for the push. Reported besides:
the decide request itself (t0 to its 200 read), the time from that response
to the push, the split at Redis (this process also listens to every
``*:user:*`` and ``*:board:*`` channel: t0 -> the push on Redis is A's part,
i.e. decide, commit, render, PUBLISH; Redis -> the socket is B's part), the
board renders A published meanwhile, a per-decision timeline, the reviewer's
``reviews/next``, pushes not received within 5 s, the CPU of A, B,
PostgreSQL, Redis, this client and everything else on the machine, and the
load.

Diagnostics, after the run, in this process against the same database: the
person renderer (``app.quality.live.PersonRenderer``, what A runs for each
push), the board renderer (``app.board.live.BoardRenderer``, what A runs for
every change to the project), and a bare Redis PUBLISH -> subscriber round
trip.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time
import uuid
from typing import Any

from bench.common import (
    ANSWER,
    INTERFACE,
    SECRET_KEY,
    CpuMeter,
    RawHttp,
    Server,
    api,
    import_jsonl,
    jsonl_items,
    launch,
    load_average,
    log,
    make_ops,
    make_people,
    pct,
    prepare_target,
    raise_open_files_limit,
    summary,
    workers_for,
    write_result,
)

PIPELINE = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}], "tags": []}
TARGET_MS = 200
WAIT_FOR_PUSH = 5.0


def marker(n: int) -> str:
    return f"fb-{n:05d}-end"  # delimited: fb-00001-end is no substring of fb-00010-end


MARKER = re.compile(rb"fb-\d{5}-end")


class Socket:
    """One contributor's /ws/me socket: the time the awaited marker arrived, and every message counted."""

    __slots__ = ("ws", "task", "expect", "received_at", "messages", "closed")

    def __init__(self, ws):
        self.ws = ws
        self.expect: str | None = None
        self.received_at: float | None = None
        self.messages = 0
        self.closed: str | None = None

    async def read(self) -> None:
        try:
            async for message in self.ws:
                now = time.perf_counter()
                self.messages += 1
                if self.expect is not None and self.received_at is None:
                    text = message if isinstance(message, str) else message.decode(errors="replace")
                    if self.expect in text:
                        self.received_at = now
        except Exception as exc:  # noqa: BLE001 - closed: counted and reported
            self.closed = f"{type(exc).__name__}: {exc}"
        else:
            self.closed = f"closed by the server: {self.ws.close_code} {self.ws.close_reason}"


class RedisTap:
    """Listens on Redis to every ``*:user:*`` and ``*:board:*`` channel (pattern subscriptions, this process):
    when each marked push left A, which splits the latency into A (decide, commit, render, PUBLISH) and B
    (Redis -> B -> socket); and how many board pushes A rendered meanwhile (nobody watches the board here)."""

    def __init__(self, redis_url: str):
        self.redis_url = redis_url
        self.seen: dict[str, float] = {}
        self.namespace: str | None = None  # of this run's channels, from the first marked push
        self.boards: list[tuple[bytes, float]] = []

    async def start(self) -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(self.redis_url)
        self.pubsub = self.redis.pubsub()
        await self.pubsub.psubscribe("*:user:*", "*:board:*")
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                continue
            now = time.perf_counter()
            channel = message["channel"]
            if b":board:" in channel:
                self.boards.append((channel, now))
                continue
            for found in MARKER.findall(message["data"]):
                self.seen.setdefault(found.decode(), now)
                self.namespace = self.namespace or channel.split(b":", 1)[0].decode()

    def board_pushes(self) -> list[float]:
        """When each board render of this run's processes reached Redis (one render publishes two audiences)."""
        prefix = f"{self.namespace}:board:".encode()
        return [t for c, t in self.boards if c.startswith(prefix) and b":members:" not in c]

    async def stop(self) -> None:
        self.task.cancel()
        try:
            await self.task
        except (asyncio.CancelledError, Exception):  # noqa: BLE001 - only ever stopped at the end
            pass
        await self.pubsub.aclose()
        await self.redis.aclose()


async def qualify(target, project_id: int, tokens: list[str]) -> list[int]:
    """The contributors' user ids (in token order), each made qualified as conftest's ``qualify()`` does."""
    from sqlalchemy import select

    import app.models  # noqa: F401 - every table, so foreign keys resolve
    from app.accounts.models import ApiToken
    from app.accounts.service import _token_hash
    from app.db import Database
    from app.items.models import Item
    from app.models_base import utcnow
    from app.projects.models import Project
    from app.quality.models import Standing
    from app.work.models import BENCHMARK, Assignment

    db = Database(target.async_url)
    try:
        async with db.transaction() as session:
            hashes = [_token_hash(t) for t in tokens]
            by_hash = dict((await session.execute(select(ApiToken.token_hash, ApiToken.user_id)
                                                  .where(ApiToken.token_hash.in_(hashes)))).all())
            user_ids = [by_hash[h] for h in hashes]
            gold = (await session.execute(select(Item.id, Item.batch_id).where(Item.project_id == project_id,
                                                                               Item.is_gold.is_(True)))).all()
            version = (await session.execute(select(Project.guideline_version)
                                             .where(Project.id == project_id))).scalar_one()
            now = utcnow()
            for user_id in user_ids:
                session.add(Standing(project_id=project_id, user_id=user_id, state="qualified", window_start_at=now,
                                     gate_score=1.0, gate_decided_at=now, guidelines_acknowledged=version))
                for item_id, batch_id in gold:
                    session.add(Assignment(project_id=project_id, batch_id=batch_id, item_id=item_id, user_id=user_id,
                                           stage=BENCHMARK, round=1, slot=user_id, state="submitted", leased_at=now,
                                           expires_at=now, finished_at=now))
    finally:
        await db.dispose()
    return user_ids


async def submit_all(servers: list[Server], project_id: int, tokens: list[str],
                     concurrency: int = 20) -> dict[int, int]:
    """Each contributor leases and answers one item (alternating between the servers): item id -> contributor."""
    owner: dict[int, int] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            client = RawHttp(servers[n % len(servers)].url, tokens[n])
            try:
                lease = await api(client, "POST", f"/projects/{project_id}/next", expect=(200,))
                assignment = lease["assignment"]
                await api(client, "POST", f"/assignments/{assignment['id']}/submit", json_body={"answer": ANSWER},
                          headers={"Idempotency-Key": uuid.uuid4().hex}, expect=(201,))
                owner[assignment["item"]["id"]] = n
            finally:
                await client.close()

    await asyncio.gather(*(one(n) for n in range(len(tokens))))
    return owner


async def open_sockets(url: str, tokens: list[str], cold: bool = False
                       ) -> tuple[list[Socket | None], list[str], list[float]]:
    """One socket per contributor (index = contributor), each until its snapshot has arrived.

    The first socket opens alone unless ``cold``: B's Redis pub/sub connection is made lazily by
    its first SUBSCRIBE, and concurrent first SUBSCRIBEs each make their own connection, of which
    only the last is ever read (redis-py ``PubSub.connect``); channels subscribed on the others
    never deliver. ``--cold`` opens them all at once to show that."""
    from websockets.asyncio.client import connect

    sockets: list[Socket | None] = [None] * len(tokens)
    failures: list[str] = []
    times: list[float] = []
    gate = asyncio.Semaphore(50)

    async def open_one(n: int) -> None:
        async with gate:
            started = time.perf_counter()
            try:
                ws = await connect(url, open_timeout=60, ping_interval=None, max_queue=None,
                                   additional_headers={"Authorization": f"Bearer {tokens[n]}"})
            except Exception as exc:  # noqa: BLE001 - counted
                failures.append(f"connect: {type(exc).__name__}: {exc}")
                return
            sock = Socket(ws)
            sock.task = asyncio.create_task(sock.read())
            deadline = started + 60
            while not sock.messages and sock.closed is None and time.perf_counter() < deadline:  # the snapshot
                await asyncio.sleep(0.01)
            if not sock.messages:
                failures.append(f"no snapshot: {sock.closed or 'nothing within 60 s'}")
                await ws.close()
                return
            times.append(time.perf_counter() - started)
            sockets[n] = sock

    first = 0 if cold else 1
    if not cold and tokens:
        await open_one(0)  # B's pub/sub connection exists before the burst
    await asyncio.gather(*(open_one(n) for n in range(first, len(tokens))))
    return sockets, failures, times


async def diagnostics(target, project_id: int, user_ids: list[int], calls: int = 40) -> dict[str, Any]:
    """What one push costs apart from the network, timed in this (otherwise idle) process against the same
    database: A's person render, the board render every change also costs A, a bare Redis round trip."""
    from redis.asyncio import Redis

    from app.board.live import BoardRenderer
    from app.db import Database
    from app.quality.live import PersonRenderer
    from app.web.templating import standalone_templates

    db = Database(target.async_url)
    templates = standalone_templates()
    renderer = PersonRenderer(db, templates)
    board = BoardRenderer(db, templates, secret=SECRET_KEY)
    render_times: list[float] = []
    board_times: list[float] = []
    size = 0
    try:
        await renderer((user_ids[0], project_id))  # warm: connection, template compile
        await board(project_id)
        for n in range(calls):
            started = time.perf_counter()
            rendered = await renderer((user_ids[n % len(user_ids)], project_id))
            render_times.append(time.perf_counter() - started)
            size = len(rendered["person"])
        for n in range(calls // 2):
            started = time.perf_counter()
            await board(project_id)
            board_times.append(time.perf_counter() - started)
    finally:
        await db.dispose()

    redis = Redis.from_url(target.redis_url)
    pubsub = redis.pubsub()
    channel = f"bench-feedback-{uuid.uuid4().hex[:8]}"
    round_trips: list[float] = []
    try:
        await pubsub.subscribe(channel)
        await pubsub.get_message(timeout=1)  # the subscribe confirmation
        for n in range(calls):
            started = time.perf_counter()
            await redis.publish(channel, f"{n}".encode() + b"x" * size)
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2)
                if message is None or message["data"].startswith(f"{n}x".encode()):
                    break
            round_trips.append(time.perf_counter() - started)
    finally:
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()
        await redis.aclose()
    return {"person_render_in_process": summary(render_times), "fragment_bytes": size,
            "board_render_in_process": summary(board_times),
            "redis_publish_round_trip": summary(round_trips)}


async def _drain(socket) -> None:
    """Read a board socket until it closes (its fragments are not measured, only their cost)."""
    with contextlib.suppress(Exception):
        async for _ in socket:
            pass


async def run(a: Server, b: Server, target, token: str, args) -> dict[str, Any]:
    ops = RawHttp(a.url, token)
    project = await api(ops, "POST", "/projects", json_body={
        "name": "Feedback latency bench", "purpose": "Benchmark review feedback", "guidelines": "# Label the sentiment",
        "overlap": 1, "interface": INTERFACE, "review": PIPELINE})
    project_id = project["id"]
    await import_jsonl(ops, project_id, jsonl_items(args.contributors + 50))
    await launch(ops, project_id)
    await ops.close()
    tokens = await make_people(target, project_id, args.contributors)
    reviewer_token = (await make_people(target, project_id, 1, role="reviewer"))[0]
    user_ids = await qualify(target, project_id, tokens)
    started = time.perf_counter()
    owner = await submit_all([a, b], project_id, tokens)
    log(f"{len(owner)} answers submitted (half on A, half on B) in {time.perf_counter() - started:.1f} s; "
        f"{len(owner)} reviews queued")
    await asyncio.sleep(1)  # the submits' own pushes come and go before any socket opens

    ws_url = b.url.replace("http://", "ws://") + f"/ws/me?project={project_id}"
    started = time.perf_counter()
    sockets, failed_to_open, connect_times = await open_sockets(ws_url, tokens, cold=args.cold)
    connect_seconds = time.perf_counter() - started
    opened = sum(1 for s in sockets if s is not None)
    log(f"{opened} sockets open on B in {connect_seconds:.1f} s (each until its snapshot: {summary(connect_times)})"
        + (f"; {len(failed_to_open)} FAILED: {sorted(set(failed_to_open))[:5]}" if failed_to_open else ""))
    from websockets.asyncio.client import connect

    watchers = []
    for n in range(args.board_watchers):  # ops with the board open (on A and B): every decision re-renders it
        server = (a, b)[n % 2]
        watchers.append(await connect(
            server.url.replace("http://", "ws://") + f"/ws/projects/{project_id}/board",
            additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10, max_size=None))
    drains = [asyncio.create_task(_drain(w)) for w in watchers]
    await asyncio.sleep(1)

    tap = RedisTap(target.redis_url)
    await tap.start()
    reviewer = RawHttp(a.url, reviewer_token)
    decisions: list[dict[str, Any]] = []
    errors: list[str] = []
    meter = CpuMeter(a, others={"server_b": b})
    meter.start()
    run_started = time.perf_counter()
    for n in range(args.decisions):
        due = run_started + n * args.gap
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        t_next = time.perf_counter()
        status, data = await reviewer.request("POST", f"/api/v1/projects/{project_id}/reviews/next")
        next_seconds = time.perf_counter() - t_next
        if status != 200:
            errors.append(f"reviews/next -> {status}: {data[:200]!r}")
            if status == 204:
                break
            continue
        review = json.loads(data)["review"]
        contributor = owner.get(review["item"]["id"])
        sock = sockets[contributor] if contributor is not None else None
        mark = marker(n)
        if sock is not None:
            sock.expect, sock.received_at = mark, None
        t0 = time.perf_counter()
        status, data = await reviewer.request("POST", f"/api/v1/reviews/{review['id']}/decide", json_body={
            "decision": "reject", "comment": f"Please check the sentiment again ({mark}).", "tags": []})
        t1 = time.perf_counter()
        if status != 200:
            errors.append(f"decide -> {status}: {data[:200]!r}")
            if sock is not None:
                sock.expect = None
            continue
        decisions.append({"n": n, "mark": mark, "contributor": contributor, "socket": sock, "t0": t0, "t1": t1,
                          "next_s": next_seconds})
    sent_seconds = time.perf_counter() - run_started
    deadline = time.perf_counter() + WAIT_FOR_PUSH
    while time.perf_counter() < deadline and any(d["socket"] is not None and d["socket"].received_at is None
                                                 for d in decisions):
        await asyncio.sleep(0.01)
    cpu = meter.stop()
    await tap.stop()
    for watcher in watchers:
        await watcher.close()
    await asyncio.gather(*drains, return_exceptions=True)
    ours = sum(cpu[k] for k in ("server", "server_b", "postgres_bench_backends", "postgres_background", "redis",
                                "client"))
    cpu["other_processes"] = round(cpu["machine_busy_fraction"] * cpu["cpu_seconds_available"] - ours, 2)
    log(f"CPU seconds over {cpu['wall_seconds']} s: A {cpu['server']}, B {cpu['server_b']}, PostgreSQL "
        f"{cpu['postgres_bench_backends']}, Redis {cpu['redis']}, client {cpu['client']}, everything else on the "
        f"machine {cpu['other_processes']} (machine busy {cpu['machine_busy_fraction']:.0%})")
    figures = analyse(decisions, tap, run_started, run_started + cpu["wall_seconds"])
    log(f"{len(decisions)} decisions in {sent_seconds:.1f} s: latency {brief(figures['latency'])}; decide request "
        f"{brief(figures['decide_request'])}; missing {figures['missing']}")
    log(f"split: decide -> push on Redis {brief(figures['split']['a_decide_to_redis'])}; Redis -> socket "
        f"{brief(figures['split']['b_redis_to_socket'])}; {figures['board_pushes_during_run']} board renders "
        f"meanwhile; latency with a board render in the window {brief(figures['by_board_render']['with'])}, "
        f"without {brief(figures['by_board_render']['without'])}")
    figures["other_messages"] = sum(max(0, s.messages - 1) for s in sockets if s is not None) - figures["latency"]["n"]
    closed = [s.closed for s in sockets if s is not None and s.closed]  # before we close them ourselves
    for sock in sockets:
        if sock is not None:
            await sock.ws.close()
            sock.task.cancel()
    await reviewer.close()
    diag = await diagnostics(target, project_id, user_ids)
    log(f"diagnostics (in this process): person render {brief(diag['person_render_in_process'])}, board render "
        f"{brief(diag['board_render_in_process'])}, Redis round trip {brief(diag['redis_publish_round_trip'])}")
    return {"contributors": args.contributors, "sockets": opened, "failed_to_open": len(failed_to_open),
            "failures": sorted(set(failed_to_open))[:10], "closed_during_run": len(closed),
            "closed_samples": sorted(set(closed))[:5], "decisions_asked": args.decisions,
            "decisions": len(decisions), "gap_s": args.gap, "cold": args.cold, "board_watchers": args.board_watchers,
            "decisions_seconds": round(sent_seconds, 2),
            "decisions_per_second": round(len(decisions) / sent_seconds, 1) if sent_seconds else None,
            "connect_seconds": round(connect_seconds, 1), "connect_each": summary(connect_times)} | figures | {
            "errors": len(errors), "error_samples": errors[:5], "cpu_seconds": cpu, "diagnostics": diag,
            "servers": {"A (decisions)": a.url, "B (sockets)": b.url}}


def analyse(decisions: list[dict[str, Any]], tap: RedisTap, started: float, ended: float) -> dict[str, Any]:
    """Latencies and their parts; decisions with a board render reaching Redis between t0 and 50 ms after
    the push (A rendered the board meanwhile) apart from the others."""
    boards = sorted(t for t in tap.board_pushes() if started <= t <= ended)
    latency, after_response, decide_request, next_request = [], [], [], []
    a_side, b_side = [], []  # t0 -> the push seen on Redis; Redis -> the socket
    with_board, without_board = [], []
    timeline = []  # per decision, ms: sent (from the first decision), decide request, to Redis, to the socket
    missing = no_socket = 0
    for d in decisions:
        decide_request.append(d["t1"] - d["t0"])
        next_request.append(d["next_s"])
        sock = d["socket"]
        if sock is None:
            no_socket += 1
            continue
        if sock.received_at is None:
            missing += 1
            continue
        took = sock.received_at - d["t0"]
        latency.append(took)
        after_response.append(sock.received_at - d["t1"])
        on_redis = tap.seen.get(d["mark"])
        if on_redis is not None:
            a_side.append(on_redis - d["t0"])
            b_side.append(sock.received_at - on_redis)
        (with_board if any(d["t0"] <= t <= sock.received_at + 0.05 for t in boards) else without_board).append(took)
        timeline.append([round((d["t0"] - started) * 1000, 1), round((d["t1"] - d["t0"]) * 1000, 1),
                         round((on_redis - d["t0"]) * 1000, 1) if on_redis is not None else None,
                         round(took * 1000, 1)])
    return {"latency": summary(latency) | {"p95_ms": _p95(latency)},
            "over_target": sum(1 for x in latency if x * 1000 >= TARGET_MS),
            "push_after_response": summary(after_response),
            "split": {"a_decide_to_redis": summary(a_side), "b_redis_to_socket": summary(b_side)},
            "by_board_render": {"with": summary(with_board), "without": summary(without_board)},
            "decide_request": summary(decide_request) | {"p95_ms": _p95(decide_request)},
            "reviews_next_request": summary(next_request), "missing": missing, "no_socket": no_socket,
            "board_pushes_during_run": len(boards),
            "timeline_ms": {"columns": ["decide sent", "decide request", "on Redis", "on the socket"],
                            "rows": timeline,
                            "board_pushes_on_redis": [round((t - started) * 1000, 1) for t in boards]}}


def brief(figures: dict[str, Any]) -> str:
    if not figures.get("n"):
        return "(none)"
    return f"p50 {figures['p50_ms']} / p99 {figures['p99_ms']} / max {figures['max_ms']} ms (n={figures['n']})"


def _p95(seconds: list[float]) -> float | None:
    return round(pct([s * 1000 for s in seconds], 95), 2) if seconds else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["postgres"], default="postgres",
                        help="PostgreSQL + Redis only: the issue's setup (two processes need both)")
    parser.add_argument("--contributors", type=int, default=500)
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between decisions (0: back to back)")
    parser.add_argument("--board-watchers", type=int, default=0,
                        help="ops board sockets kept open (alternately on A and B), so every decision re-renders it")
    parser.add_argument("--cold", action="store_true",
                        help="open every socket at once on the fresh process B, the first one included (shows "
                             "the pub/sub connection race: most pushes never arrive)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers in each of the two server processes")
    parser.add_argument("--no-access-log", action="store_true",
                        help="serve with uvicorn --no-access-log instead of inkwell serve (which logs every request)")
    parser.add_argument("--app-root", default=None,
                        help="serve the app from another checkout (put first on PYTHONPATH), e.g. to measure a fix")
    args = parser.parse_args()
    if args.decisions > args.contributors:
        raise SystemExit("--decisions must be at most --contributors (one answer, one decision per contributor)")
    limit = raise_open_files_limit(args.contributors * 2 + 256)
    workers = workers_for(args, default=1)
    target = prepare_target(args.backend)
    load_before = load_average()
    try:
        token = make_ops(target)
        access_log = not args.no_access_log
        with Server(target, workers=workers, access_log=access_log) as a, \
                Server(target, workers=workers, access_log=access_log) as b:
            result = asyncio.run(run(a, b, target, token, args))
            result["server_errors"] = {"A": a.errors_in_log(), "B": b.errors_in_log()}
            if result["missing"] or result["failed_to_open"] or result["errors"]:
                result["server_logs"] = [str(a.keep_log("feedback_latency", "postgres-A")),
                                         str(b.keep_log("feedback_latency", "postgres-B"))]
    finally:
        target.cleanup()
    p99 = result["latency"].get("p99_ms")
    result |= {"processes": 2, "workers_per_process": workers, "access_log": access_log, "load_before": load_before,
               "load_after": load_average(), "open_files_limit": limit, "target_ms": TARGET_MS,
               "pass": p99 is not None and p99 < TARGET_MS and not result["missing"] and not result["errors"]}
    write_result("feedback_latency", args.backend, result)
    lat, dec = result["latency"], result["decide_request"]
    print(f"feedback_latency {args.backend} 2 processes x {workers} worker(s), {result['sockets']} sockets on B, "
          f"{result['decisions']} rejects on A every {args.gap} s: decision->socket p50 {lat.get('p50_ms')} ms, "
          f"p95 {lat.get('p95_ms')} ms, p99 {lat.get('p99_ms')} ms, max {lat.get('max_ms')} ms; decide request "
          f"p50/p99 {dec.get('p50_ms')}/{dec.get('p99_ms')} ms; missing {result['missing']}, "
          f"errors {result['errors']}; "
          f"load {result['load_before'][0]:.2f} -> {result['load_after'][0]:.2f}; target p99 < {TARGET_MS} ms: "
          f"{'PASS' if result['pass'] else 'FAIL'}")


if __name__ == "__main__":
    main()
