"""Rubric: a prompt-and-response (or anything shown) graded against ops-defined criteria.

Config::

    {"name": "quality", "type": "rubric", "tolerance": 0,
     "criteria": [{"id": "accuracy", "description": "Facts are right", "min": 1, "max": 5,
                   "anchors": {"1": "Wrong", "5": "Fully correct"}, "na_allowed": false,
                   "rationale_below": 3}],
     "overall": {"min": 1, "max": 5, "anchors": {...}}}      # optional; null for none

Answer::

    {"criteria": {"accuracy": {"score": 4, "na": false, "rationale": null}}, "overall": 4}

Every criterion is answered: a score, or ``na: true`` where the criterion allows N/A. Errors name
their place (``criteria.accuracy.score: must be a whole number from 1 to 5``). Agreement is per
criterion (``quality.accuracy``, interval level over the criterion's points), gold scoring per
criterion within ``tolerance`` (see ``score``).
"""

from __future__ import annotations

from typing import Any, Mapping

from components._checks import config_int
from components._criteria import criterion_id_schema
from components._scales import (Scale, check_overall, closeness, overall_closeness, overall_measure, overall_schema,
                                point_on, read_overall, scale_schema)
from components._scored_form import tagged_values
from components.base import AnswerError, Component, Measure
from components.rubric.criteria import MAX_TEXT, Criterion, read_criteria
from components.rubric.form import form_answer
from components.rubric.label import rubric_label
from components.rubric.lint import LINT_RULES

ENTRY_KEYS = ("score", "na", "rationale")
ANSWER_KEYS = ("criteria", "overall")


