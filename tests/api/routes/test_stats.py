"""GET /api/v1/stats: superusers only, counted in the database, cached per app.

Each test that reads figures builds its own app (`app_factory`), so its cache
starts empty and has the STATS_CACHE_SECONDS the test needs; the requests
still run inside the test's rolled-back transaction.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import User
from tests.fixtures.app import http_client
from tests.fixtures.app_factory import AppFactory, join_test_transaction
from tests.fixtures.items import create_items
from tests.fixtures.query_counter import QueryCounter
from tests.fixtures.users import create_user

STATS = "/api/v1/stats"

StatsReader = Callable[[], Awaitable[dict[str, Any]]]


@pytest.fixture
def stats_reader(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    superuser_headers: dict[str, str],
) -> Callable[[float], StatsReader]:
    """`stats_reader(cache_seconds)`: reads /stats from a fresh app as superuser."""

    def build(cache_seconds: float) -> StatsReader:
        application = join_test_transaction(
            app_factory(STATS_CACHE_SECONDS=cache_seconds), test_sessionmaker
        )

        async def read() -> dict[str, Any]:
            async with http_client(application) as http:
                response = await http.get(STATS, headers=superuser_headers)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        return read

    return build


def computed_at(stats: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(stats["computed_at"])


async def test_stats_require_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(STATS)

    assert response.status_code == 401


async def test_stats_are_forbidden_to_ordinary_users(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.get(STATS, headers=user_headers)

    assert response.status_code == 403


async def test_stats_count_users_by_state_and_age_and_items(
    isolated_app: FastAPI,
    db_session: AsyncSession,
    user: User,
    superuser: User,
    stats_reader: Callable[[float], StatsReader],
) -> None:
    now = datetime.now(UTC)
    await create_user(
        isolated_app,
        db_session,
        is_active=False,
        is_verified=False,
        created_at=now - timedelta(days=20),
    )
    await create_user(
        isolated_app, db_session, is_verified=False, created_at=now - timedelta(days=60)
    )
    await create_items(db_session, user, 3)
    await create_items(db_session, superuser, 2)

    stats = await stats_reader(0)()

    assert stats["users"] == {
        "total": 4,
        "active": 3,
        "verified": 2,
        "superusers": 1,
        "created_last_7_days": 2,
        "created_last_30_days": 3,
    }
    assert stats["items"] == {"total": 5}
    assert now <= computed_at(stats) <= datetime.now(UTC)


async def test_stats_are_served_from_the_cache_until_it_expires(
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
    stats_reader: Callable[[float], StatsReader],
) -> None:
    read_cached = stats_reader(3600)
    read_uncached = stats_reader(0)
    first = await read_cached()
    uncached_first = await read_uncached()

    await create_user(isolated_app, db_session)
    second = await read_cached()
    uncached_second = await read_uncached()

    assert second == first  # same figures, same computed_at
    assert first["users"]["total"] == 1
    assert uncached_first["users"]["total"] == 1
    assert uncached_second["users"]["total"] == 2
    assert computed_at(uncached_second) > computed_at(uncached_first)


async def test_stats_cost_one_aggregate_query_per_table_then_none(
    superuser: User,
    stats_reader: Callable[[float], StatsReader],
    query_counter: QueryCounter,
) -> None:
    read = stats_reader(3600)

    with query_counter() as computing:
        await read()
    with query_counter() as cached:
        await read()

    # The users lookups beyond the aggregate are the token's owner being loaded.
    assert len(computing.touching("users")) == len(cached.touching("users")) + 1
    assert len(computing.touching("items")) == 1
    assert cached.touching("items") == []


SHARED_REDIS = "redis://127.0.0.1:6379/14"


async def test_stats_are_shared_through_redis_by_apps_with_one_prefix(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    superuser_headers: dict[str, str],
    db_session: AsyncSession,
) -> None:
    prefix = f"test-stats-{uuid.uuid4().hex}"

    def instance(key_prefix: str) -> FastAPI:
        return join_test_transaction(
            app_factory(
                STATS_CACHE_SECONDS=60,
                REDIS_URL=SHARED_REDIS,
                REDIS_KEY_PREFIX=key_prefix,
            ),
            test_sessionmaker,
        )

    a, b, other = instance(prefix), instance(prefix), instance(f"{prefix}-other")
    redis = aioredis.Redis.from_url(SHARED_REDIS)
    try:
        async with http_client(a) as http:
            first = (await http.get(STATS, headers=superuser_headers)).json()
        await create_user(a, db_session, email="after-the-cache@example.com")
        async with http_client(b) as http:
            second = (await http.get(STATS, headers=superuser_headers)).json()
        async with http_client(other) as http:
            elsewhere = (await http.get(STATS, headers=superuser_headers)).json()
        ttl_ms = await redis.pttl(f"{prefix}:stats:v1")
    finally:
        for application in (a, b, other):
            await application.state.redis.aclose()
        async for key in redis.scan_iter(match=f"{prefix}*"):
            await redis.delete(key)
        await redis.aclose()

    # Instance B answers what A computed and stored: one cache for the deployment.
    assert second == first
    assert 0 < ttl_ms <= 60_000
    # Another prefix is another deployment, with its own (fresher) figures.
    assert elsewhere["users"]["total"] == first["users"]["total"] + 1
