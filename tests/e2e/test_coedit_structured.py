"""Two reviewers co-editing a structured answer in two browsers: each scores a different rubric
criterion at the same time, both see both scores (the rubric is shared key by key, not replaced
as a whole), and the leaseholder's decision records the merged rubric (static/coedit.js's
[data-coedit-json] protocol, static/rubric.js)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_coedit_live import LIVE_MS, open_review, run_async

pytestmark = pytest.mark.e2e

REVIEW = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}], "tags": []}
TEXT = "Ada Lovelace worked with Charles Babbage in London."
INTERFACE = [
    {"name": "doc", "type": "text", "value": "$text"},
    {"name": "grade", "type": "rubric", "criteria": [{"id": "accuracy", "min": 1, "max": 5},
                                                     {"id": "helpfulness", "min": 1, "max": 5}]},
]


def rubric(accuracy: int, helpfulness: int) -> dict:
    return {"grade": {"criteria": {"accuracy": {"score": accuracy}, "helpfulness": {"score": helpfulness}}}}


def scene(new_project, new_user, api_as):
    project = new_project([{"text": TEXT}], review=REVIEW, interface=INTERFACE,
                          gold={"data": {"text": "gold check"}, "gold": rubric(5, 5), "explanation": "Fine."})
    pid = project["id"]
    worker = api_as(new_user("contributor", project))
    gold = worker.ok("POST", f"/projects/{pid}/next")["assignment"]
    worker.ok("POST", f"/assignments/{gold['id']}/submit", json={"answer": rubric(5, 5)})
    task = worker.ok("POST", f"/projects/{pid}/next")["assignment"]
    worker.ok("POST", f"/assignments/{task['id']}/submit", json={"answer": rubric(4, 4)})
    reviewers = [new_user("reviewer", project) for _ in range(2)]
    review = api_as(reviewers[0]).ok("POST", f"/projects/{pid}/reviews/next")["review"]
    return pid, review["id"], reviewers


def score(page, criterion: str, point: int):
    return page.locator(f"#f_grade-{criterion}-{point}")


def test_two_reviewers_score_different_criteria_and_the_decision_keeps_both(sign_in, new_user, new_project,
                                                                            api_as, deployment):
    pid, review_id, (alice, bob) = scene(new_project, new_user, api_as)
    a = open_review(sign_in, alice, deployment.servers[0].url, pid, review_id)
    b = open_review(sign_in, bob, deployment.servers[-1].url, pid, review_id)
    expect(score(a, "accuracy", 4)).to_be_checked()
    # Both score before either has heard of the other's change.
    a.locator('label[for="f_grade-accuracy-2"]').click()
    b.locator('label[for="f_grade-helpfulness-1"]').click()
    for page in (a, b):
        expect(score(page, "accuracy", 2)).to_be_checked(timeout=LIVE_MS)
        expect(score(page, "helpfulness", 1)).to_be_checked(timeout=LIVE_MS)
    # Bob writes a rationale; Alice sees it in her form.
    b.locator("#f_grade-accuracy-rationale").fill("The engine was never built.")
    expect(a.locator("#f_grade-accuracy-rationale")).to_have_value("The engine was never built.", timeout=LIVE_MS)

    a.get_by_role("button", name="Save edits & approve").click()
    expect(a.locator(".flash")).to_contain_text("Nothing is waiting for review")
    expect(b.locator("#coedit")).to_have_attribute("data-state", "decided", timeout=LIVE_MS)

    async def decision():
        from app.db import Database
        from app.review.models import ReviewTask
        from app.work.models import Annotation

        db = Database(deployment.database_url)
        try:
            async with db.transaction() as session:
                task = await session.get(ReviewTask, review_id)
                annotation = await session.get(Annotation, task.annotation_id)
                return task.decision, annotation.reviewed_answer
        finally:
            await db.dispose()

    decided, answer = run_async(decision())
    assert decided == "edit"
    assert answer["grade"]["criteria"] == {
        "accuracy": {"score": 2, "na": False, "rationale": "The engine was never built."},
        "helpfulness": {"score": 1, "na": False, "rationale": None}}


RESPONSES = [{"id": "m1", "content": "It was a mechanical computer."}, {"id": "m2", "content": "It was a steam train."}]
MIXED = [
    {"name": "doc", "type": "text", "value": "$text"},
    {"name": "responses", "type": "responses", "value": "$responses"},
    {"name": "pref", "type": "pairwise", "target": "responses", "strength": "optional", "reason": "optional"},
    {"name": "rank", "type": "ranking", "target": "responses"},
    {"name": "entities", "type": "spans", "target": "doc", "labels": ["PER", "LOC"]},
]
MIXED_ANSWER = {"pref": {"winner": "A"}, "rank": [{"candidate": "m1", "rank": 1}, {"candidate": "m2", "rank": 2}],
                "entities": [{"label": "PER", "start": 0, "end": 12}, {"label": "PER", "start": 25, "end": 40}]}


def test_spans_a_preference_and_a_ranking_edited_in_two_browsers_merge(sign_in, new_user, new_project, api_as,
                                                                       deployment):
    data = {"text": TEXT, "responses": RESPONSES}
    project = new_project([data], review=REVIEW, interface=MIXED,
                          gold={"data": data, "gold": MIXED_ANSWER, "explanation": "Fine."})
    pid = project["id"]
    worker = api_as(new_user("contributor", project))
    for _ in range(2):  # the gold item, then the one to review
        lease = worker.ok("POST", f"/projects/{pid}/next")["assignment"]
        worker.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": MIXED_ANSWER})
    alice, bob = new_user("reviewer", project), new_user("reviewer", project)
    review_id = api_as(alice).ok("POST", f"/projects/{pid}/reviews/next")["review"]["id"]
    a = open_review(sign_in, alice, deployment.servers[0].url, pid, review_id)
    b = open_review(sign_in, bob, deployment.servers[-1].url, pid, review_id)
    spans_of = lambda page: page.locator("fieldset[data-field='entities'] [data-span-list] li")  # noqa: E731
    expect(spans_of(b)).to_have_count(2)

    # Alice removes Ada while Bob marks London: both changes survive.
    a.get_by_role("button", name="Delete PER 0–12").click()
    entities = b.locator("fieldset[data-field='entities']")
    entities.get_by_label("Start").fill("44")
    entities.get_by_label("End").fill("50")
    entities.get_by_label("Label", exact=True).select_option("LOC")
    entities.get_by_label("End").press("Enter")
    for page in (a, b):
        expect(spans_of(page)).to_have_count(2, timeout=LIVE_MS)
        expect(spans_of(page).nth(0)).to_contain_text("PER Charles Babbage 25–40")
        expect(spans_of(page).nth(1)).to_contain_text("LOC London 44–50")
    # Alice prefers the right response, Bob swaps the ranks: each sees the other's.
    a.locator('label[for="f_pref-B"]').click()
    b.get_by_label("Response m1").select_option("2")
    b.get_by_label("Response m2").select_option("1")
    expect(b.locator("#f_pref-B")).to_be_checked(timeout=LIVE_MS)
    expect(a.get_by_label("Response m1")).to_have_value("m1=2", timeout=LIVE_MS)
    expect(a.get_by_label("Response m2")).to_have_value("m2=1", timeout=LIVE_MS)

    a.get_by_role("button", name="Save edits & approve").click()
    expect(a.locator(".flash")).to_contain_text("Nothing is waiting for review")

    async def reviewed():
        from app.db import Database
        from app.review.models import ReviewTask
        from app.work.models import Annotation

        db = Database(deployment.database_url)
        try:
            async with db.transaction() as session:
                task = await session.get(ReviewTask, review_id)
                return task.decision, (await session.get(Annotation, task.annotation_id)).reviewed_answer
        finally:
            await db.dispose()

    decided, answer = run_async(reviewed())
    assert decided == "edit"
    assert [(s["label"], s["text"]) for s in answer["entities"]] == [("PER", "Charles Babbage"), ("LOC", "London")]
    assert answer["pref"]["winner"] == "B"
    assert sorted((e["candidate"], e["rank"]) for e in answer["rank"]) == [("m1", 2), ("m2", 1)]
