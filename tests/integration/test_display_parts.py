"""Display parts through the API and the pages: ops put the item's text, a prompt and its response,
candidate responses, a chat, code and metadata where contributors see them; everything from the item
is escaped, markdown is rendered without its raw HTML, and the candidates come in an order fixed per
assignment (the reviewer sees the contributor's order)."""

from __future__ import annotations

import re

from components.registry import display_part_classes
from tests.integration.test_project_pages import page_token, project_form

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

EVERY_PART = [
    {"name": "intro", "type": "text", "value": "$text"},
    {"name": "notes", "type": "text", "value": "$notes", "markdown": True},
    {"name": "exchange", "type": "prompt_response", "value": "$prompt", "response": "$response"},
    {"name": "candidates", "type": "responses", "value": "$candidates", "layout": "side_by_side"},
    {"name": "conversation", "type": "chat", "value": "$messages"},
    {"name": "source", "type": "code", "value": "$code", "language": "python"},
    {"name": "details", "type": "metadata", "value": "$", "fields": ["origin", "meta.lang"]},
    {"name": "sentiment", "type": "choice", "options": ["pos", "neg", "neu"]},
]
CANDIDATES = [{"id": f"c{n}", "content": f"Candidate number {n}"} for n in range(1, 7)]


def item(n: int = 0) -> dict:
    return {"text": f"Plain {SCRIPT} text {n}\nsecond line",
            "notes": "Some **bold** words and <img src=x onerror=alert(1)> raw HTML",
            "prompt": "How do I *reverse* a list?",
            "response": "Use slicing:\n\n```python\nitems[::-1]  # <b>not bold</b>\n```",
            "candidates": CANDIDATES,
            "messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": f"Hi {SCRIPT}"},
                         {"role": "assistant", "content": "Hello.", "id": "a1"}],
            "code": "def f():\n    return '<tag>'\n", "origin": SCRIPT, "meta": {"lang": "en"}}


async def display_project(new_project, ops, *, items: int = 1, **fields) -> dict:
    """A launched project showing every display part, with ``items`` items and one gold check."""
    project = await new_project(interface=EVERY_PART, **fields)
    await ops.ok("POST", f"/projects/{project['id']}/items", params={"batch": "b1"},
                 json=[item(n) for n in range(items)])
    await ops.ok("POST", f"/projects/{project['id']}/items", params={"batch": "gold"},
                 json=[{"data": item(99), "gold": {"sentiment": "pos"}, "explanation": "It is positive."}])
    await ops.ok("POST", f"/projects/{project['id']}/launch")
    return project


def candidate_order(html: str) -> list[str]:
    return re.findall(r'data-candidate="([^"]+)"', html)


async def workspace_of(new_user, browser_for, project_id: int):
    """A contributor with a task leased, and their workspace page."""
    user, api = await new_user("contributor", project_id)
    lease = (await api.ok("POST", f"/projects/{project_id}/next", status=200))["assignment"]
    browser = await browser_for(user["email"])
    page = await browser.get(f"/projects/{project_id}/work/")
    assert page.status_code == 200, page.text
    return api, browser, lease, page.text


# -- the API -----------------------------------------------------------------------------
async def test_an_interface_with_every_display_part_is_accepted_and_listed(ops, new_project):
    project = await new_project(interface=EVERY_PART)
    stored = (await ops.ok("GET", f"/projects/{project['id']}"))["interface"]
    assert [p["name"] for p in stored] == [p["name"] for p in EVERY_PART]
    assert stored[3] == {"name": "candidates", "type": "responses", "value": "$candidates",
                         "layout": "side_by_side", "randomise": True, "markdown": True}
    assert stored[6]["fields"] == ["origin", "meta.lang"]
    listed = await ops.ok("GET", "/components")
    shown = {c["type"] for c in (listed if isinstance(listed, list) else listed["components"]) if c["kind"] == "display"}
    assert shown >= set(display_part_classes()) >= {"text", "prompt_response", "responses", "chat", "code", "metadata"}


async def test_a_wrong_setting_is_refused_naming_it(ops):
    base = {"name": "Wrong", "purpose": "p", "guidelines": "g", "overlap": 1}
    cases = [
        ({"name": "c", "type": "responses", "value": "$c", "layout": "grid"}, "layout must be one of"),
        ({"name": "t", "type": "text", "value": "$t", "colour": "red"}, "unknown setting for a text part: colour"),
        ({"name": "p", "type": "prompt_response", "value": "$p"}, "response is missing"),
        ({"name": "m", "type": "metadata", "value": "$", "fields": []}, "fields must be a non-empty list"),
        ({"name": "x", "type": "chat"}, "value is missing"),
    ]
    for part, wording in cases:
        response = await ops.post("/projects", json=base | {"interface": [
            part, {"name": "sentiment", "type": "choice", "options": ["a", "b"]}]})
        assert response.status_code == 422, (part, response.text)
        message = response.json()["errors"]["interface"]
        assert message.startswith(f"field 1 ({part['name']})"), message
        assert wording in message, message


