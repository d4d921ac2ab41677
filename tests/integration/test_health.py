"""The health probes: /healthz answers while the process lives; /readyz says whether the database
and Redis answer (503 when one does not), to anyone, without revealing where they are."""

from __future__ import annotations

import dataclasses
import re

import httpx

from tests.support import ServerThread, backend, free_port

#: Nothing about the deployment's addresses or credentials belongs in a public probe.
REVEALING = re.compile(r"postgres|sqlite|redis://|127\.0\.0\.1|localhost|inkwell_|\.db\b|password", re.IGNORECASE)


async def test_readyz_reports_every_part_to_anyone(server):
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as anonymous:
        assert (await anonymous.get("/healthz")).json() == {"status": "ok"}
        response = await anonymous.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    with_redis = backend() == "postgres"
    assert body | {"worker": None} == {
        "status": "ready", "database": "ok", "redis": "ok" if with_redis else "not configured",
        "channels": "subscribed" if with_redis else "in-memory", "worker": None}
    assert set(body["worker"]) == {"last_reclaim_at", "late"}
    assert response.headers["cache-control"] == "no-store"
    assert not REVEALING.search(response.text), response.text


async def test_readyz_is_503_when_the_database_does_not_answer(settings):
    if settings.is_sqlite:
        unreachable = "sqlite+aiosqlite:////nonexistent-folder/inkwell/test.db"
    else:
        unreachable = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing"
    broken = ServerThread(dataclasses.replace(settings, database_url=unreachable)).start()
    try:
        async with httpx.AsyncClient(base_url=broken.url, timeout=10) as anonymous:
            assert (await anonymous.get("/healthz")).status_code == 200  # alive, just not ready
            response = await anonymous.get("/readyz")
    finally:
        broken.stop()
    assert response.status_code == 503, response.text
    assert response.json()["status"] == "unavailable" and response.json()["database"] == "unreachable"
    assert not REVEALING.search(response.text), response.text
