"""The production loop in a real browser: a contributor answers, the ops board follows live."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import GOLD_ITEM, GOLD_TEXT, batch_row, board_counts, task_id

pytestmark = pytest.mark.e2e

LIVE_WITHIN_MS = 2_000


def open_board(page, project: dict) -> None:
    page.goto(f"/projects/{project['id']}/board")
    expect(page.locator("#live")).to_have_attribute("data-state", "open")
    expect(page.locator("#board [data-count=items]")).to_be_visible()


def open_workspace(page, project: dict) -> None:
    """Open the workspace, passing the benchmark first if it is offered (a new contributor's first task)."""
    page.goto(f"/projects/{project['id']}/work")
    expect(page.locator("#task .task-head")).to_be_visible()
    if GOLD_TEXT in page.locator("#task .item-data").inner_text():
        answer_gold(page)
        expect(page.locator("#task")).not_to_contain_text(GOLD_TEXT)


def answer_gold(page) -> None:
    page.get_by_label(GOLD_ITEM["gold"]["sentiment"], exact=True).check()
    page.get_by_role("button", name="Submit & next").click()


def pass_benchmark_via_api(api, project: dict) -> None:
    lease = api.ok("POST", f"/projects/{project['id']}/next")["assignment"]
    assert lease["item"]["data"] == GOLD_ITEM["data"]
    api.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": GOLD_ITEM["gold"]})


def mark(page) -> None:
    """A value that only survives if the page is never reloaded or navigated."""
    page.evaluate("window.__marker = 1")


def assert_not_navigated(page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page navigated or reloaded"


def test_contributor_answer_shows_on_the_ops_board_live(sign_in, new_user, new_project):
    project = new_project(3)
    board = sign_in(new_user("ops"))
    work = sign_in(new_user("contributor", project))

    open_board(board, project)
    assert board_counts(board) == {
        "items": 3, "queued": 3, "leased": 0, "submitted": 0, "completed": 0, "answers_last_hour": 0}
    mark(board)
    open_workspace(work, project)
    expect(work.locator("#task .item-data")).to_contain_text("item 0")
    expect(board.locator("[data-count=leased]")).to_have_text("1", timeout=LIVE_WITHIN_MS)  # the lease, pushed
    expect(board.locator("[data-count=queued]")).to_have_text("2")
    mark(work)
    first_task = task_id(work)

    work.get_by_label("pos").check()
    work.get_by_label("sarcasm").check()
    work.get_by_label("Rationale").fill("Clearly upbeat.")
    started = time.monotonic()
    work.get_by_role("button", name="Submit & next").click()

    expect(board.locator("[data-count=submitted]")).to_have_text("1", timeout=LIVE_WITHIN_MS)
    latency_ms = (time.monotonic() - started) * 1000
    expect(board.locator("[data-count=completed]")).to_have_text("1")
    expect(board.locator("[data-count=answers_last_hour]")).to_have_text("1")
    # the next task was leased as the answer went in, so one item is still queued and one leased
    expect(board.locator("[data-count=queued]")).to_have_text("1")
    expect(board.locator("[data-count=leased]")).to_have_text("1")
    row = batch_row(board, "b1")
    assert (row["items"], row["queued"], row["leased"], row["answers"], row["completed"]) == ("3", "1", "1", "1", "1")
    assert row["progress"].endswith("33.3%")
    assert latency_ms < LIVE_WITHIN_MS

    # the workspace moved on to the next task in place, with a clean form
    expect(work.locator("#task .item-data")).to_contain_text("item 1")
    assert task_id(work) != first_task
    expect(work.get_by_label("pos")).not_to_be_checked()
    expect(work.get_by_label("Rationale")).to_have_value("")
    assert_not_navigated(board)
    assert_not_navigated(work)


def test_missing_required_field_shows_the_error_and_keeps_the_rest(sign_in, new_user, new_project):
    project = new_project(2)
    work = sign_in(new_user("contributor", project))
    open_workspace(work, project)
    mark(work)
    first_task = task_id(work)

    work.get_by_label("spam").check()
    work.get_by_label("Rationale").fill("Looks like an advert.\nSecond line.")
    work.get_by_role("button", name="Submit & next").click()

    sentiment = work.locator("fieldset[data-field=sentiment]")
    expect(sentiment.locator(".error")).to_have_text("required")
    expect(sentiment.locator("input[type=radio]").first).to_have_attribute("aria-invalid", "true")
    expect(work.locator(".answer-form > .error[role=alert]").first).to_contain_text("nothing you entered was lost")
    # the same task, with everything that was typed still there
    assert task_id(work) == first_task
    expect(work.locator("#task .item-data")).to_contain_text("item 0")
    expect(work.get_by_label("Rationale")).to_have_value("Looks like an advert.\nSecond line.")
    expect(work.get_by_label("spam")).to_be_checked()
    expect(work.get_by_label("sarcasm")).not_to_be_checked()
    expect(work.locator("fieldset[data-field=rationale] .error")).to_have_count(0)
    expect(work.get_by_role("button", name="Submit & next")).to_be_enabled()

    work.get_by_label("neg").check()
    work.get_by_role("button", name="Submit & next").click()
    expect(work.locator("#task .item-data")).to_contain_text("item 1")
    assert task_id(work) != first_task
    expect(work.locator("#task .error")).to_have_count(0)
    assert_not_navigated(work)


def test_a_check_on_the_whole_answer_is_shown_too(sign_in, new_user, new_project):
    """A project's blocking check that is about no one field (too fast) still says what is wrong."""
    project = new_project(2, quality={"benchmark": {"size": 1, "pass_threshold": 0.5},
                                      "linters": [{"type": "too_fast", "seconds": 600, "severity": "error"}]})
    work = sign_in(new_user("contributor", project))
    work.goto(f"/projects/{project['id']}/work")
    expect(work.locator("#task .item-data")).to_contain_text(GOLD_TEXT)
    first_task = task_id(work)
    work.get_by_label("Rationale").fill("quick one")
    answer_gold(work)

    expect(work.locator("#task [data-error=answer]")).to_contain_text("the minimum is 600 s")
    assert task_id(work) == first_task
    expect(work.get_by_label("pos")).to_be_checked()
    expect(work.get_by_label("Rationale")).to_have_value("quick one")


def test_skip_moves_on_until_all_caught_up(sign_in, new_user, new_project):
    project = new_project(2)
    work = sign_in(new_user("contributor", project))
    open_workspace(work, project)
    mark(work)

    expect(work.locator("#task .item-data")).to_contain_text("item 0")
    work.get_by_label("Rationale").fill("not sure about this one")
    work.get_by_role("button", name="Skip").click()
    expect(work.locator("#task .item-data")).to_contain_text("item 1")
    expect(work.get_by_label("Rationale")).to_have_value("")

    work.get_by_role("button", name="Skip").click()
    expect(work.get_by_role("heading", name="All caught up")).to_be_visible()
    expect(work.locator("#task form")).to_have_count(0)
    # asking again does not hand back what was skipped
    work.get_by_role("button", name="Check again").click()
    expect(work.get_by_role("heading", name="All caught up")).to_be_visible()
    assert_not_navigated(work)

    # a fresh visit says the same, straight away
    open_done = work.goto(f"/projects/{project['id']}/work")
    assert open_done.ok
    expect(work.get_by_role("heading", name="All caught up")).to_be_visible()


def test_board_resyncs_after_the_socket_drops(sign_in, new_user, new_project, network_cut):
    project = new_project(3)
    board = sign_in(new_user("ops"), base_url=network_cut.url)
    work = sign_in(new_user("contributor", project))
    open_workspace(work, project)
    open_board(board, project)
    expect(board.locator("[data-count=leased]")).to_have_text("1")
    mark(board)

    network_cut.cut()
    expect(board.locator("#live")).to_have_attribute("data-state", "closed")
    expect(board.locator("#live")).to_have_text("reconnecting…")

    work.get_by_label("neu").check()
    work.get_by_role("button", name="Submit & next").click()
    expect(work.locator("#task .item-data")).to_contain_text("item 1")
    work.get_by_label("pos").check()
    work.get_by_role("button", name="Submit & next").click()
    expect(work.locator("#task .item-data")).to_contain_text("item 2")
    # well past the publisher's coalescing delay: those pushes went out while the board was away
    board.wait_for_timeout(600)
    expect(board.locator("[data-count=submitted]")).to_have_text("0")

    network_cut.restore()
    expect(board.locator("#live")).to_have_attribute("data-state", "open", timeout=10_000)
    expect(board.locator("[data-count=submitted]")).to_have_text("2", timeout=LIVE_WITHIN_MS)
    assert board_counts(board) == {
        "items": 3, "queued": 0, "leased": 1, "submitted": 2, "completed": 2, "answers_last_hour": 2}
    assert batch_row(board, "b1")["answers"] == "2"
    assert_not_navigated(board)

    # and it is live again, not just resynced once
    work.get_by_label("neg").check()
    work.get_by_role("button", name="Submit & next").click()
    expect(board.locator("[data-count=submitted]")).to_have_text("3", timeout=LIVE_WITHIN_MS)
    assert_not_navigated(board)


PAYLOAD_IMG = '<img src=x onerror="window.__pwned=1">'
PAYLOAD_SCRIPT = "<script>window.__pwned=1</script>"
TEXT_VALUE = "dt:text-is('text') + dd"  # by key: PostgreSQL's jsonb does not keep the keys' order


@pytest.mark.parametrize("first_load", ["leased on arrival", "fetched by htmx"])
def test_item_content_is_shown_as_text(sign_in, new_user, new_project, api_as, first_load):
    hostile = {"text": f"Hello {PAYLOAD_IMG} and {PAYLOAD_SCRIPT}",
               "meta": {"note": PAYLOAD_IMG + PAYLOAD_SCRIPT, "n": 1}}
    # the benchmark's gold item is hostile too: it is the first task, then the production item
    project = new_project([hostile], gold=GOLD_ITEM | {"data": hostile})
    person = new_user("contributor", project)
    if first_load == "leased on arrival":  # the page is rendered with the task inside it
        api_as(person).ok("POST", f"/projects/{project['id']}/next")
    work = sign_in(person)
    dialogs: list[str] = []
    work.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    work.goto(f"/projects/{project['id']}/work")

    data = work.locator("#task .item-data")
    expect(data.locator(TEXT_VALUE)).to_have_text(f"Hello {PAYLOAD_IMG} and {PAYLOAD_SCRIPT}")
    expect(data).to_contain_text("window.__pwned=1")
    expect(data.locator("img, script")).to_have_count(0)
    expect(work.locator("#task img, #task script")).to_have_count(0)
    # a nested value is shown as JSON, and readable: not \u003c-escaped as for a <script> block
    nested = data.locator("dd code")
    expect(nested).to_contain_text(PAYLOAD_SCRIPT)
    expect(nested).not_to_contain_text("\\u003c")
    # and after a swap (the next task arrives through htmx, which runs scripts it swaps in)
    first_task = task_id(work)
    answer_gold(work)
    expect(work.locator("#task .task-head")).not_to_contain_text(f"Task #{first_task}")
    expect(work.locator(f"#task .item-data {TEXT_VALUE}")).to_have_text(f"Hello {PAYLOAD_IMG} and {PAYLOAD_SCRIPT}")
    expect(work.locator("#task img, #task script")).to_have_count(0)
    work.wait_for_timeout(200)
    assert work.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []


def test_answer_to_a_lease_that_ran_out_is_explained_and_the_next_task_given(sign_in, new_user, new_project,
                                                                            api_as):
    project = new_project(3, lease_seconds=1)
    slow, quick = new_user("contributor", project), new_user("contributor", project)
    other = api_as(quick)
    pass_benchmark_via_api(other, project)
    work = sign_in(slow)
    open_workspace(work, project)
    mark(work)
    expect(work.locator("#task .item-data")).to_contain_text("item 0")
    first_task = task_id(work)
    work.wait_for_timeout(1_200)
    # someone else asks for work: the expired lease is reclaimed and item 0 handed to them
    taken = other.ok("POST", f"/projects/{project['id']}/next")
    assert taken["assignment"]["item"]["data"] == {"text": "item 0"}

    work.get_by_label("pos").check()
    work.get_by_role("button", name="Submit & next").click()
    expect(work.locator("#task .flash")).to_contain_text(f"Your answer to task #{first_task} was not saved")
    expect(work.locator("#task .item-data")).to_contain_text("item 1")
    assert task_id(work) != first_task
    assert_not_navigated(work)


def test_a_request_that_fails_says_so_and_keeps_the_answer(sign_in, new_user, new_project):
    project = new_project(2)
    person = new_user("contributor", project)
    work = sign_in(person)
    open_workspace(work, project)
    mark(work)
    work.get_by_label("neu").check()
    work.get_by_label("Rationale").fill("Written just before the wifi went.")

    work.context.set_offline(True)
    work.get_by_role("button", name="Submit & next").click()
    expect(work.locator("#task .request-error")).to_contain_text("Could not reach Inkwell")
    work.context.set_offline(False)

    work.context.clear_cookies(name="inkwell_session")  # signed out meanwhile (session ended elsewhere)
    work.get_by_role("button", name="Submit & next").click()
    expect(work.locator("#task .request-error")).to_contain_text("error 401")
    expect(work.locator("#task .request-error")).to_contain_text("sign in again")
    expect(work.get_by_label("Rationale")).to_have_value("Written just before the wifi went.")
    expect(work.get_by_label("neu")).to_be_checked()

    again = work.context.new_page()  # sign in again in another tab; the answer is still in the first
    again.goto("/login")
    again.get_by_label("Email").fill(person.email)
    again.get_by_label("Password").fill(person.password)
    again.get_by_role("button", name="Sign in").click()
    expect(again.get_by_role("heading", name="Projects")).to_be_visible()
    again.close()
    work.get_by_role("button", name="Submit & next").click()
    expect(work.locator("#task .item-data")).to_contain_text("item 1")
    expect(work.locator("#task .request-error")).to_have_count(0)
    assert_not_navigated(work)


def test_session_cookie_and_sign_out(sign_in, new_user, deployment):
    page = sign_in(new_user("contributor"))
    cookie = next(c for c in page.context.cookies() if c["name"] == "inkwell_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert cookie["secure"] is deployment.secure_cookies  # and the browser sent it back: we are signed in

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url("/login")
    page.goto("/")
    expect(page).to_have_url("/login?next=/")


def test_board_on_one_process_follows_answers_on_another(sign_in, new_user, new_project, deployment):
    if len(deployment.servers) < 2:
        pytest.skip("needs INKWELL_TEST_BACKEND=postgres (two server processes sharing PostgreSQL and Redis)")
    a, b = deployment.servers[:2]
    project = new_project(2)
    board = sign_in(new_user("ops"), base_url=a.url)
    work = sign_in(new_user("contributor", project), base_url=b.url)
    open_board(board, project)
    mark(board)
    open_workspace(work, project)
    expect(board.locator("[data-count=leased]")).to_have_text("1", timeout=LIVE_WITHIN_MS)

    work.get_by_label("pos").check()
    work.get_by_role("button", name="Submit & next").click()
    expect(board.locator("[data-count=submitted]")).to_have_text("1", timeout=LIVE_WITHIN_MS)
    expect(board.locator("[data-count=completed]")).to_have_text("1")
    assert batch_row(board, "b1")["answers"] == "1"
    assert_not_navigated(board)
