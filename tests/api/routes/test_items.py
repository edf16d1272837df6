"""Items through HTTP: CRUD, ownership (IDOR), listing, filters and cascades."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Item, User
from tests.fixtures.items import create_item, create_items
from tests.fixtures.listing import walk_pages
from tests.fixtures.users import create_user, login

ITEMS = "/api/v1/items"
NOT_FOUND = {"detail": "ITEM_NOT_FOUND"}


@pytest.fixture
async def other_user(isolated_app: FastAPI, db_session: AsyncSession) -> User:
    return await create_user(isolated_app, db_session, email="other@example.com")


@pytest.fixture
async def other_headers(client: httpx.AsyncClient, other_user: User) -> dict[str, str]:
    return await login(client, other_user.email)


async def list_page(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    """One page, with its exact total unless `count` says otherwise."""
    params.setdefault("count", "exact")
    response = await client.get(ITEMS, headers=headers, params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


def error_locs(response: httpx.Response) -> list[list[str | int]]:
    return [error["loc"] for error in response.json()["detail"]]


# --- create -------------------------------------------------------------------


async def test_create_item_is_owned_by_the_current_user(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.post(
        ITEMS,
        json={"title": "  Buy milk  ", "description": "Two litres"},
        headers=user_headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["title"] == "Buy milk"
    assert body["description"] == "Two litres"
    assert body["owner_id"] == str(user.id)
    assert set(body) == {
        "id",
        "title",
        "description",
        "owner_id",
        "created_at",
        "updated_at",
    }
    read = await client.get(f"{ITEMS}/{body['id']}", headers=user_headers)
    assert read.json() == body


async def test_create_item_without_description_stores_null(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.post(ITEMS, json={"title": "Bare"}, headers=user_headers)

    assert response.status_code == 201
    assert response.json()["description"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   \t "}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"title": 42}, "title"),
        ({"title": "nul \u0000 byte"}, "title"),
        ({"title": "ok", "description": "x" * 10_001}, "description"),
        ({"title": "ok", "description": "nul \u0000"}, "description"),
    ],
)
async def test_create_item_refuses_invalid_fields(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user_headers: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(ITEMS, json=body, headers=user_headers)

    assert response.status_code == 422, response.text
    assert ["body", field] in error_locs(response)
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 0


async def test_create_item_accepts_the_longest_title_and_description(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    body = {"title": "t" * 255, "description": "d" * 10_000}

    response = await client.post(ITEMS, json=body, headers=user_headers)

    assert response.status_code == 201, response.text
    assert response.json()["title"] == body["title"]
    assert response.json()["description"] == body["description"]


# --- authentication ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ITEMS),
        ("POST", ITEMS),
        ("GET", f"{ITEMS}/{uuid.uuid4()}"),
        ("PATCH", f"{ITEMS}/{uuid.uuid4()}"),
        ("DELETE", f"{ITEMS}/{uuid.uuid4()}"),
    ],
)
async def test_items_require_a_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={"title": "x"})

    assert response.status_code == 401


async def test_deactivated_users_token_is_refused(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    item = await create_item(db_session, user)
    user.is_active = False
    await db_session.commit()

    assert (await client.get(ITEMS, headers=user_headers)).status_code == 401
    response = await client.get(f"{ITEMS}/{item.id}", headers=user_headers)
    assert response.status_code == 401


# --- read, update, delete -----------------------------------------------------


async def test_missing_item_is_404(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    missing = f"{ITEMS}/{uuid.uuid4()}"

    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method, missing, json={"title": "x"}, headers=user_headers
        )
        assert response.status_code == 404, method
        assert response.json() == NOT_FOUND


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_malformed_item_id_is_422(
    client: httpx.AsyncClient, user_headers: dict[str, str], method: str
) -> None:
    response = await client.request(
        method, f"{ITEMS}/not-a-uuid", json={"title": "x"}, headers=user_headers
    )

    assert response.status_code == 422
    assert ["path", "item_id"] in error_locs(response)


async def test_other_users_item_is_404_and_unchanged(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    other_headers: dict[str, str],
) -> None:
    item = await create_item(db_session, user, title="Mine", description="Private")
    path = f"{ITEMS}/{item.id}"

    read = await client.get(path, headers=other_headers)
    update = await client.patch(path, json={"title": "Stolen"}, headers=other_headers)
    removal = await client.delete(path, headers=other_headers)

    for response in (read, update, removal):
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    owner_view = await client.get(path, headers=user_headers)
    assert owner_view.status_code == 200
    assert owner_view.json()["title"] == "Mine"
    assert owner_view.json()["description"] == "Private"


async def test_update_changes_only_the_fields_sent(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    item = await create_item(db_session, user, title="Old", description="Keep me")

    response = await client.patch(
        f"{ITEMS}/{item.id}", json={"title": "  New  "}, headers=user_headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "New"
    assert body["description"] == "Keep me"
    assert body["owner_id"] == str(user.id)
    reread = await client.get(f"{ITEMS}/{item.id}", headers=user_headers)
    assert reread.json() == body


async def test_update_with_null_description_clears_it(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    item = await create_item(db_session, user, title="Keep", description="Drop me")

    response = await client.patch(
        f"{ITEMS}/{item.id}", json={"description": None}, headers=user_headers
    )

    assert response.status_code == 200
    assert response.json()["description"] is None
    assert response.json()["title"] == "Keep"


async def test_update_with_empty_body_changes_nothing(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    item = await create_item(db_session, user, title="Same", description="Same too")
    before = (await client.get(f"{ITEMS}/{item.id}", headers=user_headers)).json()

    response = await client.patch(f"{ITEMS}/{item.id}", json={}, headers=user_headers)

    assert response.status_code == 200
    assert response.json() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": None}, "title"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"description": "x" * 10_001}, "description"),
    ],
)
async def test_update_refuses_invalid_fields(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    item = await create_item(db_session, user, title="Untouched")

    response = await client.patch(f"{ITEMS}/{item.id}", json=body, headers=user_headers)

    assert response.status_code == 422
    assert ["body", field] in error_locs(response)
    reread = await client.get(f"{ITEMS}/{item.id}", headers=user_headers)
    assert reread.json()["title"] == "Untouched"


async def test_delete_removes_the_item(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    item = await create_item(db_session, user)

    response = await client.delete(f"{ITEMS}/{item.id}", headers=user_headers)

    assert response.status_code == 204
    assert response.content == b""
    gone = await client.get(f"{ITEMS}/{item.id}", headers=user_headers)
    assert gone.status_code == 404
    again = await client.delete(f"{ITEMS}/{item.id}", headers=user_headers)
    assert again.status_code == 404


async def test_superuser_may_read_change_and_delete_any_item(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    superuser_headers: dict[str, str],
) -> None:
    item = await create_item(db_session, user, title="Users")
    path = f"{ITEMS}/{item.id}"

    read = await client.get(path, headers=superuser_headers)
    update = await client.patch(
        path, json={"title": "Moderated"}, headers=superuser_headers
    )
    removal = await client.delete(path, headers=superuser_headers)

    assert read.status_code == 200
    assert read.json()["owner_id"] == str(user.id)
    assert update.status_code == 200
    assert update.json()["title"] == "Moderated"
    assert update.json()["owner_id"] == str(user.id)  # ownership is not taken over
    assert removal.status_code == 204


# --- listing: visibility --------------------------------------------------------


async def test_list_shows_only_the_users_own_items(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    other_user: User,
    user_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 2, title="Mine {n}")
    await create_items(db_session, other_user, 3, title="Theirs {n}")

    page = await list_page(client, user_headers, sort="title")

    assert titles(page) == ["Mine 1", "Mine 2"]
    assert page["total"] == 2


async def test_user_may_filter_on_their_own_id_only(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    other_user: User,
    user_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 1)
    await create_items(db_session, other_user, 1)

    own = await list_page(client, user_headers, owner_id=str(user.id))
    response = await client.get(
        ITEMS, params={"owner_id": str(other_user.id)}, headers=user_headers
    )

    assert own["total"] == 1
    assert response.status_code == 403
    assert response.json() == {"detail": "OWNER_FILTER_FORBIDDEN"}


async def test_superuser_lists_everyones_items_and_filters_by_owner(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    other_user: User,
    superuser_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 2, title="A{n}")
    await create_items(db_session, other_user, 3, title="B{n}")

    everything = await list_page(client, superuser_headers, sort="title")
    only_other = await list_page(
        client, superuser_headers, owner_id=str(other_user.id), sort="title"
    )
    nobody = await list_page(client, superuser_headers, owner_id=str(uuid.uuid4()))

    assert titles(everything) == ["A1", "A2", "B1", "B2", "B3"]
    assert everything["total"] == 5
    assert titles(only_other) == ["B1", "B2", "B3"]
    assert only_other["total"] == 3
    assert nobody == {"items": [], "total": 0, "limit": 20, "next_cursor": None}


async def test_malformed_owner_id_is_422(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.get(
        ITEMS, params={"owner_id": "nope"}, headers=superuser_headers
    )

    assert response.status_code == 422
    assert ["query", "owner_id"] in error_locs(response)


# --- listing: pagination ----------------------------------------------------


async def test_empty_list_has_the_envelope_with_defaults(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    page = await list_page(client, user_headers)

    assert page == {"items": [], "total": 0, "limit": 20, "next_cursor": None}


async def test_default_page_is_20_items_with_the_full_total(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 23)

    page = await list_page(client, user_headers)

    assert len(page["items"]) == 20
    assert page["total"] == 23


async def test_cursors_walk_to_the_last_page_which_has_none(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 5, title="Item {n}")

    pages = await walk_pages(
        client, ITEMS, user_headers, sort="title", limit=2, count="exact"
    )

    assert [titles(page) for page in pages] == [
        ["Item 1", "Item 2"],
        ["Item 3", "Item 4"],
        ["Item 5"],
    ]
    assert [page["total"] for page in pages] == [5, 5, 5]
    assert [page["limit"] for page in pages] == [2, 2, 2]
    assert pages[-1]["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": ""}, "cursor"),
        ({"cursor": "x" * 1025}, "cursor"),
        ({"count": "estimate"}, "count"),
        ({"created_after": "yesterday"}, "created_after"),
        # Numbers are not date-times (pydantic would take them as Unix time).
        ({"created_after": "0"}, "created_after"),
        ({"created_before": "1700000000.5"}, "created_before"),
        # Valid ISO times with no UTC equivalent: refused, not a 500.
        ({"created_after": "0001-01-01T00:00:00+14:00"}, "created_after"),
        ({"created_before": "9999-12-31T23:59:59-14:00"}, "created_before"),
        ({"q": ""}, "q"),
        ({"q": "x" * 201}, "q"),
    ],
)
async def test_out_of_range_list_parameters_are_422(
    client: httpx.AsyncClient,
    user_headers: dict[str, str],
    params: dict[str, Any],
    field: str,
) -> None:
    response = await client.get(ITEMS, params=params, headers=user_headers)

    assert response.status_code == 422
    assert ["query", field] in error_locs(response)


async def test_limit_bounds_are_accepted(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 3)

    smallest = await list_page(client, user_headers, limit=1)
    largest = await list_page(client, user_headers, limit=100)

    assert (len(smallest["items"]), smallest["total"]) == (1, 3)
    assert (len(largest["items"]), largest["total"]) == (3, 3)


# --- listing: sorting ---------------------------------------------------------


async def test_unknown_sort_field_is_422_naming_the_allowed_ones(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.get(
        ITEMS, params={"sort": "owner_id"}, headers=user_headers
    )

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "sort"]
    for allowed in ("created_at", "-created_at", "updated_at", "title", "-title"):
        assert allowed in error["msg"]


async def test_sort_by_title_both_ways(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    for title in ("banana", "apple", "cherry"):
        await create_item(db_session, user, title=title)

    ascending = await list_page(client, user_headers, sort="title")
    descending = await list_page(client, user_headers, sort="-title")

    assert titles(ascending) == ["apple", "banana", "cherry"]
    assert titles(descending) == ["cherry", "banana", "apple"]


async def test_sort_by_timestamps_newest_first_by_default(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    # created and updated orders differ, so each sort is told apart.
    for title, created, updated in (
        ("january", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 3, tzinfo=UTC)),
        ("march", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)),
        (
            "february",
            datetime(2026, 2, 1, tzinfo=UTC),
            datetime(2026, 6, 2, tzinfo=UTC),
        ),
    ):
        await create_item(
            db_session, user, title=title, created_at=created, updated_at=updated
        )

    default = await list_page(client, user_headers)
    oldest_first = await list_page(client, user_headers, sort="created_at")
    updated_last = await list_page(client, user_headers, sort="-updated_at")

    assert titles(default) == ["march", "february", "january"]
    assert titles(oldest_first) == ["january", "february", "march"]
    assert titles(updated_last) == ["january", "february", "march"]


@pytest.mark.parametrize("sort", ["title", "-title", "created_at", "-updated_at"])
async def test_pages_of_identical_values_have_no_duplicates_or_gaps(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    sort: str,
) -> None:
    same_moment = datetime(2026, 5, 5, 12, 0, tzinfo=UTC)
    items = await create_items(
        db_session, user, 25, title="Same title", created_at=same_moment
    )

    pages = await walk_pages(client, ITEMS, user_headers, sort=sort, limit=7)
    seen = [item["id"] for page in pages for item in page["items"]]
    one_page = await list_page(client, user_headers, sort=sort, limit=100)

    assert len(seen) == 25
    assert set(seen) == {str(item.id) for item in items}
    assert seen == [item["id"] for item in one_page["items"]]


# --- listing: filters ---------------------------------------------------------


async def test_created_after_and_before_bound_the_list(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    for month in (1, 2, 3):
        await create_item(
            db_session,
            user,
            title=f"month {month}",
            created_at=datetime(2026, month, 1, tzinfo=UTC),
        )
    feb = "2026-02-01T00:00:00Z"
    mar = "2026-03-01T00:00:00Z"

    after = await list_page(client, user_headers, created_after=feb, sort="title")
    before = await list_page(client, user_headers, created_before=mar, sort="title")
    between = await list_page(
        client, user_headers, created_after=feb, created_before=mar
    )
    # Another zone names the same instant; a zone-less time is taken as UTC.
    zoned = await list_page(
        client, user_headers, created_after="2026-02-01T01:00:00+01:00"
    )
    naive = await list_page(client, user_headers, created_before="2026-02-01T00:00:00")
    extremes = await list_page(
        client,
        user_headers,
        created_after="0001-01-01T00:00:00",
        created_before="9999-12-31T23:59:59.999999Z",
    )

    assert titles(after) == ["month 2", "month 3"]
    assert titles(before) == ["month 1", "month 2"]
    assert titles(between) == ["month 2"]
    assert zoned["total"] == 2
    assert titles(naive) == ["month 1"]
    assert extremes["total"] == 3


async def test_total_counts_the_filtered_set_across_pages(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 6, title="report {n}")
    await create_items(db_session, user, 4, title="invoice {n}")

    first, second = await walk_pages(
        client, ITEMS, user_headers, q="report", limit=4, sort="title", count="exact"
    )

    assert first["total"] == second["total"] == 6
    assert titles(first) + titles(second) == [f"report {n}" for n in range(1, 7)]


async def test_search_matches_description_too(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    await create_item(db_session, user, title="Groceries", description="Oat MILK")
    await create_item(db_session, user, title="Milkshake recipe")
    await create_item(db_session, user, title="Unrelated", description=None)

    page = await list_page(client, user_headers, q="milk", sort="title")

    assert titles(page) == ["Groceries", "Milkshake recipe"]


# --- cascade -------------------------------------------------------------------


async def count_items_of(session: AsyncSession, owner: User) -> int:
    statement = select(func.count()).select_from(Item).filter_by(owner_id=owner.id)
    return await session.scalar(statement) or 0


async def test_deleting_a_user_in_the_database_deletes_their_items(
    db_session: AsyncSession, user: User, other_user: User
) -> None:
    await create_items(db_session, user, 3)
    await create_items(db_session, other_user, 2)

    await db_session.execute(delete(User).where(User.id == user.id))
    await db_session.commit()

    assert await count_items_of(db_session, user) == 0
    assert await count_items_of(db_session, other_user) == 2


async def test_superuser_deleting_a_user_deletes_their_items(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    other_user: User,
    superuser_headers: dict[str, str],
) -> None:
    await create_items(db_session, user, 3)
    await create_items(db_session, other_user, 1)

    response = await client.delete(
        f"/api/v1/users/{user.id}", headers=superuser_headers
    )

    assert response.status_code == 204, response.text
    gone = await list_page(client, superuser_headers, owner_id=str(user.id))
    assert gone["total"] == 0
    kept = await list_page(client, superuser_headers, owner_id=str(other_user.id))
    assert kept["total"] == 1
