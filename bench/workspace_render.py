"""Issue 12: the workspace and review pages with a 20,000-character response and 200 spans.

    .venv/bin/python -m bench.workspace_render [--backend sqlite] [--requests 300] [--renders 300] [--loads 20]
        [--no-browser] [--no-access-log] [--app-root DIR]

Targets: server render p99 < 30 ms; first paint in Chromium < 300 ms.

Set-up, all through the public API of a real ``inkwell serve`` on a fresh database: a project whose
interface shows a ``prompt_response`` (a markdown response of exactly 20,000 characters: prose
paragraphs, a list and a fenced code block) and a ``spans`` field (three labels) marked on it, one
review stage sampling every answer and sending rejects back to their author. A contributor (made
through the API, signed in by password) passes the one-item benchmark, then answers an item with
200 spans; a reviewer leases its review. Three pages, each while it is the person's open work:

* ``review``: ``GET /projects/{id}/review/{review}``, the reviewer's page with the 200 spans
  (the widget, the list and the co-editing hooks);
* ``fix``: ``GET /projects/{id}/work`` holding the returned lease (the reviewer rejected the answer),
  so the workspace opens with the 200 spans filled in, as a contributor fixing it sees it;
* ``fresh``: ``GET /projects/{id}/work`` holding a new lease on the next item (the same 20k
  response, nothing marked yet): the everyday page.

Measured for each page:

* **server, over HTTP**: ``--requests`` GETs one after another from this process (a keep-alive
  connection with the person's bearer token, which pages accept like the session cookie), wall
  time from the request's first byte to the response's last; the server's CPU seconds over the loop
  (``CpuMeter``) divided by the requests;
* **in process**: the page's own reads in one transaction plus the Jinja render (what the handler
  does), and the template render alone with that context, ``--renders`` times each (wall and
  ``time.process_time``);
* **Chromium** (Debian's /usr/bin/chromium through Playwright, launched as tests/e2e/conftest.py
  does; signed in through the login form): ``--loads`` navigations to the page in one browser
  context after one warm-up (static files cached, as a contributor's second task), and the same
  number in a fresh context each time (nothing cached); for each, ``first-contentful-paint`` from
  ``performance.getEntriesByType('paint')``, the navigation's ``responseEnd`` and
  ``domContentLoadedEventEnd``, and when static/spans.js had the 200 spans highlighted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import (
    SECRET_KEY,
    CpuMeter,
    RawHttp,
    Server,
    add_common_args,
    api,
    log,
    measure_with_server,
    summary,
    workers_for,
    write_result,
)

CHROMIUM = os.environ.get("INKWELL_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PASSWORD = "bench-quiet-lantern-42"
RESPONSE_CHARS = 20_000
SPANS = 200
LABELS = ["PER", "ORG", "LOC"]
INTERFACE = [
    {"name": "pr", "type": "prompt_response", "value": "$prompt", "response": "$response"},
    {"name": "entities", "type": "spans", "target": "pr", "labels": LABELS, "max_spans": 500},
]
QUALITY = {"benchmark": {"size": 1, "pass_threshold": 0.5},
           "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]}
REVIEW = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}], "tags": []}
NOTHING_MARKED = {"entities": []}


def response_text(seed: int = 0) -> str:
    """Markdown of exactly RESPONSE_CHARS characters: paragraphs of prose, a list, a fenced code block."""
    sentence = ("Grace Hopper worked at Harvard with Howard Aiken on the Mark I in Cambridge, and later at "
                "Remington Rand in Philadelphia. ")
    code = "```python\ndef reverse(items):\n    return items[::-1]\n\nprint(reverse([1, 2, 3]))\n```\n\n"
    parts, size, n = [f"Answer {seed}.\n\n"], 0, 0
    while sum(map(len, parts)) < RESPONSE_CHARS:
        n += 1
        if n % 12 == 0:
            parts.append(code)
        elif n % 7 == 0:
            parts.append("".join(f"- item {k}: {sentence}\n" for k in range(3)) + "\n")
        else:
            parts.append(sentence * 4 + "\n\n")
    return "".join(parts)[:RESPONSE_CHARS]


def spans_on(text: str, count: int) -> list[dict[str, Any]]:
    """``count`` spans on names in the text, spread over all of it, labels in turn."""
    found, at = [], 0
    names = ("Grace Hopper", "Harvard", "Cambridge", "Howard Aiken", "Remington Rand", "Philadelphia")
    while True:
        hits = [(text.find(name, at), name) for name in names]
        hits = [(i, name) for i, name in hits if i != -1]
        if not hits:
            break
        start, name = min(hits)
        found.append((start, start + len(name)))
        at = start + len(name)
    step = len(found) / count
    chosen = [found[int(k * step)] for k in range(count)]
    return [{"label": LABELS[k % len(LABELS)], "start": s, "end": e} for k, (s, e) in enumerate(chosen)]


# -- set-up -------------------------------------------------------------------
async def make_person(ops: RawHttp, server: Server, project_id: int, role: str) -> dict[str, Any]:
    """A member made through the API with a password (the browser signs in with it) and a token."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@bench.local"
    user = await api(ops, "POST", "/users", json_body={"email": email, "name": f"Bench {role}", "password": PASSWORD,
                                                      "role": role})
    await api(ops, "POST", f"/projects/{project_id}/members", json_body={"user_id": user["id"], "role": role})
    anonymous = RawHttp(server.url)
    token = (await api(anonymous, "POST", "/auth/token", json_body={"email": email, "password": PASSWORD}))["token"]
    await anonymous.close()
    return {"id": user["id"], "email": email, "token": token, "http": RawHttp(server.url, token)}


