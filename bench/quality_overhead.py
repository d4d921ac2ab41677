"""What the quality controls add to a submit: linting, gold scoring and the standing update.

    .venv/bin/python -m bench.quality_overhead --backend sqlite|postgres [--cycles 1500]

Runs the real services in-process against a fresh database (no HTTP, so the
figure is the controls' own cost, not the network's): a project with ten
linter rules of every kind (including straight-lining, which reads the
person's recent answers, and copied-input on a long text), embedded gold at a
20 % rate, and 20 qualified contributors taking turns. Each submit is timed in
full, and the time spent inside the quality functions it calls
(``quality.recent_answers``, ``quality.lint``, ``quality.gold_score``, ``quality.after_answer``: gold
scoring, rolling accuracy, standing and feedback rows) is timed separately.
Target (issue 3): the quality work adds < 5 ms p99 to a submit.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from typing import Any

from bench.common import log, prepare_target, summary, write_result

LINTERS = [
    {"type": "required", "field": "rationale", "severity": "warning"},
    {"type": "min_length", "field": "rationale", "value": 10, "severity": "warning"},
    {"type": "max_length", "field": "rationale", "value": 400, "severity": "error"},
    {"type": "must_match", "field": "rationale", "pattern": r"\w+", "severity": "warning"},
    {"type": "must_not_match", "field": "rationale", "pattern": r"(?i)lorem ipsum", "severity": "error"},
    {"type": "banned_phrases", "field": "rationale", "phrases": ["as an ai", "i cannot", "n/a", "see above"],
     "severity": "error"},
    {"type": "conditional", "if": {"field": "sentiment", "equals": "neg"}, "then": {"field": "rationale", "required": True},
     "severity": "error"},
    {"type": "too_fast", "seconds": 0.5, "severity": "warning"},
    {"type": "copied_input", "field": "rationale", "source": "text", "severity": "warning"},
    {"type": "straight_lining", "count": 6, "severity": "warning"},
]
INTERFACE = [
    {"name": "sentiment", "type": "choice", "options": ["pos", "neg", "neu"]},
    {"name": "rationale", "type": "text", "required": False, "max_length": 400},
]
QUALITY = {"benchmark": {"size": 5}, "gold": {"rate": 0.2, "min_rate": 0.2, "window": 20, "min_answers": 5,
                                                 "recalibrate_below": 0.01, "remove_below": 0.0},
           "linters": LINTERS}
REVIEW = ("The customer writes that the coffee maker stopped heating after two weeks and that support has not "
          "answered three emails; they ask for a refund and say they will not buy from this shop again. ")


class Stopwatch:
    """Wraps module functions and adds up the time spent in them for the current submit."""

    def __init__(self, module: Any, names: list[str]):
        self.spent = 0.0
        self.by_name: dict[str, list[float]] = {name: [] for name in names}
        for name in names:
            setattr(module, name, self._wrap(name, getattr(module, name)))

    def _add(self, name: str, seconds: float) -> None:
        self.spent += seconds
        self.by_name[name].append(seconds)

    def _wrap(self, name: str, fn):
        if asyncio.iscoroutinefunction(fn):
            async def timed(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return await fn(*args, **kwargs)
                finally:
                    self._add(name, time.perf_counter() - start)
        else:
            def timed(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    self._add(name, time.perf_counter() - start)
        return timed


async def run(target: Any, cycles: int) -> dict[str, Any]:
    from app.accounts.models import Membership, User
    from app.accounts.passwords import hash_password
    from app.db import Database
    from app.items.parsing import parse_items
    from app.items.service import import_records
    from app.models_base import utcnow
    from app.projects.service import create_project, interface_of, set_status
    from app.quality import service as quality
    from app.quality.models import Standing
    from app.work import service as work

    backend = target.backend
    db = Database(target.async_url)
    rng = random.Random(3)
    try:
        async with db.transaction() as session:
            ops = User(email="ops@bench.local", name="Ops", password_hash=hash_password("x" * 12), is_ops=True)
            session.add(ops)
            await session.flush()
            project = await create_project(session, actor=ops, name="Quality bench", purpose="measure",
                                           guidelines="# g", interface=INTERFACE, quality=QUALITY)
            lines = [f'{{"text": "{REVIEW} #{i}"}}' for i in range(cycles + 100)]
            lines += [f'{{"data": {{"text": "{REVIEW} gold {i}"}}, "gold": {{"sentiment": "neg", "rationale": '
                      f'"no refund and no answer"}}, "explanation": "negative"}}' for i in range(cycles // 3)]
            records = parse_items("\n".join(lines).encode(), "jsonl", interface_of(project))
            await import_records(session, project, records, batch_name="b", actor=ops)
            await set_status(session, project, "live", actor=ops)
            people = []
            for n in range(20):
                person = User(email=f"c{n}@bench.local", name=f"C{n}", password_hash=ops.password_hash)
                session.add(person)
                await session.flush()
                session.add(Membership(project_id=project.id, user_id=person.id, role="contributor"))
                session.add(Standing(project_id=project.id, user_id=person.id, state="qualified",
                                     window_start_at=utcnow(), guidelines_acknowledged=project.guideline_version))
                people.append(person)
        watch = Stopwatch(quality, ["recent_answers", "lint", "gold_score", "after_answer"])
        submits, added, gold_submits = [], [], 0
        log(f"{backend}: {cycles} next+submit cycles through the services")
        for i in range(cycles):
            person = people[i % len(people)]
            async with db.transaction() as session:
                project = await session.get(type(project), project.id)
                lease = await work.next_lease(session, project, person)
            if lease is None:
                break
            answer = {"sentiment": rng.choice(["pos", "neg", "neu"]),
                      "rationale": rng.choice(["delivery was late and nobody answered", "great product, works",
                                               "the customer is angry about the refund policy"])}
            watch.spent = 0.0
            start = time.perf_counter()
            async with db.transaction() as session:
                await work.submit(session, lease.assignment.id, person, answer, idempotency_key=f"k{i}")
            submits.append(time.perf_counter() - start)
            added.append(watch.spent)
            gold_submits += lease.assignment.stage != "annotate"
        result = {"backend": backend, "cycles": len(submits), "gold_checks": gold_submits, "linters": len(LINTERS),
                  "submit": summary(submits), "quality_added": summary(added),
                  "by_function": {name: summary(values) for name, values in watch.by_name.items()},
                  "target": "quality work adds < 5 ms p99 to a submit"}
        result["pass"] = result["quality_added"]["p99_ms"] < 5.0
        return result
    finally:
        await db.dispose()
        target.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--cycles", type=int, default=1500)
    args = parser.parse_args()
    target = prepare_target(args.backend)  # outside the event loop: it runs its own for PostgreSQL
    result = asyncio.run(run(target, min(args.cycles, 20_000)))
    path = write_result("quality_overhead", args.backend, result)
    log(f"quality work per submit: {result['quality_added']}; submit: {result['submit']} -> {path}")
    for name, numbers in result["by_function"].items():
        log(f"  {name}: p50 {numbers.get('p50_ms')} ms, p99 {numbers.get('p99_ms')} ms")


if __name__ == "__main__":
    main()
