"""Listing users costs the same number of SQL statements for 2 rows as for 100."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from tests.fixtures.query_counter import QueryCounter


async def add_users(session: AsyncSession, count: int, start: int) -> None:
    session.add_all(
        User(
            email=f"bulk{n}@example.com",
            hashed_password="not-a-real-hash",
            full_name=f"Bulk {n}",
        )
        for n in range(start, start + count)
    )
    await session.commit()


async def test_listing_users_is_a_constant_number_of_statements(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
    query_counter: QueryCounter,
) -> None:
    await add_users(db_session, 2, start=0)
    with query_counter() as small:
        few = await client.get(
            "/api/v1/users", params={"limit": 2}, headers=superuser_headers
        )
    await add_users(db_session, 118, start=2)
    with query_counter() as large:
        many = await client.get(
            "/api/v1/users", params={"limit": 100}, headers=superuser_headers
        )

    assert len(few.json()["items"]) == 2
    assert len(many.json()["items"]) == 100
    assert many.json()["total"] == 121
    assert large.count == small.count
    assert len(large.touching("users")) == 3  # current user, page, total
    # The page's roles and permissions: one query for the whole page (the
    # superuser's permission check costs none).
    assert len(large.touching("user_roles")) == 1
