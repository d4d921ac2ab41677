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


async def test_the_workspace_shows_the_current_guidelines_after_each_change(server, ops, quick_user):
    """The rendered guidelines are kept per version: a new version shows at once, never the old text."""
    pid = await launched(ops, quality({"size": 1, "pass_threshold": 0.5}), gold=1, production=2)
    _, erin = await quick_user("contributor", pid)

    async def guidelines() -> str:
        async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {erin.token}"}) as http:
            html = (await http.get(f"/projects/{pid}/work")).text
        return html[html.index('<aside class="guidelines-column">'):]

    first = await guidelines()
    assert '<span class="muted">v1</span>' in first and "<h1>Sentiment</h1>" in first
    assert first == await guidelines(), "the same version shows the same"
    await ops.ok("PATCH", f"/projects/{pid}", json={"guidelines": "# v2: *sarcasm* is negative",
                                                    "changelog": "sarcasm"})
    second = await guidelines()
    assert '<span class="muted">v2</span>' in second and "<h1>v2: <em>sarcasm</em> is negative</h1>" in second
    assert "<h1>Sentiment</h1>" not in second
