"""Display parts: what each shows for an item (bindings, normalising), how it is rendered (escaped,
markdown without raw HTML, code highlighted with classes), and the builder's rows for them."""

from __future__ import annotations

import pytest

from app.projects.forms import interface_specs, new_row, read_row, rows_from_specs
from app.projects.preview import preview_context, sample_item
from app.web.rich import highlight, rich_markdown
from app.web.templating import standalone_templates
from components.base import ConfigError, Interface

CHOICE = {"name": "verdict", "type": "choice", "options": ["a", "b"]}


def interface(*parts: dict) -> Interface:
    return Interface.from_specs([*parts, CHOICE])


def shown(part: dict, data: dict, assignment_id: int | None = None):
    (_, value), = interface(part).shown(data, assignment_id)
    return value


# -- bindings and normalising ------------------------------------------------------------------
def test_a_binding_walks_dotted_paths_and_a_literal_is_shown_as_written():
    assert shown({"name": "t", "type": "text", "value": "$meta.title"}, {"meta": {"title": "Hi"}}) == "Hi"
    assert shown({"name": "t", "type": "text", "value": "$meta.missing"}, {"meta": {}}) is None
    assert shown({"name": "t", "type": "text", "value": "Read carefully"}, {}) == "Read carefully"
    assert shown({"name": "t", "type": "text", "value": "$n"}, {"n": 12}) == "12"
    assert shown({"name": "t", "type": "text", "value": "$o"}, {"o": {"a": 1}}) == '{\n  "a": 1\n}'


def test_prompt_response_takes_a_chats_last_user_turn_as_the_prompt():
    part = {"name": "pr", "type": "prompt_response", "value": "$chat", "response": "$answer"}
    data = {"chat": [{"role": "user", "content": "first"}, {"role": "assistant", "content": "x"},
                     {"role": "user", "content": "second"}], "answer": "yes"}
    assert shown(part, data) == {"prompt": "second", "response": "yes"}


def test_responses_get_ids_and_an_order_fixed_per_assignment():
    part = {"name": "r", "type": "responses", "value": "$c"}
    assert shown(part, {"c": ["one", "two"]}) == [{"id": "A", "content": "one"}, {"id": "B", "content": "two"}]
    assert shown(part, {"c": {"x": "one", "y": "two"}}) == [{"id": "x", "content": "one"}, {"id": "y", "content": "two"}]
    assert shown(part, {"c": [{"id": "m1", "text": "one"}, {"response": "two"}]}) == [
        {"id": "m1", "content": "one"}, {"id": "B", "content": "two"}]
    data = {"c": [f"r{n}" for n in range(6)]}
    orders = {tuple(c["id"] for c in shown(part, data, assignment)) for assignment in range(1, 6)}
    assert len(orders) > 1
    assert shown(part, data, 3) == shown(part, data, 3)
    assert [c["id"] for c in shown(part | {"randomise": False}, data, 3)] == list("ABCDEF")


def test_chat_turns_get_ids_and_keep_unknown_roles():
    value = shown({"name": "c", "type": "chat", "value": "$m"},
                  {"m": [{"role": "system", "content": "s"}, "bare", {"role": "critic", "content": 3, "id": "k"}]})
    assert value == [{"id": "t1", "role": "system", "content": "s"}, {"id": "t2", "role": "user", "content": "bare"},
                     {"id": "k", "role": "critic", "content": "3"}]
    assert shown({"name": "c", "type": "chat", "value": "$m"}, {"m": "not a list"}) == []


def test_code_language_from_the_config_or_the_item_and_metadata_rows():
    assert shown({"name": "s", "type": "code", "value": "$src", "language": "$lang"}, {"src": "x", "lang": "go"}) == {
        "code": "x", "language": "go"}
    rows = shown({"name": "m", "type": "metadata", "value": "$", "fields": ["a", "b.c", "gone"]},
                 {"a": 1, "b": {"c": "deep"}})
    assert rows == [("a", "1"), ("b.c", "deep")]


@pytest.mark.parametrize("part, wording", [
    ({"name": "r", "type": "responses", "value": "$c", "layout": "grid"}, "layout must be one of"),
    ({"name": "t", "type": "text", "value": "$t", "markdown": "yes"}, "markdown"),
    ({"name": "c", "type": "chat"}, "value is missing"),  # text without a value is the answer field
    ({"name": "m", "type": "metadata", "value": "$", "fields": "a"}, "fields must be"),
])
def test_wrong_settings_are_refused_by_name(part, wording):
    with pytest.raises(ConfigError, match=wording):
        interface(part)


# -- rendering ---------------------------------------------------------------------------
def test_markdown_renders_but_raw_html_and_script_links_do_not():
    html = str(rich_markdown("**b** <img src=x onerror=alert(1)> [x](javascript:alert(1))"))
    assert "<strong>b</strong>" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript' not in html


