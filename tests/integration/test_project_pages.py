"""The ops set-up pages, driven as a browser would: signed in through the login form, CSRF token and all."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.integration.conftest import QUIET_QUALITY

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def project_form(name: str, *rows: list[tuple[str, str]], **fields: str) -> list[tuple[str, str]]:
    values = {"name": name, "purpose": "Train the triage model", "guidelines": "# Read the ticket",
              "overlap": "2", "lease_minutes": "20", "builder": "1"} | fields
    pairs = list(values.items())
    for row in rows:
        pairs.extend(row)
    return pairs


def choice_row(key: int, name: str, options: str, kind: str = "choice") -> list[tuple[str, str]]:
    return [("row", str(key)), (f"field-{key}-type", kind), (f"field-{key}-drawn", kind),
            (f"field-{key}-name", name), (f"field-{key}-label", name.title()), (f"field-{key}-required", "1"),
            (f"field-{key}-options", options), (f"field-{key}-help", "")]


def rating_row(key: int, name: str) -> list[tuple[str, str]]:
    return [("row", str(key)), (f"field-{key}-type", "rating"), (f"field-{key}-drawn", "rating"),
            (f"field-{key}-name", name), (f"field-{key}-label", ""), (f"field-{key}-min", "1"),
            (f"field-{key}-max", "5"), (f"field-{key}-labels", "1 = can wait\n5 = blocked")]


def csv_file(text: str, name: str = "items.csv", content_type: str = "text/csv"):
    return {"file": (name, text.encode(), content_type)}


def page_token(html: str) -> str:
    """The CSRF token a page's forms carry, as a browser would post it."""
    match = re.search(r'<input type="hidden" name="_csrf_token" value="([^"]+)">', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def stats(ops, project_id: int) -> dict:
    return (await ops.ok("GET", f"/projects/{project_id}/stats"))["totals"]


# -- creating ------------------------------------------------------------------------
async def test_create_project_through_the_form(browser, ops):
    page = await browser.get("/projects/new")
    assert page.status_code == 200
    assert 'name="purpose"' in page.text and "What is this data for?" in page.text
    assert all(f'<option value="{t}"' in page.text for t in ("choice", "multi_choice", "rating", "number", "text"))

    added = await browser.get("/projects/field-row", params={"index": 1, "type": "rating", "add": "true"})
    assert added.status_code == 200
    assert 'name="field-1-min"' in added.text and 'name="field-1-labels"' in added.text
    assert 'hx-swap-oob="true"' in added.text and "index=2" in added.text  # the next add gets a fresh key

    name = f"Triage {uuid.uuid4().hex[:6]}"
    form = project_form(name, choice_row(0, "sentiment", "pos\nneg | Negative\n\n"), rating_row(5, "urgency"))
    response = await browser.post("/projects/new", form + [("_csrf_token", page_token(page.text))], csrf=False)
    assert response.status_code == 303, response.text
    project_id = int(response.headers["location"].rsplit("/", 1)[1])

    project = await ops.ok("GET", f"/projects/{project_id}")
    assert project["name"] == name and project["overlap"] == 2 and project["lease_seconds"] == 1200
    assert project["guidelines"] == "# Read the ticket" and project["guideline_version"] == 1
    assert project["interface"] == [
        {"name": "sentiment", "type": "choice", "label": "Sentiment", "required": True,
         "options": ["pos", {"value": "neg", "label": "Negative"}]},
        {"name": "urgency", "type": "rating", "label": "Urgency", "required": False, "min": 1, "max": 5, "tolerance": 0,
         "labels": {"1": "can wait", "5": "blocked"}},
    ]

    overview = await browser.get(f"/projects/{project_id}")
    assert overview.status_code == 200
    assert name in overview.text and "Read the ticket" in overview.text
    assert 'data-field="sentiment" disabled' in overview.text  # the interface preview, inputs disabled


async def test_a_bad_interface_comes_back_with_the_error_and_everything_typed(browser, ops):
    name = f"Bad {uuid.uuid4().hex[:6]}"
    response = await browser.post("/projects/new", project_form(
        name, choice_row(0, "sentiment", "pos\nneg"), choice_row(3, "topics", "  \n", kind="multi_choice"),
        purpose="Find the <b>topics</b>", lease_minutes="30"))
    assert response.status_code == 422
    html = response.text
    assert "field 2 (topics): options must be a non-empty list" in html
    assert f'value="{name}"' in html and "Find the &lt;b&gt;topics&lt;/b&gt;" in html
    assert 'value="sentiment"' in html and 'value="topics"' in html and 'value="30"' in html
    assert "\npos\nneg</textarea>" in html
    # the error also sits at the row it is about
    assert re.search(r'class="field-row has-error" id="field-3"', html)
    assert name not in {p["name"] for p in await ops.ok("GET", "/projects")}


async def test_missing_fields_and_lease_are_reported_at_their_fields(browser):
    response = await browser.post("/projects/new", project_form("", choice_row(0, "Bad Name", "a"),
                                                                purpose=" ", overlap="0", lease_minutes="x"))
    assert response.status_code == 422
    assert 'id="name-error"' in response.text and 'id="purpose-error"' in response.text
    assert "required: say what this data is for" in response.text
    assert "must be a whole number from 1 to 50" in response.text
    assert "whole number of minutes" in response.text
    assert "field 1 (Bad Name): field name" in response.text


async def test_preview_renders_the_widgets_disabled_or_the_error(browser):
    ok = await browser.post("/projects/preview", choice_row(0, "sentiment", "pos\nneg"), htmx=True)
    assert ok.status_code == 200
    assert 'data-field="sentiment" disabled' in ok.text and 'value="neg"' in ok.text
    bad = await browser.post("/projects/preview", choice_row(0, "sentiment", ""), htmx=True)
    assert "options must be a non-empty list" in bad.text


async def test_changing_a_rows_type_keeps_what_both_types_share(browser):
    row = await browser.get("/projects/field-row", params={
        "index": 4, "row": "4", "field-4-type": "multi_choice", "field-4-drawn": "choice", "field-4-name": "topics",
        "field-4-label": "Topics", "field-4-options": "a\nb", "field-4-required": "1"})
    assert row.status_code == 200
    assert 'name="field-4-min_selected"' in row.text and "\na\nb</textarea>" in row.text
    assert 'value="topics"' in row.text and 'value="multi_choice" selected' in row.text
    assert "hx-swap-oob" not in row.text


# -- the overview: import, launch, members, export --------------------------------------
async def test_import_csv_then_a_malformed_jsonl_imports_nothing(browser, new_project, ops):
    project = await new_project()
    pid = project["id"]
    ok = await browser.post(f"/projects/{pid}/import", {"batch": "first"}, files=csv_file("text\nhello\nworld\n"))
    assert ok.status_code == 200, ok.text
    assert "Imported 2 items into batch <strong>first</strong>" in ok.text
    assert (await stats(ops, pid))["items"] == 2

    bad = "\n".join(['{"text": "fine"}', '{"text": oops}', '', '[1, 2]', '{"data": {"t": 1}, "gold": {"sentiment": "meh"}}'])
    rejected = await browser.post(f"/projects/{pid}/import", {"batch": "second"},
                                  files={"file": ("more.jsonl", bad.encode(), "application/octet-stream")})
    assert rejected.status_code == 422
    html = rejected.text
    assert "Nothing was imported." in html
    assert re.search(r'<span class="where">line 2</span> invalid JSON', html)
    assert re.search(r'<span class="where">line 4</span>', html)
    assert re.search(r'<span class="where">line 5</span> gold.sentiment: must be one of', html)
    assert 'value="second"' in html  # the batch name is kept for the retry
    assert (await stats(ops, pid))["items"] == 2
    assert [b["name"] for b in (await ops.ok("GET", f"/projects/{pid}/stats"))["batches"]] == ["first"]


async def test_import_with_htmx_answers_with_the_card_and_refreshes_batches(browser, new_project, ops):
    project = await new_project()
    pid = project["id"]
    response = await browser.post(f"/projects/{pid}/import", {"batch": ""}, htmx=True,
                                  files={"file": ("items.json", b'[{"text": "a"}, {"text": "b"}, {"text": "c"}]',
                                                  "application/json")})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="import"')
    assert "Imported 3 items into batch <strong>default</strong>" in response.text
    assert 'id="batches" aria-labelledby="batches-title" hx-swap-oob="true"' in response.text
    assert "<html" not in response.text

    empty = await browser.post(f"/projects/{pid}/import", {"batch": "x"}, htmx=True,
                               files={"file": ("empty.csv", b"", "text/csv")})
    assert empty.status_code == 422 and "Nothing was imported" in empty.text


async def test_launch_is_refused_with_what_is_missing_then_works_after_import(browser, ops):
    project = await ops.ok("POST", "/projects", json={"name": f"Launch {uuid.uuid4().hex[:6]}", "purpose": "p",
                                                      "interface": [{"name": "ok", "type": "choice",
                                                                     "options": ["y", "n"]}]})
    pid = project["id"]
    overview = await browser.get(f"/projects/{pid}")
    assert "Before you can launch" in overview.text

    assert "&lt;input" not in overview.text  # every form's CSRF field is a real input
    refused = await browser.post(f"/projects/{pid}/status", {"to": "live", "_csrf_token": page_token(overview.text)},
                                 csrf=False)
    assert refused.status_code == 409
    assert "Launch refused:" in refused.text
    assert "<strong>Guidelines</strong>: write the first version" in refused.text
    assert "<strong>Items</strong>: import at least one production item" in refused.text
    assert "<strong>Benchmark</strong>: import at least 5 gold items" in refused.text
    assert "<strong>Linters</strong>: add at least one linter rule" in refused.text
    assert (await ops.ok("GET", f"/projects/{pid}"))["status"] == "draft"

    await ops.ok("PATCH", f"/projects/{pid}", json={"quality": QUIET_QUALITY})
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"},
                 json=[{"data": {"q": "gold?"}, "gold": {"ok": "y"}}])
    published = await browser.post(f"/projects/{pid}/guidelines", {"body": "# Say yes or no", "changelog": ""})
    assert published.status_code == 303
    imported = await browser.post(f"/projects/{pid}/import", {"batch": "b"}, files=csv_file("q\nis it?\n"))
    assert imported.status_code == 200

    launched = await browser.post(f"/projects/{pid}/status", {"to": "live"})
    assert launched.status_code == 303 and launched.headers["location"] == f"/projects/{pid}"
    assert (await ops.ok("GET", f"/projects/{pid}"))["status"] == "live"
    page = await browser.get(f"/projects/{pid}")
    assert '<span class="status status-live">live</span>' in page.text and ">Pause</button>" in page.text

    assert (await browser.post(f"/projects/{pid}/status", {"to": "paused"})).status_code == 303
    assert ">Resume</button>" in (await browser.get(f"/projects/{pid}")).text
    assert (await browser.post(f"/projects/{pid}/status", {"to": "live"})).status_code == 303
    assert (await browser.post(f"/projects/{pid}/status", {"to": "completed"})).status_code == 303
    assert (await ops.ok("GET", f"/projects/{pid}"))["status"] == "completed"
    again = await browser.post(f"/projects/{pid}/status", {"to": "paused"})
    assert again.status_code == 409 and "a completed project cannot become paused" in again.text


