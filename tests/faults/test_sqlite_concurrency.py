"""The default database, SQLite, under 50 concurrent writers: nobody is refused.

Writers queue on `BEGIN IMMEDIATE` and the busy timeout instead of failing with
"database is locked" (see app/db/session.py).
"""

import asyncio
from pathlib import Path

import pytest

from app.db.session import wait_for_background_tasks
from tests.fixtures.app import http_client
from tests.fixtures.app_factory import AppFactory
from tests.fixtures.database import run_alembic
from tests.fixtures.users import DEFAULT_PASSWORD, login

WRITERS = 50


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'concurrent.db'}"
    await run_alembic(url, "upgrade", "head")
    return url


async def test_fifty_concurrent_registrations_all_succeed(
    app_factory: AppFactory, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(DATABASE_URL=sqlite_url)
    emails = [f"writer{n}@example.com" for n in range(WRITERS)]
    async with http_client(app) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/auth/register",
                    json={"email": email, "password": DEFAULT_PASSWORD},
                )
                for email in emails
            )
        )
        await wait_for_background_tasks()
        headers = await login(client, emails[0])
        listed = await client.get("/api/v1/users", params={"limit": 1}, headers=headers)

    assert [r.status_code for r in responses] == [201] * WRITERS, [
        r.text for r in responses if r.status_code != 201
    ]
    assert "database is locked" not in caplog.text
    # An ordinary user may not list users: the 403 proves the token worked.
    assert listed.status_code == 403


async def test_fifty_concurrent_item_creations_all_succeed(
    app_factory: AppFactory, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(DATABASE_URL=sqlite_url)
    async with http_client(app) as client:
        registered = await client.post(
            "/api/v1/auth/register",
            json={"email": "owner@example.com", "password": DEFAULT_PASSWORD},
        )
        assert registered.status_code == 201, registered.text
        headers = await login(client, "owner@example.com")
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/items", json={"title": f"Item {n}"}, headers=headers
                )
                for n in range(WRITERS)
            )
        )
        listed = await client.get("/api/v1/items", params={"limit": 1}, headers=headers)

    assert [r.status_code for r in responses] == [201] * WRITERS, [
        r.text for r in responses if r.status_code != 201
    ]
    assert "database is locked" not in caplog.text
    assert listed.json()["total"] == WRITERS
