"""Review as two people live it in two browsers: a rejection reaches the contributor's open
workspace without a reload, comments cross between them live, and the fix goes back to review."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

LIVE_WITHIN_MS = 2_000
REVIEW = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}],
          "tags": ["wrong label", "missing rationale"]}


def watch_socket(page) -> None:
    page.add_init_script("window.__wsOpen = false;"
                         "document.addEventListener('htmx:wsOpen', () => { window.__wsOpen = true; });")


def answer(page, sentiment: str) -> None:
    expect(page.locator("#task .task-head")).to_be_visible()
    task = page.locator("#task .task-head").inner_text()
    page.get_by_label(sentiment, exact=True).check()
    page.get_by_role("button", name="Submit & next").click()
    expect(page.locator("#task")).not_to_contain_text(task.split("\n")[0])


def comment(page, item_id: int, text: str) -> None:
    page.locator(f"#thread-{item_id}-body").fill(text)
    page.locator(f"#thread-{item_id}-form").get_by_role("button", name="Comment").click()


def test_a_rejection_and_comments_reach_the_other_browser_live(sign_in, new_user, new_project, deployment):
    """On PostgreSQL + Redis the reviewer uses the second web process: every push crosses processes."""
    project = new_project([{"text": "The parcel came late but the lamp is lovely"}], review=REVIEW)
    pid = project["id"]
    contributor = new_user("contributor", project)
    reviewer = new_user("reviewer", project)

    work = sign_in(contributor)
    watch_socket(work)
    work.goto(f"/projects/{pid}/work")
    work.wait_for_function("() => window.__wsOpen === true")
    answer(work, "pos")  # the benchmark item, right: qualified
    answer(work, "neg")  # the production item
    expect(work.locator("#task")).to_contain_text("All caught up")
    work.evaluate("window.__marker = 1")
    inbox = work.locator(f"#inbox-{pid}")

    review = sign_in(reviewer, deployment.servers[-1].url)
    review.goto(f"/projects/{pid}/review")
    review.get_by_role("button", name="Start reviewing").click()
    expect(review.locator("#review-task")).to_contain_text("The parcel came late")
    thread_id = review.locator("section.thread").get_attribute("id")
    item_id = int(thread_id.removeprefix("thread-"))

    # The contributor opens the item's thread in a second tab; comments cross both ways, live.
    thread = work.context.new_page()
    watch_socket(thread)
    thread.goto(f"/items/{item_id}/thread")
    thread.wait_for_function("() => window.__wsOpen === true")
    review.wait_for_function("() => document.querySelector('section.thread') !== null")
    comment(review, item_id, "Is the **lamp** the main point here?")
    expect(thread.locator(f"#thread-{item_id}-comments")).to_contain_text("Is the lamp the main point here?",
                                                                         timeout=LIVE_WITHIN_MS)
    comment(thread, item_id, "I weighed the late delivery more.")
    expect(review.locator(f"#thread-{item_id}-comments")).to_contain_text("I weighed the late delivery more.",
                                                                         timeout=LIVE_WITHIN_MS)

    # The reviewer rejects with a comment and a tag: the open workspace shows it, no reload.
    review.locator("#comment").fill("The guidelines say the **overall** tone: the lamp wins.")
    review.get_by_label("wrong label").check()
    review.get_by_role("button", name="Reject").click()
    expect(review.locator(".flash")).to_contain_text("Nothing is waiting for review")
    returned = inbox.locator("[data-kind=review]")
    expect(returned).to_contain_text("A reviewer returned your answer", timeout=LIVE_WITHIN_MS)
    expect(returned).to_contain_text("the lamp wins")
    assert work.evaluate("window.__marker") == 1, "the workspace reloaded"

    # The rejected task waits for them, with the comment and their answer filled in; they fix it.
    work.get_by_role("button", name="Check again").click()
    banner = work.locator("#task .returned")
    expect(banner).to_contain_text("Returned by a reviewer")
    expect(banner).to_contain_text("wrong label")
    expect(work.get_by_label("neg", exact=True)).to_be_checked()
    answer(work, "pos")

    # Back in review, with its history.
    review.get_by_role("button", name="Start reviewing").click()
    expect(review.locator("#review-history")).to_contain_text("reject")
    expect(review.locator("#review-history")).to_contain_text("the lamp wins")
    expect(review.get_by_label("pos", exact=True)).to_be_checked()
    review.get_by_role("button", name="Approve", exact=True).click()
    expect(review.locator(".flash")).to_contain_text("Nothing is waiting for review")
