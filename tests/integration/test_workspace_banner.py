"""The workspace opens with the contributor's standing banner and inbox read on their own (not the
whole record): it must show exactly what their record page shows, in every state a person meets."""

from __future__ import annotations

import re

import httpx

from tests.integration.test_quality_scenarios import answer, launched, quality


def fragments(html: str, pid: int) -> tuple[str, str]:
    """The banner and the inbox as rendered (templates/quality/_live.html)."""
    banner = re.search(rf'<div id="standing-{pid}".*?</div>', html, re.S)
    inbox = re.search(rf'<ol id="inbox-{pid}".*?</ol>', html, re.S)
    assert banner and inbox, html[:2000]
    return banner.group(0), inbox.group(0)


async def pages(server, api, pid: int) -> tuple[tuple[str, str], tuple[str, str]]:
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {api.token}"}) as http:
        work, record = await http.get(f"/projects/{pid}/work"), await http.get(f"/projects/{pid}/me")
    assert work.status_code == record.status_code == 200, (work.text[:500], record.text[:500])
    return fragments(work.text, pid), fragments(record.text, pid)


async def test_the_workspace_banner_and_inbox_are_the_record_pages(server, ops, quick_user):
    pid = await launched(ops, quality({"size": 1, "pass_threshold": 1.0, "retry": "cooldown", "cooldown_hours": 1}),
                         gold=2, production=2)
    _, carol = await quick_user("contributor", pid, qualified=False)
    work, record = await pages(server, carol, pid)  # nothing answered: no standing row yet
    assert work == record and "Benchmark:" in work[0] and "No feedback yet." in work[1]

    await answer(carol, pid, "neg")  # the benchmark failed, a retry in an hour
    work, record = await pages(server, carol, pid)
    assert work == record, (work, record)
    assert "Benchmark not passed." in work[0] and "not passed: 0% on the benchmark" in work[0]
    assert "Benchmark not passed yet" in work[1]

    _, dan = await quick_user("contributor", pid, qualified=False)
    await answer(dan, pid, "pos")  # passed: qualified, the gate's feedback in the inbox
    work, record = await pages(server, dan, pid)
    assert work == record, (work, record)
    assert "Qualified." in work[0] and "You are qualified for production" in work[1]
