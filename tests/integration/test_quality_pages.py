"""The quality pages, driven as a browser would: the ops editor, the contributors table with overrides,
a contributor's own record, and the contributors section of the live board."""

from __future__ import annotations

import asyncio
import html
import re
import time

import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect

from app.events.models import Event
from tests.integration.test_project_pages import SCRIPT
from tests.integration.test_quality_gate import GATE, answer, gated_project


NUMBERS = {"benchmark-size": "3", "benchmark-pass_threshold": "90", "benchmark-retry": "none",
           "benchmark-cooldown_hours": "12", "gold-rate": "20", "gold-min_rate": "5", "gold-decay_every": "40",
           "gold-window": "8", "gold-min_answers": "4", "gold-recalibrate_below": "70", "gold-remove_below": "30",
           "gold-recalibration_size": "2", "gold-recalibration_pass": "75"}


def rule_fields(key: int, **values: str) -> list[tuple[str, str]]:
    return [("rule", str(key))] + [(f"rule-{key}-{name}", value) for name, value in values.items()]


def editor_form(numbers: dict[str, str] | None = None, rules: list[tuple[str, str]] | None = None) -> list:
    return list((numbers or NUMBERS).items()) + (rules if rules is not None else rule_fields(
        0, type="too_fast", seconds="2", severity="warning"))


def value_of(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    assert match, f"no input {name}"
    return html.unescape(match.group(1))


async def events_of(db, project_id: int, action: str) -> list[Event]:
    async with db.transaction() as session:
        return list((await session.execute(select(Event).where(Event.project_id == project_id, Event.action == action)
                                           .order_by(Event.id))).scalars())


# -- the editor ---------------------------------------------------------------------------------


async def test_ops_edit_every_number_and_the_rules_through_the_form(browser, new_project, ops, db):
    project = await new_project(items=1, launch=True)  # live: changes are allowed and are events
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"},  # enough for a benchmark of 3
                 json=[{"data": {"text": f"more gold {i}"}, "gold": {"sentiment": "neg"}} for i in range(2)])
    page = await browser.get(f"/projects/{pid}/quality")
    assert page.status_code == 200
    assert "Pass threshold" in page.text
    assert "share of benchmark answers that must match the gold answer" in page.text.lower()
    assert value_of(page.text, "benchmark-pass_threshold") == "50"  # QUIET_QUALITY's 0.5, as a percentage
    assert 'name="rule-0-type"' in page.text and 'name="rule-0-seconds"' in page.text

    rules = (rule_fields(0, type="min_length", field="rationale", value="10", severity="warning", message="Say more")
             + rule_fields(7, type="conditional", if_field="sentiment", if_test="equals", if_value="neg",
                           then_field="rationale", then_test="required", severity="error")
             + rule_fields(3, type="banned_phrases", field="rationale", phrases="as an AI\n\nlorem ipsum",
                           severity="error"))
    saved = await browser.post(f"/projects/{pid}/quality", editor_form(rules=rules))
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/projects/{pid}/quality?saved=true"

    quality = (await ops.ok("GET", f"/projects/{pid}"))["quality"]
    assert quality["benchmark"] == {"size": 3, "pass_threshold": 0.9, "retry": "none", "cooldown_hours": 12.0,
                                    "reuse_seen_gold": False}
    assert quality["gold"] == {"rate": 0.2, "min_rate": 0.05, "decay_every": 40, "window": 8, "min_answers": 4,
                               "recalibrate_below": 0.7, "remove_below": 0.3, "recalibration_size": 2,
                               "recalibration_pass": 0.75, "recalibration_reuse_seen_gold": False}
    assert quality["linters"] == [
        {"type": "min_length", "severity": "warning", "message": "Say more", "field": "rationale", "value": 10},
        {"type": "conditional", "severity": "error", "if": {"field": "sentiment", "equals": "neg"},
         "then": {"field": "rationale", "required": True}},
        {"type": "banned_phrases", "severity": "error", "field": "rationale", "phrases": ["as an AI", "lorem ipsum"]},
    ]
    [event] = await events_of(db, pid, "quality.updated")
    assert event.payload["after"] == quality and event.payload["before"]["benchmark"]["size"] == 1

    again = await browser.get(f"/projects/{pid}/quality?saved=true")
    assert "Saved." in again.text
    assert value_of(again.text, "gold-rate") == "20" and value_of(again.text, "benchmark-size") == "3"
    assert value_of(again.text, "rule-1-if_value") == "neg"  # rows come back from what is stored
    assert "as an AI\nlorem ipsum" in again.text

    # Saving the same values again changes nothing: no second quality event.
    stored = await browser.post(f"/projects/{pid}/quality", editor_form(rules=rules))
    assert stored.status_code == 303
    assert len(await events_of(db, pid, "quality.updated")) == 1


