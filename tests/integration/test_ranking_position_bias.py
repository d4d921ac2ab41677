"""Position bias of a ranking field on the API: how often the candidate shown first is ranked top,
against 1 in N, reported by the guideline-gap report next to the pairwise left-win rate (JSON,
page and CSV)."""

from __future__ import annotations

from components.base import Interface
from tests.integration.conftest import QUIET_QUALITY, Browser

INTERFACE = [
    {"name": "responses", "type": "responses", "value": "$responses"},
    {"name": "rank", "type": "ranking", "target": "responses"},
    {"name": "pair", "type": "responses", "value": "$pair"},
    {"name": "pref", "type": "pairwise", "target": "pair"},
]
FORM = Interface.from_specs(INTERFACE)


def item(key: str) -> dict:
    return {"external_id": key, "data": {
        "responses": [{"id": f"r{n}", "content": f"{key} response {n}"} for n in (1, 2, 3)],
        "pair": [{"id": "m1", "content": f"{key} left or right"}, {"id": "m2", "content": f"{key} the other"}]}}


async def launched_project(ops) -> int:
    project = await ops.ok("POST", "/projects", json={
        "name": "Rankings", "purpose": "Order the responses", "guidelines": "# Best first",
        "overlap": 3, "interface": INTERFACE, "quality": QUIET_QUALITY})
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", status=201, json=[item(f"i{n}") for n in range(4)])
    gold = item("g") | {"gold": {"rank": [{"candidate": "r1", "rank": 1}, {"candidate": "r2", "rank": 2},
                                          {"candidate": "r3", "rank": 3}], "pref": {"preferred": "m1"}},
                        "explanation": "The first is the most complete."}
    await ops.ok("POST", f"/projects/{pid}/items", status=201, params={"batch": "gold"}, json=[gold])
    await ops.ok("POST", f"/projects/{pid}/launch")
    return pid


async def answer_by_position(api, pid: int, top: int, winner: str) -> list[str]:
    """Lease a task; rank the candidate shown at position ``top`` first (the rest in the order shown)
    and pick ``winner`` of the pair. Returns the order the ranking was shown in."""
    lease = await api.ok("POST", f"/projects/{pid}/next", status=200)
    assignment = lease["assignment"]
    shown = [c["id"] for c in FORM.parts_by_name["responses"].resolve(assignment["item"]["data"], assignment["id"])]
    order = [shown[top]] + [c for c in shown if c != shown[top]]
    ranking = [{"candidate": candidate, "rank": order.index(candidate) + 1} for candidate in reversed(shown)]
    await api.ok("POST", f"/assignments/{assignment['id']}/submit", status=201,
                 json={"answer": {"rank": ranking, "pref": {"winner": winner}}})
    return shown


async def test_the_gap_report_gives_how_often_the_first_shown_candidate_is_ranked_top(ops, quick_user):
    pid = await launched_project(ops)
    people = [(await quick_user("contributor", pid))[1] for _ in range(3)]
    # Twelve answers: 9 rank the candidate shown first top, 3 the one shown second;
    # the pairs: 6 left wins, 6 right.
    plans = [[(0, "A"), (0, "B"), (0, "A"), (1, "B")], [(0, "A"), (0, "B"), (1, "A"), (0, "B")],
             [(0, "A"), (1, "B"), (0, "A"), (0, "B")]]
    orders = set()
    for api, plan in zip(people, plans):
        for top, winner in plan:
            orders.add(tuple(await answer_by_position(api, pid, top, winner)))
    assert len(orders) > 1, "randomised per assignment (all alike: 1 in 6^11)"

    gaps = await ops.ok("GET", f"/projects/{pid}/guideline-gaps")
    rows = {row["field"]: row for row in gaps["position_bias"]}
    assert list(rows) == ["rank", "pref"]  # in interface order, the pair's figure next to the ranking's
    rank, pref = rows["rank"], rows["pref"]
    # The ranking: 9 of 12 against 1 in 3. Wilson 95% for 9/12 by hand: centre (0.75 + 3.8415/24) /
    # 1.3201 = 0.6894, half-width 1.96 * sqrt(0.1875/12 + 3.8415/576) / 1.3201 = 0.2217: 0.468..0.911,
    # which leaves out 1/3: biased.
    assert {k: rank[k] for k in ("decisive", "first_wins", "most_shown", "biased", "left_wins", "left_rate")} == {
        "decisive": 12, "first_wins": 9, "most_shown": 3, "biased": True, "left_wins": None, "left_rate": None}
    assert rank["first_rate"] == 0.75 and round(rank["chance_rate"], 4) == 0.3333
    assert round(rank["low"], 3) == 0.468 and round(rank["high"], 3) == 0.911
    # The pair keeps its figures (extended, not renamed): 6 of 12 on the left, within chance of 50%.
    assert {k: pref[k] for k in ("decisive", "left_wins", "right_wins", "left_rate", "biased", "first_wins",
                                 "chance_rate", "most_shown")} == {
        "decisive": 12, "left_wins": 6, "right_wins": 6, "left_rate": 0.5, "biased": False, "first_wins": 6,
        "chance_rate": 0.5, "most_shown": 2}
    assert gaps["summary"]["position_bias"] == (
        "Position bias: rank: the candidate shown first came top in 75% of 12 decisive answers (above 33% beyond "
        "chance); pref: the left response won 50% of 12 decisive answers (within chance of 50%).")

    lead, _ = await quick_user("ops")
    page = await Browser(ops.base_url).login(lead["email"], "quiet-lantern-42")
    try:
        html = (await page.http.get(f"/projects/{pid}/guideline-gaps")).text
        csv = (await page.http.get(f"/projects/{pid}/guideline-gaps.csv")).text
    finally:
        await page.aclose()
    table = html[html.index('id="gap-position-bias"'):]
    table = table[:table.index("</table>")]
    assert "<td>rank</td>" in table and "75.0%" in table and "46.8–91.1%" in table and "33.3%" in table
    assert "biased" in table and "<td>pref</td>" in table and "50.0%" in table and "within chance" in table
    assert "Position bias: how often the left response wins\n" \
           "field,decisive,left_wins,right_wins,left_rate,low,high,biased\npref,12,6,6,0.5," in csv
    assert "Position bias: how often the candidate shown first wins\n" \
           "field,decisive,first_wins,first_rate,chance_rate,low,high,biased,most_shown\n" \
           "rank,12,9,0.75,0.3333,0.4677,0.9111,True,3\n" in csv
