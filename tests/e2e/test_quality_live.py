"""Quality controls as a contributor lives them in the browser: a failed check, and why, without a reload."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import task_id

pytestmark = pytest.mark.e2e

LIVE_WITHIN_MS = 2_000
_counter = itertools.count(1)

#: One gold item is the benchmark; every production slot after it is a check (rate 1.0, no decay), and
#: one check below 90% (window 1) sends the contributor to recalibration; the removal floor is off.
QUALITY = {"benchmark": {"size": 1, "pass_threshold": 0.5},
           "gold": {"rate": 1.0, "min_rate": 1.0, "window": 1, "min_answers": 1, "recalibrate_below": 0.9,
                    "remove_below": 0.0, "recalibration_size": 2, "recalibration_pass": 1.0},
           "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]}
#: Gold items look like production items; which one is the benchmark is random, so all share an answer.
GOLD = [{"data": {"text": f"review {i}: arrived early, works well"}, "gold": {"sentiment": "pos"},
         "explanation": f"Praise with no complaint is positive (check {i})."} for i in range(4)]


@pytest.fixture
def checked_project(ops):
    project = ops.ok("POST", "/projects", json={
        "name": f"E2E quality {next(_counter)}", "purpose": "Check quality controls in a browser",
        "guidelines": "# Sentiment\n\nPick the **overall** sentiment.", "overlap": 1,
        "interface": [{"name": "sentiment", "type": "choice", "options": ["pos", "neg", "neu"]},
                      {"name": "rationale", "type": "text", "required": False, "max_length": 200}],
        "quality": QUALITY})
    ops.ok("POST", f"/projects/{project['id']}/items", params={"batch": "b1"},
           json=[{"text": f"review {i}: late and broken"} for i in range(10, 13)])
    ops.ok("POST", f"/projects/{project['id']}/items", params={"batch": "gold"}, json=GOLD)
    ops.ok("POST", f"/projects/{project['id']}/launch")
    return project


def answer(page, sentiment: str) -> int:
    """Answer the task on screen; returns its task number."""
    expect(page.locator("#task .task-head")).to_be_visible()
    task = task_id(page)
    page.get_by_label(sentiment, exact=True).check()
    page.get_by_role("button", name="Submit & next").click()
    expect(page.locator("#task .task-head")).not_to_contain_text(f"Task #{task}")
    return task


def test_a_failed_check_shows_recalibration_and_why_without_a_reload(sign_in, new_user, checked_project):
    project = checked_project
    work = sign_in(new_user("contributor", project))
    work.add_init_script("window.__wsOpen = false;"
                         "document.addEventListener('htmx:wsOpen', () => { window.__wsOpen = true; });")
    work.goto(f"/projects/{project['id']}/work")
    banner = work.locator(f"#standing-{project['id']}")
    inbox = work.locator(f"#inbox-{project['id']}")
    expect(banner).to_have_attribute("data-state", "pending_gate")
    expect(inbox).to_contain_text("No feedback yet.")
    work.wait_for_function("() => window.__wsOpen === true")  # the pushes below arrive over this socket
    work.evaluate("window.__marker = 1")

    answer(work, "pos")  # the benchmark (one gold item), right: qualified
    expect(banner).to_have_attribute("data-state", "qualified", timeout=LIVE_WITHIN_MS)
    expect(inbox.locator("[data-kind=gate]")).to_contain_text("You are qualified for production")

    # the next task is a check (rate 1.0) that looks like any task; answered wrong
    expect(work.locator("#task .item-data")).to_contain_text("arrived early")
    answer(work, "neg")

    expect(banner).to_have_attribute("data-state", "recalibrating", timeout=LIVE_WITHIN_MS)
    expect(banner).to_contain_text("Paused for recalibration.")
    expect(banner).to_contain_text("gold accuracy 0% over your last 1 checks is below 90%: answer a short "
                                   "recalibration set to return to production")
    check = inbox.locator("[data-kind=gold_check]")
    expect(check).to_have_count(1)
    expect(check).to_contain_text("A quality check did not match the expected answer")
    expect(check).to_contain_text("Praise with no complaint is positive")  # the explanation: why
    expect(inbox.locator("[data-kind=standing]").first).to_contain_text("Paused for recalibration")
    # and the next task (the recalibration set) is already on screen, in place
    expect(work.locator("#task .item-data")).to_contain_text("arrived early")
    assert work.evaluate("window.__marker") == 1, "the page navigated or reloaded"