async def test_members_are_added_by_email(browser, new_project, new_user):
    project = await new_project()
    pid = project["id"]
    person, _ = await new_user("contributor")
    added = await browser.post(f"/projects/{pid}/members", {"email": person["email"].upper(), "role": "reviewer"},
                               htmx=True)
    assert added.status_code == 200
    assert f"{person['name']} is now reviewer" in added.text and person["email"] in added.text
    unknown = await browser.post(f"/projects/{pid}/members", {"email": "nobody@test.local", "role": "reviewer"},
                                 htmx=True)
    assert unknown.status_code == 422 and "No user has this email" in unknown.text
    assert 'value="nobody@test.local"' in unknown.text
    plain = await browser.post(f"/projects/{pid}/members", {"email": person["email"], "role": "contributor"})
    assert plain.status_code == 303
    overview = await browser.get(f"/projects/{pid}")
    assert re.search(rf"{re.escape(person['email'])}</td><td><span class=\"role\">contributor</span>", overview.text)


async def test_export_streams_jsonl_for_ops(browser, new_project):
    project = await new_project(items=2)
    response = await browser.get(f"/projects/{project['id']}/export.jsonl")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert len(response.text.strip().splitlines()) == 2


# -- guidelines and editing -------------------------------------------------------------
async def test_editing_guidelines_makes_version_2_and_keeps_the_history(browser, new_project, ops):
    project = await new_project()
    pid = project["id"]
    page = await browser.get(f"/projects/{pid}/guidelines")
    assert page.status_code == 200 and "\n# Label the sentiment</textarea>" in page.text
    assert "Publish version 2" in page.text

    empty = await browser.post(f"/projects/{pid}/guidelines", {"body": "  ", "changelog": "oops"})
    assert empty.status_code == 422 and 'id="body-error"' in empty.text and 'value="oops"' in empty.text

    saved = await browser.post(f"/projects/{pid}/guidelines", {"body": "# Label it\n\nSarcasm is negative.",
                                                               "changelog": "sarcasm"})
    assert saved.status_code == 303
    history = await browser.get(saved.headers["location"])
    assert "Version 2 is published" in history.text
    assert re.search(r"<strong>v2</strong> <span class=\"status status-live\">current</span>", history.text)
    assert "<strong>v1</strong>" in history.text and "sarcasm" in history.text and "first version" in history.text
    assert "Root Ops" in history.text

    old = await browser.get(f"/projects/{pid}/guidelines/1")
    assert old.status_code == 200 and "<h1>Label the sentiment</h1>" in old.text and "superseded" in old.text
    assert (await browser.get(f"/projects/{pid}/guidelines/9")).status_code == 404
    restart = await browser.get(f"/projects/{pid}/guidelines", params={"start_from": 1})
    assert "\n# Label the sentiment</textarea>" in restart.text
    assert (await ops.ok("GET", f"/projects/{pid}"))["guideline_version"] == 2


