"""Uploads and checked records kept on disk between reading, checking and inserting.

A million-line import is never held in memory: the upload goes to a temporary file as it
arrives, its records are checked a line at a time into a second one (each row already in
the form the insert binds, its JSON already serialised), and the insert reads that back a
chunk at a time. Both files are anonymous temporary files: the system removes them when
they are closed, or when the process dies (a child process checking a big upload opens them
through ``/proc``, ``app.items.checking``).
"""

from __future__ import annotations

import asyncio
import json
import pickle
import tempfile
from datetime import UTC, datetime
from typing import BinaryIO, Collection, Iterator, NamedTuple

from litestar import Request
from litestar.exceptions import ClientException

from app.items.parsing import ItemRecord

#: Rows per pickled chunk, and so per insert statement batch.
CHUNK_ROWS = 1000


class PriorRow(NamedTuple):
    annotator: str
    answer: str  # JSON text
    created_at: datetime | None


class ItemRow(NamedTuple):
    """One checked record, as the insert binds it."""

    line: int
    external_id: str | None
    is_gold: bool
    data: str  # JSON text
    gold_answer: str | None  # JSON text
    gold_explanation: str | None
    annotations: tuple[PriorRow, ...]
    #: (data field, SHA-256) of each stored file the item names (``app.media.resolving``).
    media: tuple[tuple[str, str], ...] = ()


def item_row(record: ItemRecord) -> ItemRow:
    dumps = json.dumps  # the same text SQLAlchemy's JSON type would write
    return ItemRow(record.line, record.external_id, record.gold is not None, dumps(record.data),
                   None if record.gold is None else dumps(record.gold), record.explanation,
                   tuple(PriorRow(a.annotator, dumps(a.answer), _moment(a.created_at)) for a in record.annotations))


def _moment(value: str | None) -> datetime | None:
    """An annotation's own time (checked to parse by the parser); UTC unless it says otherwise."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class RecordSpool:
    """A ``RecordSink`` on disk: checked records as ItemRows, pickled ``CHUNK_ROWS`` at a time."""

    def __init__(self, file: BinaryIO | None = None) -> None:
        self.file = file if file is not None else tempfile.TemporaryFile(prefix="inkwell-import-")
        self.pending: list[ItemRow] = []
        self.rows = self.gold = self.annotations = 0

    @classmethod
    def written(cls, file: BinaryIO, rows: int, gold: int, annotations: int) -> "RecordSpool":
        """A spool another process filled (``file`` holds its chunks), with the counts it reported."""
        spool = cls(file)
        spool.rows, spool.gold, spool.annotations = rows, gold, annotations
        return spool

    def add(self, record: ItemRecord) -> None:
        self.add_row(item_row(record))

    def add_row(self, row: ItemRow) -> None:
        """A row already checked (a second pass over another spool, e.g. resolving media)."""
        self.pending.append(row)
        self.rows += 1
        self.gold += row.is_gold
        self.annotations += len(row.annotations)
        if len(self.pending) >= CHUNK_ROWS:
            self._flush()

    def external_ids_at(self, lines: Collection[int]) -> dict[int, str]:
        self._flush()
        wanted = set(lines)
        return {row.line: row.external_id for chunk in self.chunks() for row in chunk
                if row.line in wanted and row.external_id is not None}

    def chunks(self) -> Iterator[list[ItemRow]]:
        """Every row, a chunk at a time, from the start (call ``finish`` first)."""
        self.file.seek(0)
        while True:
            try:
                yield pickle.load(self.file)
            except EOFError:
                return

    def finish(self) -> None:
        self._flush()

    def close(self) -> None:
        self.file.close()

    def _flush(self) -> None:
        if self.pending:
            self.file.seek(0, 2)
            pickle.dump(self.pending, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.pending = []


class AsyncChunks:
    """A spool's chunks, each unpickled in a thread, so the event loop only binds and sends them."""

    def __init__(self, spool: RecordSpool):
        self.chunks = spool.chunks()

    def __aiter__(self) -> "AsyncChunks":
        return self

    async def __anext__(self) -> list[ItemRow]:
        chunk = await asyncio.to_thread(next, self.chunks, None)
        if chunk is None:
            raise StopAsyncIteration
        return chunk


async def spool_upload(request: Request, limit: int) -> BinaryIO:
    """The request body in a temporary file (at its start), refused with 413 as soon as it passes
    ``limit``: the upload is never held in memory."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ClientException(f"body larger than {limit} bytes", status_code=413)
    upload = tempfile.TemporaryFile(prefix="inkwell-upload-")
    try:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ClientException(f"body larger than {limit} bytes", status_code=413)
            upload.write(chunk)  # into the page cache: microseconds for a socket read's worth
        upload.seek(0)
        return upload
    except BaseException:
        upload.close()
        raise
