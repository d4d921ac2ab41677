"""Text: a free-text answer, single- or multi-line."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any, Mapping

from components._checks import config_bool, config_int, first_entered, plural
from components.base import AnswerError, Component, ConfigError

#: Above this many characters, similarity is measured on words: character-level
#: matching is quadratic and takes seconds on texts of a few thousand characters.
CHARACTER_LIMIT = 2000


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())


class Text(Component):
    type = "text"
    level = "distance"
    coedit = "text"
    #: A text field aimed at a chat, prompt or text is a response written to it: the SFT export's.
    targets = ("chat", "prompt_response", "text")
    target_required = False
    exports = ("sft",)
    description = "Free text, one line or several"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.min_length = config_int(config, "min_length", minimum=0)
        self.max_length = config_int(config, "max_length", minimum=1)
        if (
            self.min_length is not None
            and self.max_length is not None
            and self.min_length > self.max_length
        ):
            raise ConfigError("min_length must not be more than max_length")
        self.multiline = config_bool(config, "multiline", True)
        placeholder = config.get("placeholder")
        if placeholder is not None and not isinstance(placeholder, str):
            raise ConfigError("placeholder must be a string")
        self.placeholder = placeholder or ""

    def config(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"multiline": self.multiline}
        if self.min_length is not None:
            spec["min_length"] = self.min_length
        if self.max_length is not None:
            spec["max_length"] = self.max_length
        if self.placeholder:
            spec["placeholder"] = self.placeholder
        return spec

    def is_empty(self, value: Any) -> bool:
        """Whitespace alone is no answer, so a required field reports "required"."""
        return super().is_empty(value) or (isinstance(value, str) and not value.strip())

    def validate(self, value: Any) -> str:
        if not isinstance(value, str):
            raise AnswerError("must be text")
        # Browsers post CRLF; API clients send LF. Store one form.
        text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if "\x00" in text:  # PostgreSQL cannot store NUL in text columns
            raise AnswerError("contains an invalid character")
        if not self.multiline and "\n" in text:
            raise AnswerError("must be a single line")
        if self.min_length is not None and len(text) < self.min_length:
            raise AnswerError(f"must be at least {plural(self.min_length, 'character')}")
        if self.max_length is not None and len(text) > self.max_length:
            raise AnswerError(f"must be at most {plural(self.max_length, 'character')}")
        return text

    def parse_form(self, values: list[str]) -> str | None:
        return first_entered(values)

    def score(self, answer: Any, gold: Any) -> float:
        """Similarity ignoring case and spacing.

        autojunk is off: with it, SequenceMatcher treats every common character
        of a text over 200 characters as junk and rates near-identical texts ~0.
        """
        a, g = _normalise(answer or ""), _normalise(gold or "")
        if a == g:
            return 1.0
        if max(len(a), len(g)) > CHARACTER_LIMIT:
            return SequenceMatcher(None, a.split(), g.split(), autojunk=False).ratio()
        return SequenceMatcher(None, a, g, autojunk=False).ratio()


COMPONENT = Text
