"""A rejection as the two pages that read it leanly show it: the contributor's workspace holding the
returned task (the decision read with the lease), and the reviewer's page for the fix (the item and
answer, the contributor's record and the item's history read as plain rows)."""

from __future__ import annotations

import re

import httpx

from tests.integration.test_review import ONE_STAGE, answer, reviewed_project


async def page(server, api, path: str) -> str:
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {api.token}"}) as http:
        response = await http.get(path)
    assert response.status_code == 200, response.text[:500]
    return response.text


async def test_a_returned_answer_on_the_workspace_and_its_fix_on_the_review_page(server, new_project, new_user):
    project, alice, contributor, reviewer = await reviewed_project(new_project, new_user, review=ONE_STAGE)
    pid = project["id"]
    await answer(alice, pid, "neg", "too dark")
    review = (await reviewer.ok("POST", f"/projects/{pid}/reviews/next"))["review"]
    await reviewer.ok("POST", f"/reviews/{review['id']}/decide",
                      json={"decision": "reject", "comment": "Read the **ending** again.", "tags": ["wrong label"]})

    fix = (await alice.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]
    held = (await alice.ok("POST", f"/projects/{pid}/next", status=200))["assignment"]  # the held lease, read again
    assert held["id"] == fix["id"] and held["returned"]["comment"] == "Read the **ending** again."
    assert held["returned"]["tags"] == ["wrong label"] and held["returned"]["answer"]["sentiment"] == "neg"
    work = await page(server, alice, f"/projects/{pid}/work")
    assert f'data-returned="{fix["id"]}"' in work
    assert "Returned by a reviewer (Check): fix and resubmit." in work
    assert '<span class="tag">wrong label</span>' in work and "Read the <strong>ending</strong> again." in work
    assert re.search(r'value="neg" checked', work), "the answer as given is filled in"
    assert "too dark" in work

    await alice.ok("POST", f"/assignments/{fix['id']}/submit", json={"answer": {"sentiment": "pos"}}, status=201)
    fresh = await page(server, alice, f"/projects/{pid}/work")
    assert "data-returned" not in fresh, "a lease that is no fix shows no returned decision"

    again = (await reviewer.ok("POST", f"/projects/{pid}/reviews/next", status=200))["review"]
    html = await page(server, reviewer, f"/projects/{pid}/review/{again['id']}")
    assert again["contributor"]["pseudonym"] in html and contributor["name"] not in html
    assert f"<dt>Answers</dt><dd>{again['contributor']['tasks_done']}</dd>" in html
    assert "<dt>Accepted in review</dt><dd>0% of 1</dd>" in html
    assert "<dt>Resubmission</dt>" in html and f'href="/projects/{pid}/guidelines/1">version 1</a>' in html
    assert "item 0" in html
    history = html[html.index('id="review-history"'):]
    assert '<li data-decision="reject"><strong>reject</strong> at stage 1 (Check)' in history
    assert "<blockquote>Read the **ending** again.</blockquote>" in history and "wrong label" in history