async def test_a_refused_form_keeps_every_value_and_shows_the_error_at_the_field(browser, new_project, ops, db):
    project = await new_project()
    pid = project["id"]
    before = (await ops.ok("GET", f"/projects/{pid}"))["quality"]
    numbers = NUMBERS | {"gold-rate": "0", "gold-window": "8", "benchmark-size": "4"}
    rules = (rule_fields(0, type="too_fast", seconds="2", severity="warning")
             + rule_fields(4, type="min_length", field="rationale", value="-3", severity="error",
                           message=SCRIPT))
    refused = await browser.post(f"/projects/{pid}/quality", editor_form(numbers, rules))
    assert refused.status_code == 422
    page = refused.text
    # the gold rate's error sits at its input, worded in percentages
    assert re.search(r'id="q-gold-rate-error"[^>]*>must be a percentage above 0 to 100<', page), page
    assert 'id="q-gold-rate"' in page and 'aria-invalid="true"' in page
    # the linters error names the rule and is shown in that row (the second one)
    second_row = page[page.index('id="rule-4"'):]
    assert "value must be at least 1" in second_row[:2000]
    assert 'linter 2 (min_length)' in page
    # everything typed is kept, escaped
    assert value_of(page, "gold-rate") == "0" and value_of(page, "benchmark-size") == "4"
    assert value_of(page, "rule-4-value") == "-3" and value_of(page, "rule-0-seconds") == "2"
    assert SCRIPT not in page and "&lt;script&gt;" in page
    assert 'value="none" checked' in page  # the retry choice
    # nothing was saved, nothing logged
    assert (await ops.ok("GET", f"/projects/{pid}"))["quality"] == before
    assert await events_of(db, pid, "quality.updated") == []


async def test_a_live_project_keeps_what_launch_required(browser, new_project, ops):
    project = await new_project(items=1, launch=True)  # one gold item
    pid = project["id"]
    refused = await browser.post(f"/projects/{pid}/quality", editor_form(rules=[]))
    assert refused.status_code == 422 and "linters cannot be switched off" in refused.text
    assert (await ops.ok("GET", f"/projects/{pid}"))["quality"]["linters"]
    # a benchmark larger than the gold items could never be finished: refused, shown at the size
    too_big = await browser.post(f"/projects/{pid}/quality", editor_form(NUMBERS | {"benchmark-size": "4"}))
    assert too_big.status_code == 422
    assert re.search(r'id="q-benchmark-size-error"[^>]*>import at least 4 gold items', too_big.text), too_big.text
    assert (await ops.ok("GET", f"/projects/{pid}"))["quality"]["benchmark"]["size"] == 1


async def test_rule_rows_and_the_recommended_rules_come_from_the_row_route(browser, new_project):
    project = await new_project()
    pid = project["id"]
    row = await browser.get(f"/projects/{pid}/quality/rule-row", params={"index": 5, "add": "true",
                                                                         "new_rule_type": "conditional"})
    assert row.status_code == 200
    assert 'id="rule-5"' in row.text and 'name="rule-5-if_field"' in row.text
    assert 'id="rule-add" hx-swap-oob="true"' in row.text and "index=6" in row.text
    assert "One of: pos, neg, neu" not in row.text  # no field chosen yet
    chosen = await browser.get(f"/projects/{pid}/quality/rule-row", params={
        "index": 5, "rule-5-type": "conditional", "rule-5-if_field": "sentiment", "rule-5-if_test": "in"})
    assert "One of: pos, neg, neu" in chosen.text and '<textarea id="rule-5-if_value"' in chosen.text

    # a type change redraws the row, keeping what both types share
    redrawn = await browser.get(f"/projects/{pid}/quality/rule-row", params={
        "index": 5, "rule-5-type": "min_length", "rule-5-severity": "warning", "rule-5-message": "keep me"})
    assert 'name="rule-5-value"' in redrawn.text and 'value="keep me"' in redrawn.text
    assert 'name="rule-5-if_field"' not in redrawn.text and "hx-swap-oob" not in redrawn.text

    # recommended rules not yet present (the project already has too_fast)
    recommended = await browser.get(f"/projects/{pid}/quality/rule-row", params=[
        ("index", "1"), ("recommended", "true"), ("rule", "0"), ("rule-0-type", "too_fast")])
    assert 'data-type="straight_lining"' in recommended.text and 'data-type="too_fast"' not in recommended.text

    # without JavaScript the same buttons post the form: rows are added, nothing is saved
    page = await browser.post(f"/projects/{pid}/quality", editor_form() + [("action", "add-recommended")])
    assert page.status_code == 200 and page.text.count('class="field-row rule-row') == 2


