"""What the builder's preview shows the display parts with: the project's first item, else a sample.

Ops see the parts with real data as soon as the project has items, so a wrong binding ("$txt")
shows at once; before that, each display part offers a sample for its bindings."""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.items.models import Item
from components.base import Interface


async def first_item(session: AsyncSession, project_id: int) -> tuple[int, dict[str, Any]] | None:
    """(id, data) of the project's first item, or None."""
    row = (await session.execute(select(Item.id, Item.data).where(Item.project_id == project_id)
                                 .order_by(Item.id).limit(1))).first()
    return (row.id, row.data if isinstance(row.data, Mapping) else {}) if row is not None else None


def _place(data: dict[str, Any], binding: Any, value: Any) -> None:
    """Put ``value`` where ``$a.b`` reads it (literals and "$" read nothing)."""
    if not isinstance(binding, str) or not binding.startswith("$") or binding in ("$", "$."):
        return
    keys = binding[1:].split(".")
    target = data
    for key in keys[:-1]:
        nested = target.get(key)
        if not isinstance(nested, dict):
            nested = target[key] = {}
        target = nested
    target.setdefault(keys[-1], value)


def sample_item(interface: Interface) -> dict[str, Any]:
    """Item data that every display part of the interface has something to show from."""
    data: dict[str, Any] = {}
    for part in interface.displays:
        samples = getattr(part, "sample_bindings", None)
        for binding, value in samples() if callable(samples) else [(part.binding, "Sample")]:
            _place(data, binding, value)
    return data


def preview_context(interface: Interface | None, real: tuple[int, dict[str, Any]] | None) -> dict[str, Any]:
    """The preview's item: the real one when there is one."""
    if interface is None or not interface.displays:
        return {"preview_item": None, "preview_item_id": None}
    if real is not None:
        return {"preview_item": real[1], "preview_item_id": real[0]}
    return {"preview_item": sample_item(interface), "preview_item_id": None}
