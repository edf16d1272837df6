"""Moving-window rate limiting with the `limits` library.

Counters live in Redis when `REDIS_URL` is set (shared by every worker) and in
process memory otherwise. If Redis stops answering, the limiter falls back to
memory, logs it once, and tries Redis again after a short pause: a rate limiter
must never be the reason a request fails.

Memory counters are per process: with several workers or instances each grants
the whole budget, so more than one process needs REDIS_URL (the app warns at
start-up in production). The fallback is a degraded mode for a Redis outage,
where limits still hold per process rather than not at all.
"""

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)

REDIS_RETRY_AFTER_SECONDS = 5.0
REDIS_SOCKET_TIMEOUT_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


class RateLimiter:
    def __init__(self, redis_url: str | None, key_prefix: str = "gatehouse") -> None:
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._redis: MovingWindowRateLimiter | None = None
        if redis_url:
            storage = RedisStorage(
                _async_uri(redis_url),
                implementation="redispy",
                key_prefix=key_prefix,
                socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
            )
            self._redis = MovingWindowRateLimiter(storage)
        self._redis_paused_until = 0.0

    @property
    def using_redis(self) -> bool:
        return self._redis is not None and time.monotonic() >= self._redis_paused_until

    async def hit(self, limit: RateLimitItem, *key: str) -> Verdict:
        """Count one event against `limit` for `key`; refused if over the limit."""
        return await self._run(limit, key, consume=True)

    async def check(self, limit: RateLimitItem, *key: str) -> Verdict:
        """Whether one more event would be allowed, without counting it."""
        return await self._run(limit, key, consume=False)

    async def _run(
        self, limit: RateLimitItem, key: tuple[str, ...], consume: bool
    ) -> Verdict:
        if self._redis is not None and self.using_redis:
            try:
                return await _apply(self._redis, limit, key, consume)
            except Exception as exc:
                self._redis_paused_until = time.monotonic() + REDIS_RETRY_AFTER_SECONDS
                logger.warning(
                    "rate limiting falls back to memory: Redis unavailable (%s)",
                    type(exc).__name__,
                )
        return await _apply(self._memory, limit, key, consume)


async def _apply(
    limiter: MovingWindowRateLimiter,
    limit: RateLimitItem,
    key: tuple[str, ...],
    consume: bool,
) -> Verdict:
    allowed = await (limiter.hit if consume else limiter.test)(limit, *key)
    if allowed:
        return Verdict(allowed=True)
    stats = await limiter.get_window_stats(limit, *key)
    return Verdict(
        allowed=False, retry_after=max(1, math.ceil(stats.reset_time - time.time()))
    )


def _async_uri(url: str) -> str:
    return url if url.startswith("async+") else f"async+{url}"


def parse_limit(text: str) -> RateLimitItem:
    """`"10/minute"`, `"5 per 5 minutes"`... as the `limits` library reads them."""
    return parse(text)
