"""Which files Inkwell takes, and whether a file is what its name says.

Only images, audio and video are taken, each by an extension this table knows; the bytes
must then sniff (``puremagic``, signatures of thousands of formats, pure Python) as that same
type. Trying thousands of signatures costs ~2 ms a file whatever its size, so a type may also
list the exact signatures (``starts``) its files begin with: a file whose first bytes match one
is that type without asking puremagic (each is one puremagic itself reports as that type), and
any other file is sniffed by puremagic as before, so what is taken is the same, only sooner.

So nothing stored is HTML, script or an archive, whatever it is called, and a browser is never
told a type the bytes disagree with. SVG can carry script: it is taken but always served as an
attachment (``attachment``), never shown inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

import puremagic


@dataclass(frozen=True)
class MediaType:
    content_type: str
    kind: str  # image | audio | video
    sniffed_as: frozenset[str]  # extensions puremagic may report for these bytes
    attachment: bool = False
    #: Signatures that settle it without puremagic, each a set of (offset, bytes) that must all be there.
    starts: tuple[tuple[tuple[int, bytes], ...], ...] = ()

    def starts_like_it(self, head: bytes) -> bool:
        return any(all(head[at:at + len(part)] == part for at, part in signature) for signature in self.starts)


def _type(content_type: str, kind: str, *sniffed: str, attachment: bool = False,
          starts: tuple[tuple[tuple[int, bytes], ...], ...] = ()) -> MediaType:
    return MediaType(content_type, kind, frozenset(sniffed), attachment, starts)


def _at_start(*prefixes: bytes) -> tuple[tuple[tuple[int, bytes], ...], ...]:
    return tuple(((0, prefix),) for prefix in prefixes)


#: Enough of a file's beginning for every signature in ``starts``.
HEAD_BYTES = 64

_JPEG = _type("image/jpeg", "image", ".jpg", ".jpeg", ".jfif", ".jpe", starts=_at_start(b"\xff\xd8\xff"))
_TIFF = _type("image/tiff", "image", ".tif", ".tiff", starts=_at_start(b"II*\x00", b"MM\x00*"))
_OGG = (0, b"OggS"),
_OGG_AUDIO = _type("audio/ogg", "audio", ".ogg", ".oga", ".opus", ".ogx", starts=(_OGG,))
_MP4 = _type("video/mp4", "video", ".mp4", ".m4v", ".mov", ".3gp")
TYPES: dict[str, MediaType] = {
    ".jpg": _JPEG, ".jpeg": _JPEG,
    ".png": _type("image/png", "image", ".png", starts=_at_start(b"\x89PNG\r\n\x1a\n")),
    ".gif": _type("image/gif", "image", ".gif", starts=_at_start(b"GIF87a", b"GIF89a")),
    ".webp": _type("image/webp", "image", ".webp", starts=(((0, b"RIFF"), (8, b"WEBP")),)),
    ".bmp": _type("image/bmp", "image", ".bmp", ".dib"),
    ".tif": _TIFF, ".tiff": _TIFF,
    ".svg": _type("image/svg+xml", "image", ".svg", attachment=True),
    ".wav": _type("audio/wav", "audio", ".wav", starts=(((0, b"RIFF"), (8, b"WAVE")),)),
    ".mp3": _type("audio/mpeg", "audio", ".mp3"),
    ".flac": _type("audio/flac", "audio", ".flac", starts=_at_start(b"fLaC")),
    ".ogg": _OGG_AUDIO, ".oga": _OGG_AUDIO, ".opus": _OGG_AUDIO,
    ".m4a": _type("audio/mp4", "audio", ".m4a", ".mp4", ".m4b"),
    ".mp4": _MP4, ".m4v": _MP4,
    ".mov": _type("video/quicktime", "video", ".mov", ".qt", ".mp4"),
    ".webm": _type("video/webm", "video", ".webm", ".mkv"),
    ".ogv": _type("video/ogg", "video", ".ogv", ".ogg", ".ogx", starts=(_OGG,)),
}


class NotTaken(ValueError):
    """The file is not one Inkwell takes, or its bytes are not what its name says."""


def media_type_of(name: str, file: BinaryIO) -> MediaType:
    """The type of ``file`` (read from its start) uploaded as ``name``, checked against its bytes."""
    extension = PurePosixPath(name).suffix.lower()
    expected = TYPES.get(extension)
    if expected is None:
        raise NotTaken(f"{extension or 'a file without an extension'} is not an image, audio or video type Inkwell takes "
                       f"({', '.join(sorted(TYPES))})")
    file.seek(0)
    if expected.starts_like_it(file.read(HEAD_BYTES)):
        return expected
    file.seek(0)
    try:
        found = puremagic.magic_stream(file)
    except (puremagic.PureError, ValueError):
        found = []
    sniffed = {match.extension.lower() for match in found}
    if not sniffed & expected.sniffed_as:
        seen = ", ".join(sorted(s for s in sniffed if s)) or "nothing recognisable"
        raise NotTaken(f"its content is not {expected.content_type} as its name says (it looks like {seen})")
    return expected
