"""The JSONL export's aggregated labels for fields that aggregate their own answers: a rubric's
scores per criterion and overall, a claims field's verdicts per claim (``Component.export_label``),
from answers imported with the items, checked line by line."""

from __future__ import annotations

import json

from tests.integration.conftest import QUIET_QUALITY

RESPONSE = "The Eiffel Tower is in Berlin. It opened in 1889. It is made of iron."
INTERFACE = [
    {"name": "pair", "type": "prompt_response", "value": "$prompt", "response": "$response"},
    {"name": "quality", "type": "rubric", "tolerance": 0, "overall": {"min": 1, "max": 5},
     "criteria": [{"id": "accuracy", "min": 1, "max": 5}, {"id": "safety", "min": 1, "max": 5, "na_allowed": True}]},
    {"name": "facts", "type": "claims", "target": "pair"},
]


def where(part: str) -> dict:
    return {"start": RESPONSE.index(part), "end": RESPONSE.index(part) + len(part)}


BERLIN, OPENED, IRON = where("The Eiffel Tower is in Berlin."), where("It opened in 1889."), where("It is made of iron.")


def graded(accuracy: int, safety: int | None, overall: int) -> dict:
    return {"criteria": {"accuracy": {"score": accuracy},
                         "safety": {"score": safety} if safety is not None else {"na": True}}, "overall": overall}


def checked(*claims: tuple[dict, str, str | None]) -> dict:
    return {"claims": [place | {"verdict": verdict, "severity": severity} for place, verdict, severity in claims]}


def line(external_id: str, *answers: tuple[dict, dict]) -> dict:
    return {"external_id": external_id, "data": {"prompt": f"Where is it? ({external_id})", "response": RESPONSE},
            "annotations": [{"annotator": f"vendor-{n}", "answer": {"quality": quality, "facts": facts}}
                            for n, (quality, facts) in enumerate(answers)]}


async def export(ops, pid: int, **params) -> dict[str, dict]:
    response = await ops.get(f"/projects/{pid}/export", params={"format": "jsonl"} | params)
    assert response.status_code == 200, response.text
    return {item["external_id"]: item for item in map(json.loads, response.text.splitlines())}


async def test_rubric_scores_per_criterion_and_claim_verdicts_are_the_labels(ops):
    project = await ops.ok("POST", "/projects", json={
        "name": "Grading", "purpose": "Grade and fact-check", "guidelines": "# Grade", "overlap": 3,
        "interface": INTERFACE, "quality": QUIET_QUALITY})
    pid = project["id"]
    # "Berlin" contradicted by two of three (one marks it a word shorter: still the same claim at IoU
    # >= 0.5), "opened" supported by all three, "iron" marked by one only (not a claim of the label).
    berlin_short = {"start": BERLIN["start"], "end": BERLIN["end"] - 1}
    body = "\n".join(json.dumps(item) for item in [
        line("r1",
             (graded(2, 5, 2), checked((BERLIN, "contradicted", "major"), (OPENED, "supported", None))),
             (graded(1, None, 2), checked((berlin_short, "contradicted", "critical"), (OPENED, "supported", None))),
             (graded(4, None, 3), checked((BERLIN, "unverifiable", None), (OPENED, "supported", None),
                                          (IRON, "supported", "minor")))),
        line("r2", (graded(5, 5, 5), checked()), (graded(5, 4, 5), checked())),
    ]) + "\n"
    response = await ops.post(f"/projects/{pid}/items", content=body.encode(),
                              headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 201, response.text

    lines = await export(ops, pid)
    first = lines["r1"]
    assert first["aggregation"] == "majority"
    assert first["answer"]["quality"] == {
        "criteria": {"accuracy": {"score": 2.3333, "median": 2, "na": False, "answers": 3, "agreement": 0.3333},
                     "safety": {"score": None, "median": None, "na": True, "answers": 3, "agreement": 0.6667}},
        "overall": {"score": 2.3333, "median": 2, "answers": 3, "agreement": 0.6667}}
    assert first["confidence"]["quality"] == 0.3333  # the weakest part: accuracy
    assert first["answer"]["facts"] == {"claims": [
        BERLIN | {"text": "The Eiffel Tower is in Berlin.", "verdict": "contradicted", "severity": "critical",
                  "votes": {"contradicted": 2, "unverifiable": 1}, "answers": 3, "agreement": 0.6667},
        OPENED | {"text": "It opened in 1889.", "verdict": "supported", "severity": None,
                  "votes": {"supported": 3}, "answers": 3, "agreement": 1.0}]}
    assert first["confidence"]["facts"] == 0.6667
    # The raw answers are still there, as given.
    assert [a["answer"]["quality"]["criteria"]["accuracy"]["score"] for a in first["annotations"]] == [2, 1, 4]
    assert len(first["annotations"][2]["answer"]["facts"]["claims"]) == 3

    second = lines["r2"]
    assert second["answer"]["quality"]["criteria"]["accuracy"] == {"score": 5.0, "median": 5, "na": False,
                                                                  "answers": 2, "agreement": 1.0}
    assert second["answer"]["quality"]["criteria"]["safety"] == {"score": 4.5, "median": 4, "na": False,
                                                                "answers": 2, "agreement": 0.5}
    assert second["answer"]["facts"] == {"claims": []} and second["confidence"]["facts"] == 1.0

    # Dawid-Skene names the categorical fields' method; these fields aggregate themselves the same way.
    assert (await export(ops, pid, aggregate="dawid_skene"))["r1"]["answer"] == first["answer"]
    assert "answer" not in (await export(ops, pid, aggregate="none"))["r1"]
