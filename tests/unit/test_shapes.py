"""The image part and the bbox and polygon fields: config, validation errors with positions, the
IoU-matched F1 gold score and the 1 − soft-F1 agreement distance against hand-worked examples,
the size linter, and what the image part shows (never more than the file's hash)."""

from __future__ import annotations

import pytest

from app.quality.linters import LintContext, run_linters, validate_rules
from components.base import ConfigError, Interface

HASH = "ab" * 32
IMAGE = {"media": f"sha256:{HASH}", "name": "cat.png", "type": "image/png", "size": 1234, "width": 100, "height": 80}


def interface(kind="bbox", **settings):
    spec = {"name": "boxes", "type": kind, "target": "photo", "labels": ["cat", "dog"], **settings}
    return Interface.from_specs([{"name": "photo", "type": "image", "value": "$image", "alt": "A photo"}, spec])


def check(answer, kind="bbox", image=IMAGE, **settings):
    return interface(kind, **settings).validate_answer({"boxes": answer}, {"image": image})


def box(label, x, y, w=10, h=10):
    return {"label": label, "x": x, "y": y, "w": w, "h": h}


def square(label, x, y, side=10):
    return {"label": label, "points": [[x, y], [x + side, y], [x + side, y + side], [x, y + side]]}


# -- the image part ---------------------------------------------------------------------------------
def test_the_image_part_shows_the_file_by_its_hash_with_its_size_and_a_url_as_it_is():
    built = interface()
    part = built.parts_by_name["photo"]
    assert part.resolve({"image": IMAGE}) == {"src": f"/media/{HASH}", "width": 100, "height": 80, "name": "cat.png"}
    assert part.resolve({"image": {"media": "https://example.org/a.jpg"}})["src"] == "https://example.org/a.jpg"
    for unusable in ("plain text", {"media": "javascript:alert(1)"}, {"media": "sha256:nothex"}, None, 5):
        assert part.resolve({"image": unusable}) is None
    assert part.alt_text == "A photo"
    assert Interface.from_specs(built.to_specs()).to_specs() == built.to_specs()


def test_the_image_part_renders_zoom_controls_and_the_alt_text_escaped():
    from app.web.templating import standalone_templates

    built = Interface.from_specs([{"name": "photo", "type": "image", "value": "$image", "alt": 'a "cat" <b>'},
                                  {"name": "boxes", "type": "bbox", "target": "photo", "labels": ["cat"]}])
    html = standalone_templates().get_template("_item_view.html").render(
        interface=built, item_data={"image": IMAGE, "gold": {"boxes": []}})
    assert f'src="/media/{HASH}" alt="a &#34;cat&#34; &lt;b&gt;" data-image="photo"' in html
    assert 'width="100" height="80"' in html and 'data-zoom="in"' in html and 'aria-keyshortcuts="+"' in html
    assert "gold" not in html


# -- config -----------------------------------------------------------------------------------------
def test_config_round_trips_and_wrong_settings_are_refused():
    built = interface(min_size=4, iou_threshold=0.7, max_boxes=20)
    field = built.by_name["boxes"]
    assert field.config() == {"labels": ["cat", "dog"], "min_size": 4, "iou_threshold": 0.7, "max_boxes": 20}
    assert [l.hotkey for l in field.labels] == ["1", "2"]
    assert Interface.from_specs(built.to_specs()).to_specs() == built.to_specs()
    for settings, wording in (({"labels": []}, "labels must be a non-empty list"),
                              ({"iou_threshold": 0}, "iou_threshold must be a number above 0"),
                              ({"min_size": -1}, "min_size must be at least 0"),
                              ({"colour": "red"}, "unknown setting for a bbox field: colour")):
        with pytest.raises(ConfigError, match=wording):
            interface(**settings)
    with pytest.raises(ConfigError, match="the bbox field 'boxes' already draws on 'photo'; one box or polygon"):
        Interface.from_specs([*interface().to_specs(),
                              {"name": "outline", "type": "polygon", "target": "photo", "labels": ["cat"]}])
    with pytest.raises(ConfigError, match="target 'photo' is a text part; a polygon field needs image"):
        Interface.from_specs([{"name": "photo", "type": "text", "value": "$t"},
                              {"name": "p", "type": "polygon", "target": "photo", "labels": ["cat"]}])


