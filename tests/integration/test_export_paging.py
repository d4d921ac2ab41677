"""The training exports' paging (app/export/paging.py): pages of any size give the same lines, and
an export stopped part-way (a download cancelled while the next page was being read) leaves the
database free for the next request."""

from __future__ import annotations

import asyncio

from tests.integration.test_preference import PAIRWISE, answer, pair_item, project_with


async def test_small_pages_give_the_same_lines_and_a_stopped_export_frees_the_database(ops, quick_user, db):
    from app.export.preference import export_preference

    pid = await project_with(ops, PAIRWISE, [pair_item(f"k{i}") for i in range(5)], overlap=1)
    _, api = await quick_user("contributor", pid)
    for _ in range(5):
        await answer(api, pid, lambda data: {"pref": {"preferred": "m2" if data["key"] in ("k1", "k3") else "m1"}})

    async def lines(page_size: int) -> list[bytes]:
        return [line for chunk in [c async for c in export_preference(db, pid, page_size=page_size)]
                for line in chunk.splitlines()]

    whole = await lines(1000)
    assert len(whole) == 5 and whole == await lines(1) == await lines(2)  # gold item g is never exported
    assert [line.count(b'"chosen_id":"m2"') for line in whole] == [0, 1, 0, 1, 0]

    stopped = export_preference(db, pid, page_size=1)
    first = await stopped.__anext__()  # the second page is being read now
    assert first.count(b"\n") == 1
    await stopped.aclose()
    assert await asyncio.wait_for(lines(2), timeout=10) == whole
    assert (await ops.get(f"/projects/{pid}/export", params={"format": "preference"})).text.encode().splitlines() == whole
