"""The live channels themselves: pushes reach every subscriber, and nothing is rendered for nobody."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from app.realtime import Publisher, make_channels_plugin
from tests.support import backend


@pytest.mark.skipif(backend() != "postgres", reason="Redis runs with the PostgreSQL pass")
async def test_many_channels_subscribed_at_once_on_a_fresh_process_all_deliver(settings):
    """A restart: every browser reconnects at once, each socket on its own channel. Before the
    subscribe lock, only one of twenty channels delivered (the others' connections were never read)."""
    plugin = make_channels_plugin(settings.redis_url)
    fresh = plugin._backend
    names = [f"test:{uuid.uuid4().hex}:{n}" for n in range(20)]
    await fresh.on_startup()
    try:
        await asyncio.gather(*(fresh.subscribe([name]) for name in names))
        publisher = make_channels_plugin(settings.redis_url)._backend
        for name in names:
            await publisher.publish(name.encode(), [name])
        received: set[str] = set()

        async def read() -> None:
            async for channel, _ in fresh.stream_events():
                received.add(channel)
                if len(received) == len(names):
                    return

        await asyncio.wait_for(read(), 5)
        assert received == set(names)
        assert await fresh.subscribers(names[:3]) == 3
    finally:
        await fresh.on_shutdown()


async def test_a_view_nobody_watches_is_not_rendered():
    plugin = make_channels_plugin(None)
    renders: list[int] = []

    async def board(project_id: int) -> dict[str, bytes]:
        renders.append(project_id)
        return {"board": b"1\n<div></div>"}

    publisher = Publisher(plugin, "test", renderers={"board": board})
    plugin._channels = {}  # as the plugin holds them before anyone subscribes
    publisher.changed("board", 7)
    await publisher.drain()
    assert renders == []
    plugin._channels = {publisher.channel("board:members", 7): {object()}}  # a client watches
    publisher._last_render.clear()
    publisher.changed("board", 7)
    await publisher.drain()
    assert renders == [7]
