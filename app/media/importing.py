"""An import with media: the items checked as any import, then their media stored and recorded.

The same path as every import (``app.items.service.import_upload``) with one more step between
checking and inserting (``app.media.resolving``), so the all-or-nothing rules, staging on SQLite
and the single transaction on PostgreSQL are the ones the items already have.
"""

from __future__ import annotations

import asyncio
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from app.accounts.models import User
from app.db import Database
from app.items.inserting import ImportResult
from app.items.service import import_upload
from app.items.spool import RecordSpool
from app.media.recording import record_files
from app.media.resolving import MediaProblem, MediaRejected, MediaResolver
from app.media.sources import MediaFiles, ZipFiles
from app.media.store import MediaStore


@dataclass(frozen=True)
class MediaImport:
    result: ImportResult
    format: str
    media: dict[str, int]  # stored, deduplicated


async def open_zip(file: BinaryIO, name: str | None) -> ZipFiles:
    """The zip's table of contents (read from its end, in a thread); MediaRejected when it is not a zip."""
    try:
        return await asyncio.to_thread(ZipFiles, file)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise MediaRejected([MediaProblem(0, f"the media upload is not a readable zip: {exc}", name or "media")])


async def import_with_media(db: Database, store: MediaStore, project_id: int, items: BinaryIO,
                            files: MediaFiles | None, *, actor: User, max_bytes: int, fmt: str | None = None,
                            filename: str | None = None, content_type: str | None = None,
                            batch_name: str | None = None, due_at: datetime | None = None) -> MediaImport:
    """Raises ImportRejected / MediaRejected (each problem with its line, and file), as ``import_upload``."""
    resolver = MediaResolver(files, store, max_bytes)

    async def store_media(checked: RecordSpool) -> RecordSpool:
        resolved = await asyncio.to_thread(resolver.resolve, checked)
        try:
            await record_files(db, resolver.resolved.files.values())
        except BaseException:
            resolved.close()
            raise
        return resolved

    result, used = await import_upload(db, project_id, items, actor=actor, fmt=fmt, filename=filename,
                                       content_type=content_type, batch_name=batch_name, due_at=due_at,
                                       then=store_media)
    return MediaImport(result, used, resolver.resolved.counts())
