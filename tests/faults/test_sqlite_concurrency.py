"""The default database, SQLite, under 50 concurrent writers: nobody is refused.

Writers queue on `BEGIN IMMEDIATE` and the busy timeout instead of failing with
"database is locked" (see app/db/session.py).
"""

import asyncio
from pathlib import Path

import httpx
import pytest

from app.db.session import wait_for_background_tasks
from tests.commands.cli import cli_env
from tests.fixtures.app import http_client
from tests.fixtures.app_factory import AppFactory
from tests.fixtures.database import run_alembic
from tests.fixtures.server import running_server
from tests.fixtures.users import DEFAULT_PASSWORD, login

REGISTER = "/api/v1/auth/register"

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
        listed = await client.get(
            "/api/v1/users", params={"limit": 1, "count": "exact"}, headers=headers
        )

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
        listed = await client.get(
            "/api/v1/items", params={"limit": 1, "count": "exact"}, headers=headers
        )

    assert [r.status_code for r in responses] == [201] * WRITERS, [
        r.text for r in responses if r.status_code != 201
    ]
    assert "database is locked" not in caplog.text
    assert listed.json()["total"] == WRITERS


SOAK_CLIENTS = 32
SOAK_SECONDS = 10


async def test_thirty_two_writers_for_ten_seconds_get_no_server_error(
    app_factory: AppFactory, sqlite_url: str
) -> None:
    """A development soak: every write is answered, none with a 5xx."""
    app = app_factory(DATABASE_URL=sqlite_url)
    async with http_client(app) as client:
        registered = await client.post(
            "/api/v1/auth/register",
            json={"email": "soak@example.com", "password": DEFAULT_PASSWORD},
        )
        assert registered.status_code == 201, registered.text
        headers = await login(client, "soak@example.com")
        deadline = asyncio.get_running_loop().time() + SOAK_SECONDS
        statuses: list[int] = []

        async def writer(n: int) -> None:
            while asyncio.get_running_loop().time() < deadline:
                response = await client.post(
                    "/api/v1/items", json={"title": f"Soak {n}"}, headers=headers
                )
                statuses.append(response.status_code)

        await asyncio.gather(*(writer(n) for n in range(SOAK_CLIENTS)))
        listed = await client.get(
            "/api/v1/items", params={"limit": 1, "count": "exact"}, headers=headers
        )

    assert statuses, "no write was made"
    assert set(statuses) == {201}, sorted(set(statuses))
    assert listed.json()["total"] == len(statuses)


async def test_a_real_server_under_mixed_writes_answers_every_request(
    sqlite_url: str,
) -> None:
    """Registrations (production-cost hashing) and item writes from 32 clients for
    10 seconds against `uvicorn` on SQLite: no 5xx, no "database is locked"."""
    env = cli_env(sqlite_url, ARGON2_MEMORY_COST_KIB="19456", ARGON2_TIME_COST="2")
    env.update(OUTBOX_WORKER_ENABLED="true", RATE_LIMIT_ENABLED="false")
    async with running_server(env) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            email = "soak-owner@example.com"
            body = {"email": email, "password": DEFAULT_PASSWORD}
            assert (await client.post(REGISTER, json=body)).status_code == 201
            headers = await login(client, email)
            deadline = asyncio.get_running_loop().time() + SOAK_SECONDS
            statuses: list[int] = []

            async def writer(n: int) -> None:
                round_ = 0
                while asyncio.get_running_loop().time() < deadline:
                    round_ += 1
                    user = {
                        "email": f"w{n}-{round_}@example.com",
                        "password": DEFAULT_PASSWORD,
                    }
                    statuses.append(
                        (await client.post(REGISTER, json=user)).status_code
                    )
                    for _ in range(3):
                        item = await client.post(
                            "/api/v1/items", json={"title": "soak"}, headers=headers
                        )
                        statuses.append(item.status_code)

            await asyncio.gather(*(writer(n) for n in range(SOAK_CLIENTS)))
        log = await server.stop()

    assert statuses, "no request was made"
    assert set(statuses) == {201}, {s: statuses.count(s) for s in set(statuses)}
    assert "database is locked" not in log