async def test_edit_while_draft_then_the_interface_is_frozen(browser, new_project, ops):
    project = await new_project(items=1)
    pid = project["id"]
    page = await browser.get(f"/projects/{pid}/edit")
    assert page.status_code == 200 and 'name="field-0-name" type="text" value="sentiment"' in page.text
    # a round trip through the builder changes nothing it does not show (max_length, multiline)
    form = project_form("Renamed", choice_row(0, "sentiment", "pos\nneg\nneu"), [
        ("row", "1"), ("field-1-type", "text"), ("field-1-drawn", "text"), ("field-1-name", "rationale"),
        ("field-1-label", "Rationale"), ("field-1-max_length", "200"), ("field-1-multiline", "1")], overlap="3")
    saved = await browser.post(f"/projects/{pid}/edit", form)
    assert saved.status_code == 303, saved.text
    stored = await ops.ok("GET", f"/projects/{pid}")
    assert stored["name"] == "Renamed" and stored["overlap"] == 3
    assert stored["interface"][1] == {"name": "rationale", "type": "text", "label": "Rationale", "required": False,
                                      "multiline": True, "max_length": 200}

    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"},
                 json=[{"data": {"text": "gold"}, "gold": {"sentiment": "pos"}}])
    await ops.ok("POST", f"/projects/{pid}/launch")
    locked = await browser.get(f"/projects/{pid}/edit")
    assert "fixed once a project has launched" in locked.text and 'name="builder"' not in locked.text
    renamed = await browser.post(f"/projects/{pid}/edit", {"name": "Renamed again", "purpose": "Still the same"})
    assert renamed.status_code == 303
    assert (await ops.ok("GET", f"/projects/{pid}"))["name"] == "Renamed again"
    # a stale draft form posting a changed interface is refused, and says why
    conflict = await browser.post(f"/projects/{pid}/edit", project_form("X", choice_row(0, "other", "a")))
    assert conflict.status_code == 409
    assert "can only change while the project is a draft" in conflict.text
    assert (await ops.ok("GET", f"/projects/{pid}"))["name"] == "Renamed again"


