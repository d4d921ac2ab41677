"""What an import measures of a file: an image's size (Pillow), audio and video duration, sample
rate and frame size (PyAV, whose wheels carry FFmpeg, so no system package is needed).

Each reader also decodes enough to prove the file is readable: an image is decoded whole (a
truncated one fails), audio and video their first frame. A file that fails is refused with
its line and name, never stored on an item.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

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


def measure(path: str, media_type: MediaType) -> Measured:
    try:
        if media_type.content_type == "image/svg+xml":
            return Measured()  # never rendered by us: served as an attachment
        if media_type.kind == "image":
            return _image(path)
        return _timed(path, media_type.kind)
    except Unreadable:
        raise
    except Exception as exc:  # every decoder error means the same to the importer: unreadable
        raise Unreadable(f"cannot be read as {media_type.content_type}: {exc}") from None


def _image(path: str) -> Measured:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)  # a pixel bomb is refused, not decoded
        with Image.open(path) as image:
            image.load()
            width, height = image.size
    return Measured(width=width, height=height)


def _timed(path: str, kind: str) -> Measured:
    with av.open(path) as container:
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
