"""Pairwise preference and ranking in a real browser, by keyboard alone: digit hotkeys pick the
winner (not while typing the reason), the strength select and every rank select are reached with
Tab and set with keys, Ctrl+Enter submits; what is stored is what was chosen, in the order this
assignment showed the responses. Any policy violation on the page fails the test (``sign_in``)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

RESPONSES = [{"id": "m1", "content": "Paris is the capital of France."},
             {"id": "m2", "content": "It is <b>Lyon</b>."},
             {"id": "m3", "content": "France's capital: Paris."}]
INTERFACE = [
    {"name": "prompt", "type": "prompt_response", "value": "$prompt", "response": "$note"},
    {"name": "responses", "type": "responses", "value": "$responses"},
    {"name": "pref", "type": "pairwise", "target": "responses", "strength": "optional", "reason": "optional"},
    {"name": "rank", "type": "ranking", "target": "responses"},
]
GOLD = {"pref": {"preferred": "tie"}, "rank": [{"candidate": "m1", "rank": 1}, {"candidate": "m3", "rank": 2},
                                                {"candidate": "m2", "rank": 3}]}


def test_a_contributor_prefers_and_ranks_by_keyboard(sign_in, new_user, new_project, api_as, ops):
    data = {"prompt": "What is the capital of France?", "note": "-", "responses": RESPONSES}
    project = new_project(items=[data], interface=INTERFACE,
                          gold={"data": data | {"gold": True}, "gold": GOLD, "explanation": "Paris."})
    person = new_user("contributor", project)
    api = api_as(person)
    benchmark = api.ok("POST", f"/projects/{project['id']}/next")["assignment"]
    # The lease says in which order this assignment shows the responses (pairwise judges the first two).
    assert sorted(c["id"] for c in benchmark["shown"]["responses"]) == ["m1", "m2", "m3"]
    api.ok("POST", f"/assignments/{benchmark['id']}/submit", json={"answer": GOLD})

    page = sign_in(person)
    page.goto(f"/projects/{project['id']}/work")
    task = page.locator("#task")
    pref = task.locator("fieldset.field-pairwise")
    expect(pref.get_by_label("B: the right response")).to_be_visible()

    page.locator("body").click()  # focus outside any box
    page.keyboard.press("2")
    expect(pref.get_by_label("B: the right response")).to_be_checked()
    page.keyboard.press("3")
    expect(pref.get_by_label("Tie: equally good")).to_be_checked()
    page.keyboard.press("1")
    expect(pref.get_by_label("A: the left response")).to_be_checked()
    page.keyboard.press("Tab")  # to the strength select
    expect(pref.get_by_label("How much better")).to_be_focused()
    page.keyboard.press("3")
    expect(pref.get_by_label("How much better")).to_have_value("3")
    page.keyboard.press("Tab")
    page.keyboard.type("2 is clearer")  # digits typed in the reason do not change the winner
    expect(pref.get_by_label("A: the left response")).to_be_checked()

    ranks = task.locator("fieldset.field-ranking select")
    expect(ranks).to_have_count(3)
    labels = [task.locator(f"label[for='{ranks.nth(i).get_attribute('id')}']").inner_text() for i in range(3)]
    shown = [label.removeprefix("Response ") for label in labels]
    page.keyboard.press("Tab")  # to the first rank select
    expect(ranks.nth(0)).to_be_focused()
    for key in ("3", "Tab", "1", "Tab", "2"):
        page.keyboard.press(key)
    page.keyboard.press("Control+Enter")
    expect(task).not_to_contain_text("What is the capital of France?", timeout=10_000)

    lines = [json.loads(line) for line in ops.http.get(f"/projects/{project['id']}/export",
                                                       params={"aggregate": "none"}).text.splitlines()]
    (answer,) = [a["answer"] for line in lines if not line["gold"] for a in line["annotations"]]
    assert answer["pref"]["winner"] == "A" and answer["pref"]["strength"] == 3
    assert answer["pref"]["reason"] == "2 is clearer"
    assert answer["pref"]["shown"] == {"left": shown[0], "right": shown[1]}
    assert answer["pref"]["preferred"] == shown[0]
    assert answer["rank"] == [{"candidate": shown[0], "rank": 3}, {"candidate": shown[1], "rank": 1},
                              {"candidate": shown[2], "rank": 2}]
