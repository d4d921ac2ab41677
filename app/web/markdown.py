"""Markdown for guidelines and comments: raw HTML is never passed through."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark with html disabled: any tag in the source is shown as text, and
# markdown-it's link validation refuses javascript:, vbscript: and data: URLs.
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(source: str | None) -> Markup:
    return Markup(_renderer.render(source or ""))
