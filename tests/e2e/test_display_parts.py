"""Display parts in the builder, in a real browser: ops add one, the preview shows it with the
project's own first item (escaped), the set-up saves it, and no page breaks the policy (``sign_in``
fails the test on any Content-Security-Policy console message)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

FIRST_TEXT = "The <b>first</b> item's text\nwith a second line"


def add_part(page, choice: str):
    """Add a builder row of ``choice`` and return a locator that stays on it when rows move."""
    rows = page.locator("#field-rows .field-row")
    before = rows.count()
    page.locator("#new-field-type").select_option(choice)
    page.get_by_role("button", name="+ Add field").click()
    expect(rows).to_have_count(before + 1)
    key = rows.last.get_attribute("data-key")
    return page.locator(f"#field-rows .field-row[data-key='{key}']")


def test_ops_add_a_display_part_and_the_preview_shows_the_real_item(sign_in, new_user, new_project, ops):
    project = new_project(items=[{"text": FIRST_TEXT, "replies": ["Yes <i>really</i>", "No"]}], launch=False)
    page = sign_in(new_user("ops"))
    page.goto(f"/projects/{project['id']}/edit")
    expect(page.locator("#preview .preview-form")).to_be_visible()
    expect(page.locator("#preview .item-view")).to_have_count(0)  # no display part yet

    row = add_part(page, "show:text")
    expect(row.locator(".row-title")).to_contain_text("Show")
    expect(row.get_by_label("Shows", exact=True)).to_have_value("$text")
    expect(row.get_by_label("Required")).to_have_count(0)
    row.get_by_label("Name", exact=True).fill("body")
    row.get_by_role("button", name="Move this field up").click()  # above the answer fields
    row.get_by_role("button", name="Move this field up").click()
    row.get_by_role("button", name="Move this field up").click()

    second = add_part(page, "show:responses")
    second.get_by_label("Name", exact=True).fill("candidates")
    second.get_by_label("Responses", exact=True).fill("$replies")
    second.get_by_label("Layout", exact=True).select_option("stacked")

    page.get_by_role("button", name="Refresh preview").click()
    preview = page.locator("#preview")
    expect(preview.locator("[data-preview-item]")).to_contain_text("the project's first")
    expect(preview.locator("[data-text-part='body']")).to_have_text(FIRST_TEXT)  # as text: no <b> element
    expect(preview.locator("[data-text-part='body'] b")).to_have_count(0)
    expect(preview.locator(".candidates-stacked .candidate")).to_have_count(2)
    expect(preview.locator(".candidate").first).to_contain_text("Response A")
    expect(preview.locator(".candidate i")).to_have_count(0)
    expect(preview.locator("fieldset[data-field=sentiment]")).to_be_visible()  # the form below

    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/projects/{project['id']}")
    stored = ops.ok("GET", f"/projects/{project['id']}")["interface"]
    assert stored[0] == {"name": "body", "type": "text", "value": "$text"}
    assert stored[-1] == {"name": "candidates", "type": "responses", "value": "$replies", "layout": "stacked",
                          "randomise": True, "markdown": True}
