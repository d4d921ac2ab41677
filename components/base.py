"""The contract every task-interface part fulfils.

An interface is an ordered list of parts. A *display* part (``DisplayPart``) shows item data
where ops put it (a text, a prompt and its responses, a chat); an *answer* part (``Component``)
is one field the contributor fills in. Everything that differs between part types lives
behind this contract (config, answer validation in the item's context, form parsing, gold
score, what agreement measures and with which distance, linter rules, co-editing shape,
export shape and widget), so a new kind of work is a new folder under ``components/`` and
never a branch in the work, review or agreement code.
"""

from __future__ import annotations

import json
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field as dataclass_field
from typing import Any, Callable, ClassVar, Iterable, Mapping

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"


class ConfigError(ValueError):
    """A component's configuration is unusable (raised at project set-up)."""


class AnswerError(ValueError):
    """An answer for one field is invalid; the message is shown at the field."""


#: What every part spec holds besides its settings (read by ``Interface.from_specs``).
SPEC_KEYS = frozenset({"name", "type"})
#: The two kinds of interface part: what a contributor sees, and what they answer.
DISPLAY, ANSWER = "display", "answer"


class _ReadSettings(Mapping):
    """A field's config that remembers which settings were read: a setting that neither the base
    class nor the component reads is a misspelling (or another type's), and refused as unknown,
    so ops never believe a setting is on when nothing uses it. Each component only reads its keys."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self.seen: set[Any] = set()

    def __getitem__(self, key: Any) -> Any:
        self.seen.add(key)
        return self.config[key]

    def __contains__(self, key: object) -> bool:
        self.seen.add(key)
        return key in self.config

    def __iter__(self):
        return iter(self.config)

    def __len__(self) -> int:
        return len(self.config)



@dataclass(frozen=True)
class AnswerContext:
    """What an answer is judged against besides itself: the item's data (untrusted) and the
    assignment, whose id seeds anything shown in a per-assignment order."""

    item_data: Mapping[str, Any] = dataclass_field(default_factory=dict)
    assignment_id: int | None = None
    parts: Mapping[str, "Part"] = dataclass_field(default_factory=dict)

    def shown(self, name: str) -> Any:
        """What the display part ``name`` shows for this item (None if there is no such part)."""
        part = self.parts.get(name)
        return part.resolve(self.item_data, self.assignment_id) if isinstance(part, DisplayPart) else None


@dataclass(frozen=True)
class Measure:
    """One thing agreement measures on a field: the field itself, or a facet of it (one rubric
    criterion). ``extract`` takes the field's stored value to the measured one (None: no answer);
    ``distance`` is the component's own, for level "structured" (values are JSON-like)."""

    name: str
    level: str
    categories: list[Any] | None = None
    extract: Callable[[Any], Any] = lambda value: value
    distance: Callable[[Any, Any], float] | None = None
    #: The answer field it reads (default: ``name``; a facet's name is "field.facet").
    field: str | None = None

    def value_in(self, answer: Mapping[str, Any]) -> Any:
        value = answer.get(self.field or self.name)
        return None if value is None else self.extract(value)


@dataclass(frozen=True)
class LintRule:
    """A linter rule type a component brings for its own answers (``Component.lint_rules``).
    ``check(params, component)`` normalises the rule's parameters (raise ConfigError);
    ``run(params, component, value, context)`` returns a message when the answer breaks it."""

    params: frozenset[str]
    check: Callable[[Mapping[str, Any], "Component"], dict[str, Any]]
    run: Callable[[Mapping[str, Any], "Component", Any, Any], str | None]
    description: str = ""


class Part(ABC):
    """What every part has: a name, a type, a label, and settings checked once (unknown ones refused)."""

    type: ClassVar[str]
    kind: ClassVar[str]
    #: One line for ``GET /api/v1/components`` and the builder.
    description: ClassVar[str] = ""

    def __init__(self, name: str, config: Mapping[str, Any]):
        import re

        if not isinstance(name, str) or not re.match(NAME_PATTERN, name):
            raise ConfigError(
                f"field name {name!r} must start with a letter and use only a-z, 0-9 and _"
            )
        self.name = name
        read = _ReadSettings(config)
        self.label = str(read.get("label") or name.replace("_", " ").capitalize())
        self.help = str(read.get("help") or "")
        self.read_common(read)
        self.configure(read)
        unknown = sorted(str(key) for key in config if key not in read.seen and key not in SPEC_KEYS)
        if unknown:
            raise ConfigError(f"unknown setting{'s' if len(unknown) > 1 else ''} for a {self.type} "
                              f"{'field' if self.kind == ANSWER else 'part'}: {', '.join(unknown)}")

    def read_common(self, config: Mapping[str, Any]) -> None:
        """Settings every part of this kind has."""

    @abstractmethod
    def configure(self, config: Mapping[str, Any]) -> None:
        """Read and check the type-specific config; raise ConfigError."""

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """The type-specific config, as stored and returned by the API."""

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        """JSON Schema of the part's settings (``GET /api/v1/components``); components refine it."""
        return {"type": "object", "properties": {"name": {"type": "string", "pattern": NAME_PATTERN},
                                                 "type": {"const": cls.type}, "label": {"type": "string"},
                                                 "help": {"type": "string"}},
                "required": ["name", "type"]}

    def check_in(self, interface: "Interface") -> None:
        """Checks against the other parts (a target that must exist); raise ConfigError."""


