"""The rubric's linter rule: ``rubric_rationale`` asks for a rationale wherever a criterion scores
at or below ``value`` (all criteria, or those listed in ``criteria``). Unlike a criterion's own
``rationale_below`` (part of the answer's shape, always an error), it is a quality rule: ops
choose its severity, and a warning lets the answer through, flagged.

    {"type": "rubric_rationale", "field": "quality", "value": 2, "criteria": ["accuracy"],
     "severity": "warning"}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from components._checks import config_int
from components.base import ConfigError, LintRule

if TYPE_CHECKING:
    from components.base import Component


def _check(params: Mapping[str, Any], component: "Component") -> dict[str, Any]:
    if params.get("value") is None:
        raise ConfigError("value is missing: the score at or below which a rationale is required")
    value = config_int(params, "value")
    out: dict[str, Any] = {"value": value}
    listed = params.get("criteria")
    if listed is not None:
        known = getattr(component, "by_id", {})
        if not isinstance(listed, list) or not listed:
            raise ConfigError("criteria must be a non-empty list of criterion ids")
        for criterion_id in listed:
            if criterion_id not in known:
                raise ConfigError(f"criteria: {criterion_id!r} is not a criterion of {component.name}")
        out["criteria"] = list(dict.fromkeys(listed))
    return out


def _run(params: Mapping[str, Any], component: "Component", value: Any, context: Any) -> str | None:
    """The first criterion (in the rubric's order) scored at or below ``value`` without a rationale."""
    given = value.get("criteria") if isinstance(value, Mapping) else None
    if not isinstance(given, Mapping):
        return None
    wanted = params.get("criteria")
    for criterion in component.criteria:  # type: ignore[attr-defined]
        if wanted is not None and criterion.id not in wanted:
            continue
        entry = given.get(criterion.id)
        if not isinstance(entry, Mapping) or entry.get("na"):
            continue
        score = entry.get("score")
        rationale = entry.get("rationale")
        if (isinstance(score, int) and score <= params["value"]
                and not (isinstance(rationale, str) and rationale.strip())):
            return f"criteria.{criterion.id}.rationale: give a rationale for a score of {params['value']} or below"
    return None


LINT_RULES = {
    "rubric_rationale": LintRule(
        params=frozenset({"value", "criteria"}), check=_check, run=_run,
        description="A rationale is required when a criterion scores at or below value (criteria: which ones)"),
}
