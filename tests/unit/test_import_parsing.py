"""Parsing uploaded item imports (app/items/parsing.py): formats, wrappers, problems."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from app.items.parsing import (
    MAX_REPORTED,
    ImportProblem,
    ImportRejected,
    ItemRecord,
    PriorAnnotation,
    detect_format,
    parse_items,
)
from components.base import Interface


@pytest.fixture(scope="module")
def interface() -> Interface:
    return Interface.from_specs(
        [
            {"name": "sentiment", "type": "choice", "options": ["pos", "neg"]},
            {"name": "rationale", "type": "text", "required": False},
        ]
    )


def jsonl(*lines: object) -> bytes:
    """Each argument is one physical line: a str is written verbatim, anything else as JSON."""
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode()


def rejected(body: bytes, fmt: str, interface: Interface) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        parse_items(body, fmt, interface)
    return caught.value


def problems(exc: ImportRejected) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in exc.problems]


# -- detect_format ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("filename", "content_type", "expected"),
    [
        ("items.json", None, "json"),
        ("items.JSONL", None, "jsonl"),
        ("export.ndjson", None, "jsonl"),
        ("sheet.csv", None, "csv"),
        # The extension wins over a contradicting content type.
        ("sheet.csv", "application/json", "csv"),
        # Unknown extension: the content type decides, parameters ignored.
        ("upload.txt", "application/json; charset=utf-8", "json"),
        (None, "application/x-ndjson", "jsonl"),
        (None, "application/jsonl", "jsonl"),
        (None, "text/csv", "csv"),
    ],
)
def test_detect_format_by_extension_then_content_type(filename, content_type, expected):
    # The body would sniff as JSON; it must not be consulted here.
    assert detect_format(filename, content_type, b"[]") == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'  \n\t[{"text": "a"}]', "json"),
        (b'\xef\xbb\xbf\n{"text": "a"}\n{"text": "b"}', "jsonl"),
        (b"text,label\nhello,pos\n", "csv"),
        (b"", "csv"),
    ],
)
def test_detect_format_sniffs_first_non_space_byte(body, expected):
    assert detect_format("upload.bin", "application/octet-stream", body) == expected
    assert detect_format(None, None, body) == expected


# -- happy paths ------------------------------------------------------------------
def test_json_array_of_plain_and_wrapped_items(interface):
    body = json.dumps(
        [
            {"text": "plain item", "lang": "en"},
            {
                "data": {"text": "wrapped item"},
                "external_id": "w-1",
                "gold": {"sentiment": "neg", "rationale": "  sarcasm \r\n"},
                "explanation": "The praise is ironic.",
                "annotations": [
                    {"annotator": "ann-1", "answer": {"sentiment": "neg"}},
                    {"annotator": "ann-2", "answer": {"sentiment": "pos"}, "created_at": "2024-05-01T10:00:00Z"},
                ],
            },
        ]
    ).encode()

    records = parse_items(body, "json", interface)

    assert records == [
        ItemRecord(1, {"text": "plain item", "lang": "en"}, None, None, None, []),
        ItemRecord(
            line=2,
            data={"text": "wrapped item"},
            external_id="w-1",
            # validated and normalised by the interface: text stripped, optional field filled.
            gold={"sentiment": "neg", "rationale": "sarcasm"},
            explanation="The praise is ironic.",
            annotations=[
                PriorAnnotation("ann-1", {"sentiment": "neg", "rationale": None}),
                PriorAnnotation("ann-2", {"sentiment": "pos", "rationale": None}, "2024-05-01T10:00:00Z"),
            ],
        ),
    ]


def test_jsonl_line_numbers_count_blank_lines(interface):
    body = jsonl(
        {"text": "first"},
        "",
        "   ",
        {"data": {"text": "fourth"}, "external_id": 17},
        "",
    ).replace(b"\n", b"\r\n")

    records = parse_items(body, "jsonl", interface)

    assert [(r.line, r.data, r.external_id) for r in records] == [
        (1, {"text": "first"}, None),
        (4, {"text": "fourth"}, "17"),  # numeric ids become strings
    ]


def test_csv_rows_with_external_id_column(interface):
    body = (
        b"external_id,text,source\r\n"
        b"a-1,hello,forum\r\n"
        b"\r\n"
        b'a-2,"two\r\nlines",mail\r\n'
        b",no id here,forum\r\n"
    )

    records = parse_items(body, "csv", interface)

    assert [(r.line, r.external_id, r.data) for r in records] == [
        (2, "a-1", {"text": "hello", "source": "forum"}),
        # line 3 is blank; the quoted newline makes row a-2 span lines 4-5.
        (4, "a-2", {"text": "two\r\nlines", "source": "mail"}),
        (6, None, {"text": "no id here", "source": "forum"}),
    ]
    assert all(r.gold is None and r.annotations == [] for r in records)


def test_any_object_with_data_is_a_wrapper_and_takes_only_the_documented_keys(interface):
    listed = '(a line with "data" takes only: data, external_id, gold, explanation, annotations)'
    body = jsonl(
        {"data": {"text": "wrapped"}, "external_id": "w"},
        # no "data" key: the object is the item's data
        {"text": "plain", "gold": "just a field of the data"},
        # plain data whose own field is called "data" comes wrapped
        {"data": {"data": "x", "title": "t"}},
    )
    records = parse_items(body, "jsonl", interface)
    assert [r.data for r in records] == [
        {"text": "wrapped"},
        {"text": "plain", "gold": "just a field of the data"},
        {"data": "x", "title": "t"},
    ]
    assert all(r.gold is None for r in records)

    body = jsonl(
        {"data": {"text": "x"}, "title": "t", "meta": {}},
        {"data": "just a string", "gold": {"sentiment": "pos"}},
        {"data": {"text": "y"}, "anotations": []},
    )
    assert problems(rejected(body, "jsonl", interface)) == [
        (1, f'unknown key "meta" {listed}'),
        (1, f'unknown key "title" {listed}'),
        (2, 'data must be an object, got a string (an item whose own field is called "data" is imported '
            'wrapped: {"data": {"data": ...}})'),
        (3, f'unknown key "anotations" {listed}'),
    ]


# -- encoding ---------------------------------------------------------------------
def test_bom_is_dropped(interface):
    bom = b"\xef\xbb\xbf"
    [csv_record] = parse_items(bom + b"external_id,text\nx1,hi\n", "csv", interface)
    assert csv_record.external_id == "x1" and csv_record.data == {"text": "hi"}

    [json_record] = parse_items(bom + b'[{"text": "hi"}]', "json", interface)
    assert json_record.data == {"text": "hi"}

    [jsonl_record] = parse_items(bom + b'{"text": "hi"}\n', "jsonl", interface)
    assert jsonl_record.data == {"text": "hi"}


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_non_utf8_body_is_rejected(interface, fmt):
    body = '{"text": "café"}\n'.encode("latin-1")

    exc = rejected(body, fmt, interface)

    assert problems(exc) == [(1, "not UTF-8 text")]
    assert exc.total == 1


# -- problems ---------------------------------------------------------------------
def test_jsonl_collects_every_problem_with_its_line(interface):
    body = jsonl(
        {"text": "fine"},
        '{"text": "unterminated',
        "",
        ["not", "an", "object"],
        {},
        {"data": {}, "external_id": "e"},
        {"data": {"text": "ok"}, "explanation": 5, "annotations": {"annotator": "a"}},
    )

    exc = rejected(body, "jsonl", interface)

    found = problems(exc)
    assert [line for line, _ in found] == [2, 4, 5, 6, 7, 7]
    assert found[0][1].startswith("invalid JSON: Unterminated string")
    assert found[1:] == [
        (4, "item must be a JSON object, got an array"),
        (5, "item data is empty"),
        (6, "item data is empty"),
        (7, "explanation must be a string, got a number"),
        (7, "annotations must be a list, got an object"),
    ]
    assert exc.total == 6
    assert str(exc).startswith("import rejected: 6 problems; line 2: invalid JSON: ")


def test_bad_gold_and_annotation_answers_name_the_field(interface):
    body = jsonl(
        {"data": {"text": "a"}, "gold": {"sentiment": "meh"}},
        {"data": {"text": "b"}, "gold": {"rationale": "why"}},
        {"data": {"text": "c"}, "gold": {"sentiment": "pos", "stars": 4}},
        {
            "data": {"text": "d"},
            "annotations": [
                {"annotator": "ann-1", "answer": {"sentiment": "pos"}},
                {"annotator": "ann-2", "answer": {"sentiment": "neutral"}},
                {"annotator": "ann-3", "answer": "pos"},
            ],
        },
        {"data": {"text": "e"}, "gold": ["pos"]},
    )

    exc = rejected(body, "jsonl", interface)

    found = problems(exc)
    # The field comes first; the wording after it is the component's own.
    assert found[0][0] == 1 and found[0][1].startswith("gold.sentiment: ")
    assert "pos" in found[0][1] and "neg" in found[0][1]
    assert found[1][0] == 2 and found[1][1].startswith("gold.sentiment: ")  # required, missing
    assert (3, "gold.stars: unknown field") in found
    assert any(line == 4 and m.startswith("annotations[1].sentiment: ") for line, m in found)
    assert any(line == 4 and m.startswith("annotations[2].answer must be an object") for line, m in found)
    assert any(line == 5 and m.startswith("gold must be an object") for line, m in found)


def test_annotation_shape_is_checked(interface):
    body = jsonl(
        {
            "data": {"text": "a"},
            "annotations": [
                {"completed_by": 3, "result": [{"value": {"choices": ["pos"]}}]},
                {"answer": {"sentiment": "pos"}},
                {"annotator": "ann-1", "answer": {"sentiment": "pos"}, "created_at": "last tuesday"},
                {"annotator": "ann-2"},
                "ann-3",
            ],
        },
    )

    exc = rejected(body, "jsonl", interface)

    assert problems(exc) == [
        (1, 'annotations[0]: unknown key "completed_by" (allowed: annotator, answer, created_at)'),
        (1, 'annotations[0]: unknown key "result" (allowed: annotator, answer, created_at)'),
        (1, "annotations[1].annotator: must be a non-empty string"),
        (1, "annotations[2].created_at: must be an ISO 8601 date-time string"),
        (1, "annotations[3].answer: required"),
        (1, "annotations[4] must be an object with annotator and answer, got a string"),
    ]


def test_duplicate_external_id_is_reported_on_the_later_line(interface):
    body = jsonl(
        {"data": {"text": "a"}, "external_id": "x"},
        {"data": {"text": "b"}, "external_id": "y"},
        {"data": {"text": "c"}, "external_id": "x"},
    )
    exc = rejected(body, "jsonl", interface)
    assert problems(exc) == [(3, "duplicate external_id 'x' (first on line 1)")]

    csv_body = b"external_id,text\nx,a\ny,b\n\nx,c\n"
    exc = rejected(csv_body, "csv", interface)
    assert problems(exc) == [(5, "duplicate external_id 'x' (first on line 2)")]

    # A number and the same digits as a string are the same id.
    exc = rejected(jsonl({"data": {"t": 1}, "external_id": 7}, {"data": {"t": 2}, "external_id": "7"}), "jsonl", interface)
    assert problems(exc) == [(2, "duplicate external_id '7' (first on line 1)")]


def test_json_array_problems_are_numbered_by_item(interface):
    body = json.dumps(
        [
            {"data": {"text": "a"}, "external_id": "x"},
            "oops",
            {"data": {"text": "c"}, "external_id": "x"},
        ],
        indent=2,  # physical lines must not matter for array items
    ).encode()

    exc = rejected(body, "json", interface)

    assert problems(exc) == [
        (2, "item must be a JSON object, got a string"),
        (3, "duplicate external_id 'x' (first on item 1)"),
    ]
    assert str(exc) == (
        "import rejected: 2 problems; item 2: item must be a JSON object, got a string; "
        "item 3: duplicate external_id 'x' (first on item 1)"
    )


def test_malformed_json_reports_the_decoder_line(interface):
    body = b'[\n  {"text": "a"},\n  {"text": "b",}\n]'

    exc = rejected(body, "json", interface)

    [(line, message)] = problems(exc)
    assert line == 3
    assert message.startswith("invalid JSON: ") and "column" in message


@pytest.mark.parametrize("document", [b'{"text": "a"}', b'"text"', b"42"])
def test_json_must_be_an_array(interface, document):
    [(line, message)] = problems(rejected(document, "json", interface))
    assert line == 1 and message.startswith("expected a JSON array of items, got ")


def test_csv_header_and_row_problems(interface):
    body = b"text,,source,\nhello,x,forum,y\nhi,a,b,c,EXTRA\n"

    exc = rejected(body, "csv", interface)

    assert problems(exc) == [
        (1, "column 2 has an empty header"),
        (1, "column 4 has an empty header"),
        (3, "row has 5 cells but the header has 4 columns"),
    ]


def test_csv_row_with_too_many_cells(interface):
    body = b"external_id,text\na,hello\nb,hello,again\nc,fine\n"
    assert problems(rejected(body, "csv", interface)) == [
        (3, "row has 3 cells but the header has 2 columns")
    ]


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        (b"", "json"),
        (b" \n ", "json"),
        (b"[]", "json"),
        (b"\n\n  \n", "jsonl"),
        (b"", "csv"),
        (b"text,label\n", "csv"),
        (b"\xef\xbb\xbf", "jsonl"),
    ],
)
def test_empty_import_is_rejected(interface, body, fmt):
    assert problems(rejected(body, fmt, interface)) == [(1, "no items found")]


def test_csv_quoting_errors_are_reported_per_row(interface):
    body = b'text,source\n"a"b,forum\nfine,mail\n"q"z,web\n'
    assert problems(rejected(body, "csv", interface)) == [
        (2, "invalid CSV: ',' expected after '\"'"),
        (4, "invalid CSV: ',' expected after '\"'"),
    ]

    # An unclosed quote must not silently swallow the rows after it.
    body = b'text,source\nok,forum\n"never closed,mail\nmore,web\n'
    assert problems(rejected(body, "csv", interface)) == [
        (3, "invalid CSV: a quoted cell starting in this row is never closed")
    ]


def test_nul_characters_are_rejected(interface):
    message = "item contains a NUL character (\\u0000), which cannot be stored"
    body = jsonl({"text": "a\x00b"}, {"text": "a backslash-u0000 is text: \\u0000"}, {"data": {"t": 1}, "explanation": "\x00"})
    assert problems(rejected(body, "jsonl", interface)) == [(1, message), (3, message)]

    assert problems(rejected(b"text\nok\nx\x00y\n", "csv", interface)) == [(3, message)]


def test_problem_cap_keeps_the_first_hundred_and_counts_all(interface):
    body = jsonl(*(["not json"] * 250))

    exc = rejected(body, "jsonl", interface)

    assert len(exc.problems) == MAX_REPORTED == 100
    assert exc.total == 250
    assert [p.line for p in exc.problems] == list(range(1, 101))
    assert str(exc).startswith("import rejected: 250 problems; line 1: invalid JSON: ")
    assert str(exc).endswith("and 240 more")  # str spells out the first 10 only

    payload = exc.to_dict()
    assert payload["error"] == "import rejected"
    assert payload["total"] == 250
    assert len(payload["problems"]) == 100
    assert payload["problems"][0] == {"line": 1, "message": exc.problems[0].message}
    json.dumps(payload)  # serialisable as is


def test_import_rejected_round_trips_through_pickle():
    exc = ImportRejected([ImportProblem(2, "bad"), ImportProblem(7, "worse")], total=3)
    assert str(exc) == "import rejected: 3 problems; line 2: bad; line 7: worse; and 1 more"
    again = pickle.loads(pickle.dumps(exc))
    assert again.problems == exc.problems and again.total == 3 and str(again) == str(exc)


def test_unknown_format_is_a_programming_error(interface):
    with pytest.raises(ValueError):
        parse_items(b"[]", "xml", interface)


def test_nan_and_infinity_are_not_json(interface):
    body = b'{"text": "a", "score": NaN}\n{"text": "b"}\n{"text": "c", "score": -Infinity}\n'
    assert problems(rejected(body, "jsonl", interface)) == [
        (1, "invalid JSON: NaN is not a number JSON allows"),
        (3, "invalid JSON: -Infinity is not a number JSON allows"),
    ]
    assert problems(rejected(b'[{"x": Infinity}]', "json", interface)) == [
        (1, "invalid JSON: Infinity is not a number JSON allows")
    ]


# -- Label Studio export -------------------------------------------------------------
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def ls_interface() -> Interface:
    return Interface.from_specs(
        [
            {"name": "sentiment", "type": "choice", "options": ["Positive", "Negative", "Neutral"]},
            {"name": "topics", "type": "multi_choice", "options": ["price", "quality", "service"], "required": False},
            {"name": "stars", "type": "rating", "min": 1, "max": 5, "required": False},
            {"name": "score", "type": "number", "required": False},
            {"name": "why", "type": "text", "required": False},
        ]
    )


def ls_result(name: str, kind: str, value: dict) -> dict:
    return {"id": f"r-{name}", "from_name": name, "to_name": "text", "type": kind, "value": value, "origin": "manual"}


def ls_annotation(completed_by: object, *results: dict, **extra: object) -> dict:
    return {"id": 10, "completed_by": completed_by, "result": list(results), "was_cancelled": False,
            "ground_truth": False, "created_at": "2024-05-01T10:00:00.123456Z", "lead_time": 12.3} | extra


def ls_task(task_id: int, annotations: list, **data: object) -> dict:
    return {"id": task_id, "data": data or {"text": f"task {task_id}"}, "annotations": annotations,
            "predictions": [], "meta": {}, "inner_id": task_id, "total_annotations": len(annotations)}


def choices(name: str, *picked: str) -> dict:
    return ls_result(name, "choices", {"choices": list(picked)})


def test_labelstudio_export_is_detected_in_a_json_array_and_mapped(ls_interface):
    body = json.dumps(
        [
            ls_task(
                1,
                [
                    ls_annotation(
                        3,
                        choices("sentiment", "Positive"),
                        choices("topics", "service", "price"),
                        ls_result("stars", "rating", {"rating": 4}),
                        ls_result("score", "number", {"number": 0.5}),
                        ls_result("why", "textarea", {"text": ["because", "it says so "]}),
                    ),
                    # completed_by as a user object (some versions): the id names the annotator
                    ls_annotation({"id": 5, "email": "b@example.org", "first_name": "B"}, choices("sentiment", "Negative")),
                    # cancelled ("skipped"): not an answer, even with a result
                    ls_annotation(7, choices("sentiment", "Neutral"), was_cancelled=True),
                    # ground truth is kept as an ordinary prior annotation, not made the gold answer
                    ls_annotation(8, choices("sentiment", "Positive"), ground_truth=True, created_at="yesterday"),
                ],
                text="Great value, friendly staff.",
            ),
            ls_task(2, []),
        ]
    ).encode()

    records = parse_items(body, "json", ls_interface)

    empty = {"sentiment": None, "topics": None, "stars": None, "score": None, "why": None}
    assert records == [
        ItemRecord(
            line=1,
            data={"text": "Great value, friendly staff."},
            external_id="1",
            gold=None,
            explanation=None,
            annotations=[
                PriorAnnotation(
                    "labelstudio:3",
                    # choices -> one value for a choice field, a list for a multi_choice field (in option
                    # order); rating and number as they are; textarea lines joined (and stripped by the field)
                    {"sentiment": "Positive", "topics": ["price", "service"], "stars": 4, "score": 0.5,
                     "why": "because\nit says so"},
                    "2024-05-01T10:00:00.123456Z",
                ),
                PriorAnnotation("labelstudio:5", empty | {"sentiment": "Negative"}, "2024-05-01T10:00:00.123456Z"),
                # an unreadable created_at is dropped rather than refusing the import
                PriorAnnotation("labelstudio:8", empty | {"sentiment": "Positive"}, None),
            ],
        ),
        ItemRecord(2, {"text": "task 2"}, "2", None, None, []),
    ]


def test_labelstudio_format_can_be_given_and_reads_unannotated_tasks(ls_interface):
    body = json.dumps([ls_task(1, []), {"data": {"text": "bare"}}, ls_task(3, [], text="t", external_id="ext-3")])

    records = parse_items(body.encode(), "labelstudio", ls_interface)

    # an external_id in the task's data wins over Label Studio's task id
    assert [(r.line, r.external_id, r.data, r.annotations) for r in records] == [
        (1, "1", {"text": "task 1"}, []),
        (2, None, {"text": "bare"}, []),
        (3, "ext-3", {"text": "t", "external_id": "ext-3"}, []),
    ]


def test_an_export_of_tasks_nobody_annotated_is_still_recognised(ls_interface):
    records = parse_items(json.dumps([ls_task(1, []), ls_task(2, [])]).encode(), "json", ls_interface)
    assert [(r.external_id, r.data) for r in records] == [("1", {"text": "task 1"}), ("2", {"text": "task 2"})]


def test_completed_by_without_an_id_falls_back_to_the_email(ls_interface):
    body = json.dumps([ls_task(1, [ls_annotation({"email": "ann@example.org"}, choices("sentiment", "Neutral"))])])
    [record] = parse_items(body.encode(), "json", ls_interface)
    assert [a.annotator for a in record.annotations] == ["labelstudio:ann@example.org"]


def test_native_items_next_to_label_studio_tasks_are_not_guessed_at(ls_interface):
    """Once an array is a Label Studio export, every entry must be a task."""
    body = json.dumps(
        [
            ls_task(1, [ls_annotation(3, choices("sentiment", "Positive"))]),
            {"text": "plain item"},
            {"data": {"text": "native"}, "annotations": [{"annotator": "a", "answer": {"sentiment": "Positive"}}]},
        ]
    )
    exc = rejected(body.encode(), "json", ls_interface)
    assert exc.unit == "task"
    assert problems(exc) == [
        (2, 'not a Label Studio task: "data" must be an object '
            "(only Label Studio's JSON export is read, not JSON_MIN or CSV)"),
        (3, 'annotations[0]: not a Label Studio annotation (it needs a "result" list)'),
    ]


def test_labelstudio_problems_name_the_task_annotation_and_result(ls_interface):
    body = json.dumps(
        [
            ls_task(1, [ls_annotation(3, choices("sentiment", "Positive"))]),
            ls_task(2, [ls_annotation(3, choices("sentiment", "Positive"), choices("mood", "happy"))]),
            ls_task(3, [ls_annotation(3, choices("sentiment", "Positive"),
                                      ls_result("label", "labels", {"start": 0, "end": 4, "labels": ["ORG"]}),
                                      ls_result("box", "rectanglelabels", {"x": 1, "y": 2}))]),
            ls_task(4, [ls_annotation(3, choices("sentiment", "Positive", "Neutral"))]),
            ls_task(5, [ls_annotation(3, choices("sentiment", "Positive"), choices("why", "Positive"))]),
            ls_task(6, [ls_annotation(3, choices("sentiment", "Great"), ls_result("stars", "rating", {"rating": 9}))]),
            ls_task(7, [ls_annotation(3, ls_result("stars", "rating", {"rating": 2}))]),
            ls_task(8, [ls_annotation(3, choices("sentiment", "Positive")), ls_annotation(3, choices("sentiment", "Negative")),
                        ls_annotation(None, choices("sentiment", "Negative"))]),
            ls_task(9, [ls_annotation(3, choices("sentiment", "Positive"), choices("sentiment", "Negative"),
                                      ls_result("score", "number", {"value": 1}))]),
            ls_task(1, []),
        ]
    )

    exc = rejected(body.encode(), "json", ls_interface)

    assert problems(exc) == [
        (2, "annotations[0].result[1]: unknown field 'mood' (from_name); "
            "the interface has: sentiment, topics, stars, score, why"),
        (3, "annotations[0].result[1]: result type 'labels' (field 'label') is not supported; "
            "Inkwell imports choices, rating, number and textarea results"),
        (3, "annotations[0].result[2]: result type 'rectanglelabels' (field 'box') is not supported; "
            "Inkwell imports choices, rating, number and textarea results"),
        (4, "annotations[0].result[0]: field 'sentiment' takes one option, but the annotation chose 2"),
        (5, "annotations[0].result[1]: a choices result cannot fill the text field 'why'"),
        # the interface's own checks, worded as for native prior annotations
        (6, "annotations[0].sentiment: must be one of: Positive, Negative, Neutral"),
        (6, "annotations[0].stars: must be between 1 and 5"),
        (7, "annotations[0].sentiment: required"),
        (8, "annotations[1]: labelstudio:3 already annotated this task (annotations[0])"),
        (8, "annotations[2].completed_by: must be a user id or a user object with an id or email"),
        (9, "annotations[0].result[1]: field 'sentiment' appears twice in this annotation"),
        (9, "annotations[0].result[2]: value must be an object with 'number'"),
        (10, "duplicate external_id '1' (first on task 1)"),
    ]
    assert str(exc).startswith("import rejected: 13 problems; task 2: annotations[0].result[1]: unknown field 'mood'")


@pytest.mark.parametrize("document", [b'{"id": 1, "data": {}}', b'"tasks"'])
def test_labelstudio_format_needs_an_array(ls_interface, document):
    [(line, message)] = problems(rejected(document, "labelstudio", ls_interface))
    assert line == 1 and message.startswith("expected a JSON array of Label Studio tasks, got ")


def test_json_min_export_is_refused_with_a_hint(ls_interface):
    body = json.dumps([{"id": 1, "text": "hi", "sentiment": "Positive", "annotator": "a@b.c", "annotation_id": 10}])
    [(line, message)] = problems(rejected(body.encode(), "labelstudio", ls_interface))
    assert line == 1 and "JSON_MIN" in message


def test_the_labelstudio_fixture_reads_as_six_tasks_by_three_annotators():
    """tests/fixtures/labelstudio_sentiment.json, as other tests use it."""
    interface = Interface.from_specs(
        [
            {"name": "sentiment", "type": "choice", "options": ["Positive", "Negative", "Neutral"]},
            {"name": "confidence", "type": "rating", "min": 1, "max": 5},
        ]
    )
    body = (FIXTURES / "labelstudio_sentiment.json").read_bytes()

    records = parse_items(body, "json", interface)

    assert [r.external_id for r in records] == ["101", "102", "103", "104", "105", "106"]
    assert all([a.annotator for a in r.annotations] == ["labelstudio:3", "labelstudio:5", "labelstudio:8"]
               for r in records)  # the cancelled annotation on task 104 is skipped
    assert [[a.answer["sentiment"] for a in r.annotations] for r in records] == [
        ["Positive", "Positive", "Positive"],
        ["Negative", "Negative", "Negative"],
        ["Neutral", "Neutral", "Positive"],
        ["Neutral", "Negative", "Neutral"],
        ["Positive", "Positive", "Positive"],
        ["Neutral", "Neutral", "Negative"],
    ]
    assert [[a.answer["confidence"] for a in r.annotations] for r in records] == [
        [5, 4, 5], [5, 4, 3], [3, 2, 2], [2, 3, 3], [5, 5, 4], [4, 5, 2],
    ]


# -- reading a piece at a time ---------------------------------------------------------
@pytest.fixture
def tiny_pieces(monkeypatch):
    """Read JSON arrays 7 characters at a time, so every value straddles pieces."""
    from app.items.reading import JsonArray

    monkeypatch.setattr(JsonArray, "PIECE", 7)


def test_a_json_array_read_in_pieces_gives_every_item(interface, tiny_pieces):
    items = [{"text": "x" * 50, "n": 123456789, "f": -1.5e-7, "ok": True, "none": None, "deep": [[{"a": "é\\n"}]]},
             {"data": {"text": "wrapped"}, "external_id": 12345678901234},
             {"text": "line\u2028separator and \"quotes\""}]
    body = json.dumps(items, indent=3, ensure_ascii=False).encode()

    records = parse_items(body, "json", interface)

    assert [r.data for r in records] == [items[0], {"text": "wrapped"}, items[2]]
    assert records[1].external_id == "12345678901234"


def test_a_syntax_error_after_many_pieces_is_reported_on_its_line_and_column(interface, tiny_pieces):
    body = ("[\n" + ",\n".join(json.dumps({"text": f"item {i}"}) for i in range(40)) + ',\n  {"text": oops}\n]').encode()

    [(line, message)] = problems(rejected(body, "json", interface))

    assert line == 42
    assert message == "invalid JSON: Expecting value (column 12)"  # as json.loads says


@pytest.mark.parametrize("body,expected", [
    (b'[{"a": 1} {"b": 2}]', "invalid JSON: Expecting ',' delimiter (column 11)"),
    (b'[{"a": 1}] [2]', "invalid JSON: Extra data (column 12)"),
    (b'[{"a": 1},', "invalid JSON: Expecting value (column 11)"),
    (b'[{"a": "never closed}]', "invalid JSON: Unterminated string starting at (column 8)"),
])
def test_broken_arrays_say_where(interface, tiny_pieces, body, expected):
    assert problems(rejected(body, "json", interface)) == [(1, expected)]


def test_bytes_that_are_not_utf8_are_reported_on_their_line(interface):
    body = jsonl({"text": "fine"}, {"text": "fine too"}) + b'\n{"text": "caf\xe9"}\n'

    assert problems(rejected(body, "jsonl", interface)) == [(3, "not UTF-8 text")]


def test_repeated_ids_among_many_are_all_found_with_their_first_line(interface):
    lines = [{"data": {"text": f"t{i}"}, "external_id": f"id-{i % 5000}"} for i in range(5003)]

    exc = rejected(jsonl(*lines), "jsonl", interface)

    assert problems(exc) == [(5001, "duplicate external_id 'id-0' (first on line 1)"),
                             (5002, "duplicate external_id 'id-1' (first on line 2)"),
                             (5003, "duplicate external_id 'id-2' (first on line 3)")]


def test_repeated_ids_are_reported_in_line_order_among_other_problems(interface):
    body = jsonl({"data": {"text": "a"}, "external_id": "x"}, {"data": {"text": "b"}, "external_id": "x"},
                 {"data": {}}, {"data": {"text": "c"}, "external_id": "x"})
    assert problems(rejected(body, "jsonl", interface)) == [
        (2, "duplicate external_id 'x' (first on line 1)"),
        (3, "item data is empty"),
        (4, "duplicate external_id 'x' (first on line 1)"),
    ]


def test_lone_surrogates_are_refused_where_they_are(interface, tiny_pieces):
    message = "item contains a lone surrogate (\\ud800-\\udfff), which is not valid Unicode"
    jsonl_body = b'{"text": "fine \\ud83d\\ude00"}\n{"text": "\\ud800 alone"}\n{"data": {"t": 1}, "explanation": "\\uDFFF"}\n'
    assert problems(rejected(jsonl_body, "jsonl", interface)) == [(2, message), (3, message)]
    array_body = b'[{"text": "fine"},\n {"text": "x\\udc00"}]'
    assert problems(rejected(array_body, "json", interface)) == [(2, message)]