# -- the workspace -----------------------------------------------------------------------
async def test_the_workspace_shows_the_parts_in_order_with_the_item_escaped(new_project, new_user, browser_for, ops):
    project = await display_project(new_project, ops)
    _, _, lease, html = await workspace_of(new_user, browser_for, project["id"])
    positions = [html.index(f'data-part="{p["name"]}"') for p in EVERY_PART[:-1]]
    assert positions == sorted(positions)
    assert html.index('data-part="details"') < html.index('class="answer-form')
    assert '<dl class="item-data">' not in html  # no key/value dump once parts are given

    assert SCRIPT not in html and html.count(ESCAPED) >= 3  # the text, a chat turn, the metadata
    assert '<img src=x' not in html and "&lt;img src=x onerror=alert(1)&gt;" in html  # raw HTML in markdown: text
    assert "<strong>bold</strong>" in html and "<em>reverse</em>" in html  # markdown rendered
    # plain text keeps its breaks in a box marked for spans, its length in characters
    text = item()["text"]
    assert (f'data-text-part="intro" data-length="{len(text)}">'
            f'Plain {ESCAPED} text 0\nsecond line</div>') in html
    # fenced code and the code part highlighted with classes (no inline styles), the source escaped
    assert '<pre class="hl"><code class="language-python">' in html
    assert '<span class="c1"># &lt;b&gt;not bold&lt;/b&gt;</span>' in html
    assert '<span class="s1">&#39;&lt;tag&gt;&#39;</span>' in html or "<span class=\"s1\">'&lt;tag&gt;'</span>" in html
    assert "style=" not in html
    # the chat: roles styled, the system prompt collapsed, every turn with its id
    assert re.search(r'<li class="turn role-system" data-turn="t1" data-role="system">\s*<details', html)
    assert 'class="turn role-user" data-turn="t2"' in html and 'class="turn role-assistant" data-turn="a1"' in html
    # metadata: the chosen fields only
    assert "<th scope=\"row\">meta.lang</th><td class=\"text-plain\">en</td>" in html
    assert "<th scope=\"row\">text</th>" not in html
    # the candidates, lettered in the order shown
    order = candidate_order(html)
    assert sorted(order) == sorted(c["id"] for c in CANDIDATES)
    letters = re.findall(r'data-candidate="[^"]+" data-position="([A-Z])"', html)
    assert letters == ["A", "B", "C", "D", "E", "F"]
    assert 'class="candidates candidates-side"' in html


async def test_the_candidates_order_is_fixed_per_assignment_and_the_reviewer_sees_it(
        new_project, new_user, browser_for, ops):
    review = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}], "tags": []}
    project = await display_project(new_project, ops, items=1, overlap=4, review=review)
    orders = []
    for _ in range(4):
        api, browser, lease, html = await workspace_of(new_user, browser_for, project["id"])
        order = candidate_order(html)
        again = await browser.get(f"/projects/{project['id']}/work/")
        assert candidate_order(again.text) == order  # the same on every render
        orders.append((api, lease, order))
    assert len({tuple(order) for _, _, order in orders}) > 1, "every assignment showed the same order"

    api, lease, order = orders[0]
    await api.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": {"sentiment": "pos"}})
    reviewer, reviewer_api = await new_user("reviewer", project["id"])
    task = (await reviewer_api.ok("POST", f"/projects/{project['id']}/reviews/next", status=200))["review"]
    page = await (await browser_for(reviewer["email"])).get(f"/projects/{project['id']}/review/{task['id']}")
    assert page.status_code == 200, page.text
    assert candidate_order(page.text) == order  # as the contributor saw them
    # the order comes from the answer's assignment; the reviewer's own flag form still names the review
    assert f'name="review_task_id" value="{task["id"]}"' in page.text and 'name="assignment_id"' not in page.text


async def test_an_interface_without_display_parts_shows_the_data_as_before(new_project, new_user, browser_for):
    project = await new_project(items=1, launch=True)
    _, _, _, html = await workspace_of(new_user, browser_for, project["id"])
    assert re.search(r'<dl class="item-data">\s*<dt>text</dt>\s*<dd>item 0</dd>', html)
    assert 'class="item-view"' not in html


# -- the builder ---------------------------------------------------------------------------
async def test_the_builder_offers_display_parts_with_their_settings(browser):
    page = await browser.get("/projects/new")
    assert '<optgroup label="Show">' in page.text and '<option value="show:responses">' in page.text
    row = await browser.get("/projects/field-row", params={"index": 3, "type": "show:responses", "add": "true"})
    assert row.status_code == 200
    assert 'name="field-3-value"' in row.text and 'value="$responses"' in row.text
    assert '<select id="field-3-layout" name="field-3-layout">' in row.text
    assert 'name="field-3-randomise"' in row.text and 'name="field-3-required"' not in row.text
    assert '<option value="show:responses" selected>' in row.text


