"""Reading an upload as text a piece at a time: lines, CSV rows, or the values of a JSON array.

An import may be 200 MB. Decoded whole it held the text, every decoded object and
every record at once (1.4 GB for a million lines); read here it holds one piece of
text and one value at a time, whatever the size. Pure: the caller hands in a binary
file object (seekable) and gets text and decoded values back, nothing else.
"""

from __future__ import annotations

import codecs
import io
import json
import re
import time
from typing import Any, BinaryIO, Iterable, Iterator, TypeVar

_BOM = codecs.BOM_UTF8
_NON_SPACE = re.compile(r"[^ \t\n\r]")
#: How close to the end of the text read so far a decoding error must be to mean "read more".
_TAIL = 64


def text_of(source: BinaryIO, newline: str) -> io.TextIOWrapper:
    """The upload as UTF-8 text (a leading byte order mark dropped); ``newline`` as ``open()`` takes it:
    ``"\\n"`` splits lines only there (JSONL: U+2028 and a lone CR may sit inside a line), ``""`` is
    what the csv module wants. Undecodable bytes raise UnicodeDecodeError while reading."""
    source.seek(0)
    return io.TextIOWrapper(source, encoding="utf-8-sig", errors="strict", newline=newline)


def detach(text: io.TextIOWrapper) -> None:
    """Let go of the text wrapper without closing the caller's file."""
    try:
        text.detach()
    except ValueError:  # already detached
        pass


def line_of_bad_utf8(source: BinaryIO) -> int:
    """The 1-based line holding the first byte that is not UTF-8 (1 if there is none)."""
    source.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    while piece := source.read(1 << 20):
        pending = len(decoder.getstate()[0])  # bytes of a character the last piece cut in two
        try:
            decoder.decode(piece)
        except UnicodeDecodeError as exc:
            return line + piece.count(b"\n", 0, max(exc.start - pending, 0))
        line += piece.count(b"\n")
    return line


#: Values read between two moments given to other threads (~1 ms of checking).
SHARE_EVERY = 32

T = TypeVar("T")


def shared(values: Iterable[T]) -> Iterator[T]:
    """``values``, letting other threads run every SHARE_EVERY of them. Checking is CPU work in a
    thread beside the event loop; without this the loop waited up to 5 ms (the switch interval)
    each time it wanted the GIL back, several times a request (85 ms for five thread hops at p99,
    8 ms with it)."""
    for count, value in enumerate(values, start=1):
        if not count % SHARE_EVERY:
            time.sleep(0)
        yield value


def first_bytes(source: BinaryIO, size: int = 1 << 16) -> bytes:
    """The start of the upload, for sniffing its format; the file is left at its start."""
    source.seek(0)
    head = source.read(size)
    source.seek(0)
    return head


class JsonSyntaxError(Exception):
    """The text is not JSON at ``line``/``column``; ``message`` is the decoder's (or ours)."""

    def __init__(self, line: int, column: int, message: str):
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


class NotAnArray(Exception):
    """The document is one JSON value, not an array; ``value`` is it."""

    def __init__(self, value: Any):
        super().__init__("not an array")
        self.value = value


class JsonArray:
    """The values of a top-level JSON array, each decoded as soon as its text is whole.

    The text is read in pieces (a megabyte, or as much again as a value still being read);
    a value that fails to decode right at the end of what was read gets more text and a
    second try, one that fails anywhere else is an error where it fails. ``values()``
    yields ``(value, its text)``; a syntax error raises JsonSyntaxError with its physical
    line. Other decoder errors (a NaN, an over-long number, nesting too deep) propagate,
    and ``line_of(offset)`` says where the value that raised them starts (``value_start``).
    """

    PIECE = 1 << 20

    def __init__(self, text: io.TextIOBase, decoder: json.JSONDecoder):
        self.text = text
        self.decode = decoder.raw_decode
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # the line buffer[0] is on
        self.column = 0  # and its 0-based column
        self.value_start = 0

    def values(self) -> Iterator[tuple[Any, str]]:
        first = self._peek()
        if not first:
            return
        if first != "[":
            value, _ = self._value()
            raise NotAnArray(value)
        self.pos += 1
        if self._peek() == "]":
            self.pos += 1
        else:
            while True:
                self._peek()
                yield self._value()
                after = self._peek()
                if after == ",":
                    self.pos += 1
                    continue
                if after == "]":
                    self.pos += 1
                    break
                raise self._error(self.pos, "Expecting ',' delimiter")
        if self._peek():
            raise self._error(self.pos, "Extra data")

    def line_of(self, offset: int) -> int:
        """The physical line of ``offset`` in the text read so far (not yet dropped)."""
        return self.line + self.buffer.count("\n", 0, offset)

    def _value(self) -> tuple[Any, str]:
        while True:
            self.value_start = self.pos
            try:
                value, end = self.decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                cut_short = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buffer) - _TAIL
                if cut_short and self._more():
                    continue
                raise self._error(exc.pos, exc.msg) from None
            if end == len(self.buffer) and self._more():  # a number may go on in the next piece
                continue
            text = self.buffer[self.pos:end]
            self.pos = end
            return value, text

    def _peek(self) -> str:
        """The next character that is not white space ("" at the end), the position moved to it."""
        while True:
            found = _NON_SPACE.search(self.buffer, self.pos)
            if found is not None:
                self.pos = found.start()
                return self.buffer[self.pos]
            self.pos = len(self.buffer)
            if not self._more():
                return ""

    def _more(self) -> bool:
        """Drop what was read, append the next piece; False at the end of the text."""
        if self.eof:
            return False
        piece = self.text.read(max(self.PIECE, len(self.buffer) - self.pos))
        if not piece:
            self.eof = True
            return False
        newlines = self.buffer.count("\n", 0, self.pos)
        if newlines:
            self.line += newlines
            self.column = self.pos - self.buffer.rfind("\n", 0, self.pos) - 1
        else:
            self.column += self.pos
        self.buffer = self.buffer[self.pos:] + piece
        self.pos = 0
        return True

    def _error(self, offset: int, message: str) -> JsonSyntaxError:
        newline = self.buffer.rfind("\n", 0, offset)
        column = offset - newline if newline != -1 else self.column + offset + 1
        return JsonSyntaxError(self.line_of(offset), column, message)
