"""The embedded default: a local folder, one file per SHA-256, served by the app itself.

A file is written to a temporary file in the same folder tree and renamed into place, so a
reader never sees half a file and two writers of the same bytes both end with the same file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from app.media.store import CHUNK, Stored, hash_into, is_sha256, key_of


class LocalMediaStore:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.incoming = self.folder / "incoming"
        self.made: set[Path] = set()  # folders known to exist (a set: safe to share between threads)

    def path_of(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise ValueError("not a SHA-256")
        return self.folder / key_of(sha256)

    def put(self, stream: BinaryIO, *, content_type: str, attachment: bool = False) -> Stored:
        self._folder(self.incoming)
        handle, temporary = tempfile.mkstemp(dir=self.incoming, prefix="upload-")
        try:
            with os.fdopen(handle, "wb") as target:
                sha256, size = hash_into(stream, target)
                target.flush()
                os.fsync(target.fileno())
            final = self.path_of(sha256)
            if final.exists():
                os.unlink(temporary)
                return Stored(sha256, size, created=False)
            self._folder(final.parent)
            os.replace(temporary, final)  # atomic: the whole file or none
            return Stored(sha256, size, created=True)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise

    def _folder(self, folder: Path) -> None:
        """``folder`` made once per store (an import puts thousands of files into 65k fan-out folders)."""
        if folder not in self.made:
            folder.mkdir(parents=True, exist_ok=True)
            self.made.add(folder)

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def read_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        with self.path_of(sha256).open("rb") as file:
            file.seek(start)
            left = end - start
            while left > 0:
                chunk = file.read(min(CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    def browser_url(self, sha256: str) -> str | None:
        return None
