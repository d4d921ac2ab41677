"""Which files Inkwell takes, and whether a file is what its name says.

Only images, audio and video are taken, each by an extension this table knows; the bytes
must then sniff (``puremagic``, signatures of thousands of formats, pure Python) as that same
type. So nothing stored is HTML, script or an archive, whatever it is called, and a browser
is never told a type the bytes disagree with. SVG can carry script: it is taken but always
served as an attachment (``attachment``), never shown inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import puremagic


@dataclass(frozen=True)
class MediaType:
    content_type: str
    kind: str  # image | audio | video
    sniffed_as: frozenset[str]  # extensions puremagic may report for these bytes
    attachment: bool = False


def _type(content_type: str, kind: str, *sniffed: str, attachment: bool = False) -> MediaType:
    return MediaType(content_type, kind, frozenset(sniffed), attachment)


_JPEG = _type("image/jpeg", "image", ".jpg", ".jpeg", ".jfif", ".jpe")
_OGG_AUDIO = _type("audio/ogg", "audio", ".ogg", ".oga", ".opus", ".ogx")
_MP4 = _type("video/mp4", "video", ".mp4", ".m4v", ".mov", ".3gp")
TYPES: dict[str, MediaType] = {
    ".jpg": _JPEG, ".jpeg": _JPEG,
    ".png": _type("image/png", "image", ".png"),
    ".gif": _type("image/gif", "image", ".gif"),
    ".webp": _type("image/webp", "image", ".webp"),
    ".bmp": _type("image/bmp", "image", ".bmp", ".dib"),
    ".tif": _type("image/tiff", "image", ".tif", ".tiff"), ".tiff": _type("image/tiff", "image", ".tif", ".tiff"),
    ".svg": _type("image/svg+xml", "image", ".svg", attachment=True),
    ".wav": _type("audio/wav", "audio", ".wav"),
    ".mp3": _type("audio/mpeg", "audio", ".mp3"),
    ".flac": _type("audio/flac", "audio", ".flac"),
    ".ogg": _OGG_AUDIO, ".oga": _OGG_AUDIO, ".opus": _OGG_AUDIO,
    ".m4a": _type("audio/mp4", "audio", ".m4a", ".mp4", ".m4b"),
    ".mp4": _MP4, ".m4v": _MP4,
    ".mov": _type("video/quicktime", "video", ".mov", ".qt", ".mp4"),
    ".webm": _type("video/webm", "video", ".webm", ".mkv"),
    ".ogv": _type("video/ogg", "video", ".ogv", ".ogg", ".ogx"),
}


class NotTaken(ValueError):
    """The file is not one Inkwell takes, or its bytes are not what its name says."""


def media_type_of(name: str, path: str) -> MediaType:
    """The type of the file at ``path`` uploaded as ``name``, checked against its bytes."""
    extension = PurePosixPath(name).suffix.lower()
    expected = TYPES.get(extension)
    if expected is None:
        raise NotTaken(f"{extension or 'a file without an extension'} is not an image, audio or video type Inkwell takes "
                       f"({', '.join(sorted(TYPES))})")
    try:
        with open(path, "rb") as file:
            found = puremagic.magic_stream(file)
    except (puremagic.PureError, ValueError):
        found = []
    sniffed = {match.extension.lower() for match in found}
    if not sniffed & expected.sniffed_as:
        seen = ", ".join(sorted(s for s in sniffed if s)) or "nothing recognisable"
        raise NotTaken(f"its content is not {expected.content_type} as its name says (it looks like {seen})")
    return expected
