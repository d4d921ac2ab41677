"""The spans component and the shared span module: config, validation errors with positions,
matched-span F1 and the agreement distance against hand-worked examples."""

from __future__ import annotations

import random
import time

import pytest

from app.quality.linters import LintContext, run_linters, validate_rules
from components import _spans
from components.base import AnswerError, ConfigError, Interface

TEXT = "Alice met Bob at Acme in Paris."  # 31 characters
#        0    5    10   15   20   25   30


def interface(**settings):
    spec = {"name": "entities", "type": "spans", "target": "doc", "labels": ["PER", "ORG", "LOC"], **settings}
    return Interface.from_specs([{"name": "doc", "type": "text", "value": "$text"}, spec])


def check(answer, text=TEXT, **settings):
    return interface(**settings).validate_answer({"entities": answer}, {"text": text})


def prepared(*spans):
    return _spans.prepare([{"start": s, "end": e, "label": label} for s, e, label in spans], "label")


# -- config -----------------------------------------------------------------------------------------
def test_config_round_trips_with_default_hotkeys_by_position():
    built = interface(labels=["PER", {"value": "ORG", "label": "Organisation", "hotkey": "O"}, "LOC"])
    spans = built.by_name["entities"]
    assert [(l.value, l.label, l.hotkey) for l in spans.labels] == [
        ("PER", "PER", "1"), ("ORG", "Organisation", "o"), ("LOC", "LOC", "2")]
    again = Interface.from_specs(built.to_specs())
    assert again.to_specs() == built.to_specs()
    assert again.by_name["entities"].config() == {
        "labels": ["PER", {"value": "ORG", "label": "Organisation", "hotkey": "o"}, "LOC"],
        "overlapping": False, "iou_threshold": 0.5}


@pytest.mark.parametrize("settings, message", [
    ({"labels": []}, "labels must be a non-empty list"),
    ({"labels": ["PER", "PER"]}, "'PER' appears twice"),
    ({"labels": [{"value": "A", "hotkey": "a"}, {"value": "B", "hotkey": "A"}]}, "hotkey 'a' is used twice"),
    ({"labels": [{"value": "A", "hotkey": "ab"}]}, "hotkey must be one letter or digit"),
    ({"overlapping": "yes"}, "overlapping must be true or false"),
    ({"iou_threshold": 0}, "iou_threshold must be a number above 0 and at most 1"),
    ({"min_spans": 3, "max_spans": 2}, "min_spans must not be more than max_spans"),
    ({"colour": "red"}, "unknown setting for a spans field: colour"),
])
def test_bad_config_is_refused(settings, message):
    with pytest.raises(ConfigError, match=message):
        interface(**settings)


def test_target_must_be_a_text_or_prompt_response_part():
    with pytest.raises(ConfigError, match="target is missing"):
        Interface.from_specs([{"name": "e", "type": "spans", "labels": ["A"]}])
    with pytest.raises(ConfigError, match="target 'nope' is not a display part"):
        Interface.from_specs([{"name": "e", "type": "spans", "labels": ["A"], "target": "nope"}])
    with pytest.raises(ConfigError, match="is a code part; a spans field needs text or prompt_response"):
        Interface.from_specs([{"name": "src", "type": "code", "value": "$code"},
                              {"name": "e", "type": "spans", "labels": ["A"], "target": "src"}])


# -- validation -------------------------------------------------------------------------------------
def test_valid_spans_are_sorted_and_quote_the_text():
    clean, errors = check([{"label": "ORG", "start": 17, "end": 21}, {"label": "PER", "start": 0, "end": 5.0}])
    assert errors == {}
    assert clean["entities"] == [{"label": "PER", "start": 0, "end": 5, "text": "Alice"},
                                 {"label": "ORG", "start": 17, "end": 21, "text": "Acme"}]


def test_offsets_are_code_points_not_utf16_units():
    text = "😀 Zoë and 😀 Ann"
    clean, errors = check([{"label": "PER", "start": 2, "end": 5}, {"label": "PER", "start": 12, "end": 15}], text)
    assert errors == {}
    assert [s["text"] for s in clean["entities"]] == ["Zoë", "Ann"]


