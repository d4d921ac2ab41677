"""Per-turn ratings on a conversation (a ``chat`` display part): each rated turn scored on the
configured criteria, with flags, plus an optional overall score.

Config::

    {"name": "turns", "type": "turn_ratings", "target": "conversation",
     "criteria": [{"id": "helpful", "min": 1, "max": 5, "anchors": {"1": "Useless", "5": "Ideal"}}],
     "flags": ["unsafe", "hallucination"], "roles": ["assistant"], "every_turn": true,
     "overall": {"min": 1, "max": 5}, "tolerance": 0}

Answer::

    {"turns": {"t2": {"ratings": {"helpful": 4}, "flags": ["hallucination"]}}, "overall": 4}

Turn ids are the chat part's (its ``id``, else ``t<position>``), checked against what the item
shows; with ``every_turn`` (default) every turn of a rated role is rated. Agreement is per item, so
each criterion is measured as the mean of its scores over the item's rated turns (interval level;
two annotators agree on an item as far as their turn-averaged scores do), each flag as whether any
turn carries it (nominal, false/true), and the overall score (interval over its points).
"""

from __future__ import annotations

from typing import Any, Mapping

from components._checks import config_bool, config_int
from components._criteria import criterion_id_schema
from components._options import Options
from components._scales import (Scale, check_overall, closeness, overall_closeness, overall_measure, overall_schema,
                                point_on, read_overall, scale_schema)
from components._scored_form import tagged_values
from components.base import AnswerContext, AnswerError, Component, Measure
from components.turn_ratings.config import TurnCriterion, read_roles, read_turn_criteria
from components.turn_ratings.form import form_answer

TURN_KEYS = ("ratings", "flags")
ANSWER_KEYS = ("turns", "overall")


