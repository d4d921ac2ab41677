"""Pairwise preference between the first two responses a ``responses`` part shows.

An answer is ``{winner, preferred, strength, reason, shown: {left, right}}``:

* ``winner`` is what the contributor clicked: ``A`` (the left/first response shown), ``B`` (the
  right/second), ``tie`` or ``both_bad``;
* ``preferred`` is the same decision by *candidate id* (or ``tie`` / ``both_bad``), so answers
  given on different shown orders compare: agreement, aggregation, gold and the preference
  export all read ``preferred``;
* ``shown`` is the pair of candidate ids as this assignment showed them, filled in on the
  server from the ``responses`` part (``AnswerContext.shown``).

The ``shown`` rule. On an assignment the server's order is the truth: a client-sent ``shown``
that disagrees is *refused* (422 at the field), never silently replaced, because the client's
``A``/``B`` was chosen against the order it believed it showed, and replacing the order would
flip the preference. Without an assignment (an import's gold answer or prior annotation, a
specialist's adjudication) there is no server-side order: a given ``shown`` must name two of
the item's candidates and is kept (an imported annotation's real order survives); otherwise
the item's own order is used. ``preferred`` may be sent instead of ``winner`` (gold files name
the winning candidate id); when both are sent they must agree.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

from components._checks import config_bool, is_number, show
from components._display import choice_setting
from components.base import AnswerContext, AnswerError, Component, ConfigError, LintRule, Measure

WINNERS = ("A", "B", "tie", "both_bad")
#: Decisions that name no candidate; a candidate id equal to one of them would be ambiguous.
NO_WINNER = ("tie", "both_bad")
MODES = ("off", "optional", "required")
#: How gold treats ties: ``exact`` (a tie is one more answer, right only against a tie) or
#: ``half`` (a tie against a decisive gold, or a decisive answer against a tie gold, scores 0.5).
TIE_POLICIES = ("exact", "half")
STRENGTHS = (1, 2, 3)
MAX_REASON = 5000
ANSWER_KEYS = frozenset({"winner", "preferred", "strength", "reason", "shown"})
#: pairwise_too_fast's default reading speed: about twice a fast reader's (≈25 characters/s),
#: so only answers no one could have read are flagged.
DEFAULT_CHARS_PER_SECOND = 50


class Pairwise(Component):
    type = "pairwise"
    description = ("Which of two shown responses is better: A (left), B (right), tie or both bad, with an "
                   "optional strength (1-3) and reason; the order shown is recorded")
    level = "nominal"
    targets = ("responses",)
    coedit = "json"
    exports = ("preference",)
    position_bias = True

    def configure(self, config: Mapping[str, Any]) -> None:
        self.strength = choice_setting(config, "strength", MODES, "off")
        self.reason = choice_setting(config, "reason", MODES, "off")
        self.allow_tie = config_bool(config, "tie", True)
        self.allow_both_bad = config_bool(config, "both_bad", True)
        self.tie_policy = choice_setting(config, "tie_policy", TIE_POLICIES, "exact")
        self._part = None  # the target responses part, set by check_in

    def config(self) -> dict[str, Any]:
        return {"strength": self.strength, "reason": self.reason, "tie": self.allow_tie,
                "both_bad": self.allow_both_bad, "tie_policy": self.tie_policy}

    def check_in(self, interface) -> None:
        super().check_in(interface)
        self._part = interface.parts_by_name[self.target]

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        schema = super().config_schema()
        schema["properties"] |= {
            "target": {"type": "string", "description": "the responses part the two candidates come from"},
            "required": {"type": "boolean"},
            "strength": {"enum": list(MODES), "default": "off"},
            "reason": {"enum": list(MODES), "default": "off"},
            "tie": {"type": "boolean", "default": True},
            "both_bad": {"type": "boolean", "default": True},
            "tie_policy": {"enum": list(TIE_POLICIES), "default": "exact"},
        }
        schema["required"] = [*schema["required"], "target"]
        return schema

    @classmethod
    def answer_schema(cls) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False, "properties": {
            "winner": {"enum": list(WINNERS)}, "preferred": {"type": "string"},
            "strength": {"enum": list(STRENGTHS)}, "reason": {"type": "string", "maxLength": MAX_REASON},
            "shown": {"type": "object", "properties": {"left": {"type": "string"}, "right": {"type": "string"}},
                      "required": ["left", "right"]}}}

    # -- answers ------------------------------------------------------------
    def allowed_winners(self) -> tuple[str, ...]:
        return tuple(w for w in WINNERS if (w != "tie" or self.allow_tie) and (w != "both_bad" or self.allow_both_bad))

    def validate(self, value: Any) -> dict[str, Any]:
        """Without the item: the shape only; ``shown`` as given (an answer without one names no candidate)."""
        return self.validate_in(value, AnswerContext())

    def validate_in(self, value: Any, context: AnswerContext) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise AnswerError('must be an object with winner ("A", "B", "tie" or "both_bad")')
        unknown = sorted(str(key) for key in value if key not in ANSWER_KEYS)
        if unknown:
            raise AnswerError(f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                              f"an answer takes {', '.join(sorted(ANSWER_KEYS))}")
        shown = self._shown(value.get("shown"), context)
        winner = self._winner(value, shown)
        clean: dict[str, Any] = {"winner": winner,
                                 "preferred": _preferred(winner, shown),
                                 "strength": self._strength(value.get("strength"), winner),
                                 "reason": self._reason(value.get("reason"))}
        if shown is not None:
            clean["shown"] = shown
        return clean

    def _shown(self, sent: Any, context: AnswerContext) -> dict[str, str] | None:
        given = None
        if sent is not None:
            if not (isinstance(sent, Mapping) and set(sent) == {"left", "right"}
                    and all(isinstance(sent[k], str) and sent[k] for k in ("left", "right"))):
                raise AnswerError("shown: must be {left, right}, two candidate ids")
            if sent["left"] == sent["right"]:
                raise AnswerError("shown: left and right must be different candidates")
            given = {"left": sent["left"], "right": sent["right"]}
        candidates = context.shown(self.target) if self.target else None
        if candidates is None:  # no item to check against (validate without context)
            return given
        ids = [c["id"] for c in candidates]
        if len(ids) < 2:
            raise AnswerError(f"the item shows {len(ids)} response{'' if len(ids) == 1 else 's'}; two are needed")
        if reserved := [i for i in ids[:2] if i in NO_WINNER]:
            raise AnswerError(f"candidate id {reserved[0]!r} is reserved for that decision; rename the candidate")
        if context.assignment_id is None:
            if given is not None and not (given["left"] in ids and given["right"] in ids):
                missing = given["left"] if given["left"] not in ids else given["right"]
                raise AnswerError(f"shown: {missing!r} is not a candidate of this item")
            return given or {"left": ids[0], "right": ids[1]}
        server = {"left": ids[0], "right": ids[1]}
        if given is not None and given != server:
            raise AnswerError(f"shown: this task showed {server['left']} on the left and {server['right']} "
                              f"on the right, not {given['left']} and {given['right']}")
        return server

    def _winner(self, value: Mapping[str, Any], shown: dict[str, str] | None) -> str:
        winner, preferred = value.get("winner"), value.get("preferred")
        allowed = self.allowed_winners()
        listed = ", ".join(f'"{w}"' for w in allowed)
        if winner is not None and winner not in allowed:
            raise AnswerError(f"winner: must be one of {listed}")
        if preferred is not None:
            by_id = _winner_of(preferred, shown)
            if by_id is None or by_id not in allowed:
                names = [shown["left"], shown["right"]] if shown else []
                raise AnswerError(f"preferred: must be one of {', '.join(repr(n) for n in names + list(allowed[2:]))}")
            if winner is not None and winner != by_id:
                raise AnswerError(f"preferred: {preferred!r} is not the winner {winner!r} in the order shown")
            winner = by_id
        if winner is None:
            raise AnswerError(f"winner: must be one of {listed}")
        return winner

    def _strength(self, strength: Any, winner: str) -> int | None:
        if self.strength == "off":
            if strength is not None:
                raise AnswerError("strength: this field takes no strength")
            return None
        if strength is None or strength == "":
            if self.strength == "required" and winner in ("A", "B"):
                raise AnswerError("strength: required (1, 2 or 3)")
            return None
        if isinstance(strength, float) and strength.is_integer():
            strength = int(strength)
        if not is_number(strength) or strength not in STRENGTHS:
            raise AnswerError("strength: must be 1, 2 or 3")
        return int(strength)

    def _reason(self, reason: Any) -> str | None:
        if self.reason == "off":
            if reason not in (None, ""):
                raise AnswerError("reason: this field takes no reason")
            return None
        if reason is not None and not isinstance(reason, str):
            raise AnswerError("reason: must be text")
        text = (reason or "").replace("\r\n", "\n").strip()
        if "\x00" in text:
            raise AnswerError("reason: contains an invalid character")
        if len(text) > MAX_REASON:
            raise AnswerError(f"reason: must be at most {MAX_REASON} characters")
        if not text and self.reason == "required":
            raise AnswerError("reason: required")
        return text or None

    def form_values(self, form: Mapping[str, list[str]]) -> list[str]:
        """The widget's inputs, tagged: the radio (``form_name``), the strength select
        (``form_name.strength``) and the reason (``form_name.reason``)."""
        return ([f"winner={v}" for v in form.get(self.form_name, [])]
                + [f"strength={v}" for v in form.get(f"{self.form_name}.strength", [])]
                + [f"reason={v}" for v in form.get(f"{self.form_name}.reason", [])])

    def parse_form(self, values: list[str]) -> Any:
        """``key=value`` strings (``form_values``): the first non-blank of each key. A whole answer
        as a JSON object under ``form_name`` (a co-editing document, a script) is taken as it is."""
        parts: dict[str, str] = {}
        for entry in values:
            if entry.startswith("winner={"):
                try:
                    whole = json.loads(entry[len("winner="):])
                except (ValueError, RecursionError):
                    whole = None
                if isinstance(whole, dict):
                    return whole
            key, _, text = entry.partition("=")
            if key in ("winner", "strength", "reason") and text.strip() and key not in parts:
                parts[key] = text if key == "reason" else text.strip()
        if "winner" not in parts:
            return None
        answer: dict[str, Any] = {"winner": parts["winner"]}
        if "strength" in parts:
            answer["strength"] = int(parts["strength"]) if parts["strength"].isdigit() else parts["strength"]
        if "reason" in parts:
            answer["reason"] = parts["reason"]
        return answer

    # -- gold ---------------------------------------------------------------
    def score(self, answer: Any, gold: Any) -> float:
        """Exact on the preferred candidate id (or tie / both bad); ``tie_policy: half`` gives 0.5
        when exactly one of the two is a tie. Strength and reason are not scored."""
        mine, expected = _decision(answer), _decision(gold)
        if mine is None or expected is None:
            return 1.0 if mine == expected else 0.0
        if mine == expected:
            return 1.0
        if self.tie_policy == "half" and "tie" in (mine, expected) and "both_bad" not in (mine, expected):
            return 0.5
        return 0.0

    # -- agreement ----------------------------------------------------------
    def measures(self) -> list[Measure]:
        """Nominal on the preferred candidate id / tie / both_bad. Categories are not listed:
        candidate ids come from each item's data (``categories()`` is None), so the statistics take
        the values observed."""
        return [Measure(self.name, self.level, None, extract=_decision)]

    def chosen_position(self, value: Any) -> int | None:
        """0 when the left response won, 1 when the right did; None for a tie or both bad."""
        winner = value.get("winner") if isinstance(value, Mapping) else None
        return {"A": 0, "B": 1}.get(winner)

    def preference_votes(self, value: Any) -> list[tuple[str, str, str]]:
        """The pair shown, with the preferred id, "tie" or "both_bad"."""
        if type(value) is not dict:  # stored answers are plain JSON objects
            return []
        shown, decision = value.get("shown"), value.get("preferred")
        return [(shown["left"], shown["right"], decision)] if shown and decision else []

    # -- linting ------------------------------------------------------------
    def shown_texts(self, value: Mapping[str, Any], item_data: Mapping[str, Any]) -> list[str]:
        """The contents of the two responses the answer was given on."""
        shown = value.get("shown") if isinstance(value, Mapping) else None
        if not shown or self._part is None:
            return []
        contents = {c["id"]: c["content"] for c in self._part.candidates(item_data or {})}
        return [contents.get(shown["left"], ""), contents.get(shown["right"], "")]

    def export(self, value: Any) -> Any:
        """As stored, ``shown`` included (position bias can be studied from the export)."""
        return value


def _preferred(winner: str, shown: dict[str, str] | None) -> str | None:
    if winner in NO_WINNER:
        return winner
    if shown is None:
        return None
    return shown["left"] if winner == "A" else shown["right"]


def _winner_of(preferred: Any, shown: dict[str, str] | None) -> str | None:
    if preferred in NO_WINNER:
        return preferred
    if shown is not None and preferred == shown["left"]:
        return "A"
    if shown is not None and preferred == shown["right"]:
        return "B"
    return None


def _decision(value: Any) -> Any:
    """What agreement and gold compare: the preferred candidate id, tie or both_bad."""
    if not isinstance(value, Mapping):
        return None
    return value.get("preferred") or (value.get("winner") if value.get("winner") in NO_WINNER else None)


def _check_too_fast(params: Mapping[str, Any], component: Component) -> dict[str, Any]:
    speed = params.get("chars_per_second", DEFAULT_CHARS_PER_SECOND)
    if not is_number(speed) or not math.isfinite(speed) or speed <= 0:
        raise ConfigError("chars_per_second must be a number above 0")
    return {"chars_per_second": speed}


def _run_too_fast(params: Mapping[str, Any], component: Component, value: Any, context: Any) -> str | None:
    taken = getattr(context, "time_on_task_ms", None)
    if taken is None or not is_number(taken):
        return None
    characters = sum(map(len, component.shown_texts(value, getattr(context, "item_data", {}))))
    needed = characters / params["chars_per_second"]
    if taken >= needed * 1000:
        return None
    return (f"answered in {math.floor(max(taken, 0) / 100) / 10:.1f} s; reading the two responses "
            f"({characters:,} characters) takes at least {math.ceil(needed * 10) / 10:.1f} s "
            f"at {show(params['chars_per_second'])} characters a second")


Pairwise.lint_rules = {
    "pairwise_too_fast": LintRule(
        params=frozenset({"chars_per_second"}), check=_check_too_fast, run=_run_too_fast,
        description="answered faster than the two responses could be read: characters shown / seconds "
                    f"above chars_per_second (default {DEFAULT_CHARS_PER_SECOND})"),
}

COMPONENT = Pairwise