# -- validation -------------------------------------------------------------------------------------
def test_boxes_are_checked_inside_the_image_with_the_position_in_the_error():
    clean, errors = check([box("dog", 50, 40), box("cat", 1, 2.499, 3.0, 5)], min_size=3)
    assert errors == {}
    assert clean["boxes"] == [box("cat", 1, 2.5, 3, 5), box("dog", 50, 40)]  # sorted, rounded to 1/100 px
    for answer, message in (
            ([box("cat", 0, 0), box("cat", 5, 5), box("cat", 1, 1, 3, 10)], "boxes[2].w: below the minimum 4 px"),
            ([box("cat", 95, 0)], "boxes[0].w: reaches beyond the image (100 px wide)"),
            ([box("cat", 0, 75)], "boxes[0].h: reaches beyond the image (80 px high)"),
            ([box("cat", -1, 0)], "boxes[0].x: must be at least 0"),
            ([box("bird", 0, 0)], "boxes[0].label: must be one of: cat, dog"),
            ([{"label": "cat", "x": 0, "y": 0, "w": 5}], "boxes[0].h: is missing"),
            ([{**box("cat", 0, 0), "rot": 0}], "boxes[0]: unknown key 'rot'"),
            ([box("cat", 0, 0), box("cat", 0, 0)], "boxes[1]: the same box is drawn twice"),
            ("not json", "must be a list of boxs")):
        assert check(answer, min_size=4)[1]["boxes"].startswith(message), answer
    assert check([], min_boxes=1)[1] == {"boxes": "at least 1 box"}
    assert check([])[1] == {}  # nothing to mark is an answer
    # An https image without a size: shapes are checked for shape only.
    assert check([box("cat", 500, 500)], image={"media": "https://example.org/a.jpg"})[1] == {}


def test_polygons_need_three_points_inside_the_image_and_an_area():
    clean, errors = check([square("cat", 10, 10)], "polygon")
    assert errors == {} and clean["boxes"] == [square("cat", 10, 10)]
    for answer, message in (
            ([{"label": "cat", "points": [[0, 0], [5, 5]]}], "boxes[0].points: needs at least 3 points"),
            ([square("cat", 0, 0), square("cat", 95, 0)], "boxes[1].points[1]: outside the image (100×80 px)"),
            ([{"label": "cat", "points": [[0, 0], [10, 0], "x"]}], "boxes[0].points[2]: must be [x, y]"),
            ([square("cat", 0, 0, side=2)], "boxes[0].points: 2×2 px, below the minimum 4 px")):
        assert check(answer, "polygon", min_size=4)[1]["boxes"].startswith(message), answer
    assert "encloses no area" in check([{"label": "cat", "points": [[0, 0], [5, 5], [10, 10]]}], "polygon")[1]["boxes"]


# -- gold score and agreement distance, by hand -----------------------------------------------------
GOLD = [box("cat", 0, 0), box("dog", 20, 20)]


def test_box_f1_matches_by_iou_and_label():
    field = interface().by_name["boxes"]
    # cat shifted 2 px: intersection 80, union 120, IoU 2/3 >= 0.5; the dog exact.
    assert field.score([box("cat", 2, 0), box("dog", 20, 20)], GOLD) == 1.0
    assert field.score([box("cat", 5, 0), box("dog", 20, 20)], GOLD) == 0.5  # IoU 50/150 = 1/3: no match
    assert field.score([box("cat", 2, 0), box("cat", 20, 20)], GOLD) == 0.5  # right place, wrong label
    assert field.score([box("cat", 2, 0), box("dog", 20, 20), box("dog", 50, 50, 5, 5)], GOLD) == pytest.approx(0.8)
    assert field.score([], []) == 1.0 and field.score([], GOLD) == 0.0
    strict = interface(iou_threshold=0.7).by_name["boxes"]
    assert strict.score([box("cat", 2, 0), box("dog", 20, 20)], GOLD) == 0.5  # 2/3 < 0.7
    assert field.missed([box("dog", 20, 20)], GOLD) == ["Boxes: the cat box at (0, 0) 10×10 px"]


def test_box_distance_is_one_minus_soft_f1():
    field = interface().by_name["boxes"]
    assert field.distance(GOLD, list(GOLD)) == 0.0
    assert field.distance([box("cat", 2, 0), box("dog", 20, 20)], GOLD) == pytest.approx(1 - 2 * (2 / 3 + 1) / 4)
    assert field.distance([box("cat", 2, 0), box("cat", 20, 20)], GOLD) == pytest.approx(2 / 3)
    assert field.distance([], GOLD) == 1.0 and field.distance([], []) == 0.0
    (measure,) = field.measures()
    assert measure.level == "structured" and measure.distance(GOLD, [box("dog", 20, 20)]) == pytest.approx(1 / 3)


