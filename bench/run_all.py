"""Every benchmark on every backend, one after another, then a summary table.

    .venv/bin/python -m bench.run_all [--backends postgres sqlite] [--only import_items work_cycles ...]
        [--quick] [--workers 2]

(``make bench`` runs this with the defaults.) Each benchmark runs as its own
``python -m bench.<name>`` subprocess with a fresh database and server, so a
failure in one does not stop the rest; the exit code is non-zero if any of
them crashed (a missed target is reported, not an error). ``--quick`` runs
small sizes (a smoke test in a few minutes, figures not comparable with the
targets). PostgreSQL needs 127.0.0.1:5432 (trust auth, user postgres) and
Redis 127.0.0.1:6379; a backend whose services are not reachable is skipped.

Full run on the reference 2-core machine: roughly 25-35 minutes, most of it
loading the million items for the board benchmark.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time

from bench.common import BIN, RESULTS, ROOT, log

FULL = {
    "import_items": [],
    # target 2: 300 cycles/s offered by 50 and by 200 contributors (paced; see bench/work_cycles.py)
    "work_cycles": ["--rate", "300", "--warmup", "10", "--duration", "30"],
    "board_render": [],
    "ws_fanout": [],
    "feedback_latency": [],
    "agreement_api": [],
}
#: Benchmarks of a setup that needs PostgreSQL + Redis (skipped on the other backends; --workers not passed on).
POSTGRES_ONLY = {"feedback_latency"}
DIAGNOSTICS = {
    "cycle_cost": ["--items", "20000", "--cycles", "300"],
    "queue_scan": [],
}
QUICK = {
    "import_items": ["--items", "10000", "--repeat", "1"],
    "work_cycles": ["--concurrency", "20", "--duration", "5", "--warmup", "2", "--items", "5000"],
    "board_render": ["--items", "20000", "--chunk", "10000", "--calls", "20", "--opens", "3", "--cycles", "2"],
    "ws_fanout": ["--sockets", "50", "--submits", "3", "--viewers", "10"],
    "feedback_latency": ["--contributors", "20", "--decisions", "20"],
    "agreement_api": ["--items", "5000", "--contributors", "5", "--window", "3"],
    "cycle_cost": ["--items", "5000", "--cycles", "50"],
    "queue_scan": ["--items", "10000", "--calls", "10"],
}


def reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def newest(name: str, backend: str, since: float) -> dict | None:
    found = sorted(RESULTS.glob(f"{name}-{backend}-*.json"), key=lambda p: p.stat().st_mtime)
    if not found or found[-1].stat().st_mtime < since:
        return None
    return json.loads(found[-1].read_text())


def line(name: str, backend: str, result: dict | None) -> str:
    if result is None:
        return f"| {name} | {backend} | (no result) | | |"
    verdict = "pass" if result.get("pass") else "FAIL"
    if name == "import_items":
        figure = (f"{result['items']:,} items: import {result['import_seconds_median']} s (median of {len(result['import_seconds'])}); "
                  f"export {result.get('export_seconds_best')} s")
        target = "< 20 s"
    elif name == "work_cycles":
        timing = "cycle_from_schedule" if result.get("mode") == "paced" else "cycle"
        figure = "; ".join(f"x{lv['concurrency']}: {lv['cycles_per_second']} cycles/s, {timing} p50/p99 "
                           f"{lv[timing].get('p50_ms')}/{lv[timing].get('p99_ms')} ms" for lv in result["levels"])
        if result.get("mode") == "paced":
            figure = f"offered {result['offered_cycles_per_second']:g}/s; " + figure
        figure += f" ({result['workers']} workers)"
        target = ">= 300/s, p99 < 100 ms"
    elif name == "board_render":
        figure = (f"GET /stats p50/p99 {result['stats_http']['p50_ms']}/{result['stats_http']['p99_ms']} ms; "
                  f"render p50/p99 {result['render_in_process']['renderer']['p50_ms']}/"
                  f"{result['render_in_process']['renderer']['p99_ms']} ms ({result['items']:,} items)")
        target = "< 100 ms"
    elif name == "cycle_cost":
        figure = (f"CPU per cycle {result['cpu_ms_per_cycle_total']} ms -> ceiling "
                  f"{result['ceiling_cycles_per_second_on_2_cores']} cycles/s on 2 cores")
        return f"| {name} | {backend} | {figure} | (diagnostic) | |"
    elif name == "feedback_latency":
        figure = (f"{result['sockets']} sockets on B, {result['decisions']} rejects on A: decision->socket p50/p99 "
                  f"{result['latency'].get('p50_ms')}/{result['latency'].get('p99_ms')} ms, missing {result['missing']}")
        target = "p99 < 200 ms"
    elif name == "agreement_api":
        cold = result["agreement_calls"][0]
        figure = (f"{result['items']:,} items x {result['answers_per_item']}: GET /agreement cold {cold['wall_s']} s "
                  f"(compute {cold['compute_ms']} ms), cached {result['agreement_calls'][1]['wall_s']} s; submit p99 "
                  f"{result['submits_quiet'].get('p99_ms')} ms quiet, {result['submits_during_recompute'].get('p99_ms')} "
                  f"ms during a recompute")
        target = "< 2 s"
    elif name == "queue_scan":
        figure = f"next, {result['items_per_project']:,} items half done: p50 {result['next']['p50_ms']} ms"
        return f"| {name} | {backend} | {figure} | (diagnostic) | |"
    else:
        figure = (f"{result['sockets']} sockets: p50/p99 {result['latency'].get('p50_ms')}/"
                  f"{result['latency'].get('p99_ms')} ms (COALESCE_SECONDS {result['coalesce_seconds'] * 1000:.0f} ms),"
                  f" missing {result['missing']}")
        target = "p99 < 250 ms"
    return f"| {name} | {backend} | {figure} | {target} | {verdict} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["postgres", "sqlite"], choices=["postgres", "sqlite"])
    parser.add_argument("--only", nargs="+", choices=list(FULL) + list(DIAGNOSTICS), default=None,
                        help="default: the targets (plus the diagnostics with --diagnostics)")
    parser.add_argument("--diagnostics", action="store_true",
                        help="also run bench.cycle_cost (CPU per cycle) and bench.queue_scan (queue query at scale)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=None, help="PostgreSQL server processes (default: each script's)")
    parser.add_argument("--app-root", default=None, help="passed on: serve the app from another checkout")
    args = parser.parse_args()
    names = args.only or (list(FULL) + (list(DIAGNOSTICS) if args.diagnostics else []))
    plan = QUICK if args.quick else FULL | DIAGNOSTICS
    started = time.time()
    rows, crashed = [], []
    for backend in args.backends:
        if backend == "postgres" and not (reachable(5432) and reachable(6379)):
            log("PostgreSQL or Redis is not reachable on 127.0.0.1: skipping the postgres backend")
            continue
        for name in names:
            if name in POSTGRES_ONLY and backend != "postgres":
                continue
            command = [str(BIN / "python"), "-m", f"bench.{name}", "--backend", backend, *plan[name]]
            if args.app_root:
                command += ["--app-root", args.app_root]
            if args.workers and backend == "postgres" and name not in POSTGRES_ONLY:
                command += ["--workers", str(args.workers)]
            log("running " + " ".join(command[1:]))
            since = time.time()
            done = subprocess.run(command, cwd=ROOT, timeout=3600)
            if done.returncode != 0:
                crashed.append(f"{name} {backend} (exit {done.returncode})")
            rows.append(line(name, backend, newest(name, backend, since)))
    print("\n| benchmark | backend | figure | target | verdict |\n| --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print(f"\n{len(rows)} runs in {(time.time() - started) / 60:.1f} min; results in {RESULTS.relative_to(ROOT)}/")
    if crashed:
        print("crashed: " + ", ".join(crashed))
        sys.exit(1)


if __name__ == "__main__":
    main()
