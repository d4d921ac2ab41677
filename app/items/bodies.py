"""The import body (see ``app.web.bodies``): a JSON array, JSONL or CSV, parsed by ``app.items.parsing``."""

from __future__ import annotations

from typing import Any

ITEMS = list[dict[str, Any]]
DESCRIPTION = (
    "Items, all or nothing. JSON: an array of items, each the item's data itself or a wrapper "
    "{data, external_id?, gold?, explanation?, annotations?: [{annotator, answer, created_at?}], meta?}; "
    "a Label Studio JSON export is recognised too. JSONL (application/x-ndjson): one such object per line. "
    "CSV (text/csv): a header row; each row's columns are the item's data (external_id is kept apart). "
    "?format= overrides the Content-Type. multipart/form-data: the part 'items' (any of these formats) and "
    "'media', a zip of the files whose names fields give as 'media:<name>' (or 'media:https://...'); "
    "201 adds media: {stored, deduplicated}; 422 lists problems with line and file; 413 above MAX_MEDIA_BYTES.")
OTHER_MEDIA = {"application/x-ndjson": {"type": "string"}, "text/csv": {"type": "string"},
               "multipart/form-data": {"type": "object", "properties": {
                   "items": {"type": "string", "format": "binary"}, "media": {"type": "string", "format": "binary"}}}}
