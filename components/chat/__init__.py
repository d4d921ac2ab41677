"""A multi-turn conversation ``[{role, content, id?}]``: roles styled, the system prompt collapsible."""

from __future__ import annotations

from typing import Any, Mapping

from components._checks import config_bool
from components._display import as_text
from components.base import DisplayPart

ROLES = ("system", "user", "assistant", "tool")


class Chat(DisplayPart):
    type = "chat"
    description = "Shows a conversation of turns {role, content, id?}; system prompts collapsed"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.markdown = config_bool(config, "markdown", True)

    def config(self) -> dict[str, Any]:
        return {"markdown": self.markdown}

    def normalise(self, value: Any, assignment_id: int | None) -> list[dict[str, str]]:
        """Every turn as ``{id, role, content}``; a turn without an id gets ``t<position>`` (from 1),
        an unknown role is kept as written (styled as other)."""
        if not isinstance(value, list):
            return []
        turns = []
        for position, turn in enumerate(value, start=1):
            if not isinstance(turn, Mapping):
                turn = {"role": "user", "content": turn}
            ident = turn.get("id")
            turns.append({"id": str(ident) if ident not in (None, "") else f"t{position}",
                          "role": str(turn.get("role") or "user"), "content": as_text(turn.get("content")) or ""})
        return turns

    def as_prompt(self, item_data: Mapping[str, Any]) -> list[dict[str, str]] | None:
        """The conversation as messages ``[{role, content}]``, for training exports."""
        turns = self.resolve(item_data)
        return [{"role": t["role"], "content": t["content"]} for t in turns] or None

    def sample_bindings(self) -> list[tuple[Any, Any]]:
        """What the builder's preview shows when the project has no item yet."""
        return [(self.binding, [{"role": "system", "content": "You are a helpful assistant."},
                                {"role": "user", "content": "A sample question?"},
                                {"role": "assistant", "content": "A sample answer."}])]


COMPONENT = Chat
