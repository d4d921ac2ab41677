"""What an import measures of a file: an image's size (Pillow), audio and video duration, sample
rate and frame size (PyAV, whose wheels carry FFmpeg, so no system package is needed).

Each reader also decodes enough to prove the file is readable: an image is decoded whole (a
truncated one fails), audio and video their first frame. A file that fails is refused with
its line and name, never stored on an item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import av
from PIL import Image

from app.media.sniffing import MediaType


@dataclass(frozen=True)
class Measured:
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    sample_rate: int | None = None


class Unreadable(ValueError):
    """The file is its type by its first bytes but cannot be read as one."""


def measure(file: BinaryIO, media_type: MediaType) -> Measured:
    """What ``file`` (read from its start) holds; Unreadable when it cannot be decoded as its type."""
    file.seek(0)
    try:
        if media_type.content_type == "image/svg+xml":
            return Measured()  # never rendered by us: served as an attachment
        if media_type.kind == "image":
            return _image(file)
        return _timed(file, media_type.kind)
    except Unreadable:
        raise
    except Exception as exc:  # every decoder error means the same to the importer: unreadable
        raise Unreadable(f"cannot be read as {media_type.content_type}: {exc}") from None


def _image(file: BinaryIO) -> Measured:
    with Image.open(file) as image:  # reads the header only
        width, height = image.size
        limit = Image.MAX_IMAGE_PIXELS
        if limit and width * height > limit:  # a pixel bomb is refused, not decoded (checked here, not by
            # turning Pillow's warning into an error: warning filters are global, and files are measured in threads)
            raise Image.DecompressionBombError(f"{width * height} pixels is more than the {limit} an image may have")
        image.load()
    return Measured(width=width, height=height)


def _timed(file: BinaryIO, kind: str) -> Measured:
    with av.open(file, mode="r") as container:  # not the file's own mode ("w+b")
        streams = container.streams.video if kind == "video" else container.streams.audio
        if not streams:
            raise Unreadable(f"has no {kind} stream")
        stream = streams[0]
        next(container.decode(stream))  # StopIteration / av.error.*: nothing decodable
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        audio = container.streams.audio[0] if container.streams.audio else None
        sample_rate = audio.codec_context.sample_rate if audio is not None else None
        if kind == "video":
            return Measured(width=stream.codec_context.width, height=stream.codec_context.height,
                            duration_s=duration, sample_rate=sample_rate)
        return Measured(duration_s=duration, sample_rate=sample_rate)
