"""Benchmark retries and recalibration rounds when the gold items run short: never a 500."""

from __future__ import annotations

from tests.integration.conftest import SENTIMENT_INTERFACE

LINTERS = [{"type": "too_fast", "seconds": 0.001, "severity": "warning"}]


async def project_with_gold(ops, *, gold: int, benchmark: dict, gold_settings: dict | None = None) -> int:
    project = await ops.ok("POST", "/projects", json={
        "name": "Short of gold", "purpose": "Prove retries with few gold items", "guidelines": "# Sentiment",
        "interface": SENTIMENT_INTERFACE,
        "quality": {"benchmark": benchmark, "gold": gold_settings or {}, "linters": LINTERS}})
    pid = project["id"]
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "work"}, json=[{"text": "work 0"}])
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"},
                 json=[{"data": {"text": f"gold {i}"}, "gold": {"sentiment": "pos"}, "explanation": "positive"}
                       for i in range(gold)])
    await ops.ok("POST", f"/projects/{pid}/launch")
    return pid


async def answer(api, pid: int, sentiment: str) -> dict:
    lease = await api.ok("POST", f"/projects/{pid}/next", status=200)
    await api.ok("POST", f"/assignments/{lease['assignment']['id']}/submit", json={"answer": {"sentiment": sentiment}})
    return lease["assignment"]


RETRY_AT_ONCE = {"size": 1, "pass_threshold": 1.0, "retry": "cooldown", "cooldown_hours": 0}


async def test_a_benchmark_retry_without_unseen_gold_is_refused_with_a_reason_never_a_500(ops, quick_user):
    pid = await project_with_gold(ops, gold=1, benchmark=RETRY_AT_ONCE)
    _, carol = await quick_user("contributor", pid, qualified=False)
    await answer(carol, pid, "neg")  # the only gold item, failed

    for _ in range(2):  # asked again and again: the same clear answer
        refused = await carol.post(f"/projects/{pid}/next")
        assert refused.status_code == 409, refused.text
        assert refused.json()["reason"] == "not_enough_gold"
        assert "benchmark" in refused.json()["error"]

    stats = await ops.ok("GET", f"/projects/{pid}/stats")
    assert ("1 contributor waiting for a benchmark retry: not enough unseen gold items (import more gold items, "
            "or allow reusing gold items they have seen)") in stats["blockers"]

    # Ops import a fresh gold item: the blocker goes at once, and the retry is served with it.
    await ops.ok("POST", f"/projects/{pid}/items", params={"batch": "gold"},
                 json=[{"data": {"text": "gold fresh"}, "gold": {"sentiment": "pos"}}])
    assert not [b for b in (await ops.ok("GET", f"/projects/{pid}/stats"))["blockers"] if "gold" in b]
    retry = await answer(carol, pid, "pos")
    assert retry["item"]["data"]["text"] == "gold fresh"
    assert (await carol.ok("GET", f"/me/projects/{pid}/standing"))["state"] == "qualified"


async def test_the_workspace_tells_the_contributor_why_there_is_no_task(ops, quick_user, browser_for):
    pid = await project_with_gold(ops, gold=1, benchmark=RETRY_AT_ONCE)
    person, carol = await quick_user("contributor", pid, qualified=False)
    await answer(carol, pid, "neg")
    browser = await browser_for(person["email"])
    fragment = await browser.post(f"/projects/{pid}/work/next", htmx=True)
    assert fragment.status_code == 200
    assert "not enough new tasks for your benchmark retry yet" in fragment.text


async def test_with_reuse_allowed_a_retry_gets_a_gold_item_it_answered_before(ops, quick_user):
    pid = await project_with_gold(ops, gold=1, benchmark=RETRY_AT_ONCE | {"reuse_seen_gold": True})
    _, dora = await quick_user("contributor", pid, qualified=False)
    first = await answer(dora, pid, "neg")
    again = await answer(dora, pid, "pos")  # the same item, a new attempt
    assert again["item"]["id"] == first["item"]["id"] and again["id"] != first["id"]
    assert (await dora.ok("GET", f"/me/projects/{pid}/standing"))["state"] == "qualified"
    assert (await dora.ok("POST", f"/projects/{pid}/next"))["assignment"]["item"]["data"]["text"] == "work 0"


RECALIBRATE_AT_ONCE = {"rate": 1.0, "min_rate": 1.0, "window": 1, "min_answers": 1, "recalibrate_below": 0.75,
                       "remove_below": 0.0, "recalibration_size": 1, "recalibration_pass": 1.0}