async def set_up(server: Server, token: str) -> dict[str, Any]:
    ops = RawHttp(server.url, token)
    project = await api(ops, "POST", "/projects", json_body={
        "name": "Workspace render bench", "purpose": "Mark the names in long answers",
        "guidelines": "# Names\n\nMark every **person**, organisation and place.", "overlap": 1,
        "interface": INTERFACE, "quality": QUALITY, "review": REVIEW})
    pid = project["id"]
    items = [{"prompt": f"Tell me about computing pioneers ({n})", "response": response_text(n)} for n in (1, 2)]
    await api(ops, "POST", f"/projects/{pid}/items?batch=b1", json_body=items)
    await api(ops, "POST", f"/projects/{pid}/items?batch=gold", json_body=[
        {"data": {"prompt": "gold", "response": "Nobody is named here."}, "gold": NOTHING_MARKED,
         "explanation": "Nothing to mark."}])
    await api(ops, "POST", f"/projects/{pid}/launch", expect=(200,))
    contributor = await make_person(ops, server, pid, "contributor")
    reviewer = await make_person(ops, server, pid, "reviewer")
    await ops.close()
    work = contributor["http"]
    gold = (await api(work, "POST", f"/projects/{pid}/next"))["assignment"]
    await api(work, "POST", f"/assignments/{gold['id']}/submit", json_body={"answer": NOTHING_MARKED},
              headers={"Idempotency-Key": uuid.uuid4().hex})
    lease = await api(work, "POST", f"/projects/{pid}/next")
    text = lease["item"]["data"]["response"] if "item" in lease else items[0]["response"]
    answer = {"entities": spans_on(text, SPANS)}
    await api(work, "POST", f"/assignments/{lease['assignment']['id']}/submit", json_body={"answer": answer},
              headers={"Idempotency-Key": uuid.uuid4().hex})
    review = (await api(reviewer["http"], "POST", f"/projects/{pid}/reviews/next", expect=(200,)))["review"]
    log(f"project {pid}: a 200-span answer on a {len(text):,}-character response, review {review['id']} leased")
    return {"project_id": pid, "contributor": contributor, "reviewer": reviewer, "review_id": review["id"],
            "answer": answer, "response_chars": len(text)}


