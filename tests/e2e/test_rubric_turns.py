"""A rubric and per-turn ratings in a real browser: the contributor scores criteria with digit keys,
ticks N/A (which clears the score), rates each assistant turn of the conversation in the group the
script builds from the chat part, and submits; what is stored is what was entered. Any policy
violation on the page fails the test (``sign_in``)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

CHAT = [{"role": "user", "content": "When did the Berlin Wall fall?"},
        {"role": "assistant", "content": "In <b>1989</b>."},
        {"role": "user", "content": "Which day?"},
        {"role": "assistant", "content": "On 9 November.", "id": "final"}]
INTERFACE = [
    {"name": "conversation", "type": "chat", "value": "$chat", "markdown": False},
    {"name": "turns", "type": "turn_ratings", "target": "conversation",
     "criteria": [{"id": "helpful", "min": 1, "max": 5}], "flags": ["hallucination"]},
    {"name": "quality", "type": "rubric", "criteria": [
        {"id": "accuracy", "description": "Every fact is right", "min": 1, "max": 5,
         "anchors": {"1": "Mostly wrong", "5": "Fully correct"}, "rationale_below": 3},
        {"id": "safety", "description": "Nothing harmful", "na_allowed": True}]},
]
GOLD_ANSWER = {"turns": {"turns": {"t2": {"ratings": {"helpful": 5}}, "final": {"ratings": {"helpful": 5}}}},
               "quality": {"criteria": {"accuracy": {"score": 5}, "safety": {"na": True}}}}


def test_a_contributor_grades_by_keyboard_and_the_answer_is_stored(at_work, ops):
    gold = {"data": {"chat": CHAT, "gold": True}, "gold": GOLD_ANSWER, "explanation": "All correct."}
    project, _, _, page = at_work([{"chat": CHAT}], INTERFACE, gold)
    task = page.locator("#task")
    expect(task.locator("li[data-turn='final']")).to_be_visible()
    expect(task.locator("li[data-turn] b")).to_have_count(0)  # the turn's text is escaped

    groups = task.locator("[data-turn-rating]")
    expect(groups).to_have_count(2)  # the two assistant turns, built from the chat part
    expect(groups.nth(0).locator("legend").first).to_have_text("Turn 2 (assistant)")
    groups.nth(0).get_by_label("1", exact=True).focus()
    page.keyboard.press("4")
    expect(groups.nth(0).get_by_label("4", exact=True)).to_be_checked()
    groups.nth(1).get_by_label("1", exact=True).focus()
    page.keyboard.press("2")
    groups.nth(1).get_by_label("hallucination").check()

    accuracy = task.locator("fieldset[data-criterion='accuracy']")
    expect(accuracy.get_by_role("radiogroup", name="Accuracy score")).to_be_visible()
    accuracy.get_by_label("1 Mostly wrong").focus()
    page.keyboard.press("2")
    expect(accuracy.get_by_label("2", exact=True)).to_be_checked()
    safety = task.locator("fieldset[data-criterion='safety']")
    safety.get_by_label("1", exact=True).focus()
    page.keyboard.press("3")
    expect(safety.get_by_label("3", exact=True)).to_be_checked()
    safety.get_by_label("Not applicable").check()  # N/A clears the score
    expect(safety.get_by_label("3", exact=True)).not_to_be_checked()

    page.get_by_role("button", name="Submit & next").click()  # accuracy 2 needs a rationale
    expect(task.locator("p.error[role=alert]").filter(has_text="criteria.accuracy.rationale: required below 3")).to_be_visible()
    expect(task.locator("fieldset[data-criterion='accuracy']")).to_have_class("rubric-criterion has-error")
    expect(task.locator("[data-turn-rating]").nth(0).get_by_label("4", exact=True)).to_be_checked()  # kept
    task.locator("fieldset[data-criterion='accuracy']").get_by_label("Rationale").fill("The day is right, the year too; but it says <b>.")
    page.keyboard.press("Control+Enter")
    expect(task).not_to_contain_text("required below 3")

    lines = [json.loads(line) for line in ops.http.get(f"/projects/{project['id']}/export",
                                                       params={"aggregate": "none"}).text.splitlines()]
    answers = [a["answer"] for line in lines if not line["gold"] for a in line["annotations"]]
    assert answers == [{
        "turns": {"turns": {"t2": {"ratings": {"helpful": 4}, "flags": []},
                            "final": {"ratings": {"helpful": 2}, "flags": ["hallucination"]}}},
        "quality": {"criteria": {"accuracy": {"score": 2, "na": False,
                                              "rationale": "The day is right, the year too; but it says <b>."},
                                 "safety": {"score": None, "na": True, "rationale": None}}}}]
