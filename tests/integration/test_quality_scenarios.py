"""Quality controls as scenarios through the public API, beyond test_quality_gate/test_quality_standing:
a benchmark retry after a cooldown, every linter rule type blocking or flagging as configured, the
quality config refusing what would switch a control off or make no sense, live changes logged as
events, the gold rate's decay, the configured recalibration point, and removal after a failed
recalibration set.

Gold items carry data "gold <n>" and production items "work <n>", so a test can tell what it was
given (the contributor cannot: see test_secrecy.py).
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.events.models import Event
from tests.integration.conftest import SENTIMENT_INTERFACE

QUIET_LINTER = {"type": "too_fast", "seconds": 0.001, "severity": "warning"}
ITEM_TEXT = "the soup arrived cold and the waiter never came back to our table"


def quality(benchmark: dict | None = None, gold: dict | None = None, linters: list | None = None) -> dict:
    return {"benchmark": {"size": 1, "pass_threshold": 1.0, "retry": "none"} | (benchmark or {}),
            "gold": gold or {}, "linters": linters if linters is not None else [QUIET_LINTER]}


async def launched(ops, controls: dict, *, gold: int, production: int, interface=None) -> int:
    """A live project with ``gold`` gold items (answer pos, explanation "why <n>") and ``production`` items."""
    project = await ops.ok("POST", "/projects", json={
        "name": "Scenario", "purpose": "Prove the quality controls", "guidelines": "# Sentiment",
        "interface": interface or SENTIMENT_INTERFACE, "quality": controls})
    pid = project["id"]
    if production:
        await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "work"},
                     json=[{"text": f"work {i} {ITEM_TEXT}"} for i in range(production)])
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"},
                 json=[{"data": {"text": f"gold {i}"}, "gold": {"sentiment": "pos"}, "explanation": f"why {i}"}
                       for i in range(gold)])
    await ops.ok("POST", f"/projects/{pid}/launch")
    return pid


def is_gold(assignment: dict) -> bool:
    return assignment["item"]["data"]["text"].startswith("gold")


async def lease(api, pid: int) -> dict:
    return (await api.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]


async def answer(api, pid: int, sentiment: str) -> dict:
    """Lease the next task and answer it; the assignment answered."""
    assignment = await lease(api, pid)
    await api.ok("POST", f"/assignments/{assignment['id']}/submit", json={"answer": {"sentiment": sentiment}})
    return assignment


async def answer_right(api, pid: int) -> dict:
    """Answer gold right (pos) and production anything (neu)."""
    assignment = await lease(api, pid)
    sentiment = "pos" if is_gold(assignment) else "neu"
    await api.ok("POST", f"/assignments/{assignment['id']}/submit", json={"answer": {"sentiment": sentiment}})
    return assignment


async def standing(api, pid: int) -> dict:
    return await api.ok("GET", f"/me/projects/{pid}/standing")


async def ops_row(ops, pid: int, user_id: int) -> dict:
    """The contributor's row in the ops table (the contributor's own record must not say "gold")."""
    table = await ops.ok("GET", f"/projects/{pid}/contributors")
    (row,) = [r for r in table["contributors"] if r["user_id"] == user_id]
    return row


async def events_of(db, project_id: int, action: str) -> list[Event]:
    async with db.transaction() as session:
        return list((await session.execute(select(Event).where(Event.project_id == project_id, Event.action == action)
                                           .order_by(Event.id))).scalars())


async def exported_annotation(ops, pid: int, annotation_id: int) -> dict:
    response = await ops.get(f"/projects/{pid}/export")
    assert response.status_code == 200, response.text
    for line in response.text.splitlines():
        for annotation in json.loads(line)["annotations"]:
            if annotation["id"] == annotation_id:
                return annotation
    raise AssertionError(f"annotation {annotation_id} is not in the export")


# -- the benchmark gate: retry after a cooldown --------------------------------------------------

async def test_a_failed_gate_may_be_retried_after_the_cooldown_with_fresh_items(ops, quick_user):
    cooldown_hours = 0.0003  # 1.08 s
    pid = await launched(ops, quality({"size": 2, "retry": "cooldown", "cooldown_hours": cooldown_hours}),
                         gold=5, production=2)
    _, carol = await quick_user("contributor", pid, qualified=False)
    first = [await answer(carol, pid, "neg") for _ in range(2)]
    assert all(is_gold(a) for a in first)

    refused = await carol.post(f"/projects/{pid}/next")
    assert refused.status_code == 409, refused.text
    message = refused.json()["error"]
    assert re.fullmatch(r"you did not pass the benchmark; you may try again after \d{4}-\d\d-\d\d \d\d:\d\d UTC",
                        message), message
    record = await standing(carol, pid)
    assert record["state"] == "pending_gate" and record["gate"]["score"] == 0.0
    assert record["reason"].startswith("not passed: 0% on the benchmark; 100% needed. You may try again")
    review = record["gate"]["review"]  # the decided attempt, with the right answers
    assert sorted(r["data"]["text"] for r in review) == sorted(a["item"]["data"]["text"] for a in first)
    assert all(r["correct_answer"]["sentiment"] == "pos" and r["explanation"].startswith("why") for r in review), review

    retry_at = datetime.fromisoformat(record["gate"]["retry_at"].replace("Z", "+00:00"))
    wait = (retry_at - datetime.now(timezone.utc)).total_seconds()
    assert 0 < wait <= cooldown_hours * 3600 + 0.1
    await asyncio.sleep(wait + 0.05)

    second = [await answer(carol, pid, "pos") for _ in range(2)]
    assert all(is_gold(a) for a in second)
    assert {a["item"]["id"] for a in second}.isdisjoint({a["item"]["id"] for a in first}), "a fresh sample"
    record = await standing(carol, pid)
    assert record["state"] == "qualified" and record["gate"]["attempt"] == 2 and record["gate"]["score"] == 1.0
    assert sorted(r["data"]["text"] for r in record["gate"]["review"]) == \
        sorted(a["item"]["data"]["text"] for a in second), "the review shows the attempt just decided"
    assert [f["title"] for f in record["feedback"]][:2] == ["You are qualified for production",
                                                            "Benchmark not passed yet"]


# -- linters: every rule type, as an error and as a warning ----------------------------------------

#: rule, answers to send (the last one breaks the rule; any before it must pass), an answer that
#: passes on the same task after an error (None: nothing can, the task is skipped), where the
#: finding sits, and its message (a regex when it starts with "re:"). "{text}" is the item's text.
LINTER_CASES = {
    "required": ({"type": "required", "field": "rationale"}, [{"sentiment": "pos"}],
                 {"sentiment": "pos", "rationale": "fine"}, "rationale", "required"),
    "min_length": ({"type": "min_length", "field": "rationale", "value": 10},
                   [{"sentiment": "pos", "rationale": "short"}], {"sentiment": "pos", "rationale": "long enough"},
                   "rationale", "at least 10 characters"),
    "max_length": ({"type": "max_length", "field": "rationale", "value": 12},
                   [{"sentiment": "pos", "rationale": "far more than twelve"}], {"sentiment": "pos", "rationale": "brief"},
                   "rationale", "at most 12 characters"),
    "must_match": ({"type": "must_match", "field": "rationale", "pattern": r"^[A-Z]{3}-\d+$",
                    "message": "write a ticket id like ABC-123"},
                   [{"sentiment": "pos", "rationale": "abc"}], {"sentiment": "pos", "rationale": "ABC-123"},
                   "rationale", "write a ticket id like ABC-123"),
    "must_not_match": ({"type": "must_not_match", "field": "rationale", "pattern": r"(?i)lorem"},
                       [{"sentiment": "pos", "rationale": "Lorem ipsum"}], {"sentiment": "pos", "rationale": "real"},
                       "rationale", "contains text that is not allowed"),
    "banned_phrases": ({"type": "banned_phrases", "field": "rationale", "phrases": ["as an ai"]},
                       [{"sentiment": "pos", "rationale": "As an AI, I say pos"}],
                       {"sentiment": "pos", "rationale": "I say pos"}, "rationale",
                       "contains the banned phrase “as an ai”"),
    "conditional": ({"type": "conditional", "if": {"field": "sentiment", "equals": "neg"},
                     "then": {"field": "rationale", "required": True}},
                    [{"sentiment": "neg"}], {"sentiment": "neg", "rationale": "rude staff"}, "rationale",
                    "required when sentiment is neg"),
    "too_fast": ({"type": "too_fast", "seconds": 60}, [{"sentiment": "pos"}], None, None,
                 r"re:answered in \d+\.\d s; the minimum is 60 s"),
    "copied_input": ({"type": "copied_input", "field": "rationale", "source": "text"},
                     [{"sentiment": "neg", "rationale": "{text}"}],
                     {"sentiment": "neg", "rationale": "cold food, slow service"}, "rationale",
                     "repeats the item's text"),
    "straight_lining": ({"type": "straight_lining", "field": "sentiment", "count": 3},
                        [{"sentiment": "pos"}, {"sentiment": "pos"}, {"sentiment": "pos"}], {"sentiment": "neg"},
                        "sentiment", "same answer 3 times in a row"),
}


def test_the_cases_cover_every_rule_type():
    from app.quality.linters import RULE_TYPES

    assert sorted(LINTER_CASES) == sorted(RULE_TYPES)


def _fill(answer: dict, assignment: dict) -> dict:
    return {k: v.replace("{text}", assignment["item"]["data"]["text"]) if isinstance(v, str) else v
            for k, v in answer.items()}


def _matches(message: str, expected: str) -> bool:
    return re.fullmatch(expected[3:], message) is not None if expected.startswith("re:") else message == expected


@pytest.mark.parametrize("severity", ["error", "warning"])
@pytest.mark.parametrize("kind", sorted(LINTER_CASES))
async def test_each_linter_rule_blocks_or_flags_with_its_message(ops, quick_user, kind, severity):
    rule, answers, fixed, field, message = LINTER_CASES[kind]
    pid = await launched(ops, quality(linters=[rule | {"severity": severity}]), gold=1, production=len(answers) + 1)
    _, fay = await quick_user("contributor", pid)  # past the gate: production items in import order
    for earlier in answers[:-1]:
        assignment = await lease(fay, pid)
        await fay.ok("POST", f"/assignments/{assignment['id']}/submit", json={"answer": _fill(earlier, assignment)})
    assignment = await lease(fay, pid)
    url = f"/assignments/{assignment['id']}/submit"
    response = await fay.post(url, json={"answer": _fill(answers[-1], assignment)})

    if severity == "error":
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["error"] == "the answer did not pass the project's checks"
        key = field or "answer"  # whole-answer rules sit on the answer
        assert list(body["errors"]) == [key] and _matches(body["errors"][key], message), body
        assert (await lease(fay, pid))["id"] == assignment["id"], "the task stays with them to fix"
        if fixed is None:
            await fay.ok("POST", f"/assignments/{assignment['id']}/skip")
            return
        stored = await fay.ok("POST", url, status=201, json={"answer": _fill(fixed, assignment)})
        assert (await exported_annotation(ops, pid, stored["annotation"]["id"]))["lint"] == []
    else:
        assert response.status_code == 201, response.text
        assert "lint" not in response.json()["annotation"]
        exported = await exported_annotation(ops, pid, response.json()["annotation"]["id"])
        [finding] = exported["lint"]
        assert finding | {"message": None} == {"rule": kind, "field": field, "severity": "warning", "message": None}
        assert _matches(finding["message"], message), finding
        record = await standing(fay, pid)
        assert record["warnings"] == 1 and record["flags"][0]["findings"] == [finding]


# -- the quality config ------------------------------------------------------------------------

INVALID_CONFIGS = [
    ({"gold": {"rate": 0}}, "quality.gold.rate", "must be a number above 0 to 1"),
    ({"gold": {"recalibrate_below": 0.5, "remove_below": 0.6}}, "quality.gold.remove_below",
     "must not be above recalibrate_below"),
    ({"gold": {"rate": 0.1, "min_rate": 0.2}}, "quality.gold.min_rate", "must not be above rate"),
    ({"gold": {"window": 3, "min_answers": 4}}, "quality.gold.min_answers", "must not be above window"),
    ({"gold": {"recalibrate_below": 0}}, "quality.gold.recalibrate_below", "must be a number above 0 to 1"),
    ({"gold": {"enabled": False}}, "quality.gold.enabled", "unknown setting"),
    ({"benchmark": {"pass_threshold": 0}}, "quality.benchmark.pass_threshold", "must be a number above 0 to 1"),
    ({"benchmark": {"size": 0}}, "quality.benchmark.size", "must be a whole number from 1 to 500"),
    ({"benchmark": {"retry": "always"}}, "quality.benchmark.retry", "must be one of: none, cooldown"),
    ({"extras": {}}, "quality.extras", "unknown section"),
    ({"linters": [{"type": "spellcheck"}]}, "quality.linters", 'linter 1: unknown type "spellcheck"; use one of: '),
    ({"linters": [QUIET_LINTER, {"type": "required", "field": "nope"}]}, "quality.linters",
     'linter 2 (required): field "nope" is not a field of the interface'),
    ({"linters": [{"type": "min_length", "field": "sentiment", "value": 3}]}, "quality.linters",
     'linter 1 (min_length): field "sentiment" is not a text field'),
    ({"linters": [{"type": "too_fast", "seconds": 3, "severity": "fatal"}]}, "quality.linters",
     'linter 1 (too_fast): severity must be "error" or "warning"'),
]


@pytest.mark.parametrize("controls,key,message", INVALID_CONFIGS, ids=[c[1] + ":" + c[2][:20] for c in INVALID_CONFIGS])
async def test_an_invalid_quality_config_is_422_naming_the_setting(ops, controls, key, message):
    response = await ops.post("/projects", json={"name": "Bad controls", "purpose": "Refused",
                                                 "interface": SENTIMENT_INTERFACE, "quality": controls})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "the quality controls are not valid"
    assert body["errors"][key].startswith(message), body["errors"]


async def test_a_live_projects_controls_can_be_tuned_and_every_change_is_an_event(ops, quick_user, db):
    before = quality({"size": 1, "pass_threshold": 0.5}, linters=[QUIET_LINTER])
    pid = await launched(ops, before, gold=2, production=3)
    ops_id = (await ops.ok("GET", "/me"))["id"]
    stricter = {"type": "min_length", "field": "rationale", "value": 5, "severity": "error"}
    after = quality({"size": 2, "pass_threshold": 0.9}, {"rate": 0.2, "min_rate": 0.05},
                    linters=[QUIET_LINTER, stricter])
    changed = await ops.ok("PATCH", f"/projects/{pid}", json={"quality": after})
    assert changed["status"] == "live"
    assert changed["quality"]["benchmark"]["size"] == 2 and changed["quality"]["gold"]["rate"] == 0.2
    assert changed["quality"]["linters"][1] == stricter

    [event] = await events_of(db, pid, "quality.updated")
    assert event.actor_id == ops_id and event.subject_type == "project" and event.subject_id == pid
    assert event.payload["before"]["benchmark"]["size"] == 1 and event.payload["after"]["benchmark"]["size"] == 2
    assert event.payload["after"]["linters"][1] == stricter

    # the same controls again change nothing, so they log nothing
    await ops.ok("PATCH", f"/projects/{pid}", json={"quality": after})
    assert len(await events_of(db, pid, "quality.updated")) == 1
    # an invalid change is refused whole: nothing stored, nothing logged
    refused = await ops.patch(f"/projects/{pid}", json={"quality": after | {"gold": {"rate": 0}}})
    assert refused.status_code == 422 and "quality.gold.rate" in refused.json()["errors"]
    assert (await ops.ok("GET", f"/projects/{pid}"))["quality"]["gold"]["rate"] == 0.2
    assert len(await events_of(db, pid, "quality.updated")) == 1

    # the new rule applies to the next answer at once
    _, fay = await quick_user("contributor", pid)
    assignment = await lease(fay, pid)
    blocked = await fay.post(f"/assignments/{assignment['id']}/submit",
                             json={"answer": {"sentiment": "pos", "rationale": "ok"}})
    assert blocked.status_code == 422 and blocked.json()["errors"] == {"rationale": "at least 5 characters"}


@pytest.mark.parametrize("change,named", [
    pytest.param({"benchmark": {"size": 1, "pass_threshold": 0.5}, "linters": []}, "linter", id="no-linters"),
    pytest.param({"benchmark": {"size": 5, "pass_threshold": 0.5}, "linters": [QUIET_LINTER]}, "gold",
                 id="benchmark-beyond-the-gold-items"),
])
async def test_a_live_projects_controls_cannot_drop_below_what_launch_requires(ops, db, change, named):
    """Issue: "Ops can tune every number; they cannot turn the controls off." Launch requires at least one
    linter rule and as many gold items as the benchmark size; a live project must not drop below that
    afterwards: no linters is linting switched off, and a benchmark larger than the gold items is a gate
    nobody can finish (a new contributor answers every gold item, then gets no task at all)."""
    pid = await launched(ops, quality({"size": 1, "pass_threshold": 0.5}), gold=1, production=1)
    response = await ops.patch(f"/projects/{pid}", json={"quality": change})
    assert response.status_code in (409, 422), \
        f"a live project's controls dropped below the launch requirements: {response.status_code} {response.text}"
    assert named in response.text, response.text
    stored = (await ops.ok("GET", f"/projects/{pid}"))["quality"]
    assert stored["linters"] == [QUIET_LINTER] and stored["benchmark"]["size"] == 1
    assert await events_of(db, pid, "quality.updated") == []


async def test_a_partial_quality_change_keeps_what_it_leaves_out(ops):
    """PATCH merges the quality object (JSON Merge Patch): a change to one number keeps the linters."""
    pid = await launched(ops, quality({"size": 1, "pass_threshold": 0.5}), gold=1, production=1)
    await ops.ok("PATCH", f"/projects/{pid}", json={"quality": {"gold": {"rate": 0.3}}})
    stored = (await ops.ok("GET", f"/projects/{pid}"))["quality"]
    assert stored["gold"]["rate"] == 0.3 and stored["linters"] == [QUIET_LINTER]
    assert stored["benchmark"]["size"] == 1 and stored["benchmark"]["pass_threshold"] == 0.5


# -- embedded gold -----------------------------------------------------------------------------

async def test_the_gold_rate_decays_as_gold_answers_accumulate(ops, quick_user):
    """rate 1.0 halving after every gold answer (decay_every 1): the first production slot is always a
    check, and production takes over fast. Without decay, the same rate serves only checks."""
    gold = {"rate": 1.0, "min_rate": 0.01, "decay_every": 1, "window": 20, "min_answers": 20,
            "recalibrate_below": 0.5, "remove_below": 0.1}
    decaying = await launched(ops, quality({"size": 1}, gold), gold=14, production=14)
    steady = await launched(ops, quality({"size": 1}, gold | {"decay_every": 100_000}), gold=8, production=6)
    for pid, tasks in ((decaying, 13), (steady, 6)):
        dan_user, dan = await quick_user("contributor", pid, qualified=False)
        assert is_gold(await answer_right(dan, pid))  # the benchmark
        served = [is_gold(await answer_right(dan, pid)) for _ in range(tasks)]
        if pid == steady:
            assert served == [True] * tasks, "no decay: every slot a check while unseen gold remains"
            continue
        assert served[0], "rate 1.0 before any gold answer: the first slot is a check"
        # after g gold answers the rate is 0.5**g: seven or more checks in the next twelve slots has
        # a chance of about 5 in a million, twelve when the rate does not decay
        assert served[1:].count(False) >= 6, served
        row = await ops_row(ops, pid, dan_user["id"])
        assert row["gold_answered"] == served.count(True) < 14 - 1, "unseen gold was left: decay, not exhaustion"


async def test_recalibration_starts_exactly_at_the_configured_point(ops, quick_user):
    """window 4, min_answers 4, recalibrate below 75%: nothing happens before 4 checks however low the
    accuracy, 75% is not below 75%, and the window slides (old checks stop counting)."""
    gold = {"rate": 1.0, "min_rate": 1.0, "window": 4, "min_answers": 4, "recalibrate_below": 0.75,
            "remove_below": 0.0, "recalibration_size": 1, "recalibration_pass": 1.0}
    pid = await launched(ops, quality({"size": 1}, gold), gold=9, production=2)
    eve_user, eve = await quick_user("contributor", pid, qualified=False)
    await answer(eve, pid, "pos")  # the gate
    steps = [("neg", "qualified", 0.0),       # below min_answers: nothing happens, even at 0%
             ("pos", "qualified", 0.5),
             ("pos", "qualified", 0.6667),
             ("pos", "qualified", 0.75),      # 4 checks, 3 right: 75% is not below 75%
             ("neg", "qualified", 0.75),      # the first (wrong) check left the window: still 3 of 4
             ("neg", "recalibrating", 0.5)]   # the last 4: pos pos neg neg
    for sentiment, state, accuracy in steps:
        assert is_gold(await answer(eve, pid, sentiment))
        row = await ops_row(ops, pid, eve_user["id"])
        assert (row["standing"], row["gold_accuracy"]) == (state, accuracy), (sentiment, row)
    assert row["reason"] == (await standing(eve, pid))["reason"] == ("gold accuracy 50% over your last 4 checks is below 75%: answer a short "
                                "recalibration set to return to production")
    assert is_gold(await answer(eve, pid, "pos"))  # the recalibration set (one item), passed
    record = await standing(eve, pid)
    assert record["state"] == "qualified" and record["reason"] == "passed: 100% on the recalibration set; 100% needed"


async def test_failing_the_recalibration_set_removes(ops, quick_user):
    gold = {"rate": 1.0, "min_rate": 1.0, "window": 1, "min_answers": 1, "recalibrate_below": 0.9,
            "remove_below": 0.0, "recalibration_size": 2, "recalibration_pass": 1.0}
    pid = await launched(ops, quality({"size": 1}, gold), gold=6, production=3)
    _, ivy = await quick_user("contributor", pid, qualified=False)
    await answer(ivy, pid, "pos")  # the gate
    check = await answer(ivy, pid, "neg")  # a failed check: 0% < 90%
    assert is_gold(check) and (await standing(ivy, pid))["state"] == "recalibrating"
    recalibration = [await answer(ivy, pid, s) for s in ("pos", "neg")]  # 50% < 100%
    assert all(is_gold(a) for a in recalibration)

    refused = await ivy.post(f"/projects/{pid}/next")
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == ("you were removed from this project: not passed: 50% on the "
                                       "recalibration set; 100% needed")
    record = await standing(ivy, pid)
    assert record["state"] == "removed"
    assert [f["title"] for f in record["feedback"]][:2] == ["Removed from this project", "Paused for recalibration"]
    assert (await ivy.post(f"/projects/{pid}/next")).status_code == 403, "removal holds"


# -- skipping -----------------------------------------------------------------------------------

async def test_skipping_benchmark_items_cannot_leave_the_gate_undecided(ops, quick_user):
    """A new contributor who skips a benchmark item must still meet a gate that gets decided. Gold items
    are never offered twice to a person, so with as many gold items as the benchmark size (all launch
    requires) one skip leaves too few: the contributor must not end up pending the gate with no task and
    no word of why. (More gold than the size lets a skip swap a hard item for an easier one instead.)"""
    pid = await launched(ops, quality({"size": 2, "pass_threshold": 0.5}), gold=2, production=2)
    _, sam = await quick_user("contributor", pid, qualified=False)
    first = await lease(sam, pid)
    assert is_gold(first)
    skipped = await sam.post(f"/assignments/{first['id']}/skip")
    if skipped.status_code == 409:  # skipping a benchmark item refused: fine, with a reason
        assert skipped.json()["error"]
        return
    assert skipped.status_code == 200, skipped.text
    await answer(sam, pid, "pos")
    after = await sam.post(f"/projects/{pid}/next")
    record = await standing(sam, pid)
    stuck = after.status_code == 204 and record["state"] == "pending_gate" and record["gate"]["retry_at"] is None
    assert not stuck, ("after one skipped benchmark item the gate can never be decided: /next answers 204 "
                       f"(\"All caught up\") while the standing stays {record['state']!r} with reason "
                       f"{record['reason']!r}")