async def reject_to_author(setup: dict[str, Any]) -> None:
    """The reviewer sends the answer back: the contributor's next lease is the fix, 200 spans filled in."""
    await api(setup["reviewer"]["http"], "POST", f"/reviews/{setup['review_id']}/decide", expect=(200,),
              json_body={"decision": "reject", "comment": "Two names are missing."})
    fix = await api(setup["contributor"]["http"], "POST", f"/projects/{setup['project_id']}/next")
    setup["fix_assignment"] = fix["assignment"]["id"]


async def move_to_fresh_lease(setup: dict[str, Any]) -> None:
    """The fix resubmitted; the contributor's next lease is the second item, nothing marked."""
    work = setup["contributor"]["http"]
    await api(work, "POST", f"/assignments/{setup['fix_assignment']}/submit", json_body={"answer": setup["answer"]},
              headers={"Idempotency-Key": uuid.uuid4().hex})
    await api(work, "POST", f"/projects/{setup['project_id']}/next")


# -- the server over HTTP -----------------------------------------------------
async def http_page(server: Server, client: RawHttp, path: str, requests: int, spans: int) -> dict[str, Any]:
    status, body = await client.request("GET", path)  # warm: templates compiled, connection open
    assert status == 200, (status, body[:300])
    shown = body.count(b'class="span-item"')
    assert shown == spans, f"{path} shows {shown} spans, not {spans}"
    meter = CpuMeter(server)
    times = []
    meter.start()
    for _ in range(requests):
        started = time.perf_counter()
        status, body = await client.request("GET", path)
        times.append(time.perf_counter() - started)
        assert status == 200, status
    cpu = meter.stop()
    return {"path": path, "bytes": len(body), "wall": summary(times),
            "server_cpu_ms_per_request": round(cpu["server"] * 1000 / requests, 2), "cpu": cpu}


# -- in process: the handler's reads and the template ------------------------
class InProcess:
    """The pages' contexts built the way their handlers build them, against the same database."""

    def __init__(self, target):
        import app.models  # noqa: F401
        from app.db import Database
        from app.web.templating import standalone_templates

        self.db = Database(target.async_url)
        self.templates = standalone_templates()
        self.globals = {"csrf_token": lambda: "bench-csrf", "csrf_input": ""}

    async def workspace_context(self, project_id: int, user_id: int) -> dict[str, Any]:
        from app.accounts.models import User
        from app.models_base import utcnow
        from app.projects.service import get_project
        from app.quality.standings import live_standing
        from app.work import service
        from app.work.pages import _guidelines, _task_context

        async with self.db.transaction() as session:
            user = await session.get(User, user_id)
            project = await get_project(session, project_id)
            guidelines = await _guidelines(session, project)
            lease = await service.current_lease(session, project_id, user_id, utcnow())
            me = await live_standing(session, project_id, user_id)
        assert lease is not None
        return {"user": user, "guidelines": guidelines, "me": me, **_task_context(project, lease)}

    async def review_context(self, project_id: int, review_id: int, user_id: int) -> dict[str, Any]:
        from app.accounts.models import User
        from app.projects.service import get_project, interface_of
        from app.review import service
        from app.review.views import review_json, shown_lease

        async with self.db.transaction() as session:
            user = await session.get(User, user_id)
            project = await get_project(session, project_id)
            task = await service.review_task(session, review_id)
            lease = await shown_lease(session, task)
            review = await review_json(session, lease, project, SECRET_KEY)
        return {"user": user, "project": project, "review": review, "interface": interface_of(project),
                "answer": review["answer"], "comment": "", "chosen_tags": [], "errors": {}, "open_to_me": True,
                "coediting": False, "shown_for_assignment": lease.annotation.assignment_id}

    async def measure(self, template_name: str, build, renders: int) -> dict[str, Any]:
        template = self.templates.get_template(template_name)
        context = await build()
        html = template.render(**context, **self.globals)  # warm
        whole, whole_cpu, alone, alone_cpu = [], [], [], []
        for _ in range(renders):
            began, cpu = time.perf_counter(), time.process_time()
            template.render(**(await build()), **self.globals)
            whole.append(time.perf_counter() - began)
            whole_cpu.append(time.process_time() - cpu)
        for _ in range(renders):
            began, cpu = time.perf_counter(), time.process_time()
            template.render(**context, **self.globals)
            alone.append(time.perf_counter() - began)
            alone_cpu.append(time.process_time() - cpu)
        return {"template": template_name, "html_bytes": len(html.encode()),
                "reads_and_render": summary(whole), "reads_and_render_cpu": summary(whole_cpu),
                "template_only": summary(alone), "template_only_cpu": summary(alone_cpu)}

    async def close(self) -> None:
        await self.db.dispose()