def test_fenced_code_is_highlighted_with_classes_and_an_odd_info_string_is_dropped():
    html = str(rich_markdown("```python\nx = '<a>'\n```"))
    assert html.startswith('<pre class="hl"><code class="language-python">')
    assert '<span class="n">x</span>' in html and "&lt;a&gt;" in html and "style" not in html
    odd = str(rich_markdown('```python" onmouseover="alert(1)\nx\n```'))
    assert odd.startswith('<pre class="hl"><code>') and "onmouseover" not in odd
    assert str(highlight("<b>", "no-such-language")) == '<pre class="hl"><code class="language-no-such-language">&lt;b&gt;\n</code></pre>'


def render(parts: list[dict], data: dict, assignment_id: int | None = None) -> str:
    template = standalone_templates().get_template("_item_view.html")
    return template.render(interface=Interface.from_specs([*parts, CHOICE]), item_data=data,
                           item_assignment_id=assignment_id)


def test_the_item_view_draws_each_part_and_escapes_the_item():
    html = render([{"name": "t", "type": "text", "value": "$t"},
                   {"name": "r", "type": "responses", "value": "$c", "layout": "stacked", "randomise": False},
                   {"name": "c", "type": "chat", "value": "$m"}],
                  {"t": "a <b>\nb", "c": ["<i>one</i>", "two"], "m": [{"role": "system", "content": "s"},
                                                                      {"role": '"><x', "content": "y"}]})
    assert 'data-text-part="t" data-length="7">a &lt;b&gt;\nb</div>' in html
    assert 'class="candidates candidates-stacked"' in html
    assert 'data-candidate="A" data-position="A"' in html and "&lt;i&gt;one&lt;/i&gt;" in html
    assert 'class="turn role-other" data-turn="t2" data-role="&#34;&gt;&lt;x"' in html
    assert "<details class=\"turn-system\">" in html


def test_without_display_parts_the_item_view_is_the_key_value_list():
    html = standalone_templates().get_template("_item_view.html").render(
        interface=Interface.from_specs([CHOICE]), item_data={"text": "<hi>", "n": [1]})
    assert '<dl class="item-data">' in html and "<dd>&lt;hi&gt;</dd>" in html and "<code>[1]</code>" in html


# -- the builder's rows --------------------------------------------------------------------
SPECS = [{"name": "intro", "type": "text", "value": "$text", "markdown": True},
         {"name": "cands", "type": "responses", "value": "$c", "layout": "stacked", "randomise": False,
          "markdown": True},
         {"name": "m", "type": "metadata", "value": "$", "fields": ["a", "b.c"]},
         {"name": "src", "type": "code", "value": "$code", "language": "python"},
         {"name": "pr", "type": "prompt_response", "value": "$p", "response": "$r"},
         {"name": "conv", "type": "chat", "value": "$m", "markdown": False},
         {"name": "notes", "type": "text", "required": False, "multiline": True}]


def test_display_parts_survive_a_round_trip_through_the_builder():
    rows = rows_from_specs(SPECS)
    assert [r.display for r in rows] == [True] * 6 + [False]
    assert rows[0].choice == "show:text" and rows[6].choice == "text"
    specs, problem = interface_specs(rows)
    assert problem is None
    assert Interface.from_specs(specs).to_specs() == Interface.from_specs(SPECS).to_specs()
    assert "required" not in specs[0]


def test_a_row_changed_from_an_answer_field_to_a_display_part_and_back():
    posted = {"field-4-type": ["show:text"], "field-4-drawn": ["text"], "field-4-name": ["body"],
              "field-4-label": ["Body"], "field-4-min_length": ["3"]}
    row = read_row(lambda name: posted.get(name, []), 4)
    assert row.display and row.type == "text" and row.name == "body" and [i.key for i in row.inputs] == [
        "value", "markdown"]
    assert row.values == {}  # the answer field's settings do not carry over
    back = read_row(lambda name: {"field-4-type": ["text"], "field-4-drawn": ["show:text"],
                                  "field-4-value": ["$x"]}.get(name, []), 4)
    assert not back.display and back.required
    assert new_row(1, "show:chat").display and not new_row(1, "show:nothing").display


def test_the_preview_sample_fills_every_binding():
    parts = Interface.from_specs(SPECS)
    data = sample_item(parts)
    assert set(data) >= {"text", "c", "a", "b", "code", "p", "r", "m"} and data["b"] == {"c": "sample"}
    assert all(value not in (None, [], "") for _, value in parts.shown(data))
    assert preview_context(parts, (7, {"text": "real"})) == {"preview_item": {"text": "real"}, "preview_item_id": 7}
    assert preview_context(Interface.from_specs([CHOICE]), (7, {})) == {"preview_item": None, "preview_item_id": None}
