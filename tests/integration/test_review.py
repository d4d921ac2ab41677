"""The review pipeline through the public API: approve, edit, reject → fix → resubmit, routes,
levels, sampling, audits and the numbers ops see."""

from __future__ import annotations

import pytest

ONE_STAGE = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"}],
             "tags": ["wrong label", "missing rationale"]}
TWO_STAGES = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"},
                         {"name": "Audit", "level": 2, "share": 1.0, "on_reject": "same_contributor"}],
              "tags": ["wrong label"]}


async def answer(api, project_id: int, value: str = "pos", rationale: str | None = None) -> dict:
    lease = await api.ok("POST", f"/projects/{project_id}/next", status=200)
    body = {"answer": {"sentiment": value} | ({"rationale": rationale} if rationale else {})}
    return (await api.ok("POST", f"/assignments/{lease['assignment']['id']}/submit", status=201, json=body))["annotation"]


async def reviewed_project(new_project, new_user, review=ONE_STAGE, items=2):
    project = await new_project(items=items, launch=True, review=review)
    contributor, alice = await new_user("contributor", project["id"])
    _, reviewer = await new_user("reviewer", project["id"])
    return project, alice, contributor, reviewer


async def test_approve_finishes_the_answer_and_shows_the_reviewer_what_they_need(new_project, new_user, ops):
    project, alice, contributor, reviewer = await reviewed_project(new_project, new_user)
    given = await answer(alice, project["id"], "neg", "too dark")

    review = (await reviewer.ok("POST", f"/projects/{project['id']}/reviews/next", status=200))["review"]
    assert review["item"]["data"] == {"text": "item 0"}
    assert review["answer"] == {"sentiment": "neg", "rationale": "too dark"}
    assert review["stage"] == {"index": 1, "name": "Check", "level": 1}
    assert review["guideline_version"] == 1
    assert review["contributor"]["pseudonym"].startswith("Contributor ")
    assert contributor["email"] not in str(review) and contributor["name"] not in str(review)
    assert review["error_tags"] == ["wrong label", "missing rationale"]
    # Asking again returns the same lease, never a second task.
    again = (await reviewer.ok("POST", f"/projects/{project['id']}/reviews/next", status=200))["review"]
    assert again["id"] == review["id"]

    decided = (await reviewer.ok("POST", f"/reviews/{review['id']}/decide", json={"decision": "approve"}))["review"]
    assert decided["decision"] == "approve"
    assert (await reviewer.post(f"/projects/{project['id']}/reviews/next")).status_code == 204
    import json

    export = [json.loads(line) for line in (await ops.get(f"/projects/{project['id']}/export",
                                                         params={"format": "jsonl"})).text.splitlines()]
    exported = next(a for line in export for a in line["annotations"] if a["id"] == given["id"])
    assert exported["review_status"] == "approved"


async def test_edit_is_validated_and_its_diff_is_stored_and_sent_to_the_contributor(new_project, new_user):
    project, alice, contributor, reviewer = await reviewed_project(new_project, new_user)
    await answer(alice, project["id"], "neg")
    review = (await reviewer.ok("POST", f"/projects/{project['id']}/reviews/next"))["review"]

    bad = await reviewer.post(f"/reviews/{review['id']}/decide", json={"decision": "edit", "answer": {"sentiment": "meh"}})
    assert bad.status_code == 422 and "sentiment" in bad.json()["errors"]

    decided = (await reviewer.ok("POST", f"/reviews/{review['id']}/decide",
                                 json={"decision": "edit", "answer": {"sentiment": "pos"}, "comment": "It is upbeat."}))
    assert decided["review"]["diff"] == {"sentiment": {"from": "neg", "to": "pos"}}
    me = await alice.ok("GET", f"/me/projects/{project['id']}/standing")
    feedback = me["feedback"][0]
    assert feedback["kind"] == "review" and feedback["payload"]["diff"] == {"sentiment": {"from": "neg", "to": "pos"}}
    assert feedback["payload"]["comment"] == "It is upbeat."


