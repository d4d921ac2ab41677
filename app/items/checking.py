"""Checking an upload's records, in a thread for small uploads and in a child process for big ones.

Checking is pure Python (decode, validate against the interface, serialise): a thread running it
holds the GIL for most of every switch interval, and each request the event loop serves while it
runs waits for the GIL several times (the loop, then the database thread, then the loop again).
A million-line check pushed the work loop's p99 to half a second. A child process checks on
another core and shares nothing but two files: the upload it reads and the spool it writes
(pickled chunks, read back here exactly as a spool written in this process). Starting a child
costs about a second, so only uploads of ``CHILD_PROCESS_BYTES`` or more go there.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import os
import stat
import tempfile
from concurrent.futures import ProcessPoolExecutor
from typing import Any, BinaryIO

from app.items.parsing import parse_stream
from app.items.spool import RecordSpool
from components.base import Interface

#: Uploads at least this big (a few tens of thousands of lines) are checked in a child process.
CHILD_PROCESS_BYTES = 8 * 1024 * 1024
#: Where the child finds the files this process opened (Linux); elsewhere every check is a thread.
_PROC_FDS = "/proc/self/fd"


def check_upload(source: BinaryIO, fmt: str, interface: Interface, spool: RecordSpool | None = None) -> RecordSpool:
    """Read and check every record of an upload into a spool on disk (CPU work: not on the event
    loop). ImportRejected when anything is wrong; the spool is then thrown away."""
    spool = spool if spool is not None else RecordSpool()
    try:
        parse_stream(source, fmt, interface, spool)
        spool.finish()
    except BaseException:
        spool.close()
        raise
    return spool


async def check_off_the_loop(source: BinaryIO, fmt: str, interface_specs: list[dict[str, Any]],
                             interface: Interface) -> RecordSpool:
    """The upload's checked records: in a child process when the upload is a big file, else in a thread."""
    if os.path.isdir(_PROC_FDS) and _file_size(source) >= CHILD_PROCESS_BYTES:
        return await _check_in_child(_opened_path(source), fmt, interface_specs)
    return await asyncio.to_thread(check_upload, source, fmt, interface)


def _file_size(source: BinaryIO) -> int:
    """The size of a regular file behind ``source``; 0 for anything else (in memory, a pipe)."""
    try:
        status = os.fstat(source.fileno())
    except (AttributeError, OSError, io.UnsupportedOperation):
        return 0
    return status.st_size if stat.S_ISREG(status.st_mode) else 0


def _opened_path(file: BinaryIO) -> str:
    """A name another process can open this process's open file by, even an anonymous one."""
    return f"/proc/{os.getpid()}/fd/{file.fileno()}"


async def _check_in_child(path: str, fmt: str, interface_specs: list[dict[str, Any]]) -> RecordSpool:
    spool_file = tempfile.TemporaryFile(prefix="inkwell-import-")
    # A fresh interpreter (spawn), not a fork of this one: its threads, sockets and locks stay here.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as child:
        try:
            rows, gold, annotations = await asyncio.wrap_future(child.submit(
                _check_into, path, fmt, interface_specs, _opened_path(spool_file)))
        except BaseException:
            spool_file.close()
            raise
    return RecordSpool.written(spool_file, rows, gold, annotations)


def _check_into(path: str, fmt: str, interface_specs: list[dict[str, Any]], spool_path: str) -> tuple[int, int, int]:
    """In the child: check the upload at ``path`` into the spool at ``spool_path`` (both opened afresh,
    so reading and writing move only the child's own offsets); the counts the parent's
    spool needs. ImportRejected crosses back to the parent whole (it pickles its problems)."""
    with open(path, "rb") as source, open(spool_path, "r+b") as file:
        spool = check_upload(source, fmt, Interface.from_specs(interface_specs), RecordSpool(file))
        spool.file.flush()
        return spool.rows, spool.gold, spool.annotations
