"""Rich rendering of item content for display parts: markdown with highlighted code, and code.

Item content is untrusted. Markdown goes through the same CommonMark set-up as guidelines and
comments (``app.web.markdown``: raw HTML shown as text, javascript:/data: links refused); fenced
code and code parts are highlighted by Pygments, which escapes the source and marks tokens with
CSS classes only (no inline styles: the Content-Security-Policy forbids them). The colours are
in static/display.css.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

#: Longer code is shown escaped but not highlighted: tokenising megabytes would stall the page.
HIGHLIGHT_LIMIT = 200_000
#: Rendered texts kept per process: the same item is shown again and again (a reload, the fix after
#: a rejection, each review level), and a 20k-character response takes ~6 ms to render.
RENDERED_KEPT = 64
#: Longer texts are rendered each time rather than kept (at most ~60 MB for 64 of the longest kept).
KEEP_BELOW = 256_000
_LANGUAGE = re.compile(r"^[A-Za-z0-9_+#.-]{1,40}$")
#: Token spans only; the caller wraps them (class names like "k", "s2", "c1": see static/display.css).
_FORMATTER = HtmlFormatter(nowrap=True, noclasses=False)


@lru_cache(maxsize=128)
def _lexer(language: str | None) -> Lexer:
    if language and _LANGUAGE.match(language):
        try:
            return get_lexer_by_name(language.lower(), stripnl=False, ensurenl=False)
        except ClassNotFound:
            pass
    return TextLexer(stripnl=False, ensurenl=False)


def language_name(language: str | None) -> str | None:
    """The language as Pygments knows it (None: shown as plain text)."""
    lexer = _lexer(language)
    return None if isinstance(lexer, TextLexer) else lexer.name


def highlighted_tokens(code: str, language: str | None) -> Markup:
    """The code as escaped HTML with token classes (no wrapper element)."""
    if len(code) > HIGHLIGHT_LIMIT:
        return Markup(escape(code))
    return Markup(_highlighted(code, language) if len(code) < KEEP_BELOW else
                  pygments_highlight(code, _lexer(language), _FORMATTER))


@lru_cache(maxsize=RENDERED_KEPT)
def _highlighted(code: str, language: str | None) -> str:
    return pygments_highlight(code, _lexer(language), _FORMATTER)


def highlight(code: str | None, language: str | None = None) -> Markup:
    """A code block: ``<pre class="hl"><code>`` with token classes."""
    safe_language = language if language and _LANGUAGE.match(language) else None
    css = f' class="language-{escape(safe_language)}"' if safe_language else ""
    return Markup(f'<pre class="hl"><code{css}>{highlighted_tokens(code or "", safe_language)}</code></pre>')


def _fence(code: str, language: str, attrs: str) -> str:
    # Starts with <pre, so markdown-it uses it as the whole block (the info string is item data:
    # only a plain language name gets through, escaped).
    return str(highlight(code, language or None))


_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "highlight": _fence}).enable("table")


def rich_markdown(source: str | None) -> Markup:
    """Markdown as safe HTML with fenced code highlighted."""
    source = source or ""
    return Markup(_rendered(source) if len(source) < KEEP_BELOW else _renderer.render(source))


@lru_cache(maxsize=RENDERED_KEPT)
def _rendered(source: str) -> str:
    return _renderer.render(source)
