"""The app's Redis client, shared by everything that must agree across instances.

Only created when REDIS_URL is set. Short socket timeouts: a Redis that stops
answering makes its users fall back (rate limits to memory, the /stats cache to
the process), it never holds a request for long.
"""

from redis.asyncio import Redis

SOCKET_TIMEOUT_SECONDS = 0.25


def create_redis(url: str) -> Redis:
    return Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
    )


def redis_key(prefix: str, *parts: str) -> str:
    """`prefix:part:part`, the one spelling of the app's Redis keys."""
    return ":".join((prefix, *parts))