# -- Chromium -----------------------------------------------------------------
# The first contentful paint may come after the load event: wait for its entry (buffered observer).
PAINT = """() => new Promise((resolve) => {
  const nav = performance.getEntriesByType('navigation')[0];
  const done = (fcp) => resolve({fcp, response_end: nav.responseEnd,
                                 dom_content_loaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd});
  new PerformanceObserver((list) => {
    const paint = list.getEntries().find((e) => e.name === 'first-contentful-paint');
    if (paint) done(paint.startTime);
  }).observe({type: 'paint', buffered: true});
  setTimeout(() => done(null), 10000);
})"""
SPANS_SHOWN = f"""() => {{
  const h = window.CSS && CSS.highlights && CSS.highlights.get('inkwell-spans');
  return h && h.size >= {SPANS} ? performance.now() : null;
}}"""


class Browser:
    def __init__(self, base_url: str):
        from playwright.sync_api import sync_playwright

        self.base_url = base_url
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.states: dict[str, Any] = {}

    def sign_in(self, person: dict[str, Any]) -> None:
        context = self.browser.new_context(base_url=self.base_url, viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(person["email"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector(".whoami")
        self.states[person["email"]] = context.storage_state()
        context.close()

    def _load(self, page, path: str, spans: bool) -> dict[str, float | None]:
        page.goto(path, wait_until="load")
        figures = page.evaluate(PAINT)
        if spans:
            page.wait_for_function(SPANS_SHOWN, timeout=30_000)
            figures["spans_highlighted"] = page.evaluate(SPANS_SHOWN)
        return figures

    def measure(self, person: dict[str, Any], path: str, loads: int, spans: bool) -> dict[str, Any]:
        state = self.states[person["email"]]
        out: dict[str, Any] = {}
        context = self.browser.new_context(base_url=self.base_url, storage_state=state,
                                           viewport={"width": 1280, "height": 860})
        page = context.new_page()
        self._load(page, path, spans)  # warm-up: static files cached from here on
        warm = [self._load(page, path, spans) for _ in range(loads)]
        context.close()
        cold = []
        for _ in range(loads):
            context = self.browser.new_context(base_url=self.base_url, storage_state=state,
                                               viewport={"width": 1280, "height": 860})
            cold.append(self._load(context.new_page(), path, spans))
            context.close()
        for name, runs in (("warm", warm), ("cold", cold)):
            out[name] = {key: summary([r[key] / 1000 for r in runs if r.get(key) is not None])
                         for key in runs[0]}
        return out

    def close(self) -> None:
        self.browser.close()
        self.playwright.stop()


# -- the run ------------------------------------------------------------------
async def run(server: Server, target, token: str, args) -> dict[str, Any]:
    setup = await set_up(server, token)
    pid = setup["project_id"]
    contributor, reviewer = setup["contributor"], setup["reviewer"]
    browser = None
    # Playwright's sync API stays on the thread that started it: one thread of its own for every call.
    browser_thread = ThreadPoolExecutor(max_workers=1)

    async def in_browser(call, *arguments):
        return await asyncio.get_running_loop().run_in_executor(browser_thread, call, *arguments)

    if not args.no_browser:
        browser = await in_browser(Browser, server.url)
        for person in (contributor, reviewer):
            await in_browser(browser.sign_in, person)
    in_process = InProcess(target)
    pages: dict[str, Any] = {}

    async def measure(name: str, person: dict[str, Any], path: str, template: str, build, spans: bool) -> None:
        figures = {"http": await http_page(server, person["http"], path, args.requests, SPANS if spans else 0)}
        log(f"{name}: HTTP {figures['http']['wall']} ({figures['http']['bytes']:,} bytes; server CPU "
            f"{figures['http']['server_cpu_ms_per_request']} ms/request)")
        figures["in_process"] = await in_process.measure(template, build, args.renders)
        log(f"{name}: in process reads+render {figures['in_process']['reads_and_render']}; "
            f"template only {figures['in_process']['template_only']}")
        if browser is not None:
            figures["chromium"] = await in_browser(browser.measure, person, path, args.loads, spans)
            log(f"{name}: Chromium FCP warm {figures['chromium']['warm']['fcp']}; cold {figures['chromium']['cold']['fcp']}")
        pages[name] = figures

    try:
        await measure("review", reviewer, f"/projects/{pid}/review/{setup['review_id']}", "review/task.html",
                      lambda: in_process.review_context(pid, setup["review_id"], reviewer["id"]), True)
        await reject_to_author(setup)
        await measure("fix", contributor, f"/projects/{pid}/work", "work/workspace.html",
                      lambda: in_process.workspace_context(pid, contributor["id"]), True)
        await move_to_fresh_lease(setup)
        await measure("fresh", contributor, f"/projects/{pid}/work", "work/workspace.html",
                      lambda: in_process.workspace_context(pid, contributor["id"]), False)
    finally:
        await in_process.close()
        for person in (contributor, reviewer):
            await person["http"].close()
        if browser is not None:
            await in_browser(browser.close)
        browser_thread.shutdown()
    return {"response_chars": setup["response_chars"], "spans": SPANS, "requests": args.requests,
            "renders": args.renders, "loads": args.loads, "pages": pages}


def verdict(result: dict[str, Any]) -> dict[str, Any]:
    pages = result["pages"]
    render_p99 = max(p["http"]["wall"]["p99_ms"] for p in pages.values())
    paints = [p["chromium"][kind]["fcp"]["p99_ms"] for p in pages.values() if "chromium" in p
              for kind in ("warm", "cold")]
    return {"targets": {"server_render_p99_ms": 30, "first_paint_ms": 300},
            "server_render_p99_ms": render_p99, "server_render_pass": render_p99 < 30,
            "first_paint_p99_ms": max(paints) if paints else None,
            "first_paint_pass": (max(paints) < 300) if paints else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.set_defaults(backend="sqlite")
    for action in parser._actions:
        if action.dest == "backend":
            action.required = False
    parser.add_argument("--requests", type=int, default=300, help="GETs of each page over HTTP")
    parser.add_argument("--renders", type=int, default=300, help="in-process renders of each page")
    parser.add_argument("--loads", type=int, default=20, help="Chromium loads of each page, warm and cold each")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    result = measure_with_server("workspace_render", args, lambda server, target, token: run(server, target, token, args),
                                 workers=workers_for(args))
    result |= verdict(result)
    write_result("workspace_render", args.backend, result)
    for name, page in result["pages"].items():
        line = (f"{name}: HTTP p50/p99 {page['http']['wall']['p50_ms']}/{page['http']['wall']['p99_ms']} ms "
                f"(server CPU {page['http']['server_cpu_ms_per_request']} ms/req); template only p50/p99 "
                f"{page['in_process']['template_only']['p50_ms']}/{page['in_process']['template_only']['p99_ms']} ms")
        if "chromium" in page:
            warm, cold = page["chromium"]["warm"]["fcp"], page["chromium"]["cold"]["fcp"]
            line += (f"; FCP warm p50/p99 {warm['p50_ms']}/{warm['p99_ms']} ms, cold {cold['p50_ms']}/"
                     f"{cold['p99_ms']} ms")
        print(line)
    print(f"server render p99 < 30 ms: {'PASS' if result['server_render_pass'] else 'FAIL'}; first paint < 300 ms: "
          f"{'n/a' if result['first_paint_pass'] is None else 'PASS' if result['first_paint_pass'] else 'FAIL'}; "
          f"load {result['load_before']} -> {result['load_after']}")


if __name__ == "__main__":
    main()
