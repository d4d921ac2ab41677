"""The Content-Security-Policy holds on every page, in a real browser.

``sign_in`` (conftest) fails a test on any "Content Security Policy" console message, so opening a
page is the check. The other browser tests cover the work, review and board pages; this one opens
every other page ops reach, with data on them (an escalation, a contributor with a standing), and
checks the one behaviour that moved out of an htmx filter expression (script, which the policy
forbids) into static/app.js: the contributors table does not refresh under an open override form.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_every_ops_page_keeps_the_policy(sign_in, new_user, new_project, api_as, server):
    project = new_project(items=2, review={"stages": [{"name": "check", "level": 1, "share": 1.0}], "tags": ["typo"]})
    pid = project["id"]
    contributor = new_user("contributor", project)
    api = api_as(contributor)
    gate = api.ok("POST", f"/projects/{pid}/next")["assignment"]
    api.ok("POST", f"/assignments/{gate['id']}/submit", json={"answer": {"sentiment": "pos"}})
    held = api.ok("POST", f"/projects/{pid}/next")["assignment"]
    api.ok("POST", f"/projects/{pid}/escalations", json={"note": "Not covered by the guidelines",
                                                         "assignment_id": held["id"]})
    page = sign_in(new_user("ops"))
    headers = page.goto(f"/projects/{pid}").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    for path in ("", "/edit", "/guidelines", "/guidelines/1", "/board", "/quality", "/contributors", "/review",
                 "/review/settings", "/review/metrics", "/agreement", "/guideline-gaps", "/escalations"):
        response = page.goto(f"/projects/{pid}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    expect(page.locator("section.escalation")).to_have_count(1)
    page.goto("/projects/new")
    page.wait_for_load_state("networkidle")


def test_the_contributors_table_waits_while_an_override_form_is_open(sign_in, new_user, new_project):
    project = new_project(items=1)
    new_user("contributor", project)
    page = sign_in(new_user("ops"))
    page.clock.install()  # the 5 s poll, run on a fake clock
    refreshes: list[str] = []

    def count(request) -> None:
        if re.search(r"/contributors/table$", request.url):
            refreshes.append(request.url)

    page.on("request", count)
    page.goto(f"/projects/{project['id']}/contributors")
    page.wait_for_load_state("networkidle")
    page.locator("details.override summary").first.click()  # the override form is open
    page.clock.run_for(12_000)
    page.wait_for_timeout(300)
    assert refreshes == [], "the table was refreshed under an open override form"
    page.locator("details.override summary").first.click()  # closed again (focus still on the summary)
    page.locator("h1").first.click()
    page.clock.run_for(6_000)
    page.wait_for_timeout(300)
    assert len(refreshes) >= 1, "the table no longer refreshes once the form is closed"
