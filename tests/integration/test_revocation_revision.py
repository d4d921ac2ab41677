"""A revocation ends a cached token on another process even before its announcement arrives there:
the shared revision number in Redis is checked on every cached bearer request (the announcement
arrives a moment after the revoking request has answered, and a request can come in between)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from app.accounts.models import User
from app.accounts.revocation import Revocations
from tests import support

pytestmark = pytest.mark.skipif(support.backend() != "postgres", reason="token caches are kept only with Redis")


async def test_a_cached_token_is_not_used_once_another_process_revoked_it():
    namespace = f"revision-test-{uuid.uuid4().hex[:8]}"
    redis_url = support.test_settings().redis_url
    # No channel layer on either: the announcement is never heard, only the revision number is.
    here, there = Revocations(None, namespace, redis_url=redis_url), Revocations(None, namespace, redis_url=redis_url)
    try:
        user = User(id=7, email="a@test.local", name="A", password_hash="x")
        assert await here.cached("hash-of-a") is None
        here.cache.put("hash-of-a", user, 70, ticket=here.cache.ticket())
        await here.cached("hash-of-a")  # the first check learns the current revision
        assert await here.cached("hash-of-a") == (user, 70)

        await there.after_commit([SimpleNamespace(action="token.revoked", subject_id=70)])

        assert await here.cached("hash-of-a") is None  # the database is asked again
        here.cache.put("hash-of-b", user, 71, ticket=here.cache.ticket())
        assert await here.cached("hash-of-b") == (user, 71)  # and caching goes on after
    finally:
        await here.redis.delete(here.revision_key)
        await here.stop()
        await there.stop()