def display_row(key: int, choice: str, name: str, **values: str) -> list[tuple[str, str]]:
    pairs = [("row", str(key)), (f"field-{key}-type", choice), (f"field-{key}-drawn", choice),
             (f"field-{key}-name", name), (f"field-{key}-label", ""), (f"field-{key}-help", "")]
    return pairs + [(f"field-{key}-{k}", v) for k, v in values.items()]


async def test_a_project_made_in_the_builder_keeps_its_display_parts(browser, ops):
    page = await browser.get("/projects/new")
    form = project_form("Shown parts", display_row(0, "show:text", "intro", value="$text", markdown="1"),
                        display_row(1, "show:metadata", "details", value="$", fields="origin\n\nmeta.lang\n"),
                        display_row(2, "choice", "sentiment", options="pos\nneg", required="1"))
    response = await browser.post("/projects/new", form + [("_csrf_token", page_token(page.text))], csrf=False)
    assert response.status_code == 303, response.text
    project_id = int(response.headers["location"].rsplit("/", 1)[1])
    stored = (await ops.ok("GET", f"/projects/{project_id}"))["interface"]
    assert stored[:2] == [{"name": "intro", "type": "text", "value": "$text", "markdown": True},
                          {"name": "details", "type": "metadata", "value": "$", "fields": ["origin", "meta.lang"]}]
    edit = await browser.get(f"/projects/{project_id}/edit")  # and the builder draws them back
    assert '<option value="show:metadata" selected>' in edit.text and "origin\nmeta.lang</textarea>" in edit.text


async def test_the_preview_shows_display_parts_with_the_projects_first_item(browser, ops, new_project):
    project = await new_project(interface=EVERY_PART)
    rows = display_row(0, "show:text", "intro", value="$text") + display_row(1, "choice", "sentiment", options="a\nb")
    sample = await browser.post("/projects/preview", project_form("P", rows), htmx=True)
    assert sample.status_code == 200
    assert 'data-preview-item="sample"' in sample.text and "A sample text" in sample.text

    await ops.ok("POST", f"/projects/{project['id']}/items", json=[item(0), item(1)])
    real = await browser.post("/projects/preview", project_form("P", rows) + [("preview_project", str(project["id"]))],
                              htmx=True)
    assert 'data-preview-item="' in real.text and "the project's first" in real.text
    assert f"Plain {ESCAPED} text 0" in real.text and SCRIPT not in real.text
    assert 'disabled' in real.text  # the form below, inputs disabled

    edit = await browser.get(f"/projects/{project['id']}/edit")  # the edit page opens with it
    assert f"Plain {ESCAPED} text 0" in edit.text and 'name="preview_project"' in edit.text


async def test_the_preview_uses_a_sample_for_a_project_the_user_may_not_set_up(ops, new_project, new_user, browser_for):
    project = await new_project(interface=EVERY_PART)
    await ops.ok("POST", f"/projects/{project['id']}/items", json=[item(0)])
    other = await new_project()
    owner, _ = await new_user("contributor")
    await ops.ok("POST", f"/projects/{other['id']}/members", json={"user_id": owner["id"], "role": "ops"})
    browser = await browser_for(owner["email"])
    rows = display_row(0, "show:text", "intro", value="$text") + display_row(1, "choice", "sentiment", options="a\nb")
    preview = await browser.post("/projects/preview", project_form("P", rows) + [("preview_project", str(project["id"]))],
                                 htmx=True)
    assert preview.status_code == 200
    assert 'data-preview-item="sample"' in preview.text and "Plain" not in preview.text


async def test_the_escalation_queue_and_the_item_thread_show_the_parts(new_project, new_user, browser_for, browser, ops):
    project = await display_project(new_project, ops, items=2)
    for _ in range(2):
        api, _, lease, _ = await workspace_of(new_user, browser_for, project["id"])
        await api.ok("POST", f"/projects/{project['id']}/escalations",
                     json={"note": "Not covered", "assignment_id": lease["id"]})
    queue = await browser.get(f"/projects/{project['id']}/escalations")
    assert queue.status_code == 200, queue.text
    assert queue.text.count('class="item-view"') == 2 and SCRIPT not in queue.text
    ids = re.findall(r'id="(e\d+-part-intro)"', queue.text)
    assert len(set(ids)) == 2  # one heading id per escalation: unique on the page
    thread = await browser.get(f"/items/{lease['item']['id']}/thread")
    assert thread.status_code == 200, thread.text
    assert 'data-part="conversation"' in thread.text and f"Plain {ESCAPED} text" in thread.text
    assert SCRIPT not in thread.text