# -- who may, and what is shown ------------------------------------------------------------
async def test_a_contributor_gets_403_on_every_set_up_page(browser_for, new_project, new_user):
    project = await new_project(items=1)
    pid = project["id"]
    person, _ = await new_user("contributor", pid)
    contributor = await browser_for(person["email"])
    for path in ("/projects/new", f"/projects/{pid}", f"/projects/{pid}/edit", f"/projects/{pid}/guidelines",
                 f"/projects/{pid}/guidelines/1", f"/projects/{pid}/export.jsonl", "/projects/field-row"):
        assert (await contributor.get(path)).status_code == 403, path
    for path, data in ((f"/projects/{pid}/status", {"to": "live"}), (f"/projects/{pid}/members",
                       {"email": person["email"], "role": "ops"}), (f"/projects/{pid}/guidelines", {"body": "x"}),
                       (f"/projects/{pid}/edit", {"name": "x", "purpose": "y"}), ("/projects/new", {"name": "x"}),
                       ("/projects/preview", {})):
        assert (await contributor.post(path, data)).status_code == 403, path
    upload = await contributor.post(f"/projects/{pid}/import", {"batch": "b"}, files=csv_file("text\nx\n"))
    assert upload.status_code == 403


async def test_posts_without_the_csrf_token_are_refused(browser, new_project, ops):
    project = await new_project(items=1)
    pid = project["id"]
    assert (await browser.post(f"/projects/{pid}/status", {"to": "live"}, csrf=False)).status_code == 403
    assert (await browser.post(f"/projects/{pid}/status", {"to": "live"}, htmx=True, csrf=False)).status_code == 403
    assert (await browser.post("/projects/new", project_form("No token", choice_row(0, "a", "x")),
                               csrf=False)).status_code == 403
    upload = await browser.post(f"/projects/{pid}/import", {"batch": "b"}, files=csv_file("text\nx\n"), csrf=False)
    assert upload.status_code == 403
    assert (await ops.ok("GET", f"/projects/{pid}"))["status"] == "draft"
    assert (await stats(ops, pid))["items"] == 1


