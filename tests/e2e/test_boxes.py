"""Boxes on an image in a real browser: the contributor draws two boxes by dragging on the image
(shown fit to the width, several times its pixel size), labels one with a label's key, moves one by
dragging and nudges it with the arrow keys, deletes one, adds one from the keyboard alone, zooms
in, and submits; the stored answer is in the image's own pixels. Any policy violation on the page
(Annotorious included) fails the test (``sign_in``)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 200, 100
INTERFACE = [
    {"name": "photo", "type": "image", "value": "$image", "alt": "A street"},
    {"name": "boxes", "type": "bbox", "target": "photo", "labels": ["car", "person"], "min_size": 4},
]
GOLD = {"boxes": [{"label": "car", "x": 10, "y": 10, "w": 50, "h": 30}]}


def picture(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (WIDTH, HEIGHT), colour).save(out, format="PNG")
    return out.getvalue()


def import_with_images(ops, project_id: int, lines: list[dict], files: dict[str, bytes], batch: str) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as writer:
        for name, content in files.items():
            writer.writestr(name, content)
    items = "".join(json.dumps(line) + "\n" for line in lines).encode()
    response = ops.http.post(f"/projects/{project_id}/items", params={"batch": batch}, files={
        "items": ("items.jsonl", items, "application/x-ndjson"), "media": ("media.zip", archive.getvalue(), "application/zip")})
    assert response.status_code == 201, response.text


def drag(page, start, end) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=4)
    page.mouse.move(*end, steps=4)
    page.mouse.up()


def test_a_contributor_draws_moves_and_deletes_boxes(sign_in, new_user, api_as, ops):
    project = ops.ok("POST", "/projects", json={
        "name": "E2E boxes", "purpose": "Box the cars", "guidelines": "# Boxes\n\nBox every car.", "overlap": 1,
        "interface": INTERFACE, "quality": {"benchmark": {"size": 1, "pass_threshold": 0.5},
                    "linters": [{"type": "boxes_smaller_than", "field": "boxes", "px": 2, "severity": "warning"}]}})
    pid = project["id"]
    import_with_images(ops, pid, [{"data": {"image": "media:gold.png"}, "gold": GOLD}], {"gold.png": picture("grey")},
                       "gold")
    import_with_images(ops, pid, [{"image": "media:street.png"}], {"street.png": picture((40, 120, 200))}, "work")
    ops.ok("POST", f"/projects/{pid}/launch")
    person = new_user("contributor", project)
    api = api_as(person)
    lease = api.ok("POST", f"/projects/{pid}/next")["assignment"]  # the benchmark: the gold image
    assert lease["item"]["data"]["image"]["name"] == "gold.png"
    api.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": GOLD})

    page = sign_in(person)
    page.goto(f"/projects/{pid}/work")
    task = page.locator("#task")
    image = task.locator("img[data-image='photo']")
    expect(image).to_have_attribute("alt", "A street")
    expect(task.locator(".a9s-annotationlayer")).to_have_count(1)  # Annotorious is on the image
    field = task.locator("fieldset[data-field='boxes']")
    rows = field.locator("[data-shape-list] li")
    box = image.bounding_box()
    scale = box["width"] / WIDTH
    assert scale > 2  # fit to the width: drawn in screen pixels, stored in the image's

    def at(x, y):
        return box["x"] + x * scale, box["y"] + y * scale

    # 1. two boxes by mouse: a car, then (after pressing 2) a person
    drag(page, at(10, 10), at(60, 40))
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("car (10, 10) 50×30 px")
    page.mouse.click(*at(190, 95))  # deselect
    field.get_by_role("radio", name="person 2").click()
    drag(page, at(100, 20), at(130, 80))
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("person (100, 20) 30×60 px")

    # 2. move the car by dragging it 20 px right, then 2 px down with the keyboard
    page.mouse.click(*at(190, 95))
    page.mouse.click(*at(35, 25))  # select it: handles to resize, none to rotate (boxes stay axis-aligned)
    expect(task.locator(".a9s-corner-handle-topleft")).to_have_count(1)
    expect(task.locator(".a9s-rotation-handle")).to_be_hidden()
    drag(page, at(35, 25), at(55, 25))
    expect(rows.nth(0)).to_contain_text("car (30, 10) 50×30 px")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(rows.nth(0)).to_contain_text("car (30, 12) 50×30 px")
    page.keyboard.press("Shift+ArrowRight")  # one pixel wider
    expect(rows.nth(0)).to_contain_text("car (30, 12) 51×30 px")

    # 3. delete the person (its list button), add one from the keyboard alone and delete it with Delete
    field.get_by_role("button", name="Delete box 2").click()
    expect(rows).to_have_count(1)
    task.locator("[data-image-frame]").focus()
    page.keyboard.press("n")
    expect(rows).to_have_count(2)
    page.keyboard.press("Delete")
    expect(rows).to_have_count(1)

    # zoom in and back: the box stays where it is on the image
    page.keyboard.press("+")
    expect(task.locator("[data-zoom-level]")).to_have_text("150%")
    page.keyboard.press("0")
    expect(task.locator("[data-zoom-level]")).to_have_text("100%")

    task.get_by_role("button", name="Submit").click()
    expect(task.locator("img[data-image='photo']")).to_have_count(0)  # the next task (none left) replaced it

    lines = [json.loads(line) for line in ops.http.get(f"/projects/{pid}/export",
                                                       params={"aggregate": "none"}).text.splitlines()]
    answers = [a["answer"] for line in lines if not line["gold"] for a in line["annotations"]]
    assert answers == [{"boxes": [{"label": "car", "x": 30, "y": 12, "w": 51, "h": 30}]}]


def test_a_contributor_outlines_a_polygon_and_adds_one_from_the_keyboard(sign_in, new_user, api_as, ops):
    interface = [INTERFACE[0], {"name": "outline", "type": "polygon", "target": "photo", "labels": ["lake", "field"]}]
    gold = {"outline": [{"label": "lake", "points": [[10, 10], [60, 10], [35, 50]]}]}
    project = ops.ok("POST", "/projects", json={
        "name": "E2E polygons", "purpose": "Outline the lakes", "guidelines": "# Outlines", "overlap": 1,
        "interface": interface, "quality": {"benchmark": {"size": 1, "pass_threshold": 0.5},
                                            "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]}})
    pid = project["id"]
    import_with_images(ops, pid, [{"data": {"image": "media:g.png"}, "gold": gold}], {"g.png": picture("white")}, "gold")
    import_with_images(ops, pid, [{"image": "media:map.png"}], {"map.png": picture((20, 160, 60))}, "work")
    ops.ok("POST", f"/projects/{pid}/launch")
    person = new_user("contributor", project)
    api = api_as(person)
    lease = api.ok("POST", f"/projects/{pid}/next")["assignment"]
    api.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": gold})

    page = sign_in(person)
    page.goto(f"/projects/{pid}/work")
    task = page.locator("#task")
    image = task.locator("img[data-image='photo']")
    expect(task.locator(".a9s-annotationlayer")).to_have_count(1)
    rows = task.locator("fieldset[data-field='outline'] [data-shape-list] li")
    box = image.bounding_box()
    scale = box["width"] / WIDTH

    def at(x, y):
        return box["x"] + x * scale, box["y"] + y * scale

    # a triangle by clicks, closed on its first point
    for point in ((20, 20), (80, 20), (50, 70)):
        page.mouse.click(*at(*point))
        page.wait_for_timeout(100)
    page.mouse.click(*at(20, 20))
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("lake 3 points from (20, 20)")

    # a square from the keyboard: 2 (field), n, then 5 px left with Ctrl and 1 up
    page.mouse.click(*at(190, 95))
    task.locator("[data-image-frame]").focus()
    page.keyboard.press("2")
    page.keyboard.press("n")
    expect(rows).to_have_count(2)
    page.keyboard.press("Control+ArrowLeft")
    page.keyboard.press("ArrowUp")
    task.get_by_role("button", name="Submit").click()
    expect(task.locator("img[data-image='photo']")).to_have_count(0)

    lines = [json.loads(line) for line in ops.http.get(f"/projects/{pid}/export",
                                                       params={"aggregate": "none"}).text.splitlines()]
    (answer,) = [a["answer"] for line in lines if not line["gold"] for a in line["annotations"]]
    outlines = {shape["label"]: shape["points"] for shape in answer["outline"]}
    assert outlines["lake"] == [[20, 20], [80, 20], [50, 70]]
    # the square: a fifth of the image's short side (20 px), centred in the visible image, then moved
    (x0, y0), side = outlines["field"][0], 20
    assert outlines["field"] == [[x0, y0], [x0 + side, y0], [x0 + side, y0 + side], [x0, y0 + side]]
    assert (x0, y0) == (WIDTH / 2 - side / 2 - 10, HEIGHT / 2 - side / 2 - 1)


def test_a_reviewer_moves_a_box_and_approves_the_edit(sign_in, new_user, api_as, ops):
    project = ops.ok("POST", "/projects", json={
        "name": "E2E box review", "purpose": "Box the cars", "guidelines": "# Boxes", "overlap": 1,
        "interface": INTERFACE, "review": {"stages": [{"name": "Check", "level": 1, "share": 1.0}]},
        "quality": {"benchmark": {"size": 1, "pass_threshold": 0.5},
                    "linters": [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]}})
    pid = project["id"]
    import_with_images(ops, pid, [{"data": {"image": "media:g.png"}, "gold": GOLD}], {"g.png": picture("black")}, "gold")
    import_with_images(ops, pid, [{"image": "media:cars.png"}], {"cars.png": picture((200, 30, 30))}, "work")
    ops.ok("POST", f"/projects/{pid}/launch")
    contributor = api_as(new_user("contributor", project))
    for answer in (GOLD, {"boxes": [{"label": "car", "x": 40, "y": 20, "w": 30, "h": 20}]}):
        lease = contributor.ok("POST", f"/projects/{pid}/next")["assignment"]
        contributor.ok("POST", f"/assignments/{lease['id']}/submit", json={"answer": answer})
    reviewer = new_user("reviewer", project)
    task = api_as(reviewer).ok("POST", f"/projects/{pid}/reviews/next")["review"]

    page = sign_in(reviewer)
    page.goto(f"/projects/{pid}/review/{task['id']}")
    field = page.locator("fieldset[data-field='boxes']")
    rows = field.locator("[data-shape-list] li")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("car (40, 20) 30×20 px")
    field.get_by_role("button", name="Select box 1").click()
    page.keyboard.press("Control+ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    expect(rows.nth(0)).to_contain_text("car (50, 20) 30×21 px")
    page.get_by_role("button", name="Save edits & approve").click()
    page.wait_for_load_state("networkidle")

    lines = [json.loads(line) for line in ops.http.get(f"/projects/{pid}/export",
                                                       params={"aggregate": "none"}).text.splitlines()]
    (reviewed,) = [a for line in lines if not line["gold"] for a in line["annotations"]]
    assert reviewed["answer"]["boxes"] == [{"label": "car", "x": 40, "y": 20, "w": 30, "h": 20}]
    assert reviewed["reviewed_answer"]["boxes"] == [{"label": "car", "x": 50, "y": 20, "w": 30, "h": 21}]
