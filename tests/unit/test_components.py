"""The five built-in components: config checks, answers, forms, scores and widgets."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

from components.base import AnswerError, ConfigError, Interface
from components.registry import get_component_class

COMPONENTS_DIR = Path(__file__).resolve().parents[2] / "components"


def make(kind: str, name: str = "field", **config):
    return get_component_class(kind)(name, config)


# -- registry -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, level",
    [
        ("choice", "nominal"),
        ("multi_choice", "set"),
        ("rating", "ordinal"),
        ("number", "interval"),
        ("text", "distance"),
    ],
)
def test_registry_finds_each_component(kind, level):
    component_class = get_component_class(kind)
    assert component_class is not None
    assert component_class.type == kind
    assert component_class.level == level


# -- config ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, config, message",
    [
        ("choice", {}, "options must be a non-empty list"),
        ("choice", {"options": []}, "options must be a non-empty list"),
        ("choice", {"options": "a,b"}, "options must be a non-empty list"),
        ("choice", {"options": ["a", 3]}, "option 2 must be a string or an object"),
        ("choice", {"options": ["a", ""]}, "option 2: value must be a non-empty string"),
        ("choice", {"options": [{"label": "A"}]}, "option 1: value must be a non-empty string"),
        ("choice", {"options": [{"value": "a", "label": 5}]}, "option 1: label must be"),
        ("choice", {"options": ["a", {"value": "a", "label": "A"}]}, "value 'a' appears twice"),
        ("multi_choice", {"options": []}, "options must be a non-empty list"),
        ("multi_choice", {"options": ["a", "a"]}, "value 'a' appears twice"),
        (
            "multi_choice",
            {"options": ["a"], "min_selected": "1"},
            "min_selected must be a whole number",
        ),
        ("multi_choice", {"options": ["a"], "min_selected": -1}, "min_selected must be at least 0"),
        ("multi_choice", {"options": ["a"], "max_selected": 0}, "max_selected must be at least 1"),
        ("multi_choice", {"options": ["a", "b"], "min_selected": 3}, "min_selected is more than"),
        (
            "multi_choice",
            {"options": ["a", "b", "c"], "min_selected": 3, "max_selected": 2},
            "min_selected must not be more than max_selected",
        ),
        ("rating", {"min": 5, "max": 5}, "min must be less than max"),
        ("rating", {"min": 5, "max": 1}, "min must be less than max"),
        ("rating", {"max": 1.5}, "max must be a whole number"),
        ("rating", {"min": True}, "min must be a whole number"),
        ("rating", {"max": 1000}, "max - min must be at most 100"),
        ("rating", {"labels": ["poor", "great"]}, "labels must be an object"),
        ("rating", {"labels": {"6": "too high"}}, "labels: '6' is outside 1-5"),
        ("rating", {"labels": {"good": "x"}}, "labels: 'good' is not a whole number"),
        ("rating", {"labels": {"1": ""}}, "labels: '1' needs a non-empty label"),
        ("rating", {"labels": {"1": "a", "01": "b"}}, "labels: point 1 appears twice"),
        ("rating", {"tolerance": -1}, "tolerance must be at least 0"),
        ("number", {"min": "0"}, "min must be a number"),
        ("number", {"max": float("nan")}, "max must be a number"),
        ("number", {"max": True}, "max must be a number"),
        ("number", {"min": 10, "max": 1}, "min must not be more than max"),
        ("number", {"integer": "yes"}, "integer must be true or false"),
        ("number", {"integer": True, "min": 0.5}, "min must be a whole number when integer"),
        ("number", {"tolerance": -0.5}, "tolerance must be at least 0"),
        ("number", {"level": "nominal"}, "level must be interval or ratio"),
        ("text", {"min_length": "20"}, "min_length must be a whole number"),
        ("text", {"min_length": -1}, "min_length must be at least 0"),
        ("text", {"max_length": 0}, "max_length must be at least 1"),
        (
            "text",
            {"min_length": 10, "max_length": 5},
            "min_length must not be more than max_length",
        ),
        ("text", {"multiline": "false"}, "multiline must be true or false"),
        ("text", {"placeholder": 3}, "placeholder must be a string"),
    ],
)
def test_bad_config_names_the_key(kind, config, message):
    with pytest.raises(ConfigError) as caught:
        make(kind, **config)
    assert message in str(caught.value)


def test_bad_config_in_interface_names_the_field():
    with pytest.raises(ConfigError, match=r"field 2 \(mood\): options must be a non-empty list"):
        Interface.from_specs(
            [{"name": "note", "type": "text"}, {"name": "mood", "type": "choice", "options": []}]
        )


def test_config_defaults_are_normalised():
    assert make(
        "choice", options=["a", {"value": "b", "label": "Bee"}, {"value": "c"}]
    ).config() == {"options": ["a", {"value": "b", "label": "Bee"}, "c"]}
    assert make("rating").config() == {"min": 1, "max": 5, "tolerance": 0}
    assert make("rating", labels={5: "great", "01": "poor"}).labels == {"1": "poor", "5": "great"}
    assert make("number").config() == {"integer": False, "tolerance": 0, "level": "interval"}
    assert make("number", level="ratio").level == "ratio"
    assert make("number").level == "interval"
    assert make("text").config() == {"multiline": True}
    assert make("multi_choice", options=["a"]).config() == {"options": ["a"]}


def test_specs_round_trip_through_json():
    specs = [
        {
            "name": "topic",
            "type": "choice",
            "label": "Topic",
            "help": "Main topic",
            "options": ["sport", {"value": "pol", "label": "Politics"}],
        },
        {
            "name": "tags",
            "type": "multi_choice",
            "required": False,
            "options": ["a", "b", "c"],
            "min_selected": 1,
            "max_selected": 2,
        },
        {
            "name": "quality",
            "type": "rating",
            "min": 0,
            "max": 10,
            "labels": {"0": "bad", "10": "good"},
            "tolerance": 1,
        },
        {"name": "age", "type": "number", "min": 0, "max": 120.5, "tolerance": 2, "level": "ratio"},
        {"name": "count", "type": "number", "integer": True},
        {
            "name": "summary",
            "type": "text",
            "min_length": 5,
            "max_length": 50,
            "multiline": False,
            "placeholder": "One line",
        },
    ]
    first = Interface.from_specs(specs).to_specs()
    again = Interface.from_specs(json.loads(json.dumps(first))).to_specs()
    assert again == first
    by_name = {spec["name"]: spec for spec in first}
    assert by_name["topic"]["options"] == ["sport", {"value": "pol", "label": "Politics"}]
    assert by_name["tags"]["min_selected"] == 1 and by_name["tags"]["required"] is False
    assert by_name["quality"]["labels"] == {"0": "bad", "10": "good"}
    assert by_name["age"]["level"] == "ratio" and by_name["age"]["max"] == 120.5
    assert by_name["summary"]["multiline"] is False


# -- validate -------------------------------------------------------------------


def test_choice_validate():
    field = make("choice", options=["a", "b", "c"])
    assert field.validate("b") == "b"
    for bad in ("d", 1, ["a"], "A"):
        with pytest.raises(AnswerError, match="^must be one of: a, b, c$"):
            field.validate(bad)


def test_choice_long_option_list_keeps_message_short():
    field = make("choice", options=[f"option-{n}" for n in range(20)])
    with pytest.raises(AnswerError, match="^is not one of the options$"):
        field.validate("nope")


def test_multi_choice_validate_normalises_order_and_duplicates():
    field = make("multi_choice", options=["a", "b", "c", "d"], min_selected=2, max_selected=3)
    assert field.validate(["c", "a", "c"]) == ["a", "c"]
    with pytest.raises(AnswerError, match="^select at least 2 options$"):
        field.validate(["b", "b"])
    with pytest.raises(AnswerError, match="^select at most 3 options$"):
        field.validate(["a", "b", "c", "d"])
    with pytest.raises(AnswerError, match="^must be one of: a, b, c, d$"):
        field.validate(["a", "x"])
    with pytest.raises(AnswerError, match="^must be a list of options$"):
        field.validate("a")


def test_multi_choice_singular_message():
    field = make("multi_choice", options=["a", "b"], max_selected=1)
    with pytest.raises(AnswerError, match="^select at most 1 option$"):
        field.validate(["a", "b"])


def test_rating_validate():
    field = make("rating", min=1, max=5)
    assert field.validate(3) == 3
    result = field.validate(4.0)
    assert result == 4 and type(result) is int
    cases = [
        (0, "must be between 1 and 5"),
        (6, "must be between 1 and 5"),
        (3.5, "must be a whole number"),
        ("3", "must be a number"),
        ("abc", "must be a number"),
        (True, "must be a number"),
        (float("nan"), "must be a finite number"),
    ]
    for bad, message in cases:
        with pytest.raises(AnswerError) as caught:
            field.validate(bad)
        assert str(caught.value) == message, bad


def test_number_validate():
    field = make("number", min=0, max=10)
    assert field.validate(2.5) == 2.5
    assert field.validate(0) == 0
    cases = [
        (-1, "must be between 0 and 10"),
        (10.01, "must be between 0 and 10"),
        (True, "must be a number"),
        ("5", "must be a number"),
        (float("inf"), "must be a finite number"),
        (float("nan"), "must be a finite number"),
    ]
    for bad, message in cases:
        with pytest.raises(AnswerError) as caught:
            field.validate(bad)
        assert str(caught.value) == message, bad


def test_number_one_sided_bounds_and_integer():
    with pytest.raises(AnswerError, match="^must be at least 1.5$"):
        make("number", min=1.5).validate(1)
    with pytest.raises(AnswerError, match="^must be at most 3$"):
        make("number", max=3.0).validate(4)
    assert make("number").validate(-1e9) == -1e9
    integer = make("number", integer=True)
    assert integer.validate(7.0) == 7 and type(integer.validate(7.0)) is int
    with pytest.raises(AnswerError, match="^must be a whole number$"):
        integer.validate(7.5)


def test_text_validate_strips_and_checks_length():
    field = make("text", min_length=5, max_length=10)
    assert field.validate("  hello  ") == "hello"
    assert field.validate("a\r\nb  c") == "a\nb  c"
    with pytest.raises(AnswerError, match="^must be at least 5 characters$"):
        field.validate("  hey   ")
    with pytest.raises(AnswerError, match="^must be at most 10 characters$"):
        field.validate("a" * 11)
    with pytest.raises(AnswerError, match="^must be text$"):
        field.validate(12345)
    with pytest.raises(AnswerError, match="^contains an invalid character$"):
        field.validate("hello\x00world")
    with pytest.raises(AnswerError, match="^must be at least 1 character$"):
        make("text", min_length=1, required=False).validate("")


def test_text_single_line():
    field = make("text", multiline=False)
    assert field.validate(" one line \n") == "one line"
    with pytest.raises(AnswerError, match="^must be a single line$"):
        field.validate("two\nlines")
    assert make("text").validate("two\nlines") == "two\nlines"


# -- Interface.validate_answer ----------------------------------------------------


@pytest.fixture
def mixed() -> Interface:
    return Interface.from_specs(
        [
            {"name": "topic", "type": "choice", "options": ["sport", "politics"]},
            {"name": "tags", "type": "multi_choice", "options": ["a", "b", "c"], "required": False},
            {"name": "quality", "type": "rating"},
            {"name": "age", "type": "number", "min": 0, "required": False},
            {"name": "note", "type": "text", "min_length": 3},
            {"name": "extra", "type": "text", "required": False},
        ]
    )


def test_validate_answer_clean(mixed):
    clean, errors = mixed.validate_answer(
        {"topic": "sport", "tags": ["c", "a"], "quality": 4.0, "age": 31, "note": "  fine  "}
    )
    assert errors == {}
    assert clean == {
        "topic": "sport",
        "tags": ["a", "c"],
        "quality": 4,
        "age": 31,
        "note": "fine",
        "extra": None,
    }


def test_validate_answer_errors(mixed):
    clean, errors = mixed.validate_answer(
        {"topic": "golf", "tags": [], "note": "   ", "age": -2, "colour": "red", "extra": ""}
    )
    assert errors == {
        "topic": "must be one of: sport, politics",
        "quality": "required",
        "note": "required",
        "age": "must be at least 0",
        "colour": "unknown field",
    }
    assert clean == {"tags": None, "extra": None}


# -- parse_form -----------------------------------------------------------------


def test_parse_form_conversions(mixed):
    raw = mixed.parse_form(
        {
            "f_topic": ["politics"],
            "f_tags": ["b", "", "a"],
            "f_quality": [" 4 "],
            "f_age": ["2.5e1"],
            "f_note": ["  typed  "],
        }
    )
    assert raw == {
        "topic": "politics",
        "tags": ["b", "a"],
        "quality": 4,
        "age": 25.0,
        "note": "  typed  ",
        "extra": None,
    }
    assert type(raw["quality"]) is int
    clean, errors = mixed.validate_answer(raw)
    assert errors == {}
    assert clean["tags"] == ["a", "b"] and clean["note"] == "typed"


@pytest.mark.parametrize(
    "kind, values, expected",
    [
        ("choice", [], None),
        ("choice", [""], None),
        ("choice", ["a"], "a"),
        ("multi_choice", [], None),
        ("multi_choice", [""], None),
        ("rating", [], None),
        ("rating", ["  "], None),
        ("rating", ["3"], 3),
        ("rating", ["-2"], -2),
        ("rating", ["3.0"], 3.0),
        ("rating", ["three"], "three"),
        ("number", ["12"], 12),
        ("number", ["-0.5"], -0.5),
        ("number", [".5"], 0.5),
        ("number", ["1e3"], 1000.0),
        ("number", ["nan"], "nan"),
        ("number", ["1_000"], "1_000"),
        ("number", ["3,5"], "3,5"),
        ("number", ["9" * 5000], "9" * 5000),
        ("text", [], None),
        ("text", ["   "], None),
        ("text", [" hi "], " hi "),
    ],
)
def test_parse_form(kind, values, expected):
    config = {"options": ["a", "b"]} if "choice" in kind else {}
    result = make(kind, **config).parse_form(values)
    assert result == expected
    assert type(result) is type(expected)


def test_unparsed_form_text_is_rejected_by_validate():
    field = make("number")
    with pytest.raises(AnswerError, match="^must be a number$"):
        field.validate(field.parse_form(["abc"]))
    with pytest.raises(AnswerError, match="^must be a finite number$"):
        field.validate(field.parse_form(["1e999"]))


# -- score ------------------------------------------------------------------------


def test_choice_score():
    field = make("choice", options=["a", "b"])
    assert field.score("a", "a") == 1.0
    assert field.score("a", "b") == 0.0


def test_multi_choice_score_is_jaccard():
    field = make("multi_choice", options=["a", "b", "c"])
    assert field.score(["a", "b"], ["b", "c"]) == pytest.approx(1 / 3)
    assert field.score(["a", "b"], ["b", "a"]) == 1.0
    assert field.score(["a"], ["b"]) == 0.0
    assert field.score([], []) == 1.0
    assert field.score(None, None) == 1.0
    assert field.score(None, ["a"]) == 0.0


def test_rating_score_tolerance_and_falloff():
    strict = make("rating", min=1, max=5)
    assert strict.score(3, 3) == 1.0
    assert strict.score(3, 4) == pytest.approx(0.75)
    assert strict.score(1, 5) == 0.0
    lenient = make("rating", min=1, max=5, tolerance=1)
    assert lenient.score(3, 4) == 1.0
    assert lenient.score(2, 4) == pytest.approx(0.75)
    assert lenient.score(1, 5) == pytest.approx(0.25)


def test_number_score():
    unbounded = make("number", tolerance=0.5)
    assert unbounded.score(10, 10.4) == 1.0
    assert unbounded.score(10, 10.6) == 0.0
    bounded = make("number", min=0, max=100, tolerance=5)
    assert bounded.score(50, 54) == 1.0
    assert bounded.score(50, 75) == pytest.approx(0.8)
    assert bounded.score(0, 100) == pytest.approx(0.05)
    assert make("number", min=0, max=10).score(0, 10) == 0.0


def test_text_score():
    field = make("text")
    assert field.score("The  Cat sat.\n", "the cat SAT.") == 1.0
    close = field.score("the cat sat on the mat", "the cat sat on a mat")
    far = field.score("the cat sat on the mat", "quantum chromodynamics")
    assert 0.8 < close < 1.0
    assert 0.0 <= far < 0.4
    assert field.score("", "") == 1.0
    assert field.score("something", "") == 0.0


def test_text_score_long_texts_stay_meaningful():
    words = "annotators label the data carefully and quickly every day".split()
    medium = " ".join(words[i % len(words)] for i in range(0, 200, 3))
    assert 200 < len(medium) < 2000
    # Plain SequenceMatcher (autojunk on) rates texts over 200 characters as nearly unrelated.
    assert make("text").score(medium, medium.replace("quickly", "slowly", 2)) > 0.9
    very_long = medium * 10
    assert len(very_long) > 2000
    assert make("text").score(very_long, very_long.replace("data", "text", 3)) > 0.95
    assert make("text").score(very_long, "something else entirely") < 0.1


def test_export_is_unchanged():
    assert make("multi_choice", options=["a", "b"]).export(["a", "b"]) == ["a", "b"]
    assert make("text").export("x") == "x"


# -- widgets ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def env() -> Environment:
    return Environment(loader=FileSystemLoader(str(COMPONENTS_DIR)), autoescape=True)


class Elements(HTMLParser):
    """Collects start tags with their attributes and all text, to assert on structure."""

    def __init__(self, markup: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **attrs) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def render(env, field, value=None, error=None, **context) -> str:
    return env.get_template(field.widget_template).render(
        field=field, value=value, error=error, **context
    )


def inputs(markup: str) -> list[dict[str, str | None]]:
    page = Elements(markup)
    return page.find("input") + page.find("textarea")


def checked_values(markup: str) -> list[str]:
    return [a["value"] for a in Elements(markup).find("input") if "checked" in a]


HOSTILE = "<script>alert(1)</script>"

WIDGET_CASES = [
    # kind, config, a value to re-fill
    ("choice", {"options": ["a", {"value": "b", "label": HOSTILE}, "c"]}, "b"),
    ("multi_choice", {"options": ["a", "b", {"value": "c", "label": HOSTILE}]}, ["a", "c"]),
    ("rating", {"labels": {"1": HOSTILE, "5": "great"}}, 4),
    ("number", {"min": 0, "max": 10}, 7.5),
    ("text", {}, "my words"),
    ("text", {"multiline": False}, "my words"),
]


@pytest.mark.parametrize("kind, config, value", WIDGET_CASES)
def test_widget_structure(env, kind, config, value):
    field = make(kind, "answer_field", label="Label " + HOSTILE, help="Help " + HOSTILE, **config)
    markup = render(env, field, value, error=None)
    page = Elements(markup)

    fieldsets = page.find("fieldset")
    assert len(fieldsets) == 1
    assert fieldsets[0]["class"] == f"field field-{kind}"
    assert fieldsets[0]["data-field"] == "answer_field"
    assert "disabled" not in fieldsets[0]
    assert "<legend>Label &lt;script&gt;alert(1)&lt;/script&gt; *</legend>" in markup
    assert page.find("p", **{"class": "help", "id": "f_answer_field-help"})
    assert not page.find("p", **{"class": "error"})

    controls = inputs(markup)
    assert controls and all(c["name"] == "f_answer_field" for c in controls)
    ids = [c["id"] for c in controls]
    assert len(set(ids)) == len(ids)
    label_targets = {a["for"] for a in page.find("label")}
    assert set(ids) <= label_targets
    for control in controls:
        assert control["aria-describedby"] == "f_answer_field-help"
        assert "aria-invalid" not in control


@pytest.mark.parametrize(
    "kind, config, value",
    [
        ("choice", {"options": ["a", {"value": HOSTILE, "label": HOSTILE}]}, HOSTILE),
        ("multi_choice", {"options": ["a", HOSTILE]}, [HOSTILE]),
        ("rating", {"labels": {"2": HOSTILE}}, HOSTILE),
        ("number", {}, HOSTILE),
        ("text", {}, HOSTILE),
        ("text", {"multiline": False, "placeholder": HOSTILE}, HOSTILE),
    ],
)
def test_widget_escapes_untrusted_text(env, kind, config, value):
    field = make(kind, label=HOSTILE, help=HOSTILE, **config)
    markup = render(env, field, value, error=HOSTILE)
    assert "<script>" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    if kind in ("choice", "multi_choice"):
        assert checked_values(markup) == [HOSTILE]  # escaped, yet still the same value
    elif kind == "text" and field.multiline:
        assert HOSTILE in "".join(Elements(markup).text)  # typed text survives, decoded
    elif kind in ("number", "text"):
        assert inputs(markup)[0]["value"] == HOSTILE


@pytest.mark.parametrize("kind, config, value", WIDGET_CASES)
def test_widget_shows_error(env, kind, config, value):
    field = make(kind, **config)
    markup = render(env, field, value, error="must be one of: x & y")
    page = Elements(markup)
    errors = page.find("p", **{"class": "error", "role": "alert", "id": "f_field-error"})
    assert len(errors) == 1
    assert "must be one of: x &amp; y" in markup
    for control in inputs(markup):
        assert control["aria-invalid"] == "true"
        assert control["aria-describedby"] == "f_field-error"


def test_choice_refills_previous_value(env):
    field = make("choice", options=["a", "b", "c"])
    assert checked_values(render(env, field, "b")) == ["b"]
    assert checked_values(render(env, field, None)) == []
    assert checked_values(render(env, field, "gone")) == []


def test_optional_choice_offers_no_answer(env):
    field = make("choice", options=["a", "b"], required=False)
    markup = render(env, field, None)
    assert checked_values(markup) == [""]
    assert "No answer" in markup
    assert "<legend>Field</legend>" in markup
    assert checked_values(render(env, field, "a")) == ["a"]
    assert "No answer" not in render(env, make("choice", options=["a"]), None)


def test_multi_choice_refills_previous_values(env):
    field = make("multi_choice", options=["a", "b", "c"])
    assert checked_values(render(env, field, ["a", "c"])) == ["a", "c"]
    assert checked_values(render(env, field, "b")) == ["b"]
    assert checked_values(render(env, field, None)) == []
    assert [c["type"] for c in inputs(render(env, field))] == ["checkbox"] * 3


def test_rating_refills_and_shows_labels(env):
    field = make("rating", min=0, max=4, labels={"0": "poor", "4": "great"})
    markup = render(env, field, 3)
    assert checked_values(markup) == ["3"]
    assert [c["value"] for c in inputs(markup)] == ["0", "1", "2", "3", "4"]
    assert "poor" in markup and "great" in markup
    assert checked_values(render(env, field, "2")) == ["2"]  # raw form value
    assert checked_values(render(env, field, 1.0)) == ["1"]
    assert checked_values(render(env, field, "abc")) == []


def test_number_widget_refills_and_sets_limits(env):
    field = make("number", min=0, max=10, integer=True)
    (control,) = inputs(render(env, field, 7))
    assert control["type"] == "number"
    assert (control["min"], control["max"], control["step"], control["value"]) == (
        "0",
        "10",
        "1",
        "7",
    )
    (raw,) = inputs(render(env, field, "12abc"))
    assert raw["value"] == "12abc"
    (empty,) = inputs(render(env, make("number"), None))
    assert empty["value"] == "" and empty["step"] == "any"
    assert "min" not in empty and "max" not in empty


def test_text_widget_refills_typed_text(env):
    textarea = make("text", placeholder="Say <more>")
    markup = render(env, textarea, "line one\n<b>two</b>")
    page = Elements(markup)
    (area,) = page.find("textarea")
    assert area["placeholder"] == "Say <more>"
    assert "line one\n&lt;b&gt;two&lt;/b&gt;</textarea>" in markup
    assert "None" not in render(env, textarea, None)
    # Browsers drop one newline after <textarea>; the widget adds one so a typed one survives.
    assert ">\n\nafter a blank line</textarea>" in render(env, textarea, "\nafter a blank line")

    single = make("text", multiline=False)
    (control,) = inputs(render(env, single, 'say "hi"'))
    assert control["type"] == "text" and control["value"] == 'say "hi"'


def test_widget_disabled(env):
    field = make("text")
    (fieldset,) = Elements(render(env, field, "x", disabled=True)).find("fieldset")
    assert "disabled" in fieldset
    env_without = render(env, field, "x")  # disabled not passed at all
    assert "disabled" not in Elements(env_without).find("fieldset")[0]


def test_scores_are_in_unit_range():
    samples = [
        (make("rating", min=1, max=10, tolerance=2), [(1, 10), (5, 6), (3, 9)]),
        (make("number", min=-5, max=5), [(-5, 5), (0, 1)]),
        (make("text"), [("a", "b"), ("abc", "abd")]),
    ]
    for field, pairs in samples:
        for answer, gold in pairs:
            value = field.score(answer, gold)
            assert 0.0 <= value <= 1.0 and not math.isnan(value)