@pytest.mark.parametrize("answer, message", [
    ([{"label": "PER", "start": 0, "end": 5}, {"label": "PER", "start": 25, "end": 40}],
     "entities[1].end: beyond the text (31 characters)"),
    ([{"label": "PER", "start": 31, "end": 32}], "entities[0].start: beyond the text (31 characters)"),
    ([{"label": "PER", "start": 5, "end": 5}], "entities[0].end: must be after start (5)"),
    ([{"label": "PER", "start": -1, "end": 5}], "entities[0].start: must be at least 0"),
    ([{"label": "PER", "start": "0", "end": 5}], "entities[0].start: must be a whole number"),
    ([{"label": "PER", "start": True, "end": 5}], "entities[0].start: must be a whole number"),
    ([{"label": "PER", "start": 0}], "entities[0].end: is missing"),
    ([{"start": 0, "end": 5}], "entities[0].label: is missing"),
    ([{"label": "DATE", "start": 0, "end": 5}], "entities[0].label: must be one of: PER, ORG, LOC"),
    ([{"label": "PER", "start": 0, "end": 5, "colour": "red"}], "entities[0]: unknown key 'colour'"),
    ([{"label": "PER", "start": 0, "end": 5, "text": "Alicia"}], "entities[0].text: is not the text at 0-5"),
    (["Alice"], "entities[0]: must be an object"),
    ({"label": "PER"}, "must be a list of spans"),
    ("[not json", "must be a list of spans"),
])
def test_errors_name_the_span_and_what_is_wrong(answer, message):
    clean, errors = check(answer)
    assert message in errors["entities"]


def test_overlapping_spans_refused_unless_the_field_allows_them():
    answer = [{"label": "PER", "start": 10, "end": 13}, {"label": "ORG", "start": 0, "end": 5},
              {"label": "LOC", "start": 11, "end": 16}]
    assert check(answer)[1] == {"entities": "entities[2]: overlaps entities[0]; "
                                            "this field does not allow overlapping spans"}
    clean, errors = check(answer, overlapping=True)
    assert errors == {} and [s["start"] for s in clean["entities"]] == [0, 10, 11]
    twice = [{"label": "PER", "start": 0, "end": 5}, {"label": "PER", "start": 0, "end": 5}]
    assert check(twice, overlapping=True)[1] == {"entities": "entities[1]: the same span is marked twice"}


def test_counts_and_the_empty_answer():
    assert check([]) == ({"entities": []}, {})  # "nothing to mark" is an answer
    assert check([], min_spans=1)[1] == {"entities": "at least 1 span"}
    two = [{"label": "PER", "start": 0, "end": 5}, {"label": "PER", "start": 10, "end": 13}]
    assert check(two, max_spans=1)[1] == {"entities": "at most 1 span"}
    assert check(None)[1] == {"entities": "required"}


def test_a_prompt_response_target_marks_the_response():
    built = Interface.from_specs([
        {"name": "pr", "type": "prompt_response", "value": "$prompt", "response": "$response"},
        {"name": "entities", "type": "spans", "target": "pr", "labels": ["X"]}])
    data = {"prompt": "Who?", "response": "Bob."}
    assert built.validate_answer({"entities": [{"label": "X", "start": 0, "end": 3}]}, data)[0] == {
        "entities": [{"label": "X", "start": 0, "end": 3, "text": "Bob"}]}
    assert built.validate_answer({"entities": [{"label": "X", "start": 0, "end": 5}]}, data)[1] == {
        "entities": "entities[0].end: beyond the text (4 characters)"}


def test_without_the_item_only_the_shape_is_checked():
    spans = interface().by_name["entities"]
    assert spans.validate([{"label": "PER", "start": 0, "end": 500}]) == [{"label": "PER", "start": 0, "end": 500}]
    with pytest.raises(AnswerError, match=r"entities\[0\].end: must be after start"):
        spans.validate([{"label": "PER", "start": 9, "end": 2}])


