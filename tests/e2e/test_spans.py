"""Spans and claims in a real browser: the contributor marks one span by dragging the mouse and one
by keyboard alone (word jumps with Ctrl+Arrow, Shift to extend, a label's digit key), marks a claim
on the rendered (markdown) response with the mouse and a verdict button, gives its evidence, deletes
a span, and submits with Ctrl+Enter; the stored offsets are the text's own. Any policy violation on
the page fails the test (``sign_in``)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TEXT = "Ada Lovelace worked with Charles Babbage in London."
RESPONSE = "The **Analytical Engine** was designed by Babbage. It was built in 1850."
INTERFACE = [
    {"name": "doc", "type": "text", "value": "$text"},
    {"name": "pr", "type": "prompt_response", "value": "$prompt", "response": "$response"},
    {"name": "entities", "type": "spans", "target": "doc", "labels": ["PER", "LOC"]},
    {"name": "claims", "type": "claims", "target": "pr"},
]
DATA = {"text": TEXT, "prompt": "Tell me about the <i>engine</i>", "response": RESPONSE}
GOLD_ANSWER = {"entities": [{"label": "PER", "start": 0, "end": 12}], "claims": {"claims": []}}

# The box of character `index` of the element's text (a real mouse drag needs screen positions).
CHAR_BOX = """([selector, index]) => {
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node, passed = 0;
  while ((node = walker.nextNode())) {
    if (index < passed + node.data.length) {
      const range = document.createRange();
      range.setStart(node, index - passed); range.setEnd(node, index - passed + 1);
      const box = range.getBoundingClientRect();
      return {left: box.left, right: box.right, y: box.top + box.height / 2};
    }
    passed += node.data.length;
  }
  return null;
}"""


def drag_select(page, selector: str, visible_text: str, part: str) -> None:
    """Select ``part`` of the element's visible text by dragging the mouse across it."""
    start = visible_text.index(part)
    first = page.evaluate(CHAR_BOX, [selector, start])
    last = page.evaluate(CHAR_BOX, [selector, start + len(part) - 1])
    page.mouse.move(first["left"] + 1, first["y"])
    page.mouse.down()
    page.mouse.move((first["left"] + last["right"]) / 2, last["y"], steps=4)
    page.mouse.move(last["right"] - 1, last["y"], steps=4)
    page.mouse.up()


def test_a_contributor_marks_spans_and_claims_by_mouse_and_keyboard(at_work, ops):
    gold = {"data": {**DATA, "prompt": "gold"}, "gold": GOLD_ANSWER, "explanation": "Ada is a person."}
    project, _, _, page = at_work([DATA], INTERFACE, gold)
    task = page.locator("#task")
    expect(task.locator("[data-text-part='doc']")).to_have_text(TEXT)
    expect(task.locator(".pr-prompt i")).to_have_count(0)  # the prompt's HTML is shown as text
    entities = task.locator("fieldset[data-field='entities']")
    claims = task.locator("fieldset[data-field='claims']")
    expect(entities.get_by_role("button", name="PER 1")).to_be_visible()

    # 1. the mouse: drag across "Ada Lovelace", press 1 (PER)
    drag_select(page, "[data-text-part='doc']", TEXT, "Ada Lovelace")
    expect(entities.locator("[data-span-start]")).to_have_value("0")
    expect(entities.locator("[data-span-end]")).to_have_value("12")
    page.keyboard.press("1")
    expect(entities.locator("[data-span-list] li")).to_have_count(1)
    expect(entities.locator("[data-span-list] li").nth(0)).to_contain_text("PER Ada Lovelace 0–12")

    # 2. the keyboard alone: word jumps to "Charles", Shift+Ctrl+Right twice, 2 (LOC): a wrong label ...
    frame = task.locator("[data-part='doc'] .text-frame")
    frame.focus()
    page.keyboard.press("Home")
    for _ in range(4):
        page.keyboard.press("Control+ArrowRight")  # after "with"
    page.keyboard.press("ArrowRight")  # on the C of Charles
    page.keyboard.press("Shift+Control+ArrowRight")
    page.keyboard.press("Shift+Control+ArrowRight")
    expect(entities.locator("[data-span-status]")).to_contain_text("Selected 25–40: “Charles Babbage”")
    page.keyboard.press("2")
    expect(entities.locator("[data-span-list] li")).to_have_count(2)
    expect(entities.locator("[data-span-list] li").nth(1)).to_contain_text("LOC Charles Babbage 25–40")
    # ... deleted, and marked again by typing the offsets and pressing Enter with PER chosen
    entities.get_by_role("button", name="Delete LOC 25–40").click()
    expect(entities.locator("[data-span-list] li")).to_have_count(1)
    entities.get_by_label("Start").fill("25")
    entities.get_by_label("End").fill("40")
    entities.get_by_label("Label", exact=True).select_option("PER")
    entities.get_by_label("End").press("Enter")  # adds, does not submit the form
    expect(entities.locator("[data-span-list] li").nth(1)).to_contain_text("PER Charles Babbage 25–40")
    # an overlapping span is refused on the spot
    entities.get_by_label("Start").fill("30")
    entities.get_by_label("End").fill("45")
    entities.get_by_label("End").press("Enter")
    expect(entities.locator("[data-span-status]")).to_contain_text("overlaps 25–40")
    expect(entities.locator("[data-span-list] li")).to_have_count(2)

    # 3. a claim on the rendered markdown response: offsets count on the response as written
    rendered = task.locator("[data-text-part='pr']").inner_text()
    drag_select(page, "[data-text-part='pr']", rendered, "It was built in 1850.")
    claims.get_by_role("button", name="contradicted 2").click()
    claim = claims.locator("[data-span-list] li").nth(0)
    expect(claim).to_contain_text("contradicted It was built in 1850. 51–72")
    claim.get_by_label("Severity").select_option("major")
    claim.get_by_role("button", name="Add evidence").click()
    claim.get_by_label("Evidence URL").fill("https://en.wikipedia.org/wiki/Analytical_engine")
    claim.get_by_label("Quote").fill("never completed")

    # every marked span is highlighted on its text (two entities, and the claim on the rendered response)
    assert page.evaluate("CSS.highlights.get('inkwell-spans').size") == 3
    assert page.evaluate("[...CSS.highlights.get('inkwell-spans')].map(r => r.toString()).sort()") == [
        "Ada Lovelace", "Charles Babbage", "It was built in 1850."]

    page.keyboard.press("Control+Enter")  # from the quote box: submits the whole answer
    expect(task).not_to_contain_text("Charles Babbage")  # the next task (none left) replaced this one

    lines = [json.loads(line) for line in ops.http.get(f"/projects/{project['id']}/export",
                                                       params={"aggregate": "none"}).text.splitlines()]
    answers = [a["answer"] for line in lines if not line["gold"] for a in line["annotations"]]
    assert answers == [{
        "entities": [{"label": "PER", "start": 0, "end": 12, "text": "Ada Lovelace"},
                     {"label": "PER", "start": 25, "end": 40, "text": "Charles Babbage"}],
        "claims": {"claims": [{"start": 51, "end": 72, "text": "It was built in 1850.", "verdict": "contradicted",
                               "severity": "major", "evidence": [
                                   {"url": "https://en.wikipedia.org/wiki/Analytical_engine",
                                    "quote": "never completed"}]}]}}]
