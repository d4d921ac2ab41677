"""The media store's one small interface, and the store the settings choose.

Files are named by their SHA-256, so a store never needs to know which item or import a file
belongs to, and the same bytes uploaded twice are kept once. A file no item references (an
import refused after its files were stored) is an orphan: harmless, since nobody is ever
served a file no item they may see references (``app.media.access``).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator, Protocol

from app.config import Settings

#: Bytes read or written at a time: never a whole file in memory.
CHUNK = 256 * 1024


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    created: bool  # False: the store already had these bytes


class MediaStore(Protocol):
    def put(self, stream: BinaryIO, *, content_type: str, attachment: bool = False) -> Stored:
        """Read ``stream`` to its end into the store; ``content_type`` (and ``attachment``) are kept for
        stores that serve browsers themselves."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def read_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (exclusive), a chunk at a time."""
        ...

    def browser_url(self, sha256: str) -> str | None:
        """A short-lived URL a browser may fetch the file from directly, or None when the app serves it."""
        ...


def hash_into(stream: BinaryIO, target: BinaryIO) -> tuple[str, int]:
    """Copy ``stream`` into ``target`` a chunk at a time; the copy's SHA-256 and size."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def key_of(sha256: str) -> str:
    """Where a file lives in a store: fanned out by its first bytes so no folder holds millions."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


@functools.cache
def store_from_settings(settings: Settings) -> MediaStore:
    """S3-compatible object storage when ``MEDIA_URL`` is ``s3://bucket/prefix``, else the local folder
    (one per settings: the S3 client keeps its connections)."""
    if settings.media_url:
        from app.media.s3_store import S3MediaStore

        return S3MediaStore.from_settings(settings)
    from app.media.local_store import LocalMediaStore

    return LocalMediaStore(settings.media_dir)
