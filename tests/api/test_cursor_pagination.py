"""Keyset (cursor) pagination, the same on every list: stable, tamper-proof, flat.

A page's `next_cursor` is the only way to the next one; it is signed with the
server's secret, so a changed, foreign or mismatched cursor is a 422 naming
`cursor`, never a 500 or someone else's rows. `total` is counted only with
`count=exact`.
"""

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.cursors import CursorCodec
from app.db.listing import Position
from app.models import User
from tests.fixtures.items import create_items
from tests.fixtures.listing import walk_pages
from tests.fixtures.query_counter import QueryCounter
from tests.fixtures.users import create_user, login

ITEMS = "/api/v1/items"


@pytest.fixture
async def other_user(isolated_app: FastAPI, db_session: AsyncSession) -> User:
    return await create_user(isolated_app, db_session, email="other@example.com")


def ids(pages: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for page in pages for item in page["items"]]


def cursor_errors(response: httpx.Response) -> list[Any]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    return [error["loc"] for error in detail]


async def first_cursor(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> str:
    response = await client.get(ITEMS, params={"limit": 2, **params}, headers=headers)
    assert response.status_code == 200, response.text
    cursor: str = response.json()["next_cursor"]
    assert cursor
    return cursor


# --- stability -------------------------------------------------------------------


@pytest.mark.parametrize(
    "sort", ["-created_at", "created_at", "title", "-title", "-updated_at"]
)
async def test_walking_the_cursors_lists_every_row_once_in_order(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    sort: str,
) -> None:
    # Written in one flush: many share their database-set timestamp, and some
    # their title, so the id tie-break decides.
    await create_items(db_session, user, 12, title="Item {n}")
    await create_items(db_session, user, 5, title="Same")

    pages = await walk_pages(client, ITEMS, user_headers, sort=sort, limit=4)
    whole = await walk_pages(client, ITEMS, user_headers, sort=sort, limit=100)

    assert [len(page["items"]) for page in pages] == [4, 4, 4, 4, 1]
    assert ids(pages) == ids(whole)
    assert len(set(ids(pages))) == 17


async def test_rows_added_during_a_walk_neither_repeat_nor_shift_the_rest(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 9, title="Old {n}")
    before = ids(await walk_pages(client, ITEMS, user_headers, limit=100))

    first = (await client.get(ITEMS, params={"limit": 3}, headers=user_headers)).json()
    # Newer rows come first in the default order: with offsets they would push
    # the rows already seen onto the next page.
    # (Dated explicitly: in a test's one transaction PostgreSQL's now() stands still.)
    await create_items(
        db_session,
        user,
        3,
        title="New {n}",
        created_at=datetime(2100, 1, 1, tzinfo=UTC),
    )
    rest = await walk_pages(
        client, ITEMS, user_headers, limit=3, cursor=first["next_cursor"]
    )

    assert ids([first, *rest]) == before


async def test_deleted_rows_do_not_skip_the_next_ones(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 6, title="Item {n}")
    first = (
        await client.get(
            ITEMS, params={"limit": 2, "sort": "title"}, headers=user_headers
        )
    ).json()
    # The page's last row goes away: its cursor still says where the page ended.
    deleted = await client.delete(
        f"{ITEMS}/{first['items'][-1]['id']}", headers=user_headers
    )
    assert deleted.status_code == 204

    rest = await walk_pages(
        client, ITEMS, user_headers, limit=2, sort="title", cursor=first["next_cursor"]
    )

    titles = [item["title"] for page in rest for item in page["items"]]
    assert titles == ["Item 3", "Item 4", "Item 5", "Item 6"]


# --- a deep page costs what the first does ----------------------------------------


async def test_a_deep_page_is_one_statement_like_the_first(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    query_counter: QueryCounter,
) -> None:
    await create_items(db_session, user, 300, title="Item {n:03}")
    cursor = None
    for _ in range(29):  # to page 30 of 10
        params = {
            "limit": 10,
            "sort": "title",
            **({"cursor": cursor} if cursor else {}),
        }
        cursor = (await client.get(ITEMS, params=params, headers=user_headers)).json()[
            "next_cursor"
        ]

    with query_counter() as first_queries:
        await client.get(
            ITEMS, params={"limit": 10, "sort": "title"}, headers=user_headers
        )
    with query_counter() as deep_queries:
        deep = await client.get(
            ITEMS,
            params={"limit": 10, "sort": "title", "cursor": cursor},
            headers=user_headers,
        )

    body = deep.json()
    assert [item["title"] for item in body["items"]] == [
        f"Item {n:03}" for n in range(291, 301)
    ]
    assert body["next_cursor"] is None
    assert deep_queries.count == first_queries.count
    (page_query,) = deep_queries.touching("items")
    # Where the previous page ended is a range on the sort column (its index),
    # not a number of rows to walk past.
    assert "items.title >=" in page_query


# --- counting ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ITEMS, "/api/v1/users", "/api/v1/audit-events"])
async def test_total_is_null_unless_count_exact(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
    path: str,
) -> None:
    await create_items(db_session, superuser, 3)

    default = await client.get(path, params={"limit": 1}, headers=superuser_headers)
    exact = await client.get(
        path, params={"limit": 1, "count": "exact"}, headers=superuser_headers
    )

    assert default.status_code == exact.status_code == 200
    assert default.json()["total"] is None
    assert exact.json()["total"] >= 1
    assert set(default.json()) == {"items", "total", "limit", "next_cursor"}


# --- tampering -------------------------------------------------------------------


def flipped(text: str, index: int) -> str:
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


async def test_a_changed_cursor_is_422_naming_cursor(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 5)
    cursor = await first_cursor(client, user_headers)
    body, _, signature = cursor.partition(".")
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    # The same cursor pointing elsewhere, with the original signature.
    forged_payload = payload.replace(b"-created_at", b"-updated_at")
    forged = base64.urlsafe_b64encode(forged_payload).rstrip(b"=").decode()

    for bad in (
        flipped(cursor, 3),
        flipped(cursor, len(cursor) - 2),
        f"{forged}.{signature}",
        body,
        "not a cursor",
        "!!!.???",
        ".",
    ):
        response = await client.get(ITEMS, params={"cursor": bad}, headers=user_headers)
        assert cursor_errors(response) == [["query", "cursor"]], bad


async def test_another_servers_cursor_is_422(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    foreign = CursorCodec("some-other-server-secret").encode(
        Position("-created_at", datetime(2026, 1, 1, tzinfo=UTC), uuid.uuid4())
    )

    response = await client.get(ITEMS, params={"cursor": foreign}, headers=user_headers)

    assert cursor_errors(response) == [["query", "cursor"]]


async def test_a_cursor_used_with_another_sort_is_422(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 5)
    by_title = await first_cursor(client, user_headers, sort="title")

    response = await client.get(
        ITEMS, params={"cursor": by_title, "sort": "-title"}, headers=user_headers
    )

    assert cursor_errors(response) == [["query", "cursor"]]
    assert "sort=title" in response.json()["detail"][0]["msg"]


async def test_one_users_cursor_shows_another_user_nothing_of_theirs(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    other_user: User,
    user_headers: dict[str, str],
) -> None:
    await create_items(db_session, other_user, 5, title="Theirs {n}")
    await create_items(db_session, user, 1, title="Mine")
    theirs = await first_cursor(client, await login(client, other_user.email))

    response = await client.get(ITEMS, params={"cursor": theirs}, headers=user_headers)

    # A cursor is a position in the order, not a permission: the filters still
    # apply, so at most the caller's own rows after that position.
    assert response.status_code == 200
    assert all(item["owner_id"] == str(user.id) for item in response.json()["items"])