class DisplayPart(Part):
    """Shows item data: ``value`` is ``"$field"`` (the item's field, dotted paths allowed) or a literal."""

    kind = DISPLAY

    def read_common(self, config: Mapping[str, Any]) -> None:
        value = config.get("value")
        if value is None:
            raise ConfigError('value is missing: name the item field to show as "$field"')
        self.binding = value

    def to_dict(self) -> dict[str, Any]:
        spec = {"name": self.name, "type": self.type, "value": self.binding}
        if self.label != self.name.replace("_", " ").capitalize():
            spec["label"] = self.label
        if self.help:
            spec["help"] = self.help
        spec.update(self.config())
        return spec

    def raw(self, item_data: Mapping[str, Any]) -> Any:
        """The bound value of this item: ``$a.b`` walks objects; anything else is the literal."""
        from components._display import resolve_binding

        return resolve_binding(self.binding, item_data)

    def resolve(self, item_data: Mapping[str, Any], assignment_id: int | None = None) -> Any:
        """What the part shows for this item and assignment, normalised (``show`` per type)."""
        return self.normalise(self.raw(item_data), assignment_id)

    def normalise(self, value: Any, assignment_id: int | None) -> Any:
        """The bound value in the part's own shape (a text, a list of turns); None if unusable."""
        return value

    @property
    def varies_by_assignment(self) -> bool:
        """Whether what this part shows depends on the assignment (responses in a shuffled order):
        then a lease tells API clients what it showed (``Interface.shown_for_assignment``)."""
        return False

    def as_prompt(self, item_data: Mapping[str, Any]) -> Any:
        """What this part gives a training export as the prompt (the preference export takes the
        nearest part before the responses that gives one): a text, or a message list
        ``[{role, content}]`` for a chat; None when the part is no prompt (the default)."""
        return None

    @property
    def display_template(self) -> str:
        """``components/<folder>/display.html`` (the folder: a display part may share its type name
        with an answer component, as ``text`` does)."""
        return f"{type(self).__module__.split('.')[1]}/display.html"

    @property
    def form_name(self) -> str:
        return f"d_{self.name}"


def shuffled(values: list[Any], assignment_id: int | None, salt: str) -> list[Any]:
    """``values`` in an order fixed by the assignment (the same on every render and on submit,
    different between assignments), so position bias can be measured and the order recorded."""
    if assignment_id is None:
        return list(values)
    order = list(values)
    random.Random(f"{assignment_id}:{salt}").shuffle(order)
    return order