async def test_contributors_may_not_open_the_ops_pages(new_project, quick_user, browser_for):
    project = await new_project(items=1, launch=True)
    pid = project["id"]
    carol, _ = await quick_user("contributor", pid)
    b = await browser_for(carol["email"])
    for path in (f"/projects/{pid}/quality", f"/projects/{pid}/contributors", f"/projects/{pid}/contributors/table",
                 f"/projects/{pid}/quality/rule-row"):
        assert (await b.get(path)).status_code == 403, path
    assert (await b.post(f"/projects/{pid}/quality", editor_form())).status_code == 403
    override = await b.post(f"/projects/{pid}/contributors/{carol['id']}/standing",
                            {"state": "qualified", "reason": "me"})
    assert override.status_code == 403


# -- the overview -------------------------------------------------------------------------------


async def test_the_overview_shows_the_quality_card_and_links_what_is_missing(browser, ops):
    project = await ops.ok("POST", "/projects", json={
        "name": "Card", "purpose": "Show the quality card", "guidelines": "# Do it",
        "interface": [{"name": "sentiment", "type": "choice", "options": ["pos", "neg"]},
                      {"name": "rationale", "type": "text", "required": False}],
        "quality": {"benchmark": {"size": 2, "pass_threshold": 0.75}}})
    pid = project["id"]
    page = (await browser.get(f"/projects/{pid}")).text
    assert 'id="quality-title">Quality controls<' in page and f'href="/projects/{pid}/quality">Edit<' in page
    assert "pass at 75%" in page and "0 imported, 2 needed" in page
    assert "No rules yet" in page
    # the launch checklist links benchmark to the import and linters to the editor
    assert re.search(r"<strong>Benchmark</strong>.*?<a href=\"#import\">fix</a>", page)
    assert f'<a href="/projects/{pid}/quality#linters">fix</a>' in page

    await ops.ok("PATCH", f"/projects/{pid}", json={"quality": {"benchmark": {"size": 2}, "linters": [
        {"type": "min_length", "field": "rationale", "value": 20, "severity": "warning", "message": SCRIPT}]}})
    page = (await browser.get(f"/projects/{pid}")).text
    assert "“Rationale” has at least 20 characters" in page
    assert SCRIPT not in page and "&lt;script&gt;" in page


# -- a contributor's own record --------------------------------------------------------------------


async def test_the_record_shows_the_gate_review_only_once_decided_and_nobody_else(ops, quick_user, browser_for):
    project = await gated_project(ops)  # benchmark of 2, pass 100%, no retry
    pid = project["id"]
    gus, gus_api = await quick_user("contributor", pid, qualified=False)
    other, other_api = await quick_user("contributor", pid, qualified=False)
    await answer(other_api, pid, "neg")
    await answer(other_api, pid, "neg")  # the other contributor is removed: nothing of it on Gus's page

    b = await browser_for(gus["email"])
    page = await b.get(f"/projects/{pid}/me")
    assert page.status_code == 200
    assert f'ws-connect="/ws/me?project={pid}"' in page.text and f'id="standing-{pid}"' in page.text
    assert 'data-gate="pending"' in page.text and 'id="gate-review"' not in page.text

    await answer(gus_api, pid, "pos")
    partial = (await b.get(f"/projects/{pid}/me/record")).text
    assert 'id="gate-review"' not in partial and "why 0" not in partial and "why 1" not in partial

    await answer(gus_api, pid, "pos")  # gate decided: passed
    page = (await b.get(f"/projects/{pid}/me")).text
    assert 'data-gate="passed"' in page and 'id="gate-review"' in page
    review = page[page.index('id="gate-review"'):page.index("</table>", page.index('id="gate-review"'))]
    assert review.count("<tr class=\"right\">") == 2
    assert re.search(r"why [0-5]", review) and "gold " in review  # the item data and the explanation
    assert 'data-standing' not in page  # no standing badges of anyone
    for leaked in (other["name"], other["email"], "removed"):
        assert leaked not in page, leaked
    record = (await b.get(f"/projects/{pid}/me/record")).text
    assert other["name"] not in record and 'id="gate-review"' in record
    # the refreshed record brings the review (a full-width card below) out of band
    assert re.search(r'id="gate-review-card"[^>]*hx-swap-oob="true"', record)


