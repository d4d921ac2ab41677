"""Target 1: import 100k items through the public API, and export them again.

    .venv/bin/python -m bench.import_items --backend postgres|sqlite [--items 100000] [--repeat 3]

What it does: a fresh database and a real server (``inkwell serve``; PostgreSQL
with ``--workers 2`` by default, SQLite one process), an ops token, then
``--repeat`` times: a new project and one ``POST /api/v1/projects/{id}/items``
with ``--items`` JSONL lines (``Content-Type: application/x-ndjson``, ~190
bytes per item, ~19 MB for 100k). The figure is the wall time from sending
the request to the 201 (upload + parse + validate + insert + commit), client
on the same machine. Target: < 20 s for 100k.

Then the export of the first project (100k items, no annotations) through
``GET /api/v1/projects/{id}/export?format=jsonl``, time to the last byte, for
the peer comparison (a widely used peer takes ~4 minutes to export 50k).

For the breakdown it also times, in this process, ``parse_items`` on the same
body (the parse/validate share of the server's work; the rest is the upload
and the database inserts).
"""

from __future__ import annotations

import argparse
import time

from bench.common import (
    RawHttp,
    Server,
    add_common_args,
    create_project,
    import_jsonl,
    jsonl_items,
    log,
    measure_with_server,
    workers_for,
    write_result,
)


async def run(server: Server, token: str, items: int, repeat: int, export: bool) -> dict:
    ops = RawHttp(server.url, token)
    body = jsonl_items(items)
    log(f"body: {items} items, {len(body) / 1e6:.1f} MB")
    imports = []
    first_project = None
    for n in range(repeat):
        project_id = await create_project(ops, f"Import bench {n}")
        first_project = first_project or project_id
        started = time.perf_counter()
        result = await import_jsonl(ops, project_id, body)
        elapsed = time.perf_counter() - started
        assert result["created"] == items, result
        imports.append(round(elapsed, 3))
        log(f"import {n + 1}/{repeat}: {items} items in {elapsed:.2f} s ({items / elapsed:,.0f} items/s)")
    out = {"items": items, "body_bytes": len(body), "import_seconds": imports,
           "import_seconds_best": min(imports), "import_seconds_median": sorted(imports)[len(imports) // 2]}

    if export:
        exports = []
        for n in range(2):
            started = time.perf_counter()
            status, data = await ops.request("GET", f"/api/v1/projects/{first_project}/export?format=jsonl")
            elapsed = time.perf_counter() - started
            assert status == 200, (status, data[:200])
            lines = data.count(b"\n")
            assert lines == items, lines
            exports.append(round(elapsed, 3))
            log(f"export {n + 1}/2: {lines} items, {len(data) / 1e6:.1f} MB in {elapsed:.2f} s")
        out |= {"export_seconds": exports, "export_seconds_best": min(exports), "export_bytes": len(data)}
    await ops.close()

    # In-process: what parsing alone costs (one process, same body).
    from app.items.parsing import parse_items
    from bench.common import INTERFACE
    from components.base import Interface

    interface = Interface.from_specs(INTERFACE)
    started = time.perf_counter()
    records = parse_items(body, "jsonl", interface)
    out["parse_seconds_in_process"] = round(time.perf_counter() - started, 3)
    assert len(records) == items
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    result = measure_with_server(
        "import_items", args,
        lambda server, target, token: run(server, token, args.items, args.repeat, not args.no_export),
        workers=workers_for(args))
    result |= {"target_seconds": 20, "pass": result["import_seconds_median"] < 20}
    write_result("import_items", args.backend, result)
    print(f"import_items {args.backend}: {args.items} items median {result['import_seconds_median']} s "
          f"(best {result['import_seconds_best']} s), target < 20 s: {'PASS' if result['pass'] else 'FAIL'}; "
          f"export {result.get('export_seconds_best')} s")


if __name__ == "__main__":
    main()
