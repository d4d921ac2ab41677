"""Span offsets in a real browser count the stored text's own characters (Python str indices),
whatever its line endings and whichever characters it holds: the HTML parser turns "\\r\\n" (and a
lone "\\r") into "\\n" and JavaScript counts emoji as two UTF-16 units, so without care a span
marked after a line break or an emoji would be stored one character off per break or emoji.

The contributor drags the mouse over names on a plain text with "\\r\\n", a lone "\\r" and emoji
(one selection runs across a line break), and over a claim on a markdown response with "\\r\\n"
paragraphs; the answer the API exports has each span's offsets and text as ``TEXT[start:end]``."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TEXT = ("Line one names nobody.\r\nThen Grace Hopper \U0001F642 met\r\nAlan Turing.\rOld Mac ending: "
        "Ada Byron \U0001F600\U0001F600.\r\nLast line.")
RESPONSE = "A paragraph about Babbage.\r\n\r\nThe engine \U0001F600 was built in 1850.\r\nIt ran in 1991."
INTERFACE = [
    {"name": "doc", "type": "text", "value": "$text"},
    {"name": "pr", "type": "prompt_response", "value": "$prompt", "response": "$response"},
    {"name": "entities", "type": "spans", "target": "doc", "labels": ["PER", "LOC"]},
    {"name": "claims", "type": "claims", "target": "pr"},
]
DATA = {"text": TEXT, "prompt": "Tell me about the engine", "response": RESPONSE}
GOLD_ANSWER = {"entities": [], "claims": {"claims": []}}

# The box of the character at UTF-16 index `index` of the element's text (a drag needs positions).
CHAR_BOX = """([selector, index]) => {
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node, passed = 0;
  while ((node = walker.nextNode())) {
    if (index < passed + node.data.length) {
      const range = document.createRange();
      const end = index - passed + (/[\\uD800-\\uDBFF]/.test(node.data[index - passed]) ? 2 : 1);
      range.setStart(node, index - passed); range.setEnd(node, end);
      const box = range.getBoundingClientRect();
      return {left: box.left, right: box.right, y: box.top + box.height / 2};
    }
    passed += node.data.length;
  }
  return null;
}"""


def utf16(text: str) -> int:
    """How many UTF-16 units JavaScript counts in ``text``."""
    return len(text.encode("utf-16-le")) // 2


def drag_select(page, selector: str, dom_text: str, part: str) -> None:
    """Select ``part`` of the element's DOM text (``textContent``) by dragging the mouse across it."""
    start = dom_text.index(part)
    last_char = part.rstrip("\r\n")[-1]
    first = page.evaluate(CHAR_BOX, [selector, utf16(dom_text[:start])])
    last = page.evaluate(CHAR_BOX, [selector, utf16(dom_text[:start + len(part.rstrip("\r\n"))]) - utf16(last_char)])
    page.mouse.move(first["left"] + 1, first["y"])
    page.mouse.down()
    page.mouse.move((first["left"] + last["right"]) / 2, (first["y"] + last["y"]) / 2, steps=4)
    page.mouse.move(last["right"] - 1, last["y"], steps=4)
    page.mouse.up()


def span(label: str, part: str) -> dict:
    start = TEXT.index(part)
    return {"label": label, "start": start, "end": start + len(part), "text": part}


def test_offsets_count_the_stored_characters_across_line_breaks_and_emoji(at_work, ops):
    gold = {"data": {**DATA, "prompt": "gold"}, "gold": GOLD_ANSWER, "explanation": "Nothing to mark."}
    project, _, _, page = at_work([DATA], INTERFACE, gold)
    task = page.locator("#task")
    doc = "[data-text-part='doc']"
    expect(task.locator(doc)).to_have_count(1)
    expect(task.locator("[data-span-widget][data-span-ready]")).to_have_count(2)
    # the page's text is the stored text, "\r" and all, and still shows its lines
    assert page.eval_on_selector(doc, "e => e.textContent") == TEXT
    lines = page.eval_on_selector(doc, "e => Math.round(e.getBoundingClientRect().height / "
                                       "parseFloat(getComputedStyle(e).lineHeight))")
    assert lines == 5, f"the text shows {lines} lines, not its 5"
    entities = task.locator("fieldset[data-field='entities']")
    claims = task.locator("fieldset[data-field='claims']")

    expected = [span("LOC", "nobody.\r\nThen"),  # across a line break
                span("PER", "Grace Hopper"),  # after one "\r\n"
                span("PER", "Alan Turing"),  # after two, and an emoji
                span("PER", "Ada Byron \U0001F600\U0001F600")]  # after a lone "\r"; ends in emoji
    for wanted in expected:
        drag_select(page, doc, TEXT, wanted["text"])
        expect(entities.locator("[data-span-start]")).to_have_value(str(wanted["start"]))
        expect(entities.locator("[data-span-end]")).to_have_value(str(wanted["end"]))
        page.keyboard.press("1" if wanted["label"] == "PER" else "2")
    expect(entities.locator("[data-span-list] li")).to_have_count(4)
    expect(entities.locator("[data-span-list] li").nth(2)).to_contain_text(
        f"PER Alan Turing {expected[2]['start']}–{expected[2]['end']}")

    # a claim on the rendered markdown response: it starts after a paragraph break and an emoji and
    # runs across a line break; its offsets count on the response as stored
    rendered = page.eval_on_selector("[data-text-part='pr']", "e => e.textContent")
    drag_select(page, "[data-text-part='pr']", rendered, "was built in 1850.\nIt ran in 1991.")
    claims.get_by_role("button", name="contradicted 2").click()
    claim_text = "was built in 1850.\r\nIt ran in 1991."
    claim_start = RESPONSE.index(claim_text)
    expect(claims.locator("[data-span-list] li").nth(0)).to_contain_text(
        f"{claim_start}–{claim_start + len(claim_text)}")

    # every mark is highlighted on the characters it names
    assert sorted(page.evaluate("[...CSS.highlights.get('inkwell-spans')].map(r => r.toString())")) == sorted(
        [s["text"] for s in expected] + ["was built in 1850.\nIt ran in 1991."])

    page.keyboard.press("Control+Enter")
    expect(task).not_to_contain_text("Grace Hopper")  # the next task (none left) replaced this one

    lines = [json.loads(line) for line in ops.http.get(f"/projects/{project['id']}/export",
                                                       params={"aggregate": "none"}).text.splitlines()]
    answers = [a["answer"] for line in lines if not line["gold"] for a in line["annotations"]]
    assert answers == [{
        "entities": expected,
        "claims": {"claims": [{"start": claim_start, "end": claim_start + len(claim_text), "text": claim_text,
                               "verdict": "contradicted", "severity": None, "evidence": []}]}}]
    for stored in answers[0]["entities"]:
        assert TEXT[stored["start"]:stored["end"]] == stored["text"]