class TurnRatings(Component):
    type = "turn_ratings"
    description = "Ratings and flags for each turn of a conversation (chat part), plus an optional overall score"
    level = "interval"
    targets = ("chat",)
    coedit = "json"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.criteria: list[TurnCriterion] = read_turn_criteria(config.get("criteria"))
        self.by_id = {criterion.id: criterion for criterion in self.criteria}
        raw_flags = config.get("flags")
        self.flags: Options | None = Options(raw_flags) if raw_flags not in (None, []) else None
        self.roles = read_roles(config.get("roles"))
        self.every_turn = config_bool(config, "every_turn", True)
        self.overall: Scale | None = read_overall(config.get("overall"))
        self.tolerance = config_int(config, "tolerance", default=0, minimum=0)

    def config(self) -> dict[str, Any]:
        return {"criteria": [criterion.to_config() for criterion in self.criteria],
                "flags": self.flags.to_config() if self.flags else [],
                "roles": list(self.roles), "every_turn": self.every_turn,
                "overall": self.overall.to_config() if self.overall else None, "tolerance": self.tolerance}

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        schema = super().config_schema()
        criterion = {"type": "object", "additionalProperties": False, "required": ["id"],
                     "properties": {"id": criterion_id_schema(),
                                    "label": {"type": "string"}, "description": {"type": "string"}, **scale_schema()}}
        option = {"oneOf": [{"type": "string"}, {"type": "object", "additionalProperties": False, "required": ["value"],
                                                 "properties": {"value": {"type": "string"}, "label": {"type": "string"}}}]}
        schema["properties"] |= {
            "required": {"type": "boolean"}, "target": {"type": "string"},
            "criteria": {"type": "array", "minItems": 1, "items": criterion},
            "flags": {"type": "array", "items": option},
            "roles": {"type": "array", "items": {"enum": ["system", "user", "assistant", "tool"]}},
            "every_turn": {"type": "boolean"}, "tolerance": {"type": "integer", "minimum": 0},
            "overall": overall_schema()}
        schema["required"] = [*schema["required"], "target", "criteria"]
        return schema

    @classmethod
    def answer_schema(cls) -> dict[str, Any]:
        turn = {"type": "object", "additionalProperties": False,
                "properties": {"ratings": {"type": "object", "additionalProperties": {"type": "integer"}},
                               "flags": {"type": "array", "items": {"type": "string"}}}}
        return {"type": "object", "additionalProperties": False, "required": ["turns"],
                "properties": {"turns": {"type": "object", "additionalProperties": turn},
                               "overall": {"type": ["integer", "null"]}}}

    def widget_config(self) -> dict[str, Any]:
        """What static/turn_ratings.js builds each turn's inputs from."""
        return {"criteria": [criterion.to_config() | {"label": criterion.label} for criterion in self.criteria],
                "flags": [{"value": option.value, "label": option.label} for option in self.flags or ()],
                "roles": list(self.roles)}

    def flag_values(self) -> list[str]:
        return [option.value for option in self.flags] if self.flags else []

    # -- answers ------------------------------------------------------------
    def is_empty(self, value: Any) -> bool:
        return value is None or value == "" or value == {}

    def validate(self, value: Any) -> dict[str, Any]:
        """Without the item: the shape only (turn ids unchecked)."""
        return self._validate(value, None)

    def validate_in(self, value: Any, context: AnswerContext) -> dict[str, Any]:
        shown = context.shown(self.target) if self.target else None
        turns = [(t["id"], t["role"]) for t in shown] if isinstance(shown, list) else []
        return self._validate(value, turns)

    def _validate(self, value: Any, turns: list[tuple[str, str]] | None) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise AnswerError("must be an object {turns: {turn id: {ratings, flags}}, overall}")
        problems = [f"{key}: unknown key (allowed: {', '.join(ANSWER_KEYS)})" for key in value if key not in ANSWER_KEYS]
        given = value.get("turns")
        clean: dict[str, Any] = {}
        if not isinstance(given, Mapping):
            problems.append("turns: required, an object of turn id: {ratings, flags}" if given is None
                            else "turns: must be an object of turn id: {ratings, flags}")
            given = {}
        roles = dict(turns) if turns is not None else None
        if roles is not None:
            for turn_id in given:
                if turn_id not in roles:
                    problems.append(f"turns.{turn_id}: not a turn of the conversation")
                elif roles[turn_id] not in self.roles:
                    problems.append(f"turns.{turn_id}: a {roles[turn_id]} turn is not rated "
                                    f"(rated: {', '.join(self.roles)})")
            order = [turn_id for turn_id, role in turns if role in self.roles]
            if self.every_turn:
                problems += [f"turns.{turn_id}: required" for turn_id in order if turn_id not in given]
        else:
            order = list(given)
        for turn_id in order:
            if turn_id in given:
                entry, found = self._turn(turn_id, given[turn_id])
                problems += found
                clean[turn_id] = entry
        answer: dict[str, Any] = {"turns": clean}
        check_overall(value, self.overall, answer, problems, absent="this field has no overall score")
        if problems:
            raise AnswerError("; ".join(problems))
        return answer

    def _turn(self, turn_id: str, raw: Any) -> tuple[dict[str, Any], list[str]]:
        place = f"turns.{turn_id}"
        if not isinstance(raw, Mapping):
            return {}, [f"{place}: must be an object {{ratings, flags}}"]
        problems = [f"{place}.{key}: unknown key (allowed: {', '.join(TURN_KEYS)})" for key in raw if key not in TURN_KEYS]
        ratings = raw.get("ratings")
        clean_ratings: dict[str, int] = {}
        if not isinstance(ratings, Mapping):
            problems.append(f"{place}.ratings: required" if ratings is None else f"{place}.ratings: must be an object")
            ratings = {}
        problems += [f"{place}.ratings.{key}: not a criterion" for key in ratings if key not in self.by_id]
        for criterion in self.criteria:
            score = ratings.get(criterion.id)
            if score is None:
                problems.append(f"{place}.ratings.{criterion.id}: required")
                continue
            try:
                clean_ratings[criterion.id] = point_on(score, criterion.scale)
            except AnswerError as exc:
                problems.append(f"{place}.ratings.{criterion.id}: {exc}")
        flags = raw.get("flags") or []
        chosen: list[str] = []
        if not isinstance(flags, list):
            problems.append(f"{place}.flags: must be a list")
        elif flags and self.flags is None:
            problems.append(f"{place}.flags: this field has no flags")
        else:
            for position, flag in enumerate(flags):
                try:
                    chosen.append(self.flags.check(flag))  # type: ignore[union-attr]
                except AnswerError as exc:
                    problems.append(f"{place}.flags[{position}]: {exc}")
            chosen = self.flags.in_order(chosen) if self.flags else []
        return {"ratings": clean_ratings, "flags": chosen}, problems

    def form_values(self, form: Mapping[str, list[str]]) -> list[str]:
        return tagged_values(self.form_name, form)

    def parse_form(self, values: list[str]) -> Any:
        return form_answer(values, self)

    # -- gold ---------------------------------------------------------------
    def score(self, answer: Any, gold: Any) -> float:
        """Mean closeness over what the gold gives: per gold turn, each criterion within
        ``tolerance`` (then falling linearly across its scale), and, when the field has flags, the
        turn's flags by Jaccard overlap (none and none agree); the overall score as one more term."""
        if not isinstance(gold, Mapping):
            return 1.0
        mine = _turns(answer)
        terms: list[float] = []
        for turn_id, expected in _turns(gold).items():
            if not isinstance(expected, Mapping):
                continue
            given = mine.get(turn_id) if isinstance(mine.get(turn_id), Mapping) else {}
            given_ratings = given.get("ratings") if isinstance(given.get("ratings"), Mapping) else {}
            for criterion_id, score in (expected.get("ratings") or {}).items():
                criterion = self.by_id.get(criterion_id)
                if criterion is None or score is None:
                    continue
                terms.append(closeness(given_ratings.get(criterion_id), score, self.tolerance, criterion.scale))
            if self.flags is not None:
                a, b = set(given.get("flags") or ()), set(expected.get("flags") or ())
                terms.append(1.0 if not a and not b else len(a & b) / len(a | b))
        terms += overall_closeness(answer, gold, self.tolerance, self.overall)
        return sum(terms) / len(terms) if terms else 1.0

    # -- agreement ----------------------------------------------------------
    def categories(self) -> list[Any] | None:
        return None

    def measures(self) -> list[Measure]:
        found = [Measure(f"{self.name}.{criterion.id}", "interval", None,
                         extract=_mean_of(criterion.id), field=self.name) for criterion in self.criteria]
        found += [Measure(f"{self.name}.flags.{flag}", "nominal", [False, True], extract=_flagged(flag),
                          field=self.name) for flag in self.flag_values()]
        if self.overall is not None:
            found.append(overall_measure(self.name, self.overall))
        return found


def _turns(answer: Any) -> Mapping[str, Any]:
    turns = answer.get("turns") if isinstance(answer, Mapping) else None
    return turns if isinstance(turns, Mapping) else {}


def _mean_of(criterion_id: str):
    """The criterion's mean score over the answer's rated turns (None: no turn rated on it)."""
    def extract(value: Any) -> float | None:
        scores = [entry["ratings"][criterion_id] for entry in _turns(value).values()
                  if isinstance(entry, Mapping) and isinstance(entry.get("ratings"), Mapping)
                  and isinstance(entry["ratings"].get(criterion_id), int)]
        return round(sum(scores) / len(scores), 6) if scores else None
    return extract


def _flagged(flag: str):
    """Whether any turn of the answer carries the flag (None: the answer rates no turn)."""
    def extract(value: Any) -> bool | None:
        entries = [entry for entry in _turns(value).values() if isinstance(entry, Mapping)]
        if not entries:
            return None
        return any(flag in (entry.get("flags") or ()) for entry in entries)
    return extract


COMPONENT = TurnRatings
