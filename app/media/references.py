"""How item data names media, and what the stored item keeps.

In an import with media, a data field names a file by the text ``media:<name>`` (the file's
path in the zip or ``--media`` folder: ``media:images/cat.jpg``) or a file elsewhere by
``media:https://…`` (http and https only). Plain text is never taken for a reference, so an
import without media reads exactly as before. The field is stored as a reference object::

    {"media": "sha256:<64 hex>", "name": "images/cat.jpg", "type": "image/jpeg", "size": 48213,
     "width": 640, "height": 480}                       # duration_s, sample_rate for audio/video
    {"media": "https://example.org/cat.jpg"}

stable for as long as the item lives (the hash names the bytes, never an expiring URL); a page
turns ``sha256:`` into ``/media/<hash>`` (or ``/api/v1/media/<hash>`` for a program).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

PREFIX = "media:"
HASH_PREFIX = "sha256:"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def named_media(value: Any) -> str | None:
    """What a field's value names (a file name or a URL), or None when it names no media."""
    if isinstance(value, str) and value.startswith(PREFIX):
        return value[len(PREFIX):].strip()
    return None


def is_url(target: str) -> bool:
    """Whether a named target is a URL (has a scheme) rather than a file name."""
    return bool(_SCHEME.match(target)) and not re.match(r"^[A-Za-z]:[\\/]", target)


def url_reference(target: str) -> dict[str, Any]:
    """The stored reference to media elsewhere; ValueError unless it is an http(s) URL with a host."""
    parts = urlsplit(target)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{target[:100]!r} is not an http(s) URL; media are referenced by https:// (or http://) "
                         f"URLs or by the name of a file uploaded with the items")
    return {"media": target}


def file_reference(*, sha256: str, name: str, content_type: str, size: int, measured: dict[str, Any]) -> dict[str, Any]:
    return {"media": HASH_PREFIX + sha256, "name": name, "type": content_type, "size": size,
            **{key: value for key, value in measured.items() if value is not None}}


def sha256_of(reference: Any) -> str | None:
    """The hash a stored reference names (None for a URL or anything else)."""
    if isinstance(reference, dict) and isinstance(reference.get("media"), str) \
            and reference["media"].startswith(HASH_PREFIX):
        return reference["media"][len(HASH_PREFIX):]
    return None


def page_url(reference: Any) -> str | None:
    """Where a page's ``<img>``/``<audio>``/``<video>`` fetches a stored reference from (the app's
    ``/media/<hash>``, which checks the viewer and may redirect to object storage), or the URL an
    item named; None for anything that is no media reference."""
    sha256 = sha256_of(reference)
    if sha256 is not None:
        return f"/media/{sha256}"
    if isinstance(reference, dict) and isinstance(reference.get("media"), str) and is_url(reference["media"]):
        return reference["media"]
    return None
