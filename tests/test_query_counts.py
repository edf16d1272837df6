"""List endpoints cost a fixed number of SQL statements, whatever the page holds.

Counts are compared between a page of 1 and a page of 100 rather than
hard-coded: transaction statements (SQLite's BEGIN, SAVEPOINTs) differ by
database. Where both pages have more rows after them, both take the same path
through `fetch_page` (page query plus count query).
"""

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from tests.fixtures.items import create_items
from tests.fixtures.query_counter import QueryCounter, QueryLog
from tests.fixtures.users import create_user

ITEMS = "/api/v1/items"


async def list_items_counting(
    client: httpx.AsyncClient,
    query_counter: QueryCounter,
    headers: dict[str, str],
    *,
    limit: int,
    expected_rows: int,
) -> QueryLog:
    with query_counter() as queries:
        response = await client.get(
            ITEMS,
            params={"limit": limit, "sort": "title", "count": "exact"},
            headers=headers,
        )
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == expected_rows
    return queries


async def test_listing_100_items_costs_the_same_statements_as_1(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    query_counter: QueryCounter,
) -> None:
    await create_items(db_session, user, 2)
    one = await list_items_counting(
        client, query_counter, user_headers, limit=1, expected_rows=1
    )
    await create_items(db_session, user, 99)
    hundred = await list_items_counting(
        client, query_counter, user_headers, limit=100, expected_rows=100
    )

    assert hundred.count == one.count
    # The page and its total; nothing per row.
    assert len(hundred.touching("items")) == 2


async def test_without_count_exact_a_page_is_one_statement(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    query_counter: QueryCounter,
) -> None:
    await create_items(db_session, user, 5)

    with query_counter() as first_queries:
        first = await client.get(ITEMS, params={"limit": 2}, headers=user_headers)
    cursor = first.json()["next_cursor"]
    with query_counter() as next_queries:
        following = await client.get(
            ITEMS, params={"limit": 2, "cursor": cursor}, headers=user_headers
        )

    assert first.json()["total"] is None
    assert len(following.json()["items"]) == 2
    assert len(first_queries.touching("items")) == 1
    assert len(next_queries.touching("items")) == 1


async def test_a_first_page_holding_the_whole_set_counts_it_for_free(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    query_counter: QueryCounter,
) -> None:
    await create_items(db_session, user, 5)

    with query_counter() as queries:
        response = await client.get(
            ITEMS, params={"limit": 5, "count": "exact"}, headers=user_headers
        )

    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == 5
    assert response.json()["total"] == 5
    assert len(queries.touching("items")) == 1


async def test_a_later_page_counts_the_set_when_asked(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    query_counter: QueryCounter,
) -> None:
    await create_items(db_session, user, 3)
    first = await client.get(ITEMS, params={"limit": 2}, headers=user_headers)

    with query_counter() as queries:
        response = await client.get(
            ITEMS,
            params={
                "limit": 2,
                "cursor": first.json()["next_cursor"],
                "count": "exact",
            },
            headers=user_headers,
        )

    body = response.json()
    assert (len(body["items"]), body["total"], body["next_cursor"]) == (1, 3, None)
    assert len(queries.touching("items")) == 2


async def test_a_first_page_with_room_left_skips_the_count_query(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    query_counter: QueryCounter,
) -> None:
    await create_items(db_session, user, 1)
    one = await list_items_counting(
        client, query_counter, user_headers, limit=100, expected_rows=1
    )
    await create_items(db_session, user, 98)
    many = await list_items_counting(
        client, query_counter, user_headers, limit=100, expected_rows=99
    )

    assert many.count == one.count
    assert len(many.touching("items")) == 1


async def test_superuser_listing_many_owners_costs_the_same_as_one(
    isolated_app: FastAPI,
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    superuser_headers: dict[str, str],
    query_counter: QueryCounter,
) -> None:
    await create_items(db_session, user, 1)
    one = await list_items_counting(
        client, query_counter, superuser_headers, limit=1, expected_rows=1
    )
    for _ in range(9):
        owner = await create_user(isolated_app, db_session)
        await create_items(db_session, owner, 11)
    hundred = await list_items_counting(
        client, query_counter, superuser_headers, limit=100, expected_rows=100
    )

    assert hundred.count == one.count
    assert len(hundred.touching("users")) == len(one.touching("users"))
