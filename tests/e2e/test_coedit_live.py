"""Reviewers editing one review task together, in two and three browsers: concurrent typing in one
text field converges everywhere (and in the database) with every character typed, a structured
change shows on the other side, presence markers come and go, a browser that goes offline keeps
typing and merges on return, and the approve records the merged answer with every co-editor.

On PostgreSQL + Redis the second (and third) browser use the second web process: every edit
crosses processes through Redis. On SQLite there is one process and the same tests run on it."""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.sync_api import expect
from pycrdt import Doc, Map, Text

pytestmark = pytest.mark.e2e

REVIEW = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}], "tags": []}
LIVE_MS = 2_000
RATIONALE = "#f_rationale-input"


def run_async(coroutine):
    """Run a coroutine to the end from a test: sync Playwright holds this thread's event loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def review_scene(new_project, new_user, api_as, rationale: str = "late parcel"):
    """A live project with one answer waiting for review, held by the first of three reviewers."""
    project = new_project([{"text": "The parcel came late but the lamp is lovely"}], review=REVIEW)
    pid = project["id"]
    contributor = new_user("contributor", project)
    worker = api_as(contributor)
    gold = worker.ok("POST", f"/projects/{pid}/next")["assignment"]
    worker.ok("POST", f"/assignments/{gold['id']}/submit", json={"answer": {"sentiment": "pos"}})
    task = worker.ok("POST", f"/projects/{pid}/next")["assignment"]
    worker.ok("POST", f"/assignments/{task['id']}/submit", json={"answer": {"sentiment": "neg", "rationale": rationale}})
    reviewers = [new_user("reviewer", project) for _ in range(3)]
    review = api_as(reviewers[0]).ok("POST", f"/projects/{pid}/reviews/next")["review"]
    return pid, review["id"], reviewers


def open_review(sign_in, person, base_url: str, pid: int, review_id: int):
    page = sign_in(person, base_url)
    page.goto(f"/projects/{pid}/review/{review_id}")
    expect(page.locator("#coedit")).to_have_attribute("data-state", "live", timeout=5_000)
    return page


def text_of(page) -> str:
    return page.locator(RATIONALE).input_value()


def subsequence(small: str, big: str) -> bool:
    it = iter(big)
    return all(ch in it for ch in small)


def wait_same(pages, what: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        values = [text_of(p) for p in pages]
        if len(set(values)) == 1:
            return values[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not converged: {values}")
        time.sleep(0.05)


def stored_rationale(database_url: str, review_id: int) -> tuple[str, dict, list[int]]:
    async def read():
        from app.coedit.models import CoeditDoc
        from app.db import Database

        db = Database(database_url)
        try:
            async with db.transaction() as session:
                row = await session.get(CoeditDoc, review_id)
                return (row.state, list(row.editors)) if row else (None, [])
        finally:
            await db.dispose()

    state, editors = run_async(read())
    if state is None:
        return "", {}, editors
    doc = Doc()
    doc.apply_update(state)
    return str(doc.get("text:rationale", type=Text)), doc.get("fields", type=Map).to_py(), editors


def wait_stored(database_url: str, review_id: int, text: str, timeout: float = 5.0) -> tuple[str, dict, list[int]]:
    deadline = time.monotonic() + timeout
    while True:
        found = stored_rationale(database_url, review_id)
        if found[0] == text:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"the database holds {found[0]!r}, not {text!r}")
        time.sleep(0.1)


def type_together(pages_and_words) -> None:
    """Each page types its words one key at a time, in turns, without waiting for the others."""
    longest = max(len(w) for _, w in pages_and_words)
    for i in range(longest):
        for page, word in pages_and_words:
            if i < len(word):
                page.locator(RATIONALE).press(word[i] if word[i] != " " else "Space")


def test_two_browsers_type_in_one_field_and_end_with_the_same_text(sign_in, new_user, new_project, api_as,
                                                                    deployment):
    pid, review_id, (alice, bob, _) = review_scene(new_project, new_user, api_as)
    a = open_review(sign_in, alice, deployment.servers[0].url, pid, review_id)
    b = open_review(sign_in, bob, deployment.servers[-1].url, pid, review_id)
    assert text_of(a) == text_of(b) == "late parcel"

    # Both at the end of the text, typing at the same time.
    for page in (a, b):
        page.locator(RATIONALE).click()
        page.locator(RATIONALE).press("End")
    words_a, words_b = " alpha beta gamma", " one two three"
    type_together([(a, words_a), (b, words_b)])
    merged = wait_same([a, b], "two typists")
    assert merged.startswith("late parcel")
    assert subsequence(words_a, merged[len("late parcel"):]) and subsequence(words_b, merged[len("late parcel"):])
    assert len(merged) == len("late parcel") + len(words_a) + len(words_b), "every character, once"
    text, _, editors = wait_stored(deployment.database_url, review_id, merged)
    assert sorted(editors) == sorted([alice.id, bob.id])

    # A reload shows exactly the current state.
    b.reload()
    expect(b.locator("#coedit")).to_have_attribute("data-state", "live")
    assert text_of(b) == merged


def test_a_choice_shows_everywhere_and_presence_comes_and_goes(sign_in, new_user, new_project, api_as, deployment):
    pid, review_id, (alice, bob, _) = review_scene(new_project, new_user, api_as)
    a = open_review(sign_in, alice, deployment.servers[0].url, pid, review_id)
    b = open_review(sign_in, bob, deployment.servers[-1].url, pid, review_id)

    started = time.monotonic()
    a.get_by_label("pos", exact=True).check()
    expect(b.get_by_label("pos", exact=True)).to_be_checked(timeout=LIVE_MS)
    assert time.monotonic() - started < 1.0
    a.get_by_label("sarcasm").check()
    expect(b.get_by_label("sarcasm")).to_be_checked(timeout=LIVE_MS)

    # Presence: each sees the other's initials; Bob in the rationale field shows there for Alice.
    expect(a.locator(f'.coedit-people [data-person="{bob.id}"]')).to_be_visible(timeout=LIVE_MS)
    expect(b.locator(f'.coedit-people [data-person="{alice.id}"]')).to_be_visible(timeout=LIVE_MS)
    b.locator(RATIONALE).click()
    marker = a.locator(f'fieldset[data-field="rationale"] .coedit-marker[data-person="{bob.id}"]')
    expect(marker).to_be_visible(timeout=1_000)
    b.get_by_label("neu", exact=True).focus()
    expect(a.locator(f'fieldset[data-field="sentiment"] .coedit-marker[data-person="{bob.id}"]')).to_be_visible(
        timeout=1_000)
    expect(marker).to_have_count(0)
    b.close()
    expect(a.locator(f'[data-person="{bob.id}"]')).to_have_count(0, timeout=1_000)


def test_offline_typing_merges_on_return_and_a_replaced_choice_is_told(sign_in, new_user, new_project, api_as,
                                                                        deployment):
    pid, review_id, (alice, bob, _) = review_scene(new_project, new_user, api_as)
    a = open_review(sign_in, alice, deployment.servers[0].url, pid, review_id)
    b = open_review(sign_in, bob, deployment.servers[-1].url, pid, review_id)

    b.context.set_offline(True)
    expect(b.locator("#coedit")).to_have_attribute("data-state", "offline", timeout=LIVE_MS)
    b.locator(RATIONALE).click()
    b.locator(RATIONALE).press("End")
    b.locator(RATIONALE).type(" written offline")
    b.get_by_label("neu", exact=True).check()
    a.locator(RATIONALE).click()
    a.locator(RATIONALE).press("Home")
    a.locator(RATIONALE).type("Online: ")
    a.get_by_label("pos", exact=True).check()
    time.sleep(0.3)
    assert "offline" not in text_of(a), "nothing reached Alice while Bob was offline"

    b.context.set_offline(False)
    expect(b.locator("#coedit")).to_have_attribute("data-state", "live", timeout=10_000)
    merged = wait_same([a, b], "after the return")
    assert merged == "Online: late parcel written offline"
    # The two choices were concurrent: one wins, the same in both, and the one replaced is told.
    expect(a.get_by_label("pos", exact=True)).to_be_checked(checked=b.get_by_label("pos", exact=True).is_checked())
    winner = "pos" if a.get_by_label("pos", exact=True).is_checked() else "neu"
    expect(b.get_by_label(winner, exact=True)).to_be_checked()
    loser_page, winner_name, old, new = (b, alice.name, "neu", "pos") if winner == "pos" else (a, bob.name, "pos", "neu")
    expect(loser_page.locator(".coedit-notice")).to_contain_text(f"{winner_name} changed Sentiment from {old} to {new}")
    wait_stored(deployment.database_url, review_id, merged)


def test_three_browsers_then_the_approve_records_the_merged_answer(sign_in, new_user, new_project, api_as, deployment):
    pid, review_id, (alice, bob, carol) = review_scene(new_project, new_user, api_as, rationale="")
    a = open_review(sign_in, alice, deployment.servers[0].url, pid, review_id)
    b = open_review(sign_in, bob, deployment.servers[-1].url, pid, review_id)
    c = open_review(sign_in, carol, deployment.servers[-1].url, pid, review_id)
    expect(b.get_by_role("button", name="Save edits & approve")).to_have_count(0)  # co-editors do not decide
    for page in (a, b, c):
        page.locator(RATIONALE).click()
    type_together([(a, "ants "), (b, "bees "), (c, "cats ")])
    merged = wait_same([a, b, c], "three typists")
    assert len(merged) == 15 and all(subsequence(w, merged) for w in ("ants ", "bees ", "cats "))
    c.get_by_label("neu", exact=True).check()
    expect(a.get_by_label("neu", exact=True)).to_be_checked(timeout=LIVE_MS)
    wait_stored(deployment.database_url, review_id, merged)

    a.get_by_role("button", name="Save edits & approve").click()
    expect(a.locator(".flash")).to_contain_text("Nothing is waiting for review")
    expect(b.locator("#coedit")).to_have_attribute("data-state", "decided", timeout=LIVE_MS)
    expect(b.locator(".coedit-status")).to_contain_text(f"{alice.name} decided this review")

    async def decision():
        from sqlalchemy import select

        from app.db import Database
        from app.events.models import Event
        from app.review.models import ReviewTask
        from app.work.models import Annotation

        db = Database(deployment.database_url)
        try:
            async with db.transaction() as session:
                task = await session.get(ReviewTask, review_id)
                annotation = await session.get(Annotation, task.annotation_id)
                event = (await session.execute(select(Event).where(Event.action == "review.coedited",
                                                                   Event.subject_id == review_id))).scalar_one()
                return task.decision, annotation.reviewed_answer, event.payload["editors"]
        finally:
            await db.dispose()

    decided, answer, editors = run_async(decision())
    assert decided == "edit"
    assert answer == {"sentiment": "neu", "flags": [], "rationale": merged.strip()} or \
        answer == {"sentiment": "neu", "flags": None, "rationale": merged.strip()}
    assert sorted(editors) == sorted([alice.id, bob.id, carol.id])


def test_a_dropped_connection_keeps_the_typing_and_merges_it_on_return(sign_in, new_user, new_project, api_as,
                                                                       deployment, network_cut):
    """No offline event this time: the TCP connection itself is cut (the browser sees 1006)."""
    pid, review_id, (alice, bob, _) = review_scene(new_project, new_user, api_as)
    a = open_review(sign_in, alice, deployment.servers[-1].url, pid, review_id)
    b = open_review(sign_in, bob, network_cut.url, pid, review_id)

    network_cut.cut()
    expect(b.locator("#coedit")).to_have_attribute("data-state", "offline", timeout=LIVE_MS)
    b.locator(RATIONALE).click()
    b.locator(RATIONALE).press("End")
    b.locator(RATIONALE).type(" (typed while cut off)")
    a.locator(RATIONALE).click()
    a.locator(RATIONALE).press("Home")
    a.locator(RATIONALE).type("Meanwhile: ")
    network_cut.restore()
    expect(b.locator("#coedit")).to_have_attribute("data-state", "live", timeout=10_000)
    merged = wait_same([a, b], "after the cut")
    assert merged == "Meanwhile: late parcel (typed while cut off)"
    wait_stored(deployment.database_url, review_id, merged)
