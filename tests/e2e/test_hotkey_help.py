"""The "?" keyboard help on the workspace: the keys every answer form has and each field's own,
read from the widgets; not opened while typing; closed with Escape."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

INTERFACE = [
    {"name": "prompt", "type": "prompt_response", "value": "$prompt", "response": "$note"},
    {"name": "responses", "type": "responses", "value": "$responses"},
    {"name": "pref", "type": "pairwise", "target": "responses", "reason": "optional"},
]
DATA = {"prompt": "Which is better?", "note": "-",
        "responses": [{"id": "m1", "content": "One."}, {"id": "m2", "content": "Two."}]}
GOLD = {"pref": {"preferred": "m1"}}


def test_question_mark_lists_the_forms_keys_and_each_fields(sign_in, new_user, new_project, api_as):
    project = new_project(items=[DATA], interface=INTERFACE,
                          gold={"data": DATA | {"gold": True}, "gold": GOLD, "explanation": "One."})
    person = new_user("contributor", project)
    api = api_as(person)
    benchmark = api.ok("POST", f"/projects/{project['id']}/next")["assignment"]
    api.ok("POST", f"/assignments/{benchmark['id']}/submit", json={"answer": GOLD})

    page = sign_in(person)
    page.goto(f"/projects/{project['id']}/work")
    expect(page.locator("fieldset.field-pairwise")).to_be_visible()
    reason = page.locator("fieldset.field-pairwise textarea, fieldset.field-pairwise input[type=text]").first
    reason.click()
    page.keyboard.type("why?")  # typed, not a shortcut
    expect(page.locator("#hotkey-help")).to_have_count(0)

    page.locator("body").click()
    page.keyboard.press("?")
    help_box = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("submit the answer")
    expect(help_box.locator("tr", has_text="A: the left response")).to_contain_text("1")
    expect(help_box.locator("tr", has_text="Tie")).to_contain_text("3")
    page.keyboard.press("Escape")
    expect(help_box).to_be_hidden()