def test_the_form_posts_json():
    spans = interface().by_name["entities"]
    assert spans.parse_form(['[{"label": "PER", "start": 0, "end": 5}]']) == [{"label": "PER", "start": 0, "end": 5}]
    assert spans.parse_form([""]) is None
    assert spans.parse_form(["[oops"]) == "[oops"


# -- matching, F1 and distance ----------------------------------------------------------------------
def test_f1_hand_worked():
    gold = [{"label": "PER", "start": 0, "end": 10}, {"label": "ORG", "start": 20, "end": 30}]
    answer = [{"label": "PER", "start": 2, "end": 10},   # IoU 8/10: a match
              {"label": "PER", "start": 20, "end": 30},  # right place, wrong label
              {"label": "ORG", "start": 40, "end": 45}]  # nothing there
    spans = interface().by_name["entities"]
    assert spans.score(answer, gold) == pytest.approx(2 * 1 / (3 + 2))  # 0.4
    assert spans.score(gold, gold) == 1.0
    assert spans.score([], []) == 1.0
    assert spans.score([], gold) == 0.0


def test_iou_threshold_is_inclusive_and_configurable():
    gold = [{"label": "PER", "start": 0, "end": 10}]
    half = [{"label": "PER", "start": 0, "end": 5}]  # IoU exactly 0.5
    assert interface().by_name["entities"].score(half, gold) == 1.0
    assert interface(iou_threshold=0.6).by_name["entities"].score(half, gold) == 0.0


def test_greedy_matching_takes_the_best_overlap_first():
    # Both answer spans overlap the one gold span (IoU 1.0 and 5/15); each span is used once.
    a = prepared((0, 10, "X"), (5, 15, "X"))
    b = prepared((0, 10, "X"))
    assert [(key, round(iou, 3), i, j) for key, iou, i, j in _spans.matches(a, b, 0.3)] == [("X", 1.0, 0, 0)]
    assert _spans.f1(a, b, 0.3) == pytest.approx(2 / 3)


def test_distance_hand_worked():
    assert _spans.distance(prepared(), prepared(), 0.5) == 0.0
    assert _spans.distance(prepared((0, 10, "PER")), prepared(), 0.5) == 1.0
    assert _spans.distance(prepared((0, 10, "PER")), prepared((0, 10, "PER")), 0.5) == 0.0
    # one match of IoU 0.5: 1 - 2 * 0.5 / 2
    assert _spans.distance(prepared((0, 10, "PER")), prepared((0, 5, "PER")), 0.5) == pytest.approx(0.5)
    # one match of IoU 0.8 among 2 + 1 spans: 1 - 2 * 0.8 / 3
    assert _spans.distance(prepared((0, 10, "PER"), (20, 30, "ORG")), prepared((0, 8, "PER")),
                           0.5) == pytest.approx(1 - 1.6 / 3)
    # the label must agree, and below the threshold nothing matches
    assert _spans.distance(prepared((0, 10, "PER")), prepared((0, 10, "ORG")), 0.5) == 1.0
    assert _spans.distance(prepared((0, 10, "PER")), prepared((0, 4, "PER")), 0.5) == 1.0


def test_component_distance_is_symmetric_and_reads_decoded_answers():
    spans = interface().by_name["entities"]
    a = [{"label": "PER", "start": 0, "end": 10}, {"label": "ORG", "start": 20, "end": 30}]
    b = [{"label": "PER", "start": 0, "end": 8}]
    assert spans.distance(a, b) == spans.distance(b, a) == pytest.approx(1 - 1.6 / 3)
    assert spans.distance(a, list(a)) == 0.0
    assert spans.measures()[0].level == "structured" and spans.measures()[0].distance is not None


