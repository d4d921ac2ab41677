"""Ranking: order the candidates a ``responses`` part shows, ``[{candidate, rank}]``.

Rank 1 is best. Every shown candidate is ranked exactly once; with ``ties: true`` several may
share a rank (any ranks from 1 to N), otherwise the ranks are 1..N each once. The list is stored
in the order the candidates were shown to this assignment, so the order shown is recorded.

Gold scores by Kendall's tau-b mapped to 0..1, agreement compares answers at level
"structured" with a Kendall distance (``kendall.py``). Because the stored order is the order
shown, the gap report measures position bias on a ranking: how often the candidate shown first
is ranked top, against 1 in N (``chosen_position``, ``positions_shown``;
app/agreement/position_bias.py).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from components._checks import config_bool
from components.base import AnswerContext, AnswerError, Component
from components.ranking.kendall import kendall_distance, kendall_tau_b

ENTRY_KEYS = frozenset({"candidate", "rank"})


class Ranking(Component):
    type = "ranking"
    description = "Order the candidate responses of a responses part from best (1) down; ties by config"
    level = "structured"
    targets = ("responses",)
    coedit = "json"
    exports = ("preference",)
    position_bias = True

    def configure(self, config: Mapping[str, Any]) -> None:
        self.ties = config_bool(config, "ties", False)

    def config(self) -> dict[str, Any]:
        return {"ties": self.ties}

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        schema = super().config_schema()
        schema["properties"] |= {"target": {"type": "string"}, "required": {"type": "boolean"},
                                 "ties": {"type": "boolean", "default": False}}
        schema["required"] = [*schema["required"], "target"]
        return schema

    @classmethod
    def answer_schema(cls) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                           "properties": {"candidate": {"type": "string"},
                                                          "rank": {"type": "integer", "minimum": 1}},
                                           "required": ["candidate", "rank"]}}

    # -- answers ------------------------------------------------------------
    def validate(self, value: Any) -> list[dict[str, Any]]:
        """Without the item: the shape, ranks within 1..N and no candidate twice."""
        return self.validate_in(value, AnswerContext())

    def validate_in(self, value: Any, context: AnswerContext) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise AnswerError("must be a list of {candidate, rank}")
        shown = context.shown(self.target) if self.target else None
        ids = [c["id"] for c in shown] if shown is not None else None
        count = len(ids) if ids is not None else len(value)
        ranks: dict[str, int] = {}
        for index, entry in enumerate(value):
            where = f"{self.name}[{index}]"
            if not isinstance(entry, Mapping):
                raise AnswerError(f"{where}: must be an object with candidate and rank")
            if unknown := sorted(str(k) for k in entry if k not in ENTRY_KEYS):
                raise AnswerError(f"{where}: unknown key {', '.join(unknown)}; an entry takes candidate and rank")
            candidate, rank = entry.get("candidate"), entry.get("rank")
            if not isinstance(candidate, str) or not candidate:
                raise AnswerError(f"{where}.candidate: must be a candidate id")
            if ids is not None and candidate not in ids:
                raise AnswerError(f"{where}.candidate: {candidate!r} is not a candidate shown")
            if candidate in ranks:
                raise AnswerError(f"{where}.candidate: {candidate!r} is ranked twice")
            if isinstance(rank, float) and rank.is_integer():
                rank = int(rank)
            if not isinstance(rank, int) or isinstance(rank, bool) or not 1 <= rank <= count:
                raise AnswerError(f"{where}.rank: must be a whole number from 1 to {count}")
            if not self.ties and rank in ranks.values():
                raise AnswerError(f"{where}.rank: {rank} is given twice; this ranking allows no ties")
            ranks[candidate] = rank
        if ids is not None and (missing := [i for i in ids if i not in ranks]):
            raise AnswerError(f"{self.name}: {', '.join(map(repr, missing))} not ranked; rank every candidate shown")
        order = ids if ids is not None else list(ranks)
        return [{"candidate": candidate, "rank": ranks[candidate]} for candidate in order]

    def parse_form(self, values: list[str]) -> list[dict[str, Any]] | None:
        """One select per candidate posts ``<candidate id>=<rank>``; unranked candidates post nothing.
        A whole answer as a JSON list (a co-editing document, a script) is taken as it is."""
        found: list[dict[str, Any]] = []
        for entry in values:
            if entry.lstrip().startswith("["):
                try:
                    whole = json.loads(entry)
                except (ValueError, RecursionError):
                    whole = None
                if isinstance(whole, list):
                    return whole
            candidate, equals, rank = entry.rpartition("=")
            if not equals or not candidate or not rank.strip():
                continue
            found.append({"candidate": candidate, "rank": int(rank) if rank.strip().isdigit() else rank})
        return found or None

    def widget_candidates(self, value: Any, context: AnswerContext | None) -> list[dict[str, Any]]:
        """``[{id, rank}]`` for the widget: the shown candidates (or, with no item context, the answer's)."""
        given = {e.get("candidate"): e.get("rank") for e in value if isinstance(e, Mapping)} if isinstance(value, list) else {}
        shown = context.shown(self.target) if context is not None and self.target else None
        ids = [c["id"] for c in shown] if shown else list(given)
        return [{"id": ident, "rank": given.get(ident)} for ident in ids]

    # -- gold and agreement -------------------------------------------------
    def score(self, answer: Any, gold: Any) -> float:
        """Kendall's tau-b between the two rankings over the candidates both rank, as (tau + 1) / 2:
        1 the same order, 0.5 unrelated, 0 reversed."""
        a, g = _ranks(answer), _ranks(gold)
        if not a or not g:
            return 1.0 if a == g else 0.0
        common = [c for c in g if c in a]
        if len(common) < 2:
            return 1.0 if common else 0.0
        return (kendall_tau_b([a[c] for c in common], [g[c] for c in common]) + 1) / 2

    def distance(self, a: Any, b: Any) -> float:
        """Kendall distance in [0, 1] over the candidates both rank (ties count half)."""
        x, y = _ranks(a), _ranks(b)
        common = [c for c in x if c in y]
        if len(common) < 2:
            return 0.0
        return kendall_distance([x[c] for c in common], [y[c] for c in common])

    def chosen_position(self, value: Any) -> int | None:
        """Where the candidate ranked top was shown (0 = first: the answer lists the candidates in
        the order shown); None when several share the top rank (a tie names no position)."""
        ranks = [e.get("rank") if isinstance(e, Mapping) else None for e in value] if isinstance(value, list) else []
        known = [rank for rank in ranks if isinstance(rank, int) and not isinstance(rank, bool)]
        if not known:
            return None
        top = min(known)
        return ranks.index(top) if known.count(top) == 1 else None

    def positions_shown(self, value: Any) -> int:
        """How many candidates the answer ranks: all those shown (every shown candidate is ranked)."""
        return len(value) if isinstance(value, list) else 0

    def preference_votes(self, value: Any) -> list[tuple[str, str, str]]:
        """Every pair of ranked candidates: the better ranked one preferred, equal ranks a tie."""
        ranks = list(_ranks(value).items())
        return [(a, b, a if ra < rb else b if rb < ra else "tie")
                for i, (a, ra) in enumerate(ranks) for b, rb in ranks[i + 1:]]


def _ranks(value: Any) -> dict[str, int]:
    if not isinstance(value, list):
        return {}
    return {e["candidate"]: e["rank"] for e in value if isinstance(e, Mapping) and "candidate" in e and "rank" in e}


COMPONENT = Ranking
