"""The review pipeline as ops set it: ordered stages after annotation, the error tags, and
what happens when an item's annotators disagree.

Stored on the project as ``{"stages": [...], "tags": [...], "disagreement": {...}}``. Each answer
copies the stages as they are when it comes in (its route), so changing the
pipeline never reroutes answers already in flight.
"""

from __future__ import annotations

from typing import Any

from app.errors import Invalid

#: Where a rejected answer goes: back to its author to fix, to anyone qualified, or to a specialist.
ON_REJECT = ("same_contributor", "any_contributor", "escalate")
MAX_STAGES = 5
MAX_LEVEL = 5
MAX_TAGS = 50
NAME_LIMIT = 100
TAG_LIMIT = 60


#: What happens when an item's annotators agree less than ``threshold`` (share of agreeing pairs over
#: the categorical fields): nothing, ask more annotators (up to ``max_overlap``), or a specialist decides.
DISAGREEMENT_ACTIONS = ("off", "more_annotators", "adjudicate")
DISAGREEMENT_DEFAULT = {"action": "off", "threshold": 0.5, "max_overlap": 5}
MAX_OVERLAP = 20


def stored(review: dict[str, Any] | None) -> dict[str, Any]:
    """The project's saved pipeline, defaults where nothing was set."""
    review = review or {}
    return {"stages": list(review.get("stages") or []), "tags": list(review.get("tags") or []),
            "disagreement": DISAGREEMENT_DEFAULT | (review.get("disagreement") or {})}


def normalise(review: Any) -> dict[str, Any]:
    """Check a pipeline as ops sent it; 422 naming the exact setting that is wrong."""
    if review is None:
        return stored(None)
    if not isinstance(review, dict):
        raise Invalid({"review": "must be an object with stages and tags"})
    errors: dict[str, str] = {}
    unknown = set(review) - {"stages", "tags", "disagreement"}
    if unknown:
        errors["review"] = f"unknown settings: {', '.join(sorted(unknown))}"
    stages = review.get("stages") or []
    if not isinstance(stages, list) or len(stages) > MAX_STAGES:
        errors["review.stages"] = f"must be a list of at most {MAX_STAGES} stages"
        stages = []
    clean_stages = [_stage(stage, index, errors) for index, stage in enumerate(stages)]
    tags = review.get("tags") or []
    clean_tags: list[str] = []
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        errors["review.tags"] = f"must be a list of at most {MAX_TAGS} tags"
    else:
        for index, tag in enumerate(tags):
            if not isinstance(tag, str) or not tag.strip() or len(tag.strip()) > TAG_LIMIT:
                errors[f"review.tags[{index}]"] = f"must be text of 1 to {TAG_LIMIT} characters"
            elif tag.strip() in clean_tags:
                errors[f"review.tags[{index}]"] = f"{tag.strip()!r} is listed twice"
            else:
                clean_tags.append(tag.strip())
    disagreement = _disagreement(review.get("disagreement"), errors)
    if errors:
        raise Invalid(errors, message="the review pipeline is not valid")
    return {"stages": clean_stages, "tags": clean_tags, "disagreement": disagreement}


def _disagreement(raw: Any, errors: dict[str, str]) -> dict[str, Any]:
    if raw is None:
        return dict(DISAGREEMENT_DEFAULT)
    if not isinstance(raw, dict):
        errors["review.disagreement"] = "must be an object with action, threshold and max_overlap"
        return dict(DISAGREEMENT_DEFAULT)
    merged = DISAGREEMENT_DEFAULT | raw
    if set(raw) - set(DISAGREEMENT_DEFAULT):
        errors["review.disagreement"] = f"unknown settings: {', '.join(sorted(set(raw) - set(DISAGREEMENT_DEFAULT)))}"
    if merged["action"] not in DISAGREEMENT_ACTIONS:
        errors["review.disagreement.action"] = f"must be one of: {', '.join(DISAGREEMENT_ACTIONS)}"
    threshold = merged["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        errors["review.disagreement.threshold"] = "must be a fraction above 0 and at most 1"
    if type(merged["max_overlap"]) is not int or not 2 <= merged["max_overlap"] <= MAX_OVERLAP:
        errors["review.disagreement.max_overlap"] = f"must be a whole number from 2 to {MAX_OVERLAP}"
    return {"action": merged["action"], "threshold": float(threshold) if isinstance(threshold, (int, float)) else threshold,
            "max_overlap": merged["max_overlap"]}


def _stage(stage: Any, index: int, errors: dict[str, str]) -> dict[str, Any]:
    where = f"review.stages[{index}]"
    if not isinstance(stage, dict):
        errors[where] = "must be an object"
        return {}
    name = stage.get("name", f"Level {index + 1} review")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_LIMIT:
        errors[f"{where}.name"] = f"must be text of 1 to {NAME_LIMIT} characters"
        name = ""
    level = stage.get("level", index + 1)
    if type(level) is not int or not 1 <= level <= MAX_LEVEL:
        errors[f"{where}.level"] = f"must be a whole number from 1 to {MAX_LEVEL}"
    share = stage.get("share", 1.0)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        errors[f"{where}.share"] = "must be a fraction above 0 and at most 1 (1 = every answer)"
    on_reject = stage.get("on_reject", "same_contributor")
    if on_reject not in ON_REJECT:
        errors[f"{where}.on_reject"] = f"must be one of: {', '.join(ON_REJECT)}"
    unknown = set(stage) - {"name", "level", "share", "on_reject"}
    if unknown:
        errors[where] = f"unknown settings: {', '.join(sorted(unknown))}"
    return {"name": name.strip() if isinstance(name, str) else "", "level": level,
            "share": float(share) if isinstance(share, (int, float)) else share, "on_reject": on_reject}