class Rubric(Component):
    type = "rubric"
    description = "Scores on ops-defined criteria (anchored scales, N/A, rationale), plus an optional overall score"
    level = "interval"
    coedit = "json"
    lint_rules = LINT_RULES

    def configure(self, config: Mapping[str, Any]) -> None:
        self.criteria: list[Criterion] = read_criteria(config.get("criteria"))
        self.by_id = {criterion.id: criterion for criterion in self.criteria}
        self.overall: Scale | None = read_overall(config.get("overall"))
        self.tolerance = config_int(config, "tolerance", default=0, minimum=0)

    def config(self) -> dict[str, Any]:
        return {"criteria": [criterion.to_config() for criterion in self.criteria],
                "overall": self.overall.to_config() if self.overall else None,
                "tolerance": self.tolerance}

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        schema = super().config_schema()
        criterion = {"type": "object", "additionalProperties": False, "required": ["id"],
                     "properties": {"id": criterion_id_schema(),
                                    "label": {"type": "string"}, "description": {"type": "string"},
                                    **scale_schema(), "na_allowed": {"type": "boolean"},
                                    "rationale_below": {"type": ["integer", "null"]}}}
        schema["properties"] |= {
            "required": {"type": "boolean"}, "tolerance": {"type": "integer", "minimum": 0},
            "criteria": {"type": "array", "minItems": 1, "items": criterion},
            "overall": overall_schema()}
        schema["required"] = [*schema["required"], "criteria"]
        return schema

    @classmethod
    def answer_schema(cls) -> dict[str, Any]:
        entry = {"type": "object", "additionalProperties": False,
                 "properties": {"score": {"type": ["integer", "null"]}, "na": {"type": "boolean"},
                                "rationale": {"type": ["string", "null"]}}}
        return {"type": "object", "additionalProperties": False, "required": ["criteria"],
                "properties": {"criteria": {"type": "object", "additionalProperties": entry},
                               "overall": {"type": ["integer", "null"]}}}

    # -- answers ------------------------------------------------------------
    def is_empty(self, value: Any) -> bool:
        return value is None or value == "" or value == {}

    def validate(self, value: Any) -> dict[str, Any]:
        """Every problem at once, each with its place, joined by "; " (a field has one message)."""
        if not isinstance(value, Mapping):
            raise AnswerError("must be an object {criteria: {id: {score, na, rationale}}, overall}")
        problems: list[str] = [f"{key}: unknown key (allowed: {', '.join(ANSWER_KEYS)})"
                               for key in value if key not in ANSWER_KEYS]
        given = value.get("criteria")
        clean: dict[str, Any] = {}
        if not isinstance(given, Mapping):
            problems.append("criteria: required, an object of criterion id: {score, na, rationale}"
                            if given is None else "criteria: must be an object of criterion id: {score, na, rationale}")
        else:
            problems += [f"criteria.{key}: not a criterion of this rubric" for key in given if key not in self.by_id]
            for criterion in self.criteria:
                entry, found = self._entry(criterion, given.get(criterion.id))
                problems += found
                clean[criterion.id] = entry
        answer: dict[str, Any] = {"criteria": clean}
        check_overall(value, self.overall, answer, problems, absent="this rubric has no overall score")
        if problems:
            raise AnswerError("; ".join(problems))
        return answer

    def _entry(self, criterion: Criterion, raw: Any) -> tuple[dict[str, Any], list[str]]:
        place = f"criteria.{criterion.id}"
        if raw is None:
            return {}, [f"{place}: required"]
        if not isinstance(raw, Mapping):
            return {}, [f"{place}: must be an object {{score, na, rationale}}"]
        problems = [f"{place}.{key}: unknown key (allowed: {', '.join(ENTRY_KEYS)})"
                    for key in raw if key not in ENTRY_KEYS]
        na = raw.get("na", False)
        if na is None:
            na = False
        if not isinstance(na, bool):
            problems.append(f"{place}.na: must be true or false")
            na = False
        elif na and not criterion.na_allowed:
            problems.append(f"{place}.na: N/A is not allowed for this criterion")
        rationale = raw.get("rationale")
        if rationale is not None and not isinstance(rationale, str):
            problems.append(f"{place}.rationale: must be a text")
            rationale = None
        rationale = rationale.strip() if rationale else None
        if rationale and len(rationale) > MAX_TEXT:
            problems.append(f"{place}.rationale: at most {MAX_TEXT} characters")
        score = raw.get("score")
        if na:
            if score is not None:
                problems.append(f"{place}.score: must be empty when N/A")
            score = None
        elif score is None:
            problems.append(f"{place}.score: required" + (" (or N/A)" if criterion.na_allowed else ""))
        else:
            try:
                score = point_on(score, criterion.scale)
            except AnswerError as exc:
                problems.append(f"{place}.score: {exc}")
                score = None
            if (score is not None and criterion.rationale_below is not None
                    and score < criterion.rationale_below and not rationale):
                problems.append(f"{place}.rationale: required below {criterion.rationale_below}")
        return {"score": score, "na": na, "rationale": rationale or None}, problems

    def form_values(self, form: Mapping[str, list[str]]) -> list[str]:
        return tagged_values(self.form_name, form)

    def parse_form(self, values: list[str]) -> Any:
        return form_answer(values, self)

    # -- gold ---------------------------------------------------------------
    def score(self, answer: Any, gold: Any) -> float:
        """The mean closeness over what the gold gives: per criterion full credit within
        ``tolerance``, then falling linearly to 0 across the scale (``_scales.closeness``);
        N/A must match N/A (1 or 0). The overall score counts as one more criterion when the
        gold gives it."""
        if not isinstance(gold, Mapping):
            return 1.0
        mine = _criteria(answer)
        terms: list[float] = []
        for criterion_id, expected in (_criteria(gold)).items():
            criterion = self.by_id.get(criterion_id)
            if criterion is None or not isinstance(expected, Mapping):
                continue
            given = mine.get(criterion_id) if isinstance(mine.get(criterion_id), Mapping) else {}
            if expected.get("na") or given.get("na"):
                terms.append(1.0 if bool(expected.get("na")) == bool(given.get("na")) else 0.0)
            elif expected.get("score") is not None:
                terms.append(closeness(given.get("score"), expected["score"], self.tolerance, criterion.scale))
        terms += overall_closeness(answer, gold, self.tolerance, self.overall)
        return sum(terms) / len(terms) if terms else 1.0

    def missed(self, answer: Any, gold: Any) -> list[str]:
        """The criteria where the answer was outside the tolerance of the gold (for feedback)."""
        mine = _criteria(answer)
        missed = []
        for criterion_id, expected in _criteria(gold).items():
            criterion = self.by_id.get(criterion_id)
            if criterion is None or not isinstance(expected, Mapping):
                continue
            if self.score({"criteria": {criterion_id: mine.get(criterion_id)}},
                          {"criteria": {criterion_id: expected}}) < 1.0:
                missed.append(criterion.label)
        return missed

    # -- agreement ----------------------------------------------------------
    def categories(self) -> list[Any] | None:
        return None

    def measures(self) -> list[Measure]:
        """One per criterion (``<field>.<criterion id>``, the score; N/A is no answer) at interval
        level over the criterion's points, and ``<field>.overall`` when there is one."""
        found = [Measure(f"{self.name}.{criterion.id}", "interval", criterion.scale.points,
                         extract=_score_of(criterion.id), field=self.name)
                 for criterion in self.criteria]
        if self.overall is not None:
            found.append(overall_measure(self.name, self.overall))
        return found

    def export(self, value: Any) -> Any:
        return value

    def export_label(self, values: list[Any]) -> tuple[dict[str, Any], float] | None:
        """Per criterion and overall: mean, median, N/A and agreement (``components/rubric/label.py``)."""
        return rubric_label([criterion.id for criterion in self.criteria], self.overall is not None,
                            self.tolerance, values)


def _criteria(answer: Any) -> Mapping[str, Any]:
    criteria = answer.get("criteria") if isinstance(answer, Mapping) else None
    return criteria if isinstance(criteria, Mapping) else {}


def _score_of(criterion_id: str):
    def extract(value: Any) -> int | None:
        entry = _criteria(value).get(criterion_id)
        if not isinstance(entry, Mapping) or entry.get("na"):
            return None
        score = entry.get("score")
        return score if isinstance(score, int) and not isinstance(score, bool) else None
    return extract


COMPONENT = Rubric