def canonical(value: Any) -> str:
    """One text per JSON value (keys sorted): how structured answers are told apart."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Component(Part):
    """One answer field of a task interface, configured by ops."""

    kind = ANSWER
    #: Level of measurement for agreement statistics:
    #: nominal | ordinal | interval | ratio | set | distance (text) | structured (own ``distance``)
    level: ClassVar[str]
    #: The display part types an answer of this type is given on (``target``); empty: none.
    targets: ClassVar[tuple[str, ...]] = ()
    #: Whether a field of this type must name its target (a text answer may, to write a response
    #: to a chat or prompt for SFT, but need not).
    target_required: ClassVar[bool] = True
    #: How co-editing (app/coedit) holds the field: "text" (a shared text), "list" (a shared list
    #: of objects that merge item by item: a list value, or an object whose one key holds it),
    #: "json" (an object whose keys merge one by one, nested objects too) or "value" (last writer
    #: wins). A "json" or "list" field is read back as JSON text under ``form_name``, so its
    #: ``parse_form`` must take that; its widget keeps a hidden ``[data-coedit-json]`` input
    #: current (firing ``change``) and re-renders on ``coedit:render`` (static/coedit.js).
    coedit: ClassVar[str] = "value"
    #: Linter rule types this component brings for its answers, by rule type name.
    lint_rules: ClassVar[Mapping[str, LintRule]] = {}
    #: Export formats (``?format=``) this component's answers feed, besides jsonl.
    exports: ClassVar[tuple[str, ...]] = ()

    def read_common(self, config: Mapping[str, Any]) -> None:
        self.required = bool(config.get("required", True))
        self.target: str | None = None
        if self.targets:
            target = config.get("target")
            if target is None and not self.target_required:
                return
            if not isinstance(target, str) or not target:
                raise ConfigError(f"target is missing: name the {' or '.join(self.targets)} part it is given on")
            self.target = target

    def check_in(self, interface: "Interface") -> None:
        if self.target is None:
            return
        part = interface.parts_by_name.get(self.target)
        if part is None or part.kind != DISPLAY:
            raise ConfigError(f"target {self.target!r} is not a display part of the interface")
        if part.type not in self.targets:
            raise ConfigError(f"target {self.target!r} is a {part.type} part; a {self.type} field needs "
                              f"{' or '.join(self.targets)}")

    def to_dict(self) -> dict[str, Any]:
        spec = {"name": self.name, "type": self.type, "label": self.label, "required": self.required}
        if self.help:
            spec["help"] = self.help
        if self.target is not None:
            spec["target"] = self.target
        spec.update(self.config())
        return spec

    @classmethod
    def answer_schema(cls) -> dict[str, Any]:
        """JSON Schema of one answer value (``GET /api/v1/components``); components refine it."""
        return {}

    # -- answers ------------------------------------------------------------
    @abstractmethod
    def validate(self, value: Any) -> Any:
        """Return the normalised value of a present answer; raise AnswerError."""

    def validate_in(self, value: Any, context: AnswerContext) -> Any:
        """``validate``, with what the item shows (a span must lie inside its text; the order the
        responses were shown in is recorded). Components that need the item override this."""
        return self.validate(value)

    def is_empty(self, value: Any) -> bool:
        return value is None or value == "" or value == []

    def form_values(self, form: Mapping[str, list[str]]) -> list[str]:
        """The strings this field's inputs posted, handed to ``parse_form``: the values named
        ``form_name``. A field with several inputs (a rubric: a scale, N/A and a rationale per
        criterion, named ``form_name.<criterion>.<part>``) overrides this to pick them all."""
        return list(form.get(self.form_name, []))

    @abstractmethod
    def parse_form(self, values: list[str]) -> Any:
        """Turn the strings an HTML form posted for this field into a raw value.

        Returns None when nothing was entered. Never raises: ``validate`` judges.
        """

    @abstractmethod
    def score(self, answer: Any, gold: Any) -> float:
        """How close ``answer`` is to ``gold``, from 0 (wrong) to 1 (right)."""

    def export(self, value: Any) -> Any:
        """The value as it appears in exported datasets."""
        return value

    def export_label(self, values: list[Any]) -> tuple[Any, float] | None:
        """The field's aggregated label in the JSONL export, with its confidence (0..1), from the
        values its answers gave (as reviewers left them, oldest first; an adjudication alone), for
        a field that aggregates its own answers: a rubric's scores per criterion, a claims field's
        verdicts per claim (app/export/service.py). None (the default): the label is the
        agreement's vote (app/agreement), for the categorical fields, or there is none."""
        return None

    def missed(self, answer: Any, gold: Any) -> list[str]:
        """What a contributor's answer got wrong against gold, in words for the feedback after a
        check: by default the field's label when it did not score full marks; a rubric names
        its criteria, a span field the spans it missed."""
        return [] if self.score(answer, gold) >= 1.0 else [self.label]

    def preference_votes(self, value: Any) -> list[tuple[str, str, str]]:
        """For a field whose ``exports`` include "preference": each pair of candidate ids the answer
        judges, with its outcome (the preferred id, "tie" or "both_bad"), for the preference export
        (app/export/preference.py) to vote on across annotators. Default: none."""
        return []

    #: Whether answers pick one of candidates shown in a per-assignment order, so the gap report
    #: measures position bias on the field (``chosen_position``, app/agreement/position_bias.py).
    position_bias: ClassVar[bool] = False

    def chosen_position(self, value: Any) -> int | None:
        """The position shown (0 = left/first) of the candidate the answer chose; None when it chose
        none (a tie). Only read when ``position_bias`` is true."""
        return None

    def positions_shown(self, value: Any) -> int:
        """How many candidates the answer chose among (chance is one in this many). Default: a pair."""
        return 2

    # -- agreement ----------------------------------------------------------
    def categories(self) -> list[Any] | None:
        """The fixed category order statistics need (chance agreement counts unused categories)."""
        return None

    def distance(self, a: Any, b: Any) -> float:
        """Disagreement of two answers from 0 to 1, for level "structured"."""
        return 0.0 if canonical(a) == canonical(b) else 1.0

    def measures(self) -> list[Measure]:
        """What agreement, aggregation and the gap report measure on this field: by default the
        field at its level; a rubric gives one measure per criterion."""
        distance = self.distance if self.level == "structured" else None
        return [Measure(self.name, self.level, self.categories(), distance=distance)]

    # -- rendering ----------------------------------------------------------
    @property
    def widget_template(self) -> str:
        return f"{self.type}/widget.html"

    @property
    def form_name(self) -> str:
        """The HTML input name, prefixed so it never collides with form plumbing."""
        return f"f_{self.name}"


