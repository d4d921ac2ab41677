"""Scale-out: S3-compatible object storage through obstore, served to browsers by presigned URLs.

obstore (Rust's object_store) streams puts as multipart uploads, reads byte ranges and signs
URLs without a network round trip, in one small dependency with no boto session to manage.
The bytes are hashed on their way to a local temporary file first (the key is the hash, known
only at the end), then uploaded unless the bucket already has them. The content type (and,
for SVG, ``Content-Disposition: attachment``) is stored on the object, so the presigned URL
serves it as the app would.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from typing import BinaryIO, Iterator
from urllib.parse import urlsplit

import obstore
from obstore.store import S3Store

from app.config import Settings
from app.media.store import CHUNK, Stored, hash_into, is_sha256, key_of

#: How long a presigned URL works: long enough to start playing, too short to pass around.
PRESIGNED_FOR = timedelta(minutes=5)


class S3MediaStore:
    def __init__(self, store: S3Store):
        self.store = store

    @classmethod
    def from_settings(cls, settings: Settings) -> "S3MediaStore":
        url = urlsplit(settings.media_url)
        if url.scheme != "s3" or not url.netloc:
            raise ValueError("MEDIA_URL must look like s3://bucket/prefix")
        config = {"region": settings.media_s3_region}
        if settings.media_s3_endpoint:
            config["endpoint"] = settings.media_s3_endpoint
        if settings.media_s3_key:
            config["access_key_id"] = settings.media_s3_key
            config["secret_access_key"] = settings.media_s3_secret or ""
        plain_http = (settings.media_s3_endpoint or "").startswith("http://")
        return cls(S3Store(url.netloc, prefix=url.path.strip("/") or None,
                           client_options={"allow_http": plain_http}, **config))

    def put(self, stream: BinaryIO, *, content_type: str, attachment: bool = False) -> Stored:
        with tempfile.TemporaryFile(prefix="inkwell-media-") as spooled:
            sha256, size = hash_into(stream, spooled)
            if self.exists(sha256):
                return Stored(sha256, size, created=False)
            spooled.seek(0)
            attributes = {"Content-Type": content_type}
            if attachment:
                attributes["Content-Disposition"] = "attachment"
            obstore.put(self.store, key_of(sha256), spooled, attributes=attributes)
            return Stored(sha256, size, created=True)

    def exists(self, sha256: str) -> bool:
        try:
            obstore.head(self.store, self._key(sha256))
        except FileNotFoundError:
            return False
        return True

    def read_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        key = self._key(sha256)
        for offset in range(start, end, CHUNK):
            yield bytes(obstore.get_range(self.store, key, start=offset, end=min(offset + CHUNK, end)))

    def browser_url(self, sha256: str) -> str | None:
        return obstore.sign(self.store, "GET", self._key(sha256), PRESIGNED_FOR)

    @staticmethod
    def _key(sha256: str) -> str:
        if not is_sha256(sha256):
            raise ValueError("not a SHA-256")
        return key_of(sha256)