async def test_reject_needs_a_comment_and_known_tags_then_the_fix_goes_back_to_review_with_history(
        new_project, new_user):
    project, alice, contributor, reviewer = await reviewed_project(new_project, new_user)
    await answer(alice, project["id"], "neg")
    review = (await reviewer.ok("POST", f"/projects/{project['id']}/reviews/next"))["review"]

    missing = await reviewer.post(f"/reviews/{review['id']}/decide", json={"decision": "reject"})
    assert missing.status_code == 422 and "comment" in missing.json()["errors"]
    unknown = await reviewer.post(f"/reviews/{review['id']}/decide",
                                  json={"decision": "reject", "comment": "no", "tags": ["typo"]})
    assert unknown.status_code == 422 and "typo" in unknown.json()["errors"]["tags"]
    await reviewer.ok("POST", f"/reviews/{review['id']}/decide",
                      json={"decision": "reject", "comment": "Read the **ending** again.", "tags": ["wrong label"]})

    # The contributor's inbox says why, and the rejected task waits for them before anything new.
    me = await alice.ok("GET", f"/me/projects/{project['id']}/standing")
    assert me["feedback"][0]["title"] == "A reviewer returned your answer"
    assert me["feedback"][0]["payload"]["tags"] == ["wrong label"]
    fix = (await alice.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
    assert fix["item"]["data"] == {"text": "item 0"}
    assert fix["returned"]["comment"] == "Read the **ending** again."
    assert fix["returned"]["answer"] == {"sentiment": "neg", "rationale": None}
    await alice.ok("POST", f"/assignments/{fix['id']}/submit", json={"answer": {"sentiment": "pos"}}, status=201)

    again = (await reviewer.ok("POST", f"/projects/{project['id']}/reviews/next", status=200))["review"]
    assert again["answer"] == {"sentiment": "pos", "rationale": None}
    assert again["revises_id"] is not None
    assert [h["decision"] for h in again["history"]] == ["reject"]
    await reviewer.ok("POST", f"/reviews/{again['id']}/decide", json={"decision": "approve"})
    metrics = await (await new_user("ops"))[1].ok("GET", f"/projects/{project['id']}/review/metrics")
    row = next(r for r in metrics["contributors"] if r["user_id"] == contributor["id"])
    assert row["accepted"] == 1 and row["rejected"] == 1 and row["acceptance_rate"] == 0.5
    assert row["rejections_by_tag"] == {"wrong label": 1}
    own = (await alice.ok("GET", f"/me/projects/{project['id']}/standing"))["review"]  # and the contributor sees it
    assert own == {"accepted": 1, "rejected": 1, "acceptance_rate": 0.5, "rejections_by_tag": {"wrong label": 1}}


async def test_a_rejection_routed_to_anyone_reopens_the_item_for_another_contributor(new_project, new_user):
    review = {"stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "any_contributor"}], "tags": []}
    project, alice, _, reviewer = await reviewed_project(new_project, new_user, review=review, items=1)
    await answer(alice, project["id"], "neg")
    task = (await reviewer.ok("POST", f"/projects/{project['id']}/reviews/next"))["review"]
    await reviewer.ok("POST", f"/reviews/{task['id']}/decide", json={"decision": "reject", "comment": "wrong"})

    assert (await alice.post(f"/projects/{project['id']}/next")).status_code == 204  # never the same person twice
    _, bob = await new_user("contributor", project["id"])
    lease = (await bob.ok("POST", f"/projects/{project['id']}/next", status=200))["assignment"]
    assert lease["item"]["data"] == {"text": "item 0"}


async def test_levels_gate_stages_and_the_second_level_audits_the_first(new_project, new_user, ops):
    project = await new_project(items=2, launch=True, review=TWO_STAGES)
    _, alice = await new_user("contributor", project["id"])
    first_reviewer, level_one = await new_user("reviewer", project["id"])
    senior, _ = await new_user("reviewer", None)
    await ops.ok("POST", f"/projects/{project['id']}/members", json={"user_id": senior["id"], "role": "reviewer",
                                                                     "level": 2})
    token = (await ops.ok("POST", "/auth/token", json={"email": senior["email"], "password": "quiet-lantern-42"}))["token"]
    from tests.integration.conftest import Api

    async with Api(ops.base_url, token) as level_two:
        await answer(alice, project["id"], "pos")
        await answer(alice, project["id"], "neg")
        for _ in range(2):
            task = (await level_one.ok("POST", f"/projects/{project['id']}/reviews/next"))["review"]
            await level_one.ok("POST", f"/reviews/{task['id']}/decide", json={"decision": "approve"})
        # Level 1 cannot work the audit stage; it can't audit its own decisions either.
        assert (await level_one.post(f"/projects/{project['id']}/reviews/next")).status_code == 204
        upheld = (await level_two.ok("POST", f"/projects/{project['id']}/reviews/next"))["review"]
        assert upheld["stage"]["name"] == "Audit"
        assert [h["decision"] for h in upheld["history"]] == ["approve"]
        await level_two.ok("POST", f"/reviews/{upheld['id']}/decide", json={"decision": "approve"})
        overturned = (await level_two.ok("POST", f"/projects/{project['id']}/reviews/next"))["review"]
        await level_two.ok("POST", f"/reviews/{overturned['id']}/decide",
                           json={"decision": "edit", "answer": {"sentiment": "neu"}})

    metrics = await ops.ok("GET", f"/projects/{project['id']}/review/metrics")
    row = next(r for r in metrics["reviewers"] if r["user_id"] == first_reviewer["id"])
    assert row["decisions"] == 2 and row["audited"] == 2 and row["agreement_with_next_stage"] == 0.5
    assert [(s["name"], s["queued"]) for s in metrics["backlog"]] == [("Check", 0), ("Audit", 0)]


async def test_spot_audit_samples_its_share_within_tolerance(new_project, new_user, ops):
    """A 30% stage over 200 answers: the count is Binomial(200, 0.3), mean 60, sd 6.5; 60 ± 26 is 4 sd."""
    review = {"stages": [{"name": "Spot audit", "level": 1, "share": 0.3, "on_reject": "same_contributor"}], "tags": []}
    project = await new_project(items=200, launch=True, review=review)
    _, alice = await new_user("contributor", project["id"])
    for _ in range(200):
        await answer(alice, project["id"])
    metrics = await ops.ok("GET", f"/projects/{project['id']}/review/metrics")
    sampled = metrics["backlog"][0]["queued"]
    assert 34 <= sampled <= 86, sampled


async def test_pipeline_changes_are_events_and_answers_in_flight_keep_their_route(new_project, new_user, ops, db):
    project, alice, _, reviewer = await reviewed_project(new_project, new_user)
    await answer(alice, project["id"])
    await ops.ok("PATCH", f"/projects/{project['id']}", json={"review": TWO_STAGES})
    from sqlalchemy import select

    from app.events.models import Event

    async with db.transaction() as session:
        changes = list((await session.execute(select(Event.payload).where(
            Event.project_id == project["id"], Event.action == "review.updated"))).scalars())
    assert [len(c["after"]["stages"]) for c in changes] == [2]

    task = (await reviewer.ok("POST", f"/projects/{project['id']}/reviews/next"))["review"]
    await reviewer.ok("POST", f"/reviews/{task['id']}/decide", json={"decision": "approve"})
    metrics = await ops.ok("GET", f"/projects/{project['id']}/review/metrics")
    # The answer came in under one stage: approving it there finishes it, nothing waits at "Audit".
    assert [(s["name"], s["queued"]) for s in metrics["backlog"]] == [("Check", 0), ("Audit", 0)]


@pytest.mark.parametrize("review, field", [
    ({"stages": [{"share": 0}]}, "review.stages[0].share"),
    ({"stages": [{"on_reject": "bin"}]}, "review.stages[0].on_reject"),
    ({"stages": [{"level": 9}]}, "review.stages[0].level"),
    ({"tags": ["a", "a"]}, "review.tags[1]"),
])
async def test_a_bad_pipeline_is_refused_at_the_setting(ops, review, field):
    response = await ops.post("/projects", json={"name": "P", "purpose": "x", "interface": [
        {"name": "sentiment", "type": "choice", "options": ["pos", "neg"]}], "review": review})
    assert response.status_code == 422 and field in response.json()["errors"]


async def test_only_the_holder_decides_and_contributors_cannot_review(new_project, new_user):
    project, alice, _, reviewer = await reviewed_project(new_project, new_user)
    await answer(alice, project["id"])
    task = (await reviewer.ok("POST", f"/projects/{project['id']}/reviews/next"))["review"]
    _, other = await new_user("reviewer", project["id"])
    assert (await other.post(f"/reviews/{task['id']}/decide", json={"decision": "approve"})).status_code == 403
    assert (await alice.post(f"/projects/{project['id']}/reviews/next")).status_code == 403
    assert (await alice.post(f"/reviews/{task['id']}/decide", json={"decision": "approve"})).status_code == 403


async def test_ops_set_the_stages_tags_and_routing_in_the_settings_page(ops, new_project, browser):
    project = await new_project()
    page = browser
    response = await page.post(f"/projects/{project['id']}/review/settings", {
        "stage-0-name": "Check", "stage-0-level": "1", "stage-0-share": "100", "stage-0-on_reject": "same_contributor",
        "stage-1-name": "Spot audit", "stage-1-level": "2", "stage-1-share": "20", "stage-1-on_reject": "escalate",
        "tags": "wrong label\nmissing rationale\n", "disagreement-action": "more_annotators",
        "disagreement-threshold": "60", "disagreement-max_overlap": "4"})
    assert response.status_code in (200, 303)
    saved = (await ops.ok("GET", f"/projects/{project['id']}"))["review"]
    assert saved["stages"][1] == {"name": "Spot audit", "level": 2, "share": 0.2, "on_reject": "escalate"}
    assert saved["tags"] == ["wrong label", "missing rationale"]
    assert saved["disagreement"] == {"action": "more_annotators", "threshold": 0.6, "max_overlap": 4}
    refused = await page.post(f"/projects/{project['id']}/review/settings", {
        "stage-0-name": "Check", "stage-0-level": "9", "stage-0-share": "100", "stage-0-on_reject": "same_contributor"})
    assert refused.status_code == 422 and "must be a whole number from 1 to 5" in refused.text
    assert 'value="Check"' in refused.text  # what was typed is kept
