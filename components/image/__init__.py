"""An image shown to the contributor, fit to the width, with zoom and pan; boxes and polygons are
drawn on it.

The item's field holds a media reference (app/media/references.py): ``{"media": "sha256:<hash>",
"width", "height", …}`` for a file imported with the items, shown from ``/media/<hash>`` (served
with the page's session cookie, only to who may see the item), or ``{"media": "https://…"}`` for
an image elsewhere, shown as it is. Nothing shown depends on whether the item is gold: the URL is
the file's hash. The size in pixels is the reference's, which is what shape answers count in.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlsplit

from components._checks import is_number
from components.base import ConfigError, DisplayPart

HASH_PREFIX = "sha256:"
HEX = frozenset("0123456789abcdef")


def image_source(value: Any) -> dict[str, Any] | None:
    """What the page shows for a bound value: ``{src, width, height, name}``; None if it names no image."""
    if isinstance(value, str) and value.startswith("media:"):
        value = {"media": value[len("media:"):].strip()}  # a URL named in data imported without media
    if not isinstance(value, Mapping) or not isinstance(value.get("media"), str):
        return None
    target = value["media"]
    if target.startswith(HASH_PREFIX):
        digest = target[len(HASH_PREFIX):]
        if len(digest) != 64 or not set(digest) <= HEX:
            return None
        src = f"/media/{digest}"
    else:
        parts = urlsplit(target)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        src = target
    size = {key: value[key] for key in ("width", "height")
            if is_number(value.get(key)) and value[key] > 0}
    name = value.get("name") if isinstance(value.get("name"), str) else None
    return {"src": src, "width": size.get("width"), "height": size.get("height"), "name": name}


class ImageDisplay(DisplayPart):
    type = "image"
    description = "Shows an image from the item (a file imported with it, or an https URL), zoom and pan"

    def configure(self, config: Mapping[str, Any]) -> None:
        alt = config.get("alt")
        if alt is not None and (not isinstance(alt, str) or not alt.strip()):
            raise ConfigError("alt must be a non-empty text describing the image")
        self.alt = alt.strip() if isinstance(alt, str) else None

    def config(self) -> dict[str, Any]:
        return {"alt": self.alt} if self.alt else {}

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        schema = super().config_schema()
        schema["properties"].update({
            "value": {"type": "string", "description": '"$field": the item field holding the media reference'},
            "alt": {"type": "string", "description": "the text a screen reader reads for the image"}})
        schema["required"] = ["name", "type", "value"]
        return schema

    @property
    def alt_text(self) -> str:
        return self.alt or self.label

    def normalise(self, value: Any, assignment_id: int | None) -> dict[str, Any] | None:
        return image_source(value)

    def sample_bindings(self) -> list[tuple[Any, Any]]:
        """The builder's preview has no item: it shows the missing-image note."""
        return [(self.binding, None)]


COMPONENT = ImageDisplay
