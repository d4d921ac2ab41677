"""The contract every task-interface component fulfils.

A component is one field type of a project's task interface. Everything that
differs between field types lives behind this contract (config, answer
validation, form parsing, gold comparison, agreement level, export shape and
widget), so adding a modality means adding a folder under ``components/``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Iterable, Mapping

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"


class ConfigError(ValueError):
    """A component's configuration is unusable (raised at project set-up)."""


class AnswerError(ValueError):
    """An answer for one field is invalid; the message is shown at the field."""


#: What every field spec holds besides its settings (read by ``Interface.from_specs``).
SPEC_KEYS = frozenset({"name", "type"})


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


class Component(ABC):
    """One field of a task interface, configured by ops."""

    type: ClassVar[str]
    #: Level of measurement for agreement statistics:
    #: nominal | ordinal | interval | ratio | set | distance
    level: ClassVar[str]

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
        self.required = bool(read.get("required", True))
        self.configure(read)
        unknown = sorted(str(key) for key in config if key not in read.seen and key not in SPEC_KEYS)
        if unknown:
            raise ConfigError(f"unknown setting{'s' if len(unknown) > 1 else ''} for a {self.type} field: "
                              f"{', '.join(unknown)}")

    # -- set-up -------------------------------------------------------------
    @abstractmethod
    def configure(self, config: Mapping[str, Any]) -> None:
        """Read and check the type-specific config; raise ConfigError."""

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """The type-specific config, as stored and returned by the API."""

    def to_dict(self) -> dict[str, Any]:
        spec = {"name": self.name, "type": self.type, "label": self.label, "required": self.required}
        if self.help:
            spec["help"] = self.help
        spec.update(self.config())
        return spec

    # -- answers ------------------------------------------------------------
    @abstractmethod
    def validate(self, value: Any) -> Any:
        """Return the normalised value of a present answer; raise AnswerError."""

    def is_empty(self, value: Any) -> bool:
        return value is None or value == "" or value == []

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

    # -- rendering ----------------------------------------------------------
    @property
    def widget_template(self) -> str:
        return f"{self.type}/widget.html"

    @property
    def form_name(self) -> str:
        """The HTML input name, prefixed so it never collides with form plumbing."""
        return f"f_{self.name}"


class Interface:
    """An ordered list of components: the whole answer form of a project."""

    def __init__(self, components: Iterable[Component]):
        self.components = list(components)
        self.by_name = {c.name: c for c in self.components}

    @classmethod
    def from_specs(cls, specs: Any) -> "Interface":
        """Build from the stored/API list ``[{name, type, ...config}]``; raise ConfigError."""
        from components.registry import get_component_class

        if not isinstance(specs, list) or not specs:
            raise ConfigError("interface must be a non-empty list of fields")
        built: list[Component] = []
        for position, spec in enumerate(specs, start=1):
            if not isinstance(spec, Mapping):
                raise ConfigError(f"field {position}: must be an object with name and type")
            kind = spec.get("type")
            component_class = get_component_class(kind)
            if component_class is None:
                raise ConfigError(f"field {position}: unknown type {kind!r}")
            try:
                component = component_class(spec.get("name"), spec)
            except ConfigError as exc:
                raise ConfigError(f"field {position} ({spec.get('name')}): {exc}") from None
            if component.name in {c.name for c in built}:
                raise ConfigError(f"field {position}: duplicate name {component.name!r}")
            built.append(component)
        return cls(built)

    def to_specs(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self.components]

    def validate_answer(self, answer: Any) -> tuple[dict[str, Any], dict[str, str]]:
        """Check a whole answer. Returns (clean answer, {field: message})."""
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
                clean[component.name] = component.validate(value)
            except AnswerError as exc:
                errors[component.name] = str(exc)
        return clean, errors

    def parse_form(self, form: Mapping[str, list[str]]) -> dict[str, Any]:
        """Raw answer from form data, keyed by field name (``form`` maps name -> all values)."""
        return {c.name: c.parse_form(list(form.get(c.form_name, []))) for c in self.components}