def test_sweep_agrees_with_checking_every_pair():
    rng = random.Random(7)

    def brute(a, b, threshold):
        found = []
        for key, (starts, ends, _) in a.groups.items():
            if key not in b.groups:
                continue
            bs, be, _ = b.groups[key]
            for i, (s1, e1) in enumerate(zip(starts, ends)):
                for j, (s2, e2) in enumerate(zip(bs, be)):
                    inter = min(e1, e2) - max(s1, s2)
                    if inter > 0 and inter / (max(e1, e2) - min(s1, s2)) >= threshold:
                        found.append((key, i, j))
        return sorted(found)

    for _ in range(300):
        def spans():
            out = []
            for _ in range(rng.randint(0, 12)):
                start = rng.randint(0, 80)
                out.append((start, start + rng.randint(1, 25), rng.choice("AB")))
            return prepared(*out)
        a, b = spans(), spans()
        got = sorted((key, i, j) for key, _, i, j in
                     [(k, iou, i, j) for k, group in a.groups.items() if k in b.groups
                      for iou, i, j in _spans.candidates(group, b.groups[k], 0.3)])
        assert got == brute(a, b, 0.3)


# -- lint rule --------------------------------------------------------------------------------------
def test_spans_same_label_rule():
    built = interface()
    rules = validate_rules([{"type": "spans_same_label", "field": "entities", "min_count": 3}], built)
    assert rules == [{"type": "spans_same_label", "severity": "error", "field": "entities", "min_count": 3}]
    same = [{"label": "PER", "start": s, "end": s + 2} for s in (0, 5, 10)]
    findings = run_linters(rules, {"entities": same}, LintContext(), built)
    assert [(f.field, f.message) for f in findings] == [("entities", "all 3 spans have the label PER")]
    mixed = same[:2] + [{"label": "ORG", "start": 10, "end": 12}]
    assert run_linters(rules, {"entities": mixed}, LintContext(), built) == []
    assert run_linters(rules, {"entities": same[:2]}, LintContext(), built) == []
    with pytest.raises(ConfigError, match="min_count must be at least 2"):
        validate_rules([{"type": "spans_same_label", "field": "entities", "min_count": 1}], built)


# -- widget and speed -------------------------------------------------------------------------------
def test_widget_lists_the_given_spans_escaped_and_posts_json():
    from app.web.templating import standalone_templates

    field = interface().by_name["entities"]
    html = standalone_templates().get_template("spans/widget.html").render(
        field=field, value=[{"label": "PER", "start": 0, "end": 7, "text": "<b>Al</b>"}], error=None)
    assert "&lt;b&gt;Al&lt;/b&gt;" in html and "<b>Al</b>" not in html
    assert 'name="f_entities"' in html and "data-span-value" in html
    assert 'src="/static/spans.js' in html and "<script>" not in html and "style=" not in html
    assert 'aria-keyshortcuts="1"' in html


def test_two_hundred_spans_validate_and_score_fast():
    text = "word " * 4000
    answer = [{"label": "PER", "start": i * 100, "end": i * 100 + 40} for i in range(200)]
    built = interface(max_spans=500)
    spans = built.by_name["entities"]
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        clean, errors = built.validate_answer({"entities": answer}, {"text": text})
        spans.score(clean["entities"], answer)
        best = min(best, time.perf_counter() - began)
    assert errors == {}
    assert best < 0.020, f"{best * 1000:.1f} ms"


@pytest.mark.parametrize("threshold, overlapping", [(0.5, False), (0.75, False), (0.3, True), (0.5, True)])
def test_vectorised_distance_equals_the_pairwise_one(threshold, overlapping):
    import numpy as np

    rng = random.Random(threshold)
    spans = interface(iou_threshold=threshold, overlapping=overlapping).by_name["entities"]

    def answer():
        out, at = [], 0
        for _ in range(rng.randint(0, 8)):
            at = at + rng.randint(-6 if overlapping else 0, 12)
            start = max(0, at)
            out.append({"label": rng.choice(["PER", "ORG"]), "start": start, "end": start + rng.randint(1, 10)})
            at = out[-1]["end"]
        return out

    values = [answer() for _ in range(60)] + [[{"label": "PER", "start": s, "end": s + 1} for s in range(0, 200, 2)]]
    delta = spans.measures()[0].distance.batch(values)
    a = np.array([rng.randrange(len(values)) for _ in range(2000)])
    b = np.array([rng.randrange(len(values)) for _ in range(2000)])
    got = delta(a, b)
    want = [0.0 if i == j else spans.distance(values[i], values[j]) for i, j in zip(a.tolist(), b.tolist())]
    assert got.tolist() == pytest.approx(want, abs=1e-12)