class Interface:
    """An ordered list of parts: what a contributor sees and the whole answer form of a project.
    ``components`` are the answer fields (what the work, review and agreement code iterate);
    ``displays`` the display parts; ``parts`` both, in the order ops gave them."""

    def __init__(self, parts: Iterable[Part]):
        self.parts = list(parts)
        self.components: list[Component] = [p for p in self.parts if isinstance(p, Component)]
        self.displays: list[DisplayPart] = [p for p in self.parts if isinstance(p, DisplayPart)]
        self.by_name = {c.name: c for c in self.components}
        self.parts_by_name = {p.name: p for p in self.parts}

    def measures(self) -> list[tuple[Component, Measure]]:
        return [(component, measure) for component in self.components for measure in component.measures()]

    def context(self, item_data: Mapping[str, Any] | None, assignment_id: int | None = None) -> AnswerContext:
        return AnswerContext(item_data or {}, assignment_id, self.parts_by_name)

    def shown_for_assignment(self, item_data: Mapping[str, Any] | None, assignment_id: int) -> dict[str, Any]:
        """What the parts that vary by assignment show on this one, by part name (empty: none vary)."""
        return {part.name: part.resolve(item_data or {}, assignment_id)
                for part in self.displays if part.varies_by_assignment}

    def shown(self, item_data: Mapping[str, Any] | None, assignment_id: int | None = None) -> list[tuple[DisplayPart, Any]]:
        """Each display part with what it shows for this item and assignment (for the templates)."""
        return [(part, part.resolve(item_data or {}, assignment_id)) for part in self.displays]

    @classmethod
    def from_specs(cls, specs: Any) -> "Interface":
        """Build from the stored/API list ``[{name, type, ...config}]``; raise ConfigError."""
        from components.registry import part_class_for

        if not isinstance(specs, list) or not specs:
            raise ConfigError("interface must be a non-empty list of fields")
        built: list[Part] = []
        for position, spec in enumerate(specs, start=1):
            if not isinstance(spec, Mapping):
                raise ConfigError(f"field {position}: must be an object with name and type")
            kind = spec.get("type")
            component_class = part_class_for(spec)
            if component_class is None:
                raise ConfigError(f"field {position}: unknown type {kind!r}")
            try:
                component = component_class(spec.get("name"), spec)
            except ConfigError as exc:
                raise ConfigError(f"field {position} ({spec.get('name')}): {exc}") from None
            if component.name in {c.name for c in built}:
                raise ConfigError(f"field {position}: duplicate name {component.name!r}")
            built.append(component)
        interface = cls(built)
        if not interface.components:
            raise ConfigError("interface must have at least one answer field")
        for position, part in enumerate(interface.parts, start=1):
            try:
                part.check_in(interface)
            except ConfigError as exc:
                raise ConfigError(f"field {position} ({part.name}): {exc}") from None
        return interface

    def to_specs(self) -> list[dict[str, Any]]:
        return [part.to_dict() for part in self.parts]

    def validate_answer(self, answer: Any, item_data: Mapping[str, Any] | None = None,
                        assignment_id: int | None = None) -> tuple[dict[str, Any], dict[str, str]]:
        """Check a whole answer against the item it is given on. Returns (clean answer, {field: message})."""
        context = self.context(item_data, assignment_id)
        if not isinstance(answer, Mapping):
            return {}, {"answer": "must be an object of field: value"}
        clean: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name in answer:
            if name not in self.by_name:
                errors[str(name)] = "unknown field"
        for component in self.components:
            value = answer.get(component.name)
            if component.is_empty(value):
                if component.required:
                    errors[component.name] = "required"
                else:
                    clean[component.name] = None
                continue
            try:
                clean[component.name] = component.validate_in(value, context)
            except AnswerError as exc:
                errors[component.name] = str(exc)
        return clean, errors

    def missed(self, answer: Mapping[str, Any], gold: Mapping[str, Any]) -> list[str]:
        """Every field's ``missed`` over the fields the gold answer gives, in interface order."""
        return [what for c in self.components if gold.get(c.name) is not None
                for what in c.missed(answer.get(c.name), gold[c.name])]

    def parse_form(self, form: Mapping[str, list[str]]) -> dict[str, Any]:
        """Raw answer from form data, keyed by field name (``form`` maps name -> all values)."""
        return {c.name: c.parse_form(c.form_values(form)) for c in self.components}