async def test_a_recalibration_set_without_unseen_gold_waits_until_reuse_is_allowed(ops, quick_user):
    pid = await project_with_gold(ops, gold=2, benchmark={"size": 1, "pass_threshold": 1.0},
                                  gold_settings=RECALIBRATE_AT_ONCE)
    _, eve = await quick_user("contributor", pid, qualified=False)
    await answer(eve, pid, "pos")   # the benchmark, passed
    await answer(eve, pid, "neg")   # the other gold item as a check, wrong: recalibration, with no gold left unseen
    refused = await eve.post(f"/projects/{pid}/next")
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "not_enough_gold" and refused.json()["stage"] == "recalibration"
    stats = await ops.ok("GET", f"/projects/{pid}/stats")
    assert any(b.startswith("1 contributor waiting for a recalibration set: not enough unseen gold items")
               for b in stats["blockers"])

    await ops.ok("PATCH", f"/projects/{pid}", json={"quality": {"gold": {"recalibration_reuse_seen_gold": True}}})
    assert not [b for b in (await ops.ok("GET", f"/projects/{pid}/stats"))["blockers"] if "gold" in b]
    recalibration = await answer(eve, pid, "pos")
    assert recalibration["item"]["data"]["text"].startswith("gold")
    assert (await eve.ok("GET", f"/me/projects/{pid}/standing"))["state"] == "qualified"


async def test_ops_re_gating_someone_who_saw_every_gold_item_is_a_blocker_not_a_500(ops, quick_user):
    pid = await project_with_gold(ops, gold=1, benchmark={"size": 1, "pass_threshold": 1.0})
    person, fay = await quick_user("contributor", pid, qualified=False)
    await answer(fay, pid, "pos")
    await ops.ok("POST", f"/projects/{pid}/contributors/{person['id']}/standing",
                 json={"state": "pending_gate", "reason": "new guidelines, benchmark again"})
    refused = await fay.post(f"/projects/{pid}/next")
    assert refused.status_code == 409 and refused.json()["reason"] == "not_enough_gold"
    assert any("1 contributor waiting for a benchmark retry" in b
               for b in (await ops.ok("GET", f"/projects/{pid}/stats"))["blockers"])


async def test_the_reuse_policies_are_validated_like_every_quality_setting(ops, new_project):
    project = await new_project()
    refused = await ops.patch(f"/projects/{project['id']}", json={"quality": {
        "benchmark": {"reuse_seen_gold": "yes"}, "gold": {"recalibration_reuse_seen_gold": 1}}})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"quality.benchmark.reuse_seen_gold": "must be true or false",
                                        "quality.gold.recalibration_reuse_seen_gold": "must be true or false"}


async def test_ops_set_the_reuse_policies_on_the_quality_page(browser, new_project, ops):
    from tests.integration.test_quality_pages import editor_form

    project = await new_project()
    pid = project["id"]
    page = (await browser.get(f"/projects/{pid}/quality")).text
    assert 'name="benchmark-reuse_seen_gold"' in page and 'name="gold-recalibration_reuse_seen_gold"' in page
    saved = await browser.post(f"/projects/{pid}/quality", editor_form() + [("benchmark-reuse_seen_gold", "on")])
    assert saved.status_code == 303, saved.text
    quality = (await ops.ok("GET", f"/projects/{pid}"))["quality"]
    assert quality["benchmark"]["reuse_seen_gold"] is True
    assert quality["gold"]["recalibration_reuse_seen_gold"] is False
    assert 'name="benchmark-reuse_seen_gold" type="checkbox" value="on" checked' in (
        await browser.get(f"/projects/{pid}/quality")).text


async def test_many_contributors_failing_and_retrying_at_once_never_see_a_500(ops, quick_user):
    """The load case from the report: people failing the benchmark and asking again at the same time."""
    import asyncio

    pid = await project_with_gold(ops, gold=2, benchmark=RETRY_AT_ONCE | {"reuse_seen_gold": True})
    people = [api for _, api in [await quick_user("contributor", pid, qualified=False) for _ in range(8)]]

    async def fail_then_retry(api) -> list[int]:
        statuses = []
        for _ in range(3):  # answer wrong three rounds running: the third reuses an item seen before
            lease = await api.post(f"/projects/{pid}/next")
            statuses.append(lease.status_code)
            if lease.status_code != 200:
                break
            done = await api.post(f"/assignments/{lease.json()['assignment']['id']}/submit",
                                  json={"answer": {"sentiment": "neg"}})
            statuses.append(done.status_code)
        return statuses

    results = await asyncio.gather(*(fail_then_retry(api) for api in people))
    assert all(status in (200, 201) for statuses in results for status in statuses), results
    assert all(len(statuses) == 6 for statuses in results)
