"""Issue 6 targets, end to end through the running server.

    .venv/bin/python -m bench.agreement_api --backend postgres|sqlite [--items 100000] [--answers 3]
        [--annotators 15] [--contributors 20] [--window 8]

1. Agreement for ``--items`` items x ``--answers`` answers per field < 2 s: a project with a
   choice field and a rating field (the bench's interface plus ``stars``), its items imported
   with their prior annotations (native format, 25k items per request, random annotators out
   of ``--annotators`` who agree ~70% of the time), then ``GET /agreement`` with nothing
   cached: wall time of the request (reading every answer from the database, the statistics
   for both fields and the guideline-gap report), and the snapshot's own ``duration_ms``
   (the computation alone). A second call shows the cached snapshot's cost.
2. A refresh does not block submits: ``--contributors`` people loop next+submit for
   ``--window`` seconds twice: once quietly, once while a fresh agreement computation for the
   whole project runs in the server (forced by asking for ``GET /agreement`` after the first
   new answers). Submit latency p50/p99 and throughput side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time

from bench.common import (
    ANSWER,
    RawHttp,
    add_common_args,
    api,
    import_jsonl,
    launch,
    log,
    make_people,
    measure_with_server,
    summary,
    workers_for,
    write_result,
)

INTERFACE = [
    {"name": "sentiment", "type": "choice", "options": ["pos", "neg", "neu"]},
    {"name": "stars", "type": "rating", "min": 1, "max": 5, "required": False},
    {"name": "rationale", "type": "text", "required": False, "max_length": 200},
]
CHUNK = 25_000


def items_with_answers(start: int, count: int, answers: int, annotators: int, rng: random.Random) -> bytes:
    lines = []
    for i in range(start, start + count):
        truth, stars = rng.choice(["pos", "neg", "neu"]), rng.randint(1, 5)
        people = rng.sample(range(annotators), answers)
        given = []
        for person in people:
            sentiment = truth if rng.random() < 0.7 else rng.choice(["pos", "neg", "neu"])
            given.append({"annotator": f"a{person}", "answer": {
                "sentiment": sentiment, "stars": min(5, max(1, stars + rng.choice([-1, 0, 0, 1])))}})
        lines.append(json.dumps({"data": {"text": f"Review {i}", "category": f"c{i % 12}"}, "annotations": given}))
    return ("\n".join(lines) + "\n").encode()


async def cycles(server_url: str, tokens: list[str], project_id: int, seconds: float) -> dict:
    submits: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def person(token: str) -> None:
        client = RawHttp(server_url, token)
        while time.perf_counter() < stop_at:
            status, data = await client.request("POST", f"/api/v1/projects/{project_id}/next")
            if status != 200:
                return
            assignment = json.loads(data)["assignment"]["id"]
            started = time.perf_counter()
            status, _ = await client.request("POST", f"/api/v1/assignments/{assignment}/submit",
                                             json_body={"answer": ANSWER})
            if status == 201:
                submits.append(time.perf_counter() - started)
        await client.close()

    await asyncio.gather(*(person(t) for t in tokens))
    return {"submits": len(submits), "per_second": round(len(submits) / seconds, 1), **summary(submits)}


async def run(server, target, token: str, args) -> dict:
    ops = RawHttp(server.url, token)
    project = await api(ops, "POST", "/projects", json_body={
        "name": "Agreement bench", "purpose": "Measure agreement at scale", "guidelines": "# Label",
        "overlap": 1, "interface": INTERFACE})
    pid, rng = project["id"], random.Random(7)
    started = time.perf_counter()
    for start in range(0, args.items, CHUNK):
        await import_jsonl(ops, pid, items_with_answers(start, min(CHUNK, args.items - start), args.answers,
                                                        args.annotators, rng), batch=f"b{start // CHUNK}")
    log(f"imported {args.items:,} items x {args.answers} answers in {time.perf_counter() - started:.1f} s")

    timings = []
    for attempt in ("cold", "cached"):
        started = time.perf_counter()
        report = await api(ops, "GET", f"/projects/{pid}/agreement")
        timings.append({"call": attempt, "wall_s": round(time.perf_counter() - started, 3),
                        "compute_ms": report["duration_ms"]})
        log(f"GET /agreement ({attempt}): {timings[-1]}")
    fields = {name: {k: f[k] for k in ("level", "krippendorff_alpha", "fleiss_kappa", "percent_agreement", "items")}
              for name, f in report["fields"].items()}

    # Submits with and without an agreement computation running beside them.
    await import_jsonl(ops, pid, b"".join(json.dumps({"text": f"new {i}"}).encode() + b"\n" for i in range(20_000)),
                       batch="live")
    await launch(ops, pid)
    tokens = await make_people(target, pid, args.contributors)
    quiet = await cycles(server.url, tokens, pid, args.window)
    log(f"submits, quiet: {quiet}")

    async def recompute() -> float:
        await asyncio.sleep(0.5)  # after the first new answers, so the snapshot is behind
        started = time.perf_counter()
        await api(ops, "GET", f"/projects/{pid}/agreement")
        return time.perf_counter() - started

    busy, recompute_s = await asyncio.gather(cycles(server.url, tokens, pid, args.window), recompute())
    log(f"submits during a recompute ({recompute_s:.2f} s): {busy}")
    return {"items": args.items, "answers_per_item": args.answers, "annotators": args.annotators,
            "agreement_calls": timings, "fields": fields, "submits_quiet": quiet, "submits_during_recompute": busy,
            "recompute_wall_s": round(recompute_s, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=3)
    parser.add_argument("--annotators", type=int, default=15)
    parser.add_argument("--contributors", type=int, default=20)
    parser.add_argument("--window", type=float, default=8.0)
    args = parser.parse_args()
    result = measure_with_server("agreement_api", args, lambda server, target, token: run(server, target, token, args),
                                 workers=workers_for(args, default=1))
    cold = result["agreement_calls"][0]
    result |= {"target_s": 2.0, "pass": cold["wall_s"] < 2.0}
    write_result("agreement_api", args.backend, result)
    print(f"agreement_api {args.backend} {args.items:,} x {args.answers}: GET /agreement cold {cold['wall_s']} s "
          f"(compute {cold['compute_ms']} ms), cached {result['agreement_calls'][1]['wall_s']} s; target < 2 s: "
          f"{'PASS' if result['pass'] else 'FAIL'}; submit p99 quiet {result['submits_quiet'].get('p99_ms')} ms vs "
          f"during recompute {result['submits_during_recompute'].get('p99_ms')} ms")


if __name__ == "__main__":
    main()
