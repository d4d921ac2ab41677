"""Items whose data is any JSON the import accepts (nested objects and lists, unicode, nulls, big
numbers, long strings), answered and analysed, then every read route of the project: none may
answer 5xx, and no page may show the item's content unescaped.

Hypothesis draws the data; each example is a project of its own (imported, launched, answered, a
review queued, the agreement job run), read through the API and the pages by ops, a client, the
contributor holding a lease and the reviewer holding a review.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from app.items.parsing import WRAPPER_KEYS
from app.jobs.tasks import refresh_agreement
from tests.integration.conftest import GOLD_BATCH, QUIET_QUALITY, SENTIMENT_INTERFACE, join

SCRIPT = "<script>alert('inkwell')</script>"
"""Item content is untrusted HTML: this must never reach a page as markup."""
REVIEW = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}], "tags": []}

# JSON text is UTF-8 (no lone surrogates), and the import refuses NUL (PostgreSQL cannot store it): all else is fair.
text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
           | st.floats(allow_nan=False, allow_infinity=False) | text
           | st.sampled_from([SCRIPT, "x" * 5_000, "", "0", "true", "null", "ünïcødé ✓ 漢字 🙂"]))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12)
#: A plain data object: keys the import treats as special on a line (``data``, ``annotations``...) are another matter.
item_data = st.dictionaries(text.filter(lambda key: key not in WRAPPER_KEYS), json_values, min_size=1, max_size=5)
sentiments = st.sampled_from(["pos", "neg", "neu"])
rationales = st.none() | text | st.just(SCRIPT)


@st.composite
def projects(draw) -> list[dict]:
    """Import lines: two items with prior answers from two imported annotators, and three to lease."""
    lines = []
    for index in range(5):
        data = draw(item_data) | {"shown": SCRIPT, "nested": {"html": [SCRIPT]}}
        line: dict = {"data": data}
        if index < 2:
            line["annotations"] = [
                {"annotator": who, "answer": {"sentiment": draw(sentiments)}
                 | ({"rationale": r} if (r := draw(rationales)) else {})} for who in ("x", "y")]
        lines.append(line)
    return lines


@pytest.fixture
async def people(quick_user, browser_for):
    """A contributor, a reviewer and a client, signed in once; each example makes them members."""
    made = {}
    for role in ("contributor", "reviewer", "client"):
        user, api = await quick_user(role)
        made[role] = (user, api, await browser_for(user["email"]))
    return made


def as_numbers(text: str):
    """JSON with every number exact: PostgreSQL gives 1e+20 back as 100000000000000000000, the same JSON number."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def assert_escaped(name: str, html: str) -> None:
    assert SCRIPT not in html and "<script>alert(" not in html, f"{name} shows item content unescaped"


#: No shrinking: an example is a whole project's life (a second or so), and the failing one is printed anyway.
@hypothesis_settings(max_examples=15, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=projects())
async def test_every_read_route_survives_arbitrary_item_data(lines, ops, browser, people, db, settings, ws_url):
    project = await ops.ok("POST", "/projects", json={
        "name": "Arbitrary data", "purpose": "Any JSON", "guidelines": "# Label it", "overlap": 2,
        "interface": SENTIMENT_INTERFACE, "quality": QUIET_QUALITY, "review": REVIEW})
    pid = project["id"]
    imported = await ops.ok("POST", f"/projects/{pid}/items", json=lines)
    assert imported["annotations"] == 4
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": GOLD_BATCH},
                 json=[{"data": {"text": "gold check"}, "gold": {"sentiment": "pos"}}])
    await ops.ok("POST", f"/projects/{pid}/launch")
    for role, (user, _, _) in people.items():
        await join(ops, settings.database_url, pid, user["id"], role, True)
    _, contributor, contributor_page = people["contributor"]
    _, reviewer, reviewer_page = people["reviewer"]
    _, client, client_page = people["client"]

    answered = await contributor.ok("POST", f"/projects/{pid}/next", status=200)
    await contributor.ok("POST", f"/assignments/{answered['assignment']['id']}/submit", status=201,
                         json={"answer": {"sentiment": "neg", "rationale": SCRIPT}})
    held = await contributor.ok("POST", f"/projects/{pid}/next", status=200)
    review = (await reviewer.ok("POST", f"/projects/{pid}/reviews/next", status=200))["review"]
    await refresh_agreement(db)

    api_reads = [(ops, f"/projects/{pid}/stats"), (ops, f"/projects/{pid}/agreement"),
                 (ops, f"/projects/{pid}/aggregate?method=majority"),
                 (ops, f"/projects/{pid}/aggregate?method=dawid_skene"),
                 (ops, f"/projects/{pid}/guideline-gaps"), (client, f"/projects/{pid}/guideline-gaps"),
                 (ops, f"/projects/{pid}/export"), (ops, f"/items/{held['assignment']['item']['id']}/comments"),
                 (contributor, f"/items/{held['assignment']['item']['id']}/comments")]
    for api, path in api_reads:
        response = await api.get(path)
        assert response.status_code == 200, f"GET /api/v1{path} -> {response.status_code}: {response.text[:300]}"
    # Lines end at "\n" only: a JSON string may hold U+2028 and friends, which str.splitlines() would split at.
    export = [as_numbers(line) for line in (await ops.get(f"/projects/{pid}/export")).text.split("\n") if line]
    assert [line["data"] for line in export if line["data"] != {"text": "gold check"}] == [
        as_numbers(json.dumps(line["data"])) for line in lines]

    pages = [(browser, f"/projects/{pid}"), (browser, f"/projects/{pid}/board"),
             (browser, f"/projects/{pid}/agreement"), (browser, f"/projects/{pid}/guideline-gaps"),
             (client_page, f"/projects/{pid}/guideline-gaps"), (browser, f"/projects/{pid}/guideline-gaps.csv"),
             (browser, f"/projects/{pid}/export.jsonl"), (contributor_page, f"/projects/{pid}/work/"),
             (contributor_page, f"/items/{held['assignment']['item']['id']}/thread"),
             (reviewer_page, f"/projects/{pid}/review/"),
             (reviewer_page, f"/projects/{pid}/review/{review['id']}")]
    for page, path in pages:
        response = await page.get(path)
        assert response.status_code == 200, f"GET {path} -> {response.status_code}: {response.text[:300]}"
        if response.headers["content-type"].startswith("text/html"):
            assert_escaped(path, response.text)
    workspace = await contributor_page.get(f"/projects/{pid}/work/")
    assert f'/work/{held["assignment"]["id"]}/submit' in workspace.text  # the leased item is the one shown
    assert "&lt;script&gt;alert(" in workspace.text

    async with connect(ws_url(pid), additional_headers={"Authorization": f"Bearer {ops.token}"}) as socket:
        assert_escaped("the board socket's snapshot", await asyncio.wait_for(socket.recv(), 5))
