"""Security headers on every response, so a browser limits what a page of ours can be made to do.

Item content is untrusted HTML, escaped wherever it is shown; the Content-Security-Policy is the
second line: even markup that slipped through could not run script, load from elsewhere, post a
form elsewhere or be framed. Our pages need nothing more: scripts and styles are files under
/static (no inline script, no ``style=`` attributes, htmx told not to eval or inject styles, see
templates/base.html), and the sockets are same origin ('self' covers ws:/wss: on the page's host).

The API documentation under /schema is Litestar's: its pages load their viewers from CDNs with an
inline start-up script, so they get the other headers but no policy (they show no user data).

A ``before_send`` hook rather than a middleware: it sees every response the app sends, including
the router's own 404/405 and error pages, which route middleware never wraps.
"""

from __future__ import annotations

from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
#: Sent on every response, API and static files included (harmless there, and one rule is easy to check).
ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
WITH_POLICY = (*ALWAYS, (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
UNPOLICED_PREFIX = "/schema"


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    extra = ALWAYS if scope.get("path", "").startswith(UNPOLICED_PREFIX) else WITH_POLICY
    message["headers"] = [*message.get("headers", ()), *extra]
