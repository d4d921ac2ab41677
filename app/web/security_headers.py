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

from urllib.parse import urlsplit

from litestar.types import Message, Scope

from app.config import Settings

#: Sent on every response, API and static files included (harmless there, and one rule is easy to check).
ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
UNPOLICED_PREFIX = "/schema"


def content_security_policy(settings: Settings) -> str:
    """The page policy. Images, audio and video may also come from https addresses (items may name
    media by URL) and from the S3 endpoint media are presigned on (``/media/<hash>`` redirects there),
    which may be plain http inside a network."""
    media_sources = " ".join(("'self'", "https:", *_media_origin(settings)))
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {media_sources} data:",
        f"media-src {media_sources}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def _media_origin(settings: Settings) -> tuple[str, ...]:
    endpoint = settings.media_s3_endpoint if settings.media_url else None
    if not endpoint:
        return ()
    parts = urlsplit(endpoint)
    return (f"{parts.scheme}://{parts.netloc}",) if parts.scheme in ("http", "https") and parts.netloc else ()


def security_headers(settings: Settings):
    """The ``before_send`` hook adding the headers (the policy as these settings make it)."""
    with_policy = (*ALWAYS, (b"content-security-policy", content_security_policy(settings).encode()))

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        extra = ALWAYS if scope.get("path", "").startswith(UNPOLICED_PREFIX) else with_policy
        message["headers"] = [*message.get("headers", ()), *extra]

    return add_security_headers
