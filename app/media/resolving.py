"""The second pass of an import with media: every ``media:`` field resolved, each file stored once.

The upload has already been checked line by line (``app.items.checking``) into a spool; this
reads that spool back a chunk at a time, and for each field that names media either checks the
URL or takes the file from the zip (or folder): copied out to a temporary file (in memory up to
``IN_MEMORY_BYTES``, on disk past it, never a large file whole, at most ``max_bytes``), sniffed,
measured, and put in the store. Each name is handled once however many lines name it. Rows go
to a new spool with their data field replaced by the stored reference (``app.media.references``)
and the (field, hash) pairs the insert records.

Any problem (a name not in the zip, a file that is not what its name says or cannot be read, a
URL that is not http(s)) is reported with its line and file, and the import is refused whole.
The files a chunk names for the first time are stored by a few threads at once (``STORE_THREADS``),
each with its own temporary copy; their outcomes are kept, and the rows written, in order.
Files already stored by then stay in the store as orphans: no item references them, so they
are never served, and a later import of the same bytes finds them there.
"""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO

from app.items.parsing import MAX_REPORTED, ImportProblem, ImportRejected
from app.items.spool import RecordSpool
from app.media.metadata import Unreadable, measure
from app.media.models import MediaFile
from app.media.references import PREFIX, file_reference, is_url, named_media, url_reference
from app.media.sniffing import NotTaken, media_type_of
from app.media.sources import MediaFiles
from app.media.store import CHUNK, MediaStore

_MARK = json.dumps(PREFIX)[:-1]  # '"media:': rows without it name no media and pass untouched


@dataclass(frozen=True, slots=True)
class MediaProblem(ImportProblem):
    file: str = ""


class MediaRejected(ImportRejected):
    """An import refused for its media: each problem with its line and the file it names."""

    def to_dict(self) -> dict:
        answer = super().to_dict()
        answer["problems"] = [{"line": p.line, "message": p.message, **({"file": p.file} if getattr(p, "file", "") else {})}
                              for p in self.problems]
        return answer


@dataclass
class Resolved:
    """What the pass found: the files to record and how many were new to the store."""

    files: dict[str, MediaFile] = field(default_factory=dict)
    stored: int = 0
    deduplicated: int = 0

    def counts(self) -> dict[str, int]:
        return {"stored": self.stored, "deduplicated": self.deduplicated}


