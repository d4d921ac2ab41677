"""Where an import's files come from: a zip uploaded with the items, or a folder (the CLI).

Both name files by their path inside (``images/cat.jpg``, ``/`` between folders); a name never
leaves the folder it is looked up in.
"""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol


class MediaFiles(Protocol):
    def open(self, name: str) -> BinaryIO | None:
        """The file called ``name`` opened for reading, or None when there is none."""
        ...


def normalised(name: str) -> str | None:
    """``name`` as a relative path without ``.``/``..`` steps, or None when it is no such thing."""
    parts = [part for part in PurePosixPath(name.replace("\\", "/")).parts if part not in ("", ".", "/")]
    if not parts or any(part == ".." for part in parts):
        return None
    return "/".join(parts)


class ZipFiles:
    """The files of a zip (read in place: members are decompressed as they are read, never whole).

    Several threads may each read a member at once: ``zipfile`` gives each open member its own
    position in the one file and reads under the zip's lock; opening (which reads the member's
    local header and counts the open members) is done under a lock of ours."""

    def __init__(self, file: BinaryIO):
        self.zip = zipfile.ZipFile(file)  # BadZipFile when it is not one
        self.opening = threading.Lock()
        self.members = {}
        for info in self.zip.infolist():
            name = normalised(info.filename)
            if name is not None and not info.is_dir():
                self.members.setdefault(name, info)

    def open(self, name: str) -> BinaryIO | None:
        key = normalised(name)
        info = self.members.get(key) if key is not None else None
        if info is None:
            return None
        with self.opening:
            return self.zip.open(info)


class FolderFiles:
    """The files under a folder, e.g. ``inkwell import --media DIR``."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder).resolve()

    def open(self, name: str) -> BinaryIO | None:
        key = normalised(name)
        if key is None:
            return None
        path = (self.folder / key).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            return None
        return path.open("rb")
