"""A prompt and one model response (markdown, fenced code highlighted)."""

from __future__ import annotations

from typing import Any, Mapping

from components._display import as_text, binding_of, resolve_binding
from components.base import DisplayPart


class PromptResponse(DisplayPart):
    type = "prompt_response"
    description = "Shows a prompt and one response (markdown; fenced code highlighted)"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.response = binding_of(config, "response", required=True)

    def config(self) -> dict[str, Any]:
        return {"response": self.response}

    def resolve(self, item_data: Mapping[str, Any], assignment_id: int | None = None) -> dict[str, str | None]:
        """``{prompt, response}``: a chat's last user turn counts as the prompt."""
        return {"prompt": self.as_prompt(item_data), "response": as_text(resolve_binding(self.response, item_data))}

    def as_prompt(self, item_data: Mapping[str, Any]) -> str | None:
        """The prompt (a chat's last user turn), for training exports."""
        prompt = self.raw(item_data)
        if isinstance(prompt, list):  # a conversation: its last user turn
            users = [t.get("content") for t in prompt if isinstance(t, Mapping) and t.get("role") == "user"]
            prompt = users[-1] if users else None
        return as_text(prompt)

    def text_of(self, shown: Mapping[str, Any]) -> str:
        """The text answers are marked on (spans and claims on a response)."""
        return shown.get("response") or ""

    def sample_bindings(self) -> list[tuple[Any, Any]]:
        """What the builder's preview shows when the project has no item yet."""
        return [(self.binding, "A sample prompt: how do I reverse a list in Python?"),
                (self.response, "Use slicing:\n\n```python\nitems[::-1]\n```")]


COMPONENT = PromptResponse