class _TooBig(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _Kept:
    reference: dict[str, Any]
    file: MediaFile
    created: bool  # new to the store (False: it had these bytes already)


#: Files stored at once: copying out, fsync and Pillow's decode release the GIL, so a few threads keep
#: both cores and the disk busy (bench.media_import: 10k images of 100 kB, 164 s sequential with a
#: temporary file each and puremagic on every file, 21.5 s now, on the same loaded machine).
STORE_THREADS = 4
#: A file copied out of the upload is checked in memory up to this size (a few at a time, so memory
#: stays flat), on disk past it: a temporary file per file cost ~1-2 ms of open and unlink here.
IN_MEMORY_BYTES = 4 * 1024 * 1024


class MediaResolver:
    def __init__(self, files: MediaFiles | None, store: MediaStore, max_bytes: int):
        self.files, self.store, self.max_bytes = files, store, max_bytes
        self.by_name: dict[str, dict[str, Any] | str] = {}  # a name's reference, or the problem it has
        self.resolved = Resolved()

    def resolve(self, spool: RecordSpool) -> RecordSpool:
        """Every row of ``spool`` into a new spool, references resolved; MediaRejected on any problem."""
        problems: list[ImportProblem] = []
        total = 0
        out = RecordSpool()
        pool = ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="inkwell-media")
        try:
            for chunk in spool.chunks():
                rows = [(row, json.loads(row.data) if _MARK in row.data else None) for row in chunk]
                self._store_new_files(pool, rows)
                for row, data in rows:
                    if data is None:
                        out.add_row(row)
                        continue
                    media: list[tuple[str, str]] = []
                    for name, value in data.items():
                        target = named_media(value)
                        if target is None:
                            continue
                        outcome = self._reference(target)
                        if isinstance(outcome, str):
                            total += 1
                            if len(problems) < MAX_REPORTED:
                                problems.append(MediaProblem(row.line, f"field {name!r}: {outcome}",
                                                             "" if is_url(target) else target))
                            continue
                        data[name] = outcome
                        if "name" in outcome:
                            media.append((name, outcome["media"].split(":", 1)[1]))
                    out.add_row(row._replace(data=json.dumps(data), media=tuple(media)))
            out.finish()
        except BaseException:
            out.close()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if problems:
            out.close()
            raise MediaRejected(problems, total)
        return out

    def _store_new_files(self, pool: ThreadPoolExecutor, rows: list[tuple[Any, dict | None]]) -> None:
        """Store the files this chunk names for the first time, ``STORE_THREADS`` at a time; each
        name's outcome kept in ``by_name`` (and counted) in the order the chunk first names them."""
        names: dict[str, None] = {}
        for _, data in rows:
            for value in (data or {}).values():
                target = named_media(value)
                if target and not is_url(target) and target not in self.by_name:
                    names[target] = None
        for name, stored in zip(names, pool.map(self._store_file, names)):
            self.by_name[name] = self._keep(stored)

    def _reference(self, target: str) -> dict[str, Any] | str:
        if not target:
            return f"{PREFIX} names no file"
        if is_url(target):
            try:
                reference = url_reference(target)
            except ValueError as exc:
                return str(exc)
            return reference
        if target not in self.by_name:
            self.by_name[target] = self._keep(self._store_file(target))
        return self.by_name[target]

    def _store_file(self, name: str) -> _Kept | str:
        """One file copied out, checked, measured and stored (in a worker thread: touches no shared state)."""
        source = self.files.open(name) if self.files is not None else None
        if source is None:
            return f"{name!r} is not among the uploaded media files" if self.files is not None else \
                f"names the file {name!r}, but no media were uploaded with the items"
        with source, tempfile.SpooledTemporaryFile(IN_MEMORY_BYTES, prefix="inkwell-media-") as copy:
            try:
                _copy_at_most(source, copy, self.max_bytes)
            except _TooBig:
                return f"{name!r} is larger than {self.max_bytes} bytes"
            except Exception as exc:  # a corrupt zip member (bad CRC, bad deflate stream)
                return f"{name!r} cannot be read from the upload: {exc}"
            try:
                media_type = media_type_of(name, copy)
                measured = measure(copy, media_type)
            except (NotTaken, Unreadable) as exc:
                return f"{name!r}: {exc}"
            copy.seek(0)
            stored = self.store.put(copy, content_type=media_type.content_type, attachment=media_type.attachment)
        file = MediaFile(sha256=stored.sha256, size=stored.size, content_type=media_type.content_type,
                         original_name=name[:300], width=measured.width, height=measured.height,
                         duration_s=measured.duration_s, sample_rate=measured.sample_rate)
        reference = file_reference(sha256=stored.sha256, name=name, content_type=media_type.content_type,
                                   size=stored.size, measured=asdict(measured))
        return _Kept(reference, file, stored.created)

    def _keep(self, outcome: _Kept | str) -> dict[str, Any] | str:
        """A stored file counted once by its bytes (the first name it came under is the one recorded)."""
        if isinstance(outcome, str):
            return outcome
        if outcome.file.sha256 not in self.resolved.files:
            if outcome.created:
                self.resolved.stored += 1
            else:
                self.resolved.deduplicated += 1
            self.resolved.files[outcome.file.sha256] = outcome.file
        return outcome.reference


def _copy_at_most(source: BinaryIO, target: BinaryIO, limit: int) -> None:
    copied = 0
    while chunk := source.read(CHUNK):
        copied += len(chunk)
        if copied > limit:
            raise _TooBig()
        target.write(chunk)
