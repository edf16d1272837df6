"""The listing contract's search (`contains_text`), through the items endpoint.

`q` is a case-insensitive substring: LIKE wildcards and the escape character
are matched literally on SQLite and PostgreSQL alike.
"""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from tests.fixtures.items import create_item

TITLES = [
    "100% organic",
    "100 percent organic",
    "snake_case",
    "snakeXcase",
    "back\\slash",
    "backslash",
    "MiXeD Case",
    "it's quoted",
]


@pytest.fixture
async def titled_items(db_session: AsyncSession, user: User) -> None:
    for title in TITLES:
        await create_item(db_session, user, title=title)


@pytest.mark.usefixtures("titled_items")
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%", ["100% organic"]),
        ("0%", ["100% organic"]),
        ("_", ["snake_case"]),
        ("e_c", ["snake_case"]),
        ("\\", ["back\\slash"]),
        ("k\\s", ["back\\slash"]),
        ("mixed case", ["MiXeD Case"]),
        ("MIXED", ["MiXeD Case"]),
        ("'s q", ["it's quoted"]),
        ("organic", ["100 percent organic", "100% organic"]),
        ("%%", []),
        ("nothing like it", []),
    ],
)
async def test_search_is_a_literal_case_insensitive_substring(
    client: httpx.AsyncClient, user_headers: dict[str, str], q: str, expected: list[str]
) -> None:
    response = await client.get(
        "/api/v1/items", params={"q": q, "count": "exact"}, headers=user_headers
    )

    assert response.status_code == 200, response.text
    page = response.json()
    assert sorted(item["title"] for item in page["items"]) == sorted(expected)
    assert page["total"] == len(expected)