def test_polygon_iou_uses_the_area_even_of_a_ring_that_crosses_itself():
    field = interface("polygon").by_name["boxes"]
    triangle = {"label": "cat", "points": [[0, 0], [10, 0], [0, 10]]}  # half the square: IoU 0.5
    assert field.score([triangle], [square("cat", 0, 0)]) == 1.0
    assert field.distance([triangle], [square("cat", 0, 0)]) == pytest.approx(0.5)
    assert field.score([square("cat", 5, 0)], [square("cat", 0, 0)]) == 0.0  # IoU 1/3
    assert field.score([square("dog", 0, 0)], [square("cat", 0, 0)]) == 0.0
    bowtie = {"label": "cat", "points": [[0, 0], [10, 10], [10, 0], [0, 10]]}  # two triangles, area 50
    assert check([bowtie], "polygon")[1] == {}
    assert field.distance([bowtie], [square("cat", 0, 0)]) == pytest.approx(0.5)


# -- linter and co-editing --------------------------------------------------------------------------
def test_the_linter_names_boxes_smaller_than_the_limit():
    for kind, small, big in (("bbox", box("cat", 0, 0, 3, 20), box("dog", 40, 40, 20, 20)),
                             ("polygon", square("cat", 0, 0, 3), square("dog", 40, 40, 20))):
        built = interface(kind)
        rules = validate_rules([{"type": "boxes_smaller_than", "field": "boxes", "px": 5}], built)
        findings = run_linters(rules, {"boxes": [small, big]}, LintContext(), built)
        assert [f.message for f in findings] == [
            f"1 {built.by_name['boxes'].noun} smaller than 5 px (the first at {built.by_name['boxes'].place(small)})"]
        assert run_linters(rules, {"boxes": [big]}, LintContext(), built) == []


def test_fields_are_shared_lists_for_co_editing_and_export_as_stored():
    field = interface().by_name["boxes"]
    assert field.coedit == "list" and field.export(GOLD) == GOLD
    assert field.parse_form(['[{"label": "cat"}]']) == [{"label": "cat"}]
    assert field.parse_form(["{not json"]) == "{not json" and field.parse_form([""]) is None


def test_agreement_and_per_item_agreement_run_on_the_box_distance():
    from app.agreement.routing import compared_measures, item_agreement
    from app.agreement.statistics import field_agreement

    built = interface()
    field = built.by_name["boxes"]
    (measure,) = compared_measures(built)
    # Two annotators on three images: identical on two, a 2 px shift (IoU 2/3) of one box on the third.
    shifted = [box("cat", 2, 0), box("dog", 20, 20)]
    triples = [(1, "a", GOLD), (1, "b", list(GOLD)), (2, "a", [box("dog", 40, 40)]), (2, "b", [box("dog", 40, 40)]),
               (3, "a", GOLD), (3, "b", shifted)]
    result = field_agreement(triples, field.level, distance=measure.distance)
    # By hand: D_o = (1/6)·(2 · 1/6) = 1/18; D_e over the 30 ordered pairs of the 6 values (GOLD x3,
    # the far dog x2, the shifted one): 12 pairs at 1 (GOLD-dog), 6 at 1/6 (GOLD-shifted), 4 at 1
    # (dog-shifted) = 17/30; alpha = 1 - (1/18) / (17/30) = 1 - 5/51.
    assert result["krippendorff_alpha"] == pytest.approx(1 - 5 / 51)
    assert item_agreement([{"boxes": GOLD}, {"boxes": shifted}], [measure]) == pytest.approx(5 / 6)


def test_boxes_and_polygons_round_trip_the_co_editing_document_and_concurrent_edits_merge():
    from pycrdt import Doc, Map

    from app.coedit import service as coedit

    built = Interface.from_specs([{"name": "photo", "type": "image", "value": "$image"},
                                  {"name": "boxes", "type": "bbox", "target": "photo", "labels": ["cat", "dog"]},
                                  {"name": "other", "type": "image", "value": "$image"},
                                  {"name": "outline", "type": "polygon", "target": "other", "labels": ["cat"]}])
    item = {"image": IMAGE}
    clean, errors = built.validate_answer({"boxes": GOLD, "outline": [square("cat", 5, 5)]}, item)
    assert errors == {}
    seed = coedit.seed_update(built, clean)
    assert built.validate_answer(coedit.doc_answer(built, seed), item) == (clean, {})
    # Two reviewers at once: one moves the cat (its item replaced), the other adds a dog.
    one, two = Doc(), Doc()
    one.apply_update(seed)
    two.apply_update(seed)
    boxes_one, boxes_two = one.get("fields", type=Map)["boxes"], two.get("fields", type=Map)["boxes"]
    del boxes_one[0]
    boxes_one.append(Map({**box("cat", 3, 0), "_id": "moved"}))
    boxes_two.append(Map({**box("dog", 60, 60), "_id": "added"}))
    merged, errors = built.validate_answer(coedit.doc_answer(built, one.get_update(), two.get_update()), item)
    assert errors == {}
    assert merged["boxes"] == [box("cat", 3, 0), box("dog", 20, 20), box("dog", 60, 60)]