async def test_user_content_is_escaped_everywhere(browser, ops):
    project = await ops.ok("POST", "/projects", json={
        "name": f"X {SCRIPT}", "purpose": f"For {SCRIPT}", "guidelines": f"# Rules\n\n{SCRIPT}\n\n[x](javascript:alert(1))",
        "interface": [{"name": "pick", "type": "choice", "label": SCRIPT, "help": SCRIPT,
                       "options": [{"value": "a", "label": SCRIPT}]}]})
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": SCRIPT}, json=[{"text": "x"}])
    person = await ops.ok("POST", "/users", json={"email": f"x-{uuid.uuid4().hex[:8]}@test.local", "name": SCRIPT,
                                                  "password": "quiet-lantern-42", "role": "contributor"})
    await ops.ok("POST", f"/projects/{pid}/members", json={"user_id": person["id"], "role": "contributor"})

    for path in (f"/projects/{pid}", f"/projects/{pid}/guidelines", f"/projects/{pid}/guidelines/1",
                 f"/projects/{pid}/edit"):
        page = await browser.get(path)
        assert page.status_code == 200, path
        assert SCRIPT not in page.text, path
        assert ESCAPED in page.text, path
        assert 'href="javascript:' not in page.text, path

    bad = f'{{"data": {{"t": 1}}, "external_id": "{SCRIPT}"}}\n{{"data": {{"t": 2}}, "external_id": "{SCRIPT}"}}\n'
    rejected = await browser.post(f"/projects/{pid}/import", {"batch": SCRIPT},
                                  files={"file": (f"{SCRIPT}.jsonl", bad.encode(), "application/x-ndjson")})
    assert rejected.status_code == 422
    assert SCRIPT not in rejected.text and "duplicate external_id" in rejected.text


def test_the_builder_round_trips_every_stored_interface():
    """Stored specs -> builder rows -> posted form -> specs: nothing is lost, even config the builder hides."""
    from app.projects.forms import ProjectForm, interface_specs, rows_from_specs
    from app.seed import INTERFACE
    from components.base import Interface

    stored = Interface.from_specs(INTERFACE + [
        {"name": "count", "type": "number", "min": 0, "max": 2.5, "tolerance": 0.5, "level": "ratio"},
        {"name": "note", "type": "text", "multiline": False, "placeholder": "one line", "help": "why?"},
        {"name": "pick", "type": "choice", "options": [{"value": "a", "label": "Alpha"}, "b"], "required": False},
    ]).to_specs()
    posted: dict[str, list[str]] = {}
    for row in rows_from_specs(stored):
        posted.setdefault("row", []).append(str(row.key))
        values = {"type": row.type, "drawn": row.type, "name": row.name, "label": row.label, "help": row.help}
        if row.required:
            values["required"] = "1"
        if row.extra:
            import json
            values["extra"] = json.dumps(row.extra)
        for item in row.inputs:
            value = row.value(item)
            if item.kind == "bool":
                if value:
                    values[item.key] = "1"
            else:
                values[item.key] = value
        for key, value in values.items():
            posted[f"field-{row.key}-{key}"] = [value]
    form = ProjectForm.read(lambda name: posted.get(name, []))
    specs, problem = interface_specs(form.rows)
    assert problem is None
    assert Interface.from_specs(specs).to_specs() == stored