async def test_the_record_shows_gold_history_flags_and_feedback(ops, quick_user, browser_for):
    quality = GATE | {"gold": GATE["gold"] | {"remove_below": 0.0}}
    project = await gated_project(ops, gold=5, quality=quality)
    pid = project["id"]
    eve, eve_api = await quick_user("contributor", pid, qualified=False)
    for sentiment in ("pos", "pos", "pos", "neg"):  # gate passed, one check right, one wrong: recalibrating
        await answer(eve_api, pid, sentiment)
    b = await browser_for(eve["email"])
    page = (await b.get(f"/projects/{pid}/me")).text
    assert 'data-state="recalibrating"' in page
    assert re.search(r'data-check-accuracy>50%<', page)
    assert '<svg class="accuracy-chart"' in page and "<polyline points=" in page
    # every feedback, newest first, with the gold check's expected answer
    kinds = re.findall(r'data-kind="(\w+)"', page)
    assert kinds[:3] == ["standing", "gold_check", "gate"]
    assert "Your answer and the expected one" in page
    # the too_fast warning (0.001 s) never fires: no flags
    assert "No flags" in page


# -- the contributors table -------------------------------------------------------------------------


async def test_the_contributors_table_lists_rows_and_the_override_changes_standing(ops, quick_user, browser, db):
    project = await gated_project(ops)
    pid = project["id"]
    carol, carol_api = await quick_user("contributor", pid, qualified=False)
    dan, _ = await quick_user("contributor", pid)  # qualified
    await answer(carol_api, pid, "neg")
    await answer(carol_api, pid, "neg")  # removed at the gate

    page = await browser.get(f"/projects/{pid}/contributors")
    assert page.status_code == 200
    assert 'hx-get="/projects/%d/contributors/table"' % pid in page.text and "every 5s" in page.text
    table = page.text[page.text.index('id="contributors-table"'):]
    assert carol["email"] in table and dan["email"] in table
    # the removed contributor comes first, with the badge, the score and the reason
    assert table.index(carol["email"]) < table.index(dan["email"])
    row = table[table.index(f'id="contributor-{carol["id"]}"'):table.index(f'id="contributor-{dan["id"]}"')]
    assert 'data-standing="removed"' in row and "0%" in row and "not passed" in row

    refused = await browser.post(f"/projects/{pid}/contributors/{carol['id']}/standing",
                                 {"state": "qualified", "reason": "  "})
    assert refused.status_code == 422 and "say why, the contributor will read it" in refused.text.lower()
    kept = refused.text[refused.text.index(f'id="contributor-{carol["id"]}"'):]
    assert "<details class=\"override\" open>" in kept[:3000]

    done = await browser.post(f"/projects/{pid}/contributors/{carol['id']}/standing",
                              {"state": "qualified", "reason": "The gold item was ambiguous"})
    assert done.status_code == 303 and done.headers["location"] == f"/projects/{pid}/contributors?changed={carol['id']}"
    rows = {r["user_id"]: r for r in (await ops.ok("GET", f"/projects/{pid}/contributors"))["contributors"]}
    assert rows[carol["id"]]["standing"] == "qualified"
    assert rows[carol["id"]]["reason"] == "set by ops: The gold item was ambiguous"
    [event] = [e for e in await events_of(db, pid, "standing.changed") if e.payload["to"] == "qualified"
               and e.payload["user_id"] == carol["id"]]
    assert event.actor_id is not None

    after = (await browser.get(done.headers["location"])).text
    assert f"<strong>{carol['name']}</strong> is now qualified" in after
    fragment = (await browser.get(f"/projects/{pid}/contributors/table")).text
    assert "<html" not in fragment and 'id="contributors-table"' in fragment
    assert 'data-standing="qualified"' in fragment[fragment.index(f'id="contributor-{carol["id"]}"'):]

    # only contributors can be overridden
    ops_member = await browser.post(f"/projects/{pid}/contributors/999999/standing",
                                    {"state": "removed", "reason": "x"})
    assert ops_member.status_code == 422 and "is not a contributor in this project" in ops_member.text


# -- the board ------------------------------------------------------------------------------------


async def test_the_board_shows_contributors_and_standing_transitions_live(ops, quick_user, ws_url):
    project = await gated_project(ops)
    pid = project["id"]
    carol, carol_api = await quick_user("contributor", pid, qualified=False)
    headers = {"Authorization": f"Bearer {ops.token}"}
    async with connect(ws_url(pid), additional_headers=headers, open_timeout=5) as socket:
        snapshot = await asyncio.wait_for(socket.recv(), timeout=5)
        assert 'id="board-contributors"' in snapshot
        assert f'data-user="{carol["id"]}" data-standing="pending_gate"' in snapshot
        assert 'class="status status-pending_gate"' in snapshot
        assert carol["email"] not in snapshot  # the board shows names, not email addresses

        await answer(carol_api, pid, "neg")
        await answer(carol_api, pid, "neg")  # removed at the gate
        deadline = time.monotonic() + 3
        message = snapshot
        while f'data-user="{carol["id"]}" data-standing="removed"' not in message:
            message = await asyncio.wait_for(socket.recv(), timeout=max(deadline - time.monotonic(), 0.01))
        assert 'data-standing-count="removed">1<' in message
        assert f'href="/projects/{pid}/contributors"' in message
