"""Issue 11: sign-in latency with the rate limits on (the defaults: 5/minute and 20/hour failures
per account, 30/minute per address), against the real server.

    .venv/bin/python -m bench.sign_in --backend sqlite|postgres [--accounts 300] [--concurrency 1 2]
        [--throttled 200] [--workers N] [--no-access-log] [--app-root DIR]

Target: sign-in p99 < 150 ms, argon2 dominating.

Set-up: a fresh database, ``--accounts`` users made straight in the database with one shared argon2
hash (argon2-cffi's defaults, as ``create_user`` makes them). Measured:

* **sign-in**: ``POST /api/v1/auth/token`` with the right password, each account once per run, by
  ``--concurrency`` clients at a time (closed loop, back to back), one run per concurrency. Every
  request passes the limiter (two checks per limit, memory or Redis), verifies the password (argon2
  in a thread) and issues a token (one transaction). Right passwords are never counted, so distinct
  accounts are never throttled; all from 127.0.0.1 like a deployment behind one proxy.
* **wrong password**: 5 accounts × 4 wrong passwords (under the per-account limit; 20 in all, under
  the address's 30/minute): argon2, the failure counted, an ``auth.failed`` event written.
* **throttled**: one account pushed over its limit, then ``--throttled`` attempts one after another,
  each answered 429 before any password is checked.
* **argon2 alone**: ``verify`` of the same hash in this process, for comparison (what the server
  spends per sign-in at least).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

from bench.common import (
    RawHttp,
    add_common_args,
    load_average,
    log,
    measure_with_server,
    summary,
    workers_for,
    write_result,
)

TARGET_MS = 150
PASSWORD = "bench-quiet-lantern-42"


async def make_accounts(url: str, count: int) -> list[str]:
    from sqlalchemy import insert

    import app.models  # noqa: F401 - every table, so foreign keys resolve
    from app.accounts.models import User
    from app.accounts.passwords import hash_password
    from app.db import Database
    from app.models_base import utcnow

    db = Database(url)
    password_hash, now = hash_password(PASSWORD), utcnow()
    emails = [f"signin-{uuid.uuid4().hex[:12]}@bench.local" for _ in range(count)]
    try:
        async with db.transaction() as session:
            await session.execute(insert(User), [{"email": email, "name": "Bench Person", "password_hash": password_hash,
                                                  "is_ops": False, "is_active": True, "created_at": now}
                                                 for email in emails])
    finally:
        await db.dispose()
    return emails


async def attempt(client: RawHttp, email: str, password: str) -> tuple[int, float]:
    started = time.perf_counter()
    status, _ = await client.request("POST", "/api/v1/auth/token", json_body={"email": email, "password": password})
    return status, time.perf_counter() - started


async def closed_loop(url: str, emails: list[str], concurrency: int) -> dict[str, Any]:
    queue = list(emails)
    times: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        client = RawHttp(url)
        try:
            while queue:
                status, seconds = await attempt(client, queue.pop(), PASSWORD)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    times.append(seconds)
        finally:
            await client.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"concurrency": concurrency, "statuses": statuses, "per_second": round(len(emails) / elapsed, 1),
            "latency": summary(times)}


def argon2_alone(samples: int = 30) -> dict[str, Any]:
    from app.accounts.passwords import hash_password, verify_password

    password_hash = hash_password(PASSWORD)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        verify_password(password_hash, PASSWORD)
        times.append(time.perf_counter() - started)
    return summary(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser, workers_default=2)
    parser.add_argument("--accounts", type=int, default=300, help="distinct accounts, each signing in once per run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--throttled", type=int, default=200)
    args = parser.parse_args()
    workers = workers_for(args, default=2)

    async def run(server, target, token) -> dict[str, Any]:
        emails = await make_accounts(target.async_url, args.accounts * len(args.concurrency) + 6)
        log(f"{len(emails)} accounts made")
        warm = RawHttp(server.url)
        for email in emails[-6:-5]:
            await attempt(warm, email, PASSWORD)  # first requests: imports, pools
        runs = []
        for n, concurrency in enumerate(args.concurrency):
            batch = emails[n * args.accounts:(n + 1) * args.accounts]
            runs.append(await closed_loop(server.url, batch, concurrency))
            log(f"concurrency {concurrency}: {json.dumps(runs[-1])}")
        wrong, wrong_statuses = [], {}
        for email in emails[-5:]:
            for k in range(4):
                status, seconds = await attempt(warm, email, f"wrong-guess-{k}")
                wrong_statuses[status] = wrong_statuses.get(status, 0) + 1
                wrong.append(seconds)
        victim = emails[-6]
        for k in range(5):
            await attempt(warm, victim, f"wrong-guess-{k}")
        throttled, throttled_statuses = [], {}
        for _ in range(args.throttled):
            status, seconds = await attempt(warm, victim, PASSWORD)
            throttled_statuses[status] = throttled_statuses.get(status, 0) + 1
            throttled.append(seconds)
        await warm.close()
        return {"runs": runs, "wrong_password": {"statuses": wrong_statuses, "latency": summary(wrong)},
                "throttled": {"statuses": throttled_statuses, "latency": summary(throttled)},
                "argon2_verify_in_process": argon2_alone()}

    result = measure_with_server("sign_in", args, run, workers=workers)
    p99s = [r["latency"]["p99_ms"] for r in result["runs"]]
    result |= {"backend": args.backend, "target_ms": TARGET_MS, "met": all(p < TARGET_MS for p in p99s),
               "load": load_average()}
    path = write_result("sign_in", args.backend, result)
    log(f"written {path}")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
