"""Sign-in rate limits against password guessing (the ``limits`` library).

Failed sign-ins are counted per account (the normalised email) and per client address, in a
moving window: in memory on the embedded default (one process), in Redis with REDIS_URL so
every process counts together. Over a limit, the attempt is refused with 429 and Retry-After
before any password is checked, and it writes nothing (no hash, no event), so a flood costs
us almost nothing. Successful sign-ins are never counted.

So that an attacker hammering someone's account (or sharing their address, behind one NAT)
cannot lock the real person out, a browser that has signed in as an account before carries a
"known sign-in" cookie (an HMAC of the email, unforgeable without SECRET_KEY): its attempts for
that account are counted in a bucket of their own, with the same per-account limits, and not
per address.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from app.config import Settings

log = logging.getLogger(__name__)

KNOWN_SIGN_IN_COOKIE = "inkwell_known"
KNOWN_SIGN_IN_MAX_AGE = 365 * 24 * 3600


class SignInThrottle:
    def __init__(self, settings: Settings):
        self.per_account: list[RateLimitItem] = parse_many(settings.sign_in_limit_account)
        self.per_address: list[RateLimitItem] = parse_many(settings.sign_in_limit_address)
        self._secret = settings.secret_key.encode()
        storage: Storage
        if settings.redis_url:
            # redis-py's client (already a dependency), not coredis; keys carry the deployment's namespace.
            storage = RedisStorage("async+" + settings.redis_url, implementation="redispy", wrap_exceptions=True,
                                   key_prefix=f"{settings.channel_namespace}:signin",
                                   socket_connect_timeout=2, socket_timeout=5)
        else:
            storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(storage)

    def known_sign_in(self, email: str) -> str:
        """The cookie value that shows this browser once signed in as ``email``."""
        return hmac.new(self._secret, b"known-sign-in:" + email.encode(), hashlib.sha256).hexdigest()[:32]

    def _buckets(self, email: str, address: str, known: str | None) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        if known is not None and hmac.compare_digest(known, self.known_sign_in(email)):
            return [(item, ("known", email)) for item in self.per_account]
        return ([(item, ("account", email)) for item in self.per_account]
                + [(item, ("address", address)) for item in self.per_address])

    async def retry_after(self, email: str, address: str, known: str | None = None) -> int:
        """Seconds until this attempt would be allowed; 0: go ahead."""
        wait = 0.0
        try:
            for item, key in self._buckets(email, address, known):
                if not await self.limiter.test(item, *key):
                    stats = await self.limiter.get_window_stats(item, *key)
                    wait = max(wait, stats.reset_time - time.time(), 1.0)
        except StorageError:  # Redis unreachable: sign-in stays available (the outage is logged and on /readyz)
            log.exception("sign-in rate limit unavailable; attempt allowed")
            return 0
        return math.ceil(wait)

    async def failed(self, email: str, address: str, known: str | None = None) -> None:
        try:
            for item, key in self._buckets(email, address, known):
                await self.limiter.hit(item, *key)
        except StorageError:
            log.exception("sign-in rate limit unavailable; failure not counted")
